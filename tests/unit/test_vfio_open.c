/*
 * test_vfio_open.c - opening a vfio device against a fake kernel behind the seam
 * (fake_vfio.h): every naming form and its errors; the exact syscall sequences of the
 * group/container and the cdev/iommufd modes, and the unwinding of each failed step; group
 * and container sharing; adoption of an fd; and that no fd is left open.
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

/* Group 20 with two functions. */
static void add_pair(int cdev0)
{
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:02:00.0",
					       .group = 20,
					       .cdev = cdev0,
					       .driver = "vfio-pci",
					       .mig_flags = VFIO_MIGRATION_STOP_COPY,
					       .stop_bytes = 8 });
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:02:00.1",
					       .group = 20,
					       .cdev = cdev0 < 0 ? -1 : cdev0 + 1,
					       .driver = "vfio-pci",
					       .mig_flags = VFIO_MIGRATION_STOP_COPY,
					       .stop_bytes = 8 });
}

static void open_fails(const char *name, int err, const char *text)
{
	struct backend *b = NULL;
	int r = vfio_open(name, fake_vfio_sys(), &b);

	ck_assert_msg(r == err, "vfio_open(%s) = %d, expected %d (%s)", name, r, err,
		      vfio_last_error());
	ck_assert_ptr_null(b);
	ck_assert_msg(strstr(vfio_last_error(), text), "error '%s' lacks '%s'", vfio_last_error(),
		      text);
	ck_assert_int_eq(fake_vfio_open_fds(), 0);
}

/* ---- naming ---- */

START_TEST(test_names_pci)
{
	static const char *const names[] = { PCI61, ("pci:" PCI61), "01:00.0", "pci:01:00.0" };
	struct backend_desc desc;

	fake_vfio_init(true, false);
	add_pci61();
	for (unsigned int i = 0; i < 4; i++) {
		struct backend *b = open_ok(names[i]);

		OK(backend_describe(b, &desc));
		ck_assert_msg(strstr(desc.path, "/dev/vfio/12:" PCI61), "path %s", desc.path);
		backend_free(b);
		ck_assert_int_eq(fake_vfio_open_fds(), 0);
	}
	/* Hex digits in any case; sysfs names are lower case. */
	fake_vfio_add(&(struct fake_vfio_cfg){
		.name = "0000:0a:1f.7", .group = 30, .cdev = -1, .driver = "vfio-pci" });
	backend_free(open_ok("0A:1F.7"));
	finish();
}
END_TEST

START_TEST(test_names_mdev)
{
	struct backend_desc desc;
	struct backend *b;

	fake_vfio_init(true, false);
	add_mdev();
	b = open_ok(MDEV);
	backend_free(b);
	b = open_ok("mdev:83B8F4F2-509F-382F-3C1E-E6BFE0FA1001");
	OK(backend_describe(b, &desc));
	ck_assert_str_eq(desc.model, "mdev mtty-2");
	ck_assert_str_eq(desc.driver, "mtty");
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_names_group)
{
	struct backend *b;

	fake_vfio_init(true, false);
	add_pci61();
	add_pair(-1);
	b = open_ok("/dev/vfio/12");
	backend_free(b);
	open_fails("/dev/vfio/20", -EINVAL,
		   "/dev/vfio/20: group 20 has 2 devices (0000:02:00.0, 0000:02:00.1); name one "
		   "as /dev/vfio/20:<device>");
	b = open_ok("/dev/vfio/20:0000:02:00.1");
	ck_assert_ptr_nonnull(strstr(fake_vfio_log(), "group20 GET_DEVICE_FD 0000:02:00.1"));
	backend_free(b);
	open_fails("/dev/vfio/20:0000:09:00.0", -ENOENT,
		   "group 20 has no device 0000:09:00.0 (it has: 0000:02:00.0, 0000:02:00.1)");
	open_fails("/dev/vfio/99", -ENOENT, "IOMMU group 99 does not exist");
	open_fails("/dev/vfio/abc", -EINVAL, "not a VFIO group");
	open_fails("/dev/vfio/12:", -EINVAL, "not a VFIO group");
	finish();
}
END_TEST

START_TEST(test_names_cdev)
{
	struct backend_desc desc;
	struct backend *b;

	fake_vfio_init(true, true);
	add_pcinew();
	b = open_ok("/dev/vfio/devices/vfio0");
	OK(backend_describe(b, &desc));
	ck_assert_msg(strstr(desc.path, "/dev/vfio/devices/vfio0"), "path %s", desc.path);
	ck_assert_str_eq(desc.model, "pci 10de:2236");
	ck_assert_str_eq(desc.driver, "vfio-pci");
	backend_free(b);
	open_fails("/dev/vfio/devices/vfio7", -ENOENT, "cannot open");
	open_fails("/dev/vfio/devices/card0", -EINVAL, "not a VFIO device node");
	finish();
}
END_TEST

START_TEST(test_name_errors)
{
	fake_vfio_init(true, false);
	add_pci61();
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:05:00.0",
					       .group = 17,
					       .cdev = -1,
					       .driver = "e1000e",
					       .not_vfio = true });
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:05:00.1", .group = 18, .cdev = -1 });
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:06:00.0", .group = -1, .cdev = -1 });
	fake_vfio_add(&(struct fake_vfio_cfg){
		.name = "0000:07:00.0", .group = 21, .cdev = -1, .driver = "vfio-pci" });
	fake_vfio_add(&(struct fake_vfio_cfg){ .name = "0000:07:00.1",
					       .group = 21,
					       .cdev = -1,
					       .driver = "e1000e",
					       .not_vfio = true });

	open_fails("eth0", -EINVAL, "eth0: not a device name (expected a PCI address");
	open_fails("pci:zz", -EINVAL, "pci:zz: not a valid PCI address");
	open_fails("pci:0000:01:20.0", -EINVAL, "not a valid PCI address");
	open_fails("mdev:1234", -EINVAL, "not a valid mdev UUID");
	open_fails("0000:09:00.0", -ENOENT, "0000:09:00.0: no such PCI device");
	open_fails(MDEV, -ENOENT, "no such mdev device");
	open_fails("0000:06:00.0", -ENODEV,
		   "0000:06:00.0: no IOMMU group (is the device bound to vfio-pci");
	open_fails("0000:05:00.0", -ENOENT,
		   "0000:05:00.0 is bound to e1000e, not to vfio-pci or a vfio variant driver");
	open_fails("0000:05:00.1", -ENOENT, "0000:05:00.1 is bound to no driver");
	open_fails("0000:07:00.0", -EPERM,
		   "0000:07:00.0: group 21 is not viable: all devices in the group must be "
		   "bound to vfio");
	fake_vfio_group_busy(12);
	open_fails(PCI61, -EBUSY, "group 12 is busy");
	finish();
}
END_TEST

START_TEST(test_open_errors_unwind)
{
	struct backend *b;

	fake_vfio_init(true, false);
	add_pci61();
	fake_vfio_fail_open("vfio/12", EACCES);
	open_fails(PCI61, -EACCES, "no permission to open");
	fake_vfio_fail_open("vfio/vfio", ENOENT);
	open_fails(PCI61, -ENODEV, "is the vfio module loaded?");
	fake_vfio_fail_ioctl(VFIO_CHECK_EXTENSION, ENOTTY);
	open_fails(PCI61, -ENOTTY, "no VFIO_TYPE1v2_IOMMU");
	fake_vfio_fail_ioctl(VFIO_SET_IOMMU, EIO);
	open_fails(PCI61, -EIO, "VFIO_SET_IOMMU(TYPE1v2) for group 12 failed");
	fake_vfio_fail_ioctl(VFIO_GROUP_GET_DEVICE_FD, ENODEV);
	open_fails(PCI61, -ENODEV, "not a VFIO device of group 12");
	/* Nothing stayed in the group table: the group opens again. */
	b = open_ok(PCI61);
	backend_free(b);
	finish();
}
END_TEST

/* ---- syscall sequences ---- */

START_TEST(test_group_sequence)
{
	struct backend_caps caps;
	struct backend *b;

	fake_vfio_init(true, false);
	add_pci61();
	b = open_ok(PCI61);
	ck_assert_str_eq(fake_vfio_log(), "open vfio/12\n"
					  "group12 GET_STATUS\n"
					  "open vfio/vfio\n"
					  "container GET_API_VERSION\n"
					  "container CHECK_EXTENSION 3\n"
					  "group12 SET_CONTAINER\n"
					  "container SET_IOMMU 3\n"
					  "group12 GET_DEVICE_FD 0000:01:00.0\n");
	fake_vfio_log_clear();
	OK(backend_probe(b, &caps));
	ck_assert_str_eq(fake_vfio_log(), PCI61 " FEATURE GET MIGRATION argsz=16\n" PCI61
						" FEATURE GET|PROBE MIG_DATA_SIZE argsz=8\n" PCI61
						" FEATURE SET|PROBE DMA_LOGGING_START argsz=8\n");
	ck_assert_int_eq(fake_vfio_open_fds(), 3);
	fake_vfio_log_clear();
	backend_free(b);
	ck_assert_str_eq(fake_vfio_log(), "close " PCI61 "\nclose group12\nclose container\n");
	finish();
}
END_TEST

START_TEST(test_cdev_sequence)
{
	struct backend *b;

	fake_vfio_init(true, true);
	add_pcinew();
	b = open_ok(PCINEW);
	ck_assert_str_eq(fake_vfio_log(), "open vfio/devices/vfio0\n"
					  "open iommu\n" PCINEW " BIND_IOMMUFD argsz=16\n"
					  "iommufd IOAS_ALLOC size=12\n" PCINEW
					  " ATTACH_IOMMUFD_PT argsz=12 pt=100\n");
	fake_vfio_log_clear();
	backend_free(b);
	ck_assert_str_eq(fake_vfio_log(), "close " PCINEW "\nclose iommufd\n");
	ck_assert_int_eq(fake_vfio_open_fds(), 0);

	/* A kernel with cdevs but no /dev/iommu: the group API. */
	fake_vfio_log_clear();
	fake_vfio_fail_open("iommu", ENOENT);
	b = open_ok(PCINEW);
	ck_assert_str_eq(fake_vfio_log(), "open vfio/devices/vfio0\n"
					  "open iommu = ENOENT\n"
					  "close " PCINEW "\n"
					  "open vfio/14\n"
					  "group14 GET_STATUS\n"
					  "open vfio/vfio\n"
					  "container GET_API_VERSION\n"
					  "container CHECK_EXTENSION 3\n"
					  "group14 SET_CONTAINER\n"
					  "container SET_IOMMU 3\n"
					  "group14 GET_DEVICE_FD " PCINEW "\n");
	backend_free(b);

	/* BIND refused while another process holds the group: reported, no fallback. */
	fake_vfio_group_busy(14);
	open_fails(PCINEW, -EBUSY, "VFIO_DEVICE_BIND_IOMMUFD: EBUSY");
	finish();
}
END_TEST

START_TEST(test_cdev_group_held)
{
	struct backend *a, *b;

	fake_vfio_init(true, true);
	add_pair(1);
	a = open_ok("/dev/vfio/20:0000:02:00.0");
	fake_vfio_log_clear();
	/* The group is ours already: binding the sibling's cdev would fail with EBUSY. */
	b = open_ok("0000:02:00.1");
	ck_assert_str_eq(fake_vfio_log(), "group20 GET_DEVICE_FD 0000:02:00.1\n");
	backend_free(a);
	backend_free(b);
	finish();
}
END_TEST

START_TEST(test_group_sharing)
{
	struct backend *a, *b, *c;

	fake_vfio_init(true, false);
	add_pair(-1);
	add_pci61();
	a = open_ok("0000:02:00.0");
	b = open_ok("0000:02:00.1");
	ck_assert_int_eq(fake_vfio_open_fds(), 4); /* container, group, two devices */
	c = open_ok(PCI61);
	/* The second group joins the first container: no new container, no SET_IOMMU. */
	ck_assert_ptr_null(strstr(strstr(fake_vfio_log(), "open vfio/12"), "open vfio/vfio"));
	ck_assert_ptr_nonnull(strstr(fake_vfio_log(), "group12 SET_CONTAINER (shared)\n"
						      "group12 GET_DEVICE_FD"));
	ck_assert_int_eq(fake_vfio_open_fds(), 6);
	fake_vfio_log_clear();
	backend_free(a);
	ck_assert_str_eq(fake_vfio_log(), "close 0000:02:00.0\n");
	backend_free(c);
	ck_assert_str_eq(fake_vfio_log(), "close 0000:02:00.0\nclose " PCI61 "\nclose group12\n");
	fake_vfio_log_clear();
	backend_free(b);
	ck_assert_str_eq(fake_vfio_log(), "close 0000:02:00.1\nclose group20\nclose container\n");
	finish();
}
END_TEST

/* ---- adoption ---- */

START_TEST(test_adopt_fd)
{
	struct backend_caps caps;
	struct backend_desc desc;
	struct backend *b = NULL;
	struct fake_vfio_dev *d;
	char path[512];
	int fd;

	fake_vfio_init(true, true);
	d = add_pci61();
	add_pcinew();
	fd = fake_vfio_device_fd(d);
	OK(vfio_adopt_fd(fd, PCI61, fake_vfio_sys(), &b));
	OK(backend_probe(b, &caps));
	OK(backend_describe(b, &desc));
	ck_assert_str_eq(desc.path, PCI61);
	ck_assert_str_eq(desc.model, "pci 15b3:101e");
	ck_assert_str_eq(desc.driver, "mlx5_vfio_pci");
	set_ok(b, FSM_STOP_COPY, true);
	ck_assert_int_eq(fake_vfio_data_fds(), 1);
	backend_free(b);
	ck_assert_int_eq(fake_vfio_open_fds(), 0);

	/* A label that names no device: no identity, still usable. */
	OK(vfio_adopt_fd(fake_vfio_device_fd(d), "from-orchestrator", fake_vfio_sys(), &b));
	OK(backend_describe(b, &desc));
	ck_assert_str_eq(desc.path, "from-orchestrator");
	ck_assert_str_eq(desc.model, "");
	backend_free(b);

	/* An unbound cdev fd: every ioctl but BIND is refused with EINVAL. */
	snprintf(path, sizeof(path), "%s/vfio/devices/vfio0", fake_vfio_sys()->dev_root);
	fd = fake_vfio_sys()->open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, FAKE_FD_BASE);
	OK(vfio_adopt_fd(fd, "/dev/vfio/devices/vfio0", fake_vfio_sys(), &b));
	ck_assert_int_eq(backend_probe(b, &caps), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfio_last_error(), "already bound to an iommufd"));
	OK(backend_describe(b, &desc));
	ck_assert_str_eq(desc.model, "pci 10de:2236");
	backend_free(b);

	ck_assert_int_eq(vfio_adopt_fd(-1, "x", fake_vfio_sys(), &b), -EBADF);
	finish();
}
END_TEST

static Suite *vfio_open_suite(void)
{
	Suite *s = suite_create("vfio_open");
	TCase *names = tcase_create("names");
	TCase *open = tcase_create("open");

	tcase_add_test(names, test_names_pci);
	tcase_add_test(names, test_names_mdev);
	tcase_add_test(names, test_names_group);
	tcase_add_test(names, test_names_cdev);
	tcase_add_test(names, test_name_errors);
	tcase_add_test(open, test_open_errors_unwind);
	tcase_add_test(open, test_group_sequence);
	tcase_add_test(open, test_cdev_sequence);
	tcase_add_test(open, test_cdev_group_held);
	tcase_add_test(open, test_group_sharing);
	tcase_add_test(open, test_adopt_fd);
	suite_add_tcase(s, names);
	suite_add_tcase(s, open);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfio_open_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
