/*
 * daemon_int.h - struct daemon and the functions daemon*.c share. Not for other layers.
 */
#ifndef VFIO_MIGD_DAEMON_DAEMON_INT_H
#define VFIO_MIGD_DAEMON_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "daemon.h"
#include "registry.h"

struct event_base;
struct event;
struct tls_ctx;
struct peer_set;
struct control_server;
struct control_jobs;
struct migrate;
struct metrics;

struct daemon {
	const struct daemon_args *args;
	struct config cfg; /* the running configuration */
	struct event_base *base;
	struct event *sig[3]; /* SIGTERM, SIGINT, SIGHUP */
	struct registry *devices;
	struct tls_ctx *tls; /* last good context, NULL without TLS material */
	struct peer_set *peers;
	struct control_server *control;
	struct migrate *migrate;
	uint64_t started_ms;	   /* daemon_now_ms() at start */
	bool activated;		   /* the control socket came from systemd (vfio-migd.socket) */
	struct event *watchdog;	   /* WATCHDOG=1 at half WATCHDOG_USEC; NULL without one */
	struct event *status_ev;   /* STATUS= refresh, once a second */
	char status[128];	   /* the STATUS= line sent last */
	bool stopping;		   /* SIGTERM/SIGINT came: no new jobs, waiting for the rest */
	bool stop_done;		   /* the loop is leaving */
	uint64_t stop_deadline_ms; /* daemon_now_ms() when the wait ends */
	uint64_t stop_extended_ms; /* the last EXTEND_TIMEOUT_USEC= */
	struct event *stop_ev;	   /* while stopping: checks the jobs and the bound */
	struct metrics *metrics;   /* GET /metrics; NULL when [daemon] metrics_listen is off */
};

/* Monotonic milliseconds. */
uint64_t daemon_now_ms(void);

/* "0.1.0": the daemon's version. */
const char *daemon_version(void);

/* daemon_peers.c: the peer set (listeners and links) from the configuration. */
int daemon_start_peers(struct daemon *d);
void daemon_stop_peers(struct daemon *d);
/* Makes ctx (taking its reference; NULL keeps the old one) the context for new connections. */
void daemon_swap_tls(struct daemon *d, struct tls_ctx *ctx);

/* daemon_migrate.c: the migration engine (after the peer set, before the control server). */
int daemon_start_migrate(struct daemon *d);
void daemon_stop_migrate(struct daemon *d);
/* Hands the running configuration's limits to the engine (SIGHUP). */
void daemon_reload_migrate(struct daemon *d);
/* The job operations of the control server. */
extern const struct control_jobs daemon_jobs;

/* daemon_notify.c: the systemd watchdog and STATUS= (sent when it changes). */
int daemon_notify_start(struct daemon *d);
void daemon_notify_stop(struct daemon *d);
void daemon_notify_status(struct daemon *d);

/* daemon_stop.c: SIGTERM/SIGINT (sig names it): cancel before COMMIT, wait for the rest at
 * most [daemon] stop_timeout, then leave the loop; a second signal leaves at once. */
void daemon_stop_begin(struct daemon *d, const char *sig);
/* While stopping: leaves the loop once no job runs or the bound passed (job events call it). */
void daemon_stop_check(struct daemon *d);
void daemon_stop_free(struct daemon *d);

/* daemon_control.c: the control server and the daemon-level operations it calls back. The
 * socket is the one systemd passed as "control" (LISTEN_FDNAMES), else config's. */
int daemon_start_control(struct daemon *d);
void daemon_stop_control(struct daemon *d);

/* daemon_metrics.c: the metrics endpoint ([daemon] metrics_listen; nothing when off). Start
 * after the control server; a bind failure stops the start. */
int daemon_start_metrics(struct daemon *d);
void daemon_stop_metrics(struct daemon *d);

#endif
