/*
 * err.c - failures as the command line contract wants them: what failed and what to do,
 * with the exit code that says which kind of failure it was (ctl.h). Connection failures
 * name the socket; daemon refusals carry the daemon's code and message and a hint per
 * code; in --json mode the error is one {"error": {"code", "message", "errno"}} document
 * on stdout, and the text still goes to stderr (errors always print, -q or not).
 *
 * Single-threaded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "output.h"

/* What to do about each daemon error code (indexed by enum vfiomig_error). */
static const char *const err_hints[] = {
	[VFIOMIG_ERR_NOT_FOUND] = "check the id: vfio-migctl device list / job list",
	[VFIOMIG_ERR_ALREADY_EXISTS] = "pick another id, or remove the existing one first",
	[VFIOMIG_ERR_BUSY] = "a job holds it: see vfio-migctl job list; wait for the job or "
			     "cancel it",
	[VFIOMIG_ERR_PERMISSION_DENIED] = "the daemon refused this user: run as root or as a "
					  "member of the control socket's group",
	[VFIOMIG_ERR_INCOMPATIBLE] = "the devices or daemon versions differ: compare "
				     "vfio-migctl device info and info on both hosts",
	[VFIOMIG_ERR_TOKEN_INVALID] = "run vfio-migctl prepare again on the destination and use "
				      "the new token (a token works once, from the named source)",
	[VFIOMIG_ERR_TOKEN_EXPIRED] = "run vfio-migctl prepare again on the destination "
				      "(--expiry sets a longer lifetime)",
	[VFIOMIG_ERR_PEER_UNREACHABLE] = "check the address and port, and that vfio-migd runs "
					 "there with its peer listener (vfio-migctl info)",
	[VFIOMIG_ERR_TLS_FAILED] = "a certificate problem on the peer link: check both hosts' "
				   "CA, certificate expiry and [tls] allow list (vfio-migctl info "
				   "shows this daemon's TLS state)",
	[VFIOMIG_ERR_TIMEOUT] = "the daemon gave up waiting; check the peer and retry",
	[VFIOMIG_ERR_DEVICE_FAILED] = "the device or its driver failed: see the daemon's log "
				      "(journalctl -u vfio-migd) and vfio-migctl device info",
	[VFIOMIG_ERR_INTEGRITY] = "the migrated data was damaged on the way: check the network "
				  "path and retry",
	[VFIOMIG_ERR_PROTOCOL] = "the two daemons disagree on the protocol: compare their "
				 "versions (vfio-migctl info)",
	[VFIOMIG_ERR_INTERNAL] = "a daemon bug: please report it with the daemon's log",
	[VFIOMIG_ERR_UNSUPPORTED] = "this device or daemon does not support the operation",
	[VFIOMIG_ERR_RESOURCE_EXHAUSTED] = "a daemon limit was reached: wait for running jobs "
					   "or raise the limit in vfio-migd.conf",
};

const char *err_hint(uint32_t code)
{
	if (code < sizeof(err_hints) / sizeof(err_hints[0]) && err_hints[code])
		return err_hints[code];
	return "";
}

/* The JSON error document on stdout; hint only when there is one. */
static void err_json(const char *code, const char *message, const char *hint, int errnum)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "errno", json_object_new_int(errnum));
	if (hint && *hint)
		json_object_object_add(e, "hint", json_object_new_string(hint));
	json_object_object_add(o, "error", e);
	output_json_print(o);
}

/* Prints message and hint on stderr (and the JSON form on stdout). */
static void err_emit(struct ctl *ctl, const char *code, int errnum, const char *message,
		     const char *hint)
{
	if (ctl->json)
		err_json(code, message, hint, errnum);
	if (hint && *hint)
		fprintf(stderr, "vfio-migctl: %s\n  hint: %s\n", message, hint);
	else
		fprintf(stderr, "vfio-migctl: %s\n", message);
}

int err_report(struct ctl *ctl, const char *code, int errnum, int exit_code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_emit(ctl, code, errnum, msg, NULL);
	return exit_code;
}

int err_usage(struct ctl *ctl, const char *fmt, ...)
{
	char msg[1024], name[64], full[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctl->cmd) {
		snprintf(name, sizeof(name), "%s", ctl_cmd_name(ctl->cmd));
		snprintf(full, sizeof(full), "%s: %s\nTry 'vfio-migctl %s --help'.", name, msg,
			 name);
	} else {
		snprintf(full, sizeof(full), "%s\nTry 'vfio-migctl --help'.", msg);
	}
	err_emit(ctl, "USAGE", EINVAL, full, NULL);
	return CTL_EXIT_USAGE;
}

int err_connect(struct ctl *ctl, const char *path, int r)
{
	switch (-r) {
	case ENOENT:
	case ENOTDIR:
		return err_report(ctl, "NOT_RUNNING", -r, CTL_EXIT_UNREACHABLE,
				  "daemon not running? no socket at %s; start it with "
				  "systemctl start vfio-migd (or give the socket with -s PATH or "
				  "$%s)",
				  path, VFIOMIG_SOCKET_ENV);
	case ECONNREFUSED:
		return err_report(ctl, "NOT_RUNNING", -r, CTL_EXIT_UNREACHABLE,
				  "daemon not running? nothing accepts connections on %s; start it "
				  "with systemctl start vfio-migd",
				  path);
	case EACCES:
	case EPERM:
		return err_report(ctl, "PERMISSION_DENIED", -r, CTL_EXIT_UNREACHABLE,
				  "permission denied on %s: join the group of the control socket "
				  "([control] group in vfio-migd.conf) or run as root",
				  path);
	case ETIMEDOUT:
		return err_report(ctl, "BUSY", -r, CTL_EXIT_UNREACHABLE,
				  "the daemon at %s accepted no connection in time (its backlog "
				  "stayed full): it is overloaded or hung; retry, or check it with "
				  "systemctl status vfio-migd",
				  path);
	case EINTR:
		return err_report(ctl, "INTERRUPTED", -r, CTL_EXIT_INTERRUPTED,
				  "interrupted while connecting to %s", path);
	case EINVAL:
	case ENAMETOOLONG:
		return err_report(ctl, "BAD_SOCKET", -r, CTL_EXIT_UNREACHABLE,
				  "cannot use '%s' as the control socket: %s", path,
				  vfiomig_strerror(r));
	default:
		return err_report(ctl, "UNREACHABLE", -r, CTL_EXIT_UNREACHABLE,
				  "cannot connect to the daemon at %s: %s", path,
				  vfiomig_strerror(r));
	}
}

/* A failure the library found (no daemon code). */
static int err_local(struct ctl *ctl, int r, const char *what, const char *msg)
{
	const char *path = ctl->client ? vfiomig_get_path(ctl->client) : "the socket";

	switch (-r) {
	case ECONNRESET:
	case EPIPE:
	case ENOTCONN:
		return err_report(ctl, "CONNECTION_LOST", -r, CTL_EXIT_UNREACHABLE,
				  "%s: the daemon at %s closed the connection (%s); check that "
				  "it still runs: systemctl status vfio-migd",
				  what, path, *msg ? msg : vfiomig_strerror(r));
	case ETIMEDOUT:
		return err_report(ctl, "TIMEOUT", -r, CTL_EXIT_TIMEOUT,
				  "%s: %s; give it longer with -t SECONDS", what,
				  *msg ? msg : "no reply from the daemon in time");
	case EINTR:
		return err_report(ctl, "INTERRUPTED", -r, CTL_EXIT_INTERRUPTED, "%s: %s", what,
				  *msg ? msg : "interrupted");
	case EINVAL:
		return err_report(ctl, "INVALID_ARGUMENT", -r, CTL_EXIT_USAGE, "%s: %s", what,
				  *msg ? msg : vfiomig_strerror(r));
	default:
		return err_report(ctl, "CLIENT_ERROR", -r, CTL_EXIT_FAILED, "%s: %s", what,
				  *msg ? msg : vfiomig_strerror(r));
	}
}

int err_call(struct ctl *ctl, int r, const char *what)
{
	uint32_t code = vfiomig_last_error_code(ctl->client);
	const char *msg = vfiomig_last_error_message(ctl->client);
	const char *hint = err_hint(code);
	char full[2048];

	if (code == VFIOMIG_ERR_OK)
		return err_local(ctl, r, what, msg);
	/* the daemon's own sentence may already say what to do */
	if (strstr(msg, "vfio-migctl "))
		hint = "";
	snprintf(full, sizeof(full), "%s: %s: %s", what, vfiomig_error_name(code),
		 *msg ? msg : vfiomig_strerror(r));
	err_emit(ctl, vfiomig_error_name(code), -r, full, hint);
	return CTL_EXIT_FAILED;
}
