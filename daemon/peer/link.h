/*
 * link.h - the body of struct peer_link and the functions the link's files share: link.c (the
 * state machine), inbound.c (received frames), dial.c (CONNECTING), keepalive.c (PING/PONG),
 * peer_link.c (public API), peer_stream.c (outgoing data streams). Threading: the loop thread
 * only.
 */
#ifndef VFIO_MIGD_PEER_LINK_H
#define VFIO_MIGD_PEER_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "peer.h"
#include "tls.h"
#include "wire.h"

#define LINK_WHY_MAX	  1024 /* a close reason with the peer's name (a log line) */
#define LINK_IDENTITY_MAX 512  /* an allow-list entry as tls/ normalizes it, + NUL */

struct addrinfo;
struct event;
struct resolve_req;

/* A peer_connect() caller waiting for the link to be READY (or to fail). */
struct link_waiter {
	peer_connect_fn *done;
	void *arg;
	struct link_waiter *next;
};

/* Outgoing links in CONNECTING: the target, the lookup, the addresses left to try. */
struct link_dial {
	struct addr_spec target;
	char expect_host[ADDR_HOST_MAX]; /* "" for none */
	struct resolve_req *resolve;	 /* lookup under way */
	struct addrinfo *ai;		 /* every address, NULL before the lookup */
	struct addrinfo *cur;		 /* the one being tried */
	struct addrinfo *next;		 /* the next one to try */
	int err;			 /* the last failure, 0 for none yet */
	char why[LINK_WHY_MAX];		 /* and its text */
};

/*
 * Outgoing data streams (peer_stream_connect()): a link that runs CONNECTING and
 * TLS_HANDSHAKE like any outgoing link, then, in HELLO, only writes the STREAM_HELLO queued at
 * creation and is handed over (HELLO -> CLOSED) as soon as it is written. It never reads.
 */
struct link_stream {
	struct peer_stream_hello hello;
	peer_stream_dial_fn *done; /* NULL once told or cancelled */
	void *arg;
};

/* READY links: liveness and round-trip time. Times are CLOCK_MONOTONIC microseconds. */
struct link_keepalive {
	uint64_t last_rx_us;	 /* when the last frame arrived */
	unsigned int unanswered; /* keepalive PINGs sent since then */
	uint64_t nonce;		 /* of the last PING sent */
	uint64_t sent_us;	 /* when it was sent; 0 once answered */
	int64_t rtt_us;		 /* last measured, -1 for none */
};

struct peer_link {
	struct peer_set *set;
	TAILQ_ENTRY(peer_link) entry;
	enum peer_link_state state;
	bool outgoing;	/* we connected */
	bool data;	/* an outgoing data stream (stream below), never a control link */
	bool tls_up;	/* handshake done, no fatal TLS result since: I/O allowed */
	bool notified;	/* waiters and the closed callback have been told */
	bool was_ready; /* reached READY: report the close to the closed callback */
	bool shut_wr;	/* CLOSING: close_notify sent and the TCP write side shut */
	int fd;		/* owned; -1 when none (resolving, or handed over) */
	struct tls_conn *tls;
	struct tls_ctx *ctx;   /* outgoing: the context taken at peer_connect() */
	struct event *rd, *wr; /* I/O on fd, armed as the state needs (link_arm) */
	struct event *timer;   /* the state's deadline: connect, handshake, keepalive, linger */
	struct event *step;    /* run the state machine from the loop (link_kick) */
	short armed;	       /* EV_READ / EV_WRITE currently added */
	enum tls_want want;    /* TLS_HANDSHAKE, CLOSING: direction TLS waits for */
	enum tls_want rd_want, wr_want; /* HELLO, READY: per direction, NONE = the natural one */
	struct wire_buf in, out;
	struct link_dial dial;
	struct link_waiter *waiters;
	struct link_stream stream;
	struct link_keepalive ka;
	char addr[ADDR_TEXT_MAX];
	char identity[LINK_IDENTITY_MAX];
	char fingerprint[TLS_FINGERPRINT_HEX_LEN];
	char name[ADDR_TEXT_MAX + LINK_IDENTITY_MAX + 4]; /* "ADDR" or "ADDR (IDENTITY)" */
	struct peer_hello remote;			  /* the peer's HELLO */
	uint32_t version;
	uint64_t features;
	time_t created;
	int close_err;
	char close_why[LINK_WHY_MAX]; /* "peer NAME: reason", for callbacks */
};

/* Every log line about a link starts with "peer NAME: ". */
#define link_log(link, level, fmt, ...) \
	log_msg((level), 0, "peer %s: " fmt, (link)->name, ##__VA_ARGS__)

/*
 * A new outgoing link to addr with done as its first waiter, started from the loop; every
 * failure is reported through done. Returns 0 or -ENOMEM (done never called).
 */
int link_connect(struct peer_set *set, const char *addr, const char *expect_host,
		 peer_connect_fn *done, void *arg);

/*
 * A new outgoing data stream link to addr announcing s->hello, with s->done as its one
 * callback, started from the loop; every failure is reported through s->done. Returns 0,
 * -EINVAL (s->hello breaks a rule: proto_last_error()) or -ENOMEM (done never called).
 */
int link_connect_stream(struct peer_set *set, const char *addr, const char *expect_host,
			const struct link_stream *s);

/* Whether link is an outgoing control link to addr/expect_host that is not closing. */
bool link_matches(const struct peer_link *link, const char *addr, const char *expect_host);

/* Adds a waiter to a link not closing; told from the loop. Returns 0 or -ENOMEM. */
int link_wait(struct peer_link *link, peer_connect_fn *done, void *arg);

/* Takes over an accepted socket (refused, logged and closed when the set cannot take it). */
void link_accept(struct peer_set *set, int fd, const struct sockaddr *sa, socklen_t len);

/*
 * The one close path: logs "peer NAME: reason" once (warning if err < 0, info otherwise) and
 * enters CLOSING; the loop then tells waiters and the closed callback, flushes, sends
 * close_notify and frees. No-op on a link already closing.
 */
void link_close(struct peer_link *link, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The one state setter: logs "OLD -> NEW" (debug) and arms the new state's deadline. */
void link_set_state(struct peer_link *link, enum peer_link_state s);

/* A fatal TLS result r during what: closes the link with tls_conn_error() and advice, doing
 * no more TLS I/O on it. */
void link_tls_failed(struct peer_link *link, int r, const char *what);

/* peer_set_free(): link_close() if needed, one non-blocking close_notify attempt, free. */
void link_destroy(struct peer_link *link);

/*
 * Encodes and queues a frame of the link's own (HELLO, PING, PONG, link ABORT). Returns 0, or
 * -errno after closing the link (output full: the peer is not reading).
 */
int link_queue(struct peer_link *link, const struct peer_msg *m);

/*
 * Encodes m and appends it to the output without touching the link's state: 0, -ENOBUFS (no
 * room within max_buffer), or peer_msg_encode()'s errors.
 */
int link_send(struct peer_link *link, const struct peer_msg *m);

/* Gives the link fd (owned from now) and its I/O events. 0 or -ENOMEM (fd not taken). */
int link_attach_fd(struct peer_link *link, int fd);

/* Forgets fd and TLS session without closing or freeing them (handed over). */
void link_release_fd(struct peer_link *link);

/* Frees the TLS session and closes fd. */
void link_drop_fd(struct peer_link *link);

/* Runs the state machine from the loop soon (after a send, a close, a budget running out). */
void link_kick(struct peer_link *link);

/* (Re)arms the link's deadline ms from now. */
void link_timer(struct peer_link *link, uint64_t ms);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t link_now_us(void);

/* "600 ms", "15 s", "1.5 s". */
void link_fmt_ms(uint64_t ms, char *buf, size_t len);

/*
 * dial.c, CONNECTING for outgoing links. dial_start() parses link->addr and starts the lookup
 * (closing the link on failure). dial_step() tries the addresses in turn: 1 once one is
 * connected (link->fd), 0 while waiting (lookup, connect in progress), or -errno when every
 * address failed (link->dial.why says how). dial_free() drops the lookup and addresses.
 */
void dial_start(struct peer_link *link);
int dial_step(struct peer_link *link);
void dial_free(struct peer_link *link);

/*
 * peer_stream.c. peer_stream_deliver(): a data stream link whose STREAM_HELLO is written:
 * hands fd and TLS to its done callback and leaves the link CLOSED. peer_stream_failed(): tells
 * the done callback of a data stream link that closed before (once; no-op afterwards).
 */
void peer_stream_deliver(struct peer_link *link);
void peer_stream_failed(struct peer_link *link, int err, const char *why);

/*
 * inbound.c, HELLO and READY: reads and handles frames until TLS would block, the state
 * changes or a budget is spent (then the link is kicked to continue from the loop).
 */
void inbound_read(struct peer_link *link);

/*
 * keepalive.c, READY links. keepalive_start(): entering READY, sends an RTT probe and arms the
 * keepalive timer. keepalive_rx(): any frame arrived. keepalive_tick(): the timer fired: PING,
 * or close the link after keepalive_count unanswered. keepalive_frame(): a PING (answered) or
 * PONG (RTT measured).
 */
void keepalive_start(struct peer_link *link);
void keepalive_rx(struct peer_link *link);
void keepalive_tick(struct peer_link *link);
void keepalive_frame(struct peer_link *link, const struct peer_msg *m);

#endif
