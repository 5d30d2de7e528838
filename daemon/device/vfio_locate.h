/*
 * vfio_locate.h - from a user's device name to the nodes and sysfs entries that open it.
 *
 * Accepted names:
 *   PCI address        "0000:01:00.0", "01:00.0" (domain 0000), optionally "pci:"-prefixed
 *   mdev UUID          "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001", optionally "mdev:"-prefixed
 *   group              "/dev/vfio/12" (the group's only device) or "/dev/vfio/12:<device>"
 *   device cdev        "/dev/vfio/devices/vfio0"
 * Names are logical: "/dev" stands for the seam's dev_root. Pure lookups through the seam
 * (readlink, directory lists); nothing is opened. Safe from any thread.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_LOCATE_H
#define VFIO_MIGD_DEVICE_VFIO_LOCATE_H

#include <limits.h>
#include <stddef.h>

#include "vfio_sys.h"

/* Which naming form a name used. */
enum vfio_locate_kind {
	VFIO_LOCATE_PCI = 0,   /* PCI address */
	VFIO_LOCATE_MDEV = 1,  /* mdev UUID */
	VFIO_LOCATE_GROUP = 2, /* /dev/vfio/<group>[:<device>] */
	VFIO_LOCATE_CDEV = 3,  /* /dev/vfio/devices/vfioN */
};

#define VFIO_LOCATE_NAME_MAX 128

/* Where a device is. Paths are real paths (dev_root / sysfs_root applied). */
struct vfio_locate {
	enum vfio_locate_kind kind;
	char device[VFIO_LOCATE_NAME_MAX]; /* sysfs name ("0000:01:00.0", a UUID); "" if unknown */
	int group;			   /* IOMMU group number, -1 when the device has none */
	char group_path[PATH_MAX];	   /* <dev>/vfio/<group>, "" when group < 0 */
	char cdev_path[PATH_MAX];	   /* <dev>/vfio/devices/vfioN, "" when there is none */
	char sysdev[PATH_MAX];		   /* sysfs directory of the device, "" if unknown */
};

/*
 * Resolves name. Returns 0 and fills *ret, or -EINVAL (name matches no form), -ENOENT (no such
 * device or group), -ENAMETOOLONG, -EEXIST... with vfio_err_text() saying why. A PCI or mdev
 * device without an IOMMU group is not an error here (group = -1): opening it is.
 */
int vfio_locate(const char *name, const struct vfio_sys *sys, struct vfio_locate *ret);

/* Reads the first line of <dir>/<attr> without its newline. Returns its length or -errno. */
int vfio_locate_attr(const struct vfio_sys *sys, const char *dir, const char *attr, char *buf,
		     size_t size);

/* The last component of the symlink <dir>/<link> ("vfio-pci" for "driver"), or -errno. */
int vfio_locate_link(const struct vfio_sys *sys, const char *dir, const char *link, char *buf,
		     size_t size);

#endif
