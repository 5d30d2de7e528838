/*
 * test_tls_conn.c - tls/ connections that work: handshakes in both roles over blocking and
 * non-blocking sockets, the identities and fingerprints each side sees (by DNS name, URI,
 * fingerprint and IP address), bulk data with partial writes, close_notify versus a bare EOF,
 * half-close, an EOF during the handshake, the arguments tls_conn_new() refuses, and the kTLS
 * flag.
 *
 * Blocking pairs run the accepting side in a thread; non-blocking pairs run both sides in one
 * poll loop (test_tls_util.h). main() makes the test PKI once.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "test_tls_util.h"

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

static Suite *tls_conn_suite(void)
{
	Suite *s = suite_create("tls_conn");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_handshake_identities);
	tcase_add_test(tc, test_handshake_uri_fingerprint_ip);
	tcase_add_test(tc, test_nonblocking_handshake_and_transfer);
	tcase_add_test(tc, test_blocking_transfer_close_notify);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_bare_close_is_reset);
	tcase_add_test(tc, test_eof_during_handshake);
	tcase_add_test(tc, test_conn_arguments);
	tcase_add_test(tc, test_ktls_flag);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_with_pki(tls_conn_suite);
}
