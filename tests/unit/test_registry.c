/*
 * test_registry.c - registry.c: ordering, ownership, all-or-nothing claims, removal rules.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"
#include "registry.h"

static struct device *dev(const char *id)
{
	struct device *d = NULL;

	ck_assert_int_eq(device_new(id, &fake_backend_new(FSM_F_ALL)->base, &d), 0);
	return d;
}

START_TEST(test_add_find_order)
{
	struct registry *r;
	const char *ids[] = { "m", "a", "z", "b" };

	ck_assert_int_eq(registry_new(8, &r), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(registry_add(r, dev(ids[i])), 0);
	ck_assert_uint_eq(registry_count(r), 4);
	ck_assert_str_eq(device_id(registry_at(r, 0, NULL)), "a");
	ck_assert_str_eq(device_id(registry_at(r, 1, NULL)), "b");
	ck_assert_str_eq(device_id(registry_at(r, 3, NULL)), "z");
	ck_assert_ptr_null(registry_at(r, 4, NULL));
	ck_assert_ptr_nonnull(registry_find(r, "m"));
	ck_assert_ptr_null(registry_find(r, "q"));
	registry_free(r);
}
END_TEST

START_TEST(test_duplicate_and_full)
{
	struct registry *r;
	struct device *d;

	ck_assert_int_eq(registry_new(2, &r), 0);
	ck_assert_int_eq(registry_add(r, dev("a")), 0);
	d = dev("a");
	ck_assert_int_eq(registry_add(r, d), -EEXIST);
	device_free(d);
	ck_assert_int_eq(registry_add(r, dev("b")), 0);
	d = dev("c");
	ck_assert_int_eq(registry_add(r, d), -ENOSPC);
	device_free(d);
	registry_free(r);
}
END_TEST

START_TEST(test_claim_all_or_none)
{
	struct registry *r;
	const char *good[] = { "a", "b" };
	const char *missing[] = { "a", "nope" };
	const char *dup[] = { "a", "a" };
	const char *busy[] = { "c", "b" };
	size_t bad = 99;

	ck_assert_int_eq(registry_new(8, &r), 0);
	ck_assert_int_eq(registry_add(r, dev("a")), 0);
	ck_assert_int_eq(registry_add(r, dev("b")), 0);
	ck_assert_int_eq(registry_add(r, dev("c")), 0);

	ck_assert_int_eq(registry_claim(r, missing, 2, 7, &bad), -ENOENT);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(registry_owner(r, "a"), REGISTRY_FREE);
	ck_assert_int_eq(registry_claim(r, dup, 2, 7, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 1);
	ck_assert_int_eq(registry_claim(r, good, 2, REGISTRY_FREE, &bad), -EINVAL);

	ck_assert_int_eq(registry_claim(r, good, 2, 7, &bad), 0);
	ck_assert_uint_eq(registry_owner(r, "a"), 7);
	ck_assert_uint_eq(registry_owner(r, "b"), 7);
	/* job 8 wants c and b: b is held by 7, so c must stay free */
	ck_assert_int_eq(registry_claim(r, busy, 2, 8, &bad), -EBUSY);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(registry_owner(r, "c"), REGISTRY_FREE);
	/* a job may claim what it already holds */
	ck_assert_int_eq(registry_claim(r, good, 1, 7, NULL), 0);

	ck_assert_int_eq(registry_remove(r, "a"), -EBUSY);
	ck_assert_uint_eq(registry_release(r, 8), 0);
	ck_assert_uint_eq(registry_release(r, 7), 2);
	ck_assert_int_eq(registry_remove(r, "a"), 0);
	ck_assert_int_eq(registry_remove(r, "a"), -ENOENT);
	ck_assert_uint_eq(registry_count(r), 2);
	registry_free(r);
}
END_TEST

START_TEST(test_remove_frees_device)
{
	struct registry *r;
	struct fake_backend *f = fake_backend_new(FSM_F_ALL);
	struct device *d;
	bool freed = false;

	f->freed = &freed;
	ck_assert_int_eq(device_new("x", &f->base, &d), 0);
	ck_assert_int_eq(registry_new(1, &r), 0);
	ck_assert_int_eq(registry_add(r, d), 0);
	ck_assert_int_eq(registry_remove(r, "x"), 0);
	ck_assert(freed);
	registry_free(r);
	registry_free(NULL);
}
END_TEST

START_TEST(test_take_pin_and_control_owners)
{
	struct registry *r;
	struct fake_backend *f = fake_backend_new(FSM_F_ALL);
	struct device *d, *got = NULL;
	const char *x[] = { "x" };
	bool freed = false;
	char buf[80];

	f->freed = &freed;
	ck_assert_int_eq(device_new("x", &f->base, &d), 0);
	ck_assert_int_eq(registry_new(2, &r), 0);
	ck_assert_int_eq(registry_add(r, d), 0);
	/* a pinned device stays, but a job may still claim it */
	ck_assert_int_eq(registry_pin(r, "x"), 0);
	ck_assert_int_eq(registry_pin(r, "x"), 0);
	ck_assert_int_eq(registry_pin(r, "nope"), -ENOENT);
	ck_assert(registry_pinned(r, "x"));
	ck_assert_int_eq(registry_take(r, "x", &got), -EBUSY);
	ck_assert_int_eq(registry_remove(r, "x"), -EBUSY);
	ck_assert_int_eq(registry_claim(r, x, 1, 7, NULL), 0);
	ck_assert_uint_eq(registry_release(r, 7), 1);
	registry_unpin(r, "x");
	ck_assert(registry_pinned(r, "x"));
	registry_unpin(r, "x");
	registry_unpin(r, "x"); /* never below zero */
	ck_assert(!registry_pinned(r, "x"));
	/* a control operation's claim is a claim like a job's, described apart */
	ck_assert_int_eq(registry_claim(r, x, 1, REGISTRY_CONTROL + 3, NULL), 0);
	ck_assert_int_eq(registry_claim(r, x, 1, 8, NULL), -EBUSY);
	ck_assert_int_eq(registry_take(r, "x", &got), -EBUSY);
	ck_assert_str_eq(registry_owner_desc(registry_owner(r, "x"), buf, sizeof(buf)),
			 "a device operation asked for on the control socket");
	ck_assert_str_eq(registry_owner_desc(42, buf, sizeof(buf)), "job 42");
	ck_assert_uint_eq(registry_release(r, REGISTRY_CONTROL + 2), 0);
	ck_assert_uint_eq(registry_release(r, REGISTRY_CONTROL + 3), 1);
	/* take: out of the registry, not freed, the caller's now */
	ck_assert_int_eq(registry_take(r, "x", &got), 0);
	ck_assert_ptr_eq(got, d);
	ck_assert(!freed);
	ck_assert_ptr_null(registry_find(r, "x"));
	ck_assert_int_eq(registry_take(r, "x", &got), -ENOENT);
	device_free(got);
	ck_assert(freed);
	registry_free(r);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_add_find_order);
	tcase_add_test(tc, test_duplicate_and_full);
	tcase_add_test(tc, test_claim_all_or_none);
	tcase_add_test(tc, test_remove_frees_device);
	tcase_add_test(tc, test_take_pin_and_control_owners);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
