/*
 * internal.h - what the files of libvfiomig share and the public header hides: the client
 * connection, pending calls, the result and object bodies, and the functions each file
 * offers the others.
 *
 * The public objects wrap the plain C structs of proto/ (ctl_*.h) by value, so a result is
 * one decode and one copy away from the wire, and no protobuf-c type is ever seen here.
 * Threading: nothing here is shared between clients; a client belongs to one thread at a
 * time (vfiomig.h).
 */
#ifndef VFIOMIG_LIB_INTERNAL_H
#define VFIOMIG_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/un.h>

#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "vfiomig.h"

#define EVENTS_MAX 1024 /* events queued for vfiomig_event_next() */

/* One encoded request frame waiting to be sent. */
struct out_frame {
	TAILQ_ENTRY(out_frame) entry;
	uint8_t *buf;
	size_t len;
	size_t off;	 /* bytes already sent */
	int fd;		 /* our dup of the fd to attach to the first byte, or -1 */
	uint32_t serial; /* the call the frame carries */
};

/* An async call waiting for its reply. */
struct pending {
	TAILQ_ENTRY(pending) entry;
	uint32_t serial;
	uint32_t op; /* enum ctl_op */
	vfiomig_callback cb;
	void *userdata;
	int err; /* nonzero: failed before it was sent; completed by vfiomig_process() */
};

struct vfiomig_daemon_info {
	struct ctl_daemon_info v;
};

struct vfiomig_device {
	struct ctl_device_info v;
};

struct vfiomig_device_list {
	uint32_t n;
	struct vfiomig_device *items;
};

struct vfiomig_prepare {
	struct ctl_prepare_result v;
};

struct vfiomig_job {
	struct ctl_job_status v;
};

struct vfiomig_job_list {
	uint32_t n;
	struct vfiomig_job *items;
};

struct vfiomig_peer {
	struct ctl_peer_info v;
};

struct vfiomig_peer_list {
	uint32_t n;
	struct vfiomig_peer *items;
};

struct vfiomig_event {
	TAILQ_ENTRY(vfiomig_event) entry; /* in the client's queue */
	struct ctl_event v;
	struct vfiomig_job job; /* v.status, when v.has_status */
};

TAILQ_HEAD(event_queue, vfiomig_event);

/* An async call's outcome. obj is the typed object of `kind` (CTL_RESULT_*), owned here
 * until taken. */
struct vfiomig_result {
	uint32_t op;
	int status;
	struct proto_error error;
	uint32_t kind;
	void *obj;
	uint64_t job_id;   /* migrate */
	uint32_t version;  /* hello */
	uint64_t features; /* hello */
	uint8_t *metadata; /* job_metadata, malloc'ed */
	size_t metadata_len;
};

struct vfiomig_migrate_params {
	struct ctl_migrate v; /* the metadata buffers are owned here */
};

struct vfiomig_client {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t timeout_ms;
	bool connected;
	bool interruptible; /* a signal ends a blocking call with -EINTR */
	int lost_err;	    /* why the connection was lost (-errno), 0 while connected */
	uint32_t next_serial;

	TAILQ_HEAD(, out_frame) out; /* requests to send, in order */
	TAILQ_HEAD(, pending) calls; /* calls waiting for a reply */
	unsigned int n_calls;
	unsigned int n_failed; /* calls with err set, not completed yet */

	uint8_t *in; /* received bytes not yet parsed */
	size_t in_len, in_cap;

	struct event_queue events; /* when no event callback is set */
	unsigned int n_events;
	uint64_t events_dropped; /* dropped since the last LOST was handed out */
	uint64_t dropped_seq;	 /* seq and time of the newest dropped event */
	uint64_t dropped_time_ms;
	bool delivering; /* the event callback runs: later events wait in the queue */
	vfiomig_event_callback event_cb;
	void *event_userdata;

	struct proto_error last_error; /* code OK: a library failure, see message */
};

/* ---- error.c ---- */

/* Records a library failure (code OK) with a message; returns err (a -errno). */
int error_set(struct vfiomig_client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records a daemon (or transport) failure from a result's error. */
void error_from_result(struct vfiomig_client *c, const struct vfiomig_result *res);

/* ---- check.c: argument checks before anything is sent ---- */

/* 0 when flags is 0, else -EINVAL with the reason recorded. */
int check_flags(struct vfiomig_client *c, uint32_t flags);
/* Copies a device id (1..63 bytes of [A-Za-z0-9._:@-]) into dst[PROTO_ID_MAX + 1]. */
int check_id(struct vfiomig_client *c, char *dst, const char *id, const char *what);
/* Copies text (1..max bytes when required, 0..max otherwise, printable) into dst[max + 1]. */
int check_text(struct vfiomig_client *c, char *dst, const char *s, size_t max, bool required,
	       const char *what);
/* A nonzero job id. */
int check_job(struct vfiomig_client *c, uint64_t job_id);
/* An id check usable without a client (migrate params); 0 or -EINVAL. */
int check_id_syntax(const char *id);

/* ---- conn.c: the socket, frames and fds ---- */

/* Queues an encoded frame (taken) of call serial with fd (dup'ed here when >= 0). */
int conn_queue(struct vfiomig_client *c, uint8_t *buf, size_t len, int fd, uint32_t serial);
/*
 * Sends what can be sent now; 0 or the -errno that lost the connection. An error that
 * concerns one frame only (ENOBUFS, ENOMEM, ETOOMANYREFS before any of it went out) drops
 * that frame and marks its call failed (err) for vfiomig_process() to complete.
 */
int conn_flush(struct vfiomig_client *c);
/* Drops the frame of call serial if none of it was sent yet; true when dropped. */
bool conn_unqueue(struct vfiomig_client *c, uint32_t serial);
/*
 * Reads what is there (at most CONN_READ_BUDGET bytes, so that a stream of events cannot
 * hold the caller) and dispatches complete frames; callbacks run or -errno.
 */
int conn_read(struct vfiomig_client *c);
/* Completes the calls conn_flush() marked failed; returns how many. */
int conn_complete_failed(struct vfiomig_client *c);
/* Marks the connection lost with err and completes every pending call with it. */
void conn_fail(struct vfiomig_client *c, int err);
/* Frees the output queue and input buffer (the client is being closed). */
void conn_free(struct vfiomig_client *c);

/* ---- call.c: submitting requests, blocking calls ---- */

/* Encodes and queues req with an fd (or -1); returns the call's serial (> 0) or -errno. */
int call_submit(struct vfiomig_client *c, struct ctl_request *req, int fd, vfiomig_callback cb,
		void *userdata);
/*
 * Blocking: submits req and waits up to timeout_ms (0: forever) for the reply. Returns the
 * status and, on success, *ret_res (result_free() it).
 */
int call_run(struct vfiomig_client *c, struct ctl_request *req, int fd, uint32_t timeout_ms,
	     struct vfiomig_result **ret_res);
/* call_run with the client's timeout, then takes the object of `kind` into *ret (if ret). */
int call_simple(struct vfiomig_client *c, struct ctl_request *req, uint32_t kind, void **ret);
/* Completes a pending call (removed from the list by the caller) with a result. */
void call_complete(struct vfiomig_client *c, struct pending *p, struct vfiomig_result *res);
/* The pending call with this serial, removed from the list; NULL if none. */
struct pending *call_take(struct vfiomig_client *c, uint32_t serial);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t call_now_ms(void);
/*
 * Waits until the socket is ready or the deadline (-1: none; capped at a minute per call)
 * and processes it. Returns 0, -ETIMEDOUT, or the -errno of a lost connection.
 */
int call_poll(struct vfiomig_client *c, int64_t deadline);
/* Zeroes req and sets its op. */
void call_init(struct ctl_request *req, uint32_t op);
/* The start of every operation: c non-NULL (-EINVAL), req zeroed with op, flags 0. */
int call_begin(struct vfiomig_client *c, struct ctl_request *req, uint32_t op, uint32_t flags);

/* ---- result.c ---- */

/* A result from a decoded reply (whose lists it steals); NULL when out of memory. */
struct vfiomig_result *result_from_reply(uint32_t op, struct ctl_reply *rep);
/* A failed result with a library message. */
struct vfiomig_result *result_failed(uint32_t op, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Takes the object of kind out of res, NULL if it holds another. */
void *result_take(struct vfiomig_result *res, uint32_t kind);
void result_free(struct vfiomig_result *res);

/* ---- event.c ---- */

/* Takes a decoded event: to the callback (returns 1) or the queue (returns 0). */
int event_deliver(struct vfiomig_client *c, const struct ctl_event *ev);
/*
 * Delivers queued events (first a LOST when some were dropped) to the callback, if set and
 * not already running; returns how many.
 */
int event_flush(struct vfiomig_client *c);
/* Counts an event that was dropped (queue full, or one this build cannot decode). */
void event_drop(struct vfiomig_client *c, uint64_t seq, uint64_t time_ms);
/* True when vfiomig_event_next() has something to return (an event or a LOST). */
bool event_ready(const struct vfiomig_client *c);
/* Frees the queue. */
void event_queue_free(struct vfiomig_client *c);

/* ---- object constructors (device.c, job.c, peer.c, daemon.c, prepare.c) ---- */

struct vfiomig_device *device_new(const struct ctl_device_info *v);
struct vfiomig_device_list *device_list_new(const struct ctl_device_list *v);
struct vfiomig_job *job_new(const struct ctl_job_status *v);
struct vfiomig_job_list *job_list_new(const struct ctl_job_list *v);
struct vfiomig_peer *peer_new(const struct ctl_peer_info *v);
struct vfiomig_peer_list *peer_list_new(const struct ctl_peer_list *v);
/* Frees an object of a result kind (CTL_RESULT_*). */
void result_obj_free(uint32_t kind, void *obj);

#endif
