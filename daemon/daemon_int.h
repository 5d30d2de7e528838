/*
 * daemon_int.h - struct daemon and the functions daemon*.c share. Not for other layers.
 */
#ifndef VFIO_MIGD_DAEMON_DAEMON_INT_H
#define VFIO_MIGD_DAEMON_DAEMON_INT_H

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
	uint64_t started_ms; /* daemon_now_ms() at start */
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

/* daemon_control.c: the control server and the daemon-level operations it calls back. */
int daemon_start_control(struct daemon *d);
void daemon_stop_control(struct daemon *d);

#endif
