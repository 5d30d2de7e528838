/*
 * job.c - one migration job, either side: its life from creation to being freed after its
 * TTL, the one phase setter, the status the control API reports, the events, and JOB_WAIT
 * calls. Device changes made on the job's behalf are change.c's.
 *
 * What the phases mean is in control.proto (JobPhase); which side goes through which, and
 * why, is in source.c and dest.c. Terminal phases (COMPLETED, FAILED, CANCELLED) are reached
 * once: the job then stops its tick, drops any transport left, answers its waits, emits
 * FINISHED and stays queryable for limits.finished_job_ttl_ms.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "migrate_int.h"
#include "registry.h"
#include "tls.h"

uint64_t job_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t job_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool job_finished(const struct job *j)
{
	return ctl_job_phase_terminal(j->phase);
}

struct job *job_find(struct migrate *m, uint64_t id)
{
	struct job *j;

	TAILQ_FOREACH(j, &m->jobs, entry)
	if (j->id == id)
		return j;
	return NULL;
}

const char *job_dev_id(const struct job *j, const struct job_dev *jd)
{
	return j->role == CTL_ROLE_SOURCE ? jd->source_id : jd->target_id;
}

void job_dev_snapshot(struct job_dev *jd)
{
	if (!jd->stream)
		return;
	stream_stats(jd->stream, &jd->st);
	jd->has_st = true;
}

const char *job_devices_str(const struct job *j, const char *sep, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < j->n_dev && off < len; i++) {
		const struct job_dev *jd = &j->dev[i];
		int n;

		if (*jd->source_id)
			n = snprintf(buf + off, len - off, "%s%s->%s", i ? sep : "", jd->source_id,
				     jd->target_id);
		else
			n = snprintf(buf + off, len - off, "%s%s", i ? sep : "", jd->target_id);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

uint64_t job_bytes(const struct job *j)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < j->n_dev; i++)
		n += j->dev[i].has_st ? j->dev[i].st.bytes : 0;
	return n;
}

/* Whether any of the job's streams still moves bytes (PROGRESS is about them). */
static bool job_streaming(const struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (j->dev[i].stream)
			return true;
	return false;
}

/* The tick: deadlines, streams, convergence, progress while streams run. */
static void job_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	change_watch(j);
	if (j->role == CTL_ROLE_SOURCE)
		source_tick(j);
	else
		dest_tick(j);
	if (!job_finished(j))
		migrate_poll(j);
	if (!job_finished(j) && job_streaming(j))
		job_progress(j, false);
}

static void job_on_ttl(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	job_log(j, LOG_LVL_DEBUG, "finished %llu ms ago; forgotten",
		(unsigned long long)(job_now_ns() - j->finished_ns) / 1000000);
	job_free(j);
}

int job_new(struct migrate *m, uint32_t role, uint32_t n, uint32_t first, struct job **ret)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = MIGRATE_TICK_MS * 1000 };
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->m = m;
	j->id = m->next_id++;
	j->role = role;
	j->phase = first;
	j->n_dev = n;
	TAILQ_INIT(&j->waiters);
	for (uint32_t i = 0; i < n; i++) {
		j->dev[i].job = j;
		j->dev[i].index = i;
		j->dev[i].fd = -1;
	}
	j->created_ns = job_now_ns();
	j->created_ms = job_unix_ms();
	j->tick = event_new(m->base, -1, EV_PERSIST, job_on_tick, j);
	j->ttl = evtimer_new(m->base, job_on_ttl, j);
	if (!j->tick || !j->ttl || ratelimit_new(0, 0, &j->limit) < 0 ||
	    event_add(j->tick, &tv) < 0) {
		if (j->tick)
			event_free(j->tick);
		if (j->ttl)
			event_free(j->ttl);
		ratelimit_free(j->limit);
		free(j);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&m->jobs, j, entry);
	*ret = j;
	return 0;
}

void job_dev_drop_stream(struct job_dev *jd)
{
	if (!jd->stream)
		return;
	stream_cancel(jd->stream);
	stream_wait(jd->stream, -1);
	job_dev_snapshot(jd);
	stream_free(jd->stream);
	jd->stream = NULL;
}

/* Streams, dials and dialed connections a finished job no longer needs. */
static void job_drop_transport(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (jd->dialing && j->m->peers)
			peer_stream_cancel(j->m->peers, jd);
		jd->dialing = false;
		job_dev_drop_stream(jd);
		if (jd->tls)
			tls_conn_free(jd->tls);
		jd->tls = NULL;
		if (jd->fd >= 0)
			close(jd->fd);
		jd->fd = -1;
	}
}

void job_release(struct job *j)
{
	/* the claim covers every change: none may outlive it (the groups see to that) */
	change_join_all(j);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (jd->dev)
			jd->last = device_state(jd->dev);
		jd->dev = NULL;
	}
	registry_release(j->m->devices, j->id);
}

void job_free(struct job *j)
{
	struct proto_error e;

	if (!j)
		return;
	proto_error_set(&e, PROTO_ERR_CANCELLED, NULL, "job %llu is gone",
			(unsigned long long)j->id);
	job_wait_complete_all(j, -ECANCELED, &e);
	change_join_all(j);
	job_drop_transport(j);
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (j->dev[i].dev) {
			job_release(j);
			break;
		}
	for (uint32_t i = 0; i < j->n_dev; i++)
		free(j->dev[i].metadata);
	event_free(j->tick);
	event_free(j->ttl);
	ratelimit_free(j->limit);
	TAILQ_REMOVE(&j->m->jobs, j, entry);
	free(j);
}

/* ---- status ---- */

static uint64_t job_dev_remaining(const struct job *j, const struct job_dev *jd,
				  const struct stream_stats *st, bool has_st)
{
	uint64_t moved;

	if (has_st && (st->state == STREAM_DONE || st->end))
		return 0;
	if (j->role == CTL_ROLE_DESTINATION) {
		moved = has_st ? st->bytes : 0;
		return jd->estimate > moved ? jd->estimate - moved : 0;
	}
	if (has_st && !jd->stopcopy && st->precopy_valid)
		return st->precopy_initial + st->precopy_dirty;
	moved = has_st && jd->stopcopy ? st->bytes - jd->stopcopy_base : 0;
	return jd->estimate > moved ? jd->estimate - moved : 0;
}

/* Recent throughput while streams run; the average over the transfer once finished. */
static uint64_t job_throughput(const struct job *j, const struct stream_stats *st, const bool *has)
{
	uint64_t rate = 0, bytes = 0, first = 0, last = 0;

	for (uint32_t i = 0; i < j->n_dev; i++) {
		if (!has[i])
			continue;
		rate += st[i].rate;
		bytes += st[i].bytes;
		if (!first || st[i].started_ns < first)
			first = st[i].started_ns;
		if (st[i].finished_ns > last)
			last = st[i].finished_ns;
	}
	if (!job_finished(j) || !first || last <= first)
		return job_finished(j) ? 0 : rate;
	return bytes * 1000000000u / (last - first);
}

void job_status(const struct job *j, struct ctl_job_status *ret)
{
	struct stream_stats st[PROTO_JOB_DEVICES_MAX];
	bool has[PROTO_JOB_DEVICES_MAX];
	uint64_t end = j->finished_ns ? j->finished_ns : job_now_ns();

	memset(ret, 0, sizeof(*ret));
	ret->job_id = j->id;
	ret->role = j->role;
	ret->phase = j->phase;
	snprintf(ret->peer, sizeof(ret->peer), "%s", j->peer);
	ret->n_devices = j->n_dev;
	for (uint32_t i = 0; i < j->n_dev; i++) {
		const struct job_dev *jd = &j->dev[i];
		struct ctl_device_progress *p = &ret->devices[i];

		has[i] = jd->stream || jd->has_st;
		if (jd->stream)
			stream_stats(jd->stream, &st[i]);
		else if (jd->has_st)
			st[i] = jd->st;
		snprintf(p->source_id, sizeof(p->source_id), "%s", jd->source_id);
		snprintf(p->target_id, sizeof(p->target_id), "%s", jd->target_id);
		p->state = (uint32_t)(jd->dev ? device_state(jd->dev) : jd->last);
		p->bytes_sent = has[i] ? st[i].bytes : 0;
		p->bytes_acked = has[i] ? st[i].bytes_acked : 0;
		p->bytes_remaining = job_dev_remaining(j, jd, &st[i], has[i]);
		p->reset = jd->reset;
		if (jd->chg.busy) {
			p->changing_to = (uint32_t)jd->chg.target;
			p->changing_ms = (job_now_ns() - jd->chg.posted_ns) / 1000000;
			p->changing = true;
		}
		if (has[i] && j->role == CTL_ROLE_SOURCE &&
		    st[i].idle_periods > ret->precopy_iterations)
			ret->precopy_iterations = (uint32_t)st[i].idle_periods;
	}
	ret->throughput_bps = job_throughput(j, st, has);
	ret->elapsed_ms = (end - j->created_ns) / 1000000;
	ret->downtime_ms = j->downtime_ms;
	ret->started_at_ms = j->created_ms;
	ret->finished_at_ms = j->finished_ms;
	ret->bandwidth_bps = j->bandwidth;
	ret->downtime_limit_ms = j->downtime_limit_ms;
	ret->switchover = j->switchover_manual ? CTL_SWITCHOVER_MANUAL : CTL_SWITCHOVER_AUTO;
	ret->resume = j->resume_manual ? CTL_RESUME_MANUAL : CTL_RESUME_AUTO;
	ret->error = j->error;
}

/* ---- events ---- */

static struct ctl_event *job_event(struct job *j, uint32_t kind)
{
	struct ctl_event *ev = j->m->ev;

	memset(ev, 0, sizeof(*ev));
	ev->job_id = j->id;
	ev->kind = kind;
	ev->phase = j->phase;
	ev->time_ms = job_unix_ms();
	return ev;
}

void job_emit(struct job *j, uint32_t kind)
{
	struct ctl_event *ev;

	if (!j->m->on_event)
		return;
	ev = job_event(j, kind);
	ev->has_status = true;
	job_status(j, &ev->status);
	if (kind == CTL_EVENT_FINISHED)
		ev->error = j->error;
	j->m->on_event(j->m->event_arg, ev);
}

void job_progress(struct job *j, bool force)
{
	uint64_t now = job_now_ns();

	if (!force && now - j->last_progress_ns < (uint64_t)MIGRATE_PROGRESS_MS * 1000000u)
		return;
	j->last_progress_ns = now;
	job_emit(j, CTL_EVENT_PROGRESS);
}

void job_emit_device(struct job *j, const struct job_dev *jd, enum fsm_state s)
{
	struct ctl_event *ev;

	if (!j->m->on_event)
		return;
	ev = job_event(j, CTL_EVENT_DEVICE_STATE);
	snprintf(ev->device, sizeof(ev->device), "%s", job_dev_id(j, jd));
	ev->device_state = (uint32_t)s;
	j->m->on_event(j->m->event_arg, ev);
}

/* ---- phases ---- */

static void job_finish(struct job *j)
{
	struct timeval ttl = {
		.tv_sec = (time_t)(j->m->limits.finished_job_ttl_ms / 1000),
		.tv_usec = (suseconds_t)(j->m->limits.finished_job_ttl_ms % 1000) * 1000,
	};

	event_del(j->tick);
	job_drop_transport(j);
	job_emit(j, CTL_EVENT_FINISHED);
	job_wait_complete_all(j, 0, NULL);
	if (!j->m->stopping)
		event_add(j->ttl, &ttl);
}

void job_set_phase(struct job *j, uint32_t phase)
{
	if (phase == j->phase || job_finished(j))
		return;
	job_log(j, LOG_LVL_INFO, "%s -> %s", ctl_job_phase_name(j->phase),
		ctl_job_phase_name(phase));
	j->phase = phase;
	if (job_finished(j)) {
		j->finished_ns = job_now_ns();
		j->finished_ms = job_unix_ms();
	}
	audit_phase(j);
	job_emit(j, CTL_EVENT_PHASE);
	if (job_finished(j))
		job_finish(j);
}

/* ---- waits ---- */

static void job_waiter_free(struct job_waiter *w)
{
	TAILQ_REMOVE(&w->job->waiters, w, entry);
	if (w->timer)
		event_free(w->timer);
	free(w);
}

static void job_on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job_waiter *w = arg;
	struct ctl_job_status *st = malloc(sizeof(*st));
	struct proto_error e;

	proto_error_set(&e, PROTO_ERR_TIMEOUT, NULL,
			"job %llu is still in phase %s after %u ms; wait again or cancel it",
			(unsigned long long)w->job->id, ctl_job_phase_name(w->job->phase),
			w->timeout_ms);
	if (st)
		job_status(w->job, st);
	w->done(w->arg, -ETIMEDOUT, &e, st);
	free(st);
	job_waiter_free(w);
}

int job_wait_add(struct job *j, uint32_t timeout_ms, migrate_wait_fn *done, void *arg)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct job_waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->job = j;
	w->done = done;
	w->arg = arg;
	w->timeout_ms = timeout_ms;
	if (timeout_ms) {
		w->timer = evtimer_new(j->m->base, job_on_wait_timeout, w);
		if (!w->timer || evtimer_add(w->timer, &tv) < 0) {
			if (w->timer)
				event_free(w->timer);
			free(w);
			return -ENOMEM;
		}
	}
	TAILQ_INSERT_TAIL(&j->waiters, w, entry);
	return 0;
}

void job_wait_complete_all(struct job *j, int err, const struct proto_error *e)
{
	struct ctl_job_status *st;
	struct job_waiter *w;

	if (TAILQ_EMPTY(&j->waiters))
		return;
	st = malloc(sizeof(*st));
	if (st)
		job_status(j, st);
	while ((w = TAILQ_FIRST(&j->waiters))) {
		w->done(w->arg, st || err ? err : -ENOMEM, e, st);
		job_waiter_free(w);
	}
	free(st);
}
