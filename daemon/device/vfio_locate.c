/*
 * vfio_locate.c - device names to VFIO nodes, through sysfs.
 *
 * What sysfs offers (Linux 6.1 and later):
 *   /sys/bus/pci/devices/<addr>, /sys/bus/mdev/devices/<uuid>   the device (a symlink)
 *     iommu_group -> .../kernel/iommu_groups/<N>                 its group, if any
 *     vfio-dev/vfioN                                             its cdev (node in /dev since 6.6,
 *                                                                CONFIG_VFIO_DEVICE_CDEV; the sysfs
 *                                                                entry alone exists since 6.1)
 *     driver -> .../drivers/<name>, vendor, device, mdev_type    identity, for describe
 *   /sys/kernel/iommu_groups/<N>/devices/<name>                  the members of group N
 *   /sys/class/vfio-dev/vfioN/device -> the device               a cdev's device
 * Owns nothing; every lookup goes through the seam.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_err.h"
#include "vfio_locate.h"

#define VFIO_LOCATE_LIST_MAX 8 /* group members named in an error message */

/* Members of a group directory, for choosing the only one or listing them. */
struct vfio_locate_members {
	unsigned int count;
	char name[VFIO_LOCATE_LIST_MAX][VFIO_LOCATE_NAME_MAX];
	const char *want; /* a member to look for, or NULL */
	bool found;
};

static int vfio_locate_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vfio_locate_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return vfio_err_set(-ENAMETOOLONG, "path too long: %s...", buf);
	return 0;
}

static size_t vfio_locate_hex_run(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

static void vfio_locate_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* "[DDDD:]BB:DD.F" with a 4-8 digit domain; writes the canonical lower-case form. */
static bool vfio_locate_parse_pci(const char *s, char *out, size_t size)
{
	char dom[9] = "0000";
	const char *p = s;
	size_t n;

	if (strchr(s, ':') != strrchr(s, ':')) {
		n = vfio_locate_hex_run(p);
		if (n < 4 || n > 8 || p[n] != ':')
			return false;
		memcpy(dom, p, n);
		dom[n] = '\0';
		p += n + 1;
	}
	if (vfio_locate_hex_run(p) != 2 || p[2] != ':' || vfio_locate_hex_run(p + 3) != 2 ||
	    p[5] != '.' || p[6] < '0' || p[6] > '7' || p[7] != '\0')
		return false;
	if (strtoul(p + 3, NULL, 16) > 0x1f)
		return false;
	if ((size_t)snprintf(out, size, "%s:%.2s:%.2s.%c", dom, p, p + 3, p[6]) >= size)
		return false;
	vfio_locate_lower(out);
	return true;
}

/* A UUID as mdev names them: 8-4-4-4-12 hex digits. */
static bool vfio_locate_parse_uuid(const char *s, char *out, size_t size)
{
	static const unsigned char dash[] = { 8, 13, 18, 23 };
	unsigned int d = 0;

	if (strlen(s) != 36 || size < 37)
		return false;
	for (unsigned int i = 0; i < 36; i++) {
		if (d < sizeof(dash) && i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	memcpy(out, s, 37);
	vfio_locate_lower(out);
	return true;
}

/* A decimal number of 1-9 digits ending at *end; -1 if s does not start with one. */
static int vfio_locate_parse_number(const char *s, const char **end)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n > 9)
		return -1;
	*end = s + n;
	return (int)strtol(s, NULL, 10);
}

static int vfio_locate_stop(const char *name, void *userdata)
{
	return 1;
}

/* 0 when path is a directory we can list, else -errno. */
static int vfio_locate_dir_exists(const struct vfio_sys *sys, const char *path)
{
	int r = sys->list_dir(path, vfio_locate_stop, NULL);

	return r < 0 ? r : 0;
}

static int vfio_locate_first_vfio(const char *name, void *userdata)
{
	char *out = userdata;

	if (strncmp(name, "vfio", 4) != 0 || strlen(name) >= VFIO_LOCATE_NAME_MAX)
		return 0;
	memcpy(out, name, strlen(name) + 1);
	return 1;
}

int vfio_locate_link(const struct vfio_sys *sys, const char *dir, const char *link, char *buf,
		     size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	int r;

	r = vfio_locate_fmt(path, sizeof(path), "%s/%s", dir, link);
	if (r < 0)
		return r;
	r = sys->readlink(path, target, sizeof(target));
	if (r < 0)
		return r;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size || !*base)
		return -ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return (int)strlen(buf);
}

int vfio_locate_attr(const struct vfio_sys *sys, const char *dir, const char *attr, char *buf,
		     size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, r;

	r = vfio_locate_fmt(path, sizeof(path), "%s/%s", dir, attr);
	if (r < 0)
		return r;
	fd = sys->open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	do
		n = sys->read(fd, buf, size - 1);
	while (n == -EINTR);
	sys->close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return (int)strlen(buf);
}

/* Fills the group (-1 if none) and the cdev path (if any) of the device at loc->sysdev. */
static int vfio_locate_nodes(const struct vfio_sys *sys, struct vfio_locate *loc)
{
	char buf[VFIO_LOCATE_NAME_MAX], sub[PATH_MAX];
	const char *end;
	int r;

	r = vfio_locate_link(sys, loc->sysdev, "iommu_group", buf, sizeof(buf));
	if (r >= 0) {
		loc->group = vfio_locate_parse_number(buf, &end);
		if (loc->group < 0 || *end)
			return vfio_err_set(-EINVAL, "%s: unexpected iommu_group link '%s'",
					    loc->device, buf);
		r = vfio_locate_fmt(loc->group_path, sizeof(loc->group_path), "%s/vfio/%d",
				    sys->dev_root, loc->group);
		if (r < 0)
			return r;
	}
	r = vfio_locate_fmt(sub, sizeof(sub), "%s/vfio-dev", loc->sysdev);
	if (r < 0)
		return r;
	buf[0] = '\0';
	if (sys->list_dir(sub, vfio_locate_first_vfio, buf) > 0)
		return vfio_locate_fmt(loc->cdev_path, sizeof(loc->cdev_path), "%s/vfio/devices/%s",
				       sys->dev_root, buf);
	return 0;
}

/* A PCI or mdev device by its sysfs name on bus ("pci", "mdev"). */
static int vfio_locate_bus(const struct vfio_sys *sys, const char *bus, struct vfio_locate *loc)
{
	int r;

	r = vfio_locate_fmt(loc->sysdev, sizeof(loc->sysdev), "%s/bus/%s/devices/%s",
			    sys->sysfs_root, bus, loc->device);
	if (r < 0)
		return r;
	r = vfio_locate_dir_exists(sys, loc->sysdev);
	if (r < 0)
		return vfio_err_set(r, "%s: no such %s device (nothing at %s)", loc->device,
				    strcmp(bus, "pci") == 0 ? "PCI" : "mdev", loc->sysdev);
	return vfio_locate_nodes(sys, loc);
}

static int vfio_locate_member(const char *name, void *userdata)
{
	struct vfio_locate_members *m = userdata;

	if (m->want && strcmp(name, m->want) == 0)
		m->found = true;
	if (m->count < VFIO_LOCATE_LIST_MAX && strlen(name) < VFIO_LOCATE_NAME_MAX)
		memcpy(m->name[m->count], name, strlen(name) + 1);
	m->count++;
	return 0;
}

static int vfio_locate_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "dev1, dev2, ..." for an error message, sorted. */
static void vfio_locate_member_list(struct vfio_locate_members *m, char *buf, size_t size)
{
	unsigned int shown = m->count < VFIO_LOCATE_LIST_MAX ? m->count : VFIO_LOCATE_LIST_MAX;
	size_t n = 0;

	qsort(m->name, shown, sizeof(m->name[0]), vfio_locate_cmp);
	buf[0] = '\0';
	for (unsigned int i = 0; i < shown && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", m->name[i]);
	if (shown < m->count && n < size)
		snprintf(buf + n, size - n, ", ...");
}

/* "/dev/vfio/<N>" or "/dev/vfio/<N>:<device>", spec being what follows "/dev/vfio/". */
static int vfio_locate_group(const struct vfio_sys *sys, const char *name, const char *spec,
			     struct vfio_locate *loc)
{
	struct vfio_locate_members m = { 0 };
	char dir[PATH_MAX], list[256];
	const char *end;
	int r;

	loc->kind = VFIO_LOCATE_GROUP;
	loc->group = vfio_locate_parse_number(spec, &end);
	if (loc->group < 0 || (*end && *end != ':') || (*end == ':' && !end[1]))
		return vfio_err_set(-EINVAL,
				    "%s: not a VFIO group (expected /dev/vfio/<group> or "
				    "/dev/vfio/<group>:<device>)",
				    name);
	m.want = *end == ':' ? end + 1 : NULL;
	r = vfio_locate_fmt(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices", sys->sysfs_root,
			    loc->group);
	if (r < 0)
		return r;
	r = sys->list_dir(dir, vfio_locate_member, &m);
	if (r < 0)
		return vfio_err_set(r, "%s: IOMMU group %d does not exist (nothing at %s)", name,
				    loc->group, dir);
	vfio_locate_member_list(&m, list, sizeof(list));
	if (m.want && !m.found)
		return vfio_err_set(-ENOENT, "%s: group %d has no device %s (it has: %s)", name,
				    loc->group, m.want, m.count ? list : "none");
	if (!m.want && m.count != 1)
		return vfio_err_set(m.count ? -EINVAL : -ENOENT,
				    "%s: group %d has %u devices (%s); name one as "
				    "/dev/vfio/%d:<device>",
				    name, loc->group, m.count, m.count ? list : "none", loc->group);
	snprintf(loc->device, sizeof(loc->device), "%s", m.want ? m.want : m.name[0]);
	r = vfio_locate_fmt(loc->group_path, sizeof(loc->group_path), "%s/vfio/%d", sys->dev_root,
			    loc->group);
	if (r < 0)
		return r;
	return vfio_locate_fmt(loc->sysdev, sizeof(loc->sysdev), "%s/%s", dir, loc->device);
}

/* "/dev/vfio/devices/vfioN", node being "vfioN". The sysfs side is optional. */
static int vfio_locate_cdev(const struct vfio_sys *sys, const char *name, const char *node,
			    struct vfio_locate *loc)
{
	char class[PATH_MAX];
	const char *end;
	int r;

	loc->kind = VFIO_LOCATE_CDEV;
	if (strncmp(node, "vfio", 4) != 0 || vfio_locate_parse_number(node + 4, &end) < 0 || *end)
		return vfio_err_set(-EINVAL, "%s: not a VFIO device node (expected vfio<N>)", name);
	r = vfio_locate_fmt(loc->cdev_path, sizeof(loc->cdev_path), "%s/vfio/devices/%s",
			    sys->dev_root, node);
	if (r < 0)
		return r;
	r = vfio_locate_fmt(class, sizeof(class), "%s/class/vfio-dev/%s", sys->sysfs_root, node);
	if (r < 0)
		return r;
	r = vfio_locate_fmt(loc->sysdev, sizeof(loc->sysdev), "%s/device", class);
	if (r < 0)
		return r;
	if (vfio_locate_link(sys, class, "device", loc->device, sizeof(loc->device)) < 0) {
		/* No sysfs (a container without /sys): open the node, describe less. */
		loc->sysdev[0] = '\0';
		loc->device[0] = '\0';
	}
	return 0;
}

static int vfio_locate_named(const struct vfio_sys *sys, const char *name, const char *id,
			     enum vfio_locate_kind kind, struct vfio_locate *loc)
{
	bool ok;

	loc->kind = kind;
	if (kind == VFIO_LOCATE_PCI)
		ok = vfio_locate_parse_pci(id, loc->device, sizeof(loc->device));
	else
		ok = vfio_locate_parse_uuid(id, loc->device, sizeof(loc->device));
	if (!ok)
		return vfio_err_set(-EINVAL, "%s: not a valid %s", name,
				    kind == VFIO_LOCATE_PCI ? "PCI address ([DDDD:]BB:DD.F)"
							    : "mdev UUID");
	return vfio_locate_bus(sys, kind == VFIO_LOCATE_PCI ? "pci" : "mdev", loc);
}

int vfio_locate(const char *name, const struct vfio_sys *sys, struct vfio_locate *ret)
{
	static const char group_prefix[] = "/dev/vfio/";
	static const char cdev_prefix[] = "/dev/vfio/devices/";
	struct vfio_locate loc = { .group = -1 };
	char scratch[VFIO_LOCATE_NAME_MAX];
	int r;

	if (strncmp(name, "pci:", 4) == 0)
		r = vfio_locate_named(sys, name, name + 4, VFIO_LOCATE_PCI, &loc);
	else if (strncmp(name, "mdev:", 5) == 0)
		r = vfio_locate_named(sys, name, name + 5, VFIO_LOCATE_MDEV, &loc);
	else if (strncmp(name, cdev_prefix, sizeof(cdev_prefix) - 1) == 0)
		r = vfio_locate_cdev(sys, name, name + sizeof(cdev_prefix) - 1, &loc);
	else if (strncmp(name, group_prefix, sizeof(group_prefix) - 1) == 0)
		r = vfio_locate_group(sys, name, name + sizeof(group_prefix) - 1, &loc);
	else if (vfio_locate_parse_pci(name, scratch, sizeof(scratch)))
		r = vfio_locate_named(sys, name, name, VFIO_LOCATE_PCI, &loc);
	else if (vfio_locate_parse_uuid(name, scratch, sizeof(scratch)))
		r = vfio_locate_named(sys, name, name, VFIO_LOCATE_MDEV, &loc);
	else
		r = vfio_err_set(-EINVAL,
				 "%s: not a device name (expected a PCI address 0000:01:00.0, an "
				 "mdev UUID, /dev/vfio/<group>[:<device>] or "
				 "/dev/vfio/devices/vfio<N>)",
				 name);
	if (r < 0)
		return r;
	*ret = loc;
	return 0;
}
