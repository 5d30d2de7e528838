/*
 * dest.c - the destination side of a migration (architecture.md, "The peer protocol").
 *
 * Phases: WAITING (prepare_incoming made a token; the targets are claimed) -> PREPARING
 * (PEER_PREPARE checked: token, identity, devices, compatibility; targets moved to
 * RESUMING) -> PRECOPY (streams arrive while the source runs) -> STOP_COPY (the source's
 * SWITCHOVER: downtime starts) -> LOADING (every stream verified its END: RESUMING -> STOP,
 * where the driver validates; PEER_LOADED per device) -> COMMITTING (PEER_COMMIT; COMMIT_ACK
 * sent) -> [RESUME_PENDING: waiting for job_resume] -> STARTING (STOP -> RUNNING_P2P for all,
 * then RUNNING) -> COMPLETED, PEER_RESUMED sent.
 *
 * The rule this file keeps: the devices run here only after COMMIT. Before it, any failure
 * (a stream failing its integrity check, a device refusing the state, the link lost, the
 * source's ABORT, a cancel) resets the devices and releases them (rollback.c). After it the
 * link no longer matters: the source has given the devices up.
 *
 * Tokens are single-use: the PREPARE that presents a valid token from the bound identity
 * consumes it, whatever comes of it. A token presented by another identity is refused and
 * stays valid (that peer could not use it anyway). Refusals name the cause on both sides.
 *
 * Device state changes are groups run by worker threads (change.c), never on the loop: a vfio
 * driver may take a while for RESUMING -> STOP (it validates the whole state there). Each
 * group's continuation runs once every device finished it: PREPARE_REPLY after RESUMING,
 * LOADED after STOP, RUNNING only after every device reached RUNNING_P2P.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate_int.h"
#include "registry.h"
#include "timefmt.h"
#include "tls.h"

static int dest_refuse(struct proto_error *err, uint32_t code, const char *device, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));

static int dest_refuse(struct proto_error *err, uint32_t code, const char *device, const char *fmt,
		       ...)
{
	char msg[PROTO_MESSAGE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_error_set(err, code, device, "%s", msg);
	return proto_err_to_errno(code);
}

/* ---- prepare_incoming ---- */

static int dest_check(struct migrate *m, const struct ctl_prepare_incoming *req,
		      struct proto_error *err)
{
	if (!token_identity_valid(req->source_identity))
		return dest_refuse(err, PROTO_ERR_INVALID_ARGUMENT, NULL,
				   "source_identity '%s' is not an identity: give the allow-list "
				   "entry the source's certificate matches, e.g. dns:hosta.example",
				   req->source_identity);
	for (uint32_t i = 0; i < req->n_devices; i++) {
		struct device *d = registry_find(m->devices, req->devices[i]);

		if (d && device_state(d) == FSM_ERROR)
			return dest_refuse(err, PROTO_ERR_DEVICE_FAILED, req->devices[i],
					   "device '%s' is in ERROR; reset or re-add it first",
					   req->devices[i]);
	}
	if (migrate_count_active(m) >= m->limits.max_jobs)
		return dest_refuse(err, PROTO_ERR_RESOURCE_EXHAUSTED, NULL,
				   "%u migration jobs are running, the limit ([limits] "
				   "max_jobs); wait for one to finish",
				   m->limits.max_jobs);
	return 0;
}

static int dest_claim(struct job *j, const struct ctl_prepare_incoming *req,
		      struct proto_error *err)
{
	const char *ids[PROTO_JOB_DEVICES_MAX];
	char who[80];
	size_t bad = 0;
	int r;

	for (uint32_t i = 0; i < j->n_dev; i++) {
		snprintf(j->dev[i].target_id, sizeof(j->dev[i].target_id), "%s", req->devices[i]);
		ids[i] = j->dev[i].target_id;
	}
	r = registry_claim(j->m->devices, ids, j->n_dev, j->id, &bad);
	if (r == -ENOENT)
		return dest_refuse(err, PROTO_ERR_NOT_FOUND, ids[bad],
				   "device '%s' not found; add it before preparing", ids[bad]);
	if (r == -EBUSY)
		return dest_refuse(err, PROTO_ERR_BUSY, ids[bad],
				   "device '%s' belongs to %s; wait for it or cancel it", ids[bad],
				   registry_owner_desc(registry_owner(j->m->devices, ids[bad]), who,
						       sizeof(who)));
	if (r < 0)
		return dest_refuse(err, PROTO_ERR_INVALID_ARGUMENT, ids[bad],
				   "device '%s' is listed twice", ids[bad]);
	for (uint32_t i = 0; i < j->n_dev; i++)
		j->dev[i].dev = registry_find(j->m->devices, ids[i]);
	return 0;
}

int dest_prepare_incoming(struct migrate *m, const struct ctl_prepare_incoming *req,
			  const char *who, struct ctl_prepare_result *ret, struct proto_error *err)
{
	uint32_t expiry = req->expiry_s ? req->expiry_s : MIGRATE_TOKEN_EXPIRY_S_DEFAULT;
	char until[32], list[512];
	struct job *j;
	int r;

	r = dest_check(m, req, err);
	if (r < 0)
		return r;
	r = job_new(m, CTL_ROLE_DESTINATION, req->n_devices, CTL_PHASE_WAITING, &j);
	if (r < 0)
		return dest_refuse(err, PROTO_ERR_INTERNAL, NULL,
				   "the daemon is out of memory; try again later");
	r = token_new(j->token);
	if (r < 0) {
		job_free(j);
		return dest_refuse(err, PROTO_ERR_INTERNAL, NULL, "no random token: %s",
				   strerror(-r));
	}
	r = dest_claim(j, req, err);
	if (r < 0) {
		job_free(j);
		return r;
	}
	snprintf(j->who, sizeof(j->who), "%s", who);
	snprintf(j->identity, sizeof(j->identity), "%s", req->source_identity);
	snprintf(j->peer, sizeof(j->peer), "%s", req->source_identity);
	j->timeout_ms = (uint64_t)expiry * 1000;
	j->deadline_ns = j->created_ns + j->timeout_ms * 1000000u;
	j->expires_ms = j->created_ms + j->timeout_ms;
	job_log(j, LOG_LVL_NOTICE,
		"incoming migration prepared by %s: source %s, devices %s, token valid until %s",
		j->who, j->identity, job_devices_str(j, " ", list, sizeof(list)),
		timefmt_utc((int64_t)(j->expires_ms / 1000), until, sizeof(until)));
	audit_job(j, "prepare", who);
	job_emit(j, CTL_EVENT_JOB_CREATED);
	snprintf(ret->token, sizeof(ret->token), "%s", j->token);
	ret->job_id = j->id;
	ret->expires_at_ms = j->expires_ms;
	return 0;
}

/* ---- PREPARE ---- */

static void dest_reply(struct peer_link *link, uint64_t src_job, uint64_t dest_job,
		       const struct proto_error *e)
{
	struct peer_msg msg = { .type = FRAME_PEER_PREPARE_REPLY };
	int r;

	msg.u.prepare_reply.job_id = src_job;
	msg.u.prepare_reply.dest_job_id = dest_job;
	if (e)
		msg.u.prepare_reply.error = *e;
	r = peer_link_send(link, &msg);
	if (r < 0)
		log_warn(r, "migrate: peer %s (%s): cannot answer PREPARE for job %llu",
			 peer_link_address(link), peer_link_identity(link),
			 (unsigned long long)src_job);
}

/* Refuses a PREPARE that no job takes; logged here, sent to the source. */
static void dest_refuse_prepare(struct peer_link *link, uint64_t src_job, uint32_t code,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void dest_refuse_prepare(struct peer_link *link, uint64_t src_job, uint32_t code,
				const char *fmt, ...)
{
	struct proto_error e;
	char msg[PROTO_MESSAGE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_error_set(&e, code, NULL, "%s", msg);
	log_warnx("migrate: peer %s (%s): PREPARE for its job %llu refused: %s: %s",
		  peer_link_address(link), peer_link_identity(link), (unsigned long long)src_job,
		  proto_err_name(code), msg);
	dest_reply(link, src_job, 0, &e);
}

/* The destination job a token belongs to, finished ones included (to say why not). */
static struct job *dest_by_token(struct migrate *m, const char *token)
{
	struct job *j, *found = NULL;

	TAILQ_FOREACH(j, &m->jobs, entry)
	if (j->role == CTL_ROLE_DESTINATION && token_equal(j->token, token))
		found = j;
	return found;
}

/* Whether the token may be used by this link; refuses it (and says why) if not. */
static bool dest_token_ok(struct peer_link *link, const struct peer_prepare *p, struct job *j)
{
	char until[32];

	if (!j) {
		dest_refuse_prepare(link, p->job_id, PROTO_ERR_TOKEN_INVALID,
				    "no migration was prepared with this token here (unknown, or "
				    "forgotten after it ended); run prepare_incoming on the "
				    "destination and pass its token");
		return false;
	}
	if (j->token_used || (!job_finished(j) && j->phase != CTL_PHASE_WAITING)) {
		dest_refuse_prepare(link, p->job_id, PROTO_ERR_TOKEN_INVALID,
				    "this token was already used (by job %llu; tokens are "
				    "single-use); prepare again",
				    (unsigned long long)j->id);
		return false;
	}
	if (j->error.code == PROTO_ERR_TOKEN_EXPIRED) {
		dest_refuse_prepare(
			link, p->job_id, PROTO_ERR_TOKEN_EXPIRED,
			"this token expired at %s; prepare again",
			timefmt_utc((int64_t)(j->expires_ms / 1000), until, sizeof(until)));
		return false;
	}
	if (job_finished(j)) {
		dest_refuse_prepare(link, p->job_id, PROTO_ERR_TOKEN_INVALID,
				    "the migration prepared with this token (job %llu) is %s: %s",
				    (unsigned long long)j->id, ctl_job_phase_name(j->phase),
				    j->error.message);
		return false;
	}
	if (!token_identity_match(j->identity, peer_link_identity(link))) {
		dest_refuse_prepare(link, p->job_id, PROTO_ERR_TOKEN_INVALID,
				    "this token is bound to source '%s', but this link "
				    "authenticated as '%s'",
				    j->identity, peer_link_identity(link));
		return false;
	}
	return true;
}

/* Puts the job's devices in the source's order (the stream index) and takes what PREPARE
 * says about each. */
static int dest_match(struct job *j, const struct peer_prepare *p, struct proto_error *err)
{
	struct job_dev old[PROTO_JOB_DEVICES_MAX];
	bool used[PROTO_JOB_DEVICES_MAX] = { false };

	if (p->n_devices != j->n_dev)
		return dest_refuse(err, PROTO_ERR_INVALID_ARGUMENT, NULL,
				   "the source maps %u device(s), but %u were prepared here",
				   p->n_devices, j->n_dev);
	memcpy(old, j->dev, sizeof(old[0]) * j->n_dev);
	for (uint32_t i = 0; i < p->n_devices; i++) {
		const struct peer_prepare_device *pd = &p->devices[i];
		uint32_t k = 0;

		while (k < j->n_dev && (used[k] || strcmp(old[k].target_id, pd->target_id) != 0))
			k++;
		if (k == j->n_dev) {
			memcpy(j->dev, old, sizeof(old[0]) * j->n_dev);
			return dest_refuse(err, PROTO_ERR_INVALID_ARGUMENT, pd->target_id,
					   "the source maps to device '%s', which was not prepared "
					   "for this migration",
					   pd->target_id);
		}
		used[k] = true;
		j->dev[i] = old[k];
		j->dev[i].index = i;
		snprintf(j->dev[i].source_id, sizeof(j->dev[i].source_id), "%s", pd->source_id);
		j->dev[i].estimate = pd->compat.state_size;
	}
	return 0;
}

/* Same driver and model, and every migration flag the source uses supported here. */
static int dest_compat(struct job *j, const struct peer_prepare *p, struct proto_error *err)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		const struct peer_prepare_device *pd = &p->devices[i];
		const struct backend_desc *d = device_desc(j->dev[i].dev);
		uint32_t flags = device_caps(j->dev[i].dev)->mig_flags;
		char have[64], want[64];

		if (strcmp(pd->compat.driver, d->driver) != 0 ||
		    strcmp(pd->compat.model, d->model) != 0)
			return dest_refuse(err, PROTO_ERR_INCOMPATIBLE, pd->target_id,
					   "device '%s' is %s '%s', the source device '%s' is %s "
					   "'%s'",
					   pd->target_id, d->driver, d->model, pd->source_id,
					   pd->compat.driver, pd->compat.model);
		if (pd->migration_flags & ~flags)
			return dest_refuse(
				err, PROTO_ERR_INCOMPATIBLE, pd->target_id,
				"device '%s' supports %s, the source device '%s' uses %s",
				pd->target_id, fsm_flags_str(flags, have, sizeof(have)),
				pd->source_id,
				fsm_flags_str(pd->migration_flags, want, sizeof(want)));
	}
	return 0;
}

static int dest_metadata(struct job *j, const struct peer_prepare *p, struct proto_error *err)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		const struct peer_prepare_device *pd = &p->devices[i];

		if (!pd->metadata_len)
			continue;
		j->dev[i].metadata = malloc(pd->metadata_len);
		if (!j->dev[i].metadata)
			return dest_refuse(err, PROTO_ERR_INTERNAL, NULL,
					   "out of memory for the devices' metadata");
		memcpy(j->dev[i].metadata, pd->metadata, pd->metadata_len);
		j->dev[i].metadata_len = pd->metadata_len;
	}
	return 0;
}

/* Every target to RESUMING, in parallel (GROUP_DST_RESUMING); the reply waits for them. */
static void dest_resuming(struct job *j)
{
	change_group(j, GROUP_DST_RESUMING);
	for (uint32_t i = 0; i < j->n_dev; i++)
		change_post(j, &j->dev[i], CHANGE_SET, FSM_RESUMING, FSM_ERROR);
	change_group_posted(j);
}

/* The targets are RESUMING (or one failed, and reset): PREPARE_REPLY. */
static void dest_resumed(struct job *j)
{
	struct proto_error err = { 0 };
	size_t meta = 0;

	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (!change_failed(jd))
			continue;
		dest_refuse(&err, PROTO_ERR_DEVICE_FAILED, jd->target_id,
			    "device '%s' could not enter RESUMING: %s", jd->target_id,
			    jd->chg.c.reason);
		if (j->link)
			dest_reply(j->link, j->peer_job, 0, &err);
		j->peer_knows = false;
		rollback_start(j, CTL_PHASE_FAILED, err.code, jd->target_id, false,
			       "PREPARE for its job %llu refused: %s",
			       (unsigned long long)j->peer_job, err.message);
		return;
	}
	for (uint32_t i = 0; i < j->n_dev; i++)
		meta += j->dev[i].metadata_len;
	if (j->link)
		dest_reply(j->link, j->peer_job, j->id, NULL);
	job_log(j, LOG_LVL_NOTICE,
		"accepted: %u device(s) in RESUMING, %zu bytes of metadata, waiting for %s",
		j->n_dev, meta, j->precopy ? "pre-copy streams" : "the switchover");
	if (j->precopy && j->phase == CTL_PHASE_PREPARING)
		job_set_phase(j, CTL_PHASE_PRECOPY);
}

/*
 * From PREPARE on, the job must reach COMMIT within the source's time left (plus a grace)
 * and within [limits] dest_timeout, whichever is shorter; without either it may wait as
 * long as the link stays up. j->timeout_ms then holds that bound instead of the token's.
 */
static void dest_deadline(struct job *j, uint64_t source_left_ms)
{
	uint64_t cap = j->m->limits.dest_timeout_ms, t = 0;

	if (source_left_ms)
		t = source_left_ms > UINT64_MAX / 2 ? UINT64_MAX / 2
						    : source_left_ms + MIGRATE_DEST_GRACE_MS;
	if (cap && (!t || cap < t))
		t = cap;
	/* nanoseconds must not overflow: past ~290 years, no bound */
	if (t > UINT64_MAX / 4000000u)
		t = 0;
	j->timeout_ms = t;
	j->deadline_ns = t ? job_now_ns() + t * 1000000u : 0;
	/* compared without adding, so that a huge timeout from the peer cannot wrap */
	j->timeout_source =
		source_left_ms != 0 && (!cap || (cap >= MIGRATE_DEST_GRACE_MS &&
						 source_left_ms <= cap - MIGRATE_DEST_GRACE_MS));
}

void dest_on_prepare(struct migrate *m, struct peer_link *link, const struct peer_prepare *p)
{
	struct job *j, *dup;
	struct proto_error err = { 0 };

	TAILQ_FOREACH(dup, &m->jobs, entry)
	if (dup->role == CTL_ROLE_DESTINATION && dup->link == link && dup->peer_job == p->job_id &&
	    !job_finished(dup)) {
		dest_refuse_prepare(link, p->job_id, PROTO_ERR_PROTOCOL,
				    "job %llu was prepared on this link already (our job "
				    "%llu)",
				    (unsigned long long)p->job_id, (unsigned long long)dup->id);
		return;
	}
	j = dest_by_token(m, p->token);
	if (!dest_token_ok(link, p, j))
		return;
	j->token_used = true;
	dest_deadline(j, p->timeout_ms);
	j->link = link;
	j->peer_job = p->job_id;
	j->precopy = p->precopy;
	j->resume_manual = p->resume_manual;
	j->downtime_limit_ms = p->downtime_limit_ms;
	job_log(j, LOG_LVL_INFO, "PREPARE from %s (%s) for its job %llu", peer_link_address(link),
		peer_link_identity(link), (unsigned long long)p->job_id);
	job_set_phase(j, CTL_PHASE_PREPARING);
	if (dest_match(j, p, &err) < 0 || dest_compat(j, p, &err) < 0 ||
	    dest_metadata(j, p, &err) < 0) {
		dest_reply(link, p->job_id, 0, &err);
		rollback_start(j, CTL_PHASE_FAILED, err.code, err.device[0] ? err.device : NULL,
			       false, "PREPARE for its job %llu refused: %s",
			       (unsigned long long)p->job_id, err.message);
		return;
	}
	/* from here a failure or cancel tells the source (PEER_ABORT names its job) */
	j->peer_knows = true;
	dest_resuming(j);
}

/* ---- data streams ---- */

static void dest_stream_close(struct peer_stream_handoff *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dest_stream_close(struct peer_stream_handoff *s, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("migrate: data stream from %s (%s) for job %llu device %u refused: %s", s->addr,
		  s->identity, (unsigned long long)s->hello.job_id, s->hello.device_index, why);
	tls_conn_free(s->tls);
	close(s->fd);
}

static bool dest_stream_phase(const struct job *j)
{
	return j->phase == CTL_PHASE_PREPARING || j->phase == CTL_PHASE_PRECOPY ||
	       j->phase == CTL_PHASE_STOP_COPY;
}

static void dest_stream_start(struct job *j, struct job_dev *jd, struct peer_stream_handoff *s)
{
	struct stream_config c = {
		.role = STREAM_RECV,
		.name = jd->target_id,
		.backend = device_backend(jd->dev),
		.fd = s->fd,
		.tls = s->tls,
		.prefix = s->rest,
		.prefix_len = s->rest_len,
		.device_index = jd->index,
		.notify = migrate_stream_notify,
		.notify_arg = j->m,
	};
	int r = stream_start(&c, &jd->stream);

	if (r < 0) {
		dest_stream_close(s, "cannot start a stream: %s", strerror(-r));
		job_fail(j, PROTO_ERR_INTERNAL, jd->target_id,
			 "cannot start the data stream of device %s: %s", jd->target_id,
			 strerror(-r));
		return;
	}
	job_dev_snapshot(jd);
	job_log(j, LOG_LVL_INFO, "device %s: data stream %u from %s", jd->target_id, jd->index,
		s->addr);
}

void dest_on_stream(struct migrate *m, struct peer_stream_handoff *s)
{
	struct job *j = job_find(m, s->hello.job_id);
	struct job_dev *jd;

	if (!j || j->role != CTL_ROLE_DESTINATION || !j->token_used ||
	    !token_equal(j->token, s->hello.token)) {
		dest_stream_close(s, "no migration here expects it (unknown job or wrong token)");
		return;
	}
	if (!token_identity_match(j->identity, s->identity)) {
		dest_stream_close(s, "job %llu belongs to source '%s'", (unsigned long long)j->id,
				  j->identity);
		return;
	}
	if (job_finished(j) || !dest_stream_phase(j)) {
		dest_stream_close(s, "job %llu is in phase %s", (unsigned long long)j->id,
				  ctl_job_phase_name(j->phase));
		return;
	}
	if (j->group == GROUP_DST_RESUMING) {
		dest_stream_close(s, "job %llu has not answered PREPARE yet",
				  (unsigned long long)j->id);
		return;
	}
	if (s->hello.device_index >= j->n_dev || j->dev[s->hello.device_index].stream) {
		dest_stream_close(s, "job %llu has %u device(s) and %s", (unsigned long long)j->id,
				  j->n_dev,
				  s->hello.device_index < j->n_dev ? "that one has its stream"
								   : "no such index");
		return;
	}
	jd = &j->dev[s->hello.device_index];
	dest_stream_start(j, jd, s);
}

/* ---- load ---- */

static void dest_send_load(struct job *j, struct job_dev *jd, const struct proto_error *e)
{
	struct peer_msg msg = { .type = e ? FRAME_PEER_LOAD_FAILED : FRAME_PEER_LOADED };

	msg.u.load.job_id = j->peer_job;
	msg.u.load.device_index = jd->index;
	if (e)
		msg.u.load.error = *e;
	if (migrate_send(j, &msg) == 0 && e)
		j->abort_sent = true;
}

/* A device could not be loaded: LOAD_FAILED to the source, then roll back. */
static void dest_load_failed(struct job *j, struct job_dev *jd, uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void dest_load_failed(struct job *j, struct job_dev *jd, uint32_t code, const char *fmt, ...)
{
	struct proto_error e;
	char msg[PROTO_MESSAGE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_error_set(&e, code, jd->target_id, "%s", msg);
	dest_send_load(j, jd, &e);
	rollback_start(j, CTL_PHASE_FAILED, code, jd->target_id, false, "%s", msg);
}

/* Every stream delivered: RESUMING -> STOP for every device, in parallel (GROUP_DST_LOAD):
 * the driver validates the state there. */
static void dest_load(struct job *j)
{
	if (!j->downtime_start_ns)
		j->downtime_start_ns = job_now_ns();
	job_set_phase(j, CTL_PHASE_LOADING);
	for (uint32_t i = 0; i < j->n_dev; i++)
		job_dev_drop_stream(&j->dev[i]);
	change_group(j, GROUP_DST_LOAD);
	for (uint32_t i = 0; i < j->n_dev; i++)
		change_post(j, &j->dev[i], CHANGE_SET, FSM_STOP, FSM_ERROR);
	change_group_posted(j);
}

/* LOADED for every device, or LOAD_FAILED for the first that rejected its state. */
static void dest_loaded(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (change_failed(jd)) {
			dest_load_failed(j, jd, PROTO_ERR_DEVICE_FAILED,
					 "device %s rejected the migrated state (RESUMING -> "
					 "STOP): %s",
					 jd->target_id, jd->chg.c.reason);
			return;
		}
	}
	for (uint32_t i = 0; i < j->n_dev; i++) {
		j->dev[i].loaded = true;
		dest_send_load(j, &j->dev[i], NULL);
	}
	job_log(j, LOG_LVL_NOTICE, "loaded: %u device(s), %" PRIu64 " bytes verified; LOADED sent",
		j->n_dev, job_bytes(j));
}

/*
 * A data stream cut short while the control link is up is most often the source rolling
 * back (a cancel or a failure there closes its streams at once, and its ABORT travels on
 * another connection that may arrive later). Wait up to MIGRATE_CUT_GRACE_MS for that ABORT,
 * so that the job reports the source's reason, not a truncated stream; the devices stay in
 * RESUMING meanwhile, and without an ABORT the cut fails the job as before.
 */
static bool dest_cut_grace(struct job *j, struct job_dev *jd)
{
	uint64_t now = job_now_ns();

	if (jd->st.error != -EPIPE || !j->link)
		return false;
	if (!j->cut_seen_ns) {
		j->cut_seen_ns = now;
		job_log(j, LOG_LVL_DEBUG,
			"data stream of device %s ended before END; waiting up to %u ms for the "
			"source's ABORT",
			jd->target_id, MIGRATE_CUT_GRACE_MS);
	}
	return now - j->cut_seen_ns < (uint64_t)MIGRATE_CUT_GRACE_MS * 1000000u;
}

void dest_poll(struct job *j)
{
	bool done = true;

	if (!dest_stream_phase(j))
		return;
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		job_dev_snapshot(jd);
		if (jd->stream && jd->st.state == STREAM_FAILED) {
			if (dest_cut_grace(j, jd))
				return;
			/* a stream cut short (EOF before END) cannot be trusted either */
			dest_load_failed(j, jd,
					 jd->st.error == -EPIPE
						 ? PROTO_ERR_INTEGRITY
						 : rollback_stream_code(jd->st.error),
					 "data stream of device %s failed: %s", jd->target_id,
					 jd->st.message);
			return;
		}
		done &= jd->stream && jd->st.state == STREAM_DONE;
	}
	if (done)
		dest_load(j);
}

/* ---- commit and start ---- */

/*
 * A device would not start after COMMIT. The devices keep the migrated state; any that
 * already started are stopped again (GROUP_DST_HALT), so that none runs while the job says it
 * failed, and the source is told (it keeps its devices stopped too). Nothing is reset: the
 * orchestrator decides which copy to start.
 */
static void dest_fail_started(struct job *j, struct job_dev *bad, const char *reason)
{
	proto_error_set(&j->error, PROTO_ERR_DEVICE_FAILED, bad->target_id,
			"device %s could not start after COMMIT: %s; the devices here stay stopped "
			"with the migrated state (%s is %s), the source keeps its copy stopped",
			bad->target_id, reason, bad->target_id,
			fsm_state_name(device_state(bad->dev)));
	change_group(j, GROUP_DST_HALT);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (fsm_is_running(device_state(jd->dev)))
			change_post(j, jd, CHANGE_KEEP, FSM_STOP, FSM_STOP);
	}
	change_group_posted(j);
}

/* The devices that had started are stopped again: the job fails, the source is told. */
static void dest_halted(struct job *j)
{
	struct peer_msg msg = { .type = FRAME_PEER_ABORT };

	change_append_failures(j, &j->error);
	job_log(j, LOG_LVL_ERR, "failed: %s", j->error.message);
	msg.u.abort.job_id = j->peer_job;
	msg.u.abort.reason = j->error;
	if (j->link)
		migrate_send(j, &msg);
	job_release(j);
	job_set_phase(j, CTL_PHASE_FAILED);
}

/* STOP -> RUNNING_P2P for every device that has it (GROUP_DST_P2P), then RUNNING for all
 * (GROUP_DST_RUN), each group in parallel. */
static void dest_start(struct job *j)
{
	job_set_phase(j, CTL_PHASE_STARTING);
	change_group(j, GROUP_DST_P2P);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (device_caps(jd->dev)->mig_flags & FSM_F_P2P)
			change_post(j, jd, CHANGE_KEEP, FSM_RUNNING_P2P, FSM_STOP);
	}
	change_group_posted(j);
}

static void dest_run(struct job *j)
{
	change_group(j, GROUP_DST_RUN);
	for (uint32_t i = 0; i < j->n_dev; i++)
		change_post(j, &j->dev[i], CHANGE_KEEP, FSM_RUNNING, FSM_STOP);
	change_group_posted(j);
}

/* Every device runs: the downtime ends when the last RUNNING arc returned (worker time). */
static void dest_running(struct job *j)
{
	struct peer_msg msg = { .type = FRAME_PEER_RESUMED };
	uint64_t end = 0;

	for (uint32_t i = 0; i < j->n_dev; i++)
		if (j->dev[i].chg.done_ns > end)
			end = j->dev[i].chg.done_ns;
	if (!end || end < j->downtime_start_ns)
		end = job_now_ns();
	j->downtime_ms = (end - j->downtime_start_ns) / 1000000;
	msg.u.notice.job_id = j->peer_job;
	if (j->link)
		migrate_send(j, &msg);
	job_release(j);
	job_set_phase(j, CTL_PHASE_COMPLETED);
	job_log(j, LOG_LVL_NOTICE,
		"completed: %u device(s) from %s running here, %" PRIu64 " bytes, downtime %" PRIu64
		" ms",
		j->n_dev, j->identity, job_bytes(j), j->downtime_ms);
}

/* A start group is over: on, or halt on the first device that failed. */
static void dest_started(struct job *j, uint32_t group)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (change_failed(jd)) {
			dest_fail_started(j, jd, jd->chg.c.reason);
			return;
		}
	}
	if (group == GROUP_DST_P2P)
		dest_run(j);
	else
		dest_running(j);
}

void dest_group_done(struct job *j, uint32_t group)
{
	switch (group) {
	case GROUP_DST_RESUMING:
		dest_resumed(j);
		break;
	case GROUP_DST_LOAD:
		dest_loaded(j);
		break;
	case GROUP_DST_P2P:
	case GROUP_DST_RUN:
		dest_started(j, group);
		break;
	case GROUP_DST_HALT:
		dest_halted(j);
		break;
	}
}

static void dest_on_commit(struct job *j)
{
	struct peer_msg msg = { .type = FRAME_PEER_COMMIT_ACK };
	bool loaded = j->phase == CTL_PHASE_LOADING;

	for (uint32_t i = 0; i < j->n_dev; i++)
		loaded &= j->dev[i].loaded;
	if (!loaded) {
		job_fail(j, PROTO_ERR_PROTOCOL, NULL,
			 "COMMIT in phase %s, before every device was "
			 "loaded",
			 ctl_job_phase_name(j->phase));
		return;
	}
	j->committed = true;
	j->commit_ns = job_now_ns();
	msg.u.notice.job_id = j->peer_job;
	migrate_send(j, &msg);
	job_log(j, LOG_LVL_NOTICE, "commit received from %s; %s", j->identity,
		j->resume_manual ? "waiting for job_resume" : "starting the devices");
	job_set_phase(j, CTL_PHASE_COMMITTING);
	if (j->resume_manual)
		job_set_phase(j, CTL_PHASE_RESUME_PENDING);
	else
		dest_start(j);
}

int dest_resume_request(struct job *j, const char *who, struct proto_error *err)
{
	if (j->phase != CTL_PHASE_RESUME_PENDING)
		return dest_refuse(err, PROTO_ERR_INVALID_ARGUMENT, NULL,
				   "job %llu is in phase %s; resume is for RESUME_PENDING (resume "
				   "manual, after COMMIT)",
				   (unsigned long long)j->id, ctl_job_phase_name(j->phase));
	job_log(j, LOG_LVL_NOTICE, "resume requested by %s", who);
	audit_job(j, "resume", who);
	dest_start(j);
	return 0;
}

void dest_on_message(struct job *j, const struct peer_msg *msg)
{
	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING)
		return;
	switch (msg->type) {
	case FRAME_PEER_SWITCHOVER:
		if (!j->downtime_start_ns)
			j->downtime_start_ns = job_now_ns();
		job_log(j, LOG_LVL_INFO, "the source switched over: its devices are stopping");
		if (j->phase == CTL_PHASE_PREPARING || j->phase == CTL_PHASE_PRECOPY)
			job_set_phase(j, CTL_PHASE_STOP_COPY);
		break;
	case FRAME_PEER_COMMIT:
		dest_on_commit(j);
		break;
	case FRAME_PEER_ABORT:
		if (j->committed) {
			job_log(j, LOG_LVL_WARNING,
				"ABORT from the source after COMMIT ignored: %s",
				msg->u.abort.reason.message);
			return;
		}
		rollback_start(j,
			       msg->u.abort.reason.code == PROTO_ERR_CANCELLED ? CTL_PHASE_CANCELLED
									       : CTL_PHASE_FAILED,
			       msg->u.abort.reason.code, NULL, false,
			       "the source aborted the migration: %s", msg->u.abort.reason.message);
		break;
	default:
		job_log(j, LOG_LVL_WARNING, "%s from the source makes no sense here; ignored",
			frame_type_name(msg->type));
	}
}

void dest_link_closed(struct job *j, int err, const char *why)
{
	if (j->committed) {
		job_log(j, LOG_LVL_WARNING,
			"the link to the source was lost after COMMIT (%s); "
			"carrying on",
			why);
		return;
	}
	rollback_start(j, CTL_PHASE_FAILED, PROTO_ERR_PEER_UNREACHABLE, NULL, false,
		       "the link to the source %s was lost in phase %s (%s)", j->identity,
		       ctl_job_phase_name(j->phase), why);
}

void dest_tick(struct job *j)
{
	if (!j->deadline_ns || job_now_ns() < j->deadline_ns || job_finished(j) ||
	    j->phase == CTL_PHASE_ABORTING || j->committed)
		return;
	if (j->phase != CTL_PHASE_WAITING) {
		/* tell the source: if it is alive but stuck, it rolls back too */
		rollback_start(j, CTL_PHASE_FAILED, PROTO_ERR_TIMEOUT, NULL, true,
			       "no COMMIT from the source %s within %" PRIu64
			       " ms of its PREPARE (phase %s; bound: %s); the devices here are "
			       "reset",
			       j->identity, j->timeout_ms, ctl_job_phase_name(j->phase),
			       j->timeout_source ? "the source's job timeout"
						 : "[limits] dest_timeout");
		return;
	}
	rollback_start(j, CTL_PHASE_FAILED, PROTO_ERR_TOKEN_EXPIRED, NULL, false,
		       "the token expired after %" PRIu64 " s without a PREPARE from %s; "
		       "prepare again",
		       j->timeout_ms / 1000, j->identity);
}
