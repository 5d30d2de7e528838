/*
 * test_stream.c - daemon/migrate/stream: real SEND and RECV streams between two sim devices
 * over loopback TCP + TLS (the test PKI; handshakes done here before the fd and session are
 * handed to stream_start). End to end with STOP_COPY-only and pre-copy devices (the test moves
 * the source to STOP_COPY while the worker runs, as the daemon will), several devices in
 * parallel, chunk sizes, corruption inside the device's data, a source reset mid-stream,
 * bandwidth caps, cancel while running and while idle, memory that stays flat while a
 * 1 GiB device streams, and TCP_NODELAY for a stream's last frames.
 *
 * The hand-made peers (lying, truncating, silent) are in test_stream_peer.c.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "test_stream_util.h"

#define FINISH_MS 60000

/* One device migration: source and destination devices, their streams, notifications. */
struct mig {
	struct backend *src, *dst;
	struct end se, de; /* until the streams take them */
	struct stream *send, *recv;
	struct notes sn, rn;
	struct stream_stats ss, rs;
};

/*
 * Makes both devices (dst with another seed, so that only a good load makes them equal),
 * opens the source's save session at src_state and the destination's resume session, and
 * links them.
 */
static void mig_prepare(struct mig *m, const char *spec, uint32_t seed, enum fsm_state src_state)
{
	char src_spec[256], dst_spec[256];

	memset(m, 0, sizeof(*m));
	snprintf(src_spec, sizeof(src_spec), "%s,seed=%u", spec, seed);
	snprintf(dst_spec, sizeof(dst_spec), "%s,seed=%u", spec, seed + 1000);
	m->src = mk(src_spec);
	m->dst = mk(dst_spec);
	ck_assert(go(m->src, src_state));
	ck_assert(go(m->dst, FSM_RESUMING));
	link_pair(&m->se, &m->de, 0, 0);
}

/* Starts both streams with the given SEND chunk and caps. */
static void mig_go(struct mig *m, uint32_t chunk, struct ratelimit *job, struct ratelimit *host)
{
	struct stream_config c;

	c = cfg_of(STREAM_RECV, m->dst, &m->de);
	c.notify = note_fn;
	c.notify_arg = &m->rn;
	m->recv = start(&c);
	c = cfg_of(STREAM_SEND, m->src, &m->se);
	c.chunk = chunk;
	c.job_limit = job;
	c.host_limit = host;
	c.notify = note_fn;
	c.notify_arg = &m->sn;
	m->send = start(&c);
}

static void mig_start_ex(struct mig *m, const char *spec, uint32_t seed, enum fsm_state src_state,
			 uint32_t chunk, struct ratelimit *job, struct ratelimit *host)
{
	mig_prepare(m, spec, seed, src_state);
	mig_go(m, chunk, job, host);
}

static void mig_start(struct mig *m, const char *spec, uint32_t seed, uint32_t chunk)
{
	mig_start_ex(m, spec, seed, FSM_STOP_COPY, chunk, NULL, NULL);
}

/* Waits for both streams; both must be DONE with every byte acknowledged. */
static void mig_finish(struct mig *m)
{
	m->ss = finish(m->send, FINISH_MS);
	m->rs = finish(m->recv, FINISH_MS);
	ck_assert_msg(m->ss.state == STREAM_DONE, "send %s: %s", stream_state_name(m->ss.state),
		      m->ss.message);
	ck_assert_msg(m->rs.state == STREAM_DONE, "recv %s: %s", stream_state_name(m->rs.state),
		      m->rs.message);
	ck_assert_int_eq(m->ss.error, 0);
	ck_assert_str_eq(m->ss.message, "");
	ck_assert_uint_eq(m->ss.bytes, m->rs.bytes);
	ck_assert_uint_eq(m->ss.bytes_acked, m->ss.bytes);
	ck_assert_uint_eq(m->rs.bytes_acked, m->rs.bytes);
	ck_assert_uint_eq(m->ss.frames, m->rs.frames);
	ck_assert(m->ss.end && m->rs.end);
	ck_assert(atomic_load(&m->sn.saw_terminal) && atomic_load(&m->rn.saw_terminal));
}

/* The destination loads (RESUMING -> STOP validates) and must equal want (or the source). */
static void mig_check_loaded(struct mig *m, const uint8_t *want)
{
	uint8_t a[32], b[32];

	if (!want) {
		digest_of(m->src, a);
		want = a;
	}
	go(m->dst, FSM_STOP);
	digest_of(m->dst, b);
	ck_assert_mem_eq(want, b, 32);
}

static void mig_free(struct mig *m)
{
	stream_free(m->send);
	stream_free(m->recv);
	backend_free(m->src);
	backend_free(m->dst);
}

static uint64_t state_size(struct backend *b)
{
	struct backend_desc d;

	ck_assert_int_eq(backend_describe(b, &d), 0);
	return d.state_size;
}

START_TEST(test_stop_copy_only)
{
	struct mig m;
	uint8_t before[32], after[32];

	mig_start(&m, "size=8M,flags=stop_copy|p2p", 7, 0);
	digest_of(m.dst, before);
	mig_finish(&m);
	ck_assert_uint_eq(m.ss.bytes, state_size(m.src));
	ck_assert_uint_eq(m.ss.frames,
			  (m.ss.bytes + STREAM_CHUNK_DEFAULT - 1) / STREAM_CHUNK_DEFAULT);
	ck_assert_uint_eq(m.ss.idle_periods, 0);
	ck_assert_uint_gt(m.ss.rate, 0);
	ck_assert_uint_ge(atomic_load(&m.sn.calls), 2);
	mig_check_loaded(&m, NULL);
	digest_of(m.dst, after);
	ck_assert_mem_ne(before, after, 32);
	mig_free(&m);
}
END_TEST

static int nodelay_of(int fd)
{
	int on = -1;
	socklen_t len = sizeof(on);

	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
	return on;
}

/*
 * Bulk DATA goes with Nagle on; the last frames (STREAM_END, the final StreamAck) go with
 * TCP_NODELAY on both ends, so they never wait for a delayed ACK (40 ms of downtime).
 */
START_TEST(test_end_nodelay)
{
	struct mig m;
	int sfd, dfd;

	mig_prepare(&m, "size=8M,flags=stop_copy|p2p", 17, FSM_STOP_COPY);
	sfd = m.se.fd;
	dfd = m.de.fd;
	ck_assert_int_eq(nodelay_of(sfd), 0);
	ck_assert_int_eq(nodelay_of(dfd), 0);
	mig_go(&m, 0, NULL, NULL);
	mig_finish(&m);
	/* the streams own the fds until stream_free() */
	ck_assert_int_ne(nodelay_of(sfd), 0);
	ck_assert_int_ne(nodelay_of(dfd), 0);
	mig_check_loaded(&m, NULL);
	mig_free(&m);
}
END_TEST

static const uint32_t chunks[] = { 4096, 1u << 20 };

START_TEST(test_chunk_sizes)
{
	uint32_t chunk = chunks[_i];
	struct mig m;

	mig_start(&m, "size=4M,flags=stop_copy|p2p", 11, chunk);
	mig_finish(&m);
	ck_assert_uint_eq(m.ss.frames, (m.ss.bytes + chunk - 1) / chunk);
	mig_check_loaded(&m, NULL);
	mig_free(&m);
}
END_TEST

/* Pre-copy: IDLE at every temporary end, dirty data keeps coming, STOP_COPY ends it. */
START_TEST(test_precopy_then_stop_copy)
{
	struct stream_stats st;
	struct mig m;
	uint8_t at_stop[32];
	uint64_t t0 = now_ns();

	mig_start_ex(&m, "size=4M,dirty_rate=2M", 5, FSM_PRE_COPY, 0, NULL, NULL);
	st = await_state(m.send, STREAM_IDLE, 20000);
	ck_assert(st.precopy_valid);
	ck_assert_uint_eq(st.precopy_initial, 0);
	ck_assert_uint_ge(st.bytes, state_size(m.src) - 24); /* the initial pass, not yet END */
	/* The device keeps dirtying pages: the stream leaves IDLE and comes back, repeatedly. */
	do {
		ck_assert_msg(ms_since(t0) < 20000, "no further pre-copy passes");
		usleep(10000);
		stream_stats(m.send, &st);
	} while (st.idle_periods < 3);
	ck_assert(atomic_load(&m.sn.saw_idle));
	/* Switchover, from this thread while the worker runs, as the daemon does it. */
	go(m.src, FSM_STOP_COPY);
	digest_of(m.src, at_stop);
	mig_finish(&m);
	ck_assert_uint_gt(m.ss.bytes, state_size(m.src) - 24);
	ck_assert(!m.ss.precopy_valid);
	mig_check_loaded(&m, at_stop);
	mig_free(&m);
}
END_TEST

static const int parallel_n[] = { 2, 4 };

START_TEST(test_parallel)
{
	int n = parallel_n[_i];
	struct mig m[4];
	uint64_t last_start = 0, first_finish = UINT64_MAX;

	/* Links first (handshakes take a while), then every stream at once. */
	for (int i = 0; i < n; i++)
		mig_prepare(&m[i], "size=16M,flags=stop_copy|p2p", 20 + (uint32_t)i, FSM_STOP_COPY);
	for (int i = 0; i < n; i++)
		mig_go(&m[i], 0, NULL, NULL);
	for (int i = 0; i < n; i++) {
		mig_finish(&m[i]);
		mig_check_loaded(&m[i], NULL);
		if (m[i].ss.started_ns > last_start)
			last_start = m[i].ss.started_ns;
		if (m[i].ss.finished_ns < first_finish)
			first_finish = m[i].ss.finished_ns;
	}
	/* Every stream started before any finished: they ran side by side. */
	ck_assert_uint_lt(last_start, first_finish);
	for (int i = 0; i < n; i++)
		mig_free(&m[i]);
}
END_TEST

/* Corruption inside the device's data: the stream is intact, the device's validation fails. */
START_TEST(test_corrupt_device_data)
{
	struct mig m;
	bool opened;

	/* Offset 1000: inside page 0's content (header 40 bytes, page head 16). */
	mig_start(&m, "size=1M,flags=stop_copy|p2p,corrupt_at=1000", 3, 0);
	mig_finish(&m);
	ck_assert_int_eq(backend_set_state(m.dst, FSM_STOP, &opened), -EINVAL);
	ck_assert_int_eq(state_of(m.dst), FSM_ERROR);
	mig_free(&m);
}
END_TEST

START_TEST(test_source_reset_mid_stream)
{
	struct mig m;

	mig_start(&m, "size=8M,flags=stop_copy|p2p,reset_at=2M", 4, 0);
	m.ss = finish(m.send, FINISH_MS);
	ck_assert_int_eq(m.ss.state, STREAM_FAILED);
	ck_assert_int_eq(m.ss.error, -ENODEV);
	ck_assert_msg(strstr(m.ss.message, "device read failed"), "%s", m.ss.message);
	ck_assert_uint_eq(m.ss.bytes, 2u << 20);
	ck_assert(!m.ss.end);
	ck_assert_uint_eq(sim_resets(m.src), 1);
	/* The source's connection closes without END: the destination must not call it done. */
	stream_free(m.send);
	m.send = NULL;
	m.rs = finish(m.recv, FINISH_MS);
	ck_assert_int_eq(m.rs.state, STREAM_FAILED);
	ck_assert_int_eq(m.rs.error, -EPIPE);
	ck_assert_msg(strstr(m.rs.message, "stream ended before END: 2097152 bytes received"), "%s",
		      m.rs.message);
	mig_free(&m);
}
END_TEST

/* 40 MiB at 20 MB/s: at least ~2 s, whichever cap applies (the other is unlimited/absent). */
START_TEST(test_rate_limit)
{
	struct ratelimit *cap, *none;
	struct mig m;
	uint64_t t0 = now_ns(), ms;

	ck_assert_int_eq(ratelimit_new(20000000, 0, &cap), 0);
	ck_assert_int_eq(ratelimit_new(0, 0, &none), 0);
	if (_i == 0)
		mig_start_ex(&m, "size=40M,flags=stop_copy|p2p", 8, FSM_STOP_COPY, 0, cap, none);
	else
		mig_start_ex(&m, "size=40M,flags=stop_copy|p2p", 8, FSM_STOP_COPY, 0, NULL, cap);
	mig_finish(&m);
	ms = ms_since(t0);
	/* (41.9 MB - 2 MB of burst) / 20 MB/s = 2.0 s; only a loose lower bound. */
	ck_assert_msg(ms >= 1800, "40 MiB at 20 MB/s took only %llu ms", (unsigned long long)ms);
	ck_assert_uint_gt(m.ss.throttled_us, 1000000);
	ck_assert_uint_eq(m.rs.throttled_us, 0);
	/* Progress is notified at most every notify_ms (50), plus the state changes. */
	ck_assert_uint_le(atomic_load(&m.sn.calls), ms / 50 + 4);
	ck_assert_uint_ge(atomic_load(&m.sn.calls), 10);
	mig_check_loaded(&m, NULL);
	mig_free(&m);
	ratelimit_free(cap);
	ratelimit_free(none);
}
END_TEST

/* The cap drops to unlimited mid-stream: the waits stop, the stream completes at full speed. */
START_TEST(test_rate_change_live)
{
	struct stream_stats st;
	struct ratelimit *cap;
	struct mig m;

	ck_assert_int_eq(ratelimit_new(2000000, 0, &cap), 0);
	mig_start_ex(&m, "size=32M,flags=stop_copy|p2p", 13, FSM_STOP_COPY, 0, cap, NULL);
	st = await_bytes(m.send, 2u << 20, 20000);
	ck_assert_uint_gt(st.throttled_us, 0);
	ratelimit_set_rate(cap, 0);
	mig_finish(&m);
	/* At 2 MB/s the whole 32 MiB would have waited ~16.7 s; after the change at most the wait
	 * already running (one chunk) is added. An accounting bound, not a timing one. */
	ck_assert_uint_lt(m.ss.throttled_us, 4000000);
	mig_check_loaded(&m, NULL);
	mig_free(&m);
	ratelimit_free(cap);
}
END_TEST

static long max_rss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* A 1 GiB device streams through two 1 MiB buffers: peak RSS barely moves. */
START_TEST(test_memory_flat)
{
	struct mig m;
	long before, after;

	/* The growth includes the devices' metadata (a few MiB for 1 GiB of 4 KiB pages). */
	before = max_rss_kib();
	mig_start(&m, "size=1G,flags=stop_copy|p2p", 9, 0);
	mig_finish(&m);
	after = max_rss_kib();
	ck_assert_uint_eq(m.ss.bytes, state_size(m.src));
	ck_assert_msg(after - before < 64 * 1024, "peak RSS grew by %ld KiB streaming 1 GiB",
		      after - before);
	mig_check_loaded(&m, NULL);
	mig_free(&m);
}
END_TEST

START_TEST(test_cancel_running)
{
	struct stream_stats st;
	struct mig m;

	mig_start(&m, "size=1G,flags=stop_copy|p2p", 12, 0);
	await_bytes(m.send, 8u << 20, 20000);
	stream_cancel(m.send);
	stream_cancel(m.send); /* twice is harmless */
	st = finish(m.send, 5000);
	ck_assert_int_eq(st.state, STREAM_CANCELLED);
	ck_assert_int_eq(st.error, -ECANCELED);
	ck_assert(!st.end);
	stream_cancel(m.recv);
	st = finish(m.recv, 5000);
	ck_assert_int_eq(st.state, STREAM_CANCELLED);
	ck_assert(!st.end);
	mig_free(&m);
}
END_TEST

/* Cancel interrupts the pre-copy poll interval (a minute here). */
START_TEST(test_cancel_idle)
{
	struct stream_stats st;
	struct stream_config c;
	struct backend *src = mk("size=256K");
	struct end se, de;
	struct stream *s;

	ck_assert(go(src, FSM_PRE_COPY));
	link_pair(&se, &de, 0, 0);
	c = cfg_of(STREAM_SEND, src, &se);
	c.poll_ms = 60000;
	s = start(&c);
	await_state(s, STREAM_IDLE, 20000);
	stream_cancel(s);
	st = finish(s, 5000);
	ck_assert_int_eq(st.state, STREAM_CANCELLED);
	ck_assert_uint_eq(st.idle_periods, 1);
	stream_free(s);
	end_close(&de);
	backend_free(src);
}
END_TEST

static void quiet_log(enum log_level level, const char *line, void *userdata)
{
	if (level <= LOG_LVL_ERR)
		fprintf(stderr, "%s\n", line);
}

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("end_to_end");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_stop_copy_only);
	tcase_add_test(tc, test_end_nodelay);
	tcase_add_loop_test(tc, test_chunk_sizes, 0, 2);
	tcase_add_test(tc, test_precopy_then_stop_copy);
	tcase_add_loop_test(tc, test_parallel, 0, 2);
	tcase_add_test(tc, test_corrupt_device_data);
	tcase_add_test(tc, test_source_reset_mid_stream);
	tcase_add_loop_test(tc, test_rate_limit, 0, 2);
	tcase_add_test(tc, test_rate_change_live);
	tcase_add_test(tc, test_memory_flat);
	tcase_add_test(tc, test_cancel_running);
	tcase_add_test(tc, test_cancel_idle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	log_set_sink(quiet_log, NULL);
	if (pki_setup("test_stream") < 0) {
		fprintf(stderr, "test_stream: could not make the test PKI\n");
		pki_teardown();
		return 1;
	}
	sr = srunner_create(stream_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pki_teardown();
	return failed ? 1 : 0;
}
