/*
 * test_peer.c - daemon/peer/: links between two peer sets (hosta and hostb) over loopback TCP
 * with real TLS from the test PKI, in one libevent loop: connect, HELLO, identities, versions
 * and features, IPv6 and dual-stack listeners, link reuse, connect failures, keepalive, closing,
 * TLS context swaps, limits, incoming data streams; plus the pure parts (negotiation, address
 * syntax). Misbehaving peers are in test_peer_bad.c. main() makes the PKI once.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "hello.h"
#include "test_peer_util.h"

TCase *peer_bad_tcase(void);

/* ---- pure parts ---- */

static const struct {
	uint32_t omin, over, tmin, tver; /* ours, theirs */
	uint64_t ofeat, tfeat;
	int r;
	uint32_t version;
	uint64_t features;
	const char *why;
} nego_cases[] = {
	{ 1, 1, 1, 1, 7, 7, 0, 1, 7, NULL },
	{ 1, 3, 2, 5, 7, 3, 0, 3, 3, NULL },
	{ 2, 5, 1, 3, 0x10, 0x11, 0, 3, 0x10, NULL },
	{ 1, 1, 99, 99, 7, 7, -EPROTONOSUPPORT, 0, 0, "we speak 1..1, it speaks 99..99" },
	{ 2, 3, 1, 1, 7, 7, -EPROTONOSUPPORT, 0, 0, "we speak 2..3, it speaks 1..1" },
	{ 1, 1, 5, 9, 7, 7, -EPROTONOSUPPORT, 0, 0,
	  "incompatible protocol: we speak 1..1, it speaks 5..9" },
};

START_TEST(test_hello_negotiate)
{
	struct peer_hello ours = { .min_version = nego_cases[_i].omin,
				   .version = nego_cases[_i].over,
				   .features = nego_cases[_i].ofeat };
	struct peer_hello theirs = { .min_version = nego_cases[_i].tmin,
				     .version = nego_cases[_i].tver,
				     .features = nego_cases[_i].tfeat };
	uint32_t v = 12345;
	uint64_t f = 12345;
	char why[160] = "";
	int r = hello_negotiate(&ours, &theirs, &v, &f, why, sizeof(why));

	ck_assert_int_eq(r, nego_cases[_i].r);
	if (r == 0) {
		ck_assert_uint_eq(v, nego_cases[_i].version);
		ck_assert_uint_eq(f, nego_cases[_i].features);
	} else {
		ck_assert_uint_eq(v, 12345);
		ck_assert_msg(strstr(why, nego_cases[_i].why), "why: %s", why);
	}
}
END_TEST

START_TEST(test_hello_messages)
{
	struct peer_msg m, a, t;
	uint8_t *buf;
	size_t len;

	hello_make(&m, "hosta");
	ck_assert_uint_eq(m.type, FRAME_PEER_HELLO);
	ck_assert_uint_eq(m.u.hello.version, PROTO_VERSION);
	ck_assert_uint_eq(m.u.hello.min_version, PROTO_MIN_VERSION);
	ck_assert_uint_eq(m.u.hello.features, PROTO_FEATURES);
	ck_assert_str_eq(m.u.hello.host_identity, "hosta");
	ck_assert_msg(strncmp(m.u.hello.software, "vfio-migd ", 10) == 0, "%s", m.u.hello.software);
	tp_hello(&t, 5, 9);
	hello_abort_make(&a, &m.u.hello, &t.u.hello);
	ck_assert_uint_eq(a.type, FRAME_PEER_ABORT);
	ck_assert_uint_eq(a.u.abort.job_id, PEER_LINK_JOB_ID);
	ck_assert_uint_eq(a.u.abort.reason.code, PROTO_ERR_INCOMPATIBLE);
	ck_assert_str_eq(a.u.abort.reason.message,
			 "incompatible protocol: hosta speaks 1..1, you speak 5..9");
	/* Both must pass the codec's rules. */
	ck_assert_int_eq(peer_msg_encode(&m, &buf, &len), 0);
	free(buf);
	ck_assert_int_eq(peer_msg_encode(&a, &buf, &len), 0);
	free(buf);
}
END_TEST

static const struct {
	const char *spec;
	bool port0;
	int r;
	const char *host, *port, *why;
} addr_cases[] = {
	{ "127.0.0.1:7790", false, 0, "127.0.0.1", "7790", NULL },
	{ "[::1]:7790", false, 0, "::1", "7790", NULL },
	{ "[fe80::1%eth0]:1", false, 0, "fe80::1%eth0", "1", NULL },
	{ "hostb.test:65535", false, 0, "hostb.test", "65535", NULL },
	{ "0.0.0.0:0", true, 0, "0.0.0.0", "0", NULL },
	{ "0.0.0.0:0", false, -EINVAL, NULL, NULL, "port must be 1..65535" },
	{ "host:65536", false, -EINVAL, NULL, NULL, "port must be" },
	{ "host:-1", false, -EINVAL, NULL, NULL, "port must be" },
	{ "host:", false, -EINVAL, NULL, NULL, "port must be" },
	{ "host", false, -EINVAL, NULL, NULL, "missing port" },
	{ ":7790", false, -EINVAL, NULL, NULL, "missing host" },
	{ "::1:7790", false, -EINVAL, NULL, NULL, "needs brackets" },
	{ "[::1]7790", false, -EINVAL, NULL, NULL, "missing port" },
	{ "[hostb]:7790", false, -EINVAL, NULL, NULL, "brackets are for IPv6" },
};

START_TEST(test_addr_split)
{
	struct addr_spec a = { .host = "untouched" };
	char err[256] = "";
	int r = addr_split(addr_cases[_i].spec, addr_cases[_i].port0, &a, err, sizeof(err));

	ck_assert_msg(r == addr_cases[_i].r, "%s: %d (%s)", addr_cases[_i].spec, r, err);
	if (r == 0) {
		ck_assert_str_eq(a.host, addr_cases[_i].host);
		ck_assert_str_eq(a.port, addr_cases[_i].port);
	} else {
		ck_assert_str_eq(a.host, "untouched");
		ck_assert_msg(strstr(err, addr_cases[_i].why), "%s: %s", addr_cases[_i].spec, err);
		ck_assert_msg(strstr(err, addr_cases[_i].spec), "%s", err);
	}
}
END_TEST

/* RFC 6761 names are refused before any lookup, so the tests never reach a DNS server. */
START_TEST(test_addr_never_resolves)
{
	static const char *const never[] = { "invalid", "INVALID.", "no-such-host.invalid",
					     "a.b.Invalid", "x.invalid." };
	static const char *const maybe[] = { "invalidx", "x.invalidx", "invalid.test",
					     "xinvalid", "hostb.test", "",
					     "." };

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		ck_assert_msg(addr_never_resolves(never[i]), "%s", never[i]);
	for (size_t i = 0; i < sizeof(maybe) / sizeof(maybe[0]); i++)
		ck_assert_msg(!addr_never_resolves(maybe[i]), "%s", maybe[i]);
}
END_TEST

/* ---- links ---- */

static bool rtt_known(void *arg)
{
	return peer_link_rtt_us(arg) >= 0;
}

START_TEST(test_connect_hello)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	char fp_a[TLS_FINGERPRINT_HEX_LEN], fp_b[TLS_FINGERPRINT_HEX_LEN], needle[256];
	struct peer_link *la, *lb;
	struct peer_msg m;
	struct tp_rec rb = { 0 };
	struct tp_conn c;
	time_t now = time(NULL);

	peer_set_on_message(b, tp_rec_message, &rb);
	ck_assert_str_eq(peer_set_listening(b, 0), tp_addr(b));
	ck_assert_ptr_null(peer_set_listening(b, 1));
	tp_connect(a, tp_addr(b), "hostb.test", 0, &c);
	ck_assert_msg(c.err == 0, "connect: %d %s", c.err, c.why);
	ck_assert_int_eq(c.calls, 1);
	la = c.link;
	ck_assert_ptr_eq(peer_set_links(a, NULL), la);
	ck_assert_int_eq(peer_link_state(la), PEER_LINK_READY);
	ck_assert(peer_link_outgoing(la));
	ck_assert_str_eq(peer_link_address(la), tp_addr(b));
	ck_assert_str_eq(peer_link_identity(la), "dns:hostb.test");
	ck_assert_str_eq(peer_link_host_identity(la), "hostb");
	ck_assert_msg(strncmp(peer_link_software(la), "vfio-migd ", 10) == 0, "%s",
		      peer_link_software(la));
	ck_assert_uint_eq(peer_link_version(la), PROTO_VERSION);
	ck_assert_uint_eq(peer_link_features(la), PROTO_FEATURES);
	tp_cert_fingerprint("hostb", fp_b);
	ck_assert_str_eq(peer_link_fingerprint(la), fp_b);
	ck_assert(peer_link_created(la) >= now - 1 && peer_link_created(la) <= time(NULL) + 1);
	(void)peer_link_ktls_tx(la);
	(void)peer_link_ktls_rx(la);

	tp_wait_ready(b, 1);
	lb = peer_set_links(b, NULL);
	ck_assert(!peer_link_outgoing(lb));
	ck_assert_str_eq(peer_link_identity(lb), "dns:hosta.test");
	ck_assert_str_eq(peer_link_host_identity(lb), "hosta");
	tp_cert_fingerprint("hosta", fp_a);
	ck_assert_str_eq(peer_link_fingerprint(lb), fp_a);
	ck_assert_uint_eq(peer_link_version(lb), PROTO_VERSION);
	ck_assert_msg(strncmp(peer_link_address(lb), "127.0.0.1:", 10) == 0, "%s",
		      peer_link_address(lb));

	/* The RTT probe answers early on both sides. */
	ck_assert(tp_run_until(rtt_known, la, 5000));
	ck_assert(tp_run_until(rtt_known, lb, 5000));
	ck_assert_int_lt(peer_link_rtt_us(la), 5000000);

	tp_expect_delivery(la, &rb, lb, 42);
	memset(&m, 0, sizeof(m));
	m.type = FRAME_PEER_PING;
	ck_assert_int_eq(peer_link_send(la, &m), -EINVAL);
	m.type = FRAME_PEER_HELLO;
	ck_assert_int_eq(peer_link_send(la, &m), -EINVAL);
	m.type = FRAME_STREAM_END;
	ck_assert_int_eq(peer_link_send(la, &m), -EINVAL);
	m.type = FRAME_PEER_COMMIT; /* job_id 0 breaks the codec's rules */
	ck_assert_int_eq(peer_link_send(la, &m), -EINVAL);

	snprintf(needle, sizeof(needle), "peer %s (dns:hostb.test): link up (outgoing)",
		 tp_addr(b));
	ck_assert_msg(tp_log_find(needle), "no \"%s\"", needle);
	ck_assert(tp_log_find("(dns:hosta.test): link up (incoming): protocol 1, features 0x7, "
			      "host hosta"));
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

START_TEST(test_ipv6)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, false);
	const char *addr = "[::1]:0";
	char err[512] = "", target[64];
	struct tp_conn c;

	ck_assert_msg(peer_set_listen(b, &addr, 1, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(strncmp(peer_set_listening(b, 0), "[::1]:", 6) == 0, "%s",
		      peer_set_listening(b, 0));
	snprintf(target, sizeof(target), "[::1]:%d", tp_port(b, 0));
	tp_connect(a, target, "::1", 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	ck_assert_str_eq(peer_link_address(c.link), target);
	tp_wait_ready(b, 1);
	ck_assert_msg(strncmp(peer_link_address(peer_set_links(b, NULL)), "[::1]:", 6) == 0, "%s",
		      peer_link_address(peer_set_links(b, NULL)));
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* "0.0.0.0:P" and "[::]:P" on the same port: IPV6_V6ONLY keeps them apart. */
START_TEST(test_dual_stack)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, false);
	const char *v4 = "0.0.0.0:0";
	char v6[32], err[512] = "", t4[32], t6[32];
	const char *p6 = v6;
	struct tp_conn c4, c6;

	ck_assert_msg(peer_set_listen(b, &v4, 1, err, sizeof(err)) == 0, "%s", err);
	snprintf(v6, sizeof(v6), "[::]:%d", tp_port(b, 0));
	ck_assert_msg(peer_set_listen(b, &p6, 1, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(peer_set_listening(b, 1), v6);
	snprintf(t4, sizeof(t4), "127.0.0.1:%d", tp_port(b, 0));
	snprintf(t6, sizeof(t6), "[::1]:%d", tp_port(b, 0));
	tp_connect(a, t4, NULL, 0, &c4);
	tp_connect(a, t6, NULL, 0, &c6);
	ck_assert_msg(c4.err == 0 && c6.err == 0, "%s / %s", c4.why, c6.why);
	ck_assert_ptr_ne(c4.link, c6.link);
	tp_wait_ready(b, 2);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

START_TEST(test_reuse)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct tp_conn c1, c2, c3, c4;
	char addr[64];

	snprintf(addr, sizeof(addr), "%s", tp_addr(b));
	/* Two requests before the loop runs share one link. */
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	ck_assert_int_eq(peer_connect(a, addr, NULL, 0, tp_connect_cb, &c1), 0);
	ck_assert_int_eq(peer_connect(a, addr, NULL, 0, tp_connect_cb, &c2), 0);
	tp_wait_ready(a, 1);
	tp_run_for(50);
	ck_assert_msg(c1.err == 0 && c2.err == 0, "%s / %s", c1.why, c2.why);
	ck_assert_ptr_eq(c1.link, c2.link);
	ck_assert_int_eq(c1.calls + c2.calls, 2);
	/* A READY link is reused, asynchronously. */
	tp_connect(a, addr, NULL, 0, &c3);
	ck_assert_ptr_eq(c3.link, c1.link);
	/* Unless told otherwise, or for another expected host. */
	tp_connect(a, addr, NULL, PEER_CONNECT_NEW, &c4);
	ck_assert_msg(c4.err == 0, "%s", c4.why);
	ck_assert_ptr_ne(c4.link, c1.link);
	tp_connect(a, addr, "hostb.test", 0, &c3);
	ck_assert_ptr_ne(c3.link, c1.link);
	ck_assert_ptr_ne(c3.link, c4.link);
	tp_wait_ready(a, 3);
	tp_wait_ready(b, 3);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

static int free_port(void)
{
	int port, fd = tp_raw_listen(&port);

	close(fd);
	return port;
}

START_TEST(test_connect_refused)
{
	struct peer_set *a = tp_set("hosta", NULL, false);
	char addr[64];
	struct tp_conn c;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	tp_connect(a, addr, NULL, 0, &c);
	ck_assert_int_eq(c.err, -ECONNREFUSED);
	ck_assert_ptr_null(c.link);
	ck_assert_msg(strstr(c.why, addr) && strstr(c.why, "Connection refused"), "%s", c.why);
	ck_assert_msg(tp_log_find(c.why), "not logged: %s", c.why);
	ck_assert(tp_run_until(tp_no_links, a, 3000));
	peer_set_free(a);
}
END_TEST

static const struct {
	const char *addr;
	const char *why;
} bad_addrs[] = {
	{ "nonsense", "missing port" },
	{ "::1:7790", "needs brackets" },
	{ "no-such-host.invalid:7790", "cannot resolve \"no-such-host.invalid\"" },
};

START_TEST(test_connect_bad_address)
{
	struct peer_set *a = tp_set("hosta", NULL, false);
	struct tp_conn c;

	tp_connect(a, bad_addrs[_i].addr, NULL, 0, &c);
	ck_assert_int_lt(c.err, 0);
	ck_assert_ptr_null(c.link);
	ck_assert_msg(strstr(c.why, bad_addrs[_i].why), "%s", c.why);
	if (_i < 2)
		ck_assert_int_eq(c.err, -EINVAL);
	peer_set_free(a);
}
END_TEST

/* A name goes through the resolver thread; "localhost" may give ::1 first (refused here). */
START_TEST(test_connect_by_name)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	char addr[64];
	struct tp_conn c;

	snprintf(addr, sizeof(addr), "localhost:%d", tp_port(b, 0));
	tp_connect(a, addr, NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	ck_assert_str_eq(peer_link_address(c.link), addr);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* A listener whose accept queue is full drops SYNs: the connect can only time out. */
START_TEST(test_connect_timeout)
{
	struct peer_options o;
	struct peer_set *a;
	struct tp_raw filler;
	char addr[64];
	int port, lfd = tp_raw_listen(&port);
	struct tp_conn c;
	struct timespec t0, t1;
	long ms;

	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(tp_raw_connect(&filler, port, false), 0);
	tp_options(&o, "hosta");
	o.connect_timeout_ms = 300;
	a = tp_set("hosta", &o, false);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tp_connect(a, addr, NULL, 0, &c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_eq(c.err, -ETIMEDOUT);
	ck_assert_msg(strstr(c.why, "connect timed out after 300 ms (peer.connect_timeout)"), "%s",
		      c.why);
	ck_assert_msg(ms >= 290 && ms < 2000, "took %ld ms", ms);
	peer_set_free(a);
	tp_raw_close(&filler);
	close(lfd);
}
END_TEST

START_TEST(test_close)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct tp_rec ra = { 0 }, rb = { 0 };
	struct tp_conn c;

	peer_set_on_closed(a, tp_rec_closed, &ra);
	peer_set_on_closed(b, tp_rec_closed, &rb);
	tp_connect(a, tp_addr(b), NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	tp_wait_ready(b, 1);
	peer_link_close(c.link, "test over");
	ck_assert_int_eq(peer_link_state(c.link), PEER_LINK_CLOSING);
	ck_assert_ptr_null(peer_set_links(a, NULL));
	ck_assert_int_eq(ra.closed, 0); /* from the loop, not from inside */
	ck_assert(tp_run_until(tp_no_links, a, 3000));
	ck_assert(tp_run_until(tp_no_links, b, 3000));
	ck_assert_int_eq(ra.closed, 1);
	ck_assert_int_eq(ra.closed_err, 0);
	ck_assert_ptr_eq(ra.closed_link, c.link);
	ck_assert_str_eq(ra.closed_identity, "dns:hostb.test");
	ck_assert_msg(strstr(ra.closed_why, "closed here: test over"), "%s", ra.closed_why);
	ck_assert_int_eq(rb.closed, 1);
	ck_assert_int_eq(rb.closed_err, 0); /* close_notify: an orderly close */
	ck_assert_msg(strstr(rb.closed_why, "(dns:hosta.test): peer closed the link"), "%s",
		      rb.closed_why);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* Freeing the set closes its links through the same path and tells the callbacks. */
START_TEST(test_set_free_notifies)
{
	struct peer_set *a = tp_set("hosta", NULL, false), *b = tp_set("hostb", NULL, true);
	struct tp_rec ra = { 0 };
	struct tp_conn c, pending = { 0 };

	peer_set_on_closed(a, tp_rec_closed, &ra);
	tp_connect(a, tp_addr(b), NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	ck_assert_int_eq(
		peer_connect(a, tp_addr(b), NULL, PEER_CONNECT_NEW, tp_connect_cb, &pending), 0);
	peer_set_free(a);
	ck_assert_int_eq(ra.closed, 1);
	ck_assert_int_eq(ra.closed_err, -ECANCELED);
	ck_assert_int_eq(pending.calls, 1);
	ck_assert_int_eq(pending.err, -ECANCELED);
	ck_assert(tp_run_until(tp_no_links, b, 3000));
	peer_set_free(b);
}
END_TEST

struct log_growth {
	const char *needle;
	int from;
};

static bool log_grew(void *arg)
{
	struct log_growth *g = arg;

	return tp_log_count(g->needle) >= g->from + 3;
}

/* Idle links stay up: both sides PING after 100 ms of silence and answer each other. */
START_TEST(test_keepalive_idle)
{
	struct peer_options o;
	struct peer_set *a, *b;
	struct log_growth g = { "rtt " };
	struct tp_conn c;

	tp_options(&o, "hosta");
	o.keepalive_interval_ms = 100;
	o.keepalive_count = 2;
	a = tp_set("hosta", &o, false);
	o.host_identity = "hostb";
	b = tp_set("hostb", &o, true);
	tp_connect(a, tp_addr(b), NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	g.from = tp_log_count("rtt ");
	ck_assert(tp_run_until(log_grew, &g, 3000));
	tp_run_for(600);
	ck_assert_int_eq(peer_link_state(c.link), PEER_LINK_READY);
	ck_assert_ptr_eq(peer_set_links(a, NULL), c.link);
	tp_wait_ready(b, 1);
	ck_assert_int_eq(tp_log_count("keepalives"), 0);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/*
 * SIGHUP: a new TLS context serves new connections only. hostb trusts hosta and "wrong";
 * hosta switches from its own certificate to wrong's; the old link keeps working.
 */
START_TEST(test_tls_swap)
{
	static const char *const allow_b[] = { "dns:hosta.test", "dns:wrong.test" };
	static const char *const allow_a[] = { "dns:hostb.test" };
	char fp_a[TLS_FINGERPRINT_HEX_LEN], fp_w[TLS_FINGERPRINT_HEX_LEN];
	struct peer_options o;
	struct peer_set *a, *b;
	struct peer_link *old_b = NULL, *new_b = NULL;
	struct tls_ctx *ctx;
	struct tp_rec rb = { 0 };
	struct tp_conn c1, c2;

	tp_options(&o, "hosta");
	o.keepalive_interval_ms = 100;
	o.keepalive_count = 2;
	a = tp_set("hosta", &o, false);
	o.host_identity = "hostb";
	b = tp_set("hostb", &o, true);
	ctx = tp_ctx("ca", "hostb", allow_b, 2);
	peer_set_set_tls(b, ctx);
	tls_ctx_unref(ctx);
	peer_set_on_message(b, tp_rec_message, &rb);
	tp_connect(a, tp_addr(b), NULL, 0, &c1);
	ck_assert_msg(c1.err == 0, "%s", c1.why);
	tp_wait_ready(b, 1);
	old_b = peer_set_links(b, NULL);

	ctx = tp_ctx("ca", "wrong", allow_a, 1);
	peer_set_set_tls(a, ctx);
	tls_ctx_unref(ctx);
	tp_connect(a, tp_addr(b), NULL, PEER_CONNECT_NEW, &c2);
	ck_assert_msg(c2.err == 0, "%s", c2.why);
	tp_wait_ready(b, 2);
	new_b = peer_set_links(b, old_b);
	tp_cert_fingerprint("hosta", fp_a);
	tp_cert_fingerprint("wrong", fp_w);
	ck_assert_str_eq(peer_link_fingerprint(old_b), fp_a);
	ck_assert_str_eq(peer_link_fingerprint(new_b), fp_w);
	ck_assert_str_eq(peer_link_identity(new_b), "dns:wrong.test");

	/* Several keepalive rounds later the old link is still up and carries frames. */
	tp_run_for(700);
	ck_assert_int_eq(peer_link_state(c1.link), PEER_LINK_READY);
	ck_assert_ptr_eq(peer_set_links(b, NULL), old_b);
	tp_expect_delivery(c1.link, &rb, old_b, 7);
	tp_expect_delivery(c2.link, &rb, new_b, 8);
	ck_assert_int_eq(tp_log_count("keepalives"), 0);

	/* No TLS material: new connections fail clearly, existing links stay. */
	peer_set_set_tls(a, NULL);
	tp_connect(a, tp_addr(b), NULL, PEER_CONNECT_NEW, &c2);
	ck_assert_int_eq(c2.err, -ENOKEY);
	ck_assert_msg(strstr(c2.why, "no TLS material configured"), "%s", c2.why);
	ck_assert_int_eq(peer_link_state(c1.link), PEER_LINK_READY);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

/* Every link socket found among our fds: local or remote port == port. */
static int link_sockets(int port, int *fds, int max)
{
	struct sockaddr_in6 me, them;
	socklen_t len;
	int n = 0;

	for (int fd = 0; fd < 1024 && n < max; fd++) {
		len = sizeof(them);
		if (getpeername(fd, (struct sockaddr *)&them, &len) < 0)
			continue;
		len = sizeof(me);
		if (getsockname(fd, (struct sockaddr *)&me, &len) < 0)
			continue;
		if (ntohs(me.sin6_port) == port || ntohs(them.sin6_port) == port)
			fds[n++] = fd;
	}
	return n;
}

static int sockopt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* TCP liveness settings on both ends of a control link, and TCP_NODELAY there. */
START_TEST(test_socket_options)
{
	struct peer_options o;
	struct peer_set *a, *b;
	struct tp_conn c;
	int fds[4];

	tp_options(&o, "hosta");
	o.tcp_keepalive_idle_ms = 7000;
	o.tcp_keepalive_interval_ms = 2500; /* rounded up to 3 s */
	o.tcp_keepalive_count = 4;
	o.tcp_user_timeout_ms = 12345;
	a = tp_set("hosta", &o, false);
	o.host_identity = "hostb";
	b = tp_set("hostb", &o, true);
	tp_connect(a, tp_addr(b), NULL, 0, &c);
	ck_assert_msg(c.err == 0, "%s", c.why);
	tp_wait_ready(b, 1);
	ck_assert_int_eq(link_sockets(tp_port(b, 0), fds, 4), 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sockopt(fds[i], SOL_SOCKET, SO_KEEPALIVE), 1);
		ck_assert_int_eq(sockopt(fds[i], IPPROTO_TCP, TCP_KEEPIDLE), 7);
		ck_assert_int_eq(sockopt(fds[i], IPPROTO_TCP, TCP_KEEPINTVL), 3);
		ck_assert_int_eq(sockopt(fds[i], IPPROTO_TCP, TCP_KEEPCNT), 4);
		ck_assert_int_eq(sockopt(fds[i], IPPROTO_TCP, TCP_USER_TIMEOUT), 12345);
		ck_assert_int_eq(sockopt(fds[i], IPPROTO_TCP, TCP_NODELAY), 1);
	}
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

START_TEST(test_max_links)
{
	struct peer_options o;
	struct peer_set *a = tp_set("hosta", NULL, false), *b;
	struct tp_rec rb = { 0 };
	struct tp_conn c1, c2;

	tp_options(&o, "hostb");
	o.max_links = 1;
	b = tp_set("hostb", &o, true);
	peer_set_on_message(b, tp_rec_message, &rb);
	tp_connect(a, tp_addr(b), NULL, 0, &c1);
	ck_assert_msg(c1.err == 0, "%s", c1.why);
	tp_wait_ready(b, 1);
	tp_connect(a, tp_addr(b), NULL, PEER_CONNECT_NEW, &c2);
	ck_assert_int_lt(c2.err, 0);
	ck_assert(tp_log_find("connection refused: too many links open (1, peer.max_links)"));
	tp_expect_delivery(c1.link, &rb, peer_set_links(b, NULL), 9);
	peer_set_free(a);
	peer_set_free(b);
}
END_TEST

START_TEST(test_listen_errors)
{
	struct peer_options o;
	struct peer_set *s, *b = tp_set("hostb", NULL, true);
	const char *two[2] = { "127.0.0.1:0", "nonsense" };
	const char *one;
	char err[512], taken[64];

	tp_options(&o, "hosta");
	ck_assert_int_eq(peer_set_new(tp_base, &o, &s), 0);
	one = "127.0.0.1:0";
	ck_assert_int_eq(peer_set_listen(s, &one, 1, err, sizeof(err)), -ENOKEY);
	ck_assert_msg(strstr(err, "no TLS material configured") && strstr(err, "127.0.0.1:0"), "%s",
		      err);
	peer_set_free(s);

	s = tp_set("hosta", NULL, false);
	snprintf(taken, sizeof(taken), "%s", tp_addr(b));
	one = taken;
	ck_assert_int_eq(peer_set_listen(s, &one, 1, err, sizeof(err)), -EADDRINUSE);
	ck_assert_msg(strstr(err, taken) && strstr(err, "bind: Address already in use"), "%s", err);
	ck_assert_int_eq(peer_set_listen(s, two, 2, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "\"nonsense\": missing port"), "%s", err);
	ck_assert_ptr_null(peer_set_listening(s, 0)); /* all or nothing */
	one = "no-such-host.invalid:0";
	ck_assert_int_eq(peer_set_listen(s, &one, 1, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot resolve \"no-such-host.invalid\""), "%s", err);
	peer_set_free(s);
	peer_set_free(b);
}
END_TEST

START_TEST(test_options)
{
	struct peer_options o;
	struct peer_set *s = NULL;

	tp_options(&o, "hosta");
	o.max_buffer = PEER_BUFFER_MIN - 1;
	ck_assert_int_eq(peer_set_new(tp_base, &o, &s), -EINVAL);
	tp_options(&o, "");
	ck_assert_int_eq(peer_set_new(tp_base, &o, &s), -EINVAL);
	tp_options(&o, "hosta");
	o.keepalive_count = 0;
	ck_assert_int_eq(peer_set_new(tp_base, &o, &s), -EINVAL);
	o.keepalive_interval_ms = 0; /* never PING: no count needed */
	ck_assert_int_eq(peer_set_new(tp_base, &o, &s), 0);
	peer_set_free(s);
	peer_set_free(NULL);
}
END_TEST

static Suite *peer_suite(void)
{
	Suite *s = suite_create("peer");
	TCase *pure = tcase_create("pure");
	TCase *tc = tcase_create("links");

	tcase_add_loop_test(pure, test_hello_negotiate, 0,
			    sizeof(nego_cases) / sizeof(nego_cases[0]));
	tcase_add_test(pure, test_hello_messages);
	tcase_add_loop_test(pure, test_addr_split, 0, sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(pure, test_addr_never_resolves);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(tc, tp_setup, tp_teardown);
	tcase_add_test(tc, test_connect_hello);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_dual_stack);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_loop_test(tc, test_connect_bad_address, 0,
			    sizeof(bad_addrs) / sizeof(bad_addrs[0]));
	tcase_add_test(tc, test_connect_by_name);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_close);
	tcase_add_test(tc, test_set_free_notifies);
	tcase_add_test(tc, test_keepalive_idle);
	tcase_add_test(tc, test_tls_swap);
	tcase_add_test(tc, test_socket_options);
	tcase_add_test(tc, test_max_links);
	tcase_add_test(tc, test_listen_errors);
	tcase_add_test(tc, test_options);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, peer_bad_tcase());
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (tp_pki_make() < 0) {
		fprintf(stderr, "test_peer: could not make the test PKI\n");
		return 1;
	}
	sr = srunner_create(peer_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tp_pki_remove();
	return failed ? 1 : 0;
}
