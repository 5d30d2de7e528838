/*
 * test_vfio_mig.c - the vfio backend's migration operations against a fake kernel
 * (fake_vfio.h): probing a 6.1-like and a newer device; SET with and without a new data fd,
 * failed SETs followed by a GET, sessions kept or closed after failures, the out-of-sync data
 * fd after an asynchronous reset; read semantics (pre-copy temporary end, STOP_COPY EOF,
 * EINTR); precopy info, data size, reset, closing the stream early, describe.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vfio.h"
#include "fsm.h"
#include "test_vfio_util.h"
#include "vfio.h"
#include "vfio_compat.h"

static enum fsm_state state_of(struct backend *b)
{
	enum fsm_state s;

	OK(backend_get_state(b, &s));
	return s;
}

/* Reads until EOF or -ENOMSG, checking the pattern from position *pos. Returns the result. */
static ssize_t drain(struct backend *b, size_t *pos)
{
	uint8_t buf[64];
	ssize_t n;

	while ((n = backend_stream_read(b, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			ck_assert_int_eq(buf[i], fake_vfio_pattern(*pos + (size_t)i));
		*pos += (size_t)n;
	}
	return n;
}

static void write_pattern(struct backend *b, size_t total)
{
	uint8_t buf[50];

	for (size_t pos = 0; pos < total;) {
		size_t n = total - pos < sizeof(buf) ? total - pos : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = fake_vfio_pattern(pos + i);
		ck_assert_int_eq(backend_stream_write(b, buf, n), (ssize_t)n);
		pos += n;
	}
}

/* ---- probe and describe ---- */

START_TEST(test_probe_61)
{
	struct backend_caps caps;
	struct backend_desc desc;
	uint64_t size;
	struct backend *b;

	fake_vfio_init(true, false);
	add_pci61();
	b = probe_ok(PCI61, &caps);
	ck_assert_uint_eq(caps.mig_flags, FSM_F_STOP_COPY | FSM_F_P2P);
	ck_assert(!caps.precopy_info);
	ck_assert(!caps.data_size);
	ck_assert(caps.dma_logging);
	fake_vfio_log_clear();
	ck_assert_int_eq(backend_data_size(b, &size), -ENOTTY);
	ck_assert_str_eq(fake_vfio_log(), ""); /* known unsupported: no ioctl */
	OK(backend_describe(b, &desc));
	ck_assert_str_eq(desc.kind, "vfio");
	ck_assert_str_eq(desc.driver, "mlx5_vfio_pci");
	ck_assert_str_eq(desc.model, "pci 15b3:101e");
	ck_assert_uint_eq(desc.state_size, 0);
	ck_assert_int_eq(backend_digest(b, (uint8_t[32]){ 0 }), -EOPNOTSUPP);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_probe_61_old_core)
{
	struct backend_caps caps;
	struct backend *b;
	uint64_t size;

	/* Mainline 6.1 before "return -ENOTTY for unsupported device feature": EINVAL. */
	fake_vfio_init(true, false);
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = PCI61,
					       .group = 12,
					       .cdev = -1,
					       .driver = "vfio-pci",
					       .unknown_einval = true,
					       .mig_flags = VFIO_MIGRATION_STOP_COPY });
	b = open_ok(PCI61);
	/* Before probing, data_size maps the kernel's EINVAL to "unsupported". */
	ck_assert_int_eq(backend_data_size(b, &size), -ENOTTY);
	OK(backend_probe(b, &caps));
	ck_assert_uint_eq(caps.mig_flags, FSM_F_STOP_COPY);
	ck_assert(!caps.data_size);
	ck_assert(!caps.dma_logging);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_probe_new)
{
	struct backend_caps caps;
	struct backend_desc desc;
	struct backend *b;
	uint64_t size;

	fake_vfio_init(true, true);
	add_pcinew();
	b = probe_ok(PCINEW, &caps);
	ck_assert_uint_eq(caps.mig_flags, FSM_F_ALL);
	ck_assert(caps.precopy_info);
	ck_assert(caps.data_size);
	ck_assert(!caps.dma_logging);
	OK(backend_data_size(b, &size));
	ck_assert_uint_eq(size, 300);
	OK(backend_describe(b, &desc));
	ck_assert_uint_eq(desc.state_size, 300);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_probe_refusals)
{
	struct backend_caps caps = { .mig_flags = 99 };
	struct backend *b;

	fake_vfio_init(true, false);
	fake_vfio_add(&(struct fake_vfio_cfg){
		.name = "0000:04:00.0", .group = 16, .cdev = -1, .driver = "vfio-pci" });
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:04:00.1",
					       .group = 19,
					       .cdev = -1,
					       .driver = "odd_vfio_pci",
					       .mig_flags = VFIO_MIGRATION_P2P });
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:04:00.2",
					       .group = 22,
					       .cdev = -1,
					       .driver = "future_vfio_pci",
					       .mig_flags = VFIO_MIGRATION_STOP_COPY | (1u << 5) });
	b = open_ok("0000:04:00.0");
	ck_assert_int_eq(backend_probe(b, &caps), -ENOTTY);
	ck_assert_str_eq(
		vfio_last_error(),
		"0000:04:00.0: device does not support migration (VFIO_DEVICE_FEATURE "
		"MIGRATION: ENOTTY; needs a variant driver or an mdev with migration ops)");
	ck_assert_uint_eq(caps.mig_flags, 99); /* not written on failure */
	backend_free(b);
	b = open_ok("0000:04:00.1");
	ck_assert_int_eq(backend_probe(b, &caps), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "P2P without the mandatory STOP_COPY"));
	backend_free(b);
	b = probe_ok("0000:04:00.2", &caps);
	ck_assert_uint_eq(caps.mig_flags, FSM_F_STOP_COPY); /* unknown bits dropped */
	backend_free(b);
	finish();
}
END_TEST

/* ---- set_state ---- */

START_TEST(test_set_state_without_fd)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	fake_vfio_log_clear();
	set_ok(b, FSM_RUNNING_P2P, false);
	ck_assert_str_eq(fake_vfio_log(), PCI61 " FEATURE SET MIG_DEVICE_STATE argsz=16\n"
						"  -> RUNNING_P2P\n");
	ck_assert_int_eq(fake_vfio_state(d), FSM_RUNNING_P2P);
	set_ok(b, FSM_STOP, false);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);
	ck_assert_int_eq(state_of(b), FSM_STOP);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_set_state_with_fd)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;
	size_t pos = 0;
	bool intact;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	/* One SET, the kernel walks RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY. */
	set_ok(b, FSM_STOP_COPY, true);
	ck_assert_int_eq(fake_vfio_state(d), FSM_STOP_COPY);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	ck_assert_int_eq(drain(b, &pos), 0);
	ck_assert_uint_eq(pos, 300);
	ck_assert_int_eq(drain(b, &pos), 0); /* EOF stays EOF */
	set_ok(b, FSM_STOP, false);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);
	ck_assert_int_eq(backend_stream_read(b, (uint8_t[8]){ 0 }, 8), -EBADF);
	/* The resume side: STOP -> RESUMING opens a write session. */
	set_ok(b, FSM_RESUMING, true);
	write_pattern(b, 300);
	set_ok(b, FSM_STOP, false);
	ck_assert_uint_eq(fake_vfio_resumed(d, &intact), 300);
	ck_assert(intact);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);
	set_ok(b, FSM_RUNNING, false);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_set_state_failure_gets)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;
	bool opened = true;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	fake_vfio_fail_arc(d, FSM_RUNNING_P2P, FSM_STOP, EIO, FSM_RUNNING_P2P);
	fake_vfio_log_clear();
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, &opened), -EIO);
	ck_assert(opened); /* not written on failure */
	ck_assert_str_eq(fake_vfio_log(),
			 PCI61 " FEATURE SET MIG_DEVICE_STATE argsz=16\n"
			       "  -> STOP_COPY\n" PCI61 " FEATURE GET MIG_DEVICE_STATE argsz=16\n");
	ck_assert_str_eq(vfio_last_error(), PCI61 ": SET RUNNING -> STOP_COPY failed: "
						  "Input/output error (EIO); the device is now "
						  "RUNNING_P2P");
	ck_assert_int_eq(fake_vfio_data_fds(), 0);

	/* A failure that lands in ERROR; only a reset leaves it. */
	fake_vfio_fail_arc(d, FSM_STOP, FSM_STOP_COPY, ENOMEM, FSM_ERROR);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, &opened), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "the device is now ERROR"));
	ck_assert_int_eq(backend_set_state(b, FSM_RUNNING, &opened), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "ERROR -> RUNNING failed"));
	OK(backend_reset(b));
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_failure_and_session)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;
	size_t pos = 0;
	bool opened;

	fake_vfio_init(true, true);
	d = add_pcinew();
	b = probe_ok(PCINEW, &caps);

	/* Leaving STOP_COPY fails after STOP_COPY -> STOP: the session is gone, fd closed. */
	set_ok(b, FSM_STOP_COPY, true);
	fake_vfio_fail_arc(d, FSM_STOP, FSM_RUNNING_P2P, EIO, FSM_STOP);
	ck_assert_int_eq(backend_set_state(b, FSM_RUNNING, &opened), -EIO);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);
	ck_assert_int_eq(backend_stream_read(b, (uint8_t[8]){ 0 }, 8), -EBADF);

	/* Failing at the first arc out of STOP_COPY keeps the session. */
	set_ok(b, FSM_STOP_COPY, true);
	fake_vfio_fail_arc(d, FSM_STOP_COPY, FSM_STOP, EIO, FSM_STOP_COPY);
	ck_assert_int_eq(backend_set_state(b, FSM_RUNNING, &opened), -EIO);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	set_ok(b, FSM_RUNNING, false);

	/* In-group request PRE_COPY -> STOP_COPY failing: the fd is never closed by it. */
	set_ok(b, FSM_PRE_COPY, true);
	fake_vfio_fail_arc(d, FSM_PRE_COPY_P2P, FSM_STOP_COPY, EIO, FSM_PRE_COPY_P2P);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, &opened), -EIO);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	ck_assert_int_eq(drain(b, &pos), -ENOMSG);
	ck_assert_uint_eq(pos, 100);
	fake_vfio_fail_arc(d, FSM_PRE_COPY_P2P, FSM_STOP_COPY, EIO, FSM_ERROR);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, &opened), -EIO);
	ck_assert_int_eq(fake_vfio_data_fds(), 1); /* dead, but a worker may be reading it */
	ck_assert_int_eq(backend_stream_read(b, (uint8_t[8]){ 0 }, 8), -ENODEV);
	OK(backend_reset(b));
	ck_assert_int_eq(fake_vfio_data_fds(), 0);

	/* RESUMING -> STOP rejecting the data keeps the device, and the session, in RESUMING. */
	set_ok(b, FSM_RESUMING, true);
	write_pattern(b, 10);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP, &opened), -EINVAL);
	ck_assert_int_eq(state_of(b), FSM_RESUMING);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_out_of_sync)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;
	bool opened = false;

	fake_vfio_init(true, true);
	d = add_pcinew();
	b = probe_ok(PCINEW, &caps);
	set_ok(b, FSM_PRE_COPY, true);
	fake_vfio_async_reset(d);
	/* The kernel walks RUNNING -> ... -> STOP_COPY and opens a session we did not expect. */
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, &opened), -EBADF);
	ck_assert(!opened);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "data fd out of sync"));
	ck_assert_int_eq(state_of(b), FSM_STOP_COPY);
	ck_assert_int_eq(fake_vfio_data_fds(),
			 1); /* the new fd is closed, the dead one still held */
	ck_assert_int_eq(backend_stream_read(b, (uint8_t[8]){ 0 }, 8), -ENODEV);
	set_ok(b, FSM_STOP, false);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);

	/* A stale fd the path itself ends is expected: RESUMING -> STOP -> STOP_COPY. */
	set_ok(b, FSM_RESUMING, true);
	write_pattern(b, 300);
	set_ok(b, FSM_STOP_COPY, true);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	backend_free(b);
	finish();
}
END_TEST

/* ---- streams ---- */

START_TEST(test_read_semantics)
{
	struct backend_caps caps;
	struct backend *b;
	uint8_t buf[16];
	size_t pos = 0;

	fake_vfio_init(true, false);
	add_mdev(); /* pre-copy pause = 0 */
	b = probe_ok(MDEV, &caps);
	set_ok(b, FSM_PRE_COPY, true);
	fake_vfio_eintr(2, 0);
	ck_assert_int_eq(drain(b, &pos), -ENOMSG);
	ck_assert_uint_eq(pos, 24);
	ck_assert_int_eq(backend_stream_read(b, buf, sizeof(buf)), -ENOMSG);
	set_ok(b, FSM_STOP_COPY, false); /* same session continues */
	ck_assert_int_eq(drain(b, &pos), 0);
	ck_assert_uint_eq(pos, 96);
	set_ok(b, FSM_STOP, false);
	set_ok(b, FSM_RESUMING, true);
	ck_assert_int_eq(backend_stream_read(b, buf, sizeof(buf)), -EBADF); /* write-only */
	fake_vfio_eintr(0, 3);
	write_pattern(b, 96);
	set_ok(b, FSM_STOP, false);
	backend_free(b);
	finish();

	/* A uAPI-following driver says ENOMSG at the pause. */
	fake_vfio_init(true, true);
	add_pcinew();
	b = probe_ok(PCINEW, &caps);
	set_ok(b, FSM_PRE_COPY, true);
	pos = 0;
	ck_assert_int_eq(drain(b, &pos), -ENOMSG);
	ck_assert_uint_eq(pos, 100);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_precopy_info)
{
	struct backend_caps caps;
	uint64_t init = 1, dirty = 1;
	struct backend *b;
	uint8_t buf[40];

	fake_vfio_init(true, true);
	add_pcinew();
	b = probe_ok(PCINEW, &caps);
	ck_assert_int_eq(backend_precopy_info(b, &init, &dirty), -EBADF);
	set_ok(b, FSM_PRE_COPY, true);
	fake_vfio_log_clear();
	OK(backend_precopy_info(b, &init, &dirty));
	ck_assert_str_eq(fake_vfio_log(), "data PRECOPY_INFO\n");
	ck_assert_uint_eq(init, 100);
	ck_assert_uint_eq(dirty, 0);
	ck_assert_int_eq(backend_stream_read(b, buf, sizeof(buf)), 40);
	OK(backend_precopy_info(b, &init, &dirty));
	ck_assert_uint_eq(init, 60);
	set_ok(b, FSM_STOP_COPY, false);
	ck_assert_int_eq(backend_precopy_info(b, &init, &dirty), -EINVAL); /* not PRE_COPY */
	backend_free(b);
	finish();

	fake_vfio_init(true, false);
	add_pci61();
	b = probe_ok(PCI61, &caps);
	set_ok(b, FSM_STOP_COPY, true);
	fake_vfio_log_clear();
	ck_assert_int_eq(backend_precopy_info(b, &init, &dirty), -ENOTTY);
	ck_assert_str_eq(fake_vfio_log(), "");
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_reset)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	set_ok(b, FSM_STOP_COPY, true);
	fake_vfio_fail_ioctl(VFIO_DEVICE_RESET, EINVAL);
	ck_assert_int_eq(backend_reset(b), -EINVAL);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	fake_vfio_log_clear();
	OK(backend_reset(b));
	ck_assert_str_eq(fake_vfio_log(), PCI61 " RESET\nclose data\n" PCI61
						" FEATURE GET MIG_DEVICE_STATE argsz=16\n");
	ck_assert_int_eq(fake_vfio_resets(d), 1);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);
	ck_assert_int_eq(backend_stream_read(b, (uint8_t[8]){ 0 }, 8), -EBADF);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_stream_close)
{
	struct backend_caps caps;
	struct fake_vfio_dev *d;
	struct backend *b;
	bool intact;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	set_ok(b, FSM_RESUMING, true);
	write_pattern(b, 300);
	/* QEMU closes the resume fd before RESUMING -> STOP; the driver still validates. */
	backend_stream_close(b);
	ck_assert_int_eq(fake_vfio_data_fds(), 0);
	ck_assert_int_eq(backend_stream_write(b, "x", 1), -EBADF);
	set_ok(b, FSM_STOP, false);
	ck_assert_uint_eq(fake_vfio_resumed(d, &intact), 300);
	ck_assert(intact);
	backend_stream_close(b); /* nothing open: no-op */
	backend_free(b);
	finish();
}
END_TEST

static Suite *vfio_mig_suite(void)
{
	Suite *s = suite_create("vfio_mig");
	TCase *mig = tcase_create("migration");

	tcase_add_test(mig, test_probe_61);
	tcase_add_test(mig, test_probe_61_old_core);
	tcase_add_test(mig, test_probe_new);
	tcase_add_test(mig, test_probe_refusals);
	tcase_add_test(mig, test_set_state_without_fd);
	tcase_add_test(mig, test_set_state_with_fd);
	tcase_add_test(mig, test_set_state_failure_gets);
	tcase_add_test(mig, test_failure_and_session);
	tcase_add_test(mig, test_out_of_sync);
	tcase_add_test(mig, test_read_semantics);
	tcase_add_test(mig, test_precopy_info);
	tcase_add_test(mig, test_reset);
	tcase_add_test(mig, test_stream_close);
	suite_add_tcase(s, mig);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfio_mig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
