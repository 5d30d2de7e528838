/*
 * vfio_group.c - shared, refcounted VFIO groups and containers (the group/container API).
 *
 * Opening a device the legacy way (drivers/vfio/vfio_main.c in 6.1, group.c since 6.2):
 *   container = open /dev/vfio/vfio; VFIO_GET_API_VERSION == VFIO_API_VERSION;
 *   VFIO_CHECK_EXTENSION(TYPE1v2) > 0;
 *   group = open /dev/vfio/<N>; VFIO_GROUP_GET_STATUS has VIABLE;
 *   VFIO_GROUP_SET_CONTAINER(&container); VFIO_SET_IOMMU(TYPE1v2) on the container's first
 *   group; device = VFIO_GROUP_GET_DEVICE_FD("<name>").
 * Closing the group fd detaches it from its container; closing the container's last fd
 * releases the IOMMU. The daemon maps no DMA: the container only has to exist.
 *
 * Owns the group and container fds. One mutex guards both lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vfio_compat.h"
#include "vfio_err.h"
#include "vfio_group.h"

struct vfio_container {
	struct vfio_container *next;
	const struct vfio_sys *sys;
	int fd;
	unsigned int groups; /* groups attached to it */
};

struct vfio_group {
	struct vfio_group *next;
	const struct vfio_sys *sys;
	int number;
	int fd;
	unsigned int refs; /* device fds obtained through it and not yet put */
	struct vfio_container *container;
};

static pthread_mutex_t vfio_group_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfio_group *vfio_group_list;
static struct vfio_container *vfio_group_containers;

static struct vfio_group *vfio_group_find(const struct vfio_sys *sys, int number)
{
	for (struct vfio_group *g = vfio_group_list; g; g = g->next) {
		if (g->sys == sys && g->number == number)
			return g;
	}
	return NULL;
}

static void vfio_group_container_put(struct vfio_container *c)
{
	struct vfio_container **p;

	if (--c->groups > 0)
		return;
	for (p = &vfio_group_containers; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	c->sys->close(c->fd);
	free(c);
}

/* Checks the API and the type1v2 backend on a fresh container fd. */
static int vfio_group_container_check(const struct vfio_sys *sys, int fd, const char *device)
{
	int r;

	r = sys->ioctl(fd, VFIO_GET_API_VERSION, NULL);
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_GET_API_VERSION failed: %s", device, strerror(-r));
	if (r != VFIO_API_VERSION)
		return vfio_err_set(-EPROTO, "%s: kernel VFIO API version %d, expected %d", device,
				    r, VFIO_API_VERSION);
	r = sys->ioctl(fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (r <= 0)
		return vfio_err_set(r < 0 ? r : -ENODEV,
				    "%s: the kernel offers no VFIO_TYPE1v2_IOMMU (is "
				    "vfio_iommu_type1 loaded?)",
				    device);
	return 0;
}

/* A new container holding group g, with the type1v2 IOMMU set. */
static int vfio_group_container_new(struct vfio_group *g, const char *device)
{
	const struct vfio_sys *sys = g->sys;
	char path[PATH_MAX];
	struct vfio_container *c;
	int fd, r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return vfio_err_set(-ENOMEM, "%s: out of memory", device);
	snprintf(path, sizeof(path), "%s/vfio/vfio", sys->dev_root);
	fd = sys->open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = vfio_err_set(fd == -ENOENT ? -ENODEV : fd,
				 "%s: cannot open %s: %s (is the vfio module loaded?)", device,
				 path, strerror(-fd));
		goto err_free;
	}
	r = vfio_group_container_check(sys, fd, device);
	if (r < 0)
		goto err_close;
	r = sys->ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &fd);
	if (r < 0) {
		vfio_err_set(r, "%s: VFIO_GROUP_SET_CONTAINER on group %d failed: %s", device,
			     g->number, strerror(-r));
		goto err_close;
	}
	r = sys->ioctl(fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (r < 0) {
		vfio_err_set(r, "%s: VFIO_SET_IOMMU(TYPE1v2) for group %d failed: %s", device,
			     g->number, strerror(-r));
		goto err_close;
	}
	*c = (struct vfio_container){
		.next = vfio_group_containers, .sys = sys, .fd = fd, .groups = 1
	};
	vfio_group_containers = c;
	g->container = c;
	return 0;

err_close:
	/* The caller closes the group fd next, which detaches it if SET_CONTAINER worked. */
	sys->close(fd);
err_free:
	free(c);
	return r;
}

/* Joins an existing container if one accepts the group, else makes a new one. */
static int vfio_group_attach(struct vfio_group *g, const char *device)
{
	for (struct vfio_container *c = vfio_group_containers; c; c = c->next) {
		if (c->sys != g->sys)
			continue;
		if (g->sys->ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd) == 0) {
			c->groups++;
			g->container = c;
			return 0;
		}
	}
	return vfio_group_container_new(g, device);
}

static int vfio_group_open_error(int r, const char *device, int number, const char *path,
				 const char *hint)
{
	switch (r) {
	case -ENOENT:
		return vfio_err_set(r, "%s: %s does not exist (%s)", device, path,
				    hint ? hint
					 : "is a device of the group bound to vfio-pci or a vfio "
					   "variant driver?");
	case -EBUSY:
		return vfio_err_set(r,
				    "%s: group %d is busy: another process (QEMU, another "
				    "daemon) has %s open, or a device of the group is bound "
				    "through its cdev; Linux allows one user",
				    device, number, path);
	case -EACCES:
	case -EPERM:
		return vfio_err_set(r,
				    "%s: no permission to open %s (run as root or give the "
				    "daemon access to the group's device node)",
				    device, path);
	default:
		return vfio_err_set(r, "%s: cannot open %s: %s", device, path, strerror(-r));
	}
}

/* Opens group number, checks it is viable and puts it in a container. */
static int vfio_group_new(const struct vfio_sys *sys, int number, const char *path,
			  const char *device, const char *hint, struct vfio_group **ret)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_group *g;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return vfio_err_set(-ENOMEM, "%s: out of memory", device);
	*g = (struct vfio_group){ .sys = sys, .number = number };
	g->fd = sys->open(path, O_RDWR | O_CLOEXEC);
	if (g->fd < 0) {
		r = vfio_group_open_error(g->fd, device, number, path, hint);
		goto err_free;
	}
	r = sys->ioctl(g->fd, VFIO_GROUP_GET_STATUS, &status);
	if (r < 0) {
		vfio_err_set(r, "%s: VFIO_GROUP_GET_STATUS on group %d failed: %s", device, number,
			     strerror(-r));
		goto err_close;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		r = vfio_err_set(-EPERM,
				 "%s: group %d is not viable: all devices in the group must be "
				 "bound to vfio (vfio-pci or a variant driver) or to no driver",
				 device, number);
		goto err_close;
	}
	r = vfio_group_attach(g, device);
	if (r < 0)
		goto err_close;
	g->next = vfio_group_list;
	vfio_group_list = g;
	*ret = g;
	return 0;

err_close:
	sys->close(g->fd);
err_free:
	free(g);
	return r;
}

/* Closes a group nobody uses any more and drops its container. Lock held. */
static void vfio_group_destroy(struct vfio_group *g)
{
	struct vfio_group **p;

	for (p = &vfio_group_list; *p && *p != g; p = &(*p)->next)
		;
	if (*p)
		*p = g->next;
	g->sys->close(g->fd);
	vfio_group_container_put(g->container);
	free(g);
}

static int vfio_group_device_error(int r, int number, const char *device)
{
	if (r == -ENODEV || r == -ENOENT)
		return vfio_err_set(r,
				    "%s: not a VFIO device of group %d (is it bound to a vfio "
				    "driver?)",
				    device, number);
	return vfio_err_set(r, "%s: VFIO_GROUP_GET_DEVICE_FD on group %d failed: %s", device,
			    number, strerror(-r));
}

int vfio_group_open_device(const struct vfio_sys *sys, int number, const char *path,
			   const char *device, const char *hint, struct vfio_group **ret_group,
			   int *ret_fd)
{
	struct vfio_group *g;
	bool created = false;
	int fd;

	pthread_mutex_lock(&vfio_group_lock);
	g = vfio_group_find(sys, number);
	if (!g) {
		fd = vfio_group_new(sys, number, path, device, hint, &g);
		if (fd < 0)
			goto out;
		created = true;
	}
	fd = sys->ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, (void *)device);
	if (fd < 0) {
		vfio_group_device_error(fd, number, device);
		if (created)
			vfio_group_destroy(g);
		goto out;
	}
	g->refs++;
	*ret_group = g;
	*ret_fd = fd;
	fd = 0;
out:
	pthread_mutex_unlock(&vfio_group_lock);
	return fd;
}

void vfio_group_put(struct vfio_group *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&vfio_group_lock);
	if (--g->refs == 0) {
		log_debug("group %d: last device closed, closing the group", g->number);
		vfio_group_destroy(g);
	}
	pthread_mutex_unlock(&vfio_group_lock);
}

bool vfio_group_is_open(const struct vfio_sys *sys, int number)
{
	bool open;

	pthread_mutex_lock(&vfio_group_lock);
	open = vfio_group_find(sys, number) != NULL;
	pthread_mutex_unlock(&vfio_group_lock);
	return open;
}
