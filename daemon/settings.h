/*
 * settings.h - a usable configuration: parsed, overridden, validated, TLS material and device
 * specs checked. What vfio-migd -n reports on, what the daemon starts from and what SIGHUP
 * swaps in. Runs on the event loop thread (or before it exists).
 */
#ifndef VFIO_MIGD_DAEMON_SETTINGS_H
#define VFIO_MIGD_DAEMON_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct tls_ctx;

/*
 * Reads path (NULL: defaults only), applies the "section.key=value" overrides in order, and
 * checks the whole: config_validate, every sim spec, and a TLS context actually built from the
 * [tls] files. Returns 0 and *ret (config_free it), or -errno with err naming file, line and key.
 */
int settings_load(const char *path, char *const *over, size_t n_over, struct config *ret,
		  struct config_error *err);

/* True when the configuration names any TLS file. */
bool settings_has_tls(const struct config *c);

/* Builds the TLS context the [tls] section describes. Returns 0 or -errno with err filled. */
int settings_tls(const struct config *c, struct tls_ctx **ret, char *err, size_t errlen);

#endif
