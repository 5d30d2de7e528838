/*
 * test_converge.c - daemon/migrate/converge: the stop-copy estimate (rounding, nothing left,
 * no bandwidth, overflow) and the switchover rule as a table.
 */
#include <check.h>
#include <stdint.h>

#include "converge.h"

#define MB (UINT64_C(1) << 20)

START_TEST(test_estimate)
{
	struct converge_dev v[2] = { { .remaining = MB }, { .remaining = MB } };
	struct converge_dev none[1] = { { .remaining = 0 } };
	struct converge_dev huge[2] = { { .remaining = UINT64_MAX }, { .remaining = 5 } };

	ck_assert_uint_eq(converge_estimate_ms(v, 2, 2 * MB), 1000);
	ck_assert_uint_eq(converge_estimate_ms(v, 2, 4 * MB), 500);
	/* rounded up: 2 MiB at 3 MiB/s is 666.67 ms */
	ck_assert_uint_eq(converge_estimate_ms(v, 2, 3 * MB), 667);
	ck_assert_uint_eq(converge_estimate_ms(v, 1, 1), (uint64_t)MB * 1000);
	ck_assert_uint_eq(converge_estimate_ms(none, 1, 0), 0);
	ck_assert_uint_eq(converge_estimate_ms(v, 0, 0), 0);
	ck_assert_uint_eq(converge_estimate_ms(v, 2, 0), CONVERGE_UNKNOWN);
	/* saturates instead of wrapping */
	ck_assert_uint_ge(converge_estimate_ms(huge, 2, 1), CONVERGE_UNKNOWN - 1);
	ck_assert_uint_eq(converge_estimate_ms(huge, 2, 1000), UINT64_MAX / 1000 * 1000);
}
END_TEST

/* Two devices: a = pre-copying, b = the second device; the limit is 300 ms. */
static const struct {
	const char *what;
	struct converge_dev a, b;
	uint64_t bw;
	bool ready;
} cases[] = {
	{ "no pre-copy device: nothing to wait for",
	  { false, false, 64 * MB },
	  { false, false, MB },
	  0,
	  true },
	{ "initial bytes not sent yet", { true, false, 0 }, { false, false, 0 }, MB, false },
	{ "initial sent, nothing remains", { true, true, 0 }, { false, false, 0 }, 0, true },
	{ "dirty bytes fit the limit", { true, true, 100 * 1024 }, { false, false, 0 }, MB, true },
	{ "dirty bytes do not fit", { true, true, MB }, { false, false, 0 }, MB, false },
	{ "a stop-copy-only device counts", { true, true, 0 }, { false, false, MB }, MB, false },
	{ "a small stop-copy-only device fits",
	  { true, true, 0 },
	  { false, false, MB / 8 },
	  MB,
	  true },
	{ "bandwidth unknown, something remains",
	  { true, true, 1 },
	  { false, false, 0 },
	  0,
	  false },
	{ "exactly the limit", { true, true, 300 * 1024 }, { false, false, 0 }, 1024 * 1000, true },
	{ "one past the limit",
	  { true, true, 300 * 1024 + 1 },
	  { false, false, 0 },
	  1024 * 1000,
	  false },
	{ "both pre-copying, one not through its initial pass",
	  { true, true, 0 },
	  { true, false, 0 },
	  MB,
	  false },
};

START_TEST(test_ready)
{
	struct converge_dev v[2] = { cases[_i].a, cases[_i].b };
	uint64_t est = 12345;

	ck_assert_msg(converge_ready(v, 2, cases[_i].bw, 300, &est) == cases[_i].ready, "%s",
		      cases[_i].what);
	ck_assert_uint_eq(est, converge_estimate_ms(v, 2, cases[_i].bw));
	ck_assert(converge_ready(v, 2, cases[_i].bw, 300, NULL) == cases[_i].ready);
}
END_TEST

static Suite *converge_suite(void)
{
	Suite *s = suite_create("converge");
	TCase *tc = tcase_create("converge");

	tcase_add_test(tc, test_estimate);
	tcase_add_loop_test(tc, test_ready, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(converge_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
