/*
 * daemon_stop.c - a stop that leaves every device in a safe place. On the first SIGTERM or
 * SIGINT the daemon tells systemd STOPPING=1, refuses new jobs (daemon_migrate.c), cancels
 * every job before COMMIT, which rolls back (source devices to the state they started in,
 * destination devices reset, the peer told), and lets the jobs past COMMIT finish. It waits
 * for that at most [daemon] stop_timeout, sending EXTEND_TIMEOUT_USEC= so that systemd's
 * TimeoutStopSec= does not kill it meanwhile, then leaves the loop; migrate_free() ends
 * whatever is left (rolled back before COMMIT, left as it is after). A second signal stops at
 * once.
 *
 * The control socket and the peer links stay up while waiting: clients may watch their jobs
 * end, and the rollbacks tell the peers over their links.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "daemon_int.h"
#include "log.h"
#include "migrate.h"

#define DAEMON_STOP_CHECK_MS  250
#define DAEMON_STOP_EXTEND_MS 1000
/* What systemd is asked to allow beyond our own bound: the teardown after it. */
#define DAEMON_STOP_MARGIN_MS 5000
/* After the last job ended: time for queued messages (PEER_ABORT) to leave. */
#define DAEMON_STOP_FLUSH_MS 100

static void daemon_stop_exit(struct daemon *d, uint64_t delay_ms)
{
	struct timeval tv = { .tv_sec = (time_t)(delay_ms / 1000),
			      .tv_usec = (suseconds_t)(delay_ms % 1000) * 1000 };

	if (d->stop_ev)
		event_del(d->stop_ev);
	d->stop_done = true;
	event_base_loopexit(d->base, &tv);
}

/* Tells systemd how long the stop may still take: our bound and the teardown. */
static void daemon_stop_extend(struct daemon *d, uint64_t now)
{
	uint64_t left = d->stop_deadline_ms > now ? d->stop_deadline_ms - now : 0;

	d->stop_extended_ms = now;
	sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu",
		   (unsigned long long)(left + DAEMON_STOP_MARGIN_MS) * 1000);
}

void daemon_stop_check(struct daemon *d)
{
	uint64_t now = daemon_now_ms();
	uint32_t left;

	if (!d->stopping || d->stop_done)
		return;
	left = migrate_active_jobs(d->migrate);
	daemon_notify_status(d);
	if (left == 0) {
		log_notice("stopping: every job reached a safe point");
		daemon_stop_exit(d, DAEMON_STOP_FLUSH_MS);
		return;
	}
	if (now >= d->stop_deadline_ms) {
		log_warnx("stopping: stop_timeout (%llu ms) passed with %u job(s) unfinished (%u "
			  "past COMMIT); ending them now: rolled back before COMMIT, left as they "
			  "are after",
			  (unsigned long long)d->cfg.daemon.stop_timeout_ms, left,
			  migrate_committed_jobs(d->migrate));
		daemon_stop_exit(d, 0);
		return;
	}
	if (now - d->stop_extended_ms >= DAEMON_STOP_EXTEND_MS)
		daemon_stop_extend(d, now);
}

static void daemon_stop_tick(evutil_socket_t fd, short what, void *arg)
{
	daemon_stop_check(arg);
}

void daemon_stop_begin(struct daemon *d, const char *sig)
{
	struct timeval tv = { 0, DAEMON_STOP_CHECK_MS * 1000 };
	uint32_t left;

	if (d->stopping) {
		log_notice("%s again: stopping now", sig);
		daemon_stop_exit(d, 0);
		return;
	}
	d->stopping = true;
	d->stop_deadline_ms = daemon_now_ms() + d->cfg.daemon.stop_timeout_ms;
	sd_notify(0, "STOPPING=1");
	left = migrate_drain(d->migrate, "vfio-migd is stopping");
	log_notice("%s: stopping; new jobs are refused, jobs before COMMIT roll back; %u job(s) "
		   "to wait for (%u past COMMIT), at most %llu ms",
		   sig, left, migrate_committed_jobs(d->migrate),
		   (unsigned long long)d->cfg.daemon.stop_timeout_ms);
	daemon_stop_extend(d, daemon_now_ms());
	d->stop_ev = event_new(d->base, -1, EV_PERSIST, daemon_stop_tick, d);
	if (!d->stop_ev || event_add(d->stop_ev, &tv) < 0) {
		log_errx("stopping: cannot arm the stop timer; stopping now");
		daemon_stop_exit(d, 0);
		return;
	}
	daemon_stop_check(d);
}

void daemon_stop_free(struct daemon *d)
{
	if (d->stop_ev)
		event_free(d->stop_ev);
	d->stop_ev = NULL;
}
