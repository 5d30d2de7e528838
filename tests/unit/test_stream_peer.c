/*
 * test_stream_peer.c - daemon/migrate/stream against hand-made peers over loopback TCP + TLS:
 * a RECV stream fed by a test-written sender that frames a real sim stream correctly, lies in
 * STREAM_END, stops before END, breaks the sequence, sends frames a data stream must not carry
 * or garbage for the device, or stays silent; a SEND stream read by a test-written receiver
 * that checks the framing byte for byte, acknowledges too much, sends data back, closes early,
 * never acknowledges END, or stops reading. Plus cancel in every wait, the stall timeout, and
 * stream_start()'s argument checks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "test_stream_util.h"

#define SPEC	  "size=256K,flags=stop_copy|p2p"
#define BIG_SPEC  "size=10M,flags=stop_copy|p2p"
#define INDEX	  3 /* cfg_of()'s device_index */
#define FRAME_BUF (FRAME_DATA_PREFIX + FRAME_DATA_MAX)
#define WAIT_MS	  10000
#define PROMPT_MS 5000

static uint8_t frame_buf[FRAME_BUF];

static void end_nonblocking(struct end *e)
{
	ck_assert_int_eq(fcntl(e->fd, F_SETFL, fcntl(e->fd, F_GETFL) | O_NONBLOCK), 0);
}

/*
 * RECV side: a stream into a fresh device in RESUMING, fed by a hand-made source.
 */
struct rx {
	struct backend *dst;
	struct stream *s;
	struct end src;
	struct buf data; /* a real stop-copy stream of spec, for the source to send */
};

static void rx_start(struct rx *x, const char *spec, uint32_t stall_ms)
{
	struct stream_config c;
	struct end de;

	memset(x, 0, sizeof(*x));
	stream_of(spec, &x->data);
	x->dst = mk(spec);
	ck_assert(go(x->dst, FSM_RESUMING));
	link_pair(&x->src, &de, 0, 0);
	end_blocking(&x->src);
	c = cfg_of(STREAM_RECV, x->dst, &de);
	c.stall_ms = stall_ms;
	x->s = start(&c);
}

static void rx_free(struct rx *x)
{
	stream_free(x->s);
	if (x->src.tls)
		end_close(&x->src);
	backend_free(x->dst);
	buf_free(&x->data);
}

/* Sends data[off, off + len) in frames of varying sizes (1 B .. 1 MiB), seq from *seq on. */
static void rx_send_data(struct rx *x, size_t off, size_t len, uint64_t *seq)
{
	static const size_t sizes[] = { 1000, 1, 65536, 1u << 20, 4093 };

	for (unsigned int i = 0; len; i++) {
		size_t n = sizes[i % 5] < len ? sizes[i % 5] : len;

		peer_data(&x->src, (*seq)++, x->data.p + off, n);
		off += n;
		len -= n;
	}
}

static struct stream_stats rx_expect_fail(struct rx *x, int error, const char *text)
{
	struct stream_stats st = finish(x->s, WAIT_MS);

	ck_assert_msg(st.state == STREAM_FAILED, "%s: %s", stream_state_name(st.state), st.message);
	ck_assert_msg(st.error == error, "error %d (%s), wanted %d", st.error, st.message, error);
	ck_assert_msg(strstr(st.message, text), "message '%s' lacks '%s'", st.message, text);
	ck_assert(!st.end);
	return st;
}

/* A correct hand-made source: every byte, periodic and final acks, close_notify, DONE. */
START_TEST(test_recv_good_source)
{
	uint8_t sha[32], want[32], got[32];
	uint64_t seq = 0, last = 0;
	struct backend *src = mk(BIG_SPEC);
	struct stream_stats st;
	struct frame_view f;
	struct peer_msg m;
	unsigned int acks = 0;
	struct rx x;

	rx_start(&x, BIG_SPEC, 0);
	rx_send_data(&x, 0, x.data.len, &seq);
	ck_assert_int_eq(digest_buffer(x.data.p, x.data.len, sha), 0);
	peer_end(&x.src, INDEX, x.data.len, sha);
	/* Acks: monotonic, about every 4 MiB, the last one for everything; then close_notify. */
	while ((f = peer_frame(&x.src, frame_buf, sizeof(frame_buf))).frame_len) {
		ck_assert_int_eq(f.type, FRAME_STREAM_ACK);
		ck_assert_int_eq(peer_msg_decode(f.type, f.body, f.body_len, &m), 0);
		ck_assert_uint_eq(m.u.stream_ack.device_index, INDEX);
		ck_assert_uint_gt(m.u.stream_ack.bytes, last);
		last = m.u.stream_ack.bytes;
		acks++;
	}
	ck_assert_uint_eq(last, x.data.len);
	ck_assert_uint_ge(acks, 3);
	st = finish(x.s, WAIT_MS);
	ck_assert_msg(st.state == STREAM_DONE, "%s", st.message);
	ck_assert_uint_eq(st.bytes, x.data.len);
	ck_assert_uint_eq(st.bytes_acked, x.data.len);
	ck_assert_uint_eq(st.frames, seq);
	ck_assert(st.end);
	go(x.dst, FSM_STOP);
	digest_of(src, want);
	digest_of(x.dst, got);
	ck_assert_mem_eq(want, got, 32);
	backend_free(src);
	rx_free(&x);
}
END_TEST

/*
 * A RECV stream started the way the peer layer hands one over: the source sent STREAM_HELLO
 * and every DATA frame in one TLS record; the receiver read the hello and a little more (the
 * handoff's `rest`, given as prefix), and the rest of the record waits decrypted inside the
 * TLS session while the socket has nothing left to read. The stream must take the prefix
 * first, then the session's bytes without waiting for the socket (it would wait forever: END
 * is sent only after every byte arrived), then END from the socket. The prefix ends inside a
 * frame header, inside a body, on a frame boundary, or is empty.
 */
#define SMALL_SPEC "size=4K,flags=stop_copy|p2p"

static const size_t prefix_cuts[] = { 3, FRAME_DATA_PREFIX + 100, FRAME_DATA_PREFIX + 1000, 0 };

/* Reads exactly len bytes from a non-blocking end, waiting for the socket when TLS asks. */
static void read_exact_nb(struct end *e, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = e->fd, .events = POLLIN };
	ssize_t n;

	while (len) {
		n = tls_conn_read(e->tls, buf, len);
		if (n == -EAGAIN) {
			ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
			continue;
		}
		ck_assert_msg(n > 0, "read: %zd %s", n, tls_conn_error(e->tls));
		buf += n;
		len -= (size_t)n;
	}
}

/* STREAM_HELLO and the whole stream of data in frames of 1000 bytes, into wire. */
static size_t hello_and_frames(const struct buf *data, uint8_t *wire, size_t cap, size_t *hlen)
{
	struct peer_msg hello = { .type = FRAME_STREAM_HELLO };
	size_t len, off, k;
	uint64_t seq = 0;
	uint8_t *hbuf;

	hello.u.stream_hello.job_id = 1;
	hello.u.stream_hello.device_index = INDEX;
	strcpy(hello.u.stream_hello.token, "tok");
	ck_assert_int_eq(peer_msg_encode(&hello, &hbuf, hlen), 0);
	memcpy(wire, hbuf, *hlen);
	free(hbuf);
	for (len = *hlen, off = 0; off < data->len; off += k, seq++) {
		k = data->len - off < 1000 ? data->len - off : 1000;
		ck_assert_uint_le(len + FRAME_DATA_PREFIX + k, cap);
		frame_data_prefix_encode(seq, k, wire + len);
		memcpy(wire + len + FRAME_DATA_PREFIX, data->p + off, k);
		len += FRAME_DATA_PREFIX + k;
	}
	return len;
}

START_TEST(test_recv_prefix_and_pending)
{
	struct backend *src = mk(SMALL_SPEC), *dst = mk(SMALL_SPEC ",seed=99");
	uint8_t sha[32], want[32], got[32], wire[16384], in[16384];
	size_t hlen, len, cut = prefix_cuts[_i];
	struct pollfd p;
	struct stream_config c;
	struct stream_stats st;
	struct stream *rs;
	struct frame_view f;
	struct peer_msg m;
	struct end se, de;
	struct buf data = { 0 };

	ck_assert(go(src, FSM_STOP_COPY));
	ck_assert_int_eq(drain(src, 4096, &data), 0);
	ck_assert(go(dst, FSM_RESUMING));
	len = hello_and_frames(&data, wire, sizeof(wire), &hlen);
	link_pair(&se, &de, 0, 0);
	end_blocking(&se);
	peer_write(&se, wire, len); /* one write of at most 16 KiB: one TLS record */
	/* The receiver reads the hello and cut bytes more, like the peer layer would. */
	read_exact_nb(&de, in, hlen + cut);
	ck_assert_mem_eq(in, wire, hlen + cut);
	ck_assert_uint_eq(tls_conn_pending(de.tls), len - hlen - cut);
	p = (struct pollfd){ .fd = de.fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 0); /* the socket has nothing more */
	c = cfg_of(STREAM_RECV, dst, &de);
	c.prefix = in + hlen;
	c.prefix_len = cut;
	rs = start(&c);
	memset(in, 0, sizeof(in)); /* copied by stream_start(): the caller's buffer is free */
	/* Every byte arrives before END is even sent. */
	await_bytes(rs, data.len, WAIT_MS);
	ck_assert_int_eq(digest_buffer(data.p, data.len, sha), 0);
	peer_end(&se, INDEX, data.len, sha);
	f = peer_frame(&se, frame_buf, sizeof(frame_buf));
	ck_assert_int_eq(f.type, FRAME_STREAM_ACK);
	ck_assert_int_eq(peer_msg_decode(f.type, f.body, f.body_len, &m), 0);
	ck_assert_uint_eq(m.u.stream_ack.bytes, data.len);
	st = finish(rs, WAIT_MS);
	ck_assert_msg(st.state == STREAM_DONE, "%s", st.message);
	ck_assert_uint_eq(st.bytes, data.len);
	ck_assert_uint_eq(st.frames, (data.len + 999) / 1000);
	go(dst, FSM_STOP);
	digest_of(src, want);
	digest_of(dst, got);
	ck_assert_mem_eq(want, got, 32);
	stream_free(rs);
	end_close(&se);
	backend_free(src);
	backend_free(dst);
	buf_free(&data);
}
END_TEST

/* A source that lies in STREAM_END about the digest. */
START_TEST(test_recv_digest_lie)
{
	char hg[DIGEST_HEX_LEN], he[DIGEST_HEX_LEN], text[300];
	uint8_t sha[32], lie[32];
	uint64_t seq = 0;
	struct rx x;

	rx_start(&x, SPEC, 0);
	rx_send_data(&x, 0, x.data.len, &seq);
	ck_assert_int_eq(digest_buffer(x.data.p, x.data.len, sha), 0);
	memcpy(lie, sha, 32);
	lie[17] ^= 0x01;
	peer_end(&x.src, INDEX, x.data.len, lie);
	snprintf(text, sizeof(text), "integrity: stream digest mismatch (got %s, expected %s)",
		 digest_hex(sha, hg), digest_hex(lie, he));
	rx_expect_fail(&x, -EBADMSG, text);
	rx_free(&x);
}
END_TEST

/* A source that lies in STREAM_END about the byte count (0: fewer, 1: more). */
START_TEST(test_recv_count_lie)
{
	uint64_t seq = 0, claim;
	uint8_t sha[32];
	char text[200];
	struct rx x;

	rx_start(&x, SPEC, 0);
	rx_send_data(&x, 0, x.data.len, &seq);
	ck_assert_int_eq(digest_buffer(x.data.p, x.data.len, sha), 0);
	claim = _i ? x.data.len + 1 : x.data.len - 1;
	peer_end(&x.src, INDEX, claim, sha);
	snprintf(text, sizeof(text),
		 "integrity: byte count mismatch (received %zu, STREAM_END says %" PRIu64 ")",
		 x.data.len, claim);
	rx_expect_fail(&x, -EBADMSG, text);
	rx_free(&x);
}
END_TEST

/* The source's connection ends before END: with close_notify (0) or without (1). */
START_TEST(test_recv_eof_before_end)
{
	uint64_t seq = 0;
	char text[100];
	struct rx x;

	rx_start(&x, SPEC, 0);
	rx_send_data(&x, 0, 100000, &seq);
	if (_i == 0)
		end_close_notify(&x.src);
	else
		end_close(&x.src);
	snprintf(text, sizeof(text), "stream ended before END: 100000 bytes received");
	rx_expect_fail(&x, -EPIPE, text);
	rx_free(&x);
}
END_TEST

START_TEST(test_recv_wrong_seq)
{
	struct stream_stats st;
	struct rx x;

	rx_start(&x, SPEC, 0);
	peer_data(&x.src, 0, x.data.p, 1000);
	peer_data(&x.src, 2, x.data.p + 1000, 1000);
	st = rx_expect_fail(&x, -EPROTO, "DATA frame out of sequence: got 2, expected 1");
	ck_assert_uint_eq(st.bytes, 1000);
	rx_free(&x);
}
END_TEST

/* Frames that do not belong on a receiving data stream. */
START_TEST(test_recv_unexpected_frame)
{
	struct peer_msg m = { 0 };
	struct rx x;

	rx_start(&x, SPEC, 0);
	peer_data(&x.src, 0, x.data.p, 1000);
	if (_i == 0) {
		m.type = FRAME_STREAM_ACK;
		m.u.stream_ack.device_index = INDEX;
	} else if (_i == 1) {
		m.type = FRAME_STREAM_HELLO;
		m.u.stream_hello.job_id = 1;
		m.u.stream_hello.device_index = INDEX;
		strcpy(m.u.stream_hello.token, "tok");
	} else {
		m.type = FRAME_PEER_PING;
		m.u.ping.nonce = 9;
	}
	peer_msg(&x.src, &m);
	rx_expect_fail(&x, -EPROTO, "unexpected");
	rx_free(&x);
}
END_TEST

/* Malformed headers: nonzero flags, a DATA body too short for its sequence number, one too
 * long, an unknown type. */
static const uint8_t bad_headers[][FRAME_HDR_LEN] = {
	{ 0, 0, 0, 8, 0x03, 0x02, 0, 1 },
	{ 0, 0, 0, 4, 0x03, 0x02, 0, 0 },
	{ 0, 0x10, 0, 9, 0x03, 0x02, 0, 0 },
	{ 0, 0, 0, 0, 0x7f, 0x7f, 0, 0 },
};

START_TEST(test_recv_malformed)
{
	struct rx x;

	rx_start(&x, SPEC, 0);
	peer_write(&x.src, bad_headers[_i], FRAME_HDR_LEN);
	rx_expect_fail(&x, -EPROTO, "malformed frame header");
	rx_free(&x);
}
END_TEST

/* Bytes the device refuses: its write error ends the stream. */
START_TEST(test_recv_device_refuses)
{
	uint8_t junk[4096];
	struct rx x;

	memset(junk, 0xaa, sizeof(junk));
	rx_start(&x, SPEC, 0);
	peer_data(&x.src, 0, junk, sizeof(junk));
	rx_expect_fail(&x, -EINVAL, "device write failed at stream offset 0");
	rx_free(&x);
}
END_TEST

START_TEST(test_recv_end_other_device)
{
	uint64_t seq = 0;
	uint8_t sha[32];
	struct rx x;

	rx_start(&x, SPEC, 0);
	rx_send_data(&x, 0, x.data.len, &seq);
	ck_assert_int_eq(digest_buffer(x.data.p, x.data.len, sha), 0);
	peer_end(&x.src, INDEX + 1, x.data.len, sha);
	rx_expect_fail(&x, -EPROTO, "STREAM_END for device 4 on the stream of device 3");
	rx_free(&x);
}
END_TEST

/* A silent source: cancel ends the wait at once; a stall timeout fails it. */
START_TEST(test_recv_cancel_waiting)
{
	struct stream_stats st;
	struct rx x;

	rx_start(&x, SPEC, 0);
	peer_data(&x.src, 0, x.data.p, 1000);
	await_bytes(x.s, 1000, WAIT_MS);
	stream_cancel(x.s);
	st = finish(x.s, PROMPT_MS);
	ck_assert_int_eq(st.state, STREAM_CANCELLED);
	ck_assert_int_eq(st.error, -ECANCELED);
	rx_free(&x);
}
END_TEST

START_TEST(test_recv_stall)
{
	uint64_t t0 = now_ns();
	struct stream_stats st;
	struct rx x;

	rx_start(&x, SPEC, 300);
	st = rx_expect_fail(&x, -ETIMEDOUT, "no progress for 0.300 s");
	ck_assert_uint_ge(ms_since(t0), 250);
	ck_assert_uint_eq(st.bytes, 0);
	rx_free(&x);
}
END_TEST

/*
 * SEND side: a stream from a fresh device in STOP_COPY, read by a hand-made destination.
 */
struct tx {
	struct backend *src;
	struct stream *s;
	struct end dst;
	struct buf want; /* the device's stream, read independently */
	struct buf got;	 /* DATA payloads as they arrived */
};

static void tx_start_cfg(struct tx *x, const char *spec, struct stream_config *over, int sndbuf,
			 int rcvbuf)
{
	struct stream_config c;
	struct end se;

	memset(x, 0, sizeof(*x));
	stream_of(spec, &x->want);
	x->src = mk(spec);
	ck_assert(go(x->src, FSM_STOP_COPY));
	link_pair(&se, &x->dst, sndbuf, rcvbuf);
	end_blocking(&x->dst);
	c = cfg_of(STREAM_SEND, x->src, &se);
	if (over) {
		c.chunk = over->chunk;
		c.stall_ms = over->stall_ms;
		c.end_ack_ms = over->end_ack_ms;
		c.job_limit = over->job_limit;
	}
	x->s = start(&c);
}

static void tx_start(struct tx *x, const char *spec)
{
	tx_start_cfg(x, spec, NULL, 0, 0);
}

static void tx_free(struct tx *x)
{
	stream_free(x->s);
	if (x->dst.tls)
		end_close(&x->dst);
	backend_free(x->src);
	buf_free(&x->want);
	buf_free(&x->got);
}

/* Reads DATA frames (checking the sequence) until STREAM_END, which it returns decoded. With
 * ack_each, acknowledges every frame as a real destination would, only more often. */
static struct peer_stream_end tx_read_all(struct tx *x, size_t chunk, bool ack_each)
{
	struct frame_data d;
	struct frame_view f;
	struct peer_msg m;
	uint64_t seq = 0;

	for (;;) {
		f = peer_frame(&x->dst, frame_buf, sizeof(frame_buf));
		ck_assert_uint_gt(f.frame_len, 0);
		if (f.type == FRAME_STREAM_END)
			break;
		ck_assert_int_eq(f.type, FRAME_STREAM_DATA);
		ck_assert_int_eq(frame_data_parse(&f, &d), 0);
		ck_assert_uint_eq(d.seq, seq++);
		ck_assert_uint_gt(d.len, 0);
		ck_assert_uint_le(d.len, chunk);
		buf_add(&x->got, d.data, d.len);
		if (ack_each)
			peer_ack(&x->dst, INDEX, x->got.len);
	}
	ck_assert_int_eq(peer_msg_decode(f.type, f.body, f.body_len, &m), 0);
	return m.u.stream_end;
}

static struct stream_stats tx_expect_fail(struct tx *x, int error, const char *text)
{
	struct stream_stats st = finish(x->s, WAIT_MS);

	ck_assert_msg(st.state == STREAM_FAILED, "%s: %s", stream_state_name(st.state), st.message);
	ck_assert_msg(st.error == error, "error %d (%s), wanted %d", st.error, st.message, error);
	ck_assert_msg(strstr(st.message, text), "message '%s' lacks '%s'", st.message, text);
	return st;
}

/* Reads and drops whatever arrives until the stream has finished. */
static void tx_sink_until_finished(struct tx *x)
{
	struct stream_stats st;
	uint64_t t0 = now_ns();

	end_nonblocking(&x->dst);
	for (;;) {
		ssize_t n = tls_conn_read(x->dst.tls, frame_buf, sizeof(frame_buf));
		struct pollfd p = { .fd = x->dst.fd, .events = POLLIN };

		stream_stats(x->s, &st);
		if (st.state == STREAM_DONE || st.state == STREAM_FAILED ||
		    st.state == STREAM_CANCELLED)
			return;
		ck_assert_msg(ms_since(t0) < WAIT_MS, "stream did not finish");
		if (n == -EAGAIN)
			poll(&p, 1, 10);
		else if (n <= 0)
			usleep(10000);
	}
}

/* The framing, checked by an independent reader: sequence, chunking, bytes, END, close. */
START_TEST(test_send_framing)
{
	struct stream_config over = { .chunk = 100000 };
	struct peer_stream_end e;
	struct stream_stats st;
	uint8_t sha[32];
	struct tx x;

	tx_start_cfg(&x, "size=3M,flags=stop_copy|p2p", &over, 0, 0);
	e = tx_read_all(&x, over.chunk, true);
	ck_assert_uint_eq(x.got.len, x.want.len);
	ck_assert_mem_eq(x.got.p, x.want.p, x.want.len);
	ck_assert_uint_eq(e.device_index, INDEX);
	ck_assert_uint_eq(e.bytes, x.want.len);
	ck_assert_int_eq(digest_buffer(x.want.p, x.want.len, sha), 0);
	ck_assert_mem_eq(e.sha256, sha, 32);
	/* The frames' acks already covered everything; the source closes in order. */
	ck_assert_uint_eq(peer_frame(&x.dst, frame_buf, sizeof(frame_buf)).frame_len, 0);
	st = finish(x.s, WAIT_MS);
	ck_assert_msg(st.state == STREAM_DONE, "%s", st.message);
	ck_assert_uint_eq(st.bytes, x.want.len);
	ck_assert_uint_eq(st.bytes_acked, x.want.len);
	ck_assert_uint_eq(st.frames, (x.want.len + over.chunk - 1) / over.chunk);
	tx_free(&x);
}
END_TEST

/* The destination closes in order after END without acknowledging: DONE, nothing acked.
 * Without close_notify (a reset): FAILED. */
START_TEST(test_send_close_after_end)
{
	struct stream_stats st;
	struct tx x;

	tx_start(&x, SPEC);
	tx_read_all(&x, STREAM_CHUNK_DEFAULT, false);
	if (_i == 0) {
		ck_assert_int_eq(tls_conn_shutdown(x.dst.tls), 0);
		st = finish(x.s, WAIT_MS);
		ck_assert_msg(st.state == STREAM_DONE, "%s", st.message);
		ck_assert_uint_eq(st.bytes_acked, 0);
	} else {
		end_close(&x.dst);
		st = tx_expect_fail(&x, -EPIPE, "destination closed the stream after");
	}
	ck_assert(st.end);
	tx_free(&x);
}
END_TEST

/* A destination that never acknowledges END: the wait times out (0), or a cancel ends it
 * at once (1). */
START_TEST(test_send_no_final_ack)
{
	struct stream_config over = { .end_ack_ms = _i ? 0 : 300 };
	struct stream_stats st;
	struct tx x;

	tx_start_cfg(&x, SPEC, &over, 0, 0);
	tx_read_all(&x, STREAM_CHUNK_DEFAULT, false);
	if (_i == 0) {
		st = tx_expect_fail(&x, -ETIMEDOUT, "no final StreamAck within 300 ms");
	} else {
		await_state(x.s, STREAM_RUNNING, WAIT_MS);
		usleep(100000);
		stream_cancel(x.s);
		st = finish(x.s, PROMPT_MS);
		ck_assert_int_eq(st.state, STREAM_CANCELLED);
	}
	ck_assert(st.end);
	tx_free(&x);
}
END_TEST

/* Acknowledgements that cannot be true: more than was sent, or another device's. */
START_TEST(test_send_bad_ack)
{
	struct frame_view f;
	struct tx x;

	tx_start(&x, BIG_SPEC);
	f = peer_frame(&x.dst, frame_buf, sizeof(frame_buf));
	ck_assert_int_eq(f.type, FRAME_STREAM_DATA);
	if (_i == 0)
		peer_ack(&x.dst, INDEX, UINT64_C(1) << 40);
	else
		peer_ack(&x.dst, INDEX + 1, 1);
	tx_sink_until_finished(&x);
	tx_expect_fail(&x, -EPROTO, _i == 0 ? "StreamAck of 1099511627776 bytes" : "device 4");
	tx_free(&x);
}
END_TEST

/* A destination that sends DATA back. */
START_TEST(test_send_data_from_destination)
{
	struct tx x;

	tx_start(&x, BIG_SPEC);
	peer_data(&x.dst, 0, "x", 1);
	tx_sink_until_finished(&x);
	tx_expect_fail(&x, -EPROTO, "unexpected STREAM_DATA frame");
	tx_free(&x);
}
END_TEST

/* The destination sends close_notify mid-stream (still reading): the source fails. */
START_TEST(test_send_destination_closes)
{
	struct stream_stats st;
	struct tx x;

	tx_start(&x, BIG_SPEC);
	ck_assert_int_eq(peer_frame(&x.dst, frame_buf, sizeof(frame_buf)).type, FRAME_STREAM_DATA);
	ck_assert_int_eq(tls_conn_shutdown(x.dst.tls), 0);
	tx_sink_until_finished(&x);
	st = tx_expect_fail(&x, -EPIPE, "destination closed the stream after");
	ck_assert(!st.end);
	tx_free(&x);
}
END_TEST

/* A destination that stops reading, with tiny socket buffers: the source blocks in a TLS
 * write. Cancel (0) ends it at once; a stall timeout (1) fails it. */
START_TEST(test_send_blocked_peer)
{
	struct stream_config over = { .stall_ms = _i ? 1000 : 0 };
	struct stream_stats st, later;
	uint64_t t0 = now_ns();
	struct tx x;

	tx_start_cfg(&x, "size=64M,flags=stop_copy|p2p", &over, 4096, 4096);
	usleep(300000);
	stream_stats(x.s, &st);
	ck_assert_int_eq(st.state, STREAM_RUNNING);
	ck_assert_uint_lt(st.bytes, 4u << 20);
	usleep(200000);
	stream_stats(x.s, &later);
	ck_assert_uint_eq(later.bytes, st.bytes); /* blocked: nothing moves */
	if (_i == 0) {
		stream_cancel(x.s);
		st = finish(x.s, PROMPT_MS);
		ck_assert_int_eq(st.state, STREAM_CANCELLED);
		ck_assert_int_eq(st.error, -ECANCELED);
	} else {
		st = tx_expect_fail(&x, -ETIMEDOUT, "no progress for 1 s");
		ck_assert_uint_ge(ms_since(t0), 1000); /* the write began after t0 */
	}
	ck_assert(!st.end);
	tx_free(&x);
}
END_TEST

/* Cancel during a rate-limit wait: the first chunk waits a long time at 1000 B/s. */
START_TEST(test_send_cancel_rate_limited)
{
	struct stream_config over = { 0 };
	struct stream_stats st;
	uint64_t t0 = now_ns();
	struct tx x;

	ck_assert_int_eq(ratelimit_new(1000, 0, &over.job_limit), 0);
	tx_start_cfg(&x, SPEC, &over, 0, 0);
	for (;;) {
		stream_stats(x.s, &st);
		if (st.throttled_us)
			break;
		ck_assert_msg(ms_since(t0) < WAIT_MS, "no rate-limit wait");
		usleep(2000);
	}
	ck_assert_uint_eq(st.bytes, 0);
	stream_cancel(x.s);
	st = finish(x.s, PROMPT_MS);
	ck_assert_int_eq(st.state, STREAM_CANCELLED);
	ck_assert_uint_eq(st.bytes, 0);
	tx_free(&x);
	ratelimit_free(over.job_limit);
}
END_TEST

/* stream_free() on a stream still moving data cancels and joins it. */
START_TEST(test_free_running)
{
	struct tx x;

	tx_start(&x, "size=256M,flags=stop_copy|p2p");
	peer_frame(&x.dst, frame_buf, sizeof(frame_buf));
	stream_free(x.s);
	x.s = NULL;
	tx_free(&x);
}
END_TEST

/* Bad configurations are refused and leave fd and session to the caller. */
START_TEST(test_start_checks)
{
	struct backend *b = mk(SPEC);
	struct stream_config c;
	struct stream *s = NULL;
	struct end se, de;

	link_pair(&se, &de, 0, 0);
	for (int i = 0; i < 7; i++) {
		c = cfg_of(STREAM_SEND, b, &se);
		if (i == 0)
			c.role = 0;
		else if (i == 1)
			c.backend = NULL;
		else if (i == 2)
			c.tls = NULL;
		else if (i == 3)
			c.fd = -1;
		else if (i == 4)
			c.chunk = STREAM_CHUNK_MIN - 1;
		else if (i == 5)
			c.chunk = FRAME_DATA_MAX + 1;
		else
			c.prefix_len = 1; /* and no prefix */
		ck_assert_int_eq(stream_start(&c, &s), -EINVAL);
		ck_assert_ptr_null(s);
	}
	/* Still ours and still usable. */
	ck_assert_int_eq(fcntl(se.fd, F_GETFD), FD_CLOEXEC);
	ck_assert_str_eq(tls_conn_version(se.tls), "TLSv1.3");
	ck_assert_str_eq(stream_state_name(STREAM_IDLE), "IDLE");
	ck_assert_str_eq(stream_state_name(0), "UNKNOWN");
	end_close(&se);
	end_close(&de);
	backend_free(b);
}
END_TEST

static void quiet_log(enum log_level level, const char *line, void *userdata)
{
	if (level <= LOG_LVL_ERR)
		fprintf(stderr, "%s\n", line);
}

static Suite *stream_peer_suite(void)
{
	Suite *s = suite_create("stream_peer");
	TCase *rx = tcase_create("recv"), *tx = tcase_create("send");

	tcase_set_timeout(rx, 60);
	tcase_add_test(rx, test_recv_good_source);
	tcase_add_test(rx, test_recv_digest_lie);
	tcase_add_loop_test(rx, test_recv_count_lie, 0, 2);
	tcase_add_loop_test(rx, test_recv_eof_before_end, 0, 2);
	tcase_add_test(rx, test_recv_wrong_seq);
	tcase_add_loop_test(rx, test_recv_unexpected_frame, 0, 3);
	tcase_add_loop_test(rx, test_recv_malformed, 0, 4);
	tcase_add_test(rx, test_recv_device_refuses);
	tcase_add_test(rx, test_recv_end_other_device);
	tcase_add_test(rx, test_recv_cancel_waiting);
	tcase_add_test(rx, test_recv_stall);
	tcase_add_loop_test(rx, test_recv_prefix_and_pending, 0,
			    sizeof(prefix_cuts) / sizeof(prefix_cuts[0]));
	suite_add_tcase(s, rx);
	tcase_set_timeout(tx, 60);
	tcase_add_test(tx, test_send_framing);
	tcase_add_loop_test(tx, test_send_close_after_end, 0, 2);
	tcase_add_loop_test(tx, test_send_no_final_ack, 0, 2);
	tcase_add_loop_test(tx, test_send_bad_ack, 0, 2);
	tcase_add_test(tx, test_send_data_from_destination);
	tcase_add_test(tx, test_send_destination_closes);
	tcase_add_loop_test(tx, test_send_blocked_peer, 0, 2);
	tcase_add_test(tx, test_send_cancel_rate_limited);
	tcase_add_test(tx, test_free_running);
	tcase_add_test(tx, test_start_checks);
	suite_add_tcase(s, tx);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	log_set_sink(quiet_log, NULL);
	if (pki_setup("test_stream_peer") < 0) {
		fprintf(stderr, "test_stream_peer: could not make the test PKI\n");
		pki_teardown();
		return 1;
	}
	sr = srunner_create(stream_peer_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pki_teardown();
	return failed ? 1 : 0;
}
