/*
 * test_vfio_util.c - the fake devices and backend helpers of the vfio backend's unit tests
 * (see test_vfio_util.h).
 */
#include <check.h>
#include <stdbool.h>

#include "test_vfio_util.h"
#include "vfio_compat.h"

struct fake_vfio_dev *add_pci61(void)
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

struct fake_vfio_dev *add_pcinew(void)
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

struct fake_vfio_dev *add_mdev(void)
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

struct backend *open_ok(const char *name)
{
	struct backend *b = NULL;
	int r = vfio_open(name, fake_vfio_sys(), &b);

	ck_assert_msg(r == 0, "vfio_open(%s) = %d: %s", name, r, vfio_last_error());
	ck_assert_ptr_nonnull(b);
	return b;
}

struct backend *probe_ok(const char *name, struct backend_caps *caps)
{
	struct backend *b = open_ok(name);

	OK(backend_probe(b, caps));
	return b;
}

void finish(void)
{
	ck_assert_int_eq(fake_vfio_open_fds(), 0);
	fake_vfio_fini();
}

void set_ok(struct backend *b, enum fsm_state target, bool opened)
{
	bool o = !opened;

	OK(backend_set_state(b, target, &o));
	ck_assert_int_eq(o, opened);
}
