/*
 * vfio.h - the backend for real VFIO devices.
 *
 * Opens a device by name (see vfio_locate.h for the forms) through the group/container API
 * (every kernel, the only one in Debian 12's 6.1) or through its cdev and iommufd (6.6+, used
 * when the device has a cdev and /dev/iommu opens), or adopts a device fd handed over with
 * SCM_RIGHTS, and drives its migration with VFIO_DEVICE_FEATURE as backend.h describes.
 * Every syscall goes through the struct vfio_sys seam.
 *
 * Errors are -errno; after a failure, vfio_last_error() holds one sentence for the log that
 * names the device, what failed and what to do.
 *
 * Threading: vfio_open/vfio_adopt_fd/free from any thread (groups are shared under a lock);
 * the backend ops follow backend.h.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_H
#define VFIO_MIGD_DEVICE_VFIO_H

#include <stdbool.h>

#include "backend.h"
#include "vfio_sys.h"

/*
 * Opens the device called name; sys NULL means vfio_sys_default(). Returns 0 and a backend
 * to free with backend_free(), or -errno: -EINVAL (not a device name, or a group with several
 * devices and none named), -ENOENT (no such device or node), -ENODEV (no IOMMU group, no
 * vfio), -EBUSY (group open in another process), -EPERM (group not viable), -EACCES, or the
 * kernel's answer. Does not probe migration support: backend_probe() does. Blocks briefly.
 */
int vfio_open(const char *name, const struct vfio_sys *sys, struct backend **ret);

/*
 * Wraps a VFIO device fd received from another process: one from VFIO_GROUP_GET_DEVICE_FD,
 * or a cdev fd already bound to an iommufd (the sender keeps the group or iommufd alive).
 * Takes ownership of device_fd, also on failure. label names the device in messages and as
 * its path; when it is a PCI address or mdev UUID present in sysfs, describe() reports its
 * driver and model. sys NULL means the default. Returns 0, -EBADF or -ENOMEM.
 */
int vfio_adopt_fd(int device_fd, const char *label, const struct vfio_sys *sys,
		  struct backend **ret);

/* The calling thread's last vfio failure as one line ("" if none yet). */
const char *vfio_last_error(void);

/* True when b is a vfio backend. */
bool vfio_is_vfio(const struct backend *b);

/*
 * The device fd of a vfio backend (still owned by it), with its seam and its name for
 * messages; -EINVAL when b is not a vfio backend. For vfio_dma_logging.c and tests.
 */
int vfio_device_fd(struct backend *b, const struct vfio_sys **ret_sys, const char **ret_name);

#endif
