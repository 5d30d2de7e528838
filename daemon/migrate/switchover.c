/*
 * switchover.c - when and how a source job stops its devices (architecture.md steps 3-4).
 *
 * When: on every wake-up and tick of a pre-copying job, the convergence rule (converge.h) on
 * the streams' numbers: every pre-copy device through its initial bytes, and the estimated
 * stop-copy time within the downtime limit. Automatic switchover then starts at once; a
 * manual one waits in SWITCHOVER_PENDING for job_switchover, which may also force it earlier.
 *
 * How: PEER_SWITCHOVER to the destination (downtime starts), every device to a P2P state
 * first where it has one (RUNNING_P2P, PRE_COPY_P2P), so that no device starts new P2P DMA
 * while the others stop, then each device to STOP_COPY; pre-copy streams carry on to the
 * device's EOF and the other devices' streams start. STOP_COPY -> PRE_COPY is never asked
 * for. Each of the two steps is a group of device changes (change.c): every device's arc runs
 * in its own worker, in parallel, and the next step starts only when every device finished
 * the previous one, so the P2P rule holds while a slow STOP_COPY arc never blocks the loop.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "converge.h"
#include "migrate_int.h"

static int switchover_refuse(struct proto_error *err, uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int switchover_refuse(struct proto_error *err, uint32_t code, const char *fmt, ...)
{
	char msg[PROTO_MESSAGE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_error_set(err, code, NULL, "%s", msg);
	return proto_err_to_errno(code);
}

/* The first device of the group whose change failed, or NULL. */
static struct job_dev *switchover_failed(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (change_failed(&j->dev[i]))
			return &j->dev[i];
	return NULL;
}

/* All devices to a P2P state first (where supported), so none starts new P2P DMA. */
static void switchover_quiesce(struct job *j)
{
	change_group(j, GROUP_SRC_P2P);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];
		enum fsm_state s = device_state(jd->dev);

		if (!(device_caps(jd->dev)->mig_flags & FSM_F_P2P))
			continue;
		if (s != FSM_RUNNING && s != FSM_PRE_COPY)
			continue;
		change_post(j, jd, CHANGE_SET,
			    s == FSM_PRE_COPY ? FSM_PRE_COPY_P2P : FSM_RUNNING_P2P, s);
	}
	change_group_posted(j);
}

/*
 * Then every device to STOP_COPY, all at once. A pre-copy device keeps its session (its
 * stream runs): it recovers to the saving state it was in, so the stream is never pulled from
 * under it. The byte counts are taken now, as the devices leave pre-copy.
 */
static void switchover_stop(struct job *j)
{
	change_group(j, GROUP_SRC_STOP);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];
		enum fsm_state recover = jd->precopy ? device_state(jd->dev) : jd->orig;

		job_dev_snapshot(jd);
		if (jd->precopy)
			jd->estimate = jd->st.precopy_valid
					       ? jd->st.precopy_initial + jd->st.precopy_dirty
					       : 0;
		jd->stopcopy_base = jd->has_st ? jd->st.bytes : 0;
		change_post(j, jd, CHANGE_SET, FSM_STOP_COPY, recover);
	}
	change_group_posted(j);
}

/* Every device is in STOP_COPY: the STOP_COPY phase, and every stream runs. */
static void switchover_stopped(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++)
		j->dev[i].stopcopy = true;
	job_set_phase(j, CTL_PHASE_STOP_COPY);
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (!j->dev[i].stream && source_stream_start(j, &j->dev[i]) < 0)
			return;
}

/* A pre-copy stream that failed while the devices quiesced: no point in stopping them. */
static struct job_dev *switchover_stream_failed(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		job_dev_snapshot(jd);
		if (jd->stream && jd->st.state == STREAM_FAILED)
			return jd;
	}
	return NULL;
}

void switchover_group_done(struct job *j, uint32_t group)
{
	struct job_dev *bad = switchover_failed(j);

	if (bad) {
		job_fail(j, PROTO_ERR_DEVICE_FAILED, bad->source_id, "device %s could not %s: %s",
			 bad->source_id, group == GROUP_SRC_P2P ? "quiesce P2P" : "enter STOP_COPY",
			 bad->chg.c.reason);
		return;
	}
	if (group == GROUP_SRC_P2P && (bad = switchover_stream_failed(j))) {
		job_fail(j, rollback_stream_code(bad->st.error), bad->source_id,
			 "data stream of device %s failed: %s", bad->source_id, bad->st.message);
		return;
	}
	if (group == GROUP_SRC_P2P)
		switchover_stop(j);
	else
		switchover_stopped(j);
}

void switchover_start(struct job *j)
{
	struct peer_msg msg = { .type = FRAME_PEER_SWITCHOVER };

	if (j->switching)
		return;
	msg.u.notice.job_id = j->id;
	if (migrate_send(j, &msg) < 0) {
		job_fail(j, PROTO_ERR_PEER_UNREACHABLE, NULL,
			 "cannot tell the destination about the switchover");
		return;
	}
	j->switching = true;
	j->downtime_start_ns = job_now_ns();
	job_log(j, LOG_LVL_NOTICE, "switchover%s: stopping %u device(s)",
		j->switchover_asked ? " (requested)" : " (converged)", j->n_dev);
	switchover_quiesce(j);
}

/* The numbers convergence is judged on, per device. */
static void switchover_dev(const struct job_dev *jd, struct converge_dev *v)
{
	const struct stream_stats *st = &jd->st;

	v->precopy = jd->precopy;
	if (!jd->precopy) {
		v->remaining = jd->estimate;
		return;
	}
	v->initial_done = st->precopy_valid ? st->precopy_initial == 0 : st->idle_periods > 0;
	if (st->precopy_valid)
		v->remaining = st->precopy_initial + st->precopy_dirty;
	else
		v->remaining = st->state == STREAM_IDLE ? 0 : jd->estimate;
}

/*
 * The bandwidth the stop-copy phase can count on: the highest throughput the job's streams
 * have shown (a moving average over a few seconds, so a lower bound of what the path can do),
 * within the job's and the host's caps as they are now; a cap alone before any measurement.
 */
static uint64_t switchover_bandwidth(const struct job *j)
{
	uint64_t bw = j->bw_measured, caps[2] = { j->bandwidth, ratelimit_rate(j->m->host_limit) };

	for (int i = 0; i < 2; i++)
		if (caps[i] && (!bw || caps[i] < bw))
			bw = caps[i];
	return bw;
}

/*
 * Devices that cannot pre-copy move all their state in the downtime, however long the job
 * waits: when they alone exceed the limit the job cannot converge by itself. Said once, so
 * the orchestrator knows to switch over by hand or to raise the limit.
 */
static void switchover_unreachable(struct job *j, const struct converge_dev *v)
{
	struct converge_dev fixed[PROTO_JOB_DEVICES_MAX];
	uint64_t bw = switchover_bandwidth(j), est;

	if (j->limit_warned || !bw)
		return;
	for (uint32_t i = 0; i < j->n_dev; i++) {
		if (v[i].precopy && !v[i].initial_done)
			return;
		fixed[i] = v[i];
		if (v[i].precopy)
			fixed[i].remaining = 0;
	}
	est = converge_estimate_ms(fixed, j->n_dev, bw);
	if (est <= j->downtime_limit_ms)
		return;
	j->limit_warned = true;
	job_log(j, LOG_LVL_WARNING,
		"the downtime limit (%u ms) cannot be met: the devices without pre-copy alone need "
		"about %" PRIu64 " ms at %" PRIu64 " B/s; switch over by hand or migrate again "
		"with a higher limit",
		j->downtime_limit_ms, est, bw);
}

void switchover_check(struct job *j)
{
	struct converge_dev v[PROTO_JOB_DEVICES_MAX];
	uint64_t rate = 0, est;

	if (j->switchover_asked) {
		switchover_start(j);
		return;
	}
	for (uint32_t i = 0; i < j->n_dev; i++) {
		job_dev_snapshot(&j->dev[i]);
		switchover_dev(&j->dev[i], &v[i]);
		if (j->dev[i].stream)
			rate += j->dev[i].st.rate;
	}
	if (rate > j->bw_measured)
		j->bw_measured = rate;
	if (!j->converged &&
	    converge_ready(v, j->n_dev, switchover_bandwidth(j), j->downtime_limit_ms, &est)) {
		j->converged = true;
		job_log(j, LOG_LVL_INFO,
			"converged: estimated stop-copy time %" PRIu64 " ms (limit %u ms)", est,
			j->downtime_limit_ms);
		job_emit(j, CTL_EVENT_CONVERGED);
	}
	if (!j->converged) {
		switchover_unreachable(j, v);
		return;
	}
	if (!j->switchover_manual)
		switchover_start(j);
	else
		job_set_phase(j, CTL_PHASE_SWITCHOVER_PENDING);
}

int switchover_request(struct job *j, const char *who, struct proto_error *err)
{
	bool now = j->phase == CTL_PHASE_PRECOPY || j->phase == CTL_PHASE_SWITCHOVER_PENDING;

	if (!now && j->phase != CTL_PHASE_CONNECTING && j->phase != CTL_PHASE_PREPARING)
		return switchover_refuse(err, PROTO_ERR_INVALID_ARGUMENT,
					 "job %llu is in phase %s; switchover is possible until "
					 "STOP_COPY",
					 (unsigned long long)j->id, ctl_job_phase_name(j->phase));
	if (j->switching) {
		job_log(j, LOG_LVL_INFO, "switchover requested by %s: already under way", who);
		return 0;
	}
	job_log(j, LOG_LVL_NOTICE, "switchover requested by %s", who);
	audit_job(j, "switchover-request", who);
	j->switchover_asked = true;
	if (now)
		switchover_start(j);
	return 0;
}
