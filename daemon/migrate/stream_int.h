/*
 * stream_int.h - the body of struct stream and the functions its files share (stream.c:
 * lifecycle, state and progress; stream_io.c: waiting and TLS I/O; stream_frame.c: frames and
 * messages; stream_send.c / stream_recv.c: the two workers; stream_rate.c: the moving
 * throughput). Not for use outside daemon/migrate/stream*.c.
 *
 * Threading: fields under "worker only" are touched by the worker thread alone; fields under
 * "shared" only with lock held; the rest is written by stream_start() before the worker exists
 * and read-only afterwards.
 */
#ifndef VFIO_MIGD_MIGRATE_STREAM_INT_H
#define VFIO_MIGD_MIGRATE_STREAM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "frame.h"
#include "peer_msg.h"
#include "stream.h"

#define STREAM_RATE_SLOTS   8	      /* samples of the moving throughput */
#define STREAM_RATE_SLOT_NS 250000000 /* a new sample at most every 250 ms: a ~2 s window */
#define STREAM_SMALL_RX	    64	      /* SEND's frame buffer: holds any StreamAck */
#define STREAM_SHUTDOWN_MS  1000      /* best-effort close_notify waits at most this long */

/* Moving throughput: (time, byte count) samples, oldest first in a ring. */
struct stream_rate {
	uint64_t t_ns[STREAM_RATE_SLOTS];
	uint64_t bytes[STREAM_RATE_SLOTS];
	unsigned int head; /* next slot to write */
	unsigned int n;	   /* samples held */
};

/* Incremental reader of whole frames with exact-length TLS reads (never past a frame). */
struct stream_rx {
	uint8_t *buf;
	size_t cap;    /* bytes buf holds: the largest frame this role accepts */
	size_t have;   /* bytes of the current frame read so far */
	size_t need;   /* bytes the current frame needs: FRAME_HDR_LEN until its header is parsed */
	bool hdr_done; /* the current frame's header was checked and need is its full length */
};

struct stream {
	struct stream_config cfg; /* name points into name[] */
	char name[64];
	int cancel_fd; /* eventfd: readable once stream_cancel() was called */
	pthread_t thread;
	bool joined;
	atomic_bool cancelled;

	/* Shared. */
	pthread_mutex_t lock;
	pthread_cond_t finished_cond;
	bool finished;		/* the worker published a terminal state */
	struct stream_stats st; /* published progress and state */
	struct stream_rate rate;

	/* Worker only. */
	uint8_t *prefix; /* a copy of cfg.prefix (cfg keeps none); NULL once all read */
	size_t prefix_len, prefix_off; /* its size, and the bytes of it already read */
	uint8_t *buf; /* SEND: FRAME_DATA_PREFIX + chunk; RECV: the largest DATA frame */
	size_t buf_len;
	uint8_t small[STREAM_SMALL_RX];
	struct stream_rx rx;
	struct digest *digest;	  /* over every data byte, in order */
	enum stream_state wstate; /* the state the worker last published */
	uint64_t seq;		  /* next DATA sequence number */
	uint64_t bytes, acked, frames, throttled_us, idle_periods;
	bool end;
	bool precopy_valid, precopy_unsupported;
	uint64_t precopy_initial, precopy_dirty;
	uint64_t last_io_ns;	 /* CLOCK_MONOTONIC when a byte last moved on the connection */
	uint64_t last_notify_ns; /* when progress was last notified */
	int error;		 /* the first error recorded (stream_error) */
	char message[STREAM_MESSAGE_MAX];
};

/* stream.c */
uint64_t stream_now_ns(void);
bool stream_is_cancelled(struct stream *s);
/* Records r (< 0) and its message if no error was recorded yet; returns r. Worker only. */
int stream_error(struct stream *s, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Publishes a non-terminal state (logs "old -> new" and notifies on a change). Worker only. */
void stream_set_state(struct stream *s, enum stream_state st);
/* Publishes the counters; notifies when notify_ms passed since the last time (or force). */
void stream_progress(struct stream *s, bool force);

/* stream_io.c */
int stream_io_setup(struct stream *s);
/* Waits for events on the connection: 1 ready, 0 deadline_ns (0 = none) passed, -ECANCELED,
 * or -ETIMEDOUT when the stall timeout expired (recorded). */
int stream_io_wait(struct stream *s, short events, uint64_t deadline_ns);
/* Sleeps us microseconds on the cancel fd: 0, or -ECANCELED. */
int stream_io_sleep(struct stream *s, uint64_t us);
/* Writes all of buf: 0, or -errno (recorded). */
int stream_io_write(struct stream *s, const void *buf, size_t len);
/* Reads 1..len bytes, from the prefix while any is left, then from TLS: > 0; 0 for
 * close_notify; -EAGAIN when !wait and nothing is there or the deadline passed; -ECANCELED;
 * -ETIMEDOUT (stall, recorded); the TLS errors (not recorded). */
ssize_t stream_io_read(struct stream *s, void *buf, size_t len, bool wait, uint64_t deadline_ns);
/* Sends close_notify, waiting at most STREAM_SHUTDOWN_MS; failures are only logged. */
void stream_io_shutdown(struct stream *s);
/* Turns Nagle off for the rest of the stream (TCP_NODELAY), which also pushes out what is
 * queued: called before the stream's last frames, which the peer waits for. Best effort: a
 * socket that is not TCP (the unit tests' socketpairs) keeps its behaviour. */
void stream_io_nodelay(struct stream *s);

/* stream_frame.c */
void stream_frame_init(struct stream *s);
/* Reads the next whole frame into *ret (body valid until the next call): 1; -EAGAIN, 0,
 * -ECANCELED and errors as stream_io_read; -EPROTO (recorded) for a frame this role does not
 * accept or a malformed one. */
int stream_frame_read(struct stream *s, struct frame_view *ret, bool wait, uint64_t deadline_ns);
/* Encodes m and writes it: 0 or -errno (recorded). */
int stream_frame_send(struct stream *s, const struct peer_msg *m);
/* Sends StreamAck {device_index, s->bytes} and accounts it. */
int stream_frame_send_ack(struct stream *s);

/* stream_send.c, stream_recv.c: the workers; 0 = DONE, else the error (recorded). */
int stream_send_run(struct stream *s);
int stream_recv_run(struct stream *s);

/* stream_rate.c */
void stream_rate_add(struct stream_rate *r, uint64_t now_ns, uint64_t bytes);
uint64_t stream_rate_get(const struct stream_rate *r, uint64_t now_ns, uint64_t bytes);

#endif
