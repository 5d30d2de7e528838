/*
 * test_tls_auth.c - the peers tls/ refuses: every way peer authentication can fail (no
 * certificate, another CA, expired, revoked, not on the allow-list, wrong name or IP), a
 * client that does not speak TLS, and peers that speak only TLS 1.2; what the checking and the
 * presenting side each see.
 *
 * Raw OpenSSL (test_tls_util.h) plays the peers tls/ refuses to be. main() makes the test PKI
 * once.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "test_tls_util.h"

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

static Suite *tls_auth_suite(void)
{
	Suite *s = suite_create("tls_auth");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_auth_failures, 0, sizeof(auth_cases) / sizeof(auth_cases[0]));
	tcase_add_test(tc, test_plaintext_client);
	tcase_add_test(tc, test_tls12_peers_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_with_pki(tls_auth_suite);
}
