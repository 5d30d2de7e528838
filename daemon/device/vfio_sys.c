/*
 * vfio_sys.c - the real implementation of the vfio seam: thin libc wrappers that turn the
 * -1/errno convention into -errno. No state; safe from any thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_sys.h"

static int vfio_sys_open(const char *path, int flags)
{
	int fd = open(path, flags);

	return fd < 0 ? -errno : fd;
}

static int vfio_sys_close(int fd)
{
	/* Linux releases the fd even when close() reports EINTR: never retry. */
	return close(fd) < 0 ? -errno : 0;
}

static int vfio_sys_ioctl(int fd, unsigned long request, void *arg)
{
	int r = ioctl(fd, request, arg);

	return r < 0 ? -errno : r;
}

static ssize_t vfio_sys_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t vfio_sys_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

static int vfio_sys_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n;

	if (size < 2)
		return -ENAMETOOLONG;
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}

static int vfio_sys_list_dir(const char *path, vfio_sys_dir_fn *fn, void *userdata)
{
	struct dirent *e;
	DIR *dir;
	int r = 0;

	dir = opendir(path);
	if (!dir)
		return -errno;
	while (r == 0 && (e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = fn(e->d_name, userdata);
	}
	closedir(dir);
	return r;
}

static const struct vfio_sys vfio_sys_real = {
	.open = vfio_sys_open,
	.close = vfio_sys_close,
	.ioctl = vfio_sys_ioctl,
	.read = vfio_sys_read,
	.write = vfio_sys_write,
	.readlink = vfio_sys_readlink,
	.list_dir = vfio_sys_list_dir,
	.sysfs_root = "/sys",
	.dev_root = "/dev",
};

const struct vfio_sys *vfio_sys_default(void)
{
	return &vfio_sys_real;
}
