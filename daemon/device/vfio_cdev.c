/*
 * vfio_cdev.c - device cdev + iommufd binding (drivers/vfio/device_cdev.c, 6.6+).
 *
 * argsz values are the kernel's minimum sizes (offsetofend of the last field this daemon
 * fills), so the same calls work with the 6.6 layouts and with the later, longer ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vfio_cdev.h"
#include "vfio_compat.h"
#include "vfio_err.h"

/* BIND, IOAS_ALLOC, ATTACH on open fds. */
static int vfio_cdev_bind(const struct vfio_sys *sys, int fd, int iommufd, const char *name)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = VFIO_COMPAT_OFFSETOFEND(struct vfio_device_bind_iommufd, out_devid),
		.iommufd = iommufd,
	};
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = VFIO_COMPAT_OFFSETOFEND(struct vfio_device_attach_iommufd_pt, pt_id),
	};
	int r;

	r = sys->ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (r == -EBUSY)
		return vfio_err_set(r,
				    "%s: VFIO_DEVICE_BIND_IOMMUFD: EBUSY (the device's group "
				    "is open through /dev/vfio/<group> by this or another "
				    "process)",
				    name);
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_DEVICE_BIND_IOMMUFD failed: %s", name,
				    strerror(-r));
	r = sys->ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc);
	if (r < 0)
		return vfio_err_set(r, "%s: IOMMU_IOAS_ALLOC failed: %s", name, strerror(-r));
	attach.pt_id = alloc.out_ioas_id;
	r = sys->ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT(ioas %u) failed: %s",
				    name, alloc.out_ioas_id, strerror(-r));
	return 0;
}

int vfio_cdev_open(const struct vfio_sys *sys, const char *path, const char *name, int *ret_fd,
		   int *ret_iommufd)
{
	char iommu[PATH_MAX];
	int fd, iommufd, r;

	fd = sys->open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vfio_err_set(fd, "%s: cannot open %s: %s", name, path, strerror(-fd));
	snprintf(iommu, sizeof(iommu), "%s/iommu", sys->dev_root);
	iommufd = sys->open(iommu, O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		r = vfio_err_set(iommufd, "%s: cannot open %s: %s (is iommufd built in?)", name,
				 iommu, strerror(-iommufd));
		goto err_close_fd;
	}
	r = vfio_cdev_bind(sys, fd, iommufd, name);
	if (r < 0)
		goto err_close_iommufd;
	*ret_fd = fd;
	*ret_iommufd = iommufd;
	return 0;

err_close_iommufd:
	/* Device first: closing it unbinds from the iommufd. */
	sys->close(fd);
	sys->close(iommufd);
	return r;
err_close_fd:
	sys->close(fd);
	return r;
}
