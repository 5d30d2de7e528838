/*
 * metrics.h - the Prometheus endpoint: GET /metrics over HTTP ([daemon] metrics_listen, off
 * by default, loopback only), in the text exposition format 0.0.4.
 *
 * Owns the evhttp server on the daemon's event loop and the few numbers nothing else keeps:
 * histograms of finished migrations' durations and downtimes, results by role, bytes moved
 * by finished jobs. Everything else is read at scrape time from the modules that own it:
 * devices by state (registry), jobs by phase and bytes of running jobs (migrate), TLS
 * handshake failures and kTLS use on links (peer), the certificate's expiry (tls). A scrape
 * changes nothing.
 *
 * Families (all prefixed vfio_migd_): build_info, devices{state}, jobs{role,phase},
 * transferred_bytes_total{role}, migrations_total{role,result},
 * migration_duration_seconds{role} and migration_downtime_seconds{role} (histograms, completed
 * jobs), tls_handshake_failures_total{reason}, tls_certificate_expiry_timestamp_seconds,
 * ktls_configured, peer_links, peer_links_ktls{direction}.
 *
 * Threading: the loop thread only.
 */
#ifndef VFIO_MIGD_DAEMON_METRICS_H
#define VFIO_MIGD_DAEMON_METRICS_H

#include <stdbool.h>

#include "config.h"
#include "metrics_text.h"

struct event_base;
struct registry;
struct migrate;
struct peer_set;
struct tls_ctx;
struct ctl_job_status;
struct metrics;

/* Where the numbers come from; every pointer may be NULL (the families are then left out),
 * and is read at each scrape (so a context swapped by SIGHUP shows at once). */
struct metrics_sources {
	struct registry *devices;
	struct migrate *migrate;
	struct peer_set *peers;
	struct tls_ctx *const *tls; /* the daemon's current context (itself may be NULL) */
	const bool *ktls;	    /* [tls] ktls */
};

/*
 * Metrics without an endpoint: what metrics_render() and metrics_job_finished() need. src is
 * copied. Returns 0 and *ret, or -ENOMEM.
 */
int metrics_new(const struct metrics_sources *src, struct metrics **ret);

/*
 * Serves GET /metrics on addr (a loopback address; port 0 lets the kernel pick) on base.
 * Logs the address bound ("metrics: serving http://127.0.0.1:9474/metrics"). Returns 0,
 * -EALREADY if it serves already, -ENOMEM, or -EADDRINUSE / -EADDRNOTAVAIL / -EACCES (the
 * bind failed: logged with the address).
 */
int metrics_listen(struct metrics *m, struct event_base *base, const struct config_addr *addr);

/* The bound "HOST:PORT" ("127.0.0.1:9474"), or "" when not serving. */
const char *metrics_address(const struct metrics *m);

/* Stops serving (open scrapes are dropped) and frees m. NULL-safe. */
void metrics_free(struct metrics *m);

/*
 * Records a finished job (its FINISHED event's status): result counter, bytes moved and, for
 * a COMPLETED job, its duration and downtime in the histograms. NULL-safe on m; ignores a
 * status that is not terminal.
 */
void metrics_job_finished(struct metrics *m, const struct ctl_job_status *st);

/* Appends the whole exposition to t (errors stick in t; see metrics_text_finish()). */
void metrics_render(struct metrics *m, struct metrics_text *t);

#endif
