/*
 * daemon_metrics.c - the metrics endpoint inside the daemon: made after the control server
 * when [daemon] metrics_listen is set, reading the daemon's registry, engine, peer set and
 * current TLS context at each scrape; fed finished jobs by daemon_on_event()
 * (daemon_migrate.c). metrics_listen is not changed by SIGHUP: it applies at the next start.
 */
#include "daemon_int.h"
#include "log.h"
#include "metrics.h"

int daemon_start_metrics(struct daemon *d)
{
	const struct config_addr *addr = &d->cfg.daemon.metrics_listen;
	struct metrics_sources src = {
		.devices = d->devices,
		.migrate = d->migrate,
		.peers = d->peers,
		.tls = &d->tls,
		.ktls = &d->cfg.tls.ktls,
	};
	int r;

	if (!addr->host[0])
		return 0; /* off */
	r = metrics_new(&src, &d->metrics);
	if (r < 0) {
		log_err(r, "metrics: cannot set up");
		return r;
	}
	r = metrics_listen(d->metrics, d->base, addr);
	if (r < 0) {
		metrics_free(d->metrics);
		d->metrics = NULL;
	}
	return r;
}

void daemon_stop_metrics(struct daemon *d)
{
	metrics_free(d->metrics);
	d->metrics = NULL;
}
