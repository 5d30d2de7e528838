/*
 * vfiomig.h - libvfiomig, the C client library of vfio-migd's control API.
 *
 * An orchestrator (OpenStack, KubeVirt, libvirt-based tooling, a VMM) connects to the
 * vfio-migd of a host through its UNIX control socket and drives it: devices, migration jobs,
 * peer links, events. Every control operation has one function here, in two forms:
 *
 *   blocking   vfiomig_device_info(c, "gpu0", 0, &dev): sends the request and waits for the
 *              reply, at most the client's timeout (vfiomig_set_timeout());
 *   async      vfiomig_device_info_async(c, "gpu0", 0, cb, userdata): queues the request and
 *              returns at once; cb runs from vfiomig_process() when the reply came. The
 *              library never runs a thread or a loop of its own: put vfiomig_get_fd() into
 *              your loop with the events vfiomig_get_events() asks for, and call
 *              vfiomig_process() when it is ready.
 *
 * Conventions:
 *  - Every function that can fail returns an int: >= 0 on success, -errno on failure. Out
 *    parameters (ret_*) are written only on success. vfiomig_strerror() describes an errno.
 *  - When the daemon refused a request, the call returns the errno matching the daemon's
 *    stable error code (NOT_FOUND -> -ENOENT, BUSY -> -EBUSY, ...; see enum vfiomig_error)
 *    and vfiomig_last_error_code() / _name() / _message() / _device() say exactly what the
 *    daemon said. For failures found by the library itself (bad argument, lost connection)
 *    the code is VFIOMIG_ERR_OK and the message is the library's explanation.
 *  - Arguments are checked before anything is sent: NULL pointers, empty or too long ids
 *    (ids are 1..63 bytes of [A-Za-z0-9._:@-]), out-of-range states give -EINVAL without a
 *    round trip. Every operation takes `flags`, reserved for extensions: pass 0 (anything
 *    else is -EINVAL).
 *  - Results are opaque objects owned by the caller, freed with their _free() function
 *    (NULL-safe). Strings returned by accessors belong to the object and live as long as it.
 *  - Enums have explicit values equal to the wire values of proto/control.proto.
 *  - A lost connection (daemon stopped, restarted, killed) fails every pending and later
 *    call with -ECONNRESET, -EPIPE or -ENOTCONN, promptly; the library never raises SIGPIPE
 *    (it sends with MSG_NOSIGNAL). Reconnect by closing the client and connecting again.
 *
 * Threads: a client may be used by one thread at a time (calls on one client must be
 * serialised by the caller); distinct clients are fully independent. Result objects are
 * plain values: any thread may read one, none may free it while another reads it. The
 * library keeps no global state (vfiomig_strerror() returns static text).
 *
 * Callbacks (async replies and events) run only inside vfiomig_process(), inside blocking
 * calls (a blocking call also delivers the replies of earlier async calls and the events that
 * arrive while it waits) and inside vfiomig_close() (pending calls end with -ECANCELED); never
 * inside an _async function. A callback may issue new calls; it must not close the client.
 * The event callback is never re-entered: when it makes a blocking call, the events arriving
 * meanwhile are queued and delivered, in order, after it returns.
 * Replies need not come in the order of their requests: the daemon runs operations that touch
 * a device (device add, remove, info, set state) off its loop and answers others meanwhile.
 * Each reply reaches the callback of its own call; do not rely on their order.
 */
#ifndef VFIOMIG_H
#define VFIOMIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VFIOMIG_VERSION_MAJOR 0
#define VFIOMIG_VERSION_MINOR 1

/* The daemon's control socket when neither the caller nor $VFIOMIG_SOCKET names one. */
#define VFIOMIG_DEFAULT_SOCKET "/run/vfio-migd/control.sock"

/* The environment variable vfiomig_connect(NULL, ...) reads. */
#define VFIOMIG_SOCKET_ENV "VFIOMIG_SOCKET"

/* The blocking calls' timeout until vfiomig_set_timeout() changes it. */
#define VFIOMIG_DEFAULT_TIMEOUT_MS 30000

/* Limits (bytes, excluding the terminating NUL), as the daemon enforces them. */
#define VFIOMIG_ID_MAX		   63	      /* device ids */
#define VFIOMIG_ADDR_MAX	   255	      /* peer addresses and TLS identities */
#define VFIOMIG_PATH_MAX	   1023	      /* device paths */
#define VFIOMIG_SIM_SPEC_MAX	   255	      /* sim device specs */
#define VFIOMIG_TOKEN_MAX	   127	      /* prepare tokens */
#define VFIOMIG_JOB_DEVICES_MAX	   32	      /* devices in one job */
#define VFIOMIG_METADATA_MAX	   (1u << 20) /* opaque metadata per device */
#define VFIOMIG_METADATA_TOTAL_MAX (4u << 20) /* opaque metadata per job, all devices */
#define VFIOMIG_DIGEST_LEN	   32	      /* SHA-256 */

#if defined(VFIOMIG_BUILDING)
#define VFIOMIG_EXPORT __attribute__((visibility("default")))
#else
#define VFIOMIG_EXPORT
#endif

/* ---------------------------------------------------------------------------------------
 * Enums (values are the wire values)
 */

/* Stable error codes of the daemon (common.proto ErrorCode). */
enum vfiomig_error {
	VFIOMIG_ERR_OK = 0,
	VFIOMIG_ERR_INVALID_ARGUMENT = 1,    /* -EINVAL */
	VFIOMIG_ERR_NOT_FOUND = 2,	     /* -ENOENT */
	VFIOMIG_ERR_ALREADY_EXISTS = 3,	     /* -EEXIST */
	VFIOMIG_ERR_BUSY = 4,		     /* -EBUSY */
	VFIOMIG_ERR_PERMISSION_DENIED = 5,   /* -EACCES */
	VFIOMIG_ERR_INCOMPATIBLE = 6,	     /* -EPROTONOSUPPORT */
	VFIOMIG_ERR_TOKEN_INVALID = 7,	     /* -EKEYREJECTED */
	VFIOMIG_ERR_TOKEN_EXPIRED = 8,	     /* -EKEYEXPIRED */
	VFIOMIG_ERR_PEER_UNREACHABLE = 9,    /* -EHOSTUNREACH */
	VFIOMIG_ERR_TLS_FAILED = 10,	     /* -ECONNABORTED */
	VFIOMIG_ERR_TIMEOUT = 11,	     /* -ETIMEDOUT */
	VFIOMIG_ERR_CANCELLED = 12,	     /* -ECANCELED */
	VFIOMIG_ERR_DEVICE_FAILED = 13,	     /* -EIO */
	VFIOMIG_ERR_INTEGRITY = 14,	     /* -EILSEQ */
	VFIOMIG_ERR_PROTOCOL = 15,	     /* -EPROTO */
	VFIOMIG_ERR_INTERNAL = 16,	     /* -ENOTRECOVERABLE */
	VFIOMIG_ERR_UNSUPPORTED = 17,	     /* -EOPNOTSUPP */
	VFIOMIG_ERR_RESOURCE_EXHAUSTED = 18, /* -ENOSPC; codes newer than this build: -EREMOTEIO */
};

/* A device's VFIO migration state (the kernel's enum vfio_device_mig_state). */
enum vfiomig_device_state {
	VFIOMIG_STATE_ERROR = 0, /* reported, never requested */
	VFIOMIG_STATE_STOP = 1,
	VFIOMIG_STATE_RUNNING = 2,
	VFIOMIG_STATE_STOP_COPY = 3,
	VFIOMIG_STATE_RESUMING = 4,
	VFIOMIG_STATE_RUNNING_P2P = 5,
	VFIOMIG_STATE_PRE_COPY = 6,
	VFIOMIG_STATE_PRE_COPY_P2P = 7,
};

/* How the daemon reaches a device. */
enum vfiomig_device_kind {
	VFIOMIG_KIND_NONE = 0,
	VFIOMIG_KIND_VFIO_PCI = 1,
	VFIOMIG_KIND_VFIO_MDEV = 2,
	VFIOMIG_KIND_VFIO_FD = 3,
	VFIOMIG_KIND_SIM = 4,
};

/* Where vfiomig_device_add() takes a device from. */
enum vfiomig_device_source {
	VFIOMIG_SOURCE_PATH = 2, /* /dev/vfio/devices/vfioN or a sysfs device directory */
	VFIOMIG_SOURCE_PCI = 3,	 /* DDDD:BB:DD.F, lower-case hex */
	VFIOMIG_SOURCE_MDEV = 4, /* mdev UUID */
	VFIOMIG_SOURCE_SIM = 5,	 /* simulated device spec "size=4M,dirty_rate=1M,..." */
				 /* an fd: use vfiomig_device_add_fd() */
};

/* A job's phase; only moves forward (or into ABORTING). */
enum vfiomig_job_phase {
	VFIOMIG_PHASE_NONE = 0,
	VFIOMIG_PHASE_WAITING = 1,	      /* destination: prepared, waiting for the source */
	VFIOMIG_PHASE_CONNECTING = 2,	      /* source: connecting to the peer */
	VFIOMIG_PHASE_PREPARING = 3,	      /* PREPARE sent / being checked */
	VFIOMIG_PHASE_PRECOPY = 4,	      /* devices stream while running */
	VFIOMIG_PHASE_SWITCHOVER_PENDING = 5, /* converged, waiting for vfiomig_job_switchover() */
	VFIOMIG_PHASE_STOP_COPY = 6,	      /* devices stopped, final state streaming */
	VFIOMIG_PHASE_LOADING = 7,	      /* destination verifying and loading */
	VFIOMIG_PHASE_COMMITTING = 8,	      /* COMMIT sent / received */
	VFIOMIG_PHASE_RESUME_PENDING = 9,     /* destination waits for vfiomig_job_resume() */
	VFIOMIG_PHASE_STARTING = 10,	      /* destination devices moving to RUNNING */
	VFIOMIG_PHASE_ABORTING = 11,	      /* rolling back */
	VFIOMIG_PHASE_COMPLETED = 12,	      /* terminal: the destination runs the devices */
	VFIOMIG_PHASE_FAILED = 13,	      /* terminal: rolled back after an error */
	VFIOMIG_PHASE_CANCELLED = 14,	      /* terminal: rolled back after a cancel */
};

enum vfiomig_job_role {
	VFIOMIG_ROLE_NONE = 0,
	VFIOMIG_ROLE_SOURCE = 1,
	VFIOMIG_ROLE_DESTINATION = 2,
};

enum vfiomig_switchover {
	VFIOMIG_SWITCHOVER_AUTO = 0,   /* as soon as the downtime limit can be met */
	VFIOMIG_SWITCHOVER_MANUAL = 1, /* wait in SWITCHOVER_PENDING for job_switchover */
};

enum vfiomig_resume {
	VFIOMIG_RESUME_AUTO = 0,   /* destination starts the devices right after COMMIT */
	VFIOMIG_RESUME_MANUAL = 1, /* destination waits in RESUME_PENDING for job_resume */
};

enum vfiomig_event_kind {
	VFIOMIG_EVENT_NONE = 0,
	VFIOMIG_EVENT_JOB_CREATED = 1,	/* a job exists (status set) */
	VFIOMIG_EVENT_PHASE = 2,	/* the job entered a phase (status set) */
	VFIOMIG_EVENT_PROGRESS = 3,	/* periodic progress (status set) */
	VFIOMIG_EVENT_DEVICE_STATE = 4, /* a device of the job changed state */
	VFIOMIG_EVENT_CONVERGED = 5,	/* the downtime limit can be met */
	VFIOMIG_EVENT_FINISHED = 6,	/* the job is terminal (status set) */
	VFIOMIG_EVENT_LOST = 7,		/* events were dropped (daemon or library queue full) */
};

enum vfiomig_peer_state {
	VFIOMIG_PEER_NONE = 0,
	VFIOMIG_PEER_CONNECTING = 1,
	VFIOMIG_PEER_TLS_HANDSHAKE = 2,
	VFIOMIG_PEER_HELLO = 3,
	VFIOMIG_PEER_READY = 4,
	VFIOMIG_PEER_CLOSING = 5,
};

enum vfiomig_tls_state {
	VFIOMIG_TLS_NONE = 0,
	VFIOMIG_TLS_DISABLED = 1, /* no TLS material: the peer listener is off */
	VFIOMIG_TLS_READY = 2,
	VFIOMIG_TLS_FAILED = 3, /* the last (re)load failed */
};

/* The operations (wire values), as vfiomig_result_get_op() reports them. */
enum vfiomig_op {
	VFIOMIG_OP_HELLO = 10,
	VFIOMIG_OP_DAEMON_INFO = 11,
	VFIOMIG_OP_DEVICE_LIST = 12,
	VFIOMIG_OP_DEVICE_ADD = 13,
	VFIOMIG_OP_DEVICE_REMOVE = 14,
	VFIOMIG_OP_DEVICE_INFO = 15,
	VFIOMIG_OP_DEVICE_SET_STATE = 16,
	VFIOMIG_OP_PREPARE_INCOMING = 17,
	VFIOMIG_OP_MIGRATE = 18,
	VFIOMIG_OP_JOB_STATUS = 19,
	VFIOMIG_OP_JOB_LIST = 20,
	VFIOMIG_OP_JOB_CANCEL = 21,
	VFIOMIG_OP_JOB_SWITCHOVER = 22,
	VFIOMIG_OP_JOB_RESUME = 23,
	VFIOMIG_OP_JOB_SET_BANDWIDTH = 24,
	VFIOMIG_OP_JOB_WAIT = 25,
	VFIOMIG_OP_SUBSCRIBE = 26,
	VFIOMIG_OP_PEER_CONNECT = 27,
	VFIOMIG_OP_PEER_LIST = 28,
	VFIOMIG_OP_JOB_METADATA = 29,
};

/* ---------------------------------------------------------------------------------------
 * Opaque types
 */
struct vfiomig_client;	       /* one connection to one daemon */
struct vfiomig_result;	       /* an async call's outcome, borrowed by its callback */
struct vfiomig_daemon_info;    /* daemon_info */
struct vfiomig_device;	       /* one device */
struct vfiomig_device_list;    /* device_list */
struct vfiomig_prepare;	       /* prepare_incoming's token, job and expiry */
struct vfiomig_migrate_params; /* what vfiomig_migrate() asks for (a builder) */
struct vfiomig_job;	       /* a job's status */
struct vfiomig_job_list;       /* job_list */
struct vfiomig_peer;	       /* one daemon-to-daemon link */
struct vfiomig_peer_list;      /* peer_list */
struct vfiomig_event;	       /* one job event */

/*
 * An async call's completion. status is >= 0 or -errno (as the blocking form would return);
 * res is never NULL and is borrowed: it and every object read from it are freed when the
 * callback returns, unless taken with a vfiomig_result_take_*() function.
 */
typedef void (*vfiomig_callback)(struct vfiomig_client *c, int status, struct vfiomig_result *res,
				 void *userdata);

/*
 * An event delivered by vfiomig_process() or a blocking call. ev is owned by the callback:
 * free it with vfiomig_event_free() (it may be kept past the callback).
 */
typedef void (*vfiomig_event_callback)(struct vfiomig_client *c, struct vfiomig_event *ev,
				       void *userdata);

/* ---------------------------------------------------------------------------------------
 * Errors
 */

/*
 * A description of err (a negative or positive errno value as returned by any vfiomig_
 * function). Returns static text, never NULL; thread-safe.
 */
VFIOMIG_EXPORT const char *vfiomig_strerror(int err);

/* The name of a daemon error code ("NOT_FOUND"), "UNKNOWN" for codes newer than this build. */
VFIOMIG_EXPORT const char *vfiomig_error_name(uint32_t code);

/* The -errno the library returns for a daemon error code (NOT_FOUND -> -ENOENT; OK -> 0). */
VFIOMIG_EXPORT int vfiomig_error_to_errno(uint32_t code);

/*
 * The daemon's error code for the last call on c that failed (VFIOMIG_ERR_OK when the
 * library itself refused the call or lost the connection). "Call" means a blocking call or
 * an _async function that failed at once; an async call that fails later carries its error
 * in its result (vfiomig_result_get_error_code()) and leaves this untouched. A later
 * successful call does not reset it; vfiomig_clear_error() does. c must not be NULL.
 */
VFIOMIG_EXPORT uint32_t vfiomig_last_error_code(const struct vfiomig_client *c);

/* vfiomig_error_name(vfiomig_last_error_code(c)). */
VFIOMIG_EXPORT const char *vfiomig_last_error_name(const struct vfiomig_client *c);

/*
 * The message of the last failed call on c: the daemon's sentence (what failed and what to
 * do) or the library's. "" when nothing failed yet. Valid until the next call on c.
 */
VFIOMIG_EXPORT const char *vfiomig_last_error_message(const struct vfiomig_client *c);

/* The device id the last daemon error concerns, "" when none. Valid until the next call. */
VFIOMIG_EXPORT const char *vfiomig_last_error_device(const struct vfiomig_client *c);

/* Forgets the last error. */
VFIOMIG_EXPORT void vfiomig_clear_error(struct vfiomig_client *c);

/* ---------------------------------------------------------------------------------------
 * Connections
 */

/*
 * Connects to a daemon's control socket: path, or $VFIOMIG_SOCKET when path is NULL, or
 * VFIOMIG_DEFAULT_SOCKET when that is unset or empty. Blocks only for the UNIX connect (no
 * round trip), which waits while the daemon's listen backlog is full (a busy daemon), at
 * most VFIOMIG_DEFAULT_TIMEOUT_MS. flags: 0. Returns 0 and *ret (vfiomig_close() it);
 * -EINVAL (ret NULL, flags, path empty or longer than a UNIX socket path); -ENOENT /
 * -ECONNREFUSED (no daemon there); -EACCES (socket permissions); -ETIMEDOUT (the backlog
 * stayed full); -EINTR (a signal interrupted the wait); -ENOMEM.
 */
VFIOMIG_EXPORT int vfiomig_connect(const char *path, uint32_t flags, struct vfiomig_client **ret);

/*
 * Closes the connection and frees c. Pending async calls are completed first with
 * -ECANCELED (their callbacks run from inside this call); queued events are freed.
 * NULL-safe. Must not be called from a callback of c.
 */
VFIOMIG_EXPORT void vfiomig_close(struct vfiomig_client *c);

/* The socket path c connected to. */
VFIOMIG_EXPORT const char *vfiomig_get_path(const struct vfiomig_client *c);

/*
 * Sets the timeout of c's blocking calls in milliseconds; 0: wait forever (a lost daemon
 * still ends the wait). Returns 0, or -EINVAL for a NULL client. A blocking call that times
 * out returns -ETIMEDOUT and forgets the call: a request not sent yet is dropped; one
 * already sent may still be performed by the daemon (check with job_status / device_info).
 * Blocking job_wait does not use this timeout: it waits for the reply up to its own
 * timeout_ms plus a second, or without limit when that is 0 (vfiomig_job_wait()).
 */
VFIOMIG_EXPORT int vfiomig_set_timeout(struct vfiomig_client *c, uint32_t timeout_ms);

/* The blocking calls' timeout in milliseconds. */
VFIOMIG_EXPORT uint32_t vfiomig_get_timeout(const struct vfiomig_client *c);

/* True while the connection is up (false after the daemon closed it or an I/O error). */
VFIOMIG_EXPORT bool vfiomig_is_connected(const struct vfiomig_client *c);

/*
 * Makes c's blocking calls (and vfiomig_event_next()) interruptible (on true; default
 * false): when a signal handler runs while one waits, it returns -EINTR at once instead of
 * waiting on until its reply or timeout; the call is forgotten as after a timeout (a
 * request not sent yet is dropped, one already sent may still be performed). Install the
 * handler without SA_RESTART and check your own flag after -EINTR. Returns 0 or -EINVAL.
 */
VFIOMIG_EXPORT int vfiomig_set_interruptible(struct vfiomig_client *c, bool on);

/* ---------------------------------------------------------------------------------------
 * Async mode: integrate with any event loop
 */

/* The socket to watch (never changes for the life of c), or -EINVAL for a NULL client. */
VFIOMIG_EXPORT int vfiomig_get_fd(const struct vfiomig_client *c);

/*
 * The poll(2) events to watch on vfiomig_get_fd(): POLLIN, plus POLLOUT while requests are
 * still queued for sending (or a call failed before it could be sent and waits for
 * vfiomig_process() to complete it). Ask again after every call that queues a request and
 * after every vfiomig_process(). 0 once the connection is lost: remove the fd from your loop
 * then (poll still reports POLLHUP on it) and vfiomig_close() the client.
 */
VFIOMIG_EXPORT int vfiomig_get_events(const struct vfiomig_client *c);

/* True while requests are queued for sending (the caller should watch for POLLOUT). */
VFIOMIG_EXPORT bool vfiomig_wants_write(const struct vfiomig_client *c);

/*
 * Does whatever can be done without blocking: sends queued requests, reads and decodes
 * what arrived, runs the callbacks of completed calls and the event callback. revents is a
 * hint (what poll reported; 0: try both directions). Reads at most 256 KiB per call, so
 * a fast stream of events cannot keep it (or a blocking call's timeout) from returning;
 * with a level-triggered loop, the fd stays ready while more is waiting. Returns the number
 * of callbacks run (>= 0); -ENOMEM (nothing lost, call again); or -ECONNRESET / -EPIPE /
 * -EPROTO when the connection was lost or the daemon broke the protocol (replies received
 * before the loss are delivered first; every pending call then completed with that error;
 * later calls fail with -ENOTCONN, and vfiomig_process() keeps returning the original
 * error). An event this build cannot decode (newer kind or phase) does not break the link:
 * it is skipped and reported as a LOST event. Never blocks.
 */
VFIOMIG_EXPORT int vfiomig_process(struct vfiomig_client *c, int revents);

/* Async calls still waiting for their reply. */
VFIOMIG_EXPORT unsigned int vfiomig_pending(const struct vfiomig_client *c);

/*
 * Forgets a pending async call: its callback will not run and its reply is discarded. A
 * request not sent yet is dropped; one already sent is still performed by the daemon. call
 * is what the _async function returned. Returns 0, or -ENOENT when no such call is pending.
 */
VFIOMIG_EXPORT int vfiomig_forget(struct vfiomig_client *c, uint32_t call);

/* ---- reading an async result (res is valid inside the callback only) ---- */

/* The operation this result answers (enum vfiomig_op). */
VFIOMIG_EXPORT uint32_t vfiomig_result_get_op(const struct vfiomig_result *res);
/* The call's status: >= 0 or -errno (same as the callback's status). */
VFIOMIG_EXPORT int vfiomig_result_get_status(const struct vfiomig_result *res);
/* The daemon's error code, VFIOMIG_ERR_OK when it accepted or never answered. */
VFIOMIG_EXPORT uint32_t vfiomig_result_get_error_code(const struct vfiomig_result *res);
/* The daemon's or the library's error message; "" on success. */
VFIOMIG_EXPORT const char *vfiomig_result_get_error_message(const struct vfiomig_result *res);
/* The device the daemon's error concerns; "" when none. */
VFIOMIG_EXPORT const char *vfiomig_result_get_error_device(const struct vfiomig_result *res);

/*
 * Borrowed views of a successful result, NULL when the result is not of that kind (or the
 * call failed): daemon_info; device (device_add, device_info, device_set_state); device_list;
 * prepare (prepare_incoming); job (job_status, job_wait); job_list; peer (peer_connect);
 * peer_list.
 */
VFIOMIG_EXPORT const struct vfiomig_daemon_info *vfiomig_result_get_daemon_info(
	const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_device *vfiomig_result_get_device(
	const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_device_list *vfiomig_result_get_device_list(
	const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_prepare *vfiomig_result_get_prepare(
	const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_job *vfiomig_result_get_job(const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_job_list *vfiomig_result_get_job_list(
	const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_peer *vfiomig_result_get_peer(const struct vfiomig_result *res);
VFIOMIG_EXPORT const struct vfiomig_peer_list *vfiomig_result_get_peer_list(
	const struct vfiomig_result *res);

/* migrate: the new job's id; 0 for other results. */
VFIOMIG_EXPORT uint64_t vfiomig_result_get_job_id(const struct vfiomig_result *res);

/* hello: the daemon's protocol version and features; 0 for other results. */
VFIOMIG_EXPORT uint32_t vfiomig_result_get_protocol_version(const struct vfiomig_result *res);
VFIOMIG_EXPORT uint64_t vfiomig_result_get_features(const struct vfiomig_result *res);

/*
 * job_metadata: the metadata (borrowed; may be NULL with *ret_len 0 when the source sent
 * none). Returns NULL and *ret_len 0 for other results.
 */
VFIOMIG_EXPORT const void *vfiomig_result_get_metadata(const struct vfiomig_result *res,
						       size_t *ret_len);

/*
 * Ownership transfers: the object (now the caller's, to free with its _free()), or NULL when
 * the result holds none of that kind. A second take returns NULL.
 */
VFIOMIG_EXPORT struct vfiomig_daemon_info *vfiomig_result_take_daemon_info(
	struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_device *vfiomig_result_take_device(struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_device_list *vfiomig_result_take_device_list(
	struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_prepare *vfiomig_result_take_prepare(struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_job *vfiomig_result_take_job(struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_job_list *vfiomig_result_take_job_list(struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_peer *vfiomig_result_take_peer(struct vfiomig_result *res);
VFIOMIG_EXPORT struct vfiomig_peer_list *vfiomig_result_take_peer_list(struct vfiomig_result *res);

/* ---------------------------------------------------------------------------------------
 * Operations. Each blocking function waits for the reply (at most the client's timeout:
 * -ETIMEDOUT, after which a late reply is discarded); each _async twin returns the call's
 * handle (> 0, for vfiomig_forget()) or -errno, and never blocks. The errors every
 * operation may return besides those listed: -EINVAL (bad argument, flags not 0; nothing
 * sent), -ENOTCONN (connection lost earlier), -ECONNRESET / -EPIPE (lost during the call),
 * -ETIMEDOUT (blocking only), -ENOMEM, -EPROTO (the daemon sent something undecodable),
 * and the errno of any daemon error (vfiomig_last_error_*() then says which).
 * Out parameters marked "may be NULL" can be NULL when the result is not needed.
 */

/*
 * Version handshake: tells the daemon our protocol version, learns its own.
 * *ret_version and *ret_features may be NULL.
 */
VFIOMIG_EXPORT int vfiomig_hello(struct vfiomig_client *c, uint32_t flags, uint32_t *ret_version,
				 uint64_t *ret_features);
VFIOMIG_EXPORT int vfiomig_hello_async(struct vfiomig_client *c, uint32_t flags,
				       vfiomig_callback cb, void *userdata);

/* The daemon's version, identity, TLS state, counts, listen addresses. */
VFIOMIG_EXPORT int vfiomig_daemon_info(struct vfiomig_client *c, uint32_t flags,
				       struct vfiomig_daemon_info **ret);
VFIOMIG_EXPORT int vfiomig_daemon_info_async(struct vfiomig_client *c, uint32_t flags,
					     vfiomig_callback cb, void *userdata);

/* Every device the daemon owns. */
VFIOMIG_EXPORT int vfiomig_device_list(struct vfiomig_client *c, uint32_t flags,
				       struct vfiomig_device_list **ret);
VFIOMIG_EXPORT int vfiomig_device_list_async(struct vfiomig_client *c, uint32_t flags,
					     vfiomig_callback cb, void *userdata);

/*
 * Hands the daemon a device: id (NULL or "": the daemon derives one), where it comes from
 * (source) and spec (path, PCI address, UUID or sim spec). *ret (may be NULL): the device
 * as added. Daemon errors: ALREADY_EXISTS (id or device taken), NOT_FOUND, DEVICE_FAILED,
 * UNSUPPORTED (no migration support), RESOURCE_EXHAUSTED.
 */
VFIOMIG_EXPORT int vfiomig_device_add(struct vfiomig_client *c, const char *id,
				      enum vfiomig_device_source source, const char *spec,
				      uint32_t flags, struct vfiomig_device **ret);
VFIOMIG_EXPORT int vfiomig_device_add_async(struct vfiomig_client *c, const char *id,
					    enum vfiomig_device_source source, const char *spec,
					    uint32_t flags, vfiomig_callback cb, void *userdata);

/*
 * Hands the daemon an open VFIO device fd (sent with SCM_RIGHTS; the daemon gets its own
 * copy, fd stays the caller's and may be closed once the call returned / was queued).
 * -EBADF when fd is not open. Daemon errors as vfiomig_device_add(), plus
 * INVALID_ARGUMENT when the fd is not a VFIO device.
 */
VFIOMIG_EXPORT int vfiomig_device_add_fd(struct vfiomig_client *c, const char *id, int fd,
					 uint32_t flags, struct vfiomig_device **ret);
VFIOMIG_EXPORT int vfiomig_device_add_fd_async(struct vfiomig_client *c, const char *id, int fd,
					       uint32_t flags, vfiomig_callback cb, void *userdata);

/* Releases a device (closes it in the daemon). Daemon errors: NOT_FOUND, BUSY (in a job). */
VFIOMIG_EXPORT int vfiomig_device_remove(struct vfiomig_client *c, const char *id, uint32_t flags);
VFIOMIG_EXPORT int vfiomig_device_remove_async(struct vfiomig_client *c, const char *id,
					       uint32_t flags, vfiomig_callback cb, void *userdata);

/* One device's kind, state, owner job, digest. Daemon errors: NOT_FOUND. */
VFIOMIG_EXPORT int vfiomig_device_info(struct vfiomig_client *c, const char *id, uint32_t flags,
				       struct vfiomig_device **ret);
VFIOMIG_EXPORT int vfiomig_device_info_async(struct vfiomig_client *c, const char *id,
					     uint32_t flags, vfiomig_callback cb, void *userdata);

/*
 * Moves a device to a migration state by hand (STOP..PRE_COPY_P2P; ERROR is -EINVAL).
 * *ret (may be NULL): the device afterwards. Daemon errors: NOT_FOUND, BUSY (held by a
 * job), INVALID_ARGUMENT (state the device does not support), DEVICE_FAILED.
 */
VFIOMIG_EXPORT int vfiomig_device_set_state(struct vfiomig_client *c, const char *id,
					    enum vfiomig_device_state state, uint32_t flags,
					    struct vfiomig_device **ret);
VFIOMIG_EXPORT int vfiomig_device_set_state_async(struct vfiomig_client *c, const char *id,
						  enum vfiomig_device_state state, uint32_t flags,
						  vfiomig_callback cb, void *userdata);

/*
 * Destination side: admits one incoming migration from the daemon whose TLS identity is
 * source_identity ("dns:hosta.example" or a fingerprint) into the n_devices target devices
 * (1..32 distinct ids). expiry_s: the token's lifetime, 0: the daemon's default, at most
 * 86400. *ret: the token to hand to the source's vfiomig_migrate(), the destination job id
 * and the expiry. Daemon errors: NOT_FOUND, BUSY, RESOURCE_EXHAUSTED.
 */
VFIOMIG_EXPORT int vfiomig_prepare_incoming(struct vfiomig_client *c, const char *source_identity,
					    const char *const *device_ids, size_t n_devices,
					    uint32_t expiry_s, uint32_t flags,
					    struct vfiomig_prepare **ret);
VFIOMIG_EXPORT int vfiomig_prepare_incoming_async(struct vfiomig_client *c,
						  const char *source_identity,
						  const char *const *device_ids, size_t n_devices,
						  uint32_t expiry_s, uint32_t flags,
						  vfiomig_callback cb, void *userdata);

/*
 * Source side: starts a migration job as described by p (peer, token and at least one
 * device are required). *ret_job_id (may be NULL): the new job. The job runs on in the
 * daemon: follow it with events, vfiomig_job_status() or vfiomig_job_wait(). Daemon errors:
 * NOT_FOUND, BUSY, INVALID_ARGUMENT, RESOURCE_EXHAUSTED (errors of the migration itself
 * come later, in the job's status).
 */
VFIOMIG_EXPORT int vfiomig_migrate(struct vfiomig_client *c, const struct vfiomig_migrate_params *p,
				   uint32_t flags, uint64_t *ret_job_id);
VFIOMIG_EXPORT int vfiomig_migrate_async(struct vfiomig_client *c,
					 const struct vfiomig_migrate_params *p, uint32_t flags,
					 vfiomig_callback cb, void *userdata);

/* One job's status. Daemon errors: NOT_FOUND. */
VFIOMIG_EXPORT int vfiomig_job_status(struct vfiomig_client *c, uint64_t job_id, uint32_t flags,
				      struct vfiomig_job **ret);
VFIOMIG_EXPORT int vfiomig_job_status_async(struct vfiomig_client *c, uint64_t job_id,
					    uint32_t flags, vfiomig_callback cb, void *userdata);

/* Every job the daemon knows (running and finished). */
VFIOMIG_EXPORT int vfiomig_job_list(struct vfiomig_client *c, uint32_t flags,
				    struct vfiomig_job_list **ret);
VFIOMIG_EXPORT int vfiomig_job_list_async(struct vfiomig_client *c, uint32_t flags,
					  vfiomig_callback cb, void *userdata);

/*
 * Cancels a job in any non-terminal phase; the devices are rolled back (follow the job to
 * CANCELLED). Daemon errors: NOT_FOUND, INVALID_ARGUMENT (finished already).
 */
VFIOMIG_EXPORT int vfiomig_job_cancel(struct vfiomig_client *c, uint64_t job_id, uint32_t flags);
VFIOMIG_EXPORT int vfiomig_job_cancel_async(struct vfiomig_client *c, uint64_t job_id,
					    uint32_t flags, vfiomig_callback cb, void *userdata);

/* Forces the switchover of a source job (manual switchover, or to stop pre-copy now). */
VFIOMIG_EXPORT int vfiomig_job_switchover(struct vfiomig_client *c, uint64_t job_id,
					  uint32_t flags);
VFIOMIG_EXPORT int vfiomig_job_switchover_async(struct vfiomig_client *c, uint64_t job_id,
						uint32_t flags, vfiomig_callback cb,
						void *userdata);

/* Starts the devices of a destination job waiting in RESUME_PENDING. */
VFIOMIG_EXPORT int vfiomig_job_resume(struct vfiomig_client *c, uint64_t job_id, uint32_t flags);
VFIOMIG_EXPORT int vfiomig_job_resume_async(struct vfiomig_client *c, uint64_t job_id,
					    uint32_t flags, vfiomig_callback cb, void *userdata);

/* Changes a running job's bandwidth cap (bytes per second, 0: unlimited). */
VFIOMIG_EXPORT int vfiomig_job_set_bandwidth(struct vfiomig_client *c, uint64_t job_id,
					     uint64_t bandwidth_bps, uint32_t flags);
VFIOMIG_EXPORT int vfiomig_job_set_bandwidth_async(struct vfiomig_client *c, uint64_t job_id,
						   uint64_t bandwidth_bps, uint32_t flags,
						   vfiomig_callback cb, void *userdata);

/*
 * Waits until the job is terminal; *ret (may be NULL): its final status (check its phase:
 * a FAILED job is a successful wait). timeout_ms: the daemon's wait, 0: none. The blocking
 * form ignores the client timeout (vfiomig_set_timeout()): it waits for the reply up to
 * timeout_ms + 1 s, or without limit when timeout_ms is 0 (a daemon that dies still ends the wait
 * at once, with -ECONNRESET). Daemon errors: NOT_FOUND, TIMEOUT (-ETIMEDOUT: the job is still
 * running).
 */
VFIOMIG_EXPORT int vfiomig_job_wait(struct vfiomig_client *c, uint64_t job_id, uint32_t timeout_ms,
				    uint32_t flags, struct vfiomig_job **ret);
VFIOMIG_EXPORT int vfiomig_job_wait_async(struct vfiomig_client *c, uint64_t job_id,
					  uint32_t timeout_ms, uint32_t flags, vfiomig_callback cb,
					  void *userdata);

/*
 * Destination side: the opaque metadata the source passed for one device of the job
 * (vfiomig_migrate_params_add_device()). device_id: the job's source or target id of the
 * device. *ret_data: a malloc'ed copy the caller free()s (NULL when the source sent none),
 * *ret_len its length. Daemon errors: NOT_FOUND, INVALID_ARGUMENT (a source job), BUSY (the
 * source's PREPARE has not arrived yet).
 */
VFIOMIG_EXPORT int vfiomig_job_metadata(struct vfiomig_client *c, uint64_t job_id,
					const char *device_id, uint32_t flags, void **ret_data,
					size_t *ret_len);
VFIOMIG_EXPORT int vfiomig_job_metadata_async(struct vfiomig_client *c, uint64_t job_id,
					      const char *device_id, uint32_t flags,
					      vfiomig_callback cb, void *userdata);

/*
 * Opens (or reuses) a control link to a peer daemon at address ("host:port", "[v6]:port");
 * expect_host (may be NULL): a name the peer's certificate must also carry. Completes once
 * the link is READY or failed. *ret (may be NULL): the link. Daemon errors:
 * PEER_UNREACHABLE, TLS_FAILED, INCOMPATIBLE, TIMEOUT.
 */
VFIOMIG_EXPORT int vfiomig_peer_connect(struct vfiomig_client *c, const char *address,
					const char *expect_host, uint32_t flags,
					struct vfiomig_peer **ret);
VFIOMIG_EXPORT int vfiomig_peer_connect_async(struct vfiomig_client *c, const char *address,
					      const char *expect_host, uint32_t flags,
					      vfiomig_callback cb, void *userdata);

/* Every daemon-to-daemon link. */
VFIOMIG_EXPORT int vfiomig_peer_list(struct vfiomig_client *c, uint32_t flags,
				     struct vfiomig_peer_list **ret);
VFIOMIG_EXPORT int vfiomig_peer_list_async(struct vfiomig_client *c, uint32_t flags,
					   vfiomig_callback cb, void *userdata);

/* ---------------------------------------------------------------------------------------
 * Events
 */

/*
 * Subscribes c to the events of one job (job_id 0: every job, including later ones). From
 * then on events arrive with the replies: they go to the event callback when one is set,
 * otherwise into a queue of up to 1024 events read with vfiomig_event_next() (when full, the
 * oldest are dropped and a LOST event takes their place: the 1024 include it, and a LOST
 * comes again after every later overflow). On LOST, re-read the job with
 * vfiomig_job_status(): a FINISHED event may have been among the dropped. Subscribing again
 * replaces the earlier subscription (job_id 0 covers every job). Daemon errors: NOT_FOUND.
 */
VFIOMIG_EXPORT int vfiomig_subscribe(struct vfiomig_client *c, uint64_t job_id, uint32_t flags);
VFIOMIG_EXPORT int vfiomig_subscribe_async(struct vfiomig_client *c, uint64_t job_id,
					   uint32_t flags, vfiomig_callback cb, void *userdata);

/*
 * Sets (cb non-NULL) or removes (NULL) the function that receives events. Events already
 * queued are delivered to it by the next vfiomig_process(). Returns 0 or -EINVAL.
 */
VFIOMIG_EXPORT int vfiomig_set_event_callback(struct vfiomig_client *c, vfiomig_event_callback cb,
					      void *userdata);

/*
 * Blocking: the next queued event, waiting up to timeout_ms (0: only what is already
 * there, no wait; UINT32_MAX: forever). Replies of async calls arriving meanwhile run
 * their callbacks. Returns 0 and *ret (vfiomig_event_free() it); -EAGAIN (timeout_ms 0 and
 * none queued); -ETIMEDOUT; -EINVAL (an event callback is set); -EINTR (a signal, on an
 * interruptible client); -ENOMEM; -ECONNRESET / -EPIPE / -EPROTO (the connection was lost,
 * with this error) / -ENOTCONN. Events queued before a loss are still returned first.
 */
VFIOMIG_EXPORT int vfiomig_event_next(struct vfiomig_client *c, uint32_t timeout_ms,
				      struct vfiomig_event **ret);

/* Frees an event; NULL-safe. */
VFIOMIG_EXPORT void vfiomig_event_free(struct vfiomig_event *ev);
/* Per-subscription sequence number, from 1. */
VFIOMIG_EXPORT uint64_t vfiomig_event_get_seq(const struct vfiomig_event *ev);
/* The job (0 for LOST). */
VFIOMIG_EXPORT uint64_t vfiomig_event_get_job_id(const struct vfiomig_event *ev);
/* enum vfiomig_event_kind. */
VFIOMIG_EXPORT uint32_t vfiomig_event_get_kind(const struct vfiomig_event *ev);
/* enum vfiomig_job_phase: the job's phase when the event was made. */
VFIOMIG_EXPORT uint32_t vfiomig_event_get_phase(const struct vfiomig_event *ev);
/* Unix milliseconds. */
VFIOMIG_EXPORT uint64_t vfiomig_event_get_time_ms(const struct vfiomig_event *ev);
/* DEVICE_STATE: the device and its new state ("" / ERROR otherwise). */
VFIOMIG_EXPORT const char *vfiomig_event_get_device(const struct vfiomig_event *ev);
VFIOMIG_EXPORT uint32_t vfiomig_event_get_device_state(const struct vfiomig_event *ev);
/* JOB_CREATED, PHASE, PROGRESS, FINISHED: the job's status (borrowed), else NULL. */
VFIOMIG_EXPORT const struct vfiomig_job *vfiomig_event_get_job(const struct vfiomig_event *ev);
/* FINISHED of a failed job: the error code and message (OK / "" otherwise). */
VFIOMIG_EXPORT uint32_t vfiomig_event_get_error_code(const struct vfiomig_event *ev);
VFIOMIG_EXPORT const char *vfiomig_event_get_error_message(const struct vfiomig_event *ev);

/* The names of enum values ("PRE_COPY", "STOP_COPY", "PROGRESS", ...), "UNKNOWN" if out
 * of range. Static text. */
VFIOMIG_EXPORT const char *vfiomig_event_kind_name(uint32_t kind);
VFIOMIG_EXPORT const char *vfiomig_job_phase_name(uint32_t phase);
VFIOMIG_EXPORT const char *vfiomig_device_state_name(uint32_t state);
VFIOMIG_EXPORT const char *vfiomig_peer_state_name(uint32_t state);
/* True for COMPLETED, FAILED, CANCELLED. */
VFIOMIG_EXPORT bool vfiomig_job_phase_is_terminal(uint32_t phase);
/*
 * Parses a device state name (case-insensitive "running", "PRE_COPY", ...). Returns 0 and
 * *ret, or -EINVAL.
 */
VFIOMIG_EXPORT int vfiomig_device_state_parse(const char *name, enum vfiomig_device_state *ret);

/* ---------------------------------------------------------------------------------------
 * Migration parameters (a builder: new fields become new setters, the ABI stays)
 */

/* A parameter set with the defaults: pre-copy on, auto switchover and resume, no limits. */
VFIOMIG_EXPORT int vfiomig_migrate_params_new(struct vfiomig_migrate_params **ret);
/* NULL-safe; frees the copied metadata too. */
VFIOMIG_EXPORT void vfiomig_migrate_params_free(struct vfiomig_migrate_params *p);
/* The destination daemon's peer address, "host:port" or "[v6]:port". -EINVAL: empty/long. */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_peer(struct vfiomig_migrate_params *p,
						   const char *address);
/* The token from the destination's vfiomig_prepare_incoming(). -EINVAL: empty/long. */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_token(struct vfiomig_migrate_params *p,
						    const char *token);
/*
 * Adds a device: source_id here -> target_id on the destination, with len bytes of opaque
 * metadata (copied; NULL/0 for none; at most VFIOMIG_METADATA_MAX per device and
 * VFIOMIG_METADATA_TOTAL_MAX over the job's devices) handed to the destination's
 * orchestrator (vfiomig_job_metadata()). -EINVAL: bad id, metadata too long (for the device
 * or, added to the others, for the job), 32 devices already; -EEXIST: a source or target id
 * given twice; -ENOMEM.
 */
VFIOMIG_EXPORT int vfiomig_migrate_params_add_device(struct vfiomig_migrate_params *p,
						     const char *source_id, const char *target_id,
						     const void *metadata, size_t len);
/* The downtime limit in ms; 0: the daemon's default. */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_downtime_limit(struct vfiomig_migrate_params *p,
							     uint32_t ms);
/* The bandwidth cap in bytes per second; 0: unlimited. */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_bandwidth(struct vfiomig_migrate_params *p,
							uint64_t bps);
/* Pre-copy devices that support it (default true). */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_precopy(struct vfiomig_migrate_params *p, bool on);
/* -EINVAL for a value outside the enum. */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_switchover(struct vfiomig_migrate_params *p,
							 enum vfiomig_switchover mode);
VFIOMIG_EXPORT int vfiomig_migrate_params_set_resume(struct vfiomig_migrate_params *p,
						     enum vfiomig_resume mode);
/* The whole job's timeout in seconds; 0: none. */
VFIOMIG_EXPORT int vfiomig_migrate_params_set_timeout(struct vfiomig_migrate_params *p,
						      uint32_t seconds);

/* ---------------------------------------------------------------------------------------
 * Result objects: accessors never fail; pass only non-NULL objects.
 */

/* ---- daemon info ---- */
VFIOMIG_EXPORT void vfiomig_daemon_info_free(struct vfiomig_daemon_info *di);
/* The daemon software version ("0.1.0"). */
VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_version(const struct vfiomig_daemon_info *di);
/* The highest control/peer protocol version the daemon speaks. */
VFIOMIG_EXPORT uint32_t
vfiomig_daemon_info_get_protocol_version(const struct vfiomig_daemon_info *di);
/* The daemon's peer feature bits. */
VFIOMIG_EXPORT uint64_t vfiomig_daemon_info_get_features(const struct vfiomig_daemon_info *di);
/* The daemon's configured host identity. */
VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_host_identity(
	const struct vfiomig_daemon_info *di);
/* enum vfiomig_tls_state, and the last load error ("" when none). */
VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_tls_state(const struct vfiomig_daemon_info *di);
/* Why the last TLS (re)load failed; "" when it did not. */
VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_tls_error(const struct vfiomig_daemon_info *di);
/* The identity of the daemon's own certificate. */
VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_tls_identity(
	const struct vfiomig_daemon_info *di);
/* The daemon certificate's expiry, Unix seconds. */
VFIOMIG_EXPORT uint64_t
vfiomig_daemon_info_get_tls_not_after_s(const struct vfiomig_daemon_info *di);
/* Kernel TLS engaged for sending. */
VFIOMIG_EXPORT bool vfiomig_daemon_info_get_ktls_tx(const struct vfiomig_daemon_info *di);
/* Kernel TLS engaged for receiving. */
VFIOMIG_EXPORT bool vfiomig_daemon_info_get_ktls_rx(const struct vfiomig_daemon_info *di);
/* Devices the daemon owns. */
VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_device_count(const struct vfiomig_daemon_info *di);
/* Jobs not yet terminal. */
VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_active_jobs(const struct vfiomig_daemon_info *di);
/* Seconds since the daemon started. */
VFIOMIG_EXPORT uint64_t vfiomig_daemon_info_get_uptime_s(const struct vfiomig_daemon_info *di);
/* Peer listen addresses ("127.0.0.1:7411"); index < count, else NULL. */
VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_listen_count(const struct vfiomig_daemon_info *di);
/* The index-th listen address (borrowed), NULL when index >= count. */
VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_listen(const struct vfiomig_daemon_info *di,
							  uint32_t index);

/* ---- devices ---- */
VFIOMIG_EXPORT void vfiomig_device_free(struct vfiomig_device *d);
/* The device id. */
VFIOMIG_EXPORT const char *vfiomig_device_get_id(const struct vfiomig_device *d);
/* enum vfiomig_device_kind */
VFIOMIG_EXPORT uint32_t vfiomig_device_get_kind(const struct vfiomig_device *d);
/* Kernel driver or "sim"; vendor:device, mdev type or sim model; path/address/spec. */
VFIOMIG_EXPORT const char *vfiomig_device_get_driver(const struct vfiomig_device *d);
/* Vendor:device ids, mdev type or sim model. */
VFIOMIG_EXPORT const char *vfiomig_device_get_model(const struct vfiomig_device *d);
/* Path, PCI address, mdev UUID or sim spec it was added by; "" for fds. */
VFIOMIG_EXPORT const char *vfiomig_device_get_address(const struct vfiomig_device *d);
/* enum vfiomig_device_state */
VFIOMIG_EXPORT uint32_t vfiomig_device_get_state(const struct vfiomig_device *d);
/* VFIO_MIGRATION_* bits (STOP_COPY 1, P2P 2, PRE_COPY 4). */
VFIOMIG_EXPORT uint32_t vfiomig_device_get_migration_flags(const struct vfiomig_device *d);
/* The job holding the device, 0: free. */
VFIOMIG_EXPORT uint64_t vfiomig_device_get_owner_job(const struct vfiomig_device *d);
/*
 * SHA-256 of the device state when the backend knows it (sim): copies 32 bytes to out and
 * returns 0, or -ENODATA.
 */
VFIOMIG_EXPORT int vfiomig_device_get_digest(const struct vfiomig_device *d,
					     uint8_t out[VFIOMIG_DIGEST_LEN]);

/* Frees a list and every device in it; NULL-safe. */
VFIOMIG_EXPORT void vfiomig_device_list_free(struct vfiomig_device_list *l);
/* Devices in the list. */
VFIOMIG_EXPORT uint32_t vfiomig_device_list_get_count(const struct vfiomig_device_list *l);
/* The index-th device (borrowed), NULL when index >= count. */
VFIOMIG_EXPORT const struct vfiomig_device *vfiomig_device_list_get(
	const struct vfiomig_device_list *l, uint32_t index);

/* ---- prepare_incoming result ---- */
VFIOMIG_EXPORT void vfiomig_prepare_free(struct vfiomig_prepare *p);
/* The single-use token for the source's vfiomig_migrate_params_set_token(). */
VFIOMIG_EXPORT const char *vfiomig_prepare_get_token(const struct vfiomig_prepare *p);
/* The destination job that will run the migration. */
VFIOMIG_EXPORT uint64_t vfiomig_prepare_get_job_id(const struct vfiomig_prepare *p);
/* When the token expires, Unix milliseconds. */
VFIOMIG_EXPORT uint64_t vfiomig_prepare_get_expires_at_ms(const struct vfiomig_prepare *p);

/* ---- jobs ---- */
VFIOMIG_EXPORT void vfiomig_job_free(struct vfiomig_job *j);
/* The job id. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_id(const struct vfiomig_job *j);
/* enum vfiomig_job_role, enum vfiomig_job_phase */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_role(const struct vfiomig_job *j);
/* enum vfiomig_job_phase; see vfiomig_job_phase_is_terminal(). */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_phase(const struct vfiomig_job *j);
/* The peer's address (source side) or identity (destination side). */
VFIOMIG_EXPORT const char *vfiomig_job_get_peer(const struct vfiomig_job *j);
/* Pre-copy passes completed. */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_precopy_iterations(const struct vfiomig_job *j);
/* Recent average throughput in bytes per second. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_throughput_bps(const struct vfiomig_job *j);
/* Milliseconds since the job started. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_elapsed_ms(const struct vfiomig_job *j);
/* Measured downtime, once known. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_downtime_ms(const struct vfiomig_job *j);
/* Unix milliseconds; finished 0 while running. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_started_at_ms(const struct vfiomig_job *j);
/* When the job became terminal, Unix milliseconds; 0 while running. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_finished_at_ms(const struct vfiomig_job *j);
/* The current bandwidth cap in bytes per second, 0: unlimited. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_bandwidth_bps(const struct vfiomig_job *j);
/* The downtime limit the job converges on. */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_downtime_limit_ms(const struct vfiomig_job *j);
/* enum vfiomig_switchover. */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_switchover(const struct vfiomig_job *j);
/* enum vfiomig_resume. */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_resume(const struct vfiomig_job *j);
/* FAILED / CANCELLED: the structured error (OK, "" otherwise). */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_error_code(const struct vfiomig_job *j);
/* The job error's human message ("" when none). */
VFIOMIG_EXPORT const char *vfiomig_job_get_error_message(const struct vfiomig_job *j);
/* The device the job error concerns ("" when none). */
VFIOMIG_EXPORT const char *vfiomig_job_get_error_device(const struct vfiomig_job *j);
/* Sums over the devices: bytes sent (received on a destination), acknowledged, remaining. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_bytes_sent(const struct vfiomig_job *j);
/* Sum of the bytes the destination acknowledged. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_bytes_acked(const struct vfiomig_job *j);
/* Sum of the estimated bytes still to send. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_bytes_remaining(const struct vfiomig_job *j);
/* Per device: index < vfiomig_job_get_device_count(); out of range: "" / 0 / false. */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_device_count(const struct vfiomig_job *j);
/* The index-th device's source id ("" out of range or not yet known). */
VFIOMIG_EXPORT const char *vfiomig_job_get_device_source_id(const struct vfiomig_job *j,
							    uint32_t index);
/* The index-th device's target id ("" out of range). */
VFIOMIG_EXPORT const char *vfiomig_job_get_device_target_id(const struct vfiomig_job *j,
							    uint32_t index);
/* The index-th local device's migration state (enum vfiomig_device_state). */
VFIOMIG_EXPORT uint32_t vfiomig_job_get_device_state(const struct vfiomig_job *j, uint32_t index);
/* The index-th device's bytes sent (received on a destination). */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_device_bytes_sent(const struct vfiomig_job *j,
							  uint32_t index);
/* The index-th device's bytes acknowledged by the destination. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_device_bytes_acked(const struct vfiomig_job *j,
							   uint32_t index);
/* The index-th device's estimated bytes remaining. */
VFIOMIG_EXPORT uint64_t vfiomig_job_get_device_bytes_remaining(const struct vfiomig_job *j,
							       uint32_t index);
/* True when the rollback had to reset the device (its state is lost). */
VFIOMIG_EXPORT bool vfiomig_job_get_device_reset(const struct vfiomig_job *j, uint32_t index);

/* Frees a list and every status in it; NULL-safe. */
VFIOMIG_EXPORT void vfiomig_job_list_free(struct vfiomig_job_list *l);
/* Jobs in the list. */
VFIOMIG_EXPORT uint32_t vfiomig_job_list_get_count(const struct vfiomig_job_list *l);
/* The index-th job status (borrowed), NULL when index >= count. */
VFIOMIG_EXPORT const struct vfiomig_job *vfiomig_job_list_get(const struct vfiomig_job_list *l,
							      uint32_t index);

/* ---- peers ---- */
VFIOMIG_EXPORT void vfiomig_peer_free(struct vfiomig_peer *p);
/* Outgoing: the address as requested; incoming: the remote IP:port. */
VFIOMIG_EXPORT const char *vfiomig_peer_get_address(const struct vfiomig_peer *p);
/* enum vfiomig_peer_state */
VFIOMIG_EXPORT uint32_t vfiomig_peer_get_state(const struct vfiomig_peer *p);
/* True when this daemon opened the link. */
VFIOMIG_EXPORT bool vfiomig_peer_get_outgoing(const struct vfiomig_peer *p);
/* The allow-list entry the peer's certificate matched ("" before TLS). */
VFIOMIG_EXPORT const char *vfiomig_peer_get_identity(const struct vfiomig_peer *p);
/* SHA-256 of the peer's certificate, 64 hex digits ("" before TLS). */
VFIOMIG_EXPORT const char *vfiomig_peer_get_fingerprint(const struct vfiomig_peer *p);
/* The negotiated protocol version, 0 before READY. */
VFIOMIG_EXPORT uint32_t vfiomig_peer_get_protocol_version(const struct vfiomig_peer *p);
/* The negotiated feature bits. */
VFIOMIG_EXPORT uint64_t vfiomig_peer_get_features(const struct vfiomig_peer *p);
/* The peer's host identity from its HELLO ("" before). */
VFIOMIG_EXPORT const char *vfiomig_peer_get_host_identity(const struct vfiomig_peer *p);
/* The peer's software name and version ("" before HELLO). */
VFIOMIG_EXPORT const char *vfiomig_peer_get_software(const struct vfiomig_peer *p);
/* Round trip of the last keepalive PING in microseconds, -1: none yet. */
VFIOMIG_EXPORT int64_t vfiomig_peer_get_rtt_us(const struct vfiomig_peer *p);
/* Kernel TLS engaged for sending on the link. */
VFIOMIG_EXPORT bool vfiomig_peer_get_ktls_tx(const struct vfiomig_peer *p);
/* Kernel TLS engaged for receiving on the link. */
VFIOMIG_EXPORT bool vfiomig_peer_get_ktls_rx(const struct vfiomig_peer *p);
/* When the link was accepted or dialled, Unix milliseconds. */
VFIOMIG_EXPORT uint64_t vfiomig_peer_get_connected_at_ms(const struct vfiomig_peer *p);

/* Frees a list and every peer in it; NULL-safe. */
VFIOMIG_EXPORT void vfiomig_peer_list_free(struct vfiomig_peer_list *l);
/* Links in the list. */
VFIOMIG_EXPORT uint32_t vfiomig_peer_list_get_count(const struct vfiomig_peer_list *l);
/* The index-th link (borrowed), NULL when index >= count. */
VFIOMIG_EXPORT const struct vfiomig_peer *vfiomig_peer_list_get(const struct vfiomig_peer_list *l,
								uint32_t index);

#ifdef __cplusplus
}
#endif

#endif
