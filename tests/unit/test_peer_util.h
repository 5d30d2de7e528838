/*
 * test_peer_util.h - the harness of the peer suite: the test PKI, one libevent loop per test,
 * captured log lines, peer sets for hosta and hostb on loopback, and raw peers (blocking
 * sockets + tls/ + proto/, run in a thread while the loop runs) that misbehave on purpose.
 *
 * Every test runs in its own forked process (Check's default), with tp_setup()/tp_teardown()
 * as a checked fixture. Raw peer threads never call Check: they record what happened and the
 * test asserts once the thread is done.
 */
#ifndef VFIO_MIGD_TEST_PEER_UTIL_H
#define VFIO_MIGD_TEST_PEER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer.h"
#include "tls.h"

extern struct event_base *tp_base;

/* main(): makes the PKI into a temporary directory (0) or fails (-1); tp_pki_remove() at exit. */
int tp_pki_make(void);
void tp_pki_remove(void);

/* The path of a PKI file, e.g. tp_pki("hosta", ".crt"); a ring of buffers. */
const char *tp_pki(const char *stem, const char *ext);

/* SHA-256 of a PKI certificate's DER, lower-case hex (what peer_link_fingerprint() says). */
void tp_cert_fingerprint(const char *stem, char out[TLS_FINGERPRINT_HEX_LEN]);

/* A TLS context for cert (a PKI stem) trusting ca (a PKI stem, e.g. "ca"), allowing allow[]. */
struct tls_ctx *tp_ctx(const char *ca, const char *cert, const char *const *allow, size_t n);

/* Fixture: a fresh event base, every log line captured (level debug); with TEST_PEER_LOG set
 * in the environment, tp_teardown() prints them. */
void tp_setup(void);
void tp_teardown(void);

/* Captured log lines containing needle: how many, the first one (or NULL). */
int tp_log_count(const char *needle);
const char *tp_log_find(const char *needle);
/* Runs the loop until a line containing needle was logged; false after timeout_ms. */
bool tp_log_wait(const char *needle, int timeout_ms);
/* Prints every captured line to stderr (for a failing test). */
void tp_log_dump(void);

/* Runs the loop until cond(arg) holds (true) or timeout_ms pass (false). */
bool tp_run_until(bool (*cond)(void *), void *arg, int timeout_ms);
void tp_run_for(int ms);

/* Peer options for tests: the defaults with short timeouts and the given host identity. */
void tp_options(struct peer_options *o, const char *host_identity);

/*
 * A peer set named host ("hosta"), with the TLS context for PKI stem host allowing hosta and
 * hostb, listening on 127.0.0.1:0 when listen. o NULL: tp_options().
 */
struct peer_set *tp_set(const char *host, const struct peer_options *o, bool listen);

/* The port of the set's i-th listener; "127.0.0.1:PORT" for connecting to listener 0. */
int tp_port(struct peer_set *set, size_t i);
const char *tp_addr(struct peer_set *set);

/* A peer_connect() result, filled by tp_connect_cb. */
struct tp_conn {
	bool done;
	int calls;
	int err;
	struct peer_link *link;
	char why[1024];
};
void tp_connect_cb(struct peer_link *link, int err, const char *why, void *arg);

/* peer_connect() and run the loop until its callback ran (fails the test after 10 s). */
void tp_connect(struct peer_set *set, const char *addr, const char *expect_host, unsigned int flags,
		struct tp_conn *c);

/* What the message and closed callbacks saw (tp_rec_message, tp_rec_closed). */
struct tp_rec {
	int messages;
	struct peer_link *msg_link;
	uint16_t type;
	uint64_t job_id; /* of a notice */
	int closed;
	struct peer_link *closed_link;
	int closed_err;
	char closed_why[1024];
	char closed_identity[256];
};
void tp_rec_message(struct peer_link *link, const struct peer_msg *m, void *arg);
void tp_rec_closed(struct peer_link *link, int err, const char *why, void *arg);

/* Links of the set (not closing) in state s. */
int tp_count_links(struct peer_set *set, enum peer_link_state s);
/* Runs the loop until the set has n READY links (fails the test after 10 s). */
void tp_wait_ready(struct peer_set *set, int n);
/* Whether the set has no links left (a tp_run_until() condition; arg: the set). */
bool tp_no_links(void *set);
/* Sends a COMMIT for job over link; the other side's tp_rec r must see it on peer_link. */
void tp_expect_delivery(struct peer_link *link, struct tp_rec *r, struct peer_link *peer_link,
			uint64_t job);

/* Runs fn(arg) in a thread while the loop runs, until it returns (fails after timeout_ms). */
void tp_thread(void *(*fn)(void *), void *arg, int timeout_ms);

/* ---- raw peers (blocking, for threads) ---- */

struct tp_raw {
	int fd;
	struct tls_conn *tls;
	uint8_t buf[1 << 16];
	size_t len; /* buffered, unparsed input */
};

/* A blocking TCP connection to 127.0.0.1:port (or [::1] when v6), 10 s socket timeouts. */
int tp_raw_connect(struct tp_raw *r, int port, bool v6);
/* A TCP listener on 127.0.0.1:0: the fd, and its port in *port. */
int tp_raw_listen(int *port);
/* Accepts one connection on a tp_raw_listen() fd into r. */
int tp_raw_accept(struct tp_raw *r, int lfd);
/* TLS handshake in the given role with ctx; 0 or tls_conn_handshake()'s error. */
int tp_raw_tls(struct tp_raw *r, struct tls_ctx *ctx, enum tls_role role);
/* Sends bytes / a frame with any header / an encoded message over TLS; 0 or -errno. */
int tp_raw_send(struct tp_raw *r, const void *p, size_t n);
int tp_raw_send_frame(struct tp_raw *r, uint16_t type, uint16_t flags, uint32_t len,
		      const void *body, size_t body_len);
int tp_raw_send_msg(struct tp_raw *r, const struct peer_msg *m);
/* Receives one peer message: 0 and *m (peer_msg_clear() it), 1 on close_notify, -errno. */
int tp_raw_recv_msg(struct tp_raw *r, struct peer_msg *m);
/* A HELLO from host identity "raw" with the given version range. */
void tp_hello(struct peer_msg *m, uint32_t min_version, uint32_t version);
/* Frees TLS (no close_notify) and closes the socket. */
void tp_raw_close(struct tp_raw *r);

#endif
