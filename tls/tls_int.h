/*
 * tls_int.h - declarations shared by the files of tls/ only; nothing outside tls/ includes it.
 *
 *   tls_allow.c  the peer allow-list: parse, match a certificate, describe a certificate
 *   tls_pem.c    reading PEM files (certificates, CRLs, a private key) into OpenSSL objects
 *   tls_err.c    one-line error text from OpenSSL's error queue and verify results
 *   tls_ctx.c    struct tls_ctx (public API in tls.h)
 *   tls_conn.c   struct tls_conn (public API in tls.h)
 */
#ifndef VFIO_MIGD_TLS_TLS_INT_H
#define VFIO_MIGD_TLS_TLS_INT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

#define TLS_IDENTITY_MAX 512 /* longest normalized allow-list entry, NUL included */
#define TLS_ERR_MAX	 512 /* error text buffers */

/* tls_allow.c */

struct tls_allow;

/*
 * Parses n entries (see struct tls_config). Returns 0 and *ret, -EINVAL with a sentence naming
 * the bad entry in err (n == 0 is an error too), or -ENOMEM.
 */
int tls_allow_new(const char *const *entries, size_t n, struct tls_allow **ret, char *err,
		  size_t errlen);
void tls_allow_free(struct tls_allow *a);

/* True for a host name as accepted by "dns:" entries (letters, digits, '-', dot-separated). */
bool tls_allow_dns_valid(const char *name);

/*
 * The first entry, in list order, that cert matches; fp is cert's SHA-256 in hex. Copies the
 * normalized entry to ident and returns 0, or returns -ENOENT.
 */
int tls_allow_match(const struct tls_allow *a, X509 *cert, const char *fp, char *ident, size_t len);

/* SHA-256 of cert's DER encoding, lower-case hex. */
void tls_allow_fingerprint(X509 *cert, char out[TLS_FINGERPRINT_HEX_LEN]);

/* What an allow-list could name in cert: "dns:a uri:b sha256:c", for error messages. */
void tls_allow_describe(X509 *cert, const char *fp, char *buf, size_t len);

/* tls_pem.c: each returns 0, or -errno with "WHAT PATH: reason" in err. */

/* Every certificate in the file, at least one, in file order. */
int tls_pem_certs(const char *what, const char *path, STACK_OF(X509) * *ret, char *err,
		  size_t errlen);
/* Every CRL in the file, at least one. */
int tls_pem_crls(const char *what, const char *path, STACK_OF(X509_CRL) * *ret, char *err,
		 size_t errlen);
/* An unencrypted private key; never prompts for a passphrase. The file buffer is wiped. */
int tls_pem_key(const char *what, const char *path, EVP_PKEY **ret, char *err, size_t errlen);

/* tls_err.c */

/* snprintf into buf if buf is not NULL. */
void tls_err_set(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The oldest error on this thread's OpenSSL error queue as text (its reason string, or the
 * system error), then clears the queue. Returns the packed error code, 0 if the queue was empty
 * (buf then holds "unknown error").
 */
unsigned long tls_err_pop(char *buf, size_t len);

/* A failed X509_verify_cert() as "reason (depth N: SUBJECT, issued by ISSUER[, dates])". */
void tls_err_verify(X509_STORE_CTX *sctx, char *buf, size_t len);

/* True for verify results that mean "outside its validity period" (certificates and CRLs). */
bool tls_err_verify_is_time(int verify_error);

/* tls_ctx.c */

SSL_CTX *tls_ctx_ssl(const struct tls_ctx *ctx);
const struct tls_allow *tls_ctx_allow(const struct tls_ctx *ctx);

/* tls_conn.c: certificate verification for every connection (SSL_CTX_set_cert_verify_callback):
 * the chain, then the allow-list. */
int tls_conn_verify_cb(X509_STORE_CTX *sctx, void *arg);

#endif
