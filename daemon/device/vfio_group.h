/*
 * vfio_group.h - the process-wide table of open VFIO groups and containers (legacy API).
 *
 * A group file can be open only once at a time (Linux 6.1 answers EBUSY to a second open,
 * even from the same process), so devices of one group share one group fd: the table keeps
 * each open group with a count of the device fds obtained through it. Groups share
 * containers (/dev/vfio/vfio) as QEMU does: a new group joins the first existing container
 * that accepts it, else gets a new one on which VFIO_SET_IOMMU(TYPE1v2) is issued.
 *
 * Threading: all functions lock one process-wide mutex; safe from any thread.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_GROUP_H
#define VFIO_MIGD_DEVICE_VFIO_GROUP_H

#include <stdbool.h>

#include "vfio_sys.h"

struct vfio_group;

/*
 * Opens device (its sysfs name) in IOMMU group number, whose node is path, opening and
 * attaching the group first if this process does not hold it yet. hint (may be NULL) is the
 * advice given when the group node does not exist. Returns 0 with a group reference in
 * *ret_group and the device fd in *ret_fd (O_CLOEXEC), or -errno with vfio_err_text() set:
 * -ENOENT (no group node), -EBUSY (group open elsewhere), -EPERM (group not viable), -EACCES,
 * -ENODEV (no /dev/vfio/vfio, or device not in the group), or what the kernel answered.
 * Nothing is written on failure.
 */
int vfio_group_open_device(const struct vfio_sys *sys, int number, const char *path,
			   const char *device, const char *hint, struct vfio_group **ret_group,
			   int *ret_fd);

/*
 * Drops a reference taken by vfio_group_open_device(). Close the device fd first: the last
 * reference closes the group fd, and the container's once no group uses it. NULL-safe.
 */
void vfio_group_put(struct vfio_group *g);

/* True while this process holds group number (of this seam) open. */
bool vfio_group_is_open(const struct vfio_sys *sys, int number);

#endif
