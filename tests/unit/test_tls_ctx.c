/*
 * test_tls_ctx.c - tls/ contexts: what tls_ctx_new() validates in the files and the
 * allow-list, with the message for each refusal; ciphersuites, the certificate's expiry and
 * references; and reload semantics (a new context for new connections while running ones keep
 * theirs).
 *
 * main() makes the test PKI once.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_tls_util.h"

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
		("sha256:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:"
		 "89:ab:cd:ef:01:23:45:67:89:ab:cd:ef")
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
	/* hosta's certificate: its first SAN is DNS hosta.test */
	ck_assert_str_eq(tls_ctx_cert_identity(ctx), "dns:hosta.test");
	ck_assert_ptr_eq(tls_ctx_ref(ctx), ctx);
	tls_ctx_unref(ctx);
	tls_ctx_unref(ctx);
	tls_ctx_unref(NULL);
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

static Suite *tls_ctx_suite(void)
{
	Suite *s = suite_create("tls_ctx");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_ctx_validation, 0, sizeof(ctx_cases) / sizeof(ctx_cases[0]));
	tcase_add_loop_test(tc, test_allow_list_malformed, 0,
			    sizeof(bad_allow) / sizeof(bad_allow[0]));
	tcase_add_test(tc, test_ctx_misc);
	tcase_add_test(tc, test_reload_semantics);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_with_pki(tls_ctx_suite);
}
