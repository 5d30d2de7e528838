/*
 * test_device.c - device.c through the fake backend: arc-by-arc walking, validation before any
 * SET, recovery to the recovery state, reset as the last resort, and what is reported.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fake_backend.h"

#define ALL FSM_F_ALL
#define SC  FSM_F_STOP_COPY

static struct device *make(uint32_t flags, struct fake_backend **ret_fake)
{
	struct fake_backend *f = fake_backend_new(flags);
	struct device *d = NULL;

	ck_assert_int_eq(device_new("dev0", &f->base, &d), 0);
	*ret_fake = f;
	return d;
}

START_TEST(test_id_rules)
{
	ck_assert(device_id_valid("gpu0"));
	ck_assert(device_id_valid("a.b_c:d-e"));
	ck_assert(!device_id_valid(""));
	ck_assert(!device_id_valid("has space"));
	ck_assert(!device_id_valid("slash/"));
	/* 63 characters is the longest id, as PROTO_ID_MAX on the wire */
	ck_assert(
		device_id_valid("012345678901234567890123456789012345678901234567890123456789012"));
	ck_assert(!device_id_valid(
		"0123456789012345678901234567890123456789012345678901234567890123"));
}
END_TEST

START_TEST(test_new_bad_id_frees_backend)
{
	struct fake_backend *f = fake_backend_new(ALL);
	struct device *d = NULL;
	bool freed = false;

	f->freed = &freed;
	ck_assert_int_eq(device_new("bad id", &f->base, &d), -EINVAL);
	ck_assert(freed);
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_new_refuses_bad_flags)
{
	struct fake_backend *f = fake_backend_new(FSM_F_P2P);
	struct device *d = NULL;
	bool freed = false;

	f->freed = &freed;
	ck_assert_int_eq(device_new("dev0", &f->base, &d), -ENOTSUP);
	ck_assert(freed);
}
END_TEST

START_TEST(test_walk_is_arc_by_arc)
{
	struct fake_backend *f;
	struct device *d = make(ALL, &f);
	struct device_change c;

	ck_assert_int_eq(device_set_state(d, FSM_RESUMING, FSM_RUNNING, &c), 0);
	/* RUNNING -> RUNNING_P2P -> STOP -> RESUMING */
	ck_assert_uint_eq(f->nsets, 3);
	ck_assert_int_eq(f->sets[0], FSM_RUNNING_P2P);
	ck_assert_int_eq(f->sets[1], FSM_STOP);
	ck_assert_int_eq(f->sets[2], FSM_RESUMING);
	ck_assert_uint_eq(f->non_arc_sets, 0);
	ck_assert(c.opened);
	ck_assert_int_eq(c.from, FSM_RUNNING);
	ck_assert_int_eq(c.reached, FSM_RESUMING);
	ck_assert_int_eq(device_state(d), FSM_RESUMING);
	device_free(d);
}
END_TEST

START_TEST(test_same_state_is_noop)
{
	struct fake_backend *f;
	struct device *d = make(ALL, &f);
	struct device_change c;

	ck_assert_int_eq(device_set_state(d, FSM_RUNNING, FSM_RUNNING, &c), 0);
	ck_assert_uint_eq(f->nsets, 0);
	ck_assert(!c.opened);
	device_free(d);
}
END_TEST

START_TEST(test_refused_requests_touch_nothing)
{
	static const struct {
		uint32_t flags;
		enum fsm_state from, to;
	} cases[] = {
		{ ALL, FSM_RUNNING, FSM_ERROR },	  { SC, FSM_RUNNING, FSM_PRE_COPY },
		{ SC, FSM_RUNNING, FSM_RUNNING_P2P },	  { ALL, FSM_STOP_COPY, FSM_PRE_COPY },
		{ ALL, FSM_STOP_COPY, FSM_PRE_COPY_P2P },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_backend *f;
		struct device *d = make(cases[i].flags, &f);
		struct device_change c;

		f->state = cases[i].from;
		ck_assert_int_eq(device_refresh(d), 0);
		ck_assert_int_eq(device_set_state(d, cases[i].to, FSM_RUNNING, &c), -EINVAL);
		ck_assert_uint_eq(f->nsets, 0);
		ck_assert_int_eq(f->state, cases[i].from);
		ck_assert_int_eq(c.reached, cases[i].from);
		ck_assert_ptr_nonnull(strstr(c.reason, "refused"));
		device_free(d);
	}
}
END_TEST

START_TEST(test_failure_recovers_to_recovery_state)
{
	struct fake_backend *f;
	struct device *d = make(ALL, &f);
	struct device_change c;

	/* RUNNING -> STOP_COPY fails at STOP -> STOP_COPY, device stays in STOP */
	f->fail_from = FSM_STOP;
	f->fail_to = FSM_STOP_COPY;
	f->fail_errno = EIO;
	f->fail_times = 1;
	f->fail_lands = FSM_STOP;
	ck_assert_int_eq(device_set_state(d, FSM_STOP_COPY, FSM_RUNNING, &c), -EIO);
	ck_assert_int_eq(c.failed_from, FSM_STOP);
	ck_assert_int_eq(c.failed_to, FSM_STOP_COPY);
	ck_assert(c.recovered);
	ck_assert(!c.reset);
	ck_assert_int_eq(c.reached, FSM_RUNNING);
	ck_assert_int_eq(f->state, FSM_RUNNING);
	ck_assert_uint_eq(f->resets, 0);
	ck_assert_uint_eq(f->non_arc_sets, 0);
	ck_assert_ptr_nonnull(strstr(c.reason, "STOP -> STOP_COPY"));
	device_free(d);
}
END_TEST

START_TEST(test_error_state_forces_reset)
{
	struct fake_backend *f;
	struct device *d = make(ALL, &f);
	struct device_change c;

	f->state = FSM_RESUMING;
	ck_assert_int_eq(device_refresh(d), 0);
	f->fail_from = FSM_RESUMING;
	f->fail_to = FSM_STOP;
	f->fail_errno = EINVAL;
	f->fail_times = -1;
	f->fail_lands = FSM_ERROR;
	ck_assert_int_eq(device_set_state(d, FSM_RUNNING, FSM_RUNNING, &c), -EINVAL);
	ck_assert(c.reset);
	ck_assert(c.recovered);
	ck_assert_int_eq(c.reached, FSM_RUNNING);
	ck_assert_uint_eq(f->resets, 1);
	ck_assert_uint_eq(device_reset_count(d), 1);
	ck_assert_ptr_nonnull(strstr(c.reason, "reset"));
	device_free(d);
}
END_TEST

START_TEST(test_failed_recovery_resets)
{
	struct fake_backend *f;
	struct device *d = make(FSM_F_STOP_COPY | FSM_F_P2P, &f);
	struct device_change c;

	/* the arc RUNNING_P2P -> STOP always fails: the way out and the way back (STOP_COPY is
	 * recovered to from RUNNING_P2P through STOP) both break, so only reset is left */
	f->fail_from = FSM_RUNNING_P2P;
	f->fail_to = FSM_STOP;
	f->fail_times = -1;
	f->fail_lands = FSM_RUNNING_P2P;
	ck_assert_int_eq(device_set_state(d, FSM_STOP_COPY, FSM_STOP, &c), -EIO);
	ck_assert(c.reset);
	ck_assert(!c.recovered); /* the recovery state was STOP; reset leaves RUNNING */
	ck_assert_int_eq(c.reached, FSM_RUNNING);
	device_free(d);
}
END_TEST

START_TEST(test_recover_error_means_reset)
{
	struct fake_backend *f;
	struct device *d = make(ALL, &f);
	struct device_change c;

	f->fail_from = FSM_RUNNING;
	f->fail_to = FSM_PRE_COPY;
	f->fail_times = 1;
	f->fail_lands = FSM_RUNNING;
	ck_assert_int_eq(device_set_state(d, FSM_PRE_COPY, FSM_ERROR, &c), -EIO);
	ck_assert(c.reset);
	ck_assert_uint_eq(f->resets, 1);
	device_free(d);
}
END_TEST

START_TEST(test_reset_failure_reported)
{
	struct fake_backend *f;
	struct device *d = make(ALL, &f);
	struct device_change c;

	f->fail_from = FSM_RUNNING;
	f->fail_to = FSM_PRE_COPY;
	f->fail_times = -1;
	f->fail_lands = FSM_ERROR;
	f->reset_errno = EIO;
	ck_assert_int_eq(device_set_state(d, FSM_PRE_COPY, FSM_RUNNING, &c), -EIO);
	ck_assert(!c.reset);
	ck_assert(!c.recovered);
	ck_assert_int_eq(c.reached, FSM_ERROR);
	ck_assert_int_eq(device_state(d), FSM_ERROR);
	device_free(d);
}
END_TEST

static Suite *device_suite(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_id_rules);
	tcase_add_test(tc, test_new_bad_id_frees_backend);
	tcase_add_test(tc, test_new_refuses_bad_flags);
	tcase_add_test(tc, test_walk_is_arc_by_arc);
	tcase_add_test(tc, test_same_state_is_noop);
	tcase_add_test(tc, test_refused_requests_touch_nothing);
	tcase_add_test(tc, test_failure_recovers_to_recovery_state);
	tcase_add_test(tc, test_error_state_forces_reset);
	tcase_add_test(tc, test_failed_recovery_resets);
	tcase_add_test(tc, test_recover_error_means_reset);
	tcase_add_test(tc, test_reset_failure_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(device_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
