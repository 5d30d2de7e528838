/*
 * test_peer_bad.c - peers that misbehave, played by raw peers (blocking sockets + tls/ +
 * proto/, or raw OpenSSL for what tls/ refuses to be) in a thread: incompatible versions,
 * silence, no TLS, bad certificates, malformed frames, data streams, a peer that stops
 * reading, a listener out of file descriptors. Each must cost only its own link: a good
 * hosta-hostb link on the same sets keeps working, and the log says precisely what happened.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "test_peer_util.h"

TCase *peer_bad_tcase(void);

static const char *const allow_ab[] = { "dns:hosta.test", "dns:hostb.test" };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* hostb listening, hosta connected to it: the link that must survive. */
struct good {
	struct peer_set *a, *b;
	struct peer_link *la, *lb;
	struct tp_rec rb;
};

static void good_up(struct good *g, const struct peer_options *ob)
{
	struct tp_conn c;

	memset(g, 0, sizeof(*g));
	g->a = tp_set("hosta", NULL, false);
	g->b = tp_set("hostb", ob, true);
	peer_set_on_message(g->b, tp_rec_message, &g->rb);
	tp_connect(g->a, tp_addr(g->b), NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	g->la = c.link;
	tp_wait_ready(g->b, 1);
	g->lb = peer_set_links(g->b, NULL);
}

/* The good link still carries frames both ways, and is still the only one on b. */
static void good_check_free(struct good *g, uint64_t job)
{
	tp_expect_delivery(g->la, &g->rb, g->lb, job);
	ck_assert_int_eq(peer_link_state(g->la), PEER_LINK_READY);
	ck_assert_ptr_eq(peer_set_links(g->b, NULL), g->lb);
	peer_set_free(g->a);
	peer_set_free(g->b);
}

static void expect_log(const char *needle)
{
	if (!tp_log_wait(needle, 5000)) {
		tp_log_dump();
		ck_abort_msg("no log line containing \"%s\"", needle);
	}
}

/* ---- a raw client ---- */

struct client {
	/* what to do */
	struct tls_ctx *ctx;
	int port;
	bool hello;		       /* send a HELLO and wait for the answer first */
	uint32_t min_version, version; /* of that HELLO */
	const struct peer_msg *msg;    /* then send this message, if any */
	uint16_t type, flags;	       /* or, with send_frame, this frame */
	uint32_t len;
	const uint8_t *body;
	size_t body_len;
	bool send_frame;
	/* what happened */
	int tls;
	bool got_hello;
	struct peer_hello their;
	bool got_abort;
	uint32_t abort_code;
	char abort_msg[1100];
	int pings;
	int end; /* 1: close_notify; < 0: error */
	uint64_t t_hello, t_end;
};

/* Reads until the peer closes, answering nothing. */
static void client_drain(struct tp_raw *r, struct client *c)
{
	struct peer_msg m;
	int rc;

	while ((rc = tp_raw_recv_msg(r, &m)) == 0) {
		if (m.type == FRAME_PEER_PING)
			c->pings++;
		if (m.type == FRAME_PEER_ABORT) {
			c->got_abort = true;
			c->abort_code = m.u.abort.reason.code;
			snprintf(c->abort_msg, sizeof(c->abort_msg), "%s",
				 m.u.abort.reason.message);
		}
		if (m.type == FRAME_PEER_HELLO && !c->got_hello) {
			c->got_hello = true;
			c->their = m.u.hello;
			c->t_hello = now_ms();
		}
		peer_msg_clear(&m);
	}
	c->end = rc;
	c->t_end = now_ms();
}

static void *client_run(void *arg)
{
	struct client *c = arg;
	struct peer_msg m;
	struct tp_raw *r = calloc(1, sizeof(*r));

	c->end = -EINVAL;
	if (!r || tp_raw_connect(r, c->port, false) < 0)
		goto out;
	c->tls = tp_raw_tls(r, c->ctx, TLS_ROLE_CLIENT);
	if (c->tls < 0)
		goto out;
	if (c->hello) {
		tp_hello(&m, c->min_version, c->version);
		if (tp_raw_send_msg(r, &m) < 0 || tp_raw_recv_msg(r, &m) != 0)
			goto out;
		c->got_hello = m.type == FRAME_PEER_HELLO;
		c->their = m.u.hello;
		c->t_hello = now_ms();
	}
	if (c->msg)
		tp_raw_send_msg(r, c->msg);
	if (c->send_frame)
		tp_raw_send_frame(r, c->type, c->flags, c->len, c->body, c->body_len);
	client_drain(r, c);
out:
	if (r)
		tp_raw_close(r);
	free(r);
	return NULL;
}

static struct tls_ctx *client_ctx(void)
{
	return tp_ctx("ca", "hosta", allow_ab, 2);
}

/* ---- version negotiation ---- */

START_TEST(test_incompatible_incoming)
{
	struct good g;
	struct client c = { .hello = true, .min_version = 99, .version = 99 };
	char needle[128];

	good_up(&g, NULL);
	c.ctx = client_ctx();
	c.port = tp_port(g.b, 0);
	tp_thread(client_run, &c, 10000);
	tls_ctx_unref(c.ctx);
	ck_assert_int_eq(c.tls, 0);
	ck_assert(c.got_hello);
	ck_assert_uint_eq(c.their.version, PROTO_VERSION);
	ck_assert_uint_eq(c.their.min_version, PROTO_MIN_VERSION);
	ck_assert(c.got_abort);
	ck_assert_uint_eq(c.abort_code, PROTO_ERR_INCOMPATIBLE);
	ck_assert_str_eq(c.abort_msg, "incompatible protocol: hostb speaks 1..1, you speak 99..99");
	ck_assert_int_eq(c.end, 1); /* then close_notify */
	snprintf(needle, sizeof(needle),
		 "(dns:hosta.test): incompatible protocol: we speak 1..1, it speaks 99..99; "
		 "upgrade");
	expect_log(needle);
	ck_assert_int_eq(tp_log_count("incompatible protocol: we speak"), 1);
	good_check_free(&g, 1);
}
END_TEST

/* ---- a raw server ---- */

struct server {
	struct tls_ctx *ctx;
	int lfd;
	bool ping_first;	       /* send a PING before the HELLO */
	uint32_t min_version, version; /* of our HELLO */
	int *go;		       /* if set: wait for *go, then send SERVER_PINGS PINGs ... */
	int *finish;		       /* ... and wait for *finish before closing */
	/* what happened */
	int tls;
	bool got_hello;
	struct peer_hello their;
	struct client seen; /* abort and end, as a client would record them */
};

/* PINGs a stalled server sends: more PONGs than the kernel buffers of a full link take. */
#define SERVER_PINGS 20000

static void wait_flag(int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static void *server_run(void *arg)
{
	struct server *s = arg;
	struct tp_raw *r = calloc(1, sizeof(*r));
	struct peer_msg m;

	s->seen.end = -EINVAL;
	if (!r || tp_raw_accept(r, s->lfd) < 0)
		goto out;
	s->tls = tp_raw_tls(r, s->ctx, TLS_ROLE_SERVER);
	if (s->tls < 0 || tp_raw_recv_msg(r, &m) != 0)
		goto out;
	s->got_hello = m.type == FRAME_PEER_HELLO;
	s->their = m.u.hello;
	memset(&m, 0, sizeof(m));
	m.type = FRAME_PEER_PING;
	m.u.ping.nonce = 1;
	if (s->ping_first)
		tp_raw_send_msg(r, &m);
	tp_hello(&m, s->min_version, s->version);
	tp_raw_send_msg(r, &m);
	if (s->go) {
		wait_flag(s->go);
		memset(&m, 0, sizeof(m));
		m.type = FRAME_PEER_PING;
		m.u.ping.nonce = 2;
		for (int i = 0; i < SERVER_PINGS && tp_raw_send_msg(r, &m) == 0; i++)
			;
		wait_flag(s->finish);
	} else {
		client_drain(r, &s->seen);
	}
out:
	if (r)
		tp_raw_close(r);
	free(r);
	return NULL;
}

static void server_init(struct server *s, uint32_t min_version, uint32_t version, int *port)
{
	memset(s, 0, sizeof(*s));
	s->ctx = tp_ctx("ca", "hostb", allow_ab, 2);
	s->lfd = tp_raw_listen(port);
	s->min_version = min_version;
	s->version = version;
}

static void server_free(struct server *s)
{
	tls_ctx_unref(s->ctx);
	close(s->lfd);
}

START_TEST(test_incompatible_outgoing)
{
	struct peer_set *a = tp_set("hosta", NULL, false);
	struct tp_conn c = { 0 };
	struct server s;
	char addr[64];
	int port;

	server_init(&s, 5, 9, &port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	ck_assert_int_eq(peer_connect(a, addr, NULL, 0, tp_connect_cb, &c), 0);
	tp_thread(server_run, &s, 10000);
	ck_assert(s.got_hello);
	ck_assert_uint_eq(s.their.version, PROTO_VERSION);
	ck_assert_str_eq(s.their.host_identity, "hosta");
	ck_assert(s.seen.got_abort);
	ck_assert_str_eq(s.seen.abort_msg,
			 "incompatible protocol: hosta speaks 1..1, you speak 5..9");
	ck_assert(c.done);
	ck_assert_int_eq(c.err, -EPROTONOSUPPORT);
	ck_assert_msg(strstr(c.why, "(dns:hostb.test): incompatible protocol: we speak 1..1, it "
				    "speaks 5..9"),
		      "%s", c.why);
	peer_set_free(a);
	server_free(&s);
}
END_TEST

START_TEST(test_frame_before_hello_outgoing)
{
	struct peer_set *a = tp_set("hosta", NULL, false);
	struct tp_conn c = { 0 };
	struct server s;
	char addr[64];
	int port;

	server_init(&s, 1, 1, &port);
	s.ping_first = true;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	ck_assert_int_eq(peer_connect(a, addr, NULL, 0, tp_connect_cb, &c), 0);
	tp_thread(server_run, &s, 10000);
	ck_assert(c.done);
	ck_assert_int_eq(c.err, -EPROTO);
	ck_assert_msg(strstr(c.why, "protocol error: PEER_PING frame before HELLO"), "%s", c.why);
	peer_set_free(a);
	server_free(&s);
}
END_TEST

/* ---- liveness ---- */

/* A peer that completes HELLO and then never sends again (as if SIGSTOPped). */
START_TEST(test_silent_peer)
{
	struct peer_options o;
	struct good g;
	struct client c = { .hello = true, .min_version = 1, .version = 1 };
	uint64_t took;

	tp_options(&o, "hostb");
	o.keepalive_interval_ms = 200;
	o.keepalive_count = 3;
	good_up(&g, &o);
	c.ctx = client_ctx();
	c.port = tp_port(g.b, 0);
	tp_thread(client_run, &c, 10000);
	tls_ctx_unref(c.ctx);
	ck_assert(c.got_hello);
	ck_assert_int_eq(c.end, 1);
	took = c.t_end - c.t_hello;
	/* Dead after interval * count of silence at the earliest, one interval more at most. */
	ck_assert_msg(took >= 600 && took <= 800 + 200 + 500, "closed after %llu ms",
		      (unsigned long long)took);
	ck_assert_int_ge(c.pings, 3);
	expect_log("(dns:hosta.test): no answer to 3 keepalives in 600 ms; closing");
	good_check_free(&g, 2);
}
END_TEST

START_TEST(test_handshake_timeout)
{
	struct peer_options o;
	struct good g;
	struct tp_raw tcp;
	struct client c = { 0 };
	struct timeval tv = { .tv_sec = 5 };
	uint64_t t0, took;
	char b;

	tp_options(&o, "hostb");
	o.handshake_timeout_ms = 300;
	good_up(&g, &o);
	/* Plain TCP that never says anything. */
	ck_assert_int_eq(tp_raw_connect(&tcp, tp_port(g.b, 0), false), 0);
	setsockopt(tcp.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now_ms();
	expect_log("handshake timed out after 300 ms in TLS_HANDSHAKE (peer.handshake_timeout)");
	took = now_ms() - t0;
	ck_assert_msg(took >= 290 && took < 1500, "took %llu ms", (unsigned long long)took);
	ck_assert_int_eq(read(tcp.fd, &b, 1), 0);
	tp_raw_close(&tcp);
	/* TLS done, but no first frame. */
	c.ctx = client_ctx();
	c.port = tp_port(g.b, 0);
	tp_thread(client_run, &c, 10000);
	tls_ctx_unref(c.ctx);
	ck_assert_int_eq(c.tls, 0);
	ck_assert_int_eq(c.end, 1);
	expect_log("(dns:hosta.test): handshake timed out after 300 ms in HELLO");
	/* metrics: only the first timed out in the TLS handshake */
	ck_assert_uint_eq(peer_set_tls_failures(g.b, PEER_TLS_FAIL_TIMEOUT), 1);
	ck_assert_uint_eq(peer_set_tls_failures(g.b, PEER_TLS_FAIL_PROTOCOL), 0);
	good_check_free(&g, 3);
}
END_TEST

/* ---- no TLS, bad certificates ---- */

START_TEST(test_plaintext_client)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct good g;
	struct tp_raw tcp;
	const char *line;

	good_up(&g, NULL);
	ck_assert_int_eq(tp_raw_connect(&tcp, tp_port(g.b, 0), false), 0);
	ck_assert_int_eq(write(tcp.fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	expect_log("TLS handshake failed");
	line = tp_log_find("TLS handshake failed");
	ck_assert_msg(strstr(line, "not speaking TLS") &&
			      strstr(line, "is the other end a vfio-migd peer port"),
		      "%s", line);
	ck_assert_uint_eq(peer_set_tls_failures(g.b, PEER_TLS_FAIL_PROTOCOL), 1);
	ck_assert_uint_eq(peer_set_tls_failures(g.b, PEER_TLS_FAIL_REFUSED), 0);
	tp_raw_close(&tcp);
	good_check_free(&g, 4);
}
END_TEST

/* A raw OpenSSL client: presents cert (a PKI stem, NULL for none), verifies nothing. */
struct ossl_client {
	int port;
	const char *cert;
};

static void *ossl_client_run(void *arg)
{
	struct ossl_client *o = arg;
	SSL_CTX *sc = SSL_CTX_new(TLS_client_method());
	struct tp_raw tcp;
	SSL *s = NULL;
	char b;

	if (!sc || tp_raw_connect(&tcp, o->port, false) < 0)
		goto out;
	SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
	if (o->cert) {
		SSL_CTX_use_certificate_file(sc, tp_pki(o->cert, ".crt"), SSL_FILETYPE_PEM);
		SSL_CTX_use_PrivateKey_file(sc, tp_pki(o->cert, ".key"), SSL_FILETYPE_PEM);
	}
	s = SSL_new(sc);
	SSL_set_fd(s, tcp.fd);
	/* TLS 1.3: the client may finish before the server rejects it; the read then fails. */
	if (SSL_connect(s) == 1)
		SSL_read(s, &b, 1);
	SSL_free(s);
	tp_raw_close(&tcp);
out:
	SSL_CTX_free(sc);
	return NULL;
}

static const struct {
	const char *cert;
	const char *why;
} cert_cases[] = {
	{ NULL, "every peer must present a certificate from our CA" },
	{ "other", "certificate verify failed" },
	{ "intruder", "matches no allow-list entry" },
	{ "expired", "certificate has expired" },
};

START_TEST(test_bad_client_cert)
{
	struct good g;
	struct ossl_client o = { .cert = cert_cases[_i].cert };
	const char *line;

	good_up(&g, NULL);
	o.port = tp_port(g.b, 0);
	tp_thread(ossl_client_run, &o, 10000);
	expect_log("TLS handshake failed");
	line = tp_log_find("TLS handshake failed");
	ck_assert_msg(strstr(line, cert_cases[_i].why) && strstr(line, "check tls.ca, tls.crl and "
								       "tls.allow"),
		      "%s", line);
	ck_assert_uint_eq(peer_set_tls_failures(g.b, PEER_TLS_FAIL_REFUSED), 1);
	ck_assert_uint_eq(peer_set_tls_failures(g.b, PEER_TLS_FAIL_PROTOCOL), 0);
	good_check_free(&g, 5);
}
END_TEST

/* Outgoing links that fail authentication: done gets -EACCES and the TLS layer's reason. */
START_TEST(test_connect_auth_failures)
{
	static const char *const only_wrong[] = { "dns:wrong.test" };
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct tls_ctx *ctx;
	struct tp_conn c;

	/* hostb does not know us: TLS 1.3 tells the client at its first read. */
	ctx = tp_ctx("ca", "hostb", only_wrong, 1);
	peer_set_set_tls(b, ctx);
	tls_ctx_unref(ctx);
	tp_connect(a, tp_addr(b), NULL, 0, &c);
	ck_assert_int_eq(c.err, -EACCES);
	ck_assert_msg(strstr(c.why, "peer rejected our certificate") &&
			      strstr(c.why, "check tls.ca, tls.crl and tls.allow"),
		      "%s", c.why);
	expect_log("matches no allow-list entry");
	/* We expect another name than the server's certificate has. */
	tp_connect(a, tp_addr(b), "hostc.test", PEER_CONNECT_NEW, &c);
	ck_assert_int_eq(c.err, -EACCES);
	ck_assert_msg(strstr(c.why, "TLS handshake failed") && strstr(c.why, "hostc.test"), "%s",
		      c.why);
	/* metrics: both count on the client, the first as refused after the handshake */
	ck_assert_uint_eq(peer_set_tls_failures(a, PEER_TLS_FAIL_REFUSED), 2);
	/* the server refused the first; the second ends on its side however the client left */
	ck_assert_uint_ge(peer_set_tls_failures(b, PEER_TLS_FAIL_REFUSED), 1);
	ck_assert_str_eq(peer_tls_failure_name(PEER_TLS_FAIL_TIMEOUT), "timeout");
	ck_assert_str_eq(peer_tls_failure_name(PEER_TLS_FAIL_COUNT), "?");
	ck_assert_uint_eq(peer_set_tls_failures(a, PEER_TLS_FAIL_COUNT), 0);
	ck_assert(tp_run_until(tp_no_links, a, 3000));
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* ---- malformed frames ---- */

static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff };
static const uint8_t data_body[12] = { 0 };

static const struct {
	const char *name;
	bool hello;
	uint16_t type, flags;
	uint32_t len;
	const uint8_t *body;
	size_t body_len;
	const char *why;
} frame_cases[] = {
	{ "unknown type", true, 0x7777, 0, 0, NULL, 0,
	  "protocol error: unknown frame type 0x7777" },
	{ "nonzero flags", true, FRAME_PEER_PING, 1, 0, NULL, 0,
	  "protocol error: PEER_PING frame with flags 0x0001 (must be 0)" },
	{ "over cap", true, FRAME_PEER_PING, 0, 1000, NULL, 0,
	  "protocol error: PEER_PING frame of 1000 bytes (its cap is 32)" },
	{ "huge", true, FRAME_PEER_PREPARE, 0, 0xffffffffu, NULL, 0,
	  "protocol error: PEER_PREPARE frame of 4294967295 bytes (its cap is 4456448)" },
	{ "garbage body", true, FRAME_PEER_PING, 0, 4, garbage, 4,
	  "protocol error: undecodable PEER_PING frame" },
	{ "peer frame first", false, FRAME_PEER_PING, 0, 0, NULL, 0,
	  "protocol error: first frame is PEER_PING; expected PEER_HELLO (control link) or "
	  "STREAM_HELLO (data stream)" },
	{ "data on control link", true, FRAME_STREAM_DATA, 0, 12, data_body, 12,
	  "protocol error: STREAM_DATA frame on a peer control link (it belongs on a data "
	  "stream)" },
	{ "control socket frame", true, FRAME_CTL_REQUEST, 0, 0, NULL, 0,
	  "protocol error: CTL_REQUEST frame on a peer control link (it belongs on the control "
	  "socket)" },
	{ "short data", true, FRAME_STREAM_DATA, 0, 4, data_body, 4,
	  "protocol error: STREAM_DATA frame of 4 bytes is too short" },
	{ "second hello", true, 0, 0, 0, NULL, 0, "protocol error: second PEER_HELLO" },
};

START_TEST(test_malformed_frame)
{
	struct good g;
	struct client c = { .hello = frame_cases[_i].hello, .min_version = 1, .version = 1 };
	struct peer_msg hello;
	char needle[512];

	good_up(&g, NULL);
	c.ctx = client_ctx();
	c.port = tp_port(g.b, 0);
	if (frame_cases[_i].type) {
		c.send_frame = true;
		c.type = frame_cases[_i].type;
		c.flags = frame_cases[_i].flags;
		c.len = frame_cases[_i].len;
		c.body = frame_cases[_i].body;
		c.body_len = frame_cases[_i].body_len;
	} else {
		tp_hello(&hello, 1, 1);
		c.msg = &hello;
	}
	tp_thread(client_run, &c, 10000);
	tls_ctx_unref(c.ctx);
	ck_assert_int_eq(c.tls, 0);
	ck_assert_msg(c.end == 1, "%s: end %d", frame_cases[_i].name, c.end);
	snprintf(needle, sizeof(needle), "(dns:hosta.test): %s", frame_cases[_i].why);
	expect_log(needle);
	ck_assert_int_eq(tp_log_count("protocol error"), 1);
	good_check_free(&g, 6);
}
END_TEST

/* ---- incoming data streams ---- */

static int sockopt_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

struct stream_rec {
	int calls;
	int keepalive, user_timeout, nodelay; /* socket options of the handed-over fd */
	struct peer_stream_hello hello;
	char identity[256];
	uint8_t data[64];
	size_t len;
};

/* Takes the stream: reads the DATA frame that followed the hello, answers a STREAM_ACK. */
static void stream_take(struct peer_stream_handoff *s, void *arg)
{
	struct stream_rec *r = arg;
	struct timeval tv = { .tv_sec = 5 };
	struct peer_msg ack;
	uint8_t *buf;
	size_t len;
	ssize_t n;

	r->calls++;
	r->keepalive = sockopt_int(s->fd, SOL_SOCKET, SO_KEEPALIVE);
	r->user_timeout = sockopt_int(s->fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
	r->nodelay = sockopt_int(s->fd, IPPROTO_TCP, TCP_NODELAY);
	r->hello = s->hello;
	snprintf(r->identity, sizeof(r->identity), "%s", s->identity);
	memcpy(r->data, s->rest, s->rest_len < sizeof(r->data) ? s->rest_len : sizeof(r->data));
	r->len = s->rest_len;
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (r->len < FRAME_HDR_LEN + sizeof(data_body)) {
		n = tls_conn_read(s->tls, r->data + r->len, sizeof(r->data) - r->len);
		if (n <= 0)
			break;
		r->len += (size_t)n;
	}
	memset(&ack, 0, sizeof(ack));
	ack.type = FRAME_STREAM_ACK;
	ack.u.stream_ack.device_index = s->hello.device_index;
	ack.u.stream_ack.bytes = 4;
	if (peer_msg_encode(&ack, &buf, &len) == 0) {
		tls_conn_write(s->tls, buf, len);
		free(buf);
	}
	tls_conn_shutdown(s->tls);
	tls_conn_free(s->tls);
	close(s->fd);
}

/* Sends STREAM_HELLO and a DATA frame in one write, then reads what comes back. */
struct stream_client {
	struct tls_ctx *ctx;
	int port;
	int tls;
	bool got_ack;
	uint64_t ack_bytes;
	int end;
};

static void *stream_client_run(void *arg)
{
	struct stream_client *c = arg;
	struct tp_raw *r = calloc(1, sizeof(*r));
	uint8_t *hello, both[512];
	size_t hello_len;
	struct peer_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.type = FRAME_STREAM_HELLO;
	m.u.stream_hello.job_id = 77;
	m.u.stream_hello.device_index = 3;
	snprintf(m.u.stream_hello.token, sizeof(m.u.stream_hello.token), "tok-123");
	c->end = -EINVAL;
	if (!r || tp_raw_connect(r, c->port, false) < 0 || peer_msg_encode(&m, &hello, &hello_len))
		goto out;
	c->tls = tp_raw_tls(r, c->ctx, TLS_ROLE_CLIENT);
	memcpy(both, hello, hello_len);
	free(hello);
	frame_encode(FRAME_STREAM_DATA, data_body, sizeof(data_body), both + hello_len,
		     sizeof(both) - hello_len);
	if (c->tls < 0 || tp_raw_send(r, both, hello_len + FRAME_HDR_LEN + sizeof(data_body)))
		goto out;
	while ((rc = tp_raw_recv_msg(r, &m)) == 0) {
		c->got_ack |= m.type == FRAME_STREAM_ACK;
		c->ack_bytes = m.u.stream_ack.bytes;
	}
	c->end = rc;
out:
	if (r)
		tp_raw_close(r);
	free(r);
	return NULL;
}

START_TEST(test_stream_handoff)
{
	struct good g;
	struct stream_rec rec = { 0 };
	struct stream_client c = { 0 };

	good_up(&g, NULL);
	peer_set_on_stream(g.b, stream_take, &rec);
	c.ctx = client_ctx();
	c.port = tp_port(g.b, 0);
	tp_thread(stream_client_run, &c, 10000);
	tls_ctx_unref(c.ctx);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_uint_eq(rec.hello.job_id, 77);
	ck_assert_uint_eq(rec.hello.device_index, 3);
	ck_assert_str_eq(rec.hello.token, "tok-123");
	ck_assert_str_eq(rec.identity, "dns:hosta.test");
	/* Data streams: the kernel watches liveness; no TCP_NODELAY (bulk data). */
	ck_assert_int_eq(rec.keepalive, 1);
	ck_assert_int_eq(rec.user_timeout, 30000);
	ck_assert_int_eq(rec.nodelay, 0);
	/* rest + what the callee read = exactly the DATA frame sent after the hello */
	ck_assert_uint_eq(rec.len, FRAME_HDR_LEN + sizeof(data_body));
	ck_assert_uint_eq(rec.data[5], FRAME_STREAM_DATA & 0xff);
	ck_assert(c.got_ack);
	ck_assert_uint_eq(c.ack_bytes, 4);
	ck_assert_int_eq(c.end, 1);
	expect_log("(dns:hosta.test): data stream for job 77 device 3 handed over");
	ck_assert_int_eq(tp_count_links(g.b, PEER_LINK_READY), 1);
	good_check_free(&g, 7);
}
END_TEST

START_TEST(test_stream_refused)
{
	struct good g;
	struct stream_client c = { 0 };

	good_up(&g, NULL);
	c.ctx = client_ctx();
	c.port = tp_port(g.b, 0);
	tp_thread(stream_client_run, &c, 10000);
	tls_ctx_unref(c.ctx);
	ck_assert(!c.got_ack);
	ck_assert_int_eq(c.end, 1);
	expect_log("(dns:hosta.test): data stream for job 77 device 3 refused: no migration "
		   "expects a data stream");
	good_check_free(&g, 8);
}
END_TEST

/* ---- resources ---- */

/* Queues frames until the output is full, the large ones first: how many went in. */
static int fill_output(struct peer_link *link, const struct peer_msg *big,
		       const struct peer_msg *small)
{
	int n = 0, r;

	while ((r = peer_link_send(link, big)) == 0)
		n++;
	ck_assert_int_eq(r, -ENOBUFS);
	while ((r = peer_link_send(link, small)) == 0)
		n++;
	ck_assert_int_eq(r, -ENOBUFS);
	/* Refused, not closed: the caller decides what a full link means for its job. */
	ck_assert_int_eq(peer_link_state(link), PEER_LINK_READY);
	return n;
}

/*
 * A peer that stops reading: sends are refused once max_buffer bytes wait, and the link is
 * closed when a frame of its own cannot be queued: the PONGs to a burst of PINGs (a burst,
 * because a socket that poll() does not call writable may still take a few kilobytes).
 */
START_TEST(test_output_cap)
{
	struct peer_options o;
	struct peer_set *a;
	struct server s;
	struct tp_conn c = { 0 };
	struct peer_msg big, small;
	pthread_t th;
	char addr[64];
	int port, go = 0, finish = 0, quiet = 0, small_buf = 4096;

	tp_options(&o, "hosta");
	o.max_buffer = PEER_BUFFER_MIN;
	o.keepalive_interval_ms = 0;
	a = tp_set("hosta", &o, false);
	server_init(&s, 1, 1, &port);
	/* A fixed, small receive window: the kernel buffers stop growing once full. */
	setsockopt(s.lfd, SOL_SOCKET, SO_RCVBUF, &small_buf, sizeof(small_buf));
	s.go = &go;
	s.finish = &finish;
	ck_assert_int_eq(pthread_create(&th, NULL, server_run, &s), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	tp_connect(a, addr, NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	memset(&big, 0, sizeof(big));
	big.type = FRAME_PEER_ABORT;
	big.u.abort.job_id = 1;
	big.u.abort.reason.code = PROTO_ERR_INTERNAL;
	memset(big.u.abort.reason.message, 'x', 1000);
	/* The smallest frame, 10 bytes, as large as a PONG for nonce 2. */
	memset(&small, 0, sizeof(small));
	small.type = FRAME_PEER_COMMIT;
	small.u.notice.job_id = 1;
	/* Let the loop push into the kernel until it takes nothing more, ending full. */
	for (int round = 0; round < 500 && quiet < 5; round++) {
		tp_run_for(10);
		quiet = fill_output(c.link, &big, &small) ? 0 : quiet + 1;
	}
	ck_assert_int_eq(quiet, 5);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	expect_log("peer is not reading: ");
	ck_assert_msg(tp_log_find("wait to be sent (at most 4456456)"), "%s",
		      tp_log_find("peer is not reading"));
	ck_assert(tp_run_until(tp_no_links, a, 5000));
	__atomic_store_n(&finish, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	peer_set_free(a);
	server_free(&s);
}
END_TEST

/* A TLS client and HELLO exchange on an already connected raw socket. */
struct late_client {
	struct tp_raw *r;
	struct tls_ctx *ctx;
	int tls;
	bool got_hello;
};

static void *late_client_run(void *arg)
{
	struct late_client *c = arg;
	struct peer_msg m;

	c->tls = tp_raw_tls(c->r, c->ctx, TLS_ROLE_CLIENT);
	tp_hello(&m, 1, 1);
	if (c->tls == 0 && tp_raw_send_msg(c->r, &m) == 0 && tp_raw_recv_msg(c->r, &m) == 0)
		c->got_hello = m.type == FRAME_PEER_HELLO;
	return NULL;
}

/* Out of file descriptors: the listener pauses, logs, and accepts again later. */
START_TEST(test_accept_emfile)
{
	struct good g;
	struct rlimit old, tight;
	struct tp_raw *r = calloc(1, sizeof(*r));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct late_client c = { .r = r };
	int lowest;

	good_up(&g, NULL);
	ck_assert_ptr_nonnull(r);
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(r->fd, 0);
	sa.sin_port = htons((uint16_t)tp_port(g.b, 0));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.ctx = client_ctx();
	/* Every descriptor below the lowest free one is in use: allow no more than those. */
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight = old;
	tight.rlim_cur = (rlim_t)lowest;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	ck_assert_int_eq(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	expect_log("accept failed, pausing for 1000 ms");
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert(tp_log_find("Too many open files"));
	/* The connection waited in the backlog and is served once the listener resumes. */
	tp_thread(late_client_run, &c, 10000);
	ck_assert(tp_log_find("accepting again"));
	ck_assert_int_eq(c.tls, 0);
	ck_assert(c.got_hello);
	tp_wait_ready(g.b, 2);
	tls_ctx_unref(c.ctx);
	tp_raw_close(r);
	free(r);
	good_check_free(&g, 9);
}
END_TEST

TCase *peer_bad_tcase(void)
{
	TCase *tc = tcase_create("misbehaving peers");

	tcase_add_checked_fixture(tc, tp_setup, tp_teardown);
	tcase_add_test(tc, test_incompatible_incoming);
	tcase_add_test(tc, test_incompatible_outgoing);
	tcase_add_test(tc, test_frame_before_hello_outgoing);
	tcase_add_test(tc, test_silent_peer);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_plaintext_client);
	tcase_add_loop_test(tc, test_bad_client_cert, 0,
			    sizeof(cert_cases) / sizeof(cert_cases[0]));
	tcase_add_test(tc, test_connect_auth_failures);
	tcase_add_loop_test(tc, test_malformed_frame, 0,
			    sizeof(frame_cases) / sizeof(frame_cases[0]));
	tcase_add_test(tc, test_stream_handoff);
	tcase_add_test(tc, test_stream_refused);
	tcase_add_test(tc, test_output_cap);
	tcase_add_test(tc, test_accept_emfile);
	return tc;
}
