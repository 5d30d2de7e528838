/*
 * tls_err.c - turns OpenSSL's error queue and certificate verify results into one line of text.
 *
 * The error queue is per thread; every function here reads or clears only the calling thread's
 * queue. Nothing here logs: the text goes back to the caller of tls/.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

void tls_err_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

unsigned long tls_err_pop(char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();
	const char *reason;

	if (!e)
		tls_err_set(buf, len, "unknown error");
	else if (ERR_GET_LIB(e) == ERR_LIB_SYS)
		tls_err_set(buf, len, "%s", strerror(ERR_GET_REASON(e)));
	else if ((reason = ERR_reason_error_string(e)))
		tls_err_set(buf, len, "%s", reason);
	else
		tls_err_set(buf, len, "OpenSSL error %08lx", e);
	ERR_clear_error();
	return e;
}

static void err_name(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	tls_err_set(buf, len, "?");
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(b, buf, (int)(len - 1));
		if (n >= 0)
			buf[n] = '\0';
	}
	BIO_free(b);
}

static void err_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		tls_err_set(buf, len, "?");
}

bool tls_err_verify_is_time(int verify_error)
{
	switch (verify_error) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return true;
	default:
		return false;
	}
}

void tls_err_verify(X509_STORE_CTX *sctx, char *buf, size_t len)
{
	int e = X509_STORE_CTX_get_error(sctx);
	X509 *x = X509_STORE_CTX_get_current_cert(sctx);
	char subject[160], issuer[160], from[32], until[32];

	if (!x) {
		tls_err_set(buf, len, "%s", X509_verify_cert_error_string(e));
		return;
	}
	err_name(X509_get_subject_name(x), subject, sizeof(subject));
	err_name(X509_get_issuer_name(x), issuer, sizeof(issuer));
	if (e != X509_V_ERR_CERT_HAS_EXPIRED && e != X509_V_ERR_CERT_NOT_YET_VALID) {
		tls_err_set(buf, len, "%s (depth %d: %s, issued by %s)",
			    X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(sctx),
			    subject, issuer);
		return;
	}
	err_time(X509_get0_notBefore(x), from, sizeof(from));
	err_time(X509_get0_notAfter(x), until, sizeof(until));
	tls_err_set(buf, len, "%s (depth %d: %s, issued by %s, valid %s to %s)",
		    X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(sctx), subject,
		    issuer, from, until);
}
