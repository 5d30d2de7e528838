/*
 * test_ratelimit.c - daemon/migrate/ratelimit: unlimited buckets, burst and debt accounting,
 * the default burst, the wait cap, live rate changes, the refill cap, and several threads
 * sharing one bucket (a loose lower bound on time only).
 *
 * Waits are compared with what the elapsed time allows: the bucket refills continuously, so
 * each expectation is "the wait for the debt, less what the clock added since".
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "ratelimit.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Every microsecond that passed refills one microsecond's worth of bytes, whatever the rate:
 * want - elapsed - 1 <= got <= want + 1. */
static void ck_wait(uint64_t got, uint64_t want, uint64_t elapsed_us)
{
	ck_assert_msg(got <= want + 1, "waited %llu us, at most %llu expected",
		      (unsigned long long)got, (unsigned long long)want);
	ck_assert_msg(got + elapsed_us + 1 >= want, "waited %llu us, about %llu expected",
		      (unsigned long long)got, (unsigned long long)want);
}

START_TEST(test_unlimited)
{
	struct ratelimit *rl;

	ck_assert_uint_eq(ratelimit_take(NULL, 1u << 30), 0);
	ck_assert_int_eq(ratelimit_new(0, 0, &rl), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(ratelimit_take(rl, UINT64_C(1) << 40), 0);
	ck_assert_uint_eq(ratelimit_rate(rl), 0);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}
END_TEST

/* 1 MB/s, burst 100 kB: the burst is free, then every byte costs a microsecond, cumulatively. */
START_TEST(test_burst_and_debt)
{
	struct ratelimit *rl;
	uint64_t t0, w1, w2;

	ck_assert_int_eq(ratelimit_new(1000000, 100000, &rl), 0);
	t0 = now_us();
	ck_assert_uint_eq(ratelimit_take(rl, 100000), 0);
	w1 = ratelimit_take(rl, 50000);
	w2 = ratelimit_take(rl, 50000);
	ck_wait(w1, 50000, now_us() - t0);
	ck_wait(w2, 100000, now_us() - t0);
	ck_assert_uint_gt(w2, w1);
	ratelimit_free(rl);
}
END_TEST

/* Burst 0: 100 ms of the rate, at least 64 KiB. */
START_TEST(test_default_burst)
{
	struct ratelimit *rl;
	uint64_t t0, w;

	ck_assert_int_eq(ratelimit_new(10000000, 0, &rl), 0);
	t0 = now_us();
	ck_assert_uint_eq(ratelimit_take(rl, 1000000), 0);
	w = ratelimit_take(rl, 100000);
	ck_wait(w, 10000, now_us() - t0);
	ratelimit_free(rl);

	ck_assert_int_eq(ratelimit_new(1000, 0, &rl), 0);
	t0 = now_us();
	ck_assert_uint_eq(ratelimit_take(rl, RATELIMIT_BURST_FLOOR), 0);
	w = ratelimit_take(rl, 1000);
	ck_wait(w, 1000000, now_us() - t0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_wait_cap)
{
	struct ratelimit *rl;

	ck_assert_int_eq(ratelimit_new(1, 1, &rl), 0);
	ck_assert_uint_eq(ratelimit_take(rl, UINT64_C(1) << 40), RATELIMIT_WAIT_MAX_US);
	ratelimit_free(rl);
}
END_TEST

/* Live changes: to unlimited forgives the debt; back to limited starts with a full burst that
 * follows the new rate. */
START_TEST(test_set_rate)
{
	struct ratelimit *rl;
	uint64_t t0, w;

	ck_assert_int_eq(ratelimit_new(1000, 0, &rl), 0);
	ck_assert_uint_gt(ratelimit_take(rl, RATELIMIT_BURST_FLOOR + 1000), 900000);
	ratelimit_set_rate(rl, 0);
	ck_assert_uint_eq(ratelimit_rate(rl), 0);
	ck_assert_uint_eq(ratelimit_take(rl, UINT64_C(1) << 30), 0);
	ratelimit_set_rate(rl, 2000000);
	ck_assert_uint_eq(ratelimit_rate(rl), 2000000);
	t0 = now_us();
	ck_assert_uint_eq(ratelimit_take(rl, 200000), 0); /* burst: 100 ms of 2 MB/s */
	w = ratelimit_take(rl, 2000);
	ck_wait(w, 1000, now_us() - t0);
	/* Slower: the debt is now repaid at 1 kB/s. 200 kB more of it first (100 ms at 2 MB/s):
	 * the 2 kB of debt above is repaid at the old rate in 1 ms, and a loaded machine may
	 * pause this thread that long before the rate changes. At 2 MB/s the wait below would
	 * be about 100 ms; at 1 kB/s it is minutes (capped). */
	(void)ratelimit_take(rl, 200000);
	ratelimit_set_rate(rl, 1000);
	ck_assert_uint_gt(ratelimit_take(rl, 1000), 900000);
	ratelimit_free(rl);
}
END_TEST

/* An idle bucket refills only up to its burst. */
START_TEST(test_refill_cap)
{
	struct ratelimit *rl;
	uint64_t t0, w;

	ck_assert_int_eq(ratelimit_new(1000000, 10000, &rl), 0);
	ck_assert_uint_gt(ratelimit_take(rl, 20000), 0);
	usleep(100000); /* earns 100 kB at the rate, keeps 10 kB */
	t0 = now_us();
	ck_assert_uint_eq(ratelimit_take(rl, 10000), 0);
	w = ratelimit_take(rl, 10000);
	ck_wait(w, 10000, now_us() - t0);
	ratelimit_free(rl);
}
END_TEST

#define SHARE_THREADS 4
#define SHARE_BYTES   (1u << 20)
#define SHARE_CHUNK   (64u << 10)

static void *share_worker(void *arg)
{
	struct ratelimit *rl = arg;

	for (unsigned int sent = 0; sent < SHARE_BYTES; sent += SHARE_CHUNK) {
		uint64_t us = ratelimit_take(rl, SHARE_CHUNK);

		if (us)
			usleep((useconds_t)us);
	}
	return NULL;
}

/* 4 threads x 1 MiB through one 8 MB/s bucket (800 kB burst): at least ~0.42 s. */
START_TEST(test_shared_by_threads)
{
	pthread_t t[SHARE_THREADS];
	struct ratelimit *rl;
	uint64_t t0 = now_us(), us;

	ck_assert_int_eq(ratelimit_new(8000000, 0, &rl), 0);
	for (int i = 0; i < SHARE_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, share_worker, rl), 0);
	for (int i = 0; i < SHARE_THREADS; i++)
		pthread_join(t[i], NULL);
	us = now_us() - t0;
	/* (4 MiB - 800 kB) / 8 MB/s = 0.424 s; a lower bound only. */
	ck_assert_msg(us >= 400000, "4 MiB through 8 MB/s took %llu us", (unsigned long long)us);
	ratelimit_free(rl);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("bucket");

	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_burst_and_debt);
	tcase_add_test(tc, test_default_burst);
	tcase_add_test(tc, test_wait_cap);
	tcase_add_test(tc, test_set_rate);
	tcase_add_test(tc, test_refill_cap);
	tcase_add_test(tc, test_shared_by_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
