/*
 * tls_pem.c - reads the PEM files of a TLS configuration into OpenSSL objects.
 *
 * Each file is read whole into memory first (at most TLS_PEM_MAX bytes), so that a missing or
 * unreadable file is reported with its errno rather than as an OpenSSL parse error, and so that
 * the buffer holding a private key can be wiped. Passphrase-protected keys are refused without
 * prompting: a daemon has no terminal to ask on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tls_int.h"

#define TLS_PEM_MAX (1 << 20)

static void pem_buf_free(char *buf, size_t len, bool secret)
{
	if (buf && secret)
		OPENSSL_cleanse(buf, len);
	free(buf);
}

static ssize_t pem_read_fd(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Reads path whole into a BIO over a malloc'd buffer (*bufp, *lenp, freed by the caller). */
static int pem_open(const char *what, const char *path, BIO **ret, char **bufp, size_t *lenp,
		    char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, r;

	if (!path || !*path) {
		tls_err_set(err, errlen, "%s: not set", what);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto err;
	}
	r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (r == 0 && st.st_size > TLS_PEM_MAX)
		r = -EFBIG;
	if (r < 0)
		goto err_close;
	*bufp = malloc((size_t)st.st_size + 1);
	if (!*bufp) {
		r = -ENOMEM;
		goto err_close;
	}
	n = pem_read_fd(fd, *bufp, (size_t)st.st_size);
	if (n < 0) {
		r = (int)n;
		goto err_free;
	}
	*lenp = (size_t)n;
	*ret = BIO_new_mem_buf(*bufp, (int)n);
	if (!*ret) {
		r = -ENOMEM;
		goto err_free;
	}
	close(fd);
	return 0;

err_free:
	pem_buf_free(*bufp, (size_t)st.st_size, true);
	*bufp = NULL;
err_close:
	close(fd);
err:
	tls_err_set(err, errlen, "%s %s: %s", what, path,
		    r == -EINVAL ? "not a regular file" : strerror(-r));
	return r;
}

/* The parse error for what/path: fallback, with OpenSSL's reason if it gave one. */
static int pem_parse_error(const char *what, const char *path, const char *fallback, char *err,
			   size_t errlen)
{
	char reason[128];

	if (tls_err_pop(reason, sizeof(reason)))
		tls_err_set(err, errlen, "%s %s: %s (%s)", what, path, fallback, reason);
	else
		tls_err_set(err, errlen, "%s %s: %s", what, path, fallback);
	return -EINVAL;
}

int tls_pem_certs(const char *what, const char *path, STACK_OF(X509) * *ret, char *err,
		  size_t errlen)
{
	STACK_OF(X509) * sk;
	char *buf = NULL;
	size_t len = 0;
	X509 *x;
	BIO *b;
	int r;

	ERR_clear_error();
	r = pem_open(what, path, &b, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	sk = sk_X509_new_null();
	while (sk && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(sk, x))
			X509_free(x);
	/* Running out of PEM blocks ends the loop with "no start line": not an error by itself. */
	if (sk && sk_X509_num(sk) > 0 &&
	    ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	if (!sk || sk_X509_num(sk) == 0 || ERR_peek_error()) {
		r = sk ? pem_parse_error(what, path, "no valid PEM certificate", err, errlen)
		       : -ENOMEM;
		sk_X509_pop_free(sk, X509_free);
	} else {
		*ret = sk;
	}
	BIO_free(b);
	pem_buf_free(buf, len, false);
	return r;
}

int tls_pem_crls(const char *what, const char *path, STACK_OF(X509_CRL) * *ret, char *err,
		 size_t errlen)
{
	STACK_OF(X509_CRL) * sk;
	char *buf = NULL;
	size_t len = 0;
	X509_CRL *crl;
	BIO *b;
	int r;

	ERR_clear_error();
	r = pem_open(what, path, &b, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	sk = sk_X509_CRL_new_null();
	while (sk && (crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)))
		if (!sk_X509_CRL_push(sk, crl))
			X509_CRL_free(crl);
	if (sk && sk_X509_CRL_num(sk) > 0 &&
	    ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	if (!sk || sk_X509_CRL_num(sk) == 0 || ERR_peek_error()) {
		r = sk ? pem_parse_error(what, path, "no valid PEM CRL", err, errlen) : -ENOMEM;
		sk_X509_CRL_pop_free(sk, X509_CRL_free);
	} else {
		*ret = sk;
	}
	BIO_free(b);
	pem_buf_free(buf, len, false);
	return r;
}

/* Refuses to decrypt: returning 0 makes PEM_read_bio_PrivateKey fail instead of prompting. */
static int pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

int tls_pem_key(const char *what, const char *path, EVP_PKEY **ret, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *k;
	BIO *b;
	int r;

	ERR_clear_error();
	r = pem_open(what, path, &b, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	k = PEM_read_bio_PrivateKey(b, NULL, pem_no_passphrase, NULL);
	if (k)
		*ret = k;
	else
		r = pem_parse_error(what, path, "no valid unencrypted PEM private key", err,
				    errlen);
	BIO_free(b);
	pem_buf_free(buf, len, true);
	return r;
}
