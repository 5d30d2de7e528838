/*
 * test_sim_stream.c - the sim backend's migration stream: save -> resume into a second device
 * with and without pre-copy and dirtying, partial I/O with every read and write size,
 * ENOMSG/EOF, precopy info and data size, stream validation on resume (header mismatch,
 * truncated and malformed streams, a writer that closes early), a 4 GiB device that costs
 * megabytes, and a stream read by one thread while another controls the device.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim.h"
#include "sim_helpers.h"
#include "sim_stream.h"

/* ---- save and resume ---- */

START_TEST(test_roundtrip_stop_copy_only)
{
	static const char *const specs[] = { "size=256K,seed=5,flags=stop_copy",
					     "size=256K,seed=5,flags=stop_copy|p2p",
					     "size=256K,seed=5,page=512" };

	for (size_t k = 0; k < 3; k++) {
		struct backend *src = mk(specs[k]), *dst;
		struct buf s = { 0 };
		uint8_t ds[32], dd[32], fresh[32];
		char dspec[80];

		digest_of(src, fresh);
		for (uint64_t p = 0; p < 64; p += 3)
			ck_assert_int_eq(sim_touch(src, p), 0);
		go(src, FSM_STOP_COPY);
		ck_assert_int_eq(sim_touch(src, 0), -EBUSY);
		ck_assert_int_eq(drain(src, 4096, &s), 0);
		ck_assert_int_eq(backend_stream_read(src, s.p, 1), 0);
		digest_of(src, ds);
		ck_assert_mem_ne(ds, fresh, 32);
		/* The destination starts with other content (another seed). */
		snprintf(dspec, sizeof(dspec), "%s,seed=99", specs[k]);
		dst = resume(dspec, &s, 10000);
		digest_of(dst, dd);
		ck_assert_mem_eq(ds, dd, 32);
		buf_free(&s);
		backend_free(src);
		backend_free(dst);
	}
}
END_TEST

START_TEST(test_roundtrip_precopy_touch)
{
	static const char *const specs[] = { "size=64K,seed=3,flags=stop_copy|pre_copy",
					     "size=64K,seed=3" };
	const uint64_t rec = 16 + 4096;

	for (size_t k = 0; k < 2; k++) {
		struct backend *src = mk(specs[k]), *dst;
		struct buf s = { 0 };
		uint8_t ds[32], dd[32], fresh[32];
		unsigned char tmp[7];
		uint64_t ini, dirty;

		digest_of(src, fresh);
		ck_assert(go(src, FSM_PRE_COPY));
		/* Half of the initial pass in 7-byte reads: page 7 is in flight. */
		while (s.len < 40 + 7 * rec + 100) {
			ck_assert_int_eq(backend_stream_read(src, tmp, 7), 7);
			buf_add(&s, tmp, 7);
		}
		ck_assert_int_eq(sim_touch(src, 0), 0);	 /* sent: queued */
		ck_assert_int_eq(sim_touch(src, 7), 0);	 /* in flight: queued */
		ck_assert_int_eq(sim_touch(src, 15), 0); /* not reached yet: not queued */
		ck_assert_int_eq(sim_touch(src, 0), 0);	 /* queued once */
		ck_assert_int_eq(backend_precopy_info(src, &ini, &dirty), 0);
		ck_assert_uint_eq(dirty, 2 * rec);
		ck_assert_int_eq(drain(src, 7, &s), -ENOMSG);
		ck_assert_int_eq(backend_precopy_info(src, &ini, &dirty), 0);
		ck_assert_uint_eq(ini, 0);
		ck_assert_uint_eq(dirty, 0);
		ck_assert_int_eq(sim_touch(src, 3), 0);
		ck_assert_int_eq(sim_touch(src, 15), 0);
		ck_assert_int_eq(sim_touch(src, 9), 0);
		ck_assert_int_eq(backend_precopy_info(src, &ini, &dirty), 0);
		ck_assert_uint_eq(dirty, 3 * rec);
		ck_assert_int_eq(drain(src, 4095, &s), -ENOMSG);
		ck_assert_int_eq(sim_touch(src, 1), 0);
		ck_assert(!go(src, FSM_STOP_COPY));
		ck_assert_int_eq(sim_touch(src, 2), -EBUSY);
		ck_assert_int_eq(drain(src, 65537, &s), 0);
		digest_of(src, ds);
		ck_assert_mem_ne(ds, fresh, 32);
		/* 16 initial pages and 6 resends. */
		ck_assert_uint_eq(s.len, 40 + 22 * rec + 24);
		dst = resume("size=64K,seed=11", &s, 4095);
		digest_of(dst, dd);
		ck_assert_mem_eq(ds, dd, 32);
		buf_free(&s);
		backend_free(src);
		backend_free(dst);
	}
}
END_TEST

START_TEST(test_roundtrip_dirty_rate)
{
	struct backend *src = mk("size=1M,seed=21,dirty_rate=64M"), *dst;
	struct buf s = { 0 };
	uint8_t ds[32], dd[32], fresh[32];
	uint64_t ini, dirty, max_dirty = 0, t0;
	uint64_t end_records;
	struct sim_stream_end e;

	/* A stopped device does not dirty. */
	go(src, FSM_STOP);
	digest_of(src, fresh);
	{
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	digest_of(src, ds);
	ck_assert_mem_eq(ds, fresh, 32);
	ck_assert(go(src, FSM_PRE_COPY));
	t0 = now_ns();
	while (now_ns() - t0 < 150 * 1000 * 1000ULL) {
		ck_assert_int_eq(backend_precopy_info(src, &ini, &dirty), 0);
		if (dirty > max_dirty)
			max_dirty = dirty;
		if (drain(src, 65536, &s) == -ENOMSG) {
			struct timespec ts = { 0, 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	ck_assert_uint_gt(max_dirty, 0);
	go(src, FSM_STOP_COPY);
	ck_assert_int_eq(drain(src, 65536, &s), 0);
	digest_of(src, ds);
	ck_assert_mem_ne(ds, fresh, 32);
	sim_stream_get_end(s.p + s.len - SIM_STREAM_END_LEN, &e);
	end_records = e.records;
	ck_assert_uint_eq(e.pages, 256);
	ck_assert_uint_gt(end_records, 256);
	dst = resume("size=1M,seed=22", &s, 65537);
	digest_of(dst, dd);
	ck_assert_mem_eq(ds, dd, 32);
	buf_free(&s);
	backend_free(src);
	backend_free(dst);
}
END_TEST

/*
 * 2 KiB/s of 512-byte pages is one page every 250 ms, far less than a page between two of the
 * 1 ms polls below: pages get dirtied only if the remainder is carried from call to call.
 */
START_TEST(test_slow_dirty_rate_carries)
{
	const uint64_t rec = 512 + 16, ms = 1000 * 1000;
	uint64_t born = now_ns(), ini, dirty, t0, most;
	struct backend *b = mk("size=64K,page=512,dirty_rate=2K");
	struct timespec ts = { 0, (long)ms };

	go(b, FSM_PRE_COPY);
	ck_assert_int_eq(drain(b, 65536, NULL), -ENOMSG);
	t0 = now_ns();
	do {
		ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
		nanosleep(&ts, NULL);
	} while (now_ns() - t0 < 700 * ms);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	/* At least 700 ms at 4 pages/s: 2 draws (1 page if both hit the same one); at most what
	 * the device's whole life accounts for. */
	most = (now_ns() - born) / (250 * ms) + 1;
	ck_assert_uint_ge(dirty, rec);
	ck_assert_uint_le(dirty, most * rec);
	backend_free(b);
}
END_TEST

/* Reads the same stream with every read size and resumes it with every write size. */
START_TEST(test_partial_io)
{
	static const size_t sizes[] = { 1, 7, 4095, 65537 };
	struct buf ref = { 0 };
	uint8_t want[32];

	stream_of("size=64K,seed=8", &ref);
	ck_assert_uint_eq(ref.len, sim_stream_full_size(16, 4096));
	{
		struct backend *b = mk("size=64K,seed=8");

		digest_of(b, want);
		backend_free(b);
	}
	for (size_t r = 0; r < 4; r++) {
		struct backend *src = mk("size=64K,seed=8");
		struct buf s = { 0 };

		go(src, FSM_STOP_COPY);
		ck_assert_int_eq(drain(src, sizes[r], &s), 0);
		ck_assert_uint_eq(s.len, ref.len);
		ck_assert_mem_eq(s.p, ref.p, ref.len);
		backend_free(src);
		for (size_t w = 0; w < 4; w++) {
			struct backend *dst = resume("size=64K,seed=1", &s, sizes[w]);
			uint8_t got[32];

			digest_of(dst, got);
			ck_assert_mem_eq(got, want, 32);
			backend_free(dst);
		}
		buf_free(&s);
	}
	buf_free(&ref);
}
END_TEST

START_TEST(test_enomsg_and_eof)
{
	struct backend *b = mk("size=16K");
	unsigned char c;
	uint64_t left;

	go(b, FSM_PRE_COPY);
	ck_assert_int_eq(drain(b, 4096, NULL), -ENOMSG);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(backend_stream_read(b, &c, 1), -ENOMSG);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, SIM_STREAM_END_LEN);
	go(b, FSM_STOP_COPY);
	/* STOP_COPY never says ENOMSG: END, then EOF forever. */
	for (unsigned int i = 0; i < SIM_STREAM_END_LEN; i++)
		ck_assert_int_eq(backend_stream_read(b, &c, 1), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(backend_stream_read(b, &c, 1), 0);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, 0);
	backend_free(b);
}
END_TEST

START_TEST(test_precopy_info_and_data_size)
{
	struct backend *b = mk("size=64K");
	const uint64_t rec = 16 + 4096, full = 40 + 16 * rec + 24;
	unsigned char tmp[4096];
	uint64_t ini, dirty, left;

	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), -EINVAL);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, full);
	go(b, FSM_PRE_COPY);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	ck_assert_uint_eq(ini, full - 24);
	ck_assert_uint_eq(dirty, 0);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, full);
	ck_assert_int_eq(backend_stream_read(b, tmp, 100), 100);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	ck_assert_uint_eq(ini, full - 24 - 100);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, full - 100);
	/* Page 0 is in flight: dirtying it queues a resend. */
	ck_assert_int_eq(sim_touch(b, 0), 0);
	ck_assert_int_eq(sim_touch(b, 12), 0);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	ck_assert_uint_eq(ini, full - 24 - 100);
	ck_assert_uint_eq(dirty, rec);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, full - 100 + rec);
	go(b, FSM_PRE_COPY_P2P);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	ck_assert_uint_eq(dirty, rec);
	ck_assert_int_eq(drain(b, 3000, NULL), -ENOMSG);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	ck_assert_uint_eq(ini + dirty, 0);
	/* Half-way through a resent page, what is left of it is dirty data. */
	ck_assert_int_eq(sim_touch(b, 3), 0);
	ck_assert_int_eq(backend_stream_read(b, tmp, 100), 100);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), 0);
	ck_assert_uint_eq(ini, 0);
	ck_assert_uint_eq(dirty, rec - 100);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, rec - 100 + 24);
	ck_assert_int_eq(drain(b, 3000, NULL), -ENOMSG);
	go(b, FSM_STOP_COPY);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), -EINVAL);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, 24);
	backend_free(b);
	b = mk("flags=stop_copy|p2p");
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), -ENOTTY);
	go(b, FSM_STOP_COPY);
	ck_assert_int_eq(backend_precopy_info(b, &ini, &dirty), -ENOTTY);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, full);
	ck_assert_int_eq(backend_stream_read(b, tmp, sizeof(tmp)), sizeof(tmp));
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, full - sizeof(tmp));
	backend_free(b);
}
END_TEST

/* ---- stream validation ---- */

START_TEST(test_header_mismatch)
{
	static const char *const dsts[] = { "size=128K", "size=64K,page=8192", "size=32K" };
	struct buf s = { 0 };

	stream_of("size=64K", &s);
	for (size_t k = 0; k < 3; k++) {
		struct backend *dst = mk(dsts[k]);
		uint8_t before[32], after[32];

		digest_of(dst, before);
		go(dst, FSM_RESUMING);
		/* Byte by byte: the write that completes the header fails. */
		for (unsigned int i = 0; i < SIM_STREAM_HEADER_LEN - 1; i++)
			ck_assert_int_eq(backend_stream_write(dst, s.p + i, 1), 1);
		ck_assert_int_eq(backend_stream_write(dst, s.p + 39, 1), -EINVAL);
		ck_assert_int_eq(backend_stream_write(dst, s.p + 40, 100), -EINVAL);
		ck_assert_int_eq(backend_set_state(dst, FSM_STOP, NULL), -EINVAL);
		ck_assert_int_eq(state_of(dst), FSM_ERROR);
		ck_assert_int_eq(backend_reset(dst), 0);
		digest_of(dst, after);
		ck_assert_mem_eq(before, after, 32);
		backend_free(dst);
	}
	buf_free(&s);
}
END_TEST

/* Feeds data and expects RESUMING -> STOP to fail. */
static void expect_refused(const unsigned char *data, size_t len)
{
	struct backend *dst = mk("size=64K,seed=2");
	uint8_t before[32], after[32];

	digest_of(dst, before);
	go(dst, FSM_RESUMING);
	feed(dst, data, len, 5000);
	ck_assert_int_eq(backend_set_state(dst, FSM_STOP, NULL), -EINVAL);
	ck_assert_int_eq(state_of(dst), FSM_ERROR);
	digest_of(dst, after);
	ck_assert_mem_eq(before, after, 32);
	backend_free(dst);
}

START_TEST(test_truncated_and_malformed)
{
	const size_t rec = 16 + 4096;
	struct buf s = { 0 }, cut = { 0 }, twice = { 0 };
	struct backend *dst;

	stream_of("size=64K", &s);
	expect_refused(s.p, 0);
	expect_refused(s.p, 40);
	expect_refused(s.p, s.len - 1);
	expect_refused(s.p, s.len - SIM_STREAM_END_LEN);
	/* A page record missing from the middle. */
	buf_add(&cut, s.p, 40 + 3 * rec);
	buf_add(&cut, s.p + 40 + 4 * rec, s.len - 40 - 4 * rec);
	expect_refused(cut.p, cut.len);
	/* A page record sent twice: END's record count no longer matches. */
	buf_free(&cut);
	buf_add(&cut, s.p, 40 + 4 * rec);
	buf_add(&cut, s.p + 40 + 3 * rec, s.len - 40 - 3 * rec);
	expect_refused(cut.p, cut.len);
	/* Two records' page indices swapped: each page's bytes belong to the other page. */
	buf_free(&cut);
	buf_add(&cut, s.p, s.len);
	cut.p[40 + 3 * rec + 8] = 4;
	cut.p[40 + 4 * rec + 8] = 3;
	expect_refused(cut.p, cut.len);
	/* A record claiming another version of its page. */
	buf_free(&cut);
	buf_add(&cut, s.p, s.len);
	cut.p[40 + 5 * rec + 4] = 1;
	expect_refused(cut.p, cut.len);
	/* A header with another seed: every page's bytes are wrong. */
	buf_free(&cut);
	buf_add(&cut, s.p, s.len);
	cut.p[32] ^= 1;
	expect_refused(cut.p, cut.len);
	/* Bytes after END, in the same write or a later one, are refused. */
	buf_add(&twice, s.p, s.len);
	buf_add(&twice, s.p, 10);
	dst = mk("size=64K");
	go(dst, FSM_RESUMING);
	ck_assert_int_eq(backend_stream_write(dst, twice.p, twice.len), -EINVAL);
	ck_assert_int_eq(backend_set_state(dst, FSM_STOP, NULL), -EINVAL);
	backend_free(dst);
	dst = mk("size=64K");
	go(dst, FSM_RESUMING);
	feed(dst, s.p, s.len, s.len);
	ck_assert_int_eq(backend_stream_write(dst, s.p, 1), -EINVAL);
	backend_free(dst);
	/* A page index out of range fails the write. */
	buf_free(&cut);
	buf_add(&cut, s.p, s.len);
	cut.p[40 + 8] = 0xff;
	dst = mk("size=64K");
	go(dst, FSM_RESUMING);
	ck_assert_int_eq(backend_stream_write(dst, cut.p, 40 + 16), -EINVAL);
	backend_free(dst);
	buf_free(&cut);
	buf_free(&twice);
	buf_free(&s);
}
END_TEST

START_TEST(test_resume_writer_closed_early)
{
	struct buf s = { 0 };
	struct backend *src = mk("size=64K,seed=12"), *dst = mk("size=64K");
	uint8_t a[32], b[32];

	digest_of(src, a);
	backend_free(src);
	stream_of("size=64K,seed=12", &s);
	go(dst, FSM_RESUMING);
	feed(dst, s.p, s.len, 777);
	backend_stream_close(dst);
	ck_assert_int_eq(backend_stream_write(dst, s.p, 1), -EBADF);
	go(dst, FSM_STOP);
	digest_of(dst, b);
	ck_assert_mem_eq(a, b, 32);
	/* The resumed device runs with the received content. */
	go(dst, FSM_RUNNING);
	ck_assert_int_eq(sim_touch(dst, 0), 0);
	digest_of(dst, b);
	ck_assert_mem_ne(a, b, 32);
	buf_free(&s);
	backend_free(dst);
}
END_TEST

/* ---- scale and threads ---- */

static long maxrss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

START_TEST(test_4gib_is_cheap)
{
	struct sim_config c;
	struct backend *b = NULL, *b2 = NULL;
	struct backend_desc d;
	uint8_t d1[32], d2[32];
	unsigned char *tmp = malloc(1 << 20);
	long before = maxrss_kib();
	uint64_t left;

	ck_assert_ptr_nonnull(tmp);
	sim_config_init(&c);
	c.size = 4ULL << 30;
	ck_assert_int_eq(sim_new("big", &c, &b), 0);
	ck_assert_int_eq(sim_new("big2", &c, &b2), 0);
	ck_assert_int_eq(backend_describe(b, &d), 0);
	ck_assert_str_eq(d.model, "sim 4294967296x4096 flags STOP_COPY|P2P|PRE_COPY");
	ck_assert_uint_eq(d.state_size, sim_stream_full_size(1 << 20, 4096));
	digest_of(b, d1);
	digest_of(b2, d2);
	ck_assert_mem_eq(d1, d2, 32);
	ck_assert_int_eq(sim_touch(b2, (1 << 20) - 1), 0);
	digest_of(b2, d2);
	ck_assert_mem_ne(d1, d2, 32);
	go(b, FSM_PRE_COPY);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(backend_stream_read(b, tmp, 1 << 20), 1 << 20);
	ck_assert_int_eq(backend_data_size(b, &left), 0);
	ck_assert_uint_eq(left, d.state_size - (16 << 20));
	/* Two 4 GiB devices and 16 MiB streamed: metadata only, a few MiB each. */
	ck_assert_msg(maxrss_kib() - before < 64 * 1024, "max RSS grew by %ld KiB",
		      maxrss_kib() - before);
	free(tmp);
	backend_free(b);
	backend_free(b2);
}
END_TEST

struct worker {
	struct backend *b;
	struct buf out;
	ssize_t last;
};

static void *stream_worker(void *arg)
{
	struct worker *w = arg;
	unsigned char *tmp = malloc(65536);
	struct timespec ts = { 0, 100 * 1000 };

	for (;;) {
		ssize_t n = backend_stream_read(w->b, tmp, 65536);

		if (n > 0) {
			buf_add(&w->out, tmp, (size_t)n);
			continue;
		}
		if (n == -ENOMSG) {
			nanosleep(&ts, NULL);
			continue;
		}
		w->last = n;
		break;
	}
	free(tmp);
	return NULL;
}

/* A worker streams while another thread reads state, dirties pages and switches over. */
START_TEST(test_concurrent_stream_and_control)
{
	struct worker w = { .b = mk("size=4M,seed=31,dirty_rate=32M") };
	struct backend *dst;
	uint8_t ds[32], dd[32];
	uint64_t t0, ini, dirty;
	pthread_t t;

	go(w.b, FSM_PRE_COPY);
	ck_assert_int_eq(pthread_create(&t, NULL, stream_worker, &w), 0);
	t0 = now_ns();
	for (uint64_t i = 0; now_ns() - t0 < 100 * 1000 * 1000ULL; i++) {
		ck_assert_int_eq(state_of(w.b), FSM_PRE_COPY);
		ck_assert_int_eq(backend_precopy_info(w.b, &ini, &dirty), 0);
		ck_assert_int_eq(sim_touch(w.b, (i * 37) % 1024), 0);
	}
	/* Switchover stays inside the saving group, so it may race the worker. */
	go(w.b, FSM_PRE_COPY_P2P);
	go(w.b, FSM_STOP_COPY);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.last, 0);
	digest_of(w.b, ds);
	dst = resume("size=4M", &w.out, 100000);
	digest_of(dst, dd);
	ck_assert_mem_eq(ds, dd, 32);
	buf_free(&w.out);
	backend_free(w.b);
	backend_free(dst);
}
END_TEST

static Suite *sim_stream_suite(void)
{
	Suite *s = suite_create("sim_stream");
	TCase *stream = tcase_create("stream");
	TCase *validate = tcase_create("validate");
	TCase *scale = tcase_create("scale");

	tcase_add_test(stream, test_roundtrip_stop_copy_only);
	tcase_add_test(stream, test_roundtrip_precopy_touch);
	tcase_add_test(stream, test_roundtrip_dirty_rate);
	tcase_add_test(stream, test_slow_dirty_rate_carries);
	tcase_add_test(stream, test_partial_io);
	tcase_add_test(stream, test_enomsg_and_eof);
	tcase_add_test(stream, test_precopy_info_and_data_size);
	tcase_add_test(validate, test_header_mismatch);
	tcase_add_test(validate, test_truncated_and_malformed);
	tcase_add_test(validate, test_resume_writer_closed_early);
	tcase_add_test(scale, test_4gib_is_cheap);
	tcase_add_test(scale, test_concurrent_stream_and_control);
	suite_add_tcase(s, stream);
	suite_add_tcase(s, validate);
	suite_add_tcase(s, scale);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_stream_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
