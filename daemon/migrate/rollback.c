/*
 * rollback.c - the core guarantee (architecture.md step 7): any failure or cancel before
 * COMMIT, on either side, ends with the devices where they belong. The source returns every
 * device to the state it had before the job (RUNNING, or STOP for a stopped device; the
 * recovery state first, VFIO_DEVICE_RESET only as the last resort, and then the job status
 * says so); the destination resets the devices it moved towards RESUMING. Both release
 * their devices and tell the peer (PEER_ABORT) when it knows the job.
 *
 * Rollback waits for every stream worker to stop before touching a device: a worker may be
 * inside a device read or write, and backend.h forbids ending the session under it. It also
 * waits for every device change in flight (change.c): an ioctl cannot be interrupted. So a
 * job enters ABORTING, cancels its streams, and rollback_continue() does the work when the
 * last stream reports a terminal state and no change is in flight (the engine's wake-up calls
 * it): the devices' rollbacks run in parallel, each in its own worker (GROUP_ROLLBACK), and
 * the job ends when the last one is done.
 *
 * Past COMMIT nothing is rolled back: see source.c and dest.c.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "migrate_int.h"
#include "tls.h"

uint32_t rollback_stream_code(int err)
{
	switch (err) {
	case -EBADMSG:
		return PROTO_ERR_INTEGRITY;
	case -ETIMEDOUT:
		return PROTO_ERR_TIMEOUT;
	case -EPIPE:
	case -ECONNRESET:
		return PROTO_ERR_PEER_UNREACHABLE;
	case -EACCES:
		return PROTO_ERR_TLS_FAILED;
	case -EPROTO:
		return PROTO_ERR_PROTOCOL;
	case -ECANCELED:
		return PROTO_ERR_CANCELLED;
	case -ENOMEM:
		return PROTO_ERR_INTERNAL;
	default:
		return PROTO_ERR_DEVICE_FAILED;
	}
}

/* Tells the peer, once, if it has a job for this one. */
static void rollback_tell_peer(struct job *j)
{
	struct peer_msg msg = { .type = FRAME_PEER_ABORT };

	if (!j->peer_knows || !j->link || j->abort_sent)
		return;
	msg.u.abort.job_id = j->role == CTL_ROLE_SOURCE ? j->id : j->peer_job;
	msg.u.abort.reason = j->error;
	if (msg.u.abort.reason.code == PROTO_ERR_OK)
		msg.u.abort.reason.code = PROTO_ERR_INTERNAL;
	if (migrate_send(j, &msg) == 0)
		j->abort_sent = true;
}

/* Stops dials and streams; closes connections dialed but not yet streaming. */
static void rollback_stop_transport(struct job *j)
{
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (jd->dialing && j->m->peers)
			peer_stream_cancel(j->m->peers, jd);
		jd->dialing = false;
		if (jd->tls)
			tls_conn_free(jd->tls);
		jd->tls = NULL;
		if (jd->fd >= 0)
			close(jd->fd);
		jd->fd = -1;
		if (jd->stream)
			stream_cancel(jd->stream);
	}
}

void rollback_start(struct job *j, uint32_t final, uint32_t code, const char *device,
		    bool tell_peer, const char *fmt, ...)
{
	char msg[PROTO_MESSAGE_MAX + 1];
	va_list ap;

	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (j->committed) {
		/* a bug in the caller: past COMMIT there is nothing to roll back */
		job_log(j, LOG_LVL_ERR, "no rollback past COMMIT (%s)", msg);
		return;
	}
	proto_error_set(&j->error, code, device, "%s", msg);
	j->final = final;
	if (final == CTL_PHASE_CANCELLED)
		job_log(j, LOG_LVL_NOTICE, "cancelled: %s; rolling back", msg);
	else
		job_log(j, LOG_LVL_ERR, "failed: %s: %s; rolling back", proto_err_name(code), msg);
	if (tell_peer)
		rollback_tell_peer(j);
	rollback_stop_transport(j);
	job_set_phase(j, CTL_PHASE_ABORTING);
	rollback_continue(j);
}

/*
 * Posts the rollback of every device the job changed (GROUP_ROLLBACK): a source device back to
 * the state before the job (re-read first; a device in ERROR can only be reset), a destination
 * device reset. All in parallel. A device the job never changed had no session, so nothing
 * can have moved it: it is left alone.
 */
static void rollback_devices(struct job *j)
{
	change_group(j, GROUP_ROLLBACK);
	for (uint32_t i = 0; i < j->n_dev; i++) {
		struct job_dev *jd = &j->dev[i];

		if (!jd->dev || !jd->touched)
			continue;
		if (j->role == CTL_ROLE_SOURCE)
			change_post(j, jd, CHANGE_RETURN, jd->orig, jd->orig);
		else
			change_post(j, jd, CHANGE_RESET, FSM_RUNNING, FSM_ERROR);
	}
}

/* A summary of where the devices ended, for the final log line. */
static void rollback_summary(const struct job *j, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < j->n_dev && off < len; i++) {
		const struct job_dev *jd = &j->dev[i];
		int n = snprintf(buf + off, len - off, "%s%s %s%s", i ? ", " : "",
				 job_dev_id(j, jd), fsm_state_name(jd->last),
				 jd->reset ? " (reset)" : "");

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* The rollback's changes are done: says where each device ended, releases, ends the job. */
static void rollback_finish(struct job *j)
{
	char summary[512];

	j->group = GROUP_NONE;
	for (uint32_t i = 0; i < j->n_dev && j->role == CTL_ROLE_SOURCE; i++) {
		struct job_dev *jd = &j->dev[i];

		if (jd->dev && device_state(jd->dev) != jd->orig)
			job_log(j, LOG_LVL_ERR, "device %s: could not be returned to %s; it is %s",
				jd->source_id, fsm_state_name(jd->orig),
				fsm_state_name(device_state(jd->dev)));
	}
	job_release(j);
	rollback_summary(j, summary, sizeof(summary));
	job_log(j, LOG_LVL_NOTICE, "rolled back: %s", summary);
	job_set_phase(j, j->final);
}

void rollback_continue(struct job *j)
{
	if (j->phase != CTL_PHASE_ABORTING)
		return;
	if (change_busy(j))
		return; /* an arc in flight cannot be interrupted: wait for it */
	if (j->group != GROUP_ROLLBACK) {
		for (uint32_t i = 0; i < j->n_dev; i++) {
			struct job_dev *jd = &j->dev[i];

			job_dev_snapshot(jd);
			if (jd->stream &&
			    (jd->st.state == STREAM_RUNNING || jd->st.state == STREAM_IDLE))
				return; /* its worker may still be inside a device call */
		}
		for (uint32_t i = 0; i < j->n_dev; i++)
			job_dev_drop_stream(&j->dev[i]);
		rollback_devices(j);
		if (change_busy(j))
			return;
	}
	rollback_finish(j);
}

void rollback_now(struct job *j, const char *why)
{
	if (job_finished(j))
		return;
	if (!j->committed)
		rollback_start(j, CTL_PHASE_FAILED, PROTO_ERR_CANCELLED, NULL, true, "%s", why);
	for (uint32_t i = 0; i < j->n_dev; i++)
		if (j->dev[i].stream) {
			stream_cancel(j->dev[i].stream);
			stream_wait(j->dev[i].stream, -1);
		}
	if (!j->committed) {
		/* the changes in flight, then the rollback's own, each waited for here */
		for (int round = 0; round < 2 && !job_finished(j); round++) {
			change_join_all(j);
			rollback_continue(j);
		}
		return;
	}
	/* past COMMIT: a start or completion under way is carried to its end, joined here */
	for (int round = 0; round < 4 && j->group != GROUP_NONE && !job_finished(j); round++) {
		change_join_all(j);
		migrate_group_done(j);
	}
	if (job_finished(j))
		return;
	change_join_all(j);
	/* otherwise nothing is rolled back, the devices stay as they are */
	proto_error_set(&j->error, PROTO_ERR_CANCELLED, NULL,
			"%s after COMMIT; the devices stay as they are (%s)", why,
			j->role == CTL_ROLE_SOURCE ? "stopped, with their state"
						   : "loaded; start them by hand");
	job_log(j, LOG_LVL_ERR, "%s", j->error.message);
	job_release(j);
	job_set_phase(j, CTL_PHASE_FAILED);
}
