/*
 * test_tls_util.h - the harness shared by the tls/ unit tests (test_tls_conn.c, test_tls_auth.c,
 * test_tls_ctx.c): the test PKI, configs and contexts for its hosts, loopback TCP pairs, a
 * blocking peer pair run through tls/ (the server in a thread), a raw OpenSSL peer that plays
 * what tls/ refuses to be, and the non-blocking pair helpers that run both ends in one poll
 * loop. Every helper fails the running Check test when a step it relies on fails.
 *
 * Short unprefixed names, like sim_helpers.h: the vocabulary of the tests, not an API. Peer
 * threads never call Check after the handshake they report; the test asserts once joined.
 */
#ifndef VFIO_MIGD_TEST_TLS_UTIL_H
#define VFIO_MIGD_TEST_TLS_UTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "tls.h"

#define IDENT_MAX 256

/* Path of the PKI file stem + ext; a ring of buffers so a few may be live at once. */
const char *pki2(const char *stem, const char *ext);

#define pki(name) pki2(name, "")

/* The default allow-list: hosta and hostb. */
extern const char *const allow_ab[2];

/* A config for host (a file stem of the PKI) with the default allow-list. */
struct tls_config cfg_for(const char *host);

/* tls_ctx_new() that must succeed / the same for cfg_for(host). */
struct tls_ctx *ctx_ok(const struct tls_config *cfg);
struct tls_ctx *ctx_host(const char *host);

/* A connected loopback TCP pair; 10 s timeouts keep a broken test from hanging. */
void tcp_pair(int *srv, int *cli);

/* Half-close, then wait for the peer's FIN: the peer reads our last bytes (an alert), not a
 * reset caused by closing with unread data. Closes fd. */
void linger_close(int fd);

/* One side of a blocking pair running the check exchange: handshake; the server then writes
 * "k" and reads until the client's close_notify; the client reads "k" and shuts down. */
struct peer {
	struct tls_ctx *ctx;
	enum tls_role role;
	const char *host;
	int fd;
	int hs, io; /* handshake result; exchange result (0 = clean) */
	char err[512], ident[IDENT_MAX], fp[TLS_FINGERPRINT_HEX_LEN], cipher[64];
};

/* Runs one side (a struct peer *) over its fd: handshake, exchange, then linger_close(). */
void *peer_run(void *arg);

/* Raw OpenSSL peer: presents cert (a PKI stem, or NULL for none), checks nothing, speaks at
 * most max_version. rc: 1 if the handshake and a one-byte read succeeded. */
struct raw {
	bool server;
	int max_version;
	const char *cert;
	int fd, rc;
	char err[256];
};

/* Runs one raw peer (a struct raw *) over its fd, then linger_close(). */
void *raw_run(void *arg);

/* Runs srv in a thread and cli here over a fresh blocking pair. */
void run_pair(struct peer *srv, struct peer *cli);

/* Our server in a thread against a raw client here, or our client here against a raw server. */
void run_raw(struct peer *ours, struct raw *raw);

/* With TEST_TLS_VERBOSE set, prints the texts the tests check (to review the messages). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ck_assert_has(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)), "\"%s\" lacks \"%s\"", (haystack), (needle))

/*
 * Non-blocking helpers: both ends in this thread.
 */

/* Handshakes a (server) and b (client) until neither says -EAGAIN; counts the -EAGAINs. */
unsigned int nb_handshake(struct tls_conn *a, int *ra, struct tls_conn *b, int *rb);

/* A non-blocking pair of connections: [0] server (sctx), [1] client (cctx) expecting
 * hosta.test. */
void nb_pair(struct tls_ctx *sctx, struct tls_ctx *cctx, struct tls_conn *c[2]);

/* Frees both connections (either may be NULL) and closes their sockets. */
void nb_free(struct tls_conn *c[2]);

/* What pump() saw: writes that took less than asked, writes that said -EAGAIN. */
struct pump_stats {
	unsigned int partial, again;
};

/* Moves len bytes from w to r in writes of at most chunk, writing until -EAGAIN before
 * reading until -EAGAIN; returns what r received (malloc'ed, free it). */
unsigned char *pump(struct tls_conn *w, struct tls_conn *r, const unsigned char *data, size_t len,
		    size_t chunk, struct pump_stats *st);

/*
 * main() of a tls test program: ignores SIGPIPE, runs tests/pki/make-pki.sh (found through
 * VFIO_MIGD_SRCDIR) into a fresh temporary directory, runs the suite make() returns, then
 * removes the PKI. Returns the process exit status (1 if the PKI could not be made or a test
 * failed).
 */
int run_with_pki(Suite *(*make)(void));

#endif
