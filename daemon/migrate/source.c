/*
 * source.c - the source side of a migration (architecture.md, "The peer protocol").
 *
 * Phases: CONNECTING (control link) -> PREPARING (PEER_PREPARE sent, then one data stream
 * dialed per device) -> PRECOPY (pre-copy devices stream while running) ->
 * [SWITCHOVER_PENDING: converged, waiting for job_switchover] -> STOP_COPY (devices stopped,
 * final state streaming) -> LOADING (every stream delivered; waiting for PEER_LOADED of every
 * device) -> COMMITTING (COMMIT sent) -> COMPLETED on PEER_RESUMED (resume auto) or
 * PEER_COMMIT_ACK (resume manual). When to switch over, and how, is switchover.c's; any
 * failure before COMMIT goes to rollback.c.
 *
 * The rule this file keeps: device state is never given up before the destination loaded
 * it. COMMIT goes out only after LOADED for every device; from then on nothing is rolled
 * back, and if the link or the timeout ends the job before the destination confirms, the
 * devices stay stopped with their state and the job says so (both stopped, nothing lost,
 * the orchestrator decides). STOP_COPY -> PRE_COPY is never requested.
 *
 * Device state changes are groups run by worker threads (change.c), never on the loop: a vfio
 * driver may take a while for RUNNING -> PRE_COPY, RUNNING -> STOP_COPY (switchover) and
 * STOP_COPY -> STOP (completion, done after the destination runs the devices, as QEMU 8.2
 * moved it out of the downtime). A group's continuation runs once every device finished it;
 * only then does the loop start the streams of the sessions the changes opened, so each
 * session has one user at a time.
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
#include "tls.h"

/* ---- starting ---- */

static int source_refuse(struct proto_error *err, uint32_t code, const char *device,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int source_refuse(struct proto_error *err, uint32_t code, const char *device,
			 const char *fmt, ...)
{
	char msg[PROTO_MESSAGE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_error_set(err, code, device, "%s", msg);
	return proto_err_to_errno(code);
}

/* What claiming cannot check: target ids, the devices' states, the job limit. */
static int source_check(struct migrate *m, const struct ctl_migrate *req, struct proto_error *err)
{
	for (uint32_t i = 0; i < req->n_devices; i++) {
		const struct ctl_map_entry *e = &req->devices[i];
		struct device *d = registry_find(m->devices, e->source_id);

		for (uint32_t k = 0; k < i; k++)
			if (strcmp(req->devices[k].target_id, e->target_id) == 0)
				return source_refuse(err, PROTO_ERR_INVALID_ARGUMENT, e->target_id,
						     "target device '%s' appears twice in the map",
						     e->target_id);
		if (!d)
			return source_refuse(err, PROTO_ERR_NOT_FOUND, e->source_id,
					     "device '%s' not found; device_list shows the "
					     "devices this daemon owns",
					     e->source_id);
		if (device_state(d) == FSM_ERROR)
			return source_refuse(err, PROTO_ERR_DEVICE_FAILED, e->source_id,
					     "device '%s' is in ERROR; reset or re-add it first",
					     e->source_id);
		if (device_state(d) != FSM_RUNNING && device_state(d) != FSM_STOP &&
		    registry_owner(m->devices, e->source_id) == REGISTRY_FREE)
			return source_refuse(err, PROTO_ERR_INVALID_ARGUMENT, e->source_id,
					     "device '%s' is in %s; a migration starts from "
					     "RUNNING or STOP",
					     e->source_id, fsm_state_name(device_state(d)));
	}
	if (migrate_count_active(m) >= m->limits.max_jobs)
		return source_refuse(err, PROTO_ERR_RESOURCE_EXHAUSTED, NULL,
				     "%u migration jobs are running, the limit "
				     "([limits] max_jobs); wait for one to finish",
				     m->limits.max_jobs);
	return 0;
}

/* The full stop-copy size of a device: MIG_DATA_SIZE, else the backend's estimate. */
static uint64_t source_estimate(struct device *d)
{
	uint64_t n;

	if (device_caps(d)->data_size && backend_data_size(device_backend(d), &n) == 0)
		return n;
	return device_desc(d)->state_size;
}

static int source_fill(struct job *j, const struct ctl_migrate *req, const char *who)
{
	struct migrate *m = j->m;

	snprintf(j->who, sizeof(j->who), "%s", who);
	snprintf(j->peer, sizeof(j->peer), "%s", req->peer);
	snprintf(j->token, sizeof(j->token), "%s", req->token);
	j->precopy = req->precopy;
	j->switchover_manual = req->switchover == CTL_SWITCHOVER_MANUAL;
	j->resume_manual = req->resume == CTL_RESUME_MANUAL;
	j->downtime_limit_ms =
		req->downtime_limit_ms ? req->downtime_limit_ms : MIGRATE_DOWNTIME_MS_DEFAULT;
	j->timeout_ms = req->timeout_s ? (uint64_t)req->timeout_s * 1000 : m->limits.job_timeout_ms;
	if (j->timeout_ms)
		j->deadline_ns = j->created_ns + j->timeout_ms * 1000000u;
	j->bandwidth = req->bandwidth_bps;
	ratelimit_set_rate(j->limit, j->bandwidth);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		const struct ctl_map_entry *e = &req->devices[i];
		struct job_dev *jd = &j->dev[i];

		snprintf(jd->source_id, sizeof(jd->source_id), "%s", e->source_id);
		snprintf(jd->target_id, sizeof(jd->target_id), "%s", e->target_id);
		if (e->metadata_len) {
			jd->metadata = malloc(e->metadata_len);
			if (!jd->metadata)
				return -ENOMEM;
			memcpy(jd->metadata, e->metadata, e->metadata_len);
			jd->metadata_len = e->metadata_len;
		}
	}
	return 0;
}

/* Claims the devices and records where each starts. */
static int source_claim(struct job *j, struct proto_error *err)
{
	const char *ids[PROTO_JOB_DEVICES_MAX];
	char who[80];
	size_t bad = 0;
	int r;

	for (uint32_t i = 0; i < j->n_dev; i++)
		ids[i] = j->dev[i].source_id;
	r = registry_claim(j->m->devices, ids, j->n_dev, j->id, &bad);
	if (r == -EBUSY)
		return source_refuse(err, PROTO_ERR_BUSY, ids[bad],
				     "device '%s' belongs to %s; wait for it or cancel it",
				     ids[bad],
				     registry_owner_desc(registry_owner(j->m->devices, ids[bad]),
							 who, sizeof(who)));
	if (r < 0)
		return source_refuse(err, proto_err_from_errno(r), ids[bad],
				     "device '%s' cannot be claimed: %s", ids[bad], strerror(-r));
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		jd->dev = registry_find(j->m->devices, jd->source_id);
		jd->orig = device_state(jd->dev);
		jd->estimate = source_estimate(jd->dev);
	}
	return 0;
}

static void source_audit_start(struct job *j)
{
	char map[512];

	job_log(j, LOG_LVL_NOTICE,
		"migration to %s requested by %s: devices %s; pre-copy %s, switchover %s, "
		"resume %s, downtime limit %u ms, bandwidth %" PRIu64 " B/s%s, timeout %" PRIu64
		" ms%s",
		j->peer, j->who, job_devices_str(j, " ", map, sizeof(map)),
		j->precopy ? "on" : "off", j->switchover_manual ? "manual" : "auto",
		j->resume_manual ? "manual" : "auto", j->downtime_limit_ms, j->bandwidth,
		j->bandwidth ? "" : " (unlimited)", j->timeout_ms, j->timeout_ms ? "" : " (none)");
}

int source_start(struct migrate *m, const struct ctl_migrate *req, const char *who,
		 uint64_t *ret_id, struct proto_error *err)
{
	struct job *j = NULL;
	int r;

	r = source_check(m, req, err);
	if (r < 0)
		return r;
	r = job_new(m, CTL_ROLE_SOURCE, req->n_devices, CTL_PHASE_CONNECTING, &j);
	if (r == 0)
		r = source_fill(j, req, who);
	if (r < 0) {
		job_free(j);
		return source_refuse(err, PROTO_ERR_INTERNAL, NULL,
				     "the daemon is out of memory; try again later");
	}
	r = source_claim(j, err);
	if (r < 0) {
		job_free(j);
		return r;
	}
	source_audit_start(j);
	audit_job(j, "start", who);
	job_emit(j, CTL_EVENT_JOB_CREATED);
	r = migrate_connect(j);
	if (r < 0)
		job_fail(j, PROTO_ERR_PEER_UNREACHABLE, NULL, "cannot connect to %s: %s", j->peer,
			 r == -ENOTCONN ? "this daemon has no peer links" : strerror(-r));
	*ret_id = j->id;
	return 0;
}

/* ---- PREPARE ---- */

static uint32_t source_link_code(int err)
{
	switch (err) {
	case -EACCES:
	case -ENOKEY:
		return PROTO_ERR_TLS_FAILED;
	case -EPROTONOSUPPORT:
		return PROTO_ERR_INCOMPATIBLE;
	default:
		return PROTO_ERR_PEER_UNREACHABLE;
	}
}

static void source_prepare_fill(const struct job *j, struct peer_prepare *p)
{
	p->job_id = j->id;
	snprintf(p->token, sizeof(p->token), "%s", j->token);
	p->n_devices = j->n_dev;
	p->precopy = j->precopy;
	p->resume_manual = j->resume_manual;
	p->downtime_limit_ms = j->downtime_limit_ms;
	if (j->deadline_ns) {
		uint64_t now = job_now_ns();

		/* at least 1 ms: 0 would mean "no timeout" */
		p->timeout_ms = j->deadline_ns > now ? (j->deadline_ns - now) / 1000000u : 1;
		if (!p->timeout_ms)
			p->timeout_ms = 1;
	}
	for (uint32_t i = 0; i < j->n_dev; i++) {
		const struct job_dev *jd = &j->dev[i];
		const struct backend_desc *desc = device_desc(jd->dev);
		struct peer_prepare_device *pd = &p->devices[i];

		snprintf(pd->source_id, sizeof(pd->source_id), "%s", jd->source_id);
		snprintf(pd->target_id, sizeof(pd->target_id), "%s", jd->target_id);
		pd->migration_flags = device_caps(jd->dev)->mig_flags;
		snprintf(pd->compat.driver, sizeof(pd->compat.driver), "%s", desc->driver);
		snprintf(pd->compat.model, sizeof(pd->compat.model), "%s", desc->model);
		pd->compat.state_size = jd->estimate;
		/* the message only reads the metadata: it stays the job's */
		pd->metadata = jd->metadata;
		pd->metadata_len = jd->metadata_len;
	}
}

void source_connected(struct job *j, struct peer_link *link, int err, const char *why)
{
	struct peer_msg *msg;

	if (err < 0) {
		job_fail(j, source_link_code(err), NULL, "cannot reach the destination: %s", why);
		return;
	}
	if (j->resume_manual && !(peer_link_features(link) & PROTO_FEAT_MANUAL_RESUME)) {
		job_fail(j, PROTO_ERR_INCOMPATIBLE, NULL,
			 "the destination %s does not support manual resume; upgrade it or use "
			 "resume auto",
			 peer_link_address(link));
		return;
	}
	j->link = link;
	snprintf(j->identity, sizeof(j->identity), "%s", peer_link_identity(link));
	msg = calloc(1, sizeof(*msg));
	if (!msg) {
		job_fail(j, PROTO_ERR_INTERNAL, NULL, "out of memory building PREPARE");
		return;
	}
	msg->type = FRAME_PEER_PREPARE;
	source_prepare_fill(j, &msg->u.prepare);
	err = migrate_send(j, msg);
	free(msg);
	if (err < 0) {
		job_fail(j,
			 err == -EINVAL ? PROTO_ERR_INVALID_ARGUMENT : PROTO_ERR_PEER_UNREACHABLE,
			 NULL, "cannot send PREPARE to %s: %s", j->peer, strerror(-err));
		return;
	}
	j->peer_knows = true;
	j->reply_deadline_ns = job_now_ns() + (uint64_t)MIGRATE_PREPARE_TIMEOUT_MS * 1000000u;
	job_log(j, LOG_LVL_INFO, "PREPARE sent to %s (%s)", j->peer, j->identity);
	job_set_phase(j, CTL_PHASE_PREPARING);
}

/* ---- data streams ---- */

int source_stream_start(struct job *j, struct job_dev *jd)
{
	struct stream_config c = {
		.role = STREAM_SEND,
		.name = jd->source_id,
		.backend = device_backend(jd->dev),
		.fd = jd->fd,
		.tls = jd->tls,
		.device_index = jd->index,
		.job_limit = j->limit,
		.host_limit = j->m->host_limit,
		.notify = migrate_stream_notify,
		.notify_arg = j->m,
		.poll_ms = MIGRATE_POLL_MS,
		.stall_ms = MIGRATE_SEND_STALL_MS,
	};
	int r = stream_start(&c, &jd->stream);

	if (r < 0) {
		job_fail(j, PROTO_ERR_INTERNAL, jd->source_id,
			 "cannot start the data stream of device %s: %s", jd->source_id,
			 strerror(-r));
		return r;
	}
	jd->fd = -1;
	jd->tls = NULL;
	job_dev_snapshot(jd);
	return 0;
}

/* Every stream is connected: pre-copy devices enter PRE_COPY (GROUP_SRC_PRECOPY). */
static void source_begin(struct job *j)
{
	change_group(j, GROUP_SRC_PRECOPY);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (!j->precopy || !(device_caps(jd->dev)->mig_flags & FSM_F_PRE_COPY) ||
		    device_state(jd->dev) != FSM_RUNNING)
			continue;
		change_post(j, jd, CHANGE_SET, FSM_PRE_COPY, FSM_RUNNING);
	}
	change_group_posted(j);
}

/* ... then they start streaming; the rest wait for the switchover. */
static void source_begun(struct job *j)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (change_failed(jd)) {
			job_fail(j, PROTO_ERR_DEVICE_FAILED, jd->source_id,
				 "device %s could not start pre-copy: %s", jd->source_id,
				 jd->chg.c.reason);
			return;
		}
	}
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (!jd->chg.posted)
			continue;
		jd->precopy = true;
		if (source_stream_start(j, jd) < 0)
			return;
		n++;
	}
	job_log(j, LOG_LVL_INFO, "%u data stream(s) connected; %u device(s) pre-copying", j->n_dev,
		n);
	if (n)
		job_set_phase(j, CTL_PHASE_PRECOPY);
	switchover_check(j);
}

static void source_dialed(void *arg, int err, const char *why, struct peer_stream_dialed *s)
{
	struct job_dev *jd = arg;
	struct job *j = jd->job;

	jd->dialing = false;
	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING) {
		if (s) {
			tls_conn_free(s->tls);
			close(s->fd);
		}
		return;
	}
	if (err < 0) {
		job_fail(j, source_link_code(err), jd->source_id, "data stream for device %s: %s",
			 jd->source_id, why);
		return;
	}
	jd->fd = s->fd;
	jd->tls = s->tls;
	if (strcmp(s->identity, j->identity) != 0) {
		job_fail(j, PROTO_ERR_TLS_FAILED, jd->source_id,
			 "the data stream for device %s reached %s, but the control link "
			 "reached %s",
			 jd->source_id, s->identity, j->identity);
		return;
	}
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (j->dev[i].fd < 0)
			return;
	source_begin(j);
}

static void source_dial(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];
		struct peer_stream_hello h = { .job_id = j->peer_job, .device_index = jd->index };
		int r;

		snprintf(h.token, sizeof(h.token), "%s", j->token);
		r = peer_stream_connect(j->m->peers, j->peer, NULL, &h, source_dialed, jd);
		if (r < 0) {
			job_fail(j, PROTO_ERR_INTERNAL, jd->source_id,
				 "cannot dial the data stream of device %s: %s", jd->source_id,
				 strerror(-r));
			return;
		}
		jd->dialing = true;
	}
}

/* ---- load, commit, completion ---- */

static void source_commit(struct job *j)
{
	struct peer_msg msg = { .type = FRAME_PEER_COMMIT };

	msg.u.notice.job_id = j->id;
	if (migrate_send(j, &msg) < 0) {
		job_fail(j, PROTO_ERR_PEER_UNREACHABLE, NULL,
			 "cannot send COMMIT (the destination did not get it)");
		return;
	}
	j->committed = true;
	j->commit_ns = job_now_ns();
	for (uint32_t i = 0; i < j->n_dev; i++)
		job_dev_drop_stream(&j->dev[i]);
	job_log(j, LOG_LVL_NOTICE,
		"commit: the destination loaded every device (%" PRIu64 " bytes); COMMIT sent",
		job_bytes(j));
	job_set_phase(j, CTL_PHASE_COMMITTING);
}

/* The job is over on this side (the destination confirmed, or COMMIT's fate is unknown): the
 * source's devices leave STOP_COPY for STOP (GROUP_SRC_DONE), ending their save sessions and
 * keeping their state, out of the downtime, as QEMU 8.2 does. */
static void source_stop_devices(struct job *j)
{
	j->completing = true;
	change_group(j, GROUP_SRC_DONE);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (device_state(jd->dev) == FSM_STOP_COPY)
			change_post(j, jd, CHANGE_KEEP, FSM_STOP, FSM_STOP);
	}
	change_group_posted(j);
}

/* The destination runs the devices (or waits for its manual resume). */
static void source_complete(struct job *j, bool resumed)
{
	if (resumed)
		j->downtime_ms = (job_now_ns() - j->downtime_start_ns) / 1000000;
	j->resumed = resumed;
	source_stop_devices(j);
}

static void source_completed(struct job *j)
{
	struct ctl_job_status *st = malloc(sizeof(*st));
	bool resumed = j->resumed;

	job_release(j);
	job_set_phase(j, CTL_PHASE_COMPLETED);
	if (st)
		job_status(j, st);
	job_log(j, LOG_LVL_NOTICE,
		"completed: %u device(s) to %s, %" PRIu64 " bytes in %" PRIu64 " ms, %" PRIu64
		" B/s, downtime %s%" PRIu64 " ms (limit %u ms); the source devices stay "
		"stopped",
		j->n_dev, j->peer, job_bytes(j), st ? st->elapsed_ms : 0,
		st ? st->throughput_bps : 0, resumed ? "" : "(until COMMIT_ACK, manual resume) ",
		resumed ? j->downtime_ms : (j->commit_ns - j->downtime_start_ns) / 1000000,
		j->downtime_limit_ms);
	free(st);
}

void source_group_done(struct job *j, uint32_t group)
{
	if (group == GROUP_SRC_PRECOPY) {
		source_begun(j);
	} else if (j->commit_unknown) {
		change_append_failures(j, &j->error);
		job_release(j);
		job_set_phase(j, CTL_PHASE_FAILED);
	} else {
		source_completed(j);
	}
}

/*
 * Past COMMIT the destination may run the devices: nothing is rolled back. The devices stop
 * here (STOP_COPY -> STOP: the save session ends, the state stays) and are released; the
 * orchestrator decides.
 */
static void source_fail_committed(struct job *j, uint32_t code, const char *why)
{
	proto_error_set(&j->error, code, NULL,
			"past COMMIT, %s; nothing was rolled back: the source devices stay stopped "
			"with their state; check destination job %llu on %s: if it completed, the "
			"devices run there, otherwise start them here",
			why, (unsigned long long)j->peer_job, j->peer);
	job_log(j, LOG_LVL_ERR, "failed: %s", j->error.message);
	j->commit_unknown = true;
	source_stop_devices(j);
}

void source_poll(struct job *j)
{
	bool done = true, loaded = true;

	if (j->phase == CTL_PHASE_CONNECTING || j->phase == CTL_PHASE_COMMITTING)
		return;
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		job_dev_snapshot(jd);
		if (jd->stream && jd->st.state == STREAM_FAILED) {
			job_fail(j, rollback_stream_code(jd->st.error), jd->source_id,
				 "data stream of device %s failed: %s", jd->source_id,
				 jd->st.message);
			return;
		}
		done &= jd->stream && jd->st.state == STREAM_DONE;
		loaded &= jd->loaded;
	}
	if (j->phase == CTL_PHASE_PRECOPY || j->phase == CTL_PHASE_SWITCHOVER_PENDING)
		switchover_check(j);
	else if (j->phase == CTL_PHASE_STOP_COPY && done)
		job_set_phase(j, CTL_PHASE_LOADING);
	if (j->phase == CTL_PHASE_LOADING && done && loaded)
		source_commit(j);
}

static void source_on_reply(struct job *j, const struct peer_prepare_reply *r)
{
	if (j->phase != CTL_PHASE_PREPARING || j->peer_job) {
		job_log(j, LOG_LVL_WARNING, "unexpected PREPARE_REPLY in phase %s; ignored",
			ctl_job_phase_name(j->phase));
		return;
	}
	j->reply_deadline_ns = 0;
	if (r->error.code != PROTO_ERR_OK) {
		j->peer_knows = false;
		job_fail(j, r->error.code, r->error.device[0] ? r->error.device : NULL,
			 "the destination refused the migration: %s", r->error.message);
		return;
	}
	j->peer_job = r->dest_job_id;
	job_log(j, LOG_LVL_INFO,
		"the destination accepted as its job %llu; dialing %u data "
		"stream(s)",
		(unsigned long long)j->peer_job, j->n_dev);
	source_dial(j);
}

static struct job_dev *source_dev(struct job *j, uint32_t index, const char *what)
{
	if (index < j->n_dev)
		return &j->dev[index];
	job_fail(j, PROTO_ERR_PROTOCOL, NULL, "%s names device index %u, the job has %u", what,
		 index, j->n_dev);
	return NULL;
}

static void source_on_load(struct job *j, const struct peer_msg *msg)
{
	const struct peer_load *l = &msg->u.load;
	struct job_dev *jd = source_dev(j, l->device_index, frame_type_name(msg->type));

	if (!jd)
		return;
	if (msg->type == FRAME_PEER_LOAD_FAILED) {
		job_fail(j, l->error.code, jd->source_id,
			 "the destination could not load device %s (its %s): %s", jd->source_id,
			 jd->target_id, l->error.message);
		return;
	}
	if (j->phase != CTL_PHASE_STOP_COPY && j->phase != CTL_PHASE_LOADING) {
		job_fail(j, PROTO_ERR_PROTOCOL, jd->source_id, "LOADED for device %s in phase %s",
			 jd->source_id, ctl_job_phase_name(j->phase));
		return;
	}
	jd->loaded = true;
	job_log(j, LOG_LVL_INFO, "device %s loaded on the destination as %s", jd->source_id,
		jd->target_id);
	source_poll(j);
}

static void source_on_notice(struct job *j, const struct peer_msg *msg)
{
	if (!j->committed) {
		job_fail(j, PROTO_ERR_PROTOCOL, NULL, "%s before COMMIT",
			 frame_type_name(msg->type));
		return;
	}
	if (msg->type == FRAME_PEER_COMMIT_ACK) {
		j->commit_acked = true;
		job_log(j, LOG_LVL_INFO, "COMMIT acknowledged%s",
			j->resume_manual ? "; the destination waits for a manual resume" : "");
		if (j->resume_manual)
			source_complete(j, false);
		return;
	}
	source_complete(j, true);
}

void source_on_message(struct job *j, const struct peer_msg *msg)
{
	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING || j->completing)
		return;
	switch (msg->type) {
	case FRAME_PEER_PREPARE_REPLY:
		source_on_reply(j, &msg->u.prepare_reply);
		break;
	case FRAME_PEER_LOADED:
	case FRAME_PEER_LOAD_FAILED:
		source_on_load(j, msg);
		break;
	case FRAME_PEER_COMMIT_ACK:
	case FRAME_PEER_RESUMED:
		source_on_notice(j, msg);
		break;
	case FRAME_PEER_ABORT:
		if (j->committed) {
			char what[PROTO_MESSAGE_MAX + 32];

			snprintf(what, sizeof(what), "the destination failed (%s)",
				 msg->u.abort.reason.message);
			source_fail_committed(j, msg->u.abort.reason.code, what);
			return;
		}
		rollback_start(j,
			       msg->u.abort.reason.code == PROTO_ERR_CANCELLED ? CTL_PHASE_CANCELLED
									       : CTL_PHASE_FAILED,
			       msg->u.abort.reason.code, NULL, false,
			       "the destination aborted the migration: %s",
			       msg->u.abort.reason.message);
		break;
	default:
		job_log(j, LOG_LVL_WARNING, "%s from the destination makes no sense here; ignored",
			frame_type_name(msg->type));
	}
}

void source_link_closed(struct job *j, int err, const char *why)
{
	char what[PROTO_MESSAGE_MAX / 2];

	if (j->completing)
		return; /* the destination confirmed: only the devices' STOP is left */
	snprintf(what, sizeof(what), "the link to %s was lost (%s)%s", j->peer, why,
		 !j->committed	   ? ""
		 : j->commit_acked ? " after the destination acknowledged COMMIT"
				   : " and whether the destination got COMMIT is not known");
	if (j->committed) {
		source_fail_committed(j, PROTO_ERR_PEER_UNREACHABLE, what);
		return;
	}
	rollback_start(j, CTL_PHASE_FAILED, PROTO_ERR_PEER_UNREACHABLE, NULL, false,
		       "%s in phase %s", what, ctl_job_phase_name(j->phase));
}

void source_tick(struct job *j)
{
	uint64_t now = job_now_ns();
	char what[128];

	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING || j->completing)
		return;
	if (j->reply_deadline_ns && now >= j->reply_deadline_ns) {
		job_fail(j, PROTO_ERR_TIMEOUT, NULL, "no PREPARE_REPLY from %s within %u ms",
			 j->peer, MIGRATE_PREPARE_TIMEOUT_MS);
		return;
	}
	if (!j->deadline_ns || now < j->deadline_ns)
		return;
	snprintf(what, sizeof(what), "the job timeout (%" PRIu64 " ms) passed", j->timeout_ms);
	if (j->committed)
		source_fail_committed(j, PROTO_ERR_TIMEOUT, what);
	else
		job_fail(j, PROTO_ERR_TIMEOUT, NULL, "%s in phase %s", what,
			 ctl_job_phase_name(j->phase));
}
