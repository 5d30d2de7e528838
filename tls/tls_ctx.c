/*
 * tls_ctx.c - struct tls_ctx: one validated set of TLS credentials and policy.
 *
 * tls_ctx_new() loads the CA, the CRL, our certificate chain and key and the allow-list, checks
 * them against each other and builds the one SSL_CTX that connections of both roles are made
 * from. Nothing is half-applied: any failure frees everything, so a reload that fails leaves the
 * caller with its last known good context. Afterwards the context is immutable (OpenSSL allows
 * SSL_new() on a shared SSL_CTX from any thread) and lives until its last reference is dropped:
 * the owner's and one per connection.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

struct tls_ctx {
	atomic_uint refs;
	SSL_CTX *ssl;
	struct tls_allow *allow; /* parsed cfg->allow */
	int64_t not_after;	 /* our certificate's notAfter, seconds since the epoch */
	char identity[256];	 /* how a peer's allow-list names us (tls_ctx_cert_identity()) */
};

/* Protocol policy, the same for every context: see tls.h. */
static int ctx_policy(SSL_CTX *s, const struct tls_config *cfg, char *err, size_t errlen)
{
	char reason[128];

	if (!SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) || !SSL_CTX_set_num_tickets(s, 0))
		return -ENOMEM;
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				       (cfg->ktls ? SSL_OP_ENABLE_KTLS : 0));
	/* Deliberately not SSL_OP_IGNORE_UNEXPECTED_EOF: a bare EOF must stay distinguishable
	 * from close_notify (tls_conn_read() reports it as -ECONNRESET). */
	SSL_CTX_clear_options(s, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* FAIL_IF_NO_PEER_CERT only affects the server side: the client always gets one. */
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(s, tls_conn_verify_cb, NULL);
	if (cfg->ciphersuites && !SSL_CTX_set_ciphersuites(s, cfg->ciphersuites)) {
		tls_err_pop(reason, sizeof(reason));
		tls_err_set(err, errlen, "ciphersuites \"%s\": %s (TLS 1.3 suites, e.g. %s)",
			    cfg->ciphersuites, reason, "TLS_AES_128_GCM_SHA256");
		return -EINVAL;
	}
	return 0;
}

/* The CA certificates are the only trust anchors (no system store); the CRLs, if any, are
 * checked for every peer's leaf certificate. */
static int ctx_load_trust(SSL_CTX *s, const struct tls_config *cfg, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(s);
	STACK_OF(X509_CRL) *crls = NULL;
	STACK_OF(X509) *cas = NULL;
	int r;

	r = tls_pem_certs("ca_file", cfg->ca_file, &cas, err, errlen);
	if (r < 0)
		return r;
	for (int i = 0; i < sk_X509_num(cas) && r == 0; i++)
		r = X509_STORE_add_cert(store, sk_X509_value(cas, i)) ? 0 : -ENOMEM;
	sk_X509_pop_free(cas, X509_free);
	if (r < 0 || !cfg->crl_file)
		return r;
	r = tls_pem_crls("crl_file", cfg->crl_file, &crls, err, errlen);
	if (r < 0)
		return r;
	for (int i = 0; i < sk_X509_CRL_num(crls) && r == 0; i++)
		r = X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i)) ? 0 : -ENOMEM;
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	/* Sessions inherit the store's flags: this covers peers and our own self-check. */
	if (r == 0 && !X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK))
		r = -ENOMEM;
	return r;
}

/* Our certificate (first in cert_file), its intermediates (the rest) and its key. On success
 * *chain holds the file's certificates for the self-check. */
static int ctx_load_identity(SSL_CTX *s, const struct tls_config *cfg, STACK_OF(X509) * *chain,
			     char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	char reason[128];
	int r;

	r = tls_pem_certs("cert_file", cfg->cert_file, chain, err, errlen);
	if (r < 0)
		return r;
	if (!SSL_CTX_use_certificate(s, sk_X509_value(*chain, 0)))
		goto err_ssl;
	for (int i = 1; i < sk_X509_num(*chain); i++)
		if (!SSL_CTX_add1_chain_cert(s, sk_X509_value(*chain, i)))
			goto err_ssl;
	r = tls_pem_key("key_file", cfg->key_file, &key, err, errlen);
	if (r < 0)
		goto err_chain;
	if (!SSL_CTX_use_PrivateKey(s, key) || !SSL_CTX_check_private_key(s)) {
		tls_err_pop(reason, sizeof(reason));
		tls_err_set(err, errlen, "key_file %s does not match cert_file %s (%s)",
			    cfg->key_file, cfg->cert_file, reason);
		r = -EINVAL;
	}
	EVP_PKEY_free(key);
	if (r < 0)
		goto err_chain;
	return 0;

err_ssl:
	tls_err_pop(reason, sizeof(reason));
	tls_err_set(err, errlen, "cert_file %s: %s", cfg->cert_file, reason);
	r = -EINVAL;
err_chain:
	sk_X509_pop_free(*chain, X509_free);
	*chain = NULL;
	return r;
}

/* Verifies our own chain as a peer would, for one purpose (X509_PURPOSE_SSL_*). */
static int ctx_verify_own(SSL_CTX *s, STACK_OF(X509) * chain, int purpose,
			  const struct tls_config *cfg, char *err, size_t errlen)
{
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	char why[384];
	int r = -ENOMEM, e;

	if (!sctx ||
	    !X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(s), sk_X509_value(chain, 0), chain) ||
	    !X509_STORE_CTX_set_purpose(sctx, purpose))
		goto out;
	r = 0;
	if (X509_verify_cert(sctx) > 0)
		goto out;
	e = X509_STORE_CTX_get_error(sctx);
	tls_err_verify(sctx, why, sizeof(why));
	r = tls_err_verify_is_time(e) ? -EKEYEXPIRED : -EINVAL;
	if (r == -EKEYEXPIRED)
		tls_err_set(err, errlen, "cert_file %s: %s; %s", cfg->cert_file, why,
			    e == X509_V_ERR_CERT_NOT_YET_VALID || e == X509_V_ERR_CRL_NOT_YET_VALID
				    ? "check the system clock"
				    : "renew it");
	else if (e == X509_V_ERR_INVALID_PURPOSE)
		tls_err_set(err, errlen,
			    "cert_file %s: %s; a daemon both accepts and makes connections, so "
			    "extendedKeyUsage must allow serverAuth and clientAuth",
			    cfg->cert_file, why);
	else
		tls_err_set(err, errlen, "cert_file %s does not verify against ca_file %s%s%s: %s",
			    cfg->cert_file, cfg->ca_file, cfg->crl_file ? " and crl_file " : "",
			    cfg->crl_file ? cfg->crl_file : "", why);
out:
	X509_STORE_CTX_free(sctx);
	ERR_clear_error();
	return r;
}

static int64_t ctx_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* Our certificate's first DNS/URI name as an allow-list entry, else its fingerprint. */
static void ctx_identity(struct tls_ctx *ctx, X509 *leaf)
{
	char fp[TLS_FINGERPRINT_HEX_LEN], all[1024];
	size_t n;

	tls_allow_fingerprint(leaf, fp);
	tls_allow_describe(leaf, fp, all, sizeof(all));
	n = strcspn(all, " ");
	snprintf(ctx->identity, sizeof(ctx->identity), "%.*s", (int)n, all);
}

static int ctx_build(struct tls_ctx *ctx, const struct tls_config *cfg, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = NULL;
	int r;

	r = ctx_policy(ctx->ssl, cfg, err, errlen);
	if (r == 0)
		r = ctx_load_trust(ctx->ssl, cfg, err, errlen);
	if (r == 0)
		r = ctx_load_identity(ctx->ssl, cfg, &chain, err, errlen);
	if (r < 0)
		return r;
	r = ctx_verify_own(ctx->ssl, chain, X509_PURPOSE_SSL_SERVER, cfg, err, errlen);
	if (r == 0)
		r = ctx_verify_own(ctx->ssl, chain, X509_PURPOSE_SSL_CLIENT, cfg, err, errlen);
	ctx->not_after = ctx_time(X509_get0_notAfter(sk_X509_value(chain, 0)));
	ctx_identity(ctx, sk_X509_value(chain, 0));
	sk_X509_pop_free(chain, X509_free);
	return r;
}

static void ctx_free(struct tls_ctx *ctx)
{
	SSL_CTX_free(ctx->ssl);
	tls_allow_free(ctx->allow);
	free(ctx);
}

int tls_ctx_new(const struct tls_config *cfg, struct tls_ctx **ret, char *err, size_t errlen)
{
	struct tls_ctx *ctx;
	int r;

	tls_err_set(err, errlen, "out of memory");
	ERR_clear_error();
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	atomic_init(&ctx->refs, 1);
	r = tls_allow_new(cfg->allow, cfg->n_allow, &ctx->allow, err, errlen);
	if (r < 0)
		goto err_free;
	ctx->ssl = SSL_CTX_new(TLS_method());
	r = ctx->ssl ? ctx_build(ctx, cfg, err, errlen) : -ENOMEM;
	if (r < 0)
		goto err_free;
	*ret = ctx;
	tls_err_set(err, errlen, "%s", "");
	return 0;

err_free:
	ctx_free(ctx);
	ERR_clear_error();
	return r;
}

struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx)
{
	atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
	return ctx;
}

void tls_ctx_unref(struct tls_ctx *ctx)
{
	if (ctx && atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1)
		ctx_free(ctx);
}

int64_t tls_ctx_cert_not_after(const struct tls_ctx *ctx)
{
	return ctx->not_after;
}

const char *tls_ctx_cert_identity(const struct tls_ctx *ctx)
{
	return ctx->identity;
}

SSL_CTX *tls_ctx_ssl(const struct tls_ctx *ctx)
{
	return ctx->ssl;
}

const struct tls_allow *tls_ctx_allow(const struct tls_ctx *ctx)
{
	return ctx->allow;
}
