/*
 * vfio_cdev.h - opening a device through its cdev and iommufd (Linux 6.6+, not in 6.1).
 *
 * Sequence: open /dev/vfio/devices/vfioN; open /dev/iommu; VFIO_DEVICE_BIND_IOMMUFD;
 * IOMMU_IOAS_ALLOC; VFIO_DEVICE_ATTACH_IOMMUFD_PT(ioas). Each device gets its own iommufd
 * (the daemon maps no DMA, so nothing is gained by sharing one). Closing the device fd
 * unbinds it; closing the iommufd then frees the IOAS. Stateless; safe from any thread.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_CDEV_H
#define VFIO_MIGD_DEVICE_VFIO_CDEV_H

#include "vfio_sys.h"

/*
 * Opens and binds the cdev at path; name is for messages. Returns 0 with the device fd and the
 * iommufd (both O_CLOEXEC, both owned by the caller: close the device first), or -errno with
 * vfio_err_text() set. -ENOENT means the cdev node or /dev/iommu does not exist, so the
 * caller may fall back to the group API; -EBUSY that the device's group is open.
 */
int vfio_cdev_open(const struct vfio_sys *sys, const char *path, const char *name, int *ret_fd,
		   int *ret_iommufd);

#endif
