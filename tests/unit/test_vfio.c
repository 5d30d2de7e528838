/*
 * test_vfio.c - the vfio backend against a fake kernel behind its seam (fake_vfio.h).
 *
 * Covers: every naming form and its errors; the exact syscall sequences of the group/container
 * and the cdev/iommufd modes; group and container sharing; probing a 6.1-like and a newer
 * device; SET with and without a new data fd, failed SETs followed by a GET, sessions kept or
 * closed after failures, the out-of-sync data fd after an asynchronous reset; read semantics
 * (pre-copy temporary end, STOP_COPY EOF, EINTR); precopy info, data size, reset, adoption of
 * an fd, describe, DMA logging validation; and that no fd is left open.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vfio.h"
#include "fsm.h"
#include "vfio.h"
#include "vfio_compat.h"
#include "vfio_dma_logging.h"
#include "vfio_feature.h"

#define OK(expr)                                                                              \
	do {                                                                                  \
		int ok_r_ = (int)(expr);                                                      \
		ck_assert_msg(ok_r_ == 0, "%s = %d (%s): %s", #expr, ok_r_, strerror(-ok_r_), \
			      vfio_last_error());                                             \
	} while (0)

#define PCI61  "0000:01:00.0"
#define PCINEW "0000:03:00.0"
#define MDEV   "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

/* A vfio-pci variant driver device on Debian 12's 6.1: STOP_COPY|P2P, no MIG_DATA_SIZE. */
static struct fake_vfio_dev *add_pci61(void)
{
	return fake_vfio_add(
		&(struct fake_vfio_cfg){ .name = PCI61,
					 .group = 12,
					 .cdev = -1,
					 .driver = "mlx5_vfio_pci",
					 .vendor = 0x15b3,
					 .device = 0x101e,
					 .mig_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P,
					 .log_ops = true,
					 .stop_bytes = 300 });
}

/* A device on a newer kernel: PRE_COPY too, MIG_DATA_SIZE, ENOMSG at a pre-copy pause. */
static struct fake_vfio_dev *add_pcinew(void)
{
	return fake_vfio_add(&(struct fake_vfio_cfg){ .name = PCINEW,
						      .group = 14,
						      .cdev = 0,
						      .driver = "vfio-pci",
						      .vendor = 0x10de,
						      .device = 0x2236,
						      .mig_flags = VFIO_MIGRATION_STOP_COPY |
								   VFIO_MIGRATION_P2P |
								   VFIO_MIGRATION_PRE_COPY,
						      .data_size = true,
						      .precopy_enomsg = true,
						      .init_bytes = 100,
						      .stop_bytes = 200 });
}

/* mtty (6.7 style): PRE_COPY, returns 0 at a pre-copy pause, no-op DMA logging. */
static struct fake_vfio_dev *add_mdev(void)
{
	return fake_vfio_add(&(struct fake_vfio_cfg){ .name = MDEV,
						      .mdev = true,
						      .group = 15,
						      .cdev = -1,
						      .driver = "mtty",
						      .mdev_type = "mtty-2",
						      .mig_flags = VFIO_MIGRATION_STOP_COPY |
								   VFIO_MIGRATION_P2P |
								   VFIO_MIGRATION_PRE_COPY,
						      .data_size = true,
						      .log_ops = true,
						      .init_bytes = 24,
						      .stop_bytes = 72 });
}

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

static struct backend *open_ok(const char *name)
{
	struct backend *b = NULL;
	int r = vfio_open(name, fake_vfio_sys(), &b);

	ck_assert_msg(r == 0, "vfio_open(%s) = %d: %s", name, r, vfio_last_error());
	ck_assert_ptr_nonnull(b);
	return b;
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

static struct backend *probe_ok(const char *name, struct backend_caps *caps)
{
	struct backend *b = open_ok(name);

	OK(backend_probe(b, caps));
	return b;
}

static void finish(void)
{
	ck_assert_int_eq(fake_vfio_open_fds(), 0);
	fake_vfio_fini();
}

static enum fsm_state state_of(struct backend *b)
{
	enum fsm_state s;

	OK(backend_get_state(b, &s));
	return s;
}

static void set_ok(struct backend *b, enum fsm_state target, bool opened)
{
	bool o = !opened;

	OK(backend_set_state(b, target, &o));
	ck_assert_int_eq(o, opened);
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

/* ---- naming ---- */

START_TEST(test_names_pci)
{
	static const char *const names[] = { PCI61, "pci:" PCI61, "01:00.0", "pci:01:00.0" };
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

static Suite *vfio_suite(void)
{
	Suite *s = suite_create("vfio");
	TCase *names = tcase_create("names");
	TCase *open = tcase_create("open");
	TCase *mig = tcase_create("migration");
	TCase *misc = tcase_create("misc");

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
	tcase_add_test(misc, test_dma_logging);
	tcase_add_test(misc, test_sys_default);
	tcase_add_test(misc, test_fake_feature_core);
	suite_add_tcase(s, names);
	suite_add_tcase(s, open);
	suite_add_tcase(s, mig);
	suite_add_tcase(s, misc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfio_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
