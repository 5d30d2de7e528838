/*
 * daemon_migrate.c - the migration engine inside the daemon: made from the configuration's
 * limits on the daemon's loop, registered on the peer set (control messages, closed links,
 * incoming data streams), offered to the control server as its job operations, its events
 * published to subscribed control clients, and given new limits on SIGHUP.
 *
 * Stream workers reach the loop through the engine's own eventfd (daemon/migrate/migrate.c),
 * so libevent needs no thread support.
 */
#include <errno.h>
#include <stdio.h>

#include "control.h"
#include "daemon_int.h"
#include "log.h"
#include "migrate.h"

static void daemon_migrate_limits(const struct config *c, struct migrate_limits *l)
{
	l->max_jobs = c->limits.max_jobs;
	l->bandwidth = c->limits.bandwidth;
	l->job_timeout_ms = c->limits.job_timeout_ms;
	l->finished_job_ttl_ms = c->limits.finished_job_ttl_ms;
}

/* Events go to the control server's subscribers while it exists. */
static void daemon_on_event(void *arg, const struct ctl_event *ev)
{
	struct daemon *d = arg;

	control_events_publish(d->control, ev);
}

int daemon_start_migrate(struct daemon *d)
{
	struct migrate_options o = {
		.base = d->base,
		.devices = d->devices,
		.peers = d->peers,
		.on_event = daemon_on_event,
		.event_arg = d,
	};
	int r;

	daemon_migrate_limits(&d->cfg, &o.limits);
	r = migrate_new(&o, &d->migrate);
	if (r < 0)
		log_err(r, "migration engine: cannot set up");
	return r;
}

void daemon_stop_migrate(struct daemon *d)
{
	migrate_free(d->migrate);
	d->migrate = NULL;
}

void daemon_reload_migrate(struct daemon *d)
{
	struct migrate_limits l;

	daemon_migrate_limits(&d->cfg, &l);
	if (d->migrate)
		migrate_set_limits(d->migrate, &l);
}

/* ---- the control server's job operations (control.h) ---- */

static int jobs_prepare(void *arg, const struct ctl_prepare_incoming *req, const char *who,
			struct ctl_prepare_result *ret, struct proto_error *err)
{
	return migrate_prepare_incoming(((struct daemon *)arg)->migrate, req, who, ret, err);
}

static int jobs_migrate(void *arg, const struct ctl_migrate *req, const char *who, uint64_t *ret_id,
			struct proto_error *err)
{
	return migrate_start(((struct daemon *)arg)->migrate, req, who, ret_id, err);
}

static int jobs_status(void *arg, uint64_t id, struct ctl_job_status *ret, struct proto_error *err)
{
	return migrate_job_status(((struct daemon *)arg)->migrate, id, ret, err);
}

static uint32_t jobs_list(void *arg, struct ctl_job_status *v, uint32_t max)
{
	return migrate_job_list(((struct daemon *)arg)->migrate, v, max);
}

static int jobs_cancel(void *arg, uint64_t id, const char *who, struct proto_error *err)
{
	return migrate_job_cancel(((struct daemon *)arg)->migrate, id, who, err);
}

static int jobs_switchover(void *arg, uint64_t id, const char *who, struct proto_error *err)
{
	return migrate_job_switchover(((struct daemon *)arg)->migrate, id, who, err);
}

static int jobs_resume(void *arg, uint64_t id, const char *who, struct proto_error *err)
{
	return migrate_job_resume(((struct daemon *)arg)->migrate, id, who, err);
}

static int jobs_bandwidth(void *arg, uint64_t id, uint64_t bps, const char *who,
			  struct proto_error *err)
{
	return migrate_job_set_bandwidth(((struct daemon *)arg)->migrate, id, bps, who, err);
}

static int jobs_wait(void *arg, uint64_t id, uint32_t timeout_ms, control_job_done_fn *done,
		     void *done_arg, struct proto_error *err)
{
	return migrate_job_wait(((struct daemon *)arg)->migrate, id, timeout_ms, done, done_arg,
				err);
}

const struct control_jobs daemon_jobs = {
	.prepare = jobs_prepare,
	.migrate = jobs_migrate,
	.status = jobs_status,
	.list = jobs_list,
	.cancel = jobs_cancel,
	.switchover = jobs_switchover,
	.resume = jobs_resume,
	.set_bandwidth = jobs_bandwidth,
	.wait = jobs_wait,
};
