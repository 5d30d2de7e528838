/*
 * tls_conn.c - struct tls_conn: one TLS 1.3 session over a socket the caller owns.
 *
 * A connection is a three-state machine (enum conn_state). Every OpenSSL result goes through
 * conn_result(), which maps it onto the closed set of tls.h and keeps the text; a fatal result
 * is stored and returned again by every later call without touching the session, because
 * OpenSSL forbids further I/O (SSL_shutdown() included) after a fatal error.
 *
 * The session reads and writes the fd through OpenSSL's socket BIO (SSL_set_fd), not a custom
 * BIO, so that kTLS can engage. Peer authentication happens in tls_conn_verify_cb() during the
 * handshake, so a rejected peer gets a TLS alert rather than a silent close.
 *
 * Threading: one thread at a time per connection. OpenSSL's error queue is per thread; every
 * call clears it before touching the session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

enum conn_state {
	CONN_HANDSHAKE, /* tls_conn_handshake() has not returned 0 yet */
	CONN_OPEN,	/* handshake done: reads, writes and shutdown allowed */
	CONN_FAILED,	/* fatal result stored in failure; the session is never used again */
};

struct tls_conn {
	struct tls_ctx *ctx; /* our reference */
	SSL *ssl;
	int fd; /* not owned */
	enum conn_state state;
	bool established; /* the handshake completed (stays true after a later failure) */
	bool close_sent;  /* close_notify is out: no more writes */
	int failure;	  /* what every call returns in CONN_FAILED */
	enum tls_want want;
	char host[256];			 /* client: expected server name, "" for none */
	char verify[TLS_ERR_MAX];	 /* why the verify callback rejected the peer, or "" */
	char identity[TLS_IDENTITY_MAX]; /* the allow-list entry the peer matched */
	char fingerprint[TLS_FINGERPRINT_HEX_LEN];
	char err[TLS_ERR_MAX];
};

static int conn_fail(struct tls_conn *c, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Enters CONN_FAILED with result r and its text. */
static int conn_fail(struct tls_conn *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->state = CONN_FAILED;
	c->failure = r;
	c->want = TLS_WANT_NONE;
	ERR_clear_error();
	return r;
}

/* Transport EOF without close_notify: a truncation, never an orderly end. */
static int conn_eof(struct tls_conn *c)
{
	return conn_fail(c, -ECONNRESET, "peer closed the connection without close_notify%s",
			 c->established ? " (data may be truncated)" : " during the handshake");
}

/* Alerts by which a peer says it refused our certificate (or our lack of one). */
static bool conn_alert_is_auth(int alert)
{
	switch (alert) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_CERTIFICATE_REQUIRED:
		return true;
	default:
		return false;
	}
}

/* SSL_ERROR_SSL (or SYSCALL with a queued error): classify the oldest queued error. */
static int conn_ssl_error(struct tls_conn *c)
{
	char reason[128];
	unsigned long e = tls_err_pop(reason, sizeof(reason));
	int why = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) == ERR_LIB_SYS)
		return conn_fail(c, -ECONNRESET, "connection failed: %s", reason);
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return conn_fail(c, -EPROTO, "%s", reason);
	switch (why) {
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return conn_eof(c);
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return conn_fail(c, -EACCES, "%s: %s", reason,
				 c->verify[0] ? c->verify
					      : X509_verify_cert_error_string(
							SSL_get_verify_result(c->ssl)));
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return conn_fail(c, -EACCES,
				 "%s: every peer must present a certificate from our CA", reason);
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		return conn_fail(c, -EPROTO, "%s: the peer is not speaking TLS", reason);
	case SSL_R_UNSUPPORTED_PROTOCOL:
		return conn_fail(c, -EPROTO,
				 "%s: the peer does not offer TLS 1.3, the only version "
				 "we accept",
				 reason);
	}
	if (why > SSL_AD_REASON_OFFSET && conn_alert_is_auth(why - SSL_AD_REASON_OFFSET))
		return conn_fail(c, -EACCES,
				 "peer rejected our certificate (%s): check it against the peer's "
				 "CA, CRL and allow-list",
				 reason);
	if (why == SSL_AD_REASON_OFFSET + SSL_AD_PROTOCOL_VERSION)
		return conn_fail(c, -EPROTO, "peer refused TLS 1.3 (%s): it must support TLS 1.3",
				 reason);
	if (why > SSL_AD_REASON_OFFSET)
		return conn_fail(c, -EPROTO, "peer aborted the connection (%s)", reason);
	return conn_fail(c, -EPROTO, "%s", reason);
}

/*
 * Maps the failed SSL_* call (ret: its return value, saved_errno: errno right after it) to
 * -EAGAIN with c->want set, 0 for close_notify received, or a fatal result.
 */
static int conn_result(struct tls_conn *c, int ret, int saved_errno)
{
	int e = SSL_get_error(c->ssl, ret);

	c->want = TLS_WANT_NONE;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want = TLS_WANT_READ;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->want = TLS_WANT_WRITE;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error())
			return conn_ssl_error(c);
		if (saved_errno)
			return conn_fail(c, -ECONNRESET, "connection failed: %s",
					 strerror(saved_errno));
		return conn_eof(c);
	case SSL_ERROR_SSL:
		return conn_ssl_error(c);
	default:
		return conn_fail(c, -EPROTO, "unexpected OpenSSL result %d", e);
	}
}

/* Client: the server certificate must name host (DNS name or IP literal) in subjectAltName. */
static int conn_set_host(struct tls_conn *c, const char *host)
{
	X509_VERIFY_PARAM *p = SSL_get0_param(c->ssl);
	unsigned char addr[16];

	if (strlen(host) >= sizeof(c->host))
		return -EINVAL;
	strcpy(c->host, host);
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(p, host) ? 0 : -EINVAL;
	if (!tls_allow_dns_valid(host))
		return -EINVAL;
	X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
						   X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	if (!X509_VERIFY_PARAM_set1_host(p, host, 0) || !SSL_set_tlsext_host_name(c->ssl, host))
		return -ENOMEM;
	return 0;
}

int tls_conn_verify_cb(X509_STORE_CTX *sctx, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
	char names[320];
	int e;

	if (!c || !leaf)
		return 0;
	tls_allow_fingerprint(leaf, c->fingerprint);
	if (X509_verify_cert(sctx) <= 0) {
		e = X509_STORE_CTX_get_error(sctx);
		tls_err_verify(sctx, c->verify, sizeof(c->verify));
		if (e == X509_V_ERR_HOSTNAME_MISMATCH || e == X509_V_ERR_IP_ADDRESS_MISMATCH)
			tls_err_set(c->verify + strlen(c->verify),
				    sizeof(c->verify) - strlen(c->verify), "; we connected to %s",
				    c->host);
		return 0;
	}
	if (tls_allow_match(tls_ctx_allow(c->ctx), leaf, c->fingerprint, c->identity,
			    sizeof(c->identity)) == 0)
		return 1;
	tls_allow_describe(leaf, c->fingerprint, names, sizeof(names));
	tls_err_set(c->verify, sizeof(c->verify),
		    "peer certificate (%s) matches no allow-list entry; add one of these "
		    "identities to the allow-list to trust this peer",
		    names);
	X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_REJECTED);
	return 0;
}

int tls_conn_new(struct tls_ctx *ctx, int fd, enum tls_role role, const char *expect_host,
		 struct tls_conn **ret)
{
	struct tls_conn *c;
	int r;

	if (fd < 0 || (role != TLS_ROLE_CLIENT && role != TLS_ROLE_SERVER) ||
	    (role == TLS_ROLE_SERVER && expect_host))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->ssl = SSL_new(tls_ctx_ssl(ctx));
	if (!c->ssl || !SSL_set_fd(c->ssl, fd) || !SSL_set_app_data(c->ssl, c)) {
		r = -ENOMEM;
		goto err_free;
	}
	if (role == TLS_ROLE_SERVER)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	r = expect_host ? conn_set_host(c, expect_host) : 0;
	if (r < 0)
		goto err_free;
	c->ctx = tls_ctx_ref(ctx);
	*ret = c;
	ERR_clear_error();
	return 0;

err_free:
	SSL_free(c->ssl);
	free(c);
	ERR_clear_error();
	return r;
}

/* Belt and braces after a successful handshake: a verified peer certificate that matched. */
static int conn_check_peer(struct tls_conn *c)
{
	X509 *peer = SSL_get0_peer_certificate(c->ssl);

	if (!peer || SSL_get_verify_result(c->ssl) != X509_V_OK || !c->identity[0])
		return conn_fail(c, -EACCES, "peer certificate was not verified");
	c->established = true;
	c->state = CONN_OPEN;
	c->want = TLS_WANT_NONE;
	return 0;
}

int tls_conn_handshake(struct tls_conn *c)
{
	int r, e;

	if (c->state != CONN_HANDSHAKE)
		return c->state == CONN_FAILED ? c->failure : 0;
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	e = errno;
	if (r == 1)
		return conn_check_peer(c);
	r = conn_result(c, r, e);
	if (r == 0)
		return conn_fail(c, -ECONNRESET, "peer sent close_notify during the handshake");
	return r;
}

ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len)
{
	size_t n = 0;
	int r, e;

	if (c->state != CONN_OPEN)
		return c->state == CONN_FAILED ? c->failure : -ENOTCONN;
	if (len == 0)
		return -EINVAL;
	ERR_clear_error();
	r = SSL_read_ex(c->ssl, buf, len, &n);
	e = errno;
	if (r == 1) {
		c->want = TLS_WANT_NONE;
		return (ssize_t)n;
	}
	return conn_result(c, 0, e);
}

ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t len)
{
	size_t n = 0;
	int r, e;

	if (c->state != CONN_OPEN)
		return c->state == CONN_FAILED ? c->failure : -ENOTCONN;
	if (c->close_sent)
		return -ENOTCONN;
	if (len == 0)
		return -EINVAL;
	ERR_clear_error();
	r = SSL_write_ex(c->ssl, buf, len, &n);
	e = errno;
	if (r == 1) {
		c->want = TLS_WANT_NONE;
		return (ssize_t)n;
	}
	r = conn_result(c, 0, e);
	if (r == 0)
		return conn_fail(c, -ECONNRESET, "peer has closed the connection");
	return r;
}

size_t tls_conn_pending(const struct tls_conn *c)
{
	return c->state == CONN_OPEN ? (size_t)SSL_pending(c->ssl) : 0;
}

int tls_conn_shutdown(struct tls_conn *c)
{
	int r, e;

	if (c->state != CONN_OPEN)
		return c->state == CONN_FAILED ? c->failure : -ENOTCONN;
	/* Once sent, never call SSL_shutdown() again: its second stage would wait for the
	 * peer's close_notify, which is the caller's business (tls_conn_read() returns 0). */
	if (c->close_sent)
		return 0;
	ERR_clear_error();
	r = SSL_shutdown(c->ssl);
	e = errno;
	if (r >= 0) {
		c->close_sent = true;
		c->want = TLS_WANT_NONE;
		return 0;
	}
	r = conn_result(c, r, e);
	if (r == 0)
		return conn_fail(c, -EPROTO, "unexpected close_notify result from SSL_shutdown");
	return r;
}

enum tls_want tls_conn_want(const struct tls_conn *c)
{
	return c->want;
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c->err;
}

int tls_conn_peer_identity(const struct tls_conn *c, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (!c->established)
		return -ENOTCONN;
	if (strlen(c->identity) >= len)
		return -ENOBUFS;
	strcpy(buf, c->identity);
	return 0;
}

void tls_conn_peer_fingerprint(const struct tls_conn *c, char out[TLS_FINGERPRINT_HEX_LEN])
{
	memcpy(out, c->fingerprint, TLS_FINGERPRINT_HEX_LEN);
}

bool tls_conn_ktls_send(const struct tls_conn *c)
{
	return c->established && BIO_get_ktls_send(SSL_get_wbio(c->ssl));
}

bool tls_conn_ktls_recv(const struct tls_conn *c)
{
	return c->established && BIO_get_ktls_recv(SSL_get_rbio(c->ssl));
}

const char *tls_conn_version(const struct tls_conn *c)
{
	return c->established ? SSL_get_version(c->ssl) : "";
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	return c->established ? SSL_get_cipher_name(c->ssl) : "";
}

int tls_conn_fd(const struct tls_conn *c)
{
	return c->fd;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	tls_ctx_unref(c->ctx);
	free(c);
}
