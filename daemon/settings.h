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
 * [tls] files. Returns 0 and *ret (config_free it) and, when ret_tls is not NULL, the TLS
 * context it built in *ret_tls (NULL without [tls]; tls_ctx_unref it), so the files are read
 * once; or -errno with err naming file, line and key (nothing is returned then).
 */
int settings_load(const char *path, char *const *over, size_t n_over, struct config *ret,
		  struct tls_ctx **ret_tls, struct config_error *err);

#endif
