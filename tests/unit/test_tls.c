/*
 * test_tls.c - tls/: context validation and reload semantics; connections in both roles over
 * blocking and non-blocking sockets; data, close_notify versus a bare EOF; every way peer
 * authentication can fail; non-TLS and TLS 1.2 peers; the kTLS flag.
 *
 * main() runs tests/pki/make-pki.sh (found through VFIO_MIGD_SRCDIR) once into a temporary
 * directory. Peers talk over loopback TCP. Blocking pairs run the accepting side in a thread;
 * non-blocking pairs run both sides in one poll loop. Raw OpenSSL plays the peers tls/ refuses
 * to be: one without a certificate, with an expired or foreign one, or speaking only TLS 1.2.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls.h"

#define IDENT_MAX 256

static char pki_dir[1024];

/* Path of the PKI file stem + ext; a ring of buffers so a few may be live at once. */
static const char *pki2(const char *stem, const char *ext)
{
	static char ring[16][1200];
	static unsigned int next;
	char *p = ring[next++ % 16];

	snprintf(p, sizeof(ring[0]), "%s/%s%s", pki_dir, stem, ext);
	return p;
}

#define pki(name) pki2(name, "")

static const char *const allow_ab[] = { "dns:hosta.test", "dns:hostb.test" };

/* A config for host (a file stem of the PKI) with the default allow-list. */
static struct tls_config cfg_for(const char *host)
{
	struct tls_config c = {
		.ca_file = pki("ca.crt"),
		.cert_file = pki2(host, ".crt"),
		.key_file = pki2(host, ".key"),
		.allow = allow_ab,
		.n_allow = 2,
	};
	return c;
}

static struct tls_ctx *ctx_ok(const struct tls_config *cfg)
{
	struct tls_ctx *ctx = NULL;
	char err[512] = "";

	ck_assert_msg(tls_ctx_new(cfg, &ctx, err, sizeof(err)) == 0, "tls_ctx_new: %s", err);
	return ctx;
}

static struct tls_ctx *ctx_host(const char *host)
{
	struct tls_config c = cfg_for(host);

	return ctx_ok(&c);
}

/* A connected loopback TCP pair; 10 s timeouts keep a broken test from hanging. */
static void tcp_pair(int *srv, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(*cli, (struct sockaddr *)&a, sizeof(a)), 0);
	*srv = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(*srv, 0);
	close(l);
	for (int i = 0; i < 2; i++) {
		setsockopt(i ? *srv : *cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(i ? *srv : *cli, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
}

static void set_nonblock(int fd)
{
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* Half-close, then wait for the peer's FIN: the peer reads our last bytes (an alert), not a
 * reset caused by closing with unread data. */
static void linger_close(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	shutdown(fd, SHUT_WR);
	while (poll(&p, 1, 5000) == 1 && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

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

static void peer_exchange(struct peer *p, struct tls_conn *c)
{
	char b = 0;
	ssize_t n;

	tls_conn_peer_identity(c, p->ident, sizeof(p->ident));
	snprintf(p->cipher, sizeof(p->cipher), "%s", tls_conn_cipher(c));
	if (p->role == TLS_ROLE_SERVER) {
		n = tls_conn_write(c, "k", 1);
		p->io = n == 1 ? (int)tls_conn_read(c, &b, 1) : (int)n;
	} else {
		n = tls_conn_read(c, &b, 1);
		p->io = n == 1 && b == 'k' ? tls_conn_shutdown(c) : n == 1 ? -EBADMSG : (int)n;
	}
}

static void *peer_run(void *arg)
{
	struct peer *p = arg;
	struct tls_conn *c = NULL;

	ck_assert_int_eq(tls_conn_new(p->ctx, p->fd, p->role, p->host, &c), 0);
	p->hs = tls_conn_handshake(c);
	p->io = -EINVAL;
	tls_conn_peer_fingerprint(c, p->fp);
	if (p->hs == 0)
		peer_exchange(p, c);
	snprintf(p->err, sizeof(p->err), "%s", tls_conn_error(c));
	tls_conn_free(c);
	linger_close(p->fd);
	return NULL;
}

/* Raw OpenSSL peer: presents cert (a PKI stem, or NULL for none), checks nothing, speaks at
 * most max_version. rc: 1 if the handshake and a one-byte read succeeded. */
struct raw {
	bool server;
	int max_version;
	const char *cert;
	int fd, rc;
	char err[256];
};

static void *raw_run(void *arg)
{
	struct raw *r = arg;
	SSL_CTX *sc = SSL_CTX_new(r->server ? TLS_server_method() : TLS_client_method());
	SSL *s;
	char b;

	ck_assert_ptr_nonnull(sc);
	SSL_CTX_set_max_proto_version(sc, r->max_version ? r->max_version : TLS1_3_VERSION);
	SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
	if (r->cert) {
		ck_assert_int_eq(
			SSL_CTX_use_certificate_file(sc, pki2(r->cert, ".crt"), SSL_FILETYPE_PEM),
			1);
		ck_assert_int_eq(
			SSL_CTX_use_PrivateKey_file(sc, pki2(r->cert, ".key"), SSL_FILETYPE_PEM),
			1);
	}
	s = SSL_new(sc);
	SSL_set_fd(s, r->fd);
	r->rc = r->server ? SSL_accept(s) : SSL_connect(s);
	if (r->rc == 1)
		r->rc = SSL_read(s, &b, 1);
	ERR_error_string_n(ERR_peek_error(), r->err, sizeof(r->err));
	ERR_clear_error();
	SSL_free(s);
	SSL_CTX_free(sc);
	linger_close(r->fd);
	return NULL;
}

/* Runs srv in a thread and cli here over a fresh blocking pair. */
static void run_pair(struct peer *srv, struct peer *cli)
{
	pthread_t t;

	srv->role = TLS_ROLE_SERVER;
	cli->role = TLS_ROLE_CLIENT;
	tcp_pair(&srv->fd, &cli->fd);
	ck_assert_int_eq(pthread_create(&t, NULL, peer_run, srv), 0);
	peer_run(cli);
	pthread_join(t, NULL);
}

/* Our server in a thread against a raw client here, or our client here against a raw server. */
static void run_raw(struct peer *ours, struct raw *raw)
{
	pthread_t t;

	ours->role = raw->server ? TLS_ROLE_CLIENT : TLS_ROLE_SERVER;
	tcp_pair(raw->server ? &raw->fd : &ours->fd, raw->server ? &ours->fd : &raw->fd);
	ck_assert_int_eq(pthread_create(&t, NULL, peer_run, ours), 0);
	raw_run(raw);
	pthread_join(t, NULL);
}

static void file_fingerprint(const char *stem, char out[TLS_FINGERPRINT_HEX_LEN])
{
	FILE *f = fopen(pki2(stem, ".crt"), "r");
	unsigned char md[32];
	unsigned int n = 0;
	X509 *x;

	ck_assert_ptr_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &n), 1);
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	X509_free(x);
}

/* With TEST_TLS_VERBOSE set, prints the texts the tests check (to review the messages). */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("TEST_TLS_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

#define ck_assert_has(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)), "\"%s\" lacks \"%s\"", (haystack), (needle))

struct pair {
	struct peer srv, cli;
};

static void *pair_run(void *arg)
{
	struct pair *p = arg;

	run_pair(&p->srv, &p->cli);
	return NULL;
}

/* Four pairs at once on two shared contexts: identities, fingerprints, clean close. */
START_TEST(test_handshake_identities)
{
	struct tls_ctx *a = ctx_host("hosta"), *b = ctx_host("hostb");
	char fpa[TLS_FINGERPRINT_HEX_LEN], fpb[TLS_FINGERPRINT_HEX_LEN];
	struct pair p[4];
	pthread_t t[4];

	file_fingerprint("hosta", fpa);
	file_fingerprint("hostb", fpb);
	for (int i = 0; i < 4; i++) {
		p[i] = (struct pair){ .srv = { .ctx = a },
				      .cli = { .ctx = b, .host = "hosta.test" } };
		ck_assert_int_eq(pthread_create(&t[i], NULL, pair_run, &p[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		struct peer *srv = &p[i].srv, *cli = &p[i].cli;

		pthread_join(t[i], NULL);
		ck_assert_msg(srv->hs == 0 && cli->hs == 0, "server %d (%s), client %d (%s)",
			      srv->hs, srv->err, cli->hs, cli->err);
		ck_assert_int_eq(srv->io, 0); /* read 0: the client's close_notify */
		ck_assert_int_eq(cli->io, 0);
		ck_assert_str_eq(srv->ident, "dns:hostb.test");
		ck_assert_str_eq(cli->ident, "dns:hosta.test");
		ck_assert_str_eq(cli->fp, fpa);
		ck_assert_str_eq(srv->fp, fpb);
		ck_assert_str_eq(srv->err, "");
		ck_assert_int_ne(strlen(cli->cipher), 0);
	}
	tls_ctx_unref(a);
	tls_ctx_unref(b);
}
END_TEST

/* "ab01..." as "AB:01:...", the form "openssl x509 -fingerprint -sha256" prints. */
static void colon_upper(const char *hex, char out[96])
{
	for (int i = 0; i < 32; i++) {
		out[3 * i] = (char)toupper((unsigned char)hex[2 * i]);
		out[3 * i + 1] = (char)toupper((unsigned char)hex[2 * i + 1]);
		out[3 * i + 2] = i < 31 ? ':' : '\0';
	}
}

/* The other direction, by URI, by fingerprint (colon form, upper case) and by IP address. */
START_TEST(test_handshake_uri_fingerprint_ip)
{
	static const char *hosts[] = { "127.0.0.1", "::1", "10.99.0.2", "HostB.Test" };
	char fpa[TLS_FINGERPRINT_HEX_LEN], fpb[TLS_FINGERPRINT_HEX_LEN], colon[104], want[80];
	const char *srv_allow[] = { "dns:nobody.test", "uri:vfio-migd://hosta" };
	const char *cli_allow[] = { "uri:vfio-migd://nobody", colon };
	struct tls_config sc = cfg_for("hostb"), cc = cfg_for("hosta");

	file_fingerprint("hosta", fpa);
	file_fingerprint("hostb", fpb);
	memcpy(colon, "sha256:", 7);
	colon_upper(fpb, colon + 7);
	sc.allow = srv_allow;
	cc.allow = cli_allow;
	snprintf(want, sizeof(want), "sha256:%s", fpb);
	for (int i = 0; i < 4; i++) {
		struct peer srv = { .ctx = ctx_ok(&sc) },
			    cli = { .ctx = ctx_ok(&cc), .host = hosts[i] };

		run_pair(&srv, &cli);
		ck_assert_msg(srv.hs == 0 && cli.hs == 0, "%s: server %d (%s), client %d (%s)",
			      hosts[i], srv.hs, srv.err, cli.hs, cli.err);
		ck_assert_str_eq(srv.ident, "uri:vfio-migd://hosta");
		ck_assert_str_eq(cli.ident, want);
		ck_assert_str_eq(srv.fp, fpa);
		ck_assert_str_eq(cli.fp, fpb);
		tls_ctx_unref(srv.ctx);
		tls_ctx_unref(cli.ctx);
	}
}
END_TEST

/*
 * Non-blocking helpers: both ends in this thread.
 */

/* Waits until c's wanted direction is ready (5 s cap). */
static void wait_for(struct tls_conn *a, int ra, struct tls_conn *b, int rb)
{
	struct pollfd p[2];
	int n = 0;

	if (ra == -EAGAIN)
		p[n++] = (struct pollfd){ .fd = tls_conn_fd(a),
					  .events = tls_conn_want(a) == TLS_WANT_WRITE ? POLLOUT
										       : POLLIN };
	if (rb == -EAGAIN)
		p[n++] = (struct pollfd){ .fd = tls_conn_fd(b),
					  .events = tls_conn_want(b) == TLS_WANT_WRITE ? POLLOUT
										       : POLLIN };
	ck_assert_msg(poll(p, (nfds_t)n, 5000) > 0, "stalled");
}

/* Handshakes a (server) and b (client) until neither says -EAGAIN; counts the -EAGAINs. */
static unsigned int nb_handshake(struct tls_conn *a, int *ra, struct tls_conn *b, int *rb)
{
	unsigned int again = 0;

	*ra = *rb = -EAGAIN;
	while (*ra == -EAGAIN || *rb == -EAGAIN) {
		if (*ra == -EAGAIN)
			*ra = tls_conn_handshake(a);
		if (*rb == -EAGAIN)
			*rb = tls_conn_handshake(b);
		again += (*ra == -EAGAIN) + (*rb == -EAGAIN);
		if (*ra == -EAGAIN || *rb == -EAGAIN) {
			ck_assert(*ra != -EAGAIN || tls_conn_want(a) != TLS_WANT_NONE);
			ck_assert(*rb != -EAGAIN || tls_conn_want(b) != TLS_WANT_NONE);
			wait_for(a, *ra, b, *rb);
		}
	}
	return again;
}

/* A non-blocking pair of connections: [0] server (hosta), [1] client (hostb). */
static void nb_pair(struct tls_ctx *sctx, struct tls_ctx *cctx, struct tls_conn *c[2])
{
	int fds[2];

	tcp_pair(&fds[0], &fds[1]);
	set_nonblock(fds[0]);
	set_nonblock(fds[1]);
	ck_assert_int_eq(tls_conn_new(sctx, fds[0], TLS_ROLE_SERVER, NULL, &c[0]), 0);
	ck_assert_int_eq(tls_conn_new(cctx, fds[1], TLS_ROLE_CLIENT, "hosta.test", &c[1]), 0);
}

static void nb_free(struct tls_conn *c[2])
{
	for (int i = 0; i < 2; i++) {
		int fd = c[i] ? tls_conn_fd(c[i]) : -1;

		tls_conn_free(c[i]);
		if (fd >= 0)
			close(fd);
	}
}

struct pump_stats {
	unsigned int partial, again;
};

/* Moves len bytes from w to r in writes of at most chunk, writing until -EAGAIN before
 * reading until -EAGAIN; returns what r received. */
static unsigned char *pump(struct tls_conn *w, struct tls_conn *r, const unsigned char *data,
			   size_t len, size_t chunk, struct pump_stats *st)
{
	unsigned char *got = malloc(len + 1);
	size_t sent = 0, recvd = 0, want;
	ssize_t n = 0;
	int rw, rr;

	ck_assert_ptr_nonnull(got);
	while (recvd < len) {
		for (n = 0; sent < len && n != -EAGAIN; sent += n > 0 ? (size_t)n : 0) {
			want = len - sent < chunk ? len - sent : chunk;
			n = tls_conn_write(w, data + sent, want);
			ck_assert_msg(n > 0 || n == -EAGAIN, "write %zd: %s", n, tls_conn_error(w));
			st->again += n == -EAGAIN;
			st->partial += n > 0 && (size_t)n < want;
		}
		rw = n == -EAGAIN ? -EAGAIN : 0;
		while ((n = tls_conn_read(r, got + recvd, len + 1 - recvd)) > 0)
			recvd += (size_t)n;
		ck_assert_msg(n == -EAGAIN, "read %zd: %s", n, tls_conn_error(r));
		rr = (int)n;
		if (recvd < len)
			wait_for(w, rw, r, rr);
	}
	return got;
}

static void fill(unsigned char *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		p[i] = (unsigned char)seed;
	}
}

START_TEST(test_nonblocking_handshake_and_transfer)
{
	struct tls_ctx *a = ctx_host("hosta"), *b = ctx_host("hostb");
	struct pump_stats st = { 0 };
	struct tls_conn *c[2];
	size_t len = 6u << 20;
	unsigned char *data = malloc(len), *got;
	int ra, rb;

	ck_assert_ptr_nonnull(data);
	fill(data, len, 12345);
	nb_pair(a, b, c);
	ck_assert_uint_gt(nb_handshake(c[0], &ra, c[1], &rb), 0);
	ck_assert_msg(ra == 0 && rb == 0, "%d %s / %d %s", ra, tls_conn_error(c[0]), rb,
		      tls_conn_error(c[1]));
	ck_assert_str_eq(tls_conn_version(c[0]), "TLSv1.3");
	ck_assert_uint_eq(tls_conn_want(c[0]), TLS_WANT_NONE);
	got = pump(c[1], c[0], data, len, 1u << 20, &st);
	ck_assert_int_eq(memcmp(got, data, len), 0);
	ck_assert_uint_gt(st.partial, 0);
	ck_assert_uint_gt(st.again, 0);
	ck_assert_uint_eq(tls_conn_pending(c[0]), 0);
	free(got);
	nb_free(c);
	free(data);
	tls_ctx_unref(a);
	tls_ctx_unref(b);
}
END_TEST

/* Blocking worker threads: a writer with 1 MiB writes and a reader, then close_notify. */
struct writer {
	struct tls_conn *c;
	const unsigned char *data;
	size_t len;
	int rc;
	unsigned int calls;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;
	ssize_t n;

	while (off < w->len) {
		size_t chunk = w->len - off < (1u << 20) ? w->len - off : (1u << 20);

		n = tls_conn_write(w->c, w->data + off, chunk);
		w->calls++;
		if (n < 0) {
			w->rc = (int)n;
			return NULL;
		}
		off += (size_t)n;
	}
	w->rc = tls_conn_shutdown(w->c);
	return NULL;
}

/* Completes a blocking handshake between server s (thread) and client c (here). */
static void *hs_thread(void *arg)
{
	return (void *)(intptr_t)tls_conn_handshake(arg);
}

static void blocking_pair(struct tls_ctx *sctx, struct tls_ctx *cctx, struct tls_conn *c[2])
{
	pthread_t t;
	void *rs;
	int fds[2];

	tcp_pair(&fds[0], &fds[1]);
	ck_assert_int_eq(tls_conn_new(sctx, fds[0], TLS_ROLE_SERVER, NULL, &c[0]), 0);
	ck_assert_int_eq(tls_conn_new(cctx, fds[1], TLS_ROLE_CLIENT, NULL, &c[1]), 0);
	pthread_create(&t, NULL, hs_thread, c[0]);
	ck_assert_int_eq(tls_conn_handshake(c[1]), 0);
	pthread_join(t, &rs);
	ck_assert_int_eq((intptr_t)rs, 0);
}

/* Reads everything until the result is not > 0; returns that result. */
static ssize_t read_all(struct tls_conn *c, unsigned char *buf, size_t cap, size_t *got)
{
	ssize_t n;

	*got = 0;
	while ((n = tls_conn_read(c, buf + *got, cap - *got < 65536 ? cap - *got : 65536)) > 0)
		*got += (size_t)n;
	return n;
}

START_TEST(test_blocking_transfer_close_notify)
{
	struct tls_ctx *a = ctx_host("hosta"), *b = ctx_host("hostb");
	size_t len = 5u << 20, got;
	unsigned char *data = malloc(len), *buf = malloc(len + 65536);
	struct tls_conn *c[2];
	struct writer w;
	pthread_t t;

	fill(data, len, 777);
	blocking_pair(a, b, c);
	w = (struct writer){ .c = c[0], .data = data, .len = len };
	pthread_create(&t, NULL, writer_run, &w);
	ck_assert_int_eq(read_all(c[1], buf, len + 65536, &got), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_uint_eq(got, len);
	ck_assert_int_eq(memcmp(buf, data, len), 0);
	/* Partial writes: more calls than 1 MiB chunks. */
	ck_assert_uint_gt(w.calls, 5);
	/* 0 again, and close_notify is not a failure. */
	ck_assert_int_eq(tls_conn_read(c[1], buf, 16), 0);
	ck_assert_str_eq(tls_conn_error(c[1]), "");
	nb_free(c);
	free(data);
	free(buf);
	tls_ctx_unref(a);
	tls_ctx_unref(b);
}
END_TEST

/* close_notify ends one direction only; writes after our own are refused. */
START_TEST(test_half_close)
{
	struct tls_ctx *a = ctx_host("hosta"), *b = ctx_host("hostb");
	struct tls_conn *c[2];
	char buf[16];

	blocking_pair(a, b, c);
	ck_assert_int_eq(tls_conn_write(c[1], "req", 3), 3);
	ck_assert_int_eq(tls_conn_shutdown(c[1]), 0);
	ck_assert_int_eq(tls_conn_shutdown(c[1]), 0);
	ck_assert_int_eq(tls_conn_write(c[1], "x", 1), -ENOTCONN);
	ck_assert_int_eq(tls_conn_read(c[0], buf, sizeof(buf)), 3);
	ck_assert_int_eq(tls_conn_read(c[0], buf, sizeof(buf)), 0);
	ck_assert_int_eq(tls_conn_write(c[0], "reply", 5), 5);
	ck_assert_int_eq(tls_conn_shutdown(c[0]), 0);
	ck_assert_int_eq(tls_conn_read(c[1], buf, sizeof(buf)), 5);
	ck_assert_int_eq(tls_conn_read(c[1], buf, sizeof(buf)), 0);
	nb_free(c);
	tls_ctx_unref(a);
	tls_ctx_unref(b);
}
END_TEST

/* A bare transport EOF after data is -ECONNRESET, never 0, and stays so. */
START_TEST(test_bare_close_is_reset)
{
	struct tls_ctx *a = ctx_host("hosta"), *b = ctx_host("hostb");
	struct tls_conn *c[2];
	char buf[16];
	int fd;

	blocking_pair(a, b, c);
	ck_assert_int_eq(tls_conn_write(c[0], "data", 4), 4);
	fd = tls_conn_fd(c[0]);
	tls_conn_free(c[0]);
	c[0] = NULL;
	close(fd);
	ck_assert_int_eq(tls_conn_read(c[1], buf, sizeof(buf)), 4);
	ck_assert_int_eq(tls_conn_read(c[1], buf, sizeof(buf)), -ECONNRESET);
	ck_assert_has(tls_conn_error(c[1]), "without close_notify");
	ck_assert_int_eq(tls_conn_read(c[1], buf, sizeof(buf)), -ECONNRESET);
	ck_assert_int_eq(tls_conn_write(c[1], "x", 1), -ECONNRESET);
	nb_free(c);
	tls_ctx_unref(a);
	tls_ctx_unref(b);
}
END_TEST

START_TEST(test_eof_during_handshake)
{
	struct tls_ctx *a = ctx_host("hosta");
	struct tls_conn *c;
	int s, k;

	tcp_pair(&s, &k);
	close(k);
	ck_assert_int_eq(tls_conn_new(a, s, TLS_ROLE_SERVER, NULL, &c), 0);
	ck_assert_int_eq(tls_conn_handshake(c), -ECONNRESET);
	ck_assert_has(tls_conn_error(c), "during the handshake");
	ck_assert_int_eq(tls_conn_handshake(c), -ECONNRESET);
	tls_conn_free(c);
	close(s);
	tls_ctx_unref(a);
}
END_TEST

/*
 * Authentication failures. Each row: who presents what to whom, and what both sides see.
 */
struct auth_case {
	const char *name;
	bool raw;	    /* the presenting side is raw OpenSSL */
	bool presenter_srv; /* the bad certificate is the server's */
	const char *cert;   /* what the presenting side uses (PKI stem, NULL = none) */
	const char *host;   /* client's expect_host */
	bool checker_crl;   /* the checking side loads crl.pem */
	int checker_hs;	    /* handshake result on the checking side */
	const char *checker_text;
	int presenter_rc; /* ours: handshake or, for a client, its first read */
};

static const struct auth_case auth_cases[] = {
	{ "no client cert", true, false, NULL, NULL, false, -EACCES,
	  "peer did not return a certificate", 0 },
	{ "client from other CA", true, false, "other", NULL, false, -EACCES,
	  "unable to get local issuer certificate", 0 },
	{ "server from other CA", true, true, "other", "hosta.test", false, -EACCES,
	  "unable to get local issuer certificate", 0 },
	{ "expired client", true, false, "expired", NULL, false, -EACCES,
	  "certificate has expired (depth 0: CN=expired", 0 },
	{ "expired server", true, true, "expired", NULL, false, -EACCES, "certificate has expired",
	  0 },
	{ "client not on allow-list", false, false, "intruder", NULL, false, -EACCES,
	  "(dns:intruder.test uri:vfio-migd://intruder sha256:", -EACCES },
	{ "server not on allow-list", false, true, "intruder", NULL, false, -EACCES,
	  "matches no allow-list entry", -EACCES },
	{ "wrong server name", false, true, "wrong", "hostb.test", false, -EACCES,
	  "hostname mismatch (depth 0: CN=wrong", -EACCES },
	{ "wrong server IP", false, true, "hostb", "10.99.0.9", false, -EACCES,
	  "IP address mismatch", -EACCES },
	{ "revoked client", false, false, "revoked", NULL, true, -EACCES, "certificate revoked",
	  -EACCES },
	{ "revoked server", false, true, "revoked", NULL, true, -EACCES, "certificate revoked",
	  -EACCES },
};

static const char *const allow_wide[] = { "dns:hosta.test", "dns:hostb.test", "dns:wrong.test" };

START_TEST(test_auth_failures)
{
	const struct auth_case *t = &auth_cases[_i];
	struct tls_config cc = cfg_for(t->presenter_srv ? "hosta" : "hostb");
	struct peer checker = { 0 }, presenter = { 0 };
	struct raw raw = { .server = t->presenter_srv, .cert = t->cert };

	cc.allow = allow_wide;
	cc.n_allow = 3;
	cc.crl_file = t->checker_crl ? pki("crl.pem") : NULL;
	checker.ctx = ctx_ok(&cc);
	checker.host = t->presenter_srv ? t->host : NULL;
	if (t->raw) {
		run_raw(&checker, &raw);
		ck_assert_int_le(raw.rc, 0);
	} else {
		presenter.ctx = ctx_host(t->cert);
		if (t->presenter_srv) {
			run_pair(&presenter, &checker);
		} else {
			run_pair(&checker, &presenter);
		}
		/* A rejected client learns it from its first read (TLS 1.3). */
		ck_assert_msg((t->presenter_srv ? presenter.hs : presenter.io) == t->presenter_rc,
			      "%s: presenter %d/%d (%s)", t->name, presenter.hs, presenter.io,
			      presenter.err);
		ck_assert_has(presenter.err, "peer rejected our certificate");
		tls_ctx_unref(presenter.ctx);
	}
	ck_assert_msg(checker.hs == t->checker_hs, "%s: checker %d (%s)", t->name, checker.hs,
		      checker.err);
	note("%s:\n  checker:   %d %s\n  presenter: %d/%d %s%s\n", t->name, checker.hs, checker.err,
	     presenter.hs, presenter.io, presenter.err, raw.err);
	ck_assert_has(checker.err, t->checker_text);
	ck_assert_has(checker.err, "certificate");
	ck_assert_uint_eq(strlen(checker.ident), 0);
	tls_ctx_unref(checker.ctx);
}
END_TEST

START_TEST(test_plaintext_client)
{
	static const char junk[] = "hello, this is not TLS\r\n\r\n";
	struct peer srv = { .ctx = ctx_host("hosta"), .role = TLS_ROLE_SERVER };
	pthread_t t;
	int k;

	tcp_pair(&srv.fd, &k);
	pthread_create(&t, NULL, peer_run, &srv);
	ck_assert_int_eq(write(k, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
	linger_close(k);
	pthread_join(t, NULL);
	note("plaintext client: %d %s\n", srv.hs, srv.err);
	ck_assert_int_eq(srv.hs, -EPROTO);
	ck_assert_has(srv.err, "not speaking TLS");
	tls_ctx_unref(srv.ctx);
}
END_TEST

START_TEST(test_tls12_peers_refused)
{
	for (int server = 0; server < 2; server++) {
		struct peer ours = { .ctx = ctx_host("hosta") };
		struct raw raw = { .server = server,
				   .max_version = TLS1_2_VERSION,
				   .cert = "hostb" };

		run_raw(&ours, &raw);
		note("TLS 1.2 %s: %d %s\n", server ? "server" : "client", ours.hs, ours.err);
		ck_assert_msg(ours.hs == -EPROTO, "%d (%s)", ours.hs, ours.err);
		ck_assert_has(ours.err, server ? "peer refused TLS 1.3" : "does not offer TLS 1.3");
		ck_assert_int_le(raw.rc, 0);
		tls_ctx_unref(ours.ctx);
	}
}
END_TEST

/*
 * Contexts.
 */
struct ctx_case {
	const char *ca, *crl, *cert, *key;
	int expect;
	const char *text;
};

static const struct ctx_case ctx_cases[] = {
	{ "ca.crt", NULL, "hosta.crt", "hostb.key", -EINVAL, "does not match cert_file" },
	{ "ca.crt", NULL, "expired.crt", "expired.key", -EKEYEXPIRED,
	  "certificate has expired (depth 0: CN=expired, issued by CN=vfio-migd test CA, valid "
	  "2020-01-01T00:00:00Z to 2020-02-01T00:00:00Z); renew it" },
	{ "ca.crt", NULL, "future.crt", "future.key", -EKEYEXPIRED, "not yet valid" },
	{ "ca.crt", NULL, "nope.crt", "hosta.key", -ENOENT, "nope.crt: No such file" },
	{ "ca.crt", NULL, "hosta.crt", "nope.key", -ENOENT, "key_file" },
	{ "nope.crt", NULL, "hosta.crt", "hosta.key", -ENOENT, "ca_file" },
	{ "ca.crt", "nope.pem", "hosta.crt", "hosta.key", -ENOENT, "crl_file" },
	{ "ca.crt", NULL, "other.crt", "other.key", -EINVAL, "does not verify against ca_file" },
	{ "ca.crt", "crl.pem", "revoked.crt", "revoked.key", -EINVAL, "certificate revoked" },
	{ "ca.crt", NULL, "serveronly.crt", "serveronly.key", -EINVAL,
	  "serverAuth and clientAuth" },
	{ "ca.crt", NULL, "hosta.crt", "hosta.crt", -EINVAL,
	  "no valid unencrypted PEM private key" },
	{ "ca.crt", NULL, "hosta.key", "hosta.key", -EINVAL, "no valid PEM certificate" },
	{ "ca.key", NULL, "hosta.crt", "hosta.key", -EINVAL, "ca_file" },
	{ "ca.crt", "ca.crt", "hosta.crt", "hosta.key", -EINVAL, "no valid PEM CRL" },
	{ "ca.crt", "crl.pem", "other.crt", "other.key", -EINVAL, "other.crt" },
	{ "other-ca.crt", "crl.pem", "other.crt", "other.key", -EINVAL,
	  "unable to get certificate CRL" },
	{ ".", NULL, "hosta.crt", "hosta.key", -EINVAL, "not a regular file" },
};

START_TEST(test_ctx_validation)
{
	const struct ctx_case *t = &ctx_cases[_i];
	struct tls_config c = {
		.ca_file = pki(t->ca),
		.crl_file = t->crl ? pki(t->crl) : NULL,
		.cert_file = pki(t->cert),
		.key_file = pki(t->key),
		.allow = allow_ab,
		.n_allow = 2,
	};
	struct tls_ctx *ctx = (struct tls_ctx *)&c;
	char err[512] = "";

	ck_assert_int_eq(tls_ctx_new(&c, &ctx, err, sizeof(err)), t->expect);
	note("ctx %d: %d %s\n", _i, t->expect, err);
	ck_assert_ptr_eq(ctx, (struct tls_ctx *)&c); /* not written on failure */
	ck_assert_has(err, t->text);
}
END_TEST

static const char *const bad_allow[] = {
	"",
	"dns:",
	"dns:-a.test",
	"dns:a-.test",
	"dns:a..test",
	"dns:a_b.test",
	"dns:*.test",
	"dns:a.test.",
	"dns:a b",
	"hosta.test",
	"host:hosta.test",
	"DNS:hosta.test",
	"uri:",
	"uri:noscheme",
	"uri:vfio-migd://a b",
	"uri:1x:y",
	"uri:x:",
	"sha256:",
	"sha256:abc",
	"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
	"sha256:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:"
	"67:"
	"89:ab:cd.ef",
};

START_TEST(test_allow_list_malformed)
{
	const char *list[] = { "dns:hosta.test", bad_allow[_i] };
	struct tls_config c = cfg_for("hosta");
	struct tls_ctx *ctx = NULL;
	char err[512] = "";

	c.allow = list;
	ck_assert_int_eq(tls_ctx_new(&c, &ctx, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(ctx);
	note("allow %d: %s\n", _i, err);
	ck_assert_has(err, "allow-list entry 2");
}
END_TEST

START_TEST(test_ctx_misc)
{
	const char *good[] = {
		"dns:A-1.Example.TEST", "uri:spiffe://x/y?z=1",
		"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:"
		"89:ab:cd:ef:01:23:45:67:89:ab:cd:ef"
	};
	struct tls_config c = cfg_for("hosta");
	struct tls_ctx *ctx = NULL;
	char err[512] = "";
	int64_t now = (int64_t)time(NULL), na;

	c.n_allow = 0;
	ck_assert_int_eq(tls_ctx_new(&c, &ctx, err, sizeof(err)), -EINVAL);
	ck_assert_has(err, "allow-list: empty");
	c.allow = good;
	c.n_allow = 4;
	c.ciphersuites = "TLS_BOGUS";
	ck_assert_int_eq(tls_ctx_new(&c, &ctx, err, sizeof(err)), -EINVAL);
	ck_assert_has(err, "ciphersuites");
	c.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
	c.crl_file = pki("crl.pem");
	ctx = ctx_ok(&c);
	na = tls_ctx_cert_not_after(ctx);
	ck_assert_int_gt(na, now + 3640LL * 86400);
	ck_assert_int_lt(na, now + 3660LL * 86400);
	ck_assert_ptr_eq(tls_ctx_ref(ctx), ctx);
	tls_ctx_unref(ctx);
	tls_ctx_unref(ctx);
	tls_ctx_unref(NULL);
}
END_TEST

START_TEST(test_conn_arguments)
{
	struct tls_ctx *a = ctx_host("hosta");
	struct tls_conn *c = (struct tls_conn *)a;
	char buf[8], fp[TLS_FINGERPRINT_HEX_LEN];
	int s, k;

	tcp_pair(&s, &k);
	ck_assert_int_eq(tls_conn_new(a, -1, TLS_ROLE_SERVER, NULL, &c), -EINVAL);
	ck_assert_int_eq(tls_conn_new(a, s, TLS_ROLE_SERVER, "hosta.test", &c), -EINVAL);
	ck_assert_int_eq(tls_conn_new(a, s, 0, NULL, &c), -EINVAL);
	ck_assert_int_eq(tls_conn_new(a, s, TLS_ROLE_CLIENT, "bad name", &c), -EINVAL);
	ck_assert_int_eq(tls_conn_new(a, s, TLS_ROLE_CLIENT, "[::1]", &c), -EINVAL);
	ck_assert_ptr_eq(c, (struct tls_conn *)a);
	ck_assert_int_eq(tls_conn_new(a, s, TLS_ROLE_CLIENT, "hosta.test", &c), 0);
	ck_assert_int_eq(tls_conn_fd(c), s);
	ck_assert_int_eq(tls_conn_read(c, buf, sizeof(buf)), -ENOTCONN);
	ck_assert_int_eq(tls_conn_write(c, buf, sizeof(buf)), -ENOTCONN);
	ck_assert_int_eq(tls_conn_shutdown(c), -ENOTCONN);
	ck_assert_int_eq(tls_conn_peer_identity(c, buf, sizeof(buf)), -ENOTCONN);
	tls_conn_peer_fingerprint(c, fp);
	ck_assert_str_eq(fp, "");
	ck_assert_str_eq(tls_conn_version(c), "");
	ck_assert_str_eq(tls_conn_cipher(c), "");
	ck_assert(!tls_conn_ktls_send(c));
	tls_conn_free(c);
	tls_conn_free(NULL);
	close(s);
	close(k);
	tls_ctx_unref(a);
}
END_TEST

/* A reload swaps contexts: running connections keep theirs, new ones use the new one. */
START_TEST(test_reload_semantics)
{
	static const char *const only_nobody[] = { "dns:nobody.test" };
	struct tls_config sc = cfg_for("hosta");
	struct tls_ctx *old = ctx_ok(&sc), *b = ctx_host("hostb"), *fresh;
	struct pump_stats st = { 0 };
	struct tls_conn *c[2], *d[2];
	unsigned char msg[] = "still here", *got;
	char buf[IDENT_MAX];
	int ra, rb;

	nb_pair(old, b, c);
	nb_handshake(c[0], &ra, c[1], &rb);
	ck_assert(ra == 0 && rb == 0);
	sc.allow = only_nobody;
	sc.n_allow = 1;
	fresh = ctx_ok(&sc);
	tls_ctx_unref(old); /* the owner's reference: the connection holds the last one */
	got = pump(c[1], c[0], msg, sizeof(msg), 64, &st);
	ck_assert_int_eq(memcmp(got, msg, sizeof(msg)), 0);
	free(got);
	ck_assert_int_eq(tls_conn_peer_identity(c[0], buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "dns:hostb.test");
	ck_assert_int_eq(tls_conn_peer_identity(c[0], buf, 4), -ENOBUFS);

	nb_pair(fresh, b, d);
	nb_handshake(d[0], &ra, d[1], &rb);
	ck_assert_int_eq(ra, -EACCES);
	ck_assert_has(tls_conn_error(d[0]), "matches no allow-list entry");
	nb_free(d);
	nb_free(c); /* frees the old context (ASan would see a leak or a double free) */
	tls_ctx_unref(fresh);
	tls_ctx_unref(b);
}
END_TEST

START_TEST(test_ktls_flag)
{
	for (int on = 0; on < 2; on++) {
		struct tls_config sc = cfg_for("hosta"), cc = cfg_for("hostb");
		struct pump_stats st = { 0 };
		struct tls_ctx *a, *b;
		struct tls_conn *c[2];
		size_t len = 256 * 1024;
		unsigned char *data = malloc(len), *got;
		int ra, rb;

		sc.ktls = cc.ktls = on;
		a = ctx_ok(&sc);
		b = ctx_ok(&cc);
		fill(data, len, 99);
		nb_pair(a, b, c);
		nb_handshake(c[0], &ra, c[1], &rb);
		ck_assert(ra == 0 && rb == 0);
		got = pump(c[0], c[1], data, len, 65536, &st);
		ck_assert_int_eq(memcmp(got, data, len), 0);
		fprintf(stderr, "test_tls: ktls=%s: send %s, recv %s (%s)\n", on ? "on" : "off",
			tls_conn_ktls_send(c[0]) ? "kernel" : "userspace",
			tls_conn_ktls_recv(c[0]) ? "kernel" : "userspace", tls_conn_cipher(c[0]));
		if (!on)
			ck_assert(!tls_conn_ktls_send(c[0]) && !tls_conn_ktls_recv(c[0]));
		free(got);
		free(data);
		nb_free(c);
		tls_ctx_unref(a);
		tls_ctx_unref(b);
	}
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_handshake_identities);
	tcase_add_test(tc, test_handshake_uri_fingerprint_ip);
	tcase_add_test(tc, test_nonblocking_handshake_and_transfer);
	tcase_add_test(tc, test_blocking_transfer_close_notify);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_bare_close_is_reset);
	tcase_add_test(tc, test_eof_during_handshake);
	tcase_add_loop_test(tc, test_auth_failures, 0, sizeof(auth_cases) / sizeof(auth_cases[0]));
	tcase_add_test(tc, test_plaintext_client);
	tcase_add_test(tc, test_tls12_peers_refused);
	tcase_add_loop_test(tc, test_ctx_validation, 0, sizeof(ctx_cases) / sizeof(ctx_cases[0]));
	tcase_add_loop_test(tc, test_allow_list_malformed, 0,
			    sizeof(bad_allow) / sizeof(bad_allow[0]));
	tcase_add_test(tc, test_ctx_misc);
	tcase_add_test(tc, test_conn_arguments);
	tcase_add_test(tc, test_reload_semantics);
	tcase_add_test(tc, test_ktls_flag);
	suite_add_tcase(s, tc);
	return s;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Runs the PKI script into a fresh temporary directory. */
static int make_pki(void)
{
	const char *src = getenv("VFIO_MIGD_SRCDIR");
	char cmd[2 * PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	if (!src) {
		fprintf(stderr, "test_tls: VFIO_MIGD_SRCDIR is not set (run through meson test)\n");
		return -1;
	}
	snprintf(pki_dir, sizeof(pki_dir), "%s/test_tls.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(pki_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s/tests/pki/make-pki.sh' '%s' >/dev/null", src, pki_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (make_pki() < 0) {
		fprintf(stderr, "test_tls: could not make the test PKI\n");
		return 1;
	}
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(pki_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
