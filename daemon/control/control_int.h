/*
 * control_int.h - the bodies of the control server's objects and the functions its files
 * share: control_server.c (listener, accept, credentials), control_listen.c (the socket
 * file), control_client.c (one connection's state machine, output, close path),
 * control_input.c (frames and fds in), control_call.c (decode, dispatch, replies, async
 * calls), and the handlers: control_ops.c, control_device.c, control_peer.c.
 * Not for other modules. Threading: the loop thread only.
 */
#ifndef VFIO_MIGD_CONTROL_CONTROL_INT_H
#define VFIO_MIGD_CONTROL_CONTROL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/un.h>

#include "control.h"
#include "ctl_request.h"
#include "frame.h"
#include "log.h"

struct event;
struct control_call;
struct control_work;
struct control_add;

#define CONTROL_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define CONTROL_WHY_MAX	 512 /* one reason for closing a client */

/* A device added through the socket: how, so device_info can say so (control_device.c). */
struct control_origin {
	char id[PROTO_ID_MAX + 1];
	uint32_t kind; /* enum ctl_device_kind */
	char *address; /* malloc'ed: path, PCI address, UUID, sim spec; "" for fds */
};

struct control_server {
	struct event_base *base;
	struct control_env env;
	struct control_options opts; /* strings and the uid list point to the copies below */
	char path[CONTROL_PATH_MAX + 1];
	char group[64];
	uid_t *allowed_uids;
	bool created; /* we bound path: unlink it at free if dev/ino still match */
	dev_t dev;
	ino_t ino;
	int fd;
	struct event *accept_ev;
	struct event *pause_ev;
	TAILQ_HEAD(control_client_list, control_client) clients; /* open and closed, not freed */
	unsigned int n_open;					 /* clients not CLOSED */
	struct control_origin *origins;
	size_t n_origins;
	int work_fd; /* eventfd: a device operation's worker finished (control_work.c) */
	struct event *work_ev;
	TAILQ_HEAD(control_work_list, control_work) works; /* running or finished, not joined */
	TAILQ_HEAD(control_add_list, control_add) adds;	   /* device_add calls opening */
	uint64_t next_claim; /* registry owner for the next operation: REGISTRY_CONTROL + n */
};

/* ---- control_listen.c: the socket file ---- */

/*
 * Creates, binds and listens on a socket at path with mode and group (NULL/"" none), as
 * control_server_new() describes. Returns the fd (non-blocking, close-on-exec) and the
 * file's identity in *ret_dev, *ret_ino, or -errno with a line in err.
 */
int control_listen_open(const char *path, unsigned int mode, const char *group, dev_t *ret_dev,
			ino_t *ret_ino, char *err, size_t errlen);

/* Checks that fd is a listening AF_UNIX stream socket and makes it non-blocking and
 * close-on-exec. Fills path (size CONTROL_PATH_MAX + 1) from getsockname, "" if none.
 * Returns 0 or -EINVAL/-errno with a line in err. */
int control_listen_adopt(int fd, char *path, char *err, size_t errlen);

/* Unlinks path if it is still the file with this identity. */
void control_listen_remove(const char *path, dev_t dev, ino_t ino);

/* ---- control_input.c: frames and fds in ---- */

/* The frame being received: header, body, and the fds that came with its bytes. */
struct control_input {
	uint8_t hdr[FRAME_HDR_LEN];
	size_t hdr_len;
	struct frame_view view; /* type, body_len: valid once hdr_len == FRAME_HDR_LEN */
	uint8_t *body;
	size_t body_len, body_cap; /* bytes received, bytes allocated */
	int fds[PROTO_FDS_MAX];
	unsigned int n_fds;
};

enum control_input_result {
	CONTROL_INPUT_AGAIN = 0, /* nothing more to read now */
	CONTROL_INPUT_FRAME = 1, /* a complete CTL_REQUEST frame: view, body, fds */
	CONTROL_INPUT_EOF = 2,	 /* the client shut down its side at a frame boundary */
};

/*
 * Reads from fd, never past the end of the current frame, so the fds a recvmsg returns
 * always belong to the frame being read. Returns enum control_input_result, or -errno with
 * a reason in why (a log line fragment): -EPROTO (header not a valid request frame, fds
 * without a frame), -EMSGSIZE (body above the cap, too many fds), -EPIPE (EOF inside a
 * frame), -ENOMEM, or recvmsg's error. After FRAME, the caller takes the fds and calls
 * control_input_next().
 */
int control_input_read(struct control_input *in, int fd, char *why, size_t whylen);

/* Forgets the frame just handled (fds must have been taken) and keeps a small buffer. */
void control_input_next(struct control_input *in);

/* Closes the fds received for the current frame. */
void control_input_close_fds(struct control_input *in);

/* Frees buffers and closes fds. */
void control_input_free(struct control_input *in);

/* ---- control_client.c: one connection ---- */

enum control_client_state {
	CONTROL_CLIENT_READY = 0,    /* reading requests, writing replies */
	CONTROL_CLIENT_DRAINING = 1, /* client sent EOF: owed replies still go out, then close */
	CONTROL_CLIENT_FLUSHING = 2, /* protocol error: the error reply goes out, then close */
	CONTROL_CLIENT_CLOSED = 3,   /* socket closed; freed when the loop gets back to it */
};

/* Bytes waiting to be written. */
struct control_buf {
	uint8_t *data;
	size_t head, len, cap; /* unsent bytes are data[head, head + len) */
};

struct control_client {
	struct control_server *srv;
	TAILQ_ENTRY(control_client) entry;
	enum control_client_state state;
	int fd; /* -1 once closed */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char name[64]; /* "client pid=123 uid=0" */
	struct event *rd, *wr, *timer, *step;
	short armed; /* EV_READ / EV_WRITE added */
	struct control_input in;
	struct control_buf out;
	TAILQ_HEAD(control_call_list, control_call) calls; /* async calls owed a reply */
	bool subscribed;    /* SUBSCRIBE: job events go to this client (control_events.c) */
	uint64_t sub_job;   /* the job subscribed to, 0: every job */
	uint64_t event_seq; /* the last event's sequence number on this connection */
	unsigned int n_calls;
	char why[CONTROL_WHY_MAX]; /* FLUSHING: the reason, logged when the socket closes */
};

/* Every log line about a client starts with "control: client pid=N uid=N: ". */
#define client_log(c, level, fmt, ...) \
	log_msg((level), 0, "control: %s: " fmt, (c)->name, ##__VA_ARGS__)

/* Takes over an accepted socket with its peer credentials; refuses and closes it on ENOMEM. */
void control_client_new(struct control_server *srv, int fd, pid_t pid, uid_t uid, gid_t gid);

/*
 * The one close path: logs "control: client ...: reason" once at level, closes the socket
 * and received fds, detaches the client's async calls, enters CLOSED; memory is freed from
 * the loop. No-op on a closed client.
 */
void control_client_close(struct control_client *c, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A protocol violation: logs the reason once (warning), sends a PROTOCOL error reply with
 * that reason and serial (0 when the request's serial cannot be read, as control.proto
 * allows for unreadable requests), then closes the client once the reply is written (or
 * after CONTROL_LINGER_MS). Its async calls are detached. Other clients are not affected.
 */
void control_client_fail(struct control_client *c, uint32_t serial, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Queues one encoded frame. Returns 0, -ENOTCONN (client closed: dropped), or -ENOBUFS after
 * closing a client whose queued output would exceed max_output.
 */
int control_client_send(struct control_client *c, const uint8_t *frame, size_t len);

/* Runs the client's state machine from the loop soon (after an async reply). */
void control_client_kick(struct control_client *c);

/* Frees a client (closing it first if needed); for control_server_free() and the loop. */
void control_client_free(struct control_client *c);

/* ---- control_call.c: requests, replies, async calls ---- */

/* What a handler returns. */
#define CONTROL_REPLY_NOW   0 /* *rep holds the reply (result or error): send it */
#define CONTROL_REPLY_LATER 1 /* the call is kept; control_call_finish() will answer it */

/*
 * A handler: reads req, fills rep (result, or an error with control_call_error()) and
 * returns CONTROL_REPLY_NOW, or keeps call and returns CONTROL_REPLY_LATER. rep arrives
 * zeroed with result set to what the operation returns on success.
 */
typedef int control_op_fn(struct control_call *call, const struct ctl_request *req,
			  struct ctl_reply *rep);

/* Decodes and answers one complete request frame of c; takes the input's fds. */
void control_call_dispatch(struct control_client *c);

/* The server of a call (valid while the call lives, even detached: NULL then). */
struct control_server *control_call_server(const struct control_call *call);

/* The client of a call; NULL once it has gone. */
struct control_client *control_call_client(const struct control_call *call);

/* The request's serial and operation name ("device_add"), for log lines. */
uint32_t control_call_serial(const struct control_call *call);
const char *control_call_op_name(const struct control_call *call);

/* Takes the index-th fd of the request (-1 if absent or taken); untaken fds are closed. */
int control_call_take_fd(struct control_call *call, uint32_t index);

/*
 * Answers a CONTROL_REPLY_LATER call with rep (its serial is set here) and frees the call;
 * a detached call is only freed. rep is not cleared here.
 */
void control_call_finish(struct control_call *call, struct ctl_reply *rep);

/* Detaches every call of c (the client is going away). */
void control_call_detach_all(struct control_client *c);

/*
 * Sets an error reply: code from err (-errno) unless code_override is nonzero, the device id
 * (may be NULL), and a printf message. Clears any result. Returns CONTROL_REPLY_NOW.
 */
int control_call_error(struct ctl_reply *rep, int err, uint32_t code_override, const char *device,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- control_work.c: device operations off the loop ---- */

/* The blocking part of an operation; its worker thread. */
typedef void control_work_fn(void *arg);

/*
 * The rest, on the loop once run() returned: fills rep (zeroed, result set as for a
 * handler) and gives back what the handler took. Runs even when the client has gone (the
 * reply is then dropped) and at server teardown.
 */
typedef void control_work_done_fn(struct control_server *srv, void *arg, struct ctl_reply *rep);

/*
 * Runs run(arg) in a new worker thread and then done(srv, arg, reply) on the loop, whose
 * reply answers call. For a handler: returns CONTROL_REPLY_LATER, or, when no thread can be
 * started, runs both at once (logged) and returns CONTROL_REPLY_NOW with rep filled. arg is
 * the caller's, untouched here.
 */
int control_work_start(struct control_call *call, struct ctl_reply *rep, control_work_fn *run,
		       control_work_done_fn *done, void *arg);

/* Sets up the wake-up eventfd. Returns 0 or -errno. */
int control_work_init(struct control_server *srv);

/* Waits for every running operation (blocking: an ioctl cannot be interrupted), completes
 * it, then frees the eventfd. Safe after a failed or no control_work_init(). */
void control_work_free_all(struct control_server *srv);

/* ---- handlers ---- */

/* control_ops.c */
control_op_fn control_ops_hello;
control_op_fn control_ops_daemon_info;

/* control_device.c */
control_op_fn control_device_list;
control_op_fn control_device_add;
control_op_fn control_device_remove;
control_op_fn control_device_info;
control_op_fn control_device_set_state;
/* Forgets the origins of every device (server teardown). */
void control_device_forget_all(struct control_server *srv);

/* control_job.c: the job operations, through env.jobs */
control_op_fn control_job_prepare;
control_op_fn control_job_migrate;
control_op_fn control_job_status;
control_op_fn control_job_list;
control_op_fn control_job_cancel;
control_op_fn control_job_switchover;
control_op_fn control_job_resume;
control_op_fn control_job_bandwidth;
control_op_fn control_job_wait;
control_op_fn control_job_metadata;
/* "pid=123 uid=0" for the audit log; "pid=? uid=?" once the client has gone. */
const char *control_job_who(const struct control_call *call, char *buf, size_t len);

/* control_events.c */
control_op_fn control_events_subscribe;

/* control_peer.c */
control_op_fn control_peer_connect;
control_op_fn control_peer_list;

/*
 * control_listen.c: writes a printf-style message into err (if err and errlen) and returns r,
 * so a failing setup step reports and returns in one statement.
 */
int control_fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
