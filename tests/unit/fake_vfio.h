/*
 * fake_vfio.h - a fake VFIO kernel behind the vfio_sys seam, for the test_vfio_*.c programs.
 *
 * Models what the vfio backend relies on, as Linux does it (6.1 for the group API and the
 * feature core, 6.6+ for cdev/iommufd, 6.2+ for PRE_COPY and MIG_DATA_SIZE):
 *   - /dev/vfio/vfio containers, /dev/vfio/<N> groups (one opener at a time: EBUSY), viability,
 *     SET_CONTAINER / SET_IOMMU / GET_DEVICE_FD rules;
 *   - /dev/vfio/devices/vfioN cdevs and /dev/iommu: BIND, IOAS_ALLOC, ATTACH, and the group
 *     being blocked while a cdev is bound;
 *   - VFIO_DEVICE_FEATURE header validation and vfio_check_feature() as vfio_main.c does them,
 *     MIGRATION, MIG_DEVICE_STATE (core writes data_fd -1 on failure), MIG_DATA_SIZE,
 *     DMA_LOGGING_START/STOP/REPORT with the core's range checks, unknown features;
 *   - a driver walking the kernel's next-step table one arc at a time (mtty style), with
 *     data files: save files that stream a deterministic pattern (0 or ENOMSG at a pre-copy
 *     temporary end, 0 at the STOP_COPY end), resume files validated at RESUMING -> STOP,
 *     VFIO_MIG_GET_PRECOPY_INFO, files disabled (ENODEV) when a session ends or on reset;
 *   - injected failures: an arc that fails and lands the device somewhere, one-shot ioctl or
 *     open errors, EINTR on data reads/writes, an asynchronous reset.
 * Sysfs is a real directory tree in a temporary directory (read through the default seam
 * functions); device nodes are fake fds (>= FAKE_FD_BASE). Every ioctl, fake open and close is
 * logged as one line. Not thread-safe; one fake per process (Check forks per test).
 */
#ifndef VFIO_MIGD_TEST_FAKE_VFIO_H
#define VFIO_MIGD_TEST_FAKE_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_sys.h"

#define FAKE_FD_BASE 1000

struct fake_vfio_cfg {
	const char *name;	 /* sysfs name: PCI address or mdev UUID */
	bool mdev;		 /* an mdev (sysfs under bus/mdev, mdev_type link) */
	int group;		 /* IOMMU group, -1 for none */
	int cdev;		 /* N of vfio-dev/vfioN, -1 for none */
	const char *driver;	 /* bound driver, NULL for none */
	bool not_vfio;		 /* the driver is not a vfio driver (no group node from it) */
	unsigned int vendor;	 /* PCI ids */
	unsigned int device;	 /* */
	const char *mdev_type;	 /* "mtty-2" */
	uint32_t mig_flags;	 /* VFIO_MIGRATION_*; 0 = no migration ops (ENOTTY) */
	bool data_size;		 /* MIG_DATA_SIZE exists (6.2+) */
	bool log_ops;		 /* DMA logging ops */
	bool unknown_einval;	 /* unknown features: EINVAL (old core) instead of ENOTTY */
	bool precopy_enomsg;	 /* temporary pre-copy end: ENOMSG (uAPI) instead of 0 (mtty) */
	unsigned int init_bytes; /* pre-copy initial bytes */
	unsigned int stop_bytes; /* bytes STOP_COPY adds */
};

struct fake_vfio_dev;

/* Sets up an empty kernel: group_api gives /dev/vfio/vfio, cdev_api gives cdevs and /dev/iommu. */
void fake_vfio_init(bool group_api, bool cdev_api);

/* Removes the temporary tree. */
void fake_vfio_fini(void);

/* The seam: fake open/close/ioctl/read/write, real readlink/list_dir on the temporary tree. */
const struct vfio_sys *fake_vfio_sys(void);

/* Adds a device (sysfs entries and kernel object). */
struct fake_vfio_dev *fake_vfio_add(const struct fake_vfio_cfg *cfg);

/* Fake and real fds opened through the seam and not closed. */
int fake_vfio_open_fds(void);

/* Open data (migration session) fds. */
int fake_vfio_data_fds(void);

/* The log since the last clear: one line per open, close and ioctl, each ending in '\n'. */
const char *fake_vfio_log(void);
void fake_vfio_log_clear(void);

/* The device's migration state as the driver holds it. */
int fake_vfio_state(const struct fake_vfio_dev *d);

/* Sets the state directly (as if another process had moved it). */
void fake_vfio_set_state(struct fake_vfio_dev *d, int state);

/* The arc from -> to fails with -err and leaves the device in lands (once). */
void fake_vfio_fail_arc(struct fake_vfio_dev *d, int from, int to, int err, int lands);

/* The next ioctl with this request fails with -err before doing anything. */
void fake_vfio_fail_ioctl(unsigned long request, int err);

/* The next open of dev_root/rel fails with -err. */
void fake_vfio_fail_open(const char *rel, int err);

/* The next n data reads / writes return -EINTR first. */
void fake_vfio_eintr(int reads, int writes);

/* Another process holds group number open (its opens answer EBUSY). */
void fake_vfio_group_busy(int number);

/* A device reset the daemon did not ask for: RUNNING, sessions disabled. */
void fake_vfio_async_reset(struct fake_vfio_dev *d);

/* Times VFIO_DEVICE_RESET reached the device. */
int fake_vfio_resets(const struct fake_vfio_dev *d);

/* Bytes a resume session received, and whether they matched the saved pattern. */
unsigned int fake_vfio_resumed(const struct fake_vfio_dev *d, bool *ret_intact);

/* DMA logging: active, chosen page size, ranges passed to the last start. */
bool fake_vfio_logging(const struct fake_vfio_dev *d, uint64_t *ret_page_size,
		       unsigned int *ret_ranges);

/* Page size the driver picks at DMA_LOGGING_START (0: keep the caller's hint). */
void fake_vfio_log_page(struct fake_vfio_dev *d, uint64_t page_size);

/* A device fd as another process would hand it over (from GET_DEVICE_FD). */
int fake_vfio_device_fd(struct fake_vfio_dev *d);

/* The byte at position i of every saved stream. */
uint8_t fake_vfio_pattern(size_t i);

#endif
