/*
 * daemon_migrate.c - the migration engine inside the daemon: made from the configuration's
 * limits on the daemon's loop, registered on the peer set (control messages, closed links,
 * incoming data streams), offered to the control server as its job operations, its events
 * published to subscribed control clients, and given new limits on SIGHUP. While the daemon
 * stops (daemon_stop.c) new jobs are refused here, and every job event may end the wait.
 *
 * Stream workers reach the loop through the engine's own eventfd (daemon/migrate/migrate.c),
 * so libevent needs no thread support.
 */
#include <errno.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "daemon_int.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"

static void daemon_migrate_limits(const struct config *c, struct migrate_limits *l)
{
	l->max_jobs = c->limits.max_jobs;
	l->bandwidth = c->limits.bandwidth;
	l->job_timeout_ms = c->limits.job_timeout_ms;
	l->finished_job_ttl_ms = c->limits.finished_job_ttl_ms;
	l->dest_timeout_ms = c->limits.dest_timeout_ms;
}

/* Events go to the control server's subscribers while it exists. */
static void daemon_on_event(void *arg, const struct ctl_event *ev)
{
	struct daemon *d = arg;

	control_events_publish(d->control, ev);
	if (ev->kind == CTL_EVENT_FINISHED && ev->has_status)
		metrics_job_finished(d->metrics, &ev->status); /* the one place jobs are counted */
	if (ev->kind == CTL_EVENT_FINISHED || ev->kind == CTL_EVENT_JOB_CREATED)
		daemon_notify_status(d);
	if (ev->kind == CTL_EVENT_FINISHED && d->stopping)
		daemon_stop_check(d);
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

/* What systemd is told the last teardown may take: device arcs in flight finish, then the
 * rollbacks run (each an ioctl or a few); generous, since a kill there closes the device fds
 * mid-arc. */
#define DAEMON_TEARDOWN_MS 60000

void daemon_stop_migrate(struct daemon *d)
{
	uint32_t left = d->migrate ? migrate_active_jobs(d->migrate) : 0;

	if (left && d->stopping) {
		sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu",
			   (unsigned long long)DAEMON_TEARDOWN_MS * 1000);
		log_notice("stopping: ending %u unfinished job(s); device changes in flight finish "
			   "first, then the rollbacks run (systemd is given %u s more)",
			   left, DAEMON_TEARDOWN_MS / 1000);
	}
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

/* No new job once a stop began: it would only be cancelled. */
static int jobs_refuse_stopping(const struct daemon *d, const char *who, struct proto_error *err)
{
	if (!d->stopping)
		return 0;
	log_notice("control: %s asked for a new job while stopping; refused", who);
	proto_error_set(err, PROTO_ERR_BUSY, NULL,
			"vfio-migd is stopping and takes no new jobs; retry once it runs again");
	return -EBUSY;
}

static int jobs_prepare(void *arg, const struct ctl_prepare_incoming *req, const char *who,
			struct ctl_prepare_result *ret, struct proto_error *err)
{
	struct daemon *d = arg;
	int r = jobs_refuse_stopping(d, who, err);

	return r < 0 ? r : migrate_prepare_incoming(d->migrate, req, who, ret, err);
}

static int jobs_migrate(void *arg, const struct ctl_migrate *req, const char *who, uint64_t *ret_id,
			struct proto_error *err)
{
	struct daemon *d = arg;
	int r = jobs_refuse_stopping(d, who, err);

	return r < 0 ? r : migrate_start(d->migrate, req, who, ret_id, err);
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

static int jobs_metadata(void *arg, uint64_t id, const char *device, const uint8_t **ret_data,
			 size_t *ret_len, struct proto_error *err)
{
	return migrate_job_device_metadata(((struct daemon *)arg)->migrate, id, device, ret_data,
					   ret_len, err);
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
	.metadata = jobs_metadata,
};
