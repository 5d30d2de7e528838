/*
 * test_stream_util.h - shared by the stream tests (test_stream.c: real streams on both ends;
 * test_stream_peer.c: one real stream against a hand-made peer): the test PKI, loopback TCP +
 * TLS links handshaken in the test, stream configs, waiting helpers, and the blocking
 * frame-level I/O a hand-made peer uses. Every helper fails the running Check test when a step
 * it relies on fails.
 *
 * Short unprefixed names, like sim_helpers.h: the vocabulary of the tests, not an API.
 */
#ifndef VFIO_MIGD_TEST_STREAM_UTIL_H
#define VFIO_MIGD_TEST_STREAM_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "peer_msg.h"
#include "sim_helpers.h"
#include "stream.h"
#include "tls.h"

/* One end of a data connection: a socket and its handshaken TLS session. */
struct end {
	int fd;
	struct tls_conn *tls;
};

/* Runs make-pki.sh into a temporary directory and loads hosta's and hostb's contexts. */
int pki_setup(const char *prog);
/* Frees the contexts and removes the directory. */
void pki_teardown(void);

/*
 * A loopback TCP connection with TLS handshaken on both ends: src is the client (hosta, the
 * source dials), dst the server (hostb). sndbuf/rcvbuf > 0 shrink the source's send buffer and
 * the destination's receive buffer (a peer that stops reading then blocks the sender soon).
 * Both fds are left non-blocking.
 */
void link_pair(struct end *src, struct end *dst, int sndbuf, int rcvbuf);

/* Makes a hand-made peer's fd blocking with 10 s timeouts, so a broken test cannot hang. */
void end_blocking(struct end *e);
/* Frees the TLS session and closes the fd (no close_notify: a reset to the other side). */
void end_close(struct end *e);
/* Sends close_notify, then end_close(). */
void end_close_notify(struct end *e);

/* A config for role over e (ownership of e passes with stream_start()) and device b. */
struct stream_config cfg_of(enum stream_role role, struct backend *b, struct end *e);
/* stream_start() that must succeed. */
struct stream *start(const struct stream_config *c);
/* Waits at most timeout_ms for a terminal state and returns the stats. */
struct stream_stats finish(struct stream *s, int timeout_ms);
/* Polls until the stream's state is st (or terminal); returns the stats then. */
struct stream_stats await_state(struct stream *s, enum stream_state st, int timeout_ms);
/* Polls until at least bytes were moved; returns the stats then. */
struct stream_stats await_bytes(struct stream *s, uint64_t bytes, int timeout_ms);

/* Notification bookkeeping; pass with notify = note_fn, notify_arg = &notes. */
struct notes {
	atomic_uint calls;
	atomic_bool saw_idle, saw_terminal;
};
void note_fn(struct stream *s, void *arg);

/* Hand-made peers: blocking writes of raw bytes, DATA frames and messages; frame reads. */
void peer_write(struct end *e, const void *buf, size_t len);
void peer_data(struct end *e, uint64_t seq, const void *data, size_t len);
void peer_msg(struct end *e, const struct peer_msg *m);
void peer_ack(struct end *e, uint32_t index, uint64_t bytes);
void peer_end(struct end *e, uint32_t index, uint64_t bytes, const uint8_t sha[32]);
/* Reads one frame into buf (cap bytes); returns the view (body points into buf), or type 0
 * with frame_len 0 when the connection ended (close_notify or reset). */
struct frame_view peer_frame(struct end *e, uint8_t *buf, size_t cap);

/* Milliseconds since t0_ns (CLOCK_MONOTONIC). */
uint64_t ms_since(uint64_t t0_ns);

#endif
