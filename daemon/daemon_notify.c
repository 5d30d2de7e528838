/*
 * daemon_notify.c - what the daemon tells systemd while it runs, beyond READY/RELOADING
 * (daemon.c) and the stop (daemon_stop.c): the watchdog and the STATUS= line.
 *
 * The watchdog (WatchdogSec= in the unit, WATCHDOG_USEC in the environment) is fed by a
 * timer on the event loop at half the interval, never from a thread: a loop that is stuck
 * stops feeding it and systemd restarts the service. STATUS= says what an operator wants to
 * see in "systemctl status" ("running: 2 jobs, 3 devices"); it is sent only when it changes,
 * checked on every job event and once a second (devices come and go over the control socket).
 *
 * Outside systemd (no NOTIFY_SOCKET) sd_notify() does nothing, so none of this costs anything.
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "daemon_int.h"
#include "log.h"
#include "migrate.h"

#define DAEMON_STATUS_MS 1000

static void daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static void daemon_status_cb(evutil_socket_t fd, short what, void *arg)
{
	daemon_notify_status(arg);
}

/* A persistent timer every ms milliseconds. */
static struct event *daemon_timer(struct daemon *d, uint64_t ms, event_callback_fn cb)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	struct event *ev = event_new(d->base, -1, EV_PERSIST, cb, d);

	if (ev && event_add(ev, &tv) < 0) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

int daemon_notify_start(struct daemon *d)
{
	uint64_t usec = 0;
	int r = sd_watchdog_enabled(0, &usec);

	if (r < 0)
		log_warn(r, "systemd watchdog: WATCHDOG_USEC/WATCHDOG_PID unusable; not fed");
	if (r > 0) {
		/* half the interval, at least 1 ms: systemd allows for one missed beat */
		d->watchdog = daemon_timer(d, usec / 2000 ? usec / 2000 : 1, daemon_watchdog_cb);
		if (!d->watchdog)
			return -ENOMEM;
		log_info("systemd watchdog: %llu ms, fed every %llu ms from the event loop",
			 (unsigned long long)(usec / 1000), (unsigned long long)(usec / 2000));
	}
	d->status_ev = daemon_timer(d, DAEMON_STATUS_MS, daemon_status_cb);
	return d->status_ev ? 0 : -ENOMEM;
}

void daemon_notify_stop(struct daemon *d)
{
	if (d->watchdog)
		event_free(d->watchdog);
	if (d->status_ev)
		event_free(d->status_ev);
	d->watchdog = NULL;
	d->status_ev = NULL;
}

/* "running: 1 job, 3 devices": what STATUS= says now. */
static void daemon_status_line(const struct daemon *d, char *buf, size_t len)
{
	uint32_t jobs = d->migrate ? migrate_active_jobs(d->migrate) : 0;
	size_t devs = d->devices ? registry_count(d->devices) : 0;
	uint64_t now = daemon_now_ms(), left;

	if (!d->stopping) {
		snprintf(buf, len, "running: %u job%s, %zu device%s", jobs, jobs == 1 ? "" : "s",
			 devs, devs == 1 ? "" : "s");
		return;
	}
	left = d->stop_deadline_ms > now ? d->stop_deadline_ms - now : 0;
	snprintf(buf, len, "stopping: %u job%s to reach a safe point, at most %llu s more", jobs,
		 jobs == 1 ? "" : "s", (unsigned long long)((left + 999) / 1000));
}

void daemon_notify_status(struct daemon *d)
{
	char line[sizeof(d->status)];

	daemon_status_line(d, line, sizeof(line));
	if (strcmp(line, d->status) == 0)
		return;
	memcpy(d->status, line, sizeof(line));
	sd_notifyf(0, "STATUS=%s", line);
}
