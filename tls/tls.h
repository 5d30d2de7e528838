/*
 * tls.h - TLS 1.3 with mutual authentication for the peer links and data streams.
 *
 * Two opaque objects, in the manner of Tor's tortls.h:
 *   struct tls_ctx   credentials and policy: CA (+ optional CRL), our certificate and key, the
 *                    peer allow-list, kTLS on/off. Built and validated as a whole by
 *                    tls_ctx_new(); immutable afterwards; refcounted. A reload builds a new one
 *                    and swaps it in for new connections: each connection keeps a reference to
 *                    the context it was made from, so running connections are never affected.
 *   struct tls_conn  one TLS session on a connected stream socket the caller owns. Works on
 *                    blocking fds (worker threads) and non-blocking fds (the event loop: call
 *                    again when tls_conn_want() says the fd is ready).
 *
 * Policy (not configurable): TLS 1.3 only; both sides present a certificate that chains to the
 * configured CA (the system trust store is never used); the CRL, if given, is checked for the
 * peer's certificate; the peer's certificate must match an allow-list entry. No session
 * tickets or resumption (every connection authenticates in full), no renegotiation (not in
 * TLS 1.3 anyway), no key updates initiated by us.
 *
 * Results: >= 0 success, otherwise one of a closed set of -errno values; the OpenSSL reason and
 * the certificate verify result are kept as text for the caller to log (tls_conn_error()).
 * This layer never logs.
 *
 * Blocking fds: a call blocks until it can complete, but still returns -EAGAIN if a socket
 * timeout (SO_RCVTIMEO/SO_SNDTIMEO) expires or a signal interrupts it (OpenSSL retries neither);
 * call again as for a non-blocking fd.
 *
 * kTLS: with cfg.ktls the kernel takes over the record layer where it can (tls module loaded,
 * cipher supported; OpenSSL 3.0 does it for sending only under TLS 1.3). The kernel cannot
 * rekey a running session, which is one more reason we never send a KeyUpdate; a foreign peer
 * that requests one breaks a kTLS session (records stop authenticating: -EPROTO), it cannot
 * corrupt data. Without rekeying, one connection should carry less than 2^24.5 full records per
 * direction (RFC 8446 section 5.5, AES-GCM: about 360 GiB); the daemon opens one connection per
 * device stream.
 *
 * Threading: a tls_ctx may be shared by any number of threads (tls_ctx_ref/unref are atomic).
 * A tls_conn is used by one thread at a time. The process must ignore SIGPIPE: OpenSSL writes
 * to the socket with write(2), which raises SIGPIPE on a connection the peer has reset.
 */
#ifndef VFIO_MIGD_TLS_TLS_H
#define VFIO_MIGD_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_FINGERPRINT_HEX_LEN 65 /* 64 lower-case hex digits + NUL */

struct tls_config {
	const char *ca_file;   /* PEM, one or more CA certificates; the only trust anchors */
	const char *crl_file;  /* PEM CRL(s) of the issuing CA, or NULL for no revocation check */
	const char *cert_file; /* PEM, our certificate first, then any intermediates */
	const char *key_file;  /* PEM, unencrypted private key of that certificate */
	/*
	 * Peer identities we accept, at least one (see tls_ctx_new()):
	 *   "dns:NAME"    a subjectAltName dNSName, compared case-insensitively, no wildcards
	 *   "uri:URI"     a subjectAltName URI, compared exactly (e.g. "uri:vfio-migd://hostb")
	 *   "sha256:HEX"  SHA-256 of the peer's DER certificate: 64 hex digits, optionally as
	 *                 32 colon-separated pairs (as "openssl x509 -fingerprint -sha256" prints)
	 * The subject CN is never looked at.
	 */
	const char *const *allow;
	size_t n_allow;
	/* TLS 1.3 cipher suites in OpenSSL syntax ("TLS_AES_128_GCM_SHA256:..."), NULL = default. */
	const char *ciphersuites;
	bool ktls; /* ask for kernel TLS (SSL_OP_ENABLE_KTLS); see tls_conn_ktls_send() */
};

enum tls_role {
	TLS_ROLE_CLIENT = 1, /* we connected */
	TLS_ROLE_SERVER = 2, /* we accepted */
};

enum tls_want {
	TLS_WANT_NONE = 0,  /* the last call did not return -EAGAIN */
	TLS_WANT_READ = 1,  /* call again when the fd is readable */
	TLS_WANT_WRITE = 2, /* call again when the fd is writable */
};

struct tls_ctx;
struct tls_conn;

/*
 * Loads and checks everything in cfg (which is not referenced afterwards) and builds a context
 * usable for both roles. Checks: every file readable and parseable; the key matches the
 * certificate; our certificate is currently valid, chains to ca_file (and is not revoked in
 * crl_file), and is fit for both TLS server and client use (a daemon both listens and
 * connects); every allow-list entry is well-formed; the allow-list is not empty.
 *
 * Allow-list rule: an empty list is refused for both roles. The CA alone never authorizes a
 * peer, because CAs are shared with other services more often than not; to accept a set of
 * peers, name each of them.
 *
 * Returns 0 and *ret (one reference), or, with a sentence naming the file or entry in err:
 *   -EINVAL      bad or incomplete config, unparseable file, key/certificate mismatch, our
 *                certificate does not verify against the CA/CRL or lacks serverAuth/clientAuth,
 *                malformed or empty allow-list, unknown cipher suite
 *   -EKEYEXPIRED our certificate (or a CA certificate or the CRL) has expired or is not yet valid
 *   -ENOENT, -EACCES, -EFBIG (file over 1 MiB), other open/read errno for a file
 *   -ENOMEM
 * *ret is not written on failure. err may be NULL.
 */
int tls_ctx_new(const struct tls_config *cfg, struct tls_ctx **ret, char *err, size_t errlen);

/* Takes a reference; returns ctx. */
struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx);

/* Drops a reference; the last one frees the context (the key is wiped). NULL-safe. */
void tls_ctx_unref(struct tls_ctx *ctx);

/* Our certificate's notAfter as seconds since the epoch (for the expiry metric). */
int64_t tls_ctx_cert_not_after(const struct tls_ctx *ctx);
/* How a peer's allow-list names our certificate: its first SAN DNS name or URI ("dns:NAME",
 * "uri:URI"), else its fingerprint ("sha256:HEX"). Valid while ctx lives. */
const char *tls_ctx_cert_identity(const struct tls_ctx *ctx);

/*
 * A connection over fd, a connected stream socket (TCP for kTLS), blocking or not. The
 * connection holds a reference to ctx and uses fd but does not own it: the caller closes fd
 * after tls_conn_free(). For TLS_ROLE_CLIENT, expect_host (a DNS name or an IP address
 * literal) must match the server certificate's subjectAltName DNS or IP entries, in addition to
 * the allow-list; NULL checks the allow-list only. expect_host must be NULL for the server.
 * Returns 0 and *ret, -EINVAL (bad fd, role or host) or -ENOMEM; *ret untouched on failure.
 */
int tls_conn_new(struct tls_ctx *ctx, int fd, enum tls_role role, const char *expect_host,
		 struct tls_conn **ret);

/*
 * Runs (or continues) the handshake. Returns:
 *   0            done: the peer's certificate verified and matched the allow-list
 *   -EAGAIN      non-blocking fd: call again when tls_conn_want() is satisfied
 *   -EACCES      authentication failed: we rejected the peer's certificate (chain, CRL, expiry,
 *                host name, allow-list, no certificate at all), or the peer's alert says it
 *                rejected ours
 *   -EPROTO      anything else the peer did wrong: not TLS, no TLS 1.3, other alerts
 *   -ECONNRESET  the transport failed or closed during the handshake
 * Note TLS 1.3: the client finishes before the server has checked the client's certificate,
 * so a client can see 0 here and the server's rejection as -EACCES from its first read.
 * Every failure is final: later calls on the connection return the same value.
 */
int tls_conn_handshake(struct tls_conn *c);

/*
 * Reads up to len bytes of application data. Returns the count (> 0), 0 once the peer has sent
 * close_notify (an orderly end of its direction), or -EAGAIN, -ECONNRESET, -EPROTO, -EACCES
 * (see tls_conn_handshake). A transport EOF without close_notify is -ECONNRESET, never 0: we do
 * not set SSL_OP_IGNORE_UNEXPECTED_EOF, so a truncated stream is always visible here even
 * though the peer protocol also ends every stream with an END frame.
 * On a non-blocking fd, read until -EAGAIN (or until tls_conn_pending() is 0): decrypted bytes
 * held inside the connection do not make the fd readable. -ENOTCONN before the handshake.
 */
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len);

/*
 * Writes up to len (> 0) bytes; returns the count written, which may be less than len (at least
 * one TLS record). -EAGAIN means nothing was accepted: call again with the same bytes (the
 * buffer may move, the length must not shrink). Errors as tls_conn_read; a peer that reset the
 * connection is -ECONNRESET. -ENOTCONN before the handshake or after tls_conn_shutdown().
 */
ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t len);

/* Decrypted bytes ready for tls_conn_read() without touching the fd. */
size_t tls_conn_pending(const struct tls_conn *c);

/*
 * Sends close_notify: the orderly end of our direction (the peer's reads then return 0). The
 * peer's direction stays open; keep reading until 0 if its data matters. Returns 0 once sent,
 * -EAGAIN (+ want) to be called again, -ECONNRESET or -EPROTO; -ENOTCONN before the handshake.
 * tls_conn_free() does not do this: a connection freed without it looks truncated to the peer.
 */
int tls_conn_shutdown(struct tls_conn *c);

/* The direction the last -EAGAIN was waiting for (TLS_WANT_NONE after any other result). */
enum tls_want tls_conn_want(const struct tls_conn *c);

/*
 * The last failure as one line for the log, e.g. "certificate verify failed: certificate has
 * expired (depth 0: CN=expired)" or "peer certificate (dns:x.test ...) matches no allow-list
 * entry". "" if nothing failed. Valid until the next call on c.
 */
const char *tls_conn_error(const struct tls_conn *c);

/*
 * The allow-list entry the peer matched, normalized (e.g. "dns:hostb.test", "sha256:<hex>"),
 * copied into buf. Returns 0, -ENOTCONN before a successful handshake, -ENOBUFS if len is too
 * small (buf then holds "").
 */
int tls_conn_peer_identity(const struct tls_conn *c, char *buf, size_t len);

/* SHA-256 of the peer's DER certificate in lower-case hex, "" before a certificate was seen. */
void tls_conn_peer_fingerprint(const struct tls_conn *c, char out[TLS_FINGERPRINT_HEX_LEN]);

/* Whether the kernel does the record layer in each direction (after the handshake). */
bool tls_conn_ktls_send(const struct tls_conn *c);
bool tls_conn_ktls_recv(const struct tls_conn *c);

/* "TLSv1.3" and e.g. "TLS_AES_256_GCM_SHA384"; "" before the handshake. Static strings. */
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);

int tls_conn_fd(const struct tls_conn *c);

/* Frees the session and drops the context reference. Does not send close_notify, does not
 * close the fd. NULL-safe. */
void tls_conn_free(struct tls_conn *c);

#endif
