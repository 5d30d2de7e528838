/*
 * daemon.h - the running daemon: its event loop and everything hanging off it.
 *
 * Owns the libevent base, the running configuration, the device registry, the current TLS
 * context, the control server, the peer set and the migration engine, and the signal handling
 * that stops (SIGTERM, SIGINT) and reloads (SIGHUP) them. main.c only parses options and calls
 * these.
 *
 * Threading: everything here runs on the event loop thread.
 */
#ifndef VFIO_MIGD_DAEMON_DAEMON_H
#define VFIO_MIGD_DAEMON_DAEMON_H

#include "config.h"

struct daemon;
struct tls_ctx;

/* What main.c hands over: where the configuration came from, so SIGHUP can re-read it. */
struct daemon_args {
	const char *config_path; /* NULL: no file, defaults and overrides only */
	char **overrides;	 /* "section.key=value" strings applied after the file */
	size_t n_overrides;
};

/*
 * Builds the daemon from a configuration and the TLS context settings_load() made from it
 * (NULL without TLS), taking both over (also on failure): opens the configured devices, binds
 * the control socket and the peer listeners. Returns 0 or -errno after logging what failed.
 */
int daemon_new(const struct daemon_args *args, struct config *cfg, struct tls_ctx *tls,
	       struct daemon **ret);

/* Runs the loop until SIGTERM/SIGINT; tells systemd READY=1 first. Returns 0 or -errno. */
int daemon_run(struct daemon *d);

/* Tears everything down. NULL-safe. */
void daemon_free(struct daemon *d);

#endif
