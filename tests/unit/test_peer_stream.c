/*
 * test_peer_stream.c - outgoing data streams of daemon/peer/ (peer_stream_connect(),
 * peer_stream_cancel()) against a peer set listening in the same loop, with real TLS from the
 * test PKI, and daemon/migrate/stream workers on both ends of the connections they make:
 * the hand-over on both sides (fields, identities, socket options, not a control link), a sim
 * device's state moved end to end through them (SEND from the dialed connection, RECV from
 * the handed-over one with its `rest` as prefix), bytes read past the STREAM_HELLO by the
 * listener, and the failures: closed port, TLS refusals, a listener without a stream
 * callback, handshake timeout, no TLS, link limit, bad hello, cancel and peer_set_free().
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "digest.h"
#include "frame.h"
#include "sim_helpers.h"
#include "stream.h"
#include "test_peer_util.h"

#define JOB	41
#define INDEX	2
#define SPEC	"size=8M,flags=stop_copy|p2p"
#define WAIT_MS 10000

static const char *const allow_ab[] = { "dns:hosta.test", "dns:hostb.test" };

static struct peer_stream_hello hello_of(uint64_t job, uint32_t index)
{
	struct peer_stream_hello h = { .job_id = job, .device_index = index };

	snprintf(h.token, sizeof(h.token), "tok-%llu", (unsigned long long)job);
	return h;
}

static int sockopt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

/* ---- the dialing side: what done saw ---- */

struct dialed {
	int calls;
	int err;
	bool had_s; /* s was not NULL */
	char why[1024];
	int fd;
	struct tls_conn *tls;
	char addr[300], identity[256], fingerprint[TLS_FINGERPRINT_HEX_LEN];
	int keepalive, user_timeout, nodelay;
};

static void dialed_cb(void *arg, int err, const char *why, struct peer_stream_dialed *s)
{
	struct dialed *d = arg;

	d->calls++;
	d->err = err;
	d->had_s = s != NULL;
	snprintf(d->why, sizeof(d->why), "%s", why);
	d->fd = -1;
	if (!s)
		return;
	d->fd = s->fd;
	d->tls = s->tls;
	snprintf(d->addr, sizeof(d->addr), "%s", s->addr);
	snprintf(d->identity, sizeof(d->identity), "%s", s->identity);
	snprintf(d->fingerprint, sizeof(d->fingerprint), "%s", s->fingerprint);
	d->keepalive = sockopt(s->fd, SOL_SOCKET, SO_KEEPALIVE);
	d->user_timeout = sockopt(s->fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
	d->nodelay = sockopt(s->fd, IPPROTO_TCP, TCP_NODELAY);
}

static bool dialed_done(void *arg)
{
	return ((struct dialed *)arg)->calls > 0;
}

/* The links peer_set_links() lists. */
static int count_links(struct peer_set *set)
{
	int n = 0;

	for (struct peer_link *l = peer_set_links(set, NULL); l; l = peer_set_links(set, l))
		n++;
	return n;
}

/* peer_stream_connect() that must be accepted, then the loop until done ran. */
static void dial(struct peer_set *set, const char *addr, const char *expect_host, struct dialed *d)
{
	struct peer_stream_hello h = hello_of(JOB, INDEX);
	int links = count_links(set);

	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(peer_stream_connect(set, addr, expect_host, &h, dialed_cb, d), 0);
	ck_assert_msg(d->calls == 0, "done called from inside peer_stream_connect()");
	ck_assert_int_eq(count_links(set), links); /* never a control link */
	if (!tp_run_until(dialed_done, d, WAIT_MS)) {
		tp_log_dump();
		ck_abort_msg("peer_stream_connect(%s) did not finish", addr);
	}
	ck_assert_int_eq(d->calls, 1);
	ck_assert(d->had_s == (d->err == 0));
}

static void dialed_close(struct dialed *d)
{
	tls_conn_free(d->tls);
	if (d->fd >= 0)
		close(d->fd);
	d->tls = NULL;
	d->fd = -1;
}

/* ---- the listening side: what the stream callback saw, and a RECV stream if asked ---- */

struct taken {
	int calls;
	struct peer_stream_hello hello;
	char identity[256];
	size_t rest_len;
	int fd;
	struct tls_conn *tls;
	struct backend *dst; /* not NULL: start a RECV stream into it, with rest as prefix */
	struct stream *recv;
};

static void taken_cb(struct peer_stream_handoff *s, void *arg)
{
	struct taken *t = arg;
	struct stream_config c = {
		.role = STREAM_RECV,
		.name = "dst",
		.backend = t->dst,
		.fd = s->fd,
		.tls = s->tls,
		.prefix = s->rest,
		.prefix_len = s->rest_len,
		.device_index = s->hello.device_index,
	};

	t->calls++;
	t->hello = s->hello;
	snprintf(t->identity, sizeof(t->identity), "%s", s->identity);
	t->rest_len = s->rest_len;
	t->fd = s->fd;
	t->tls = s->tls;
	if (t->dst) {
		ck_assert_int_eq(stream_start(&c, &t->recv), 0);
		t->fd = -1;
		t->tls = NULL;
	}
}

static bool taken_done(void *arg)
{
	return ((struct taken *)arg)->calls > 0;
}

static void taken_close(struct taken *t)
{
	tls_conn_free(t->tls);
	if (t->fd >= 0)
		close(t->fd);
	t->tls = NULL;
	t->fd = -1;
}

/* ---- hand-over ---- */

/* Both sides get the connection; neither counts it as a control link. */
START_TEST(test_handoff)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct taken t = { .fd = -1 };
	char fp[TLS_FINGERPRINT_HEX_LEN], addr[64], needle[256];
	struct tp_conn c;
	struct dialed d;

	peer_set_on_stream(b, taken_cb, &t);
	snprintf(addr, sizeof(addr), "%s", tp_addr(b));
	dial(a, addr, "hostb.test", &d);
	ck_assert_msg(d.err == 0, "%s", d.why);
	ck_assert_str_eq(d.why, "");
	ck_assert_str_eq(d.addr, addr);
	ck_assert_str_eq(d.identity, "dns:hostb.test");
	tp_cert_fingerprint("hostb", fp);
	ck_assert_str_eq(d.fingerprint, fp);
	ck_assert_str_eq(tls_conn_version(d.tls), "TLSv1.3");
	/* Data streams: the kernel watches liveness; no TCP_NODELAY (bulk data). */
	ck_assert_int_eq(d.keepalive, 1);
	ck_assert_int_eq(d.user_timeout, 30000);
	ck_assert_int_eq(d.nodelay, 0);
	ck_assert_msg(tp_run_until(taken_done, &t, WAIT_MS), "no hand-over on the listener");
	ck_assert_int_eq(t.calls, 1);
	ck_assert_uint_eq(t.hello.job_id, JOB);
	ck_assert_uint_eq(t.hello.device_index, INDEX);
	ck_assert_str_eq(t.hello.token, "tok-41");
	ck_assert_str_eq(t.identity, "dns:hosta.test");
	ck_assert_uint_eq(t.rest_len, 0); /* nothing was sent after the hello */
	snprintf(needle, sizeof(needle),
		 "peer %s (dns:hostb.test): data stream for job 41 device 2: connected (TLSv1.3",
		 addr);
	ck_assert_msg(tp_log_find(needle), "not logged: %s", needle);
	ck_assert(tp_log_find("(dns:hosta.test): data stream for job 41 device 2 handed over"));
	/* Neither set has a link left, and a control link to the same peer is a new one. */
	ck_assert(tp_no_links(a) && tp_no_links(b));
	tp_connect(a, addr, "hostb.test", 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	tp_wait_ready(b, 1);
	ck_assert_int_eq(tp_count_links(a, PEER_LINK_READY), 1);
	ck_assert_int_eq(tp_log_count("link up"), 2); /* that one, on both sides */
	dialed_close(&d);
	taken_close(&t);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* ---- a device's state end to end ---- */

static void notify_nop(struct stream *s, void *arg)
{
}

/* SEND on the dialed connection, RECV on the handed-over one: the destination device ends up
 * holding exactly the source's state. */
START_TEST(test_end_to_end)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct backend *src = mk(SPEC ",seed=5"), *dst = mk(SPEC ",seed=1005");
	struct taken t = { .fd = -1, .dst = dst };
	struct stream_stats ss, rs;
	struct stream_config c;
	struct stream *send = NULL;
	uint8_t want[32], got[32];
	struct dialed d;

	go(src, FSM_STOP_COPY);
	go(dst, FSM_RESUMING);
	peer_set_on_stream(b, taken_cb, &t);
	dial(a, tp_addr(b), NULL, &d);
	ck_assert_msg(d.err == 0, "%s", d.why);
	c = (struct stream_config){ .role = STREAM_SEND,
				    .name = "src",
				    .backend = src,
				    .fd = d.fd,
				    .tls = d.tls,
				    .device_index = INDEX,
				    .notify = notify_nop };
	ck_assert_int_eq(stream_start(&c, &send), 0);
	ck_assert_msg(tp_run_until(taken_done, &t, WAIT_MS), "no hand-over on the listener");
	ck_assert_ptr_nonnull(t.recv);
	ck_assert_int_eq(stream_wait(send, 60000), 0);
	ck_assert_int_eq(stream_wait(t.recv, 60000), 0);
	stream_stats(send, &ss);
	stream_stats(t.recv, &rs);
	ck_assert_msg(ss.state == STREAM_DONE, "send: %s", ss.message);
	ck_assert_msg(rs.state == STREAM_DONE, "recv: %s", rs.message);
	ck_assert_uint_ge(ss.bytes, 8u << 20);
	ck_assert_uint_eq(ss.bytes, rs.bytes);
	ck_assert_uint_eq(ss.bytes_acked, ss.bytes);
	ck_assert(ss.end && rs.end);
	go(dst, FSM_STOP);
	digest_of(src, want);
	digest_of(dst, got);
	ck_assert_mem_eq(want, got, 32);
	stream_free(send);
	stream_free(t.recv);
	backend_free(src);
	backend_free(dst);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/*
 * Bytes past the STREAM_HELLO: a raw source writes the hello, every DATA frame and END in one
 * write, so the listener's first read brings the hello and DATA (its `rest`); the RECV stream
 * started from the hand-over must take them first, then the rest from TLS.
 */
struct eager_source {
	int port;
	struct tls_ctx *ctx;
	const struct buf *wire; /* everything to send, in one write */
	int rc;
	uint64_t acked;
	int end; /* 1: close_notify after the acks */
};

static void eager_append(struct buf *w, uint16_t type, const struct peer_msg *m)
{
	uint8_t *enc;
	size_t len;

	ck_assert_int_eq(type, m->type);
	ck_assert_int_eq(peer_msg_encode(m, &enc, &len), 0);
	buf_add(w, enc, len);
	free(enc);
}

/* Everything the source sends: STREAM_HELLO, DATA frames of 3000 bytes, STREAM_END. */
static void eager_wire(const struct buf *data, struct buf *w)
{
	struct peer_msg m = { .type = FRAME_STREAM_HELLO };
	uint8_t prefix[FRAME_DATA_PREFIX];
	uint64_t seq = 0;
	size_t k;

	m.u.stream_hello = hello_of(JOB, INDEX);
	eager_append(w, FRAME_STREAM_HELLO, &m);
	for (size_t off = 0; off < data->len; off += k) {
		k = data->len - off < 3000 ? data->len - off : 3000;
		ck_assert_int_eq(frame_data_prefix_encode(seq++, k, prefix), 0);
		buf_add(w, prefix, sizeof(prefix));
		buf_add(w, data->p + off, k);
	}
	m = (struct peer_msg){ .type = FRAME_STREAM_END };
	m.u.stream_end.device_index = INDEX;
	m.u.stream_end.bytes = data->len;
	ck_assert_int_eq(digest_buffer(data->p, data->len, m.u.stream_end.sha256), 0);
	eager_append(w, FRAME_STREAM_END, &m);
}

/* Runs in a thread (no Check calls): one write of w, then acks until the end. */
static void *eager_run(void *arg)
{
	struct eager_source *e = arg;
	struct tp_raw *r = calloc(1, sizeof(*r));
	const struct buf *w = e->wire;
	struct peer_msg m;
	int rc;

	e->rc = -EINVAL;
	if (!r || tp_raw_connect(r, e->port, false) < 0)
		goto out;
	e->rc = tp_raw_tls(r, e->ctx, TLS_ROLE_CLIENT);
	if (e->rc == 0)
		e->rc = tp_raw_send(r, w->p, w->len);
	while (e->rc == 0 && (rc = tp_raw_recv_msg(r, &m)) == 0)
		if (m.type == FRAME_STREAM_ACK)
			e->acked = m.u.stream_ack.bytes;
	if (e->rc == 0)
		e->end = rc;
out:
	if (r)
		tp_raw_close(r);
	free(r);
	return NULL;
}

START_TEST(test_rest_consumed)
{
	struct peer_set *b = tp_set("hostb", NULL, true);
	struct backend *src = mk("size=256K,flags=stop_copy|p2p"),
		       *dst = mk("size=256K,flags=stop_copy|p2p,seed=77");
	struct taken t = { .fd = -1, .dst = dst };
	struct buf data = { 0 }, wire = { 0 };
	struct eager_source e = { .wire = &wire };
	struct stream_stats rs;
	uint8_t want[32], got[32];

	go(src, FSM_STOP_COPY);
	ck_assert_int_eq(drain(src, 65536, &data), 0);
	eager_wire(&data, &wire);
	go(dst, FSM_RESUMING);
	peer_set_on_stream(b, taken_cb, &t);
	e.port = tp_port(b, 0);
	e.ctx = tp_ctx("ca", "hosta", allow_ab, 2);
	tp_thread(eager_run, &e, 30000);
	ck_assert_int_eq(e.rc, 0);
	ck_assert_int_eq(t.calls, 1);
	/* The first read took a whole TLS record: the hello and DATA after it. */
	ck_assert_uint_gt(t.rest_len, FRAME_DATA_PREFIX);
	ck_assert_int_eq(stream_wait(t.recv, WAIT_MS), 0);
	stream_stats(t.recv, &rs);
	ck_assert_msg(rs.state == STREAM_DONE, "recv: %s", rs.message);
	ck_assert_uint_eq(rs.bytes, data.len);
	ck_assert_uint_eq(e.acked, data.len);
	ck_assert_int_eq(e.end, 1);
	go(dst, FSM_STOP);
	digest_of(src, want);
	digest_of(dst, got);
	ck_assert_mem_eq(want, got, 32);
	stream_free(t.recv);
	tls_ctx_unref(e.ctx);
	buf_free(&data);
	buf_free(&wire);
	backend_free(src);
	backend_free(dst);
	peer_set_free(b);
}
END_TEST

/* ---- failures ---- */

static int free_port(void)
{
	int port, fd = tp_raw_listen(&port);

	close(fd);
	return port;
}

START_TEST(test_refused_port)
{
	struct peer_set *a = tp_set("hosta", NULL, false);
	char addr[64], needle[256];
	struct dialed d;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	dial(a, addr, NULL, &d);
	ck_assert_int_eq(d.err, -ECONNREFUSED);
	snprintf(needle, sizeof(needle),
		 "peer %s: data stream for job 41 device 2: connect to %s: Connection refused",
		 addr, addr);
	ck_assert_msg(strstr(d.why, needle), "%s", d.why);
	ck_assert_msg(tp_log_find(needle), "not logged: %s", needle);
	ck_assert(tp_run_until(tp_no_links, a, 3000));
	peer_set_free(a);
}
END_TEST

static bool two_failures(void *arg)
{
	return tp_log_count("TLS handshake failed") >= 2;
}

/* We refuse the listener's certificate: a CA we do not trust (0), or not the host we expect
 * (1). */
START_TEST(test_tls_refused)
{
	struct peer_set *a, *b = tp_set("hostb", NULL, true);
	struct peer_options o;
	struct tls_ctx *ctx;
	struct dialed d;

	tp_options(&o, "hosta");
	ck_assert_int_eq(peer_set_new(tp_base, &o, &a), 0);
	ctx = _i == 0 ? tp_ctx("other-ca", "other", allow_ab, 2)
		      : tp_ctx("ca", "hosta", allow_ab, 2);
	peer_set_set_tls(a, ctx);
	tls_ctx_unref(ctx);
	peer_set_on_stream(b, taken_cb, &(struct taken){ .fd = -1 });
	dial(a, tp_addr(b), _i == 0 ? NULL : "wrong.test", &d);
	ck_assert_int_eq(d.err, -EACCES);
	ck_assert_msg(strstr(d.why, "data stream for job 41 device 2: TLS handshake failed: ") &&
			      strstr(d.why, "check tls.ca, tls.crl and tls.allow"),
		      "%s", d.why);
	ck_assert_msg(tp_log_find(d.why), "not logged: %s", d.why);
	/* The listener saw the handshake fail too, and handed nothing over. */
	ck_assert(tp_run_until(two_failures, NULL, WAIT_MS));
	ck_assert_int_eq(tp_log_count("handed over"), 0);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* A non-blocking read on a handed-over connection, as a tp_run_until() condition: the
 * listener runs in the same loop. */
struct outcome {
	struct tls_conn *tls;
	ssize_t n;
};

static bool read_done(void *arg)
{
	struct outcome *o = arg;
	uint8_t buf[256];

	o->n = tls_conn_read(o->tls, buf, sizeof(buf));
	return o->n != -EAGAIN;
}

/* Reads from a handed-over connection until something other than "wait" comes back. */
static ssize_t read_outcome(struct tls_conn *tls)
{
	struct outcome o = { .tls = tls, .n = -EAGAIN };

	tp_run_until(read_done, &o, WAIT_MS);
	return o.n;
}

/* The listener refuses our certificate (hosta is not on its allow-list). In TLS 1.3 our side
 * of the handshake may be over before it says so: done fails, or the first read does. */
START_TEST(test_tls_refused_by_listener)
{
	static const char *const allow_b[] = { "dns:hostb.test" };
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct tls_ctx *ctx = tp_ctx("ca", "hostb", allow_b, 1);
	struct dialed d;

	peer_set_set_tls(b, ctx);
	tls_ctx_unref(ctx);
	peer_set_on_stream(b, taken_cb, &(struct taken){ .fd = -1 });
	dial(a, tp_addr(b), NULL, &d);
	if (d.err == 0)
		ck_assert_int_eq(read_outcome(d.tls), -EACCES);
	else
		ck_assert_msg(d.err == -EACCES, "%d %s", d.err, d.why);
	ck_assert(tp_log_wait("matches no allow-list entry", WAIT_MS));
	ck_assert_int_eq(tp_log_count("handed over"), d.err == 0);
	dialed_close(&d);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* A listener that expects no data stream takes the connection and closes it. */
START_TEST(test_no_stream_callback)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct dialed d;

	dial(a, tp_addr(b), NULL, &d);
	ck_assert_msg(d.err == 0, "%s", d.why);
	ck_assert_int_eq(read_outcome(d.tls), 0); /* close_notify */
	ck_assert(tp_log_wait("(dns:hosta.test): data stream for job 41 device 2 refused: no "
			      "migration expects a data stream",
			      WAIT_MS));
	dialed_close(&d);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* A listener that never speaks TLS: the set's handshake timeout applies. */
START_TEST(test_handshake_timeout)
{
	struct peer_options o;
	struct peer_set *a;
	char addr[64];
	int port, lfd = tp_raw_listen(&port);
	struct dialed d;

	tp_options(&o, "hosta");
	o.handshake_timeout_ms = 300;
	a = tp_set("hosta", &o, false);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	dial(a, addr, NULL, &d);
	ck_assert_int_eq(d.err, -ETIMEDOUT);
	ck_assert_msg(strstr(d.why, "data stream for job 41 device 2: handshake timed out after "
				    "300 ms in TLS_HANDSHAKE (peer.handshake_timeout)"),
		      "%s", d.why);
	peer_set_free(a);
	close(lfd);
}
END_TEST

START_TEST(test_no_tls)
{
	struct peer_options o;
	struct peer_set *a;
	struct dialed d;

	tp_options(&o, "hosta");
	ck_assert_int_eq(peer_set_new(tp_base, &o, &a), 0);
	dial(a, "127.0.0.1:1", NULL, &d);
	ck_assert_int_eq(d.err, -ENOKEY);
	ck_assert_msg(strstr(d.why, "data stream for job 41 device 2: no TLS material configured"),
		      "%s", d.why);
	peer_set_free(a);
}
END_TEST

/* A data stream being dialed counts against max_links like any connection. */
START_TEST(test_max_links)
{
	struct peer_options o;
	struct peer_set *a, *b = tp_set("hostb", NULL, true);
	struct tp_conn c;
	struct dialed d;

	tp_options(&o, "hosta");
	o.max_links = 1;
	a = tp_set("hosta", &o, false);
	tp_connect(a, tp_addr(b), NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	dial(a, tp_addr(b), NULL, &d);
	ck_assert_int_eq(d.err, -EMFILE);
	ck_assert_msg(strstr(d.why, "1 links open already (peer.max_links)"), "%s", d.why);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* Bad arguments are refused at once and done is never called. */
START_TEST(test_bad_arguments)
{
	struct peer_set *a = tp_set("hosta", NULL, false);
	struct peer_stream_hello h = hello_of(JOB, INDEX);
	struct dialed d = { 0 };

	ck_assert_int_eq(peer_stream_connect(a, "127.0.0.1:1", NULL, &h, NULL, &d), -EINVAL);
	ck_assert_int_eq(peer_stream_connect(a, "127.0.0.1:1", NULL, NULL, dialed_cb, &d), -EINVAL);
	h.job_id = 0;
	ck_assert_int_eq(peer_stream_connect(a, "127.0.0.1:1", NULL, &h, dialed_cb, &d), -EINVAL);
	h = hello_of(JOB, 32); /* PROTO_JOB_DEVICES_MAX */
	ck_assert_int_eq(peer_stream_connect(a, "127.0.0.1:1", NULL, &h, dialed_cb, &d), -EINVAL);
	h = hello_of(JOB, INDEX);
	h.token[0] = '\0';
	ck_assert_int_eq(peer_stream_connect(a, "127.0.0.1:1", NULL, &h, dialed_cb, &d), -EINVAL);
	ck_assert_msg(strstr(proto_last_error(), "token"), "%s", proto_last_error());
	tp_run_for(50);
	ck_assert_int_eq(d.calls, 0);
	ck_assert(tp_no_links(a));
	peer_set_free(a);
	ck_assert_int_eq(d.calls, 0);
}
END_TEST

/* ---- cancel ---- */

/* peer_set_free() tells every pending dial, from inside, with -ECANCELED. */
START_TEST(test_set_free_cancels)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct peer_stream_hello h = hello_of(JOB, INDEX);
	struct dialed d1 = { 0 }, d2 = { 0 };
	struct taken t = { .fd = -1 };

	peer_set_on_stream(b, taken_cb, &t);
	ck_assert_int_eq(peer_stream_connect(a, tp_addr(b), NULL, &h, dialed_cb, &d1), 0);
	ck_assert_int_eq(peer_stream_connect(a, tp_addr(b), NULL, &h, dialed_cb, &d2), 0);
	tp_run_for(1); /* under way: one loop turn at most */
	peer_set_free(a);
	ck_assert_int_eq(d1.calls, 1);
	ck_assert_int_eq(d2.calls, 1);
	ck_assert_int_eq(d1.err, -ECANCELED);
	ck_assert_int_eq(d2.err, -ECANCELED);
	ck_assert_msg(strstr(d1.why, "data stream for job 41 device 2: daemon shutting down"), "%s",
		      d1.why);
	ck_assert(!d1.had_s && !d2.had_s);
	tp_run_for(100);
	ck_assert_int_eq(t.calls, 0);
	peer_set_free(b);
}
END_TEST

/* peer_stream_cancel(): the cancelled dial is never told; the others go on. */
START_TEST(test_cancel)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct peer_stream_hello h = hello_of(JOB, INDEX);
	struct dialed gone = { 0 }, kept = { 0 };
	struct taken t = { .fd = -1 };

	peer_set_on_stream(b, taken_cb, &t);
	ck_assert_int_eq(peer_stream_connect(a, tp_addr(b), NULL, &h, dialed_cb, &gone), 0);
	ck_assert_int_eq(peer_stream_connect(a, tp_addr(b), NULL, &h, dialed_cb, &kept), 0);
	ck_assert_uint_eq(peer_stream_cancel(a, &gone), 1);
	ck_assert_uint_eq(peer_stream_cancel(a, &gone), 0);
	ck_assert(tp_run_until(dialed_done, &kept, WAIT_MS));
	ck_assert_msg(kept.err == 0, "%s", kept.why);
	ck_assert(tp_run_until(taken_done, &t, WAIT_MS));
	ck_assert(tp_run_until(tp_no_links, a, 3000));
	tp_run_for(100);
	ck_assert_int_eq(gone.calls, 0);
	ck_assert_int_eq(t.calls, 1); /* only the kept one reached the listener */
	ck_assert(tp_log_find("data stream for job 41 device 2: cancelled"));
	ck_assert_uint_eq(peer_stream_cancel(a, &kept), 0); /* already told */
	dialed_close(&kept);
	taken_close(&t);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

static Suite *peer_stream_suite(void)
{
	Suite *s = suite_create("peer_stream");
	TCase *ok = tcase_create("streams"), *bad = tcase_create("failures");

	tcase_add_checked_fixture(ok, tp_setup, tp_teardown);
	tcase_set_timeout(ok, 120);
	tcase_add_test(ok, test_handoff);
	tcase_add_test(ok, test_end_to_end);
	tcase_add_test(ok, test_rest_consumed);
	tcase_add_test(ok, test_cancel);
	tcase_add_test(ok, test_set_free_cancels);
	suite_add_tcase(s, ok);
	tcase_add_checked_fixture(bad, tp_setup, tp_teardown);
	tcase_add_test(bad, test_refused_port);
	tcase_add_loop_test(bad, test_tls_refused, 0, 2);
	tcase_add_test(bad, test_tls_refused_by_listener);
	tcase_add_test(bad, test_no_stream_callback);
	tcase_add_test(bad, test_handshake_timeout);
	tcase_add_test(bad, test_no_tls);
	tcase_add_test(bad, test_max_links);
	tcase_add_test(bad, test_bad_arguments);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (tp_pki_make() < 0) {
		fprintf(stderr, "test_peer_stream: could not make the test PKI\n");
		return 1;
	}
	sr = srunner_create(peer_stream_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tp_pki_remove();
	return failed ? 1 : 0;
}
