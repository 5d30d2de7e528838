/*
 * test_devflow.c - the device layer end to end with two sim devices in one process: whole
 * migrations (pre-copy with dirtying, P2P-only, STOP_COPY-only) verified by digest, and every
 * sim fault with its documented error, after which the source is recovered to RUNNING with its
 * content intact and the destination is reset.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "digest.h"
#include "log.h"
#include "pump.h"
#include "sim.h"

#define CHUNK 65536

struct flow {
	struct device *src, *dst;
	struct pump pump;
	uint8_t src_before[DIGEST_LEN], dst_before[DIGEST_LEN];
};

static struct device *flow_device(const char *id, const char *spec, uint64_t seed)
{
	struct sim_config cfg;
	struct backend *b;
	struct device *d;
	const char *err = NULL;

	sim_config_init(&cfg);
	ck_assert_msg(sim_config_parse(spec, &cfg, &err) == 0, "%s: %s", spec, err);
	cfg.seed = seed;
	ck_assert_int_eq(sim_new(id, &cfg, &b), 0);
	ck_assert_int_eq(device_new(id, b, &d), 0);
	return d;
}

static void flow_start(struct flow *f, const char *src_spec, const char *dst_spec)
{
	memset(f, 0, sizeof(*f));
	f->src = flow_device("src", src_spec, 11);
	f->dst = flow_device("dst", dst_spec, 22);
	f->pump = (struct pump){ .src = f->src, .dst = f->dst, .len = CHUNK };
	f->pump.buf = malloc(CHUNK);
	ck_assert_ptr_nonnull(f->pump.buf);
	ck_assert_int_eq(backend_digest(device_backend(f->src), f->src_before), 0);
	ck_assert_int_eq(backend_digest(device_backend(f->dst), f->dst_before), 0);
	ck_assert_int_eq(device_set_state(f->dst, FSM_RESUMING, FSM_ERROR, NULL), 0);
}

static void flow_end(struct flow *f)
{
	free(f->pump.buf);
	device_free(f->src);
	device_free(f->dst);
}

static void assert_digest(struct device *d, const uint8_t want[DIGEST_LEN])
{
	uint8_t got[DIGEST_LEN];

	ck_assert_int_eq(backend_digest(device_backend(d), got), 0);
	ck_assert_mem_eq(got, want, DIGEST_LEN);
}

/*
 * What every failed migration must end with: the source RUNNING with the content it had, the
 * destination reset (RUNNING, its old content, no session).
 */
static void assert_rolled_back(struct flow *f)
{
	struct device_change c;

	ck_assert_int_eq(device_set_state(f->src, FSM_RUNNING, FSM_RUNNING, &c), 0);
	ck_assert_int_eq(device_refresh(f->src), 0);
	ck_assert_int_eq(device_state(f->src), FSM_RUNNING);
	assert_digest(f->src, f->src_before);
	if (device_state(f->dst) != FSM_RUNNING)
		ck_assert_int_eq(device_reset(f->dst), 0);
	ck_assert_int_eq(device_state(f->dst), FSM_RUNNING);
	assert_digest(f->dst, f->dst_before);
}

/* Source to STOP_COPY (through pre-copy where it has it), drain, destination loads. */
static int flow_migrate(struct flow *f, uint8_t src_at_stop[DIGEST_LEN])
{
	int r;

	if (device_caps(f->src)->mig_flags & FSM_F_PRE_COPY) {
		ck_assert_int_eq(device_set_state(f->src, FSM_PRE_COPY, FSM_RUNNING, NULL), 0);
		r = pump_run(&f->pump);
		if (r < 0)
			return r;
		ck_assert_int_eq(r, 1);
	}
	r = device_set_state(f->src, FSM_STOP_COPY, FSM_RUNNING, NULL);
	if (r < 0)
		return r;
	ck_assert_int_eq(backend_digest(device_backend(f->src), src_at_stop), 0);
	r = pump_run(&f->pump);
	if (r < 0)
		return r;
	ck_assert_int_eq(r, 0);
	return device_set_state(f->dst, FSM_RUNNING, FSM_ERROR, NULL);
}

static void check_whole_migration(const char *spec)
{
	uint8_t at_stop[DIGEST_LEN];
	struct flow f;

	flow_start(&f, spec, spec);
	ck_assert_int_eq(flow_migrate(&f, at_stop), 0);
	ck_assert_int_eq(device_state(f.dst), FSM_RUNNING);
	assert_digest(f.dst, at_stop);
	/* the source keeps its state until released: it is stopped, not reset */
	ck_assert_int_eq(device_state(f.src), FSM_STOP_COPY);
	assert_digest(f.src, at_stop);
	flow_end(&f);
}

START_TEST(test_precopy_with_dirtying)
{
	uint8_t at_stop[DIGEST_LEN];
	uint64_t init, dirty;
	struct flow f;

	flow_start(&f, "size=8M,flags=stop_copy|p2p|pre_copy", "size=8M");
	ck_assert_int_eq(device_set_state(f.src, FSM_PRE_COPY, FSM_RUNNING, NULL), 0);
	ck_assert_int_eq(pump_run(&f.pump), 1);
	ck_assert_int_eq(backend_precopy_info(device_backend(f.src), &init, &dirty), 0);
	ck_assert_uint_eq(init, 0);
	ck_assert_uint_eq(dirty, 0);
	/* the running device writes pages during pre-copy; the next round carries them */
	for (uint64_t p = 0; p < 2048; p += 3)
		ck_assert_int_eq(sim_touch(device_backend(f.src), p), 0);
	ck_assert_int_eq(backend_precopy_info(device_backend(f.src), &init, &dirty), 0);
	ck_assert_uint_gt(dirty, 0);
	ck_assert_int_eq(pump_run(&f.pump), 1);
	for (uint64_t p = 1; p < 2048; p += 7)
		ck_assert_int_eq(sim_touch(device_backend(f.src), p), 0);
	ck_assert_int_eq(device_set_state(f.src, FSM_STOP_COPY, FSM_RUNNING, NULL), 0);
	ck_assert_int_eq(sim_touch(device_backend(f.src), 0), -EBUSY);
	ck_assert_int_eq(backend_digest(device_backend(f.src), at_stop), 0);
	ck_assert_int_eq(pump_run(&f.pump), 0);
	ck_assert_int_eq(device_set_state(f.dst, FSM_RUNNING, FSM_ERROR, NULL), 0);
	assert_digest(f.dst, at_stop);
	ck_assert_mem_ne(at_stop, f.src_before, DIGEST_LEN);
	flow_end(&f);
}
END_TEST

START_TEST(test_precopy_with_dirty_rate)
{
	check_whole_migration("size=16M,flags=stop_copy|p2p|pre_copy,dirty_rate=256M");
}
END_TEST

START_TEST(test_stop_copy_only)
{
	check_whole_migration("size=8M,flags=stop_copy");
}
END_TEST

START_TEST(test_p2p_without_precopy)
{
	check_whole_migration("size=8M,flags=stop_copy|p2p,page=65536");
}
END_TEST

START_TEST(test_precopy_without_p2p)
{
	check_whole_migration("size=4M,flags=stop_copy|pre_copy,page=512");
}
END_TEST

START_TEST(test_fault_fail_arc_into_precopy)
{
	struct device_change c;
	struct flow f;

	flow_start(&f, "size=4M,fail_arc=RUNNING>PRE_COPY,fail_errno=EIO", "size=4M");
	ck_assert_int_eq(device_set_state(f.src, FSM_PRE_COPY, FSM_RUNNING, &c), -EIO);
	ck_assert_int_eq(c.failed_from, FSM_RUNNING);
	ck_assert_int_eq(c.failed_to, FSM_PRE_COPY);
	ck_assert(c.recovered);
	ck_assert(!c.reset);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

START_TEST(test_fault_fail_arc_to_error_at_switchover)
{
	struct device_change c;
	struct flow f;

	flow_start(&f, "size=4M,fail_arc=PRE_COPY_P2P>STOP_COPY,fail_errno=EBUSY,fail_to_error=1",
		   "size=4M");
	ck_assert_int_eq(device_set_state(f.src, FSM_PRE_COPY, FSM_RUNNING, NULL), 0);
	ck_assert_int_eq(pump_run(&f.pump), 1);
	ck_assert_int_eq(device_set_state(f.src, FSM_STOP_COPY, FSM_RUNNING, &c), -EBUSY);
	/* the device sat in ERROR: only a reset could recover it, and the change says so */
	ck_assert(c.reset);
	ck_assert_int_eq(c.reached, FSM_RUNNING);
	ck_assert_uint_eq(sim_resets(device_backend(f.src)), 1);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

START_TEST(test_fault_corrupt_stream)
{
	uint8_t at_stop[DIGEST_LEN];
	struct device_change c;
	struct flow f;

	flow_start(&f, "size=4M,corrupt_at=100000", "size=4M");
	ck_assert_int_eq(device_set_state(f.src, FSM_PRE_COPY, FSM_RUNNING, NULL), 0);
	ck_assert_int_eq(pump_run(&f.pump), 1);
	ck_assert_int_eq(device_set_state(f.src, FSM_STOP_COPY, FSM_RUNNING, NULL), 0);
	ck_assert_int_eq(backend_digest(device_backend(f.src), at_stop), 0);
	ck_assert_int_eq(pump_run(&f.pump), 0);
	/* the destination validates at RESUMING -> STOP and refuses; recovery resets it */
	ck_assert_int_eq(device_set_state(f.dst, FSM_RUNNING, FSM_ERROR, &c), -EINVAL);
	ck_assert_int_eq(c.failed_from, FSM_RESUMING);
	ck_assert_int_eq(c.failed_to, FSM_STOP);
	ck_assert(c.reset);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

START_TEST(test_fault_slow_reads_still_verify)
{
	check_whole_migration("size=1M,slow_read_us=200");
}
END_TEST

START_TEST(test_fault_reset_mid_stream)
{
	struct flow f;
	int r;

	flow_start(&f, "size=4M,reset_at=1000000", "size=4M");
	ck_assert_int_eq(device_set_state(f.src, FSM_PRE_COPY, FSM_RUNNING, NULL), 0);
	r = pump_run(&f.pump);
	ck_assert_int_eq(r, -ENODEV);
	/* the reset happened under the reader: the device is RUNNING, the layer re-reads it */
	ck_assert_int_eq(device_refresh(f.src), 0);
	ck_assert_int_eq(device_state(f.src), FSM_RUNNING);
	ck_assert_uint_eq(sim_resets(device_backend(f.src)), 1);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

START_TEST(test_fault_destination_rejects_load)
{
	uint8_t at_stop[DIGEST_LEN];
	struct flow f;

	flow_start(&f, "size=4M", "size=4M,fail_arc=RESUMING>STOP,fail_errno=EINVAL");
	ck_assert_int_eq(flow_migrate(&f, at_stop), -EINVAL);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

START_TEST(test_truncated_stream_rejected)
{
	struct device_change c;
	struct flow f;

	flow_start(&f, "size=4M,flags=stop_copy", "size=4M,flags=stop_copy");
	ck_assert_int_eq(device_set_state(f.src, FSM_STOP_COPY, FSM_RUNNING, NULL), 0);
	/* move only part of the stream, as if the link died */
	f.pump.len = 4096;
	for (int i = 0; i < 100; i++) {
		ssize_t n = backend_stream_read(device_backend(f.src), f.pump.buf, f.pump.len);

		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(backend_stream_write(device_backend(f.dst), f.pump.buf, (size_t)n),
				 n);
	}
	ck_assert_int_eq(device_set_state(f.dst, FSM_RUNNING, FSM_ERROR, &c), -EINVAL);
	ck_assert(c.reset);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

START_TEST(test_incompatible_device_rejected)
{
	uint8_t at_stop[DIGEST_LEN];
	struct flow f;

	flow_start(&f, "size=4M", "size=8M");
	ck_assert_int_eq(flow_migrate(&f, at_stop), -EINVAL);
	assert_rolled_back(&f);
	flow_end(&f);
}
END_TEST

static Suite *devflow_suite(void)
{
	Suite *s = suite_create("devflow");
	TCase *ok = tcase_create("migrations");
	TCase *bad = tcase_create("faults");

	tcase_add_test(ok, test_precopy_with_dirtying);
	tcase_add_test(ok, test_precopy_with_dirty_rate);
	tcase_add_test(ok, test_stop_copy_only);
	tcase_add_test(ok, test_p2p_without_precopy);
	tcase_add_test(ok, test_precopy_without_p2p);
	tcase_add_test(bad, test_fault_fail_arc_into_precopy);
	tcase_add_test(bad, test_fault_fail_arc_to_error_at_switchover);
	tcase_add_test(bad, test_fault_corrupt_stream);
	tcase_add_test(bad, test_fault_slow_reads_still_verify);
	tcase_add_test(bad, test_fault_reset_mid_stream);
	tcase_add_test(bad, test_fault_destination_rejects_load);
	tcase_add_test(bad, test_truncated_stream_rejected);
	tcase_add_test(bad, test_incompatible_device_rejected);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devflow_suite());
	int failed;

	log_set_level(LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
