/*
 * control.h - the orchestrator-facing control server: a UNIX stream socket speaking the
 * control API (proto/ctl_request.h, ctl_reply.h) to libvfiomig and vfio-migctl.
 *
 * One struct control_server per daemon, on one struct event_base: the listening socket and
 * every connected client. Each client is a small state machine (control_client.c); every
 * request is decoded, checked and dispatched through one handler table (control_call.c) and
 * answered with exactly one reply carrying the request's serial, a stable error code and a
 * message saying what failed and what to do. A handler may answer at once or later (an async
 * call, e.g. peer_connect); a client may have several requests in flight.
 *
 * Hostile or broken clients: every frame header is checked (frame_parse) before its body is
 * buffered, only CTL_REQUEST frames are accepted, file descriptors (SCM_RIGHTS) are counted
 * against the frame they come with, and a client that does not read its replies is closed
 * once max_output bytes wait for it. Any such violation is logged in one line naming the
 * client ("control: client pid=123 uid=0: ..."), answered with a PROTOCOL error when the
 * request's serial can be read, and closes that client only.
 *
 * What the daemon supplies is struct control_env: the device registry and callbacks for
 * what lives outside this module (daemon info, peer links, migration jobs). Clients that
 * subscribe receive job events (control_events_publish()) on the same connection.
 *
 * Threading: everything runs on the thread of the event loop the server was made with,
 * including every env callback and every completion. Blocking: device_add opens a VFIO
 * device, which may block the loop briefly (open_device() in daemon/device/open.h);
 * device_info computes a sim device's content digest (proportional to its size). Every other
 * operation is non-blocking.
 */
#ifndef VFIO_MIGD_CONTROL_CONTROL_H
#define VFIO_MIGD_CONTROL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_event.h"
#include "ctl_reply.h"

struct event_base;
struct registry;
struct control_server;

#define CONTROL_DEFAULT_MODE	    0660
#define CONTROL_DEFAULT_MAX_CLIENTS 64
#define CONTROL_DEFAULT_MAX_OUTPUT  ((size_t)4 << 20)
#define CONTROL_MAX_OUTPUT_MIN	    ((size_t)4096)

/* Requests of one client that may wait for a reply at once (async operations). */
#define CONTROL_CALLS_MAX 16

/* How long a client closed for a protocol error has to read the error reply. */
#define CONTROL_LINGER_MS 1000

/* How long accepting stops after running out of file descriptors or memory. */
#define CONTROL_ACCEPT_PAUSE_MS 1000

struct control_options {
	const char *path;	  /* control_server_new(): the socket path (copied), required */
	unsigned int mode;	  /* permissions of the socket file, at most 0777 */
	const char *group;	  /* group name (or number) given the socket; NULL/"": left alone */
	unsigned int max_clients; /* clients connected at once, >= 1; more are refused */
	const uid_t *allowed_uids; /* copied; n 0: whoever mode and group let in. root: always */
	size_t n_allowed_uids;
	size_t max_output; /* reply bytes queued per client before it is closed, >= the minimum */
};

/* Fills o with the defaults: no path, mode 0660, no group, 64 clients, 4 MiB, no uid list. */
void control_options_init(struct control_options *o);

/*
 * The completion of an env->peer_connect() call: err 0 and info (the link, READY), or
 * err < 0 (-errno as peer_connect_fn reports it) and message, one line naming the peer and
 * what failed (may be NULL). info and message are read during the call only. Must be called
 * exactly once per accepted call, on the loop thread.
 */
typedef void control_peer_done_fn(void *done_arg, int err, const char *message,
				  const struct ctl_peer_info *info);

/*
 * The completion of a jobs->wait() call: err 0 and st (the finished job's status), or
 * err < 0 with e (code and message) and st the last status if known (may be NULL). Both are
 * read during the call only. Called exactly once per accepted wait, on the loop thread.
 */
typedef void control_job_done_fn(void *done_arg, int err, const struct proto_error *e,
				 const struct ctl_job_status *st);

/*
 * The migration jobs, as the daemon's migrate engine provides them (daemon/migrate/migrate.h
 * has the full contracts). Every callback receives env->arg; who names the requesting client
 * for the audit log ("pid=123 uid=0"). A callback returns 0, or -errno with *err filled (the
 * reply's code, device and message). wait: as peer_connect, done is called exactly once,
 * from inside the call or later, and the server keeps done_arg valid until then; the daemon
 * must complete every accepted wait, also at shutdown.
 */
struct control_jobs {
	int (*prepare)(void *arg, const struct ctl_prepare_incoming *req, const char *who,
		       struct ctl_prepare_result *ret, struct proto_error *err);
	int (*migrate)(void *arg, const struct ctl_migrate *req, const char *who, uint64_t *ret_id,
		       struct proto_error *err);
	int (*status)(void *arg, uint64_t id, struct ctl_job_status *ret, struct proto_error *err);
	uint32_t (*list)(void *arg, struct ctl_job_status *v, uint32_t max);
	int (*cancel)(void *arg, uint64_t id, const char *who, struct proto_error *err);
	int (*switchover)(void *arg, uint64_t id, const char *who, struct proto_error *err);
	int (*resume)(void *arg, uint64_t id, const char *who, struct proto_error *err);
	int (*set_bandwidth)(void *arg, uint64_t id, uint64_t bps, const char *who,
			     struct proto_error *err);
	int (*wait)(void *arg, uint64_t id, uint32_t timeout_ms, control_job_done_fn *done,
		    void *done_arg, struct proto_error *err);
	/* job_metadata: *ret_data (may be NULL when *ret_len is 0) stays valid during the call
	 * only; the server copies it into the reply. */
	int (*metadata)(void *arg, uint64_t id, const char *device, const uint8_t **ret_data,
			size_t *ret_len, struct proto_error *err);
};

/*
 * What the daemon provides. Every callback runs on the loop thread and receives arg. A NULL
 * callback makes its operations answer UNSUPPORTED.
 *
 * daemon_info: *ret arrives filled with what the server knows (version, protocol_version,
 *   device_count); the callback adds the rest (host identity, TLS, jobs, uptime, listeners)
 *   and may override any field. Every string must satisfy the limits of ctl_reply.h.
 *
 * peer_connect: opens or reuses a link to address (expect_host NULL for none); both strings
 *   are valid during the call only. Return 0: done(done_arg, ...) will be called exactly
 *   once, from inside this call or later. Return -errno: done is never called and the
 *   request is answered with that error. The server keeps done_arg valid until done is
 *   called, even after the client disconnects or the server is freed (the result is then
 *   dropped), so the daemon never has to cancel; but it must complete every accepted call
 *   eventually, also at shutdown (peer_set_free() does, with -ECANCELED), or that call's
 *   small record leaks. Error codes of the reply: -EACCES and -ENOKEY give TLS_FAILED,
 *   -ENOENT (unknown host) PEER_UNREACHABLE, others proto_err_from_errno().
 *
 * peer_list: writes at most max links into peers[] (zeroed by the caller) and returns how
 *   many it wrote.
 */
struct control_env {
	struct registry *devices; /* required; the server adds and removes devices in it */
	void (*daemon_info)(void *arg, struct ctl_daemon_info *ret);
	int (*peer_connect)(void *arg, const char *address, const char *expect_host,
			    control_peer_done_fn *done, void *done_arg);
	uint32_t (*peer_list)(void *arg, struct ctl_peer_info *peers, uint32_t max);
	const struct control_jobs *jobs; /* NULL: the job operations answer UNSUPPORTED */
	void *arg;
};

/*
 * Creates the socket at opts->path and serves it on base. The parent directory must exist
 * (it is never created). If path exists: a socket that accepts a connection belongs to a
 * running daemon and is refused (-EADDRINUSE); a socket nobody listens on is stale and is
 * replaced; anything else is refused (-EEXIST). The socket file gets opts->mode and, with
 * opts->group, that group. It is unlinked by control_server_free(), if it is still the one
 * this call created. Returns 0 and *ret, or -errno with one line in err (may be NULL) naming
 * the path, directory or group and what to do: -EINVAL (options, env), -ENAMETOOLONG,
 * -ENOENT (directory or group missing), -ENOTDIR, -EEXIST, -EADDRINUSE, the errors of
 * socket(2), bind(2), chown(2), chmod(2), listen(2), and -ENOMEM.
 */
int control_server_new(struct event_base *base, const struct control_options *opts,
		       const struct control_env *env, struct control_server **ret, char *err,
		       size_t errlen);

/*
 * Serves an already listening AF_UNIX stream socket (socket activation). Takes ownership of
 * fd, also on failure; the socket file is never unlinked or changed here (mode, group and
 * path belong to whoever made it; opts->path may be NULL and names the socket in logs only).
 * Returns 0 and *ret, or -EINVAL (fd is not a listening AF_UNIX stream socket, bad options)
 * or -ENOMEM, with one line in err.
 */
int control_server_new_from_fd(struct event_base *base, int fd, const struct control_options *opts,
			       const struct control_env *env, struct control_server **ret,
			       char *err, size_t errlen);

/*
 * Closes every client (their pending async calls are detached: completions are dropped),
 * the listener, and unlinks the socket if this server created it. NULL-safe.
 */
void control_server_free(struct control_server *srv);

/* Clients connected now. */
unsigned int control_server_clients(const struct control_server *srv);

/* The socket path ("" when unknown for an activated socket). */
const char *control_server_path(const struct control_server *srv);

/*
 * Sends ev to every client that subscribed to its job (or to every job), each with its own
 * sequence number. A subscriber whose queued output would pass max_output is closed (it does
 * not read). Loop thread; NULL srv is a no-op.
 */
void control_events_publish(struct control_server *srv, const struct ctl_event *ev);

/* Whether a client with this uid may use the socket: root always, anyone with an empty list. */
bool control_uid_allowed(const uid_t *allowed, size_t n, uid_t uid);

#endif
