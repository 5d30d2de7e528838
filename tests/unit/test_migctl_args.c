/*
 * test_migctl_args.c - client/tool/args.c and the number formatting of client/tool/output.c:
 * sizes and rates with binary suffixes (and what is refused), bounded numbers, job ids,
 * device states in any case, SRC=DST pairs, switchover/resume modes, --metadata files
 * (size limit, missing file), and bytes, rates and durations as vfio-migctl prints them.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "output.h"

START_TEST(test_size)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "0", 0 },	    { "1048576", 1048576 }, { "512K", 512 * 1024 },
		{ "4M", 4u << 20 }, { "4MiB", 4u << 20 },   { "4MB/s", 4u << 20 },
		{ "1g", 1u << 30 }, { "2T", 2ull << 40 },   { "100M/s", 100u << 20 },
		{ "10B", 10 },	    { "7k", 7168 },
	};
	static const char *const bad[] = { "",
					   "M",
					   "-1",
					   "1.5M",
					   "4X",
					   "4M/h",
					   "4 M",
					   "4MiBs",
					   "99999999999999999999",
					   "17179869184T" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(args_size(ok[i].in, &v) == 0, "'%s' refused", ok[i].in);
		ck_assert_msg(v == ok[i].want, "'%s' -> %llu", ok[i].in, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		ck_assert_msg(args_size(bad[i], &v) == -EINVAL, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(v, 42); /* nothing written on failure */
	}
}
END_TEST

START_TEST(test_numbers)
{
	uint64_t v;
	uint32_t u;

	ck_assert_int_eq(args_u32("86400", 1, 86400, &u), 0);
	ck_assert_uint_eq(u, 86400);
	ck_assert_int_eq(args_u32("86401", 1, 86400, &u), -EINVAL);
	ck_assert_int_eq(args_u32("0", 1, 86400, &u), -EINVAL);
	ck_assert_int_eq(args_u32("12s", 1, 86400, &u), -EINVAL);
	ck_assert_int_eq(args_u32("+5", 1, 86400, &u), -EINVAL);
	ck_assert_int_eq(args_job_id("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(args_job_id("18446744073709551616", &v), -EINVAL);
	ck_assert_int_eq(args_job_id("0", &v), -EINVAL);
	ck_assert_int_eq(args_job_id("abc", &v), -EINVAL);
	ck_assert_int_eq(args_job_id("", &v), -EINVAL);
}
END_TEST

START_TEST(test_state)
{
	enum vfiomig_device_state st;

	ck_assert_int_eq(args_state("stop", &st), 0);
	ck_assert_int_eq(st, VFIOMIG_STATE_STOP);
	ck_assert_int_eq(args_state("RUNNING", &st), 0);
	ck_assert_int_eq(st, VFIOMIG_STATE_RUNNING);
	ck_assert_int_eq(args_state("Pre_Copy_P2P", &st), 0);
	ck_assert_int_eq(st, VFIOMIG_STATE_PRE_COPY_P2P);
	ck_assert_int_eq(args_state("stop-copy", &st), 0);
	ck_assert_int_eq(st, VFIOMIG_STATE_STOP_COPY);
	ck_assert_int_eq(args_state("resuming", &st), 0);
	ck_assert_int_eq(st, VFIOMIG_STATE_RESUMING);
	ck_assert_int_eq(args_state("error", &st), -EINVAL);
	ck_assert_int_eq(args_state("sideways", &st), -EINVAL);
	ck_assert_int_eq(args_state("", &st), -EINVAL);
}
END_TEST

START_TEST(test_pair_and_modes)
{
	const char *l, *r;
	char buf[16];
	enum vfiomig_switchover sw;
	enum vfiomig_resume rs;

	ck_assert_int_eq(args_pair("s0=d0", buf, sizeof(buf), &l, &r), 0);
	ck_assert_str_eq(l, "s0");
	ck_assert_str_eq(r, "d0");
	ck_assert_int_eq(args_pair("a=b=c", buf, sizeof(buf), &l, &r), 0);
	ck_assert_str_eq(r, "b=c");
	ck_assert_int_eq(args_pair("s0", buf, sizeof(buf), &l, &r), -EINVAL);
	ck_assert_int_eq(args_pair("=d0", buf, sizeof(buf), &l, &r), -EINVAL);
	ck_assert_int_eq(args_pair("s0=", buf, sizeof(buf), &l, &r), -EINVAL);
	ck_assert_int_eq(args_pair("a-very-long-id=d0", buf, sizeof(buf), &l, &r), -ENAMETOOLONG);
	ck_assert_int_eq(args_switchover("Manual", &sw), 0);
	ck_assert_int_eq(sw, VFIOMIG_SWITCHOVER_MANUAL);
	ck_assert_int_eq(args_switchover("soon", &sw), -EINVAL);
	ck_assert_int_eq(args_resume("auto", &rs), 0);
	ck_assert_int_eq(rs, VFIOMIG_RESUME_AUTO);
	ck_assert_int_eq(args_resume("later", &rs), -EINVAL);
}
END_TEST

START_TEST(test_read_file)
{
	char path[] = "/tmp/test_migctl_args.XXXXXX";
	int fd = mkstemp(path);
	void *data = NULL;
	size_t len = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	ck_assert_int_eq(args_read_file(path, 10, &data, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(memcmp(data, "0123456789", 10), 0);
	free(data);
	data = NULL;
	ck_assert_int_eq(args_read_file(path, 9, &data, &len), -EFBIG);
	ck_assert_ptr_null(data);
	unlink(path);
	ck_assert_int_eq(args_read_file(path, 9, &data, &len), -ENOENT);
}
END_TEST

START_TEST(test_format)
{
	char b[OUTPUT_NUM_LEN];

	ck_assert_str_eq(output_bytes(b, 0), "0 B");
	ck_assert_str_eq(output_bytes(b, 1023), "1023 B");
	ck_assert_str_eq(output_bytes(b, 1024), "1.00 KiB");
	ck_assert_str_eq(output_bytes(b, 4u << 20), "4.00 MiB");
	ck_assert_str_eq(output_bytes(b, 150ull << 30), "150 GiB");
	ck_assert_str_eq(output_rate(b, 2u << 20), "2.00 MiB/s");
	ck_assert_str_eq(output_duration(b, 850), "850 ms");
	ck_assert_str_eq(output_duration(b, 12300), "12.3 s");
	ck_assert_str_eq(output_duration(b, 245000), "4m05s");
	ck_assert_str_eq(output_duration(b, 7800000), "2h10m");
	ck_assert_str_eq(output_time(b, 0), "-");
}
END_TEST

static Suite *migctl_args_suite(void)
{
	Suite *s = suite_create("migctl_args");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_pair_and_modes);
	tcase_add_test(tc, test_read_file);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(migctl_args_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
