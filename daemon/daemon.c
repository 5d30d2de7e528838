/*
 * daemon.c - builds the daemon from a configuration, runs its event loop, reloads on SIGHUP
 * and stops on SIGTERM/SIGINT (daemon_stop.c: jobs reach a safe point first). Readiness and
 * reloads are reported to systemd (Type=notify); the watchdog and STATUS= are
 * daemon_notify.c's.
 *
 * Reload rule (architecture.md): a new configuration is parsed and checked in full, and only a
 * good one is applied: the new TLS context for new connections, the log level, the limits.
 * Listeners, the control socket and devices stay as they are until the next start. A bad one is
 * logged and the last good one stays in force.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "control.h"
#include "daemon_int.h"
#include "timefmt.h"
#include "journal.h"
#include "log.h"
#include "open.h"
#include "settings.h"
#include "tls.h"

uint64_t daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Opens every [device] of the configuration; any failure stops the start. */
static int daemon_open_devices(struct daemon *d)
{
	int r = registry_new(d->cfg.limits.max_devices, &d->devices);

	if (r < 0)
		return r;
	for (size_t i = 0; i < d->cfg.n_devices; i++) {
		const struct config_device *cd = &d->cfg.devices[i];
		bool sim = cd->backend == CONFIG_BACKEND_SIM;
		struct device *dev;
		char err[512];

		r = open_device(cd->name, sim ? OPEN_SIM : OPEN_VFIO, sim ? cd->spec : cd->path, -1,
				&dev, err, sizeof(err));
		if (r < 0) {
			log_errx("%s (configured in %s:%u)", err,
				 d->cfg.source ? d->cfg.source : "", cd->line);
			return r;
		}
		r = registry_add(d->devices, dev);
		if (r < 0) {
			device_free(dev);
			return r;
		}
		log_info("device %s: %s %s (%s), state %s", cd->name, device_desc(dev)->kind,
			 device_desc(dev)->model, device_desc(dev)->driver,
			 fsm_state_name(device_state(dev)));
	}
	return 0;
}

/* Reports the TLS material settings_load() loaded, if any. */
static void daemon_log_tls(const struct daemon *d)
{
	char until[32];

	if (!d->tls)
		return;
	log_info("TLS: certificate %s loaded, valid until %s, kTLS %s", d->cfg.tls.cert,
		 timefmt_utc(tls_ctx_cert_not_after(d->tls), until, sizeof(until)),
		 d->cfg.tls.ktls ? "requested" : "off");
}

/* Applies a checked configuration; takes next and ctx (the context settings_load built). */
static void daemon_apply_reload(struct daemon *d, struct config *next, struct tls_ctx *ctx)
{
	daemon_swap_tls(d, ctx);
	log_set_level(next->daemon.log_level);
	d->cfg.daemon.log_level = next->daemon.log_level;
	d->cfg.limits = next->limits;
	d->cfg.daemon.stop_timeout_ms = next->daemon.stop_timeout_ms;
	daemon_reload_migrate(d);
	config_free(next);
	log_notice("reload: configuration applied (TLS material for new connections, log "
		   "level, limits, stop_timeout)");
}

static void daemon_reload(struct daemon *d)
{
	struct tls_ctx *ctx = NULL;
	struct config_error err;
	struct config next;

	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s", d->args->config_path);
	if (settings_load(d->args->config_path, d->args->overrides, d->args->n_overrides, &next,
			  &ctx, &err) < 0)
		log_errx("reload refused, keeping the running configuration: %s", err.msg);
	else
		daemon_apply_reload(d, &next, ctx);
	sd_notify(0, "READY=1");
	d->status[0] = '\0'; /* say it again: RELOADING's STATUS= replaced it */
	daemon_notify_status(d);
}

static void daemon_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	if (sig == SIGHUP) {
		log_notice("SIGHUP: reloading the configuration");
		if (d->stopping)
			log_notice("SIGHUP while stopping: ignored");
		else
			daemon_reload(d);
		return;
	}
	daemon_stop_begin(d, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int daemon_signals(struct daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sig[i] = evsignal_new(d->base, sigs[i], daemon_on_signal, d);
		if (!d->sig[i] || evsignal_add(d->sig[i], NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

int daemon_new(const struct daemon_args *args, struct config *cfg, struct tls_ctx *tls,
	       struct daemon **ret)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int r = -ENOMEM;

	if (!d) {
		config_free(cfg);
		tls_ctx_unref(tls);
		return -ENOMEM;
	}
	d->args = args;
	d->cfg = *cfg;
	d->tls = tls;
	d->started_ms = daemon_now_ms();
	d->base = event_base_new();
	if (!d->base)
		goto err;
	daemon_log_tls(d);
	r = daemon_signals(d);
	if (r == 0)
		r = daemon_open_devices(d);
	if (r == 0)
		r = daemon_start_peers(d);
	if (r == 0)
		r = daemon_start_migrate(d);
	if (r == 0)
		r = daemon_start_control(d);
	if (r == 0)
		r = daemon_start_metrics(d);
	if (r == 0)
		r = daemon_notify_start(d);
	if (r < 0)
		goto err;
	*ret = d;
	return 0;
err:
	log_errx("vfio-migd did not start: %s", strerror(-r));
	daemon_free(d);
	return r;
}

int daemon_run(struct daemon *d)
{
	log_notice("vfio-migd %s ready: %zu device(s), control socket %s%s", daemon_version(),
		   registry_count(d->devices), control_server_path(d->control),
		   d->activated ? " (from systemd)" : "");
	daemon_notify_status(d);
	sd_notify(0, "READY=1");
	if (event_base_dispatch(d->base) < 0)
		return -EIO;
	if (!d->stop_done)
		log_notice("the event loop ended without a stop request");
	return 0;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	daemon_notify_stop(d);
	daemon_stop_free(d);
	daemon_stop_metrics(d);
	daemon_stop_control(d);
	daemon_stop_migrate(d);
	daemon_stop_peers(d);
	registry_free(d->devices);
	for (size_t i = 0; i < sizeof(d->sig) / sizeof(d->sig[0]); i++) {
		if (d->sig[i])
			event_free(d->sig[i]);
	}
	tls_ctx_unref(d->tls);
	if (d->base)
		event_base_free(d->base);
	config_free(&d->cfg);
	free(d);
}
