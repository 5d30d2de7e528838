/*
 * err.h - turning failures into the messages and exit codes of the command line contract:
 * connection failures (exit 3 with what to do), daemon refusals (exit 1 with the daemon's
 * code, message and a hint), usage errors (exit 2), timeouts (exit 6). In --json mode every
 * error is also one {"error": {...}} document on stdout.
 */
#ifndef ERR_H
#define ERR_H

#include "ctl.h"

/* A failed vfiomig_connect() (r is its -errno). Prints and returns CTL_EXIT_UNREACHABLE. */
int err_connect(struct ctl *ctl, const char *path, int r);

/*
 * A failed library call: what is the operation ("device info gpu0"). Uses the client's last
 * error (the daemon's code and message, or the library's). Prints and returns the exit code.
 */
int err_call(struct ctl *ctl, int r, const char *what);

/* A usage error of the current command. Prints and returns CTL_EXIT_USAGE. */
int err_usage(struct ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Any other error: code (a stable upper-case name), errno value (0 when none), exit code.
 * Prints "vfio-migctl: message" on stderr, or the JSON error document. Returns exit_code.
 */
int err_report(struct ctl *ctl, const char *code, int errnum, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The hint for a daemon error code ("" when there is none). Static text. */
const char *err_hint(uint32_t code);

#endif
