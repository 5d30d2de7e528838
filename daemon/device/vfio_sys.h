/*
 * vfio_sys.h - the seam between the vfio backend and the kernel.
 *
 * Every syscall the vfio backend makes (device nodes, ioctls, data fd I/O, sysfs lookups) goes
 * through a struct vfio_sys, so unit tests can put a fake kernel and a fake sysfs tree behind
 * it. Functions return -errno on failure, never -1 with errno. The roots let a test point the
 * backend at a temporary directory: "/dev/vfio/12" is opened as dev_root + "/vfio/12".
 *
 * Threading: the default instance is stateless and safe from any thread.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_SYS_H
#define VFIO_MIGD_DEVICE_VFIO_SYS_H

#include <stddef.h>
#include <sys/types.h>

/* Called once per directory entry except "." and ".."; a non-zero return stops the walk. */
typedef int vfio_sys_dir_fn(const char *name, void *userdata);

struct vfio_sys {
	/* open(2): returns the fd or -errno. */
	int (*open)(const char *path, int flags);
	/* close(2): 0 or -errno; the fd is gone either way. */
	int (*close)(int fd);
	/* ioctl(2) with one argument (a pointer, or an integer cast to one): result or -errno. */
	int (*ioctl)(int fd, unsigned long request, void *arg);
	/* read(2)/write(2): bytes or -errno (EINTR is returned, not retried). */
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	/* readlink(2), NUL-terminated: length, or -errno (-ENAMETOOLONG if size is too small). */
	int (*readlink)(const char *path, char *buf, size_t size);
	/* Calls fn for each entry of a directory. Returns fn's non-zero value, 0, or -errno. */
	int (*list_dir)(const char *path, vfio_sys_dir_fn *fn, void *userdata);
	const char *sysfs_root; /* "/sys" */
	const char *dev_root;	/* "/dev" */
};

/* The real kernel: libc calls, "/sys" and "/dev". Never NULL. */
const struct vfio_sys *vfio_sys_default(void);

#endif
