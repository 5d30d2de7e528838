/*
 * stream.h - one device's migration data stream: a worker thread that moves the device's state
 * over its own TLS data connection, so that the event loop never blocks on a data_fd and
 * several devices stream in parallel (architecture.md, "Threads and the event loop").
 *
 * SEND (source): device stream_read -> DATA frames {seq 0, 1, 2, ..., bytes} -> at the
 * device's EOF (STOP_COPY drained) STREAM_END {bytes, SHA-256 of every data byte} -> wait for
 * the destination's StreamAck covering every byte -> DONE (then close_notify, best effort).
 * A destination that answers END with close_notify instead also ends the stream DONE (with
 * bytes_acked short): the peer link's LOADED / LOAD_FAILED carries the verdict either way.
 * RECV (destination): DATA frames (each seq exactly the next) -> device stream_write of every
 * byte, StreamAck about every STREAM_ACK_EVERY bytes -> STREAM_END: byte count and SHA-256
 * must match what arrived -> final StreamAck, close_notify -> DONE. A transport EOF or reset
 * before END is a failure, never success (anchors.md 4.2: the dirty-shutdown trap).
 *
 * The data connection is set up by the caller (TCP, TCP_USER_TIMEOUT/keepalive, TLS handshake,
 * STREAM_HELLO; peer_stream_connect() on the source, the peer layer's hand-over on the
 * destination, with the bytes it read past the STREAM_HELLO as the stream's prefix); the
 * stream then owns the fd and the tls_conn and drives them non-blocking with poll() on the
 * direction TLS wants plus a cancel eventfd, so stream_cancel() always unblocks the worker
 * (except inside a device call, which returns on its own). One buffer of FRAME_DATA_PREFIX +
 * chunk bytes per stream: device bytes are read straight after the frame prefix and the whole
 * frame goes out in one TLS write, with no copy. Memory does not grow with the device's size.
 *
 * Pre-copy: when the device has nothing for now (-ENOMSG) the stream goes IDLE, notifies, and
 * looks again every poll interval (sleeping on the cancel fd, never spinning); the device
 * returns EOF only after the job moved it to STOP_COPY, which the job does from its own thread
 * while the worker runs (backend.h allows that arc to race stream_read).
 *
 * Threading: the worker calls only backend_stream_read / backend_stream_write /
 * backend_precopy_info on the device, and makes none once stream_stats() shows a terminal
 * state; until then the job must not end the session, reset or free the device.
 * stream_stats(), stream_cancel() and stream_wait() may be called from any thread;
 * stream_free() from any thread but the worker (never from the notify callback).
 */
#ifndef VFIO_MIGD_MIGRATE_STREAM_H
#define VFIO_MIGD_MIGRATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "ratelimit.h"
#include "tls.h"

#define STREAM_CHUNK_DEFAULT	  (UINT32_C(1) << 20) /* = FRAME_DATA_MAX */
#define STREAM_CHUNK_MIN	  UINT32_C(512)
#define STREAM_NOTIFY_MS_DEFAULT  250
#define STREAM_POLL_MS_DEFAULT	  50
#define STREAM_END_ACK_MS_DEFAULT 30000
#define STREAM_ACK_EVERY	  (UINT64_C(4) << 20) /* RECV acknowledges about this often */
#define STREAM_MESSAGE_MAX	  256

enum stream_role {
	STREAM_SEND = 1, /* source: device -> network */
	STREAM_RECV = 2, /* destination: network -> device */
};

enum stream_state {
	STREAM_RUNNING = 1,   /* moving bytes, or (SEND) waiting for the final acknowledgement */
	STREAM_IDLE = 2,      /* SEND in pre-copy: the device has nothing for now; looking again */
	STREAM_DONE = 3,      /* finished: every byte delivered and verified (terminal) */
	STREAM_FAILED = 4,    /* finished with an error: stats.error and stats.message (terminal) */
	STREAM_CANCELLED = 5, /* stream_cancel() stopped it; nothing more was sent (terminal) */
};

struct stream;

/* Called from the worker on every state change and at most every notify_ms while bytes move;
 * must be cheap and thread-safe (the daemon makes it event_active() on its loop). */
typedef void stream_notify_fn(struct stream *s, void *arg);

struct stream_config {
	enum stream_role role;
	const char *name; /* for logs, e.g. the device id; copied (63 bytes kept); NULL = "" */
	/* The device, with its save (SEND) or resume (RECV) session open. Not owned. */
	struct backend *backend;
	/* A connected socket and its handshaken TLS session (STREAM_HELLO already exchanged).
	 * Owned by the stream once stream_start() succeeds. Decrypted bytes the session holds
	 * (tls_conn_pending()) are read first, whether or not fd is readable. */
	int fd;
	struct tls_conn *tls;
	/* Bytes of the connection the caller already read past the STREAM_HELLO (the `rest` of
	 * struct peer_stream_handoff): the stream reads them before anything from tls. Copied by
	 * stream_start(); NULL/0 for none. Either role; in practice RECV. */
	const uint8_t *prefix;
	size_t prefix_len;
	uint32_t device_index; /* carried in StreamAck / StreamEnd and checked in theirs */
	/* SEND: device bytes per DATA frame, STREAM_CHUNK_MIN..FRAME_DATA_MAX; 0 = default.
	 * RECV accepts any frame size the protocol allows, whatever this says. */
	uint32_t chunk;
	/* Bandwidth caps consulted before every SEND chunk (may be NULL); not owned, must outlive
	 * the stream. The stream waits for the longer of the two delays. */
	struct ratelimit *job_limit, *host_limit;
	stream_notify_fn *notify; /* may be NULL */
	void *notify_arg;
	uint32_t notify_ms; /* progress notification period; 0 = default */
	uint32_t poll_ms;   /* SEND: pre-copy look-again period; 0 = default */
	/* No byte moved on the connection for this long while waiting on it -> FAILED
	 * -ETIMEDOUT; 0 = off. RECV: a source idling in pre-copy sends nothing, so set this only
	 * where that cannot last longer (TCP_USER_TIMEOUT covers dead peers). */
	uint32_t stall_ms;
	uint32_t end_ack_ms; /* SEND: wait this long for the final StreamAck; 0 = default */
};

struct stream_stats {
	enum stream_state state;
	enum stream_role role;
	uint32_t device_index;
	uint64_t bytes;	      /* data bytes sent (SEND) or received and written to the device */
	uint64_t bytes_acked; /* SEND: acknowledged by the destination; RECV: acknowledged by us */
	uint64_t frames;      /* DATA frames sent or received */
	uint64_t rate;	      /* bytes/s over the last few seconds; once finished, the average */
	bool end;	      /* STREAM_END sent (SEND) or received and verified (RECV) */
	/* SEND in pre-copy: the device's last VFIO_MIG_GET_PRECOPY_INFO answer. */
	bool precopy_valid;
	uint64_t precopy_initial, precopy_dirty;
	uint64_t idle_periods; /* times the device ran temporarily empty (pre-copy passes) */
	uint64_t throttled_us; /* time spent waiting for the rate limiters */
	uint64_t started_ns;   /* CLOCK_MONOTONIC at stream_start() */
	uint64_t finished_ns;  /* CLOCK_MONOTONIC when a terminal state was reached, else 0 */
	int error;	       /* -errno for FAILED (-ECANCELED for CANCELLED), else 0 */
	char message[STREAM_MESSAGE_MAX]; /* what failed, for logs and replies; "" if nothing */
};

/*
 * Validates c and starts the worker. On success the stream owns c->fd and c->tls and *ret is
 * set (the worker may already be running, and calling notify). Errors, with c->fd and c->tls
 * left untouched and still the caller's:
 *   -EINVAL  bad role, no backend or tls, fd < 0, chunk outside its bounds, prefix_len > 0
 *            with prefix NULL
 *   -ENOMEM, or an errno from eventfd() / pthread_create()
 */
int stream_start(const struct stream_config *c, struct stream **ret);

/* A consistent snapshot of the stream's progress and state. Any thread. */
void stream_stats(struct stream *s, struct stream_stats *ret);

/* Asks the worker to stop: it ends with CANCELLED soon (at once if it waits on the network,
 * a rate limiter or the poll interval; after the current device call otherwise) and sends
 * nothing more. No effect once the stream finished. Any thread, never blocks. */
void stream_cancel(struct stream *s);

/* Waits until the worker finished (a terminal state, and its last notify call returned), at
 * most timeout_ms (-1 = no limit). Returns 0, or -ETIMEDOUT. Any thread but the worker. */
int stream_wait(struct stream *s, int timeout_ms);

/* Cancels the worker if it still runs, joins it, closes the fd and frees the TLS session and
 * everything else. NULL-safe. Never from the notify callback. */
void stream_free(struct stream *s);

/* "RUNNING", "IDLE", ... for logs; "UNKNOWN" for other values. */
const char *stream_state_name(enum stream_state st);

#endif
