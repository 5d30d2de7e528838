/*
 * test_tls_util.c - the harness of the tls/ unit tests (see test_tls_util.h): the test PKI,
 * loopback pairs, blocking and raw OpenSSL peers, non-blocking pair helpers, and main().
 *
 * The PKI directory is made once in main(), before Check forks each test.
 */
#include <check.h>
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
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "test_tls_util.h"

static char pki_dir[1024];

const char *pki2(const char *stem, const char *ext)
{
	static char ring[16][1200];
	static unsigned int next;
	char *p = ring[next++ % 16];

	snprintf(p, sizeof(ring[0]), "%s/%s%s", pki_dir, stem, ext);
	return p;
}

const char *const allow_ab[2] = { "dns:hosta.test", "dns:hostb.test" };

struct tls_config cfg_for(const char *host)
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

struct tls_ctx *ctx_ok(const struct tls_config *cfg)
{
	struct tls_ctx *ctx = NULL;
	char err[512] = "";

	ck_assert_msg(tls_ctx_new(cfg, &ctx, err, sizeof(err)) == 0, "tls_ctx_new: %s", err);
	return ctx;
}

struct tls_ctx *ctx_host(const char *host)
{
	struct tls_config c = cfg_for(host);

	return ctx_ok(&c);
}

/* A connected loopback TCP pair; 10 s timeouts keep a broken test from hanging. */
void tcp_pair(int *srv, int *cli)
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

void linger_close(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	shutdown(fd, SHUT_WR);
	while (poll(&p, 1, 5000) == 1 && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

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

void *peer_run(void *arg)
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

void *raw_run(void *arg)
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
void run_pair(struct peer *srv, struct peer *cli)
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
void run_raw(struct peer *ours, struct raw *raw)
{
	pthread_t t;

	ours->role = raw->server ? TLS_ROLE_CLIENT : TLS_ROLE_SERVER;
	tcp_pair(raw->server ? &raw->fd : &ours->fd, raw->server ? &ours->fd : &raw->fd);
	ck_assert_int_eq(pthread_create(&t, NULL, peer_run, ours), 0);
	raw_run(raw);
	pthread_join(t, NULL);
}

/* With TEST_TLS_VERBOSE set, prints the texts the tests check (to review the messages). */

void note(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("TEST_TLS_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

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
unsigned int nb_handshake(struct tls_conn *a, int *ra, struct tls_conn *b, int *rb)
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
void nb_pair(struct tls_ctx *sctx, struct tls_ctx *cctx, struct tls_conn *c[2])
{
	int fds[2];

	tcp_pair(&fds[0], &fds[1]);
	set_nonblock(fds[0]);
	set_nonblock(fds[1]);
	ck_assert_int_eq(tls_conn_new(sctx, fds[0], TLS_ROLE_SERVER, NULL, &c[0]), 0);
	ck_assert_int_eq(tls_conn_new(cctx, fds[1], TLS_ROLE_CLIENT, "hosta.test", &c[1]), 0);
}

void nb_free(struct tls_conn *c[2])
{
	for (int i = 0; i < 2; i++) {
		int fd = c[i] ? tls_conn_fd(c[i]) : -1;

		tls_conn_free(c[i]);
		if (fd >= 0)
			close(fd);
	}
}

/* Moves len bytes from w to r in writes of at most chunk, writing until -EAGAIN before
 * reading until -EAGAIN; returns what r received. */
unsigned char *pump(struct tls_conn *w, struct tls_conn *r, const unsigned char *data, size_t len,
		    size_t chunk, struct pump_stats *st)
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

int run_with_pki(Suite *(*make)(void))
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (make_pki() < 0) {
		fprintf(stderr, "test_tls: could not make the test PKI\n");
		return 1;
	}
	sr = srunner_create(make());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(pki_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
