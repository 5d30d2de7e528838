/*
 * test_sim_config.c - the sim backend's configuration: defaults, the spec syntax sim_config_parse()
 * accepts (every key, size suffixes, applying on top of an existing config), every malformed spec
 * with the word its message must contain and no partial write, sim_config_check() and sim_new()
 * refusing bad values, the identity (describe, probe) a configured device reports, and the
 * slow_arc_ms fault: only the walks through its arc are slow, and GET answers meanwhile.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "sim_helpers.h"
#include "sim_stream.h"

/* ---- configuration ---- */

START_TEST(test_config_defaults)
{
	struct sim_config c;

	sim_config_init(&c);
	ck_assert_uint_eq(c.size, 64 << 20);
	ck_assert_uint_eq(c.page_size, 4096);
	ck_assert_uint_eq(c.mig_flags, ALL);
	ck_assert_uint_eq(c.seed, 1);
	ck_assert_uint_eq(c.dirty_rate, 0);
	ck_assert_int_eq(c.faults.fail_from, -1);
	ck_assert_int_eq(c.faults.fail_to, -1);
	ck_assert_int_eq(c.faults.fail_errno, EIO);
	ck_assert(!c.faults.fail_to_error);
	ck_assert_int_eq(c.faults.corrupt_at, -1);
	ck_assert_uint_eq(c.faults.slow_read_us, 0);
	ck_assert_int_eq(c.faults.reset_at, -1);
	ck_assert_uint_eq(c.faults.slow_arc_ms, 0);
	ck_assert_int_eq(c.faults.slow_from, -1);
	ck_assert_int_eq(c.faults.slow_to, -1);
	ck_assert_int_eq(sim_config_check(&c, NULL), 0);
}
END_TEST

START_TEST(test_config_parse_full)
{
	struct sim_config c;
	const char *err = NULL;

	sim_config_init(&c);
	ck_assert_int_eq(
		sim_config_parse("size=256M,page=4096,flags=stop_copy|p2p|pre_copy,seed=7,"
				 "dirty_rate=8M,fail_arc=RESUMING>STOP,fail_errno=EBUSY,"
				 "fail_to_error=1,corrupt_at=100000,slow_read_us=100,"
				 "reset_at=5000000,slow_arc_ms=2500,slow_arc=STOP>STOP_COPY",
				 &c, &err),
		0);
	ck_assert_uint_eq(c.size, 256ULL << 20);
	ck_assert_uint_eq(c.page_size, 4096);
	ck_assert_uint_eq(c.mig_flags, ALL);
	ck_assert_uint_eq(c.seed, 7);
	ck_assert_uint_eq(c.dirty_rate, 8 << 20);
	ck_assert_int_eq(c.faults.fail_from, FSM_RESUMING);
	ck_assert_int_eq(c.faults.fail_to, FSM_STOP);
	ck_assert_int_eq(c.faults.fail_errno, EBUSY);
	ck_assert(c.faults.fail_to_error);
	ck_assert_int_eq(c.faults.corrupt_at, 100000);
	ck_assert_uint_eq(c.faults.slow_read_us, 100);
	ck_assert_int_eq(c.faults.reset_at, 5000000);
	ck_assert_uint_eq(c.faults.slow_arc_ms, 2500);
	ck_assert_int_eq(c.faults.slow_from, FSM_STOP);
	ck_assert_int_eq(c.faults.slow_to, FSM_STOP_COPY);
}
END_TEST

START_TEST(test_config_parse_forms)
{
	struct sim_config c;

	sim_config_init(&c);
	ck_assert_int_eq(sim_config_parse("", &c, NULL), 0);
	ck_assert_uint_eq(c.size, 64 << 20);
	ck_assert_int_eq(sim_config_parse("size=3k,page=1K,seed=0x10,fail_errno=5", &c, NULL), 0);
	ck_assert_uint_eq(c.size, 3072);
	ck_assert_uint_eq(c.page_size, 1024);
	ck_assert_uint_eq(c.seed, 16);
	ck_assert_int_eq(c.faults.fail_errno, 5);
	ck_assert_int_eq(sim_config_parse("size=2g,page=1M,flags=STOP_COPY", &c, NULL), 0);
	ck_assert_uint_eq(c.size, 2ULL << 30);
	ck_assert_uint_eq(c.page_size, 1 << 20);
	ck_assert_uint_eq(c.mig_flags, SC);
	ck_assert_int_eq(sim_config_parse("size=1T,page=512,flags=pre_copy|stop_copy", &c, NULL),
			 0);
	ck_assert_uint_eq(c.size, 1ULL << 40);
	ck_assert_uint_eq(c.mig_flags, SC | PRE);
	/* On top of what is there: only the keys given change. */
	ck_assert_int_eq(
		sim_config_parse("corrupt_at=4K,reset_at=1M,fail_arc=stop>stop_copy", &c, NULL), 0);
	ck_assert_int_eq(c.faults.corrupt_at, 4096);
	ck_assert_int_eq(c.faults.reset_at, 1 << 20);
	ck_assert_int_eq(c.faults.fail_from, FSM_STOP);
	ck_assert_uint_eq(c.size, 1ULL << 40);
	ck_assert_int_eq(sim_config_parse("corrupt_at=none,reset_at=-1,fail_arc=none,"
					  "fail_to_error=no",
					  &c, NULL),
			 0);
	ck_assert_int_eq(c.faults.corrupt_at, -1);
	ck_assert_int_eq(c.faults.reset_at, -1);
	ck_assert_int_eq(c.faults.fail_from, -1);
	ck_assert_int_eq(c.faults.fail_to, -1);
	ck_assert(!c.faults.fail_to_error);
	ck_assert_int_eq(sim_config_parse("slow_arc_ms=0x10,slow_arc=pre_copy>stop_copy", &c, NULL),
			 0);
	ck_assert_uint_eq(c.faults.slow_arc_ms, 16);
	ck_assert_int_eq(c.faults.slow_from, FSM_PRE_COPY);
	ck_assert_int_eq(sim_config_parse("slow_arc=none,slow_arc_ms=60000", &c, NULL), 0);
	ck_assert_int_eq(c.faults.slow_from, -1);
	ck_assert_int_eq(c.faults.slow_to, -1);
	ck_assert_uint_eq(c.faults.slow_arc_ms, 60000);
	/* A size that is not a page multiple is accepted and rounded up by sim_new. */
	ck_assert_int_eq(sim_config_parse("size=5000", &c, NULL), 0);
}
END_TEST

/* Each bad spec, and a word its message must contain. */
static const struct {
	const char *spec;
	const char *says;
} bad_specs[] = {
	{ "bogus=1", "unknown key 'bogus'" },
	{ "size", "'size' is not key=value" },
	{ "size=", "size=''" },
	{ "size=0", "size must be greater than 0" },
	{ "size=12Q", "size='12Q'" },
	{ "size=-1", "size='-1'" },
	{ "size= 1", "size=' 1'" },
	{ "size=1MB", "size='1MB'" },
	{ "size=99999999999T", "size='99999999999T'" },
	{ "size=99999999999999999999", "size='9999" },
	{ "size=16T,page=512", "size is too large" },
	{ "page=3000", "page must be a power of two" },
	{ "page=256", "page must be a power of two" },
	{ "page=2M", "page must be a power of two" },
	{ "page=8G", "page='8G'" },
	{ "flags=p2p", "flags must include stop_copy" },
	{ "flags=stop_copy|warp", "flags='stop_copy|warp'" },
	{ "flags=stop_copy|", "flags='stop_copy|'" },
	{ "flags=", "flags=''" },
	{ "seed=x", "seed='x'" },
	{ "seed=", "seed=''" },
	{ "dirty_rate=fast", "dirty_rate='fast'" },
	{ "fail_arc=RUNNING", "fail_arc='RUNNING'" },
	{ "fail_arc=RUNNING>NOWHERE", "fail_arc='RUNNING>NOWHERE'" },
	{ "fail_arc=>STOP", "fail_arc='>STOP'" },
	{ "fail_arc=RUNNING>STOP_COPY", "fail_arc is not a direct arc" },
	{ "fail_arc=STOP>STOP", "fail_arc is not a direct arc" },
	{ "fail_arc=STOP>ERROR", "fail_arc is not a direct arc" },
	{ "flags=stop_copy,fail_arc=RUNNING>PRE_COPY", "fail_arc is not a direct arc" },
	{ "flags=stop_copy,fail_arc=RUNNING>RUNNING_P2P", "fail_arc is not a direct arc" },
	{ "fail_errno=EWHAT", "fail_errno='EWHAT'" },
	{ "fail_errno=0", "fail_errno='0'" },
	{ "fail_errno=5000", "fail_errno='5000'" },
	{ "fail_to_error=2", "fail_to_error='2'" },
	{ "corrupt_at=-5", "corrupt_at='-5'" },
	{ "corrupt_at=soon", "corrupt_at='soon'" },
	{ "slow_read_us=10000001", "slow_read_us='10000001'" },
	{ "slow_read_us=1K", "slow_read_us='1K'" },
	{ "reset_at=later", "reset_at='later'" },
	{ "slow_arc_ms=60001", "slow_arc_ms='60001'" },
	{ "slow_arc_ms=2s", "slow_arc_ms='2s'" },
	{ "slow_arc_ms=-1", "slow_arc_ms='-1'" },
	{ "slow_arc=STOP", "slow_arc='STOP'" },
	{ "slow_arc=STOP>LATER", "slow_arc='STOP>LATER'" },
	{ "slow_arc=RUNNING_P2P>STOP_COPY", "slow_arc is not a direct arc" },
	{ "flags=stop_copy,slow_arc=RUNNING>RUNNING_P2P", "slow_arc is not a direct arc" },
	{ "size=1M,,seed=2", "empty item" },
	{ "size=1M,", "empty item" },
	{ ",", "empty item" },
};

START_TEST(test_config_errors)
{
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		struct sim_config c, before;
		const char *err = NULL;

		sim_config_init(&c);
		c.seed = 42;
		before = c;
		ck_assert_int_eq(sim_config_parse(bad_specs[i].spec, &c, &err), -EINVAL);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, bad_specs[i].says), "%s: got \"%s\"", bad_specs[i].spec,
			      err);
		ck_assert_msg(memcmp(&c, &before, sizeof(c)) == 0, "%s wrote *ret",
			      bad_specs[i].spec);
	}
}
END_TEST

START_TEST(test_config_long_item)
{
	char spec[400];
	struct sim_config c;
	const char *err = NULL;

	memset(spec, '1', sizeof(spec) - 1);
	memcpy(spec, "size=", 5);
	spec[sizeof(spec) - 1] = '\0';
	sim_config_init(&c);
	ck_assert_int_eq(sim_config_parse(spec, &c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

START_TEST(test_config_check_and_new)
{
	struct sim_config c;
	struct backend *b = NULL;
	const char *err = NULL;

	sim_config_init(&c);
	c.page_size = 1000;
	ck_assert_int_eq(sim_config_check(&c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "page"));
	ck_assert_int_eq(sim_new("bad", &c, &b), -EINVAL);
	ck_assert_ptr_null(b);
	sim_config_init(&c);
	c.mig_flags = SC | 0x10;
	ck_assert_int_eq(sim_new("bad", &c, &b), -EINVAL);
	sim_config_init(&c);
	c.faults.fail_errno = -5;
	ck_assert_int_eq(sim_config_check(&c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "fail_errno"));
	sim_config_init(&c);
	c.faults.corrupt_at = -2;
	ck_assert_int_eq(sim_config_check(&c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "corrupt_at"));
	sim_config_init(&c);
	c.faults.slow_arc_ms = SIM_SLOW_ARC_MAX_MS + 1;
	ck_assert_int_eq(sim_config_check(&c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "slow_arc_ms"));
	sim_config_init(&c);
	c.faults.slow_from = FSM_STOP;
	ck_assert_int_eq(sim_config_check(&c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "slow_arc"));
}
END_TEST

/* ---- identity ---- */

START_TEST(test_describe_probe)
{
	struct backend *b = mk("size=5000,page=4096,flags=stop_copy|p2p");
	struct backend_desc d;
	struct backend_caps caps;

	ck_assert_int_eq(backend_describe(b, &d), 0);
	ck_assert_str_eq(d.kind, "sim");
	ck_assert_str_eq(d.driver, "vfio-migd-sim");
	ck_assert_str_eq(d.model, "sim 8192x4096 flags STOP_COPY|P2P");
	ck_assert_str_eq(d.path, "sim:t");
	ck_assert_uint_eq(d.state_size, sim_stream_full_size(2, 4096));
	ck_assert_uint_eq(d.state_size, 40 + 2 * (16 + 4096) + 24);
	ck_assert_int_eq(backend_probe(b, &caps), 0);
	ck_assert_uint_eq(caps.mig_flags, SC | P2P);
	ck_assert(!caps.precopy_info);
	ck_assert(caps.data_size);
	ck_assert(!caps.dma_logging);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	backend_free(b);
	b = mk("");
	ck_assert_int_eq(backend_probe(b, &caps), 0);
	ck_assert(caps.precopy_info);
	backend_free(b);
	backend_free(NULL);
}
END_TEST

/* ---- slow_arc_ms ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* How long backend_set_state(b, to) takes, in ms; it must succeed. */
static uint64_t set_ms(struct backend *b, enum fsm_state to)
{
	uint64_t t0 = now_ms();

	ck_assert_int_eq(backend_set_state(b, to, NULL), 0);
	return now_ms() - t0;
}

static void *slow_set(void *arg)
{
	ck_assert_int_eq(backend_set_state(arg, FSM_STOP_COPY, NULL), 0);
	return NULL;
}

/* Only walks through the slow arc are slow; GET answers while one runs, in the old state. */
START_TEST(test_slow_arc)
{
	struct backend *b = mk("size=8K,slow_arc_ms=300,slow_arc=STOP>STOP_COPY");
	pthread_t t;
	uint64_t t0;

	ck_assert_uint_lt(set_ms(b, FSM_STOP), 150);
	ck_assert_int_eq(pthread_create(&t, NULL, slow_set, b), 0);
	usleep(50000);
	t0 = now_ms();
	ck_assert_int_eq(state_of(b), FSM_STOP);
	ck_assert_uint_lt(now_ms() - t0, 100);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(state_of(b), FSM_STOP_COPY);
	ck_assert_uint_lt(set_ms(b, FSM_STOP), 150);
	/* RUNNING -> STOP_COPY walks STOP -> STOP_COPY too */
	ck_assert_uint_lt(set_ms(b, FSM_RUNNING), 150);
	ck_assert_uint_ge(set_ms(b, FSM_STOP_COPY), 300);
	backend_free(b);
	/* without slow_arc every arc of a walk is slow: RUNNING -> STOP is one arc */
	b = mk("size=8K,flags=stop_copy,slow_arc_ms=100");
	ck_assert_uint_ge(set_ms(b, FSM_STOP), 100);
	ck_assert_uint_ge(set_ms(b, FSM_RUNNING), 100);
	ck_assert_uint_ge(set_ms(b, FSM_STOP_COPY), 200);
	ck_assert_uint_lt(set_ms(b, FSM_STOP_COPY), 50);
	backend_free(b);
}
END_TEST

static Suite *sim_config_suite(void)
{
	Suite *s = suite_create("sim_config");
	TCase *config = tcase_create("config");

	tcase_add_test(config, test_config_defaults);
	tcase_add_test(config, test_config_parse_full);
	tcase_add_test(config, test_config_parse_forms);
	tcase_add_test(config, test_config_errors);
	tcase_add_test(config, test_config_long_item);
	tcase_add_test(config, test_config_check_and_new);
	tcase_add_test(config, test_describe_probe);
	tcase_add_test(config, test_slow_arc);
	suite_add_tcase(s, config);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
