/*
 * peer.h - daemon-to-daemon links: listeners, outgoing connects, the TLS handshake, HELLO
 * (version and feature negotiation) and keepalive on the control link between two vfio-migd.
 *
 * Two opaque objects:
 *   struct peer_set   one per daemon, on one struct event_base: the listeners, the TLS context
 *                     for new connections, the options, the callbacks and every link.
 *   struct peer_link  one connection, incoming or outgoing, from TCP up to its close; a
 *                     state machine (enum peer_link_state).
 *
 * An incoming connection is a control link or a data stream: after the TLS handshake its
 * first frame decides. PEER_HELLO makes a control link; STREAM_HELLO hands the connection
 * (fd, TLS session, bytes already read) to the callback of peer_set_on_stream(), which owns it
 * from then on. Outgoing connections are control links (peer_connect()) or data streams
 * (peer_stream_connect(): TCP and TLS as for a control link, then STREAM_HELLO, then the
 * connection is handed to the caller; never a control link: no HELLO, no keepalive, not
 * listed by peer_set_links()).
 *
 * HELLO: the connecting side sends its HELLO right after the TLS handshake; the accepting
 * side answers with its own as soon as the first frame shows a control link. Each side then
 * negotiates on its own: version = min(ours, theirs) if that is >= both minimums, features =
 * ours & theirs. An incompatible peer gets a PEER_ABORT (job_id PEER_LINK_JOB_ID, code
 * INCOMPATIBLE, both ranges in the message) and the link is closed, logged on both sides.
 *
 * Keepalive (READY links): a PING after keepalive_interval of silence, repeated every
 * interval; any received frame is liveness; after keepalive_count unanswered PINGs the link
 * is declared dead, so a dead peer is noticed interval * (count + 1) after its last frame.
 * One PING is also sent when the link becomes READY so the RTT is known early. Every link
 * socket, data streams included, has SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT and
 * TCP_USER_TIMEOUT; control links also TCP_NODELAY (data streams carry bulk data).
 *
 * Memory is bounded per link: the input holds at most one frame plus one read, each frame
 * checked against its type's cap from the header before its body is buffered; the output
 * holds at most max_buffer bytes (see peer_link_send()).
 *
 * Logging: every line names the link as "peer ADDR" or, once TLS told us who it is,
 * "peer ADDR (IDENTITY)". Protocol violations close only the link concerned.
 *
 * Threading: everything here runs on the thread of the event loop the set was made with (a
 * helper thread only resolves host names and touches nothing else). Callbacks run from that
 * loop, never from inside the call that caused them, except those run by peer_set_free(); a
 * callback may call any peer_* function except peer_set_free(). The process must ignore
 * SIGPIPE (see tls.h).
 */
#ifndef VFIO_MIGD_PEER_PEER_H
#define VFIO_MIGD_PEER_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "frame.h"
#include "peer_msg.h"

struct event_base;
struct tls_ctx;
struct tls_conn;
struct peer_set;
struct peer_link;

/*
 * The job_id of a PEER_ABORT that concerns the link itself rather than a job (the message
 * needs a nonzero job_id; jobs never get this one).
 */
#define PEER_LINK_JOB_ID UINT64_MAX

/* Output bytes a link must be able to hold: one frame of the largest type. */
#define PEER_BUFFER_MIN ((size_t)FRAME_HDR_LEN + FRAME_BODY_MAX)

/* How long a closing link may take to flush and exchange close_notify. */
#define PEER_LINGER_MS 1000

/* How long a listener stops accepting after running out of file descriptors or memory. */
#define PEER_ACCEPT_PAUSE_MS 1000

struct peer_options {
	const char *host_identity;	    /* ours, sent in HELLO; copied; 1..PROTO_ADDR_MAX */
	uint64_t connect_timeout_ms;	    /* peer_connect(): name lookup + TCP connect */
	uint64_t handshake_timeout_ms;	    /* TCP up -> TLS done and HELLO exchanged */
	uint64_t keepalive_interval_ms;	    /* PING after this much silence; 0: never (answer) */
	unsigned int keepalive_count;	    /* unanswered PINGs before the link is dead, >= 1 */
	uint64_t tcp_keepalive_idle_ms;	    /* TCP_KEEPIDLE, rounded up to whole seconds */
	uint64_t tcp_keepalive_interval_ms; /* TCP_KEEPINTVL, rounded up to whole seconds */
	unsigned int tcp_keepalive_count;   /* TCP_KEEPCNT */
	uint64_t tcp_user_timeout_ms;	    /* TCP_USER_TIMEOUT; 0: the kernel's default */
	unsigned int max_links;		    /* connections in any state, closing ones included */
	size_t max_buffer;		    /* output bytes queued per link, >= PEER_BUFFER_MIN */
};

/*
 * Fills o with the defaults of the configuration file: 10 s connect and handshake timeouts,
 * keepalive 5 s x 3, TCP keepalive 15 s / 5 s / 3, TCP_USER_TIMEOUT 30 s, 64 links, 8 MiB of
 * output per link. host_identity is left NULL: the caller must set it.
 */
void peer_options_init(struct peer_options *o);

enum peer_link_state {
	PEER_LINK_CONNECTING = 0,    /* outgoing: resolving the name and opening TCP */
	PEER_LINK_TLS_HANDSHAKE = 1, /* TCP up; the TLS handshake runs (either role) */
	PEER_LINK_HELLO = 2,   /* TLS up; waiting for the peer's HELLO (incoming: first frame) */
	PEER_LINK_READY = 3,   /* HELLO exchanged; frames flow, keepalive runs */
	PEER_LINK_CLOSING = 4, /* closed for the user; flushing and close_notify, bounded */
	PEER_LINK_CLOSED = 5,  /* finished; the memory goes away on return to the loop */
};

/* "CONNECTING", "READY", ...; "?" for a value out of range. */
const char *peer_link_state_name(enum peer_link_state s);

/*
 * A peer_connect() result: link READY and err 0, or link NULL, err < 0 and why, one line
 * naming the peer and what failed ("peer 10.0.0.2:7790: connect to 10.0.0.2:7790: Connection
 * refused").
 * why is valid during the call only.
 */
typedef void peer_connect_fn(struct peer_link *link, int err, const char *why, void *arg);

/* A frame other than HELLO/PING/PONG (and link-level ABORT) on a READY link; msg is valid
 * during the call only and is cleared afterwards. */
typedef void peer_message_fn(struct peer_link *link, const struct peer_msg *msg, void *arg);

/*
 * A link that was READY has closed: err 0 for an orderly close by either side (close_notify,
 * peer_link_close()), -ECANCELED from peer_set_free(), otherwise the failure: -ETIMEDOUT (no
 * keepalive answers), -EPROTO (protocol violation), -ECONNRESET, -ECONNABORTED (the peer's
 * ABORT), -ENOBUFS (the peer stopped reading), ...; why as for peer_connect_fn. The link's
 * accessors work during the call; the pointer is invalid once it returns.
 */
typedef void peer_closed_fn(struct peer_link *link, int err, const char *why, void *arg);

/* An incoming data stream, handed over after its first frame (see peer_set_on_stream()). */
struct peer_stream_handoff {
	int fd;		      /* the connected TCP socket, non-blocking; the callee owns it */
	struct tls_conn *tls; /* its TLS session; the callee owns it: tls_conn_free(), then close */
	struct peer_stream_hello hello; /* the decoded STREAM_HELLO */
	const uint8_t *rest; /* bytes read after the STREAM_HELLO frame (the start of the next
			      * frames); more may wait decrypted inside tls (tls_conn_pending())
			      * even when fd is not readable */
	size_t rest_len;
	const char *addr;     /* the remote address, "10.0.0.1:41234" */
	const char *identity; /* the allow-list entry the peer matched */
};

/* Receives an incoming data stream. s and what it points to (rest, addr, identity) are valid
 * during the call only; fd and tls are the callee's from the start of the call. */
typedef void peer_stream_fn(struct peer_stream_handoff *s, void *arg);

/*
 * A set on base with a copy of opts, no listener and no TLS context (peer_set_set_tls()).
 * Returns 0 and *ret, -EINVAL for an option out of range (see struct peer_options), -ENOMEM.
 */
int peer_set_new(struct event_base *base, const struct peer_options *opts, struct peer_set **ret);

/*
 * Closes every link and listener and frees the set. Links are closed through the usual path
 * with "daemon shutting down": close_notify is tried once without waiting, pending
 * peer_connect() and peer_stream_connect() callbacks get -ECANCELED and READY links are
 * reported to the closed callback, from inside this call; those callbacks must not call peer_*
 * functions other than the link accessors. NULL-safe.
 */
void peer_set_free(struct peer_set *set);

/*
 * Makes ctx (a new reference is taken; NULL: none) the TLS context of connections made or
 * accepted from now on; existing links keep the context they were made with. With NULL,
 * peer_set_listen() and peer_connect() fail with -ENOKEY and listeners already open refuse
 * every connection, logging why.
 */
void peer_set_set_tls(struct peer_set *set, struct tls_ctx *ctx);

/*
 * Opens listeners on n addresses, "HOST:PORT" or "[IPV6]:PORT"; HOST an IPv4 or IPv6 literal
 * or a name (every address it resolves to is bound; getaddrinfo() blocks: call this at start
 * or reload). PORT 0 picks a free port (see peer_set_listening()). IPv6 sockets are
 * IPV6_V6ONLY, so "0.0.0.0:P" and "[::]:P" can both be given. All or nothing: on failure no
 * listener of this call stays open. Returns 0, or -errno with one line in err naming the
 * address and what to do: -ENOKEY (no TLS context), -EINVAL (syntax), -ENOENT (name does not
 * resolve), -EADDRINUSE, -EACCES, -EADDRNOTAVAIL and other socket(2)/bind(2)/listen(2)
 * errors, -ENOMEM. err may be NULL.
 */
int peer_set_listen(struct peer_set *set, const char *const *addrs, size_t n, char *err,
		    size_t errlen);

/* The i-th bound listener address with its actual port ("127.0.0.1:7790", "[::]:7790"), or
 * NULL past the end. Valid until the set is freed. */
const char *peer_set_listening(const struct peer_set *set, size_t i);

/* The callbacks; fn NULL removes one. Without a message callback such frames are logged and
 * dropped; without a stream callback incoming data streams are refused. */
void peer_set_on_message(struct peer_set *set, peer_message_fn *fn, void *arg);
void peer_set_on_closed(struct peer_set *set, peer_closed_fn *fn, void *arg);
void peer_set_on_stream(struct peer_set *set, peer_stream_fn *fn, void *arg);

/*
 * Iterates the links not yet closing (control links: data streams being dialed are not
 * listed), in creation order: prev NULL gives the first, NULL
 * means no more. Closing a link while iterating is allowed (it stays valid until return to
 * the loop).
 */
struct peer_link *peer_set_links(struct peer_set *set, struct peer_link *prev);

/* Why a TLS handshake failed, as counted by the set (metrics). */
enum peer_tls_failure {
	PEER_TLS_FAIL_REFUSED = 0,  /* a certificate or identity refused, by us or by the peer */
	PEER_TLS_FAIL_PROTOCOL = 1, /* not TLS, not TLS 1.3, another alert */
	PEER_TLS_FAIL_RESET = 2,    /* the connection broke during the handshake */
	PEER_TLS_FAIL_TIMEOUT = 3,  /* peer.handshake_timeout passed during the TLS handshake */
	PEER_TLS_FAIL_OTHER = 4,    /* anything else (out of memory, ...) */
};

#define PEER_TLS_FAIL_COUNT 5

/* "refused", "protocol", "reset", "timeout", "other"; "?" out of range. */
const char *peer_tls_failure_name(enum peer_tls_failure f);

/*
 * TLS handshakes that failed since the set was made, for one reason: links (either
 * direction, control links and data streams) closed during the TLS handshake, and outgoing
 * links the peer refused right after it (TLS 1.3 tells the client only at its first read).
 * Links we closed ourselves (cancel, stop) are not counted. 0 for a reason out of range.
 */
uint64_t peer_set_tls_failures(const struct peer_set *set, enum peer_tls_failure f);

/* peer_connect() flags. */
#define PEER_CONNECT_NEW 0x1u /* always open a new link, never reuse one */

/*
 * Opens a control link to addr ("HOST:PORT" or "[IPV6]:PORT"; a name is resolved in a
 * helper thread, so the loop never blocks). expect_host, if not NULL, must also match the
 * server certificate's subjectAltName (DNS name or IP address); the allow-list applies in
 * any case. Without PEER_CONNECT_NEW, a link already open or opening to the same addr with
 * the same expect_host is reused. connect_timeout covers name lookup and TCP connect,
 * handshake_timeout the rest.
 *
 * done is called exactly once, from the loop, never from inside this call: done(link, 0, "")
 * once the link is READY, or done(NULL, -errno, why) with -EINVAL (bad address), -ENOENT
 * (unknown host), -ECONNREFUSED and other connect(2) errors, -ETIMEDOUT, -EACCES (TLS
 * authentication, either side), -EPROTO (not TLS 1.3, or a protocol violation),
 * -EPROTONOSUPPORT (no common protocol version), -ECONNRESET, -ENOKEY (no TLS context),
 * -EMFILE (max_links reached), -EAGAIN (temporary DNS failure), -ECANCELED (closed before
 * READY, or set freed).
 * Returns 0, or -ENOMEM (done is then never called).
 */
int peer_connect(struct peer_set *set, const char *addr, const char *expect_host,
		 unsigned int flags, peer_connect_fn *done, void *arg);

/* An outgoing data stream, connected and announced (see peer_stream_connect()). */
struct peer_stream_dialed {
	int fd;		      /* the connected TCP socket, non-blocking; the callee owns it */
	struct tls_conn *tls; /* its TLS session; the callee owns it: tls_conn_free(), then close */
	const char *addr;     /* the address given to peer_stream_connect() */
	const char *identity; /* the allow-list entry the peer matched ("dns:hostb.test") */
	const char *fingerprint; /* SHA-256 of the peer's certificate, lower-case hex */
};

/*
 * A peer_stream_connect() result: err 0, why "" and s, whose fd and tls are the callee's from
 * the start of the call; or err < 0, why (one line naming the peer, the job, the device and
 * what failed, as logged) and s NULL. why and s (and the strings in it) are valid during the
 * call only.
 */
typedef void peer_stream_dial_fn(void *arg, int err, const char *why, struct peer_stream_dialed *s);

/*
 * Opens an outgoing data stream to addr, as peer_connect() opens a control link: name lookup
 * in a helper thread, TCP connect under connect_timeout, the TLS handshake as client with the
 * set's current TLS context under handshake_timeout (expect_host and the allow-list as for
 * peer_connect()), TCP keepalive and TCP_USER_TIMEOUT as on every link (no TCP_NODELAY). It
 * then sends hello (copied) as the STREAM_HELLO frame and hands the connection over; nothing
 * is read from it here, so every byte the peer sends is left for the new owner. The
 * connection is never a control link: no HELLO, no keepalive, never listed by
 * peer_set_links(), never reused; it counts against max_links until handed over.
 *
 * done is called exactly once, from the loop, never from inside this call, unless
 * peer_stream_cancel() comes first: done(arg, 0, "", s) once STREAM_HELLO was written, or
 * done(arg, -errno, why, NULL) with the errors of peer_connect() (-EINVAL, -ENOENT,
 * -ECONNREFUSED..., -ETIMEDOUT, -EACCES, -EPROTO, -ECONNRESET, -ENOKEY, -EMFILE, -EAGAIN) and
 * -ECANCELED from inside peer_set_free(). done must not call peer_set_free().
 *
 * Success means the peer completed the TLS handshake, not that it took the stream: in TLS 1.3
 * the server checks our certificate after our side of the handshake is done, and the peer
 * answers nothing to a STREAM_HELLO. A peer that refuses our certificate or the stream (no
 * migration expects it) closes the connection, which the new owner sees on its first read
 * (-EACCES, close_notify or -ECONNRESET).
 *
 * Returns 0, -EINVAL (done or hello NULL, or a hello field breaks a rule of STREAM_HELLO:
 * job_id 0, device_index >= PROTO_JOB_DEVICES_MAX, a token empty or not printable ASCII;
 * reason in proto_last_error()),
 * or -ENOMEM; done is then never called.
 */
int peer_stream_connect(struct peer_set *set, const char *addr, const char *expect_host,
			const struct peer_stream_hello *hello, peer_stream_dial_fn *done,
			void *arg);

/*
 * Abandons every peer_stream_connect() of the set that was made with this arg and whose done
 * has not been called yet: their connections are closed (logged "cancelled") and done is
 * never called for them. Returns how many there were. For a job giving up before its streams
 * are connected; callable from any peer callback.
 */
unsigned int peer_stream_cancel(struct peer_set *set, void *arg);

/*
 * Queues msg (encoded with peer_msg_encode()) on a READY link and returns at once; the loop
 * sends it. Refuses HELLO, PING and PONG (the link's own) and non-peer types. Returns 0,
 * -ENOTCONN (link not READY), -EINVAL (type refused, or a field breaks a rule: reason in
 * proto_last_error()), -EMSGSIZE, -ENOBUFS (the output holds max_buffer bytes the peer has
 * not read: the link stays up, the message is not queued), -ENOMEM.
 */
int peer_link_send(struct peer_link *link, const struct peer_msg *msg);

/*
 * Closes the link (logged with reason; queued frames are flushed and close_notify sent, as
 * far as PEER_LINGER_MS allows). A waiting peer_connect() gets -ECANCELED, a READY link is
 * reported to the closed callback with err 0, both from the loop. No-op on a closing link.
 */
void peer_link_close(struct peer_link *link, const char *reason);

/* Accessors: valid in every state; strings live as long as the link. */
enum peer_link_state peer_link_state(const struct peer_link *link);
bool peer_link_outgoing(const struct peer_link *link);
/* Outgoing: the address given to peer_connect(); incoming: the remote "IP:PORT". */
const char *peer_link_address(const struct peer_link *link);
/* The allow-list entry the peer's certificate matched ("dns:hostb.test"); "" before TLS. */
const char *peer_link_identity(const struct peer_link *link);
/* SHA-256 of the peer's certificate, lower-case hex; "" before TLS. */
const char *peer_link_fingerprint(const struct peer_link *link);
/* The peer's own host identity and software from its HELLO; "" before HELLO. */
const char *peer_link_host_identity(const struct peer_link *link);
const char *peer_link_software(const struct peer_link *link);
/* Negotiated version and features; 0 before READY. */
uint32_t peer_link_version(const struct peer_link *link);
uint64_t peer_link_features(const struct peer_link *link);
/* Round-trip time of the last answered PING in microseconds; -1 before the first. */
int64_t peer_link_rtt_us(const struct peer_link *link);
/* Whether the kernel does the TLS record layer for sending / receiving. */
bool peer_link_ktls_tx(const struct peer_link *link);
bool peer_link_ktls_rx(const struct peer_link *link);
/* When the link was created (accepted, or peer_connect() called). */
time_t peer_link_created(const struct peer_link *link);

#endif
