/*
 * change.c - a job's device state changes, made off the event loop (issue #4: the loop never
 * blocks). A VFIO driver may take seconds for one arc (RUNNING -> STOP_COPY saves the whole
 * device, RESUMING -> STOP validates it); on the loop that would stall keepalives, the control
 * socket and every other job.
 *
 * One thread per change: change_post() fills the device's slot (struct change in
 * migrate_int.h) and starts a thread that calls the unchanged device_set_state() (or
 * device_reset()); device.c's arc-by-arc walk and recovery stay as they are. The thread stores
 * its result and the time the device call returned, sets done and writes the engine's eventfd
 * (the path stream workers use, migrate_stream_notify()); the loop's migrate_poll() collects
 * it: joins the thread, logs, records a reset, emits DEVICE_STATE. Job state and events stay
 * on the loop. A thread per change rather than a long-lived worker per device: a job has at
 * most 32 devices and makes a handful of changes per device, thread creation costs
 * microseconds next to an ioctl, and there is no mailbox, idle thread or shutdown protocol to
 * get wrong: the join is the hand-back.
 *
 * Groups: every sequence over the job's devices is a group (enum change_group): post to every
 * device that needs the change, continue only when none is still changing
 * (migrate_group_done()). That keeps the two-phase P2P rule (every device in a P2P state before
 * any goes on) and runs the devices' arcs in parallel.
 *
 * Ownership: while a change runs, the worker alone calls into the device; the loop only reads
 * its cached state (device_state(), atomic). The job holds the device's registry claim from
 * before the first change until after the last is collected, so the control socket cannot
 * move, remove or read the content of it meanwhile. A rollback, a cancel and the daemon's stop
 * wait for changes in flight (an ioctl cannot be interrupted): rollback_continue() does nothing
 * while change_busy(), and migrate_free() / job_free() join the workers.
 *
 * Threading: the loop thread, except change_worker() (one per change).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "migrate_int.h"
#include "thread.h"

/* A change running this long is logged (and shown in the job status meanwhile). */
#define CHANGE_WARN_MS 1000
/* ... and logged again this often while it keeps running. */
#define CHANGE_REWARN_MS 10000

/* CHANGE_RETURN: where a rollback wants the device, from wherever it is. Worker thread. */
static int change_return(struct change *ch)
{
	bool reset = false;
	int r;

	device_refresh(ch->dev);
	ch->c = (struct device_change){ .from = device_state(ch->dev) };
	if (device_state(ch->dev) == FSM_ERROR) {
		r = device_reset(ch->dev);
		if (r < 0) {
			snprintf(ch->c.reason, sizeof(ch->c.reason), "reset failed: %s",
				 strerror(-r));
			ch->c.reached = device_state(ch->dev);
			return r;
		}
		reset = true;
	}
	r = 0;
	if (device_state(ch->dev) != ch->target)
		r = device_set_state(ch->dev, ch->target, ch->target, &ch->c);
	ch->c.reset |= reset;
	ch->c.reached = device_state(ch->dev);
	return r;
}

/* Runs the request. Worker thread (or the loop if no thread could be started). */
static void change_run(struct change *ch)
{
	switch (ch->op) {
	case CHANGE_SET:
		ch->rc = device_set_state(ch->dev, ch->target, ch->recover, &ch->c);
		break;
	case CHANGE_KEEP:
		ch->rc = device_set_state_keep(ch->dev, ch->target, ch->recover, &ch->c);
		break;
	case CHANGE_RESET:
		ch->c = (struct device_change){ .from = device_state(ch->dev) };
		ch->rc = device_reset(ch->dev);
		ch->c.reached = device_state(ch->dev);
		if (ch->rc < 0)
			snprintf(ch->c.reason, sizeof(ch->c.reason), "reset failed: %s",
				 strerror(-ch->rc));
		break;
	case CHANGE_RETURN:
		ch->rc = change_return(ch);
		break;
	}
	ch->done_ns = job_now_ns();
	__atomic_store_n(&ch->done, 1, __ATOMIC_RELEASE);
	migrate_stream_notify(NULL, ch->m);
}

static void *change_worker(void *arg)
{
	change_run(arg);
	return NULL;
}

void change_group(struct job *j, uint32_t g)
{
	j->group = g;
	for (uint32_t i = 0; i < j->n_dev; i++)
		j->dev[i].chg.posted = false;
}

void change_post(struct job *j, struct job_dev *jd, enum change_op op, enum fsm_state target,
		 enum fsm_state recover)
{
	struct change *ch = &jd->chg;
	int r;

	assert(!ch->busy && jd->dev);
	*ch = (struct change){
		.busy = true,
		.posted = true,
		.threaded = true,
		.m = j->m,
		.dev = jd->dev,
		.op = op,
		.from = device_state(jd->dev),
		.target = op == CHANGE_RESET ? FSM_RUNNING : target,
		.recover = recover,
		.posted_ns = job_now_ns(),
	};
	ch->warned_ns = ch->posted_ns;
	jd->touched = true;
	job_log(j, LOG_LVL_DEBUG, "device %s: %s -> %s posted", job_dev_id(j, jd),
		fsm_state_name(ch->from), fsm_state_name(ch->target));
	r = -thread_spawn(&ch->thread, NULL, change_worker, ch);
	if (r != 0) {
		job_log(j, LOG_LVL_WARNING,
			"device %s: cannot start a thread for %s -> %s (%s); changing it on the "
			"event loop",
			job_dev_id(j, jd), fsm_state_name(ch->from), fsm_state_name(ch->target),
			strerror(r));
		ch->threaded = false;
		change_run(ch);
	}
}

bool change_busy(const struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (j->dev[i].chg.busy)
			return true;
	return false;
}

bool change_failed(const struct job_dev *jd)
{
	return jd->chg.posted && jd->chg.rc < 0;
}

void change_append_failures(const struct job *j, struct proto_error *err)
{
	size_t len = strlen(err->message);

	for (uint32_t i = 0; i < j->n_dev && len < sizeof(err->message); i++) {
		const struct job_dev *jd = &j->dev[i];
		int n;

		if (!change_failed(jd))
			continue;
		n = snprintf(err->message + len, sizeof(err->message) - len,
			     "; device %s could not go to %s and stays %s (%s)", job_dev_id(j, jd),
			     fsm_state_name(jd->chg.target), fsm_state_name(jd->chg.c.reached),
			     jd->chg.c.reason);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

void change_group_posted(struct job *j)
{
	if (j->group != GROUP_NONE && !change_busy(j))
		migrate_group_done(j);
}

/* The log line of a finished change. */
static void change_log(struct job *j, const struct job_dev *jd, const struct change *ch)
{
	uint64_t ms = (ch->done_ns - ch->posted_ns) / 1000000;
	const char *id = job_dev_id(j, jd);

	if (ch->op == CHANGE_RESET) {
		if (ch->rc < 0)
			job_log(j, LOG_LVL_ERR, "device %s: reset failed: %s; it stays %s", id,
				strerror(-ch->rc), fsm_state_name(ch->c.reached));
		else
			job_log(j, LOG_LVL_INFO, "device %s: reset (%s -> RUNNING, %" PRIu64 " ms)",
				id, fsm_state_name(ch->from), ms);
		return;
	}
	if (ch->rc == 0 && ch->op == CHANGE_RETURN && ch->c.from == ch->target && !ch->c.reset)
		job_log(j, LOG_LVL_DEBUG, "device %s: already %s", id, fsm_state_name(ch->target));
	else if (ch->rc == 0)
		job_log(j, LOG_LVL_INFO, "device %s: %s -> %s (%" PRIu64 " ms)%s", id,
			fsm_state_name(ch->from), fsm_state_name(ch->target), ms,
			ch->c.reset ? "; it had to be reset first" : "");
	else
		job_log(j, LOG_LVL_WARNING, "device %s: %s -> %s failed after %" PRIu64 " ms: %s",
			id, fsm_state_name(ch->from), fsm_state_name(ch->target), ms, ch->c.reason);
}

/* Collects one finished change. */
static void change_collect_one(struct job *j, struct job_dev *jd)
{
	struct change *ch = &jd->chg;

	if (ch->threaded)
		pthread_join(ch->thread, NULL);
	ch->busy = false;
	change_log(j, jd, ch);
	if (ch->op == CHANGE_RESET || ch->c.reset)
		jd->reset = true;
	if (ch->op == CHANGE_RESET || ch->c.reset || device_state(jd->dev) != ch->from)
		job_emit_device(j, jd, device_state(jd->dev));
}

void change_collect(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct change *ch = &j->dev[i].chg;

		if (ch->busy && __atomic_load_n(&ch->done, __ATOMIC_ACQUIRE))
			change_collect_one(j, &j->dev[i]);
	}
}

void change_join_all(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct change *ch = &j->dev[i].chg;

		if (!ch->busy)
			continue;
		if (!__atomic_load_n(&ch->done, __ATOMIC_ACQUIRE))
			job_log(j, LOG_LVL_NOTICE, "device %s: waiting for %s -> %s to finish",
				job_dev_id(j, &j->dev[i]), fsm_state_name(ch->from),
				fsm_state_name(ch->target));
		change_collect_one(j, &j->dev[i]);
	}
}

void change_watch(struct job *j)
{
	uint64_t now = job_now_ns();

	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct change *ch = &j->dev[i].chg;
		uint64_t since = ch->warned_ns == ch->posted_ns ? CHANGE_WARN_MS : CHANGE_REWARN_MS;

		if (!ch->busy || __atomic_load_n(&ch->done, __ATOMIC_ACQUIRE) ||
		    now - ch->warned_ns < since * 1000000u)
			continue;
		ch->warned_ns = now;
		job_log(j, LOG_LVL_WARNING, "device %s: %s -> %s running for %" PRIu64 " s",
			job_dev_id(j, &j->dev[i]), fsm_state_name(ch->from),
			fsm_state_name(ch->target), (now - ch->posted_ns) / 1000000000u);
	}
}
