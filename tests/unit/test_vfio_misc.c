/*
 * test_vfio_misc.c - the rest of the vfio backend's surface against a fake kernel
 * (fake_vfio.h): DMA logging (argument validation before the kernel, start, report, stop,
 * devices without it), the default syscall seam, and the fake's own feature core, which must
 * reject what the kernel's vfio_main.c rejects.
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
#include "vfio_dma_logging.h"

/* ---- DMA logging ---- */

static const struct backend_ops other_ops;

START_TEST(test_dma_logging)
{
	struct vfio_dma_range r[3] = { { 0x0, 0x10000 }, { 0x100000, 0x4000 } };
	struct backend other = { .ops = &other_ops };
	size_t max = vfio_dma_logging_max_ranges();
	struct vfio_dma_range *many;
	struct backend_caps caps;
	uint64_t bitmap[3] = { 0 }, page = 0, got;
	unsigned int nranges;
	struct fake_vfio_dev *d;
	struct backend *b;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	fake_vfio_log_clear();
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 0, NULL), -EINVAL);
	ck_assert_int_eq(vfio_dma_logging_start(b, 3000, r, 2, NULL), -EINVAL);
	r[2] = (struct vfio_dma_range){ 0x200800, 0x1000 };
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 3, NULL), -EINVAL);
	r[2] = (struct vfio_dma_range){ 0x200000, 0x0 };
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 3, NULL), -EINVAL);
	r[2] = (struct vfio_dma_range){ 0x8000, 0x1000 };
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 3, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "ranges 0 and 2 overlap"));
	r[2] = (struct vfio_dma_range){ 0xfffffffffffff000ull, 0x2000 };
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 3, NULL), -EOVERFLOW);
	many = calloc(max + 1, sizeof(*many));
	for (size_t i = 0; i <= max; i++)
		many[i] = (struct vfio_dma_range){ i * 0x2000, 0x1000 };
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, many, max + 1, NULL), -E2BIG);
	ck_assert_str_eq(fake_vfio_log(), ""); /* all refused before the kernel */
	OK(vfio_dma_logging_start(b, 4096, many, max, NULL));
	OK(vfio_dma_logging_stop(b));
	free(many);

	fake_vfio_log_page(d, 8192);
	OK(vfio_dma_logging_start(b, 4096, r, 2, &page));
	ck_assert_uint_eq(page, 8192);
	ck_assert(fake_vfio_logging(d, &got, &nranges));
	ck_assert_uint_eq(nranges, 2);
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 2, NULL), -EBUSY);

	ck_assert_int_eq(vfio_dma_logging_report(b, 0, 0x80000, 2048, bitmap, 3), -EINVAL);
	ck_assert_int_eq(vfio_dma_logging_report(b, 0, 0x80000, 4096, bitmap, 1), -EINVAL);
	ck_assert_int_eq(vfio_dma_logging_report(b, 0, 65 * 4096, 4096, bitmap, 1), -EINVAL);
	ck_assert_int_eq(vfio_dma_logging_report(b, 0, 0, 4096, bitmap, 1), -EINVAL);
	ck_assert_int_eq(vfio_dma_logging_report(b, ~0ull, 0x2000, 4096, bitmap, 1), -EOVERFLOW);
	OK(vfio_dma_logging_report(b, 0, 0x80000, 4096, bitmap, 2)); /* 128 pages */
	ck_assert_uint_eq(bitmap[0], 1);
	ck_assert_uint_eq(bitmap[1], 1ull << 63);
	ck_assert_uint_eq(bitmap[2], 0);
	OK(vfio_dma_logging_stop(b));
	ck_assert(!fake_vfio_logging(d, &got, &nranges));
	ck_assert_int_eq(vfio_dma_logging_report(b, 0, 0x1000, 4096, bitmap, 1), -EINVAL);

	ck_assert_int_eq(vfio_dma_logging_start(&other, 4096, r, 2, NULL), -EINVAL);
	ck_assert_int_eq(vfio_dma_logging_stop(&other), -EINVAL);
	ck_assert(!vfio_is_vfio(&other));
	ck_assert(vfio_is_vfio(b));
	backend_free(b);

	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:04:00.0",
					       .group = 16,
					       .cdev = -1,
					       .driver = "vfio-pci",
					       .mig_flags = 1 });
	b = open_ok("0000:04:00.0");
	ck_assert_int_eq(vfio_dma_logging_start(b, 4096, r, 2, NULL), -ENOTTY);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "has no DMA logging"));
	backend_free(b);
	finish();
}
END_TEST

/* ---- the seam and the fake itself ---- */

START_TEST(test_sys_default)
{
	const struct vfio_sys *s = vfio_sys_default();

	ck_assert_ptr_nonnull(s->open);
	ck_assert_ptr_nonnull(s->close);
	ck_assert_ptr_nonnull(s->ioctl);
	ck_assert_ptr_nonnull(s->read);
	ck_assert_ptr_nonnull(s->write);
	ck_assert_ptr_nonnull(s->readlink);
	ck_assert_ptr_nonnull(s->list_dir);
	ck_assert_str_eq(s->sysfs_root, "/sys");
	ck_assert_str_eq(s->dev_root, "/dev");
	ck_assert_int_eq(s->open("/nonexistent/vfio-migd", O_RDONLY), -ENOENT);
	ck_assert_int_eq(s->close(-1), -EBADF);
}
END_TEST

/* The fake's feature core rejects what vfio_main.c rejects. */
START_TEST(test_fake_feature_core)
{
	struct backend_caps caps;
	uint64_t buf[4] = { 0 };
	struct vfio_device_feature *f = (void *)buf;
	struct vfio_device_feature_mig_state *mig = (void *)f->data;
	const struct vfio_sys *sys;
	struct fake_vfio_dev *d;
	struct backend *b;
	int fd;

	fake_vfio_init(true, false);
	d = add_pci61();
	b = probe_ok(PCI61, &caps);
	fd = vfio_device_fd(b, &sys, NULL);
	*f = (struct vfio_device_feature){ .argsz = 4, .flags = VFIO_DEVICE_FEATURE_PROBE | 1 };
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EINVAL);
	*f = (struct vfio_device_feature){ .argsz = 8, .flags = 1 | 1u << 20 };
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EINVAL);
	f->flags = 2 | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;
	f->argsz = 16;
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EINVAL);
	f->flags =
		2 | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE;
	f->argsz = 8;
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), 0);
	f->flags = 1 | VFIO_DEVICE_FEATURE_GET; /* payload missing */
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EINVAL);
	f->flags = 1 | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE; /* GET only */
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EINVAL);
	/* A failed SET: data_fd -1, device_state still the requested value. */
	fake_vfio_fail_arc(d, FSM_RUNNING, FSM_RUNNING_P2P, EIO, FSM_RUNNING);
	*f = (struct vfio_device_feature){ .argsz = 16, .flags = 2 | VFIO_DEVICE_FEATURE_SET };
	*mig = (struct vfio_device_feature_mig_state){ .device_state = FSM_STOP, .data_fd = 77 };
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EIO);
	ck_assert_int_eq(mig->data_fd, -1);
	ck_assert_uint_eq(mig->device_state, FSM_STOP);
	/* Unsupported optional state (no PRE_COPY): EINVAL before any arc. */
	mig->device_state = FSM_PRE_COPY;
	ck_assert_int_eq(sys->ioctl(fd, VFIO_DEVICE_FEATURE, f), -EINVAL);
	ck_assert_int_eq(fake_vfio_state(d), FSM_RUNNING);
	backend_free(b);
	finish();
}
END_TEST

static Suite *vfio_misc_suite(void)
{
	Suite *s = suite_create("vfio_misc");
	TCase *misc = tcase_create("misc");

	tcase_add_test(misc, test_dma_logging);
	tcase_add_test(misc, test_sys_default);
	tcase_add_test(misc, test_fake_feature_core);
	suite_add_tcase(s, misc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfio_misc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
