/*
 * fake_vfio.c - the fake VFIO kernel of fake_vfio.h: objects and nodes.
 *
 * Owns the state: containers, groups (derived from the devices added), devices, session
 * files, the fd table mapping fake fd numbers to them, the sysfs tree, the log and the
 * injected failures. Serves opens and closes, the container, group, cdev/iommufd and device
 * ioctls (6.1 group rules, 6.6 cdev rules), and hands VFIO_DEVICE_FEATURE, data I/O and
 * VFIO_MIG_GET_PRECOPY_INFO to fake_vfio_mig.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_vfio_impl.h"
#include "fsm.h"

struct fake_vfio_kernel fake_vfio_k;

void fake_vfio_logf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(fake_vfio_k.log + fake_vfio_k.loglen,
		      sizeof(fake_vfio_k.log) - fake_vfio_k.loglen, fmt, ap);
	va_end(ap);
	if (n > 0 && fake_vfio_k.loglen + (size_t)n < sizeof(fake_vfio_k.log) - 1) {
		fake_vfio_k.loglen += (size_t)n;
		fake_vfio_k.log[fake_vfio_k.loglen++] = '\n';
		fake_vfio_k.log[fake_vfio_k.loglen] = '\0';
	}
}

uint8_t fake_vfio_pattern(size_t i)
{
	return (uint8_t)(i * 131 + 7);
}

/* ---- sysfs tree ---- */

static void fake_vfio_mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

static void fake_vfio_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void fake_vfio_link(const char *target, const char *path)
{
	if (symlink(target, path) < 0)
		abort();
}

static void fake_vfio_sysfs_device(const struct fake_vfio_dev *d)
{
	char dir[512], path[600], target[600];
	const struct fake_vfio_cfg *c = &d->cfg;

	snprintf(dir, sizeof(dir), "%s/devices/%s", fake_vfio_k.sysfs, d->name);
	fake_vfio_mkdirs(dir);
	snprintf(path, sizeof(path), "%s/bus/%s/devices", fake_vfio_k.sysfs,
		 c->mdev ? "mdev" : "pci");
	fake_vfio_mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s", fake_vfio_k.sysfs,
		 c->mdev ? "mdev" : "pci", d->name);
	snprintf(target, sizeof(target), "../../../devices/%s", d->name);
	fake_vfio_link(target, path);
	if (c->driver) {
		snprintf(path, sizeof(path), "%s/driver", dir);
		snprintf(target, sizeof(target), "../../bus/%s/drivers/%s",
			 c->mdev ? "mdev" : "pci", c->driver);
		fake_vfio_link(target, path);
	}
	if (c->mdev) {
		snprintf(path, sizeof(path), "%s/mdev_type", dir);
		snprintf(target, sizeof(target), "../mtty/mdev_supported_types/%s", c->mdev_type);
		fake_vfio_link(target, path);
	} else {
		snprintf(path, sizeof(path), "%s/vendor", dir);
		snprintf(target, sizeof(target), "0x%04x\n", c->vendor);
		fake_vfio_write_file(path, target);
		snprintf(path, sizeof(path), "%s/device", dir);
		snprintf(target, sizeof(target), "0x%04x\n", c->device);
		fake_vfio_write_file(path, target);
	}
	if (c->group >= 0) {
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", fake_vfio_k.sysfs,
			 c->group);
		fake_vfio_mkdirs(path);
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s",
			 fake_vfio_k.sysfs, c->group, d->name);
		snprintf(target, sizeof(target), "../../../../devices/%s", d->name);
		fake_vfio_link(target, path);
		snprintf(path, sizeof(path), "%s/iommu_group", dir);
		snprintf(target, sizeof(target), "../../kernel/iommu_groups/%d", c->group);
		fake_vfio_link(target, path);
	}
	if (c->cdev >= 0) {
		snprintf(path, sizeof(path), "%s/vfio-dev/vfio%d", dir, c->cdev);
		fake_vfio_mkdirs(path);
		snprintf(path, sizeof(path), "%s/class/vfio-dev/vfio%d", fake_vfio_k.sysfs,
			 c->cdev);
		fake_vfio_mkdirs(path);
		snprintf(path, sizeof(path), "%s/class/vfio-dev/vfio%d/device", fake_vfio_k.sysfs,
			 c->cdev);
		snprintf(target, sizeof(target), "../../../devices/%s", d->name);
		fake_vfio_link(target, path);
	}
}

/* ---- objects ---- */

static struct fake_vfio_group *fake_vfio_group_get(int number)
{
	for (int i = 0; i < fake_vfio_k.ngroups; i++) {
		if (fake_vfio_k.groups[i].number == number)
			return &fake_vfio_k.groups[i];
	}
	if (fake_vfio_k.ngroups == FAKE_GROUPS)
		abort();
	fake_vfio_k.groups[fake_vfio_k.ngroups].number = number;
	return &fake_vfio_k.groups[fake_vfio_k.ngroups++];
}

/* The group node exists when a device of the group is bound to a vfio driver. */
static bool fake_vfio_group_node(const struct fake_vfio_group *g)
{
	for (int i = 0; i < fake_vfio_k.ndevs; i++) {
		const struct fake_vfio_dev *d = &fake_vfio_k.devs[i];

		if (d->group == g && d->cfg.driver && !d->cfg.not_vfio)
			return true;
	}
	return false;
}

/* Viable when every device of the group is bound to vfio or to nothing. */
static bool fake_vfio_group_viable(const struct fake_vfio_group *g)
{
	for (int i = 0; i < fake_vfio_k.ndevs; i++) {
		if (fake_vfio_k.devs[i].group == g && fake_vfio_k.devs[i].cfg.not_vfio)
			return false;
	}
	return true;
}

static int fake_vfio_group_devfds(const struct fake_vfio_group *g)
{
	int n = 0;

	for (int i = 0; i < FAKE_FDS; i++) {
		if (fake_vfio_k.fds[i].kind == FK_DEVICE && !fake_vfio_k.fds[i].cdev &&
		    fake_vfio_k.fds[i].dev->group == g)
			n++;
	}
	return n;
}

static bool fake_vfio_group_cdev_bound(const struct fake_vfio_group *g)
{
	for (int i = 0; i < fake_vfio_k.ndevs; i++) {
		if (fake_vfio_k.devs[i].group == g && fake_vfio_k.devs[i].cdev_bound)
			return true;
	}
	return false;
}

int fake_vfio_fd_alloc(enum fake_vfio_kind kind)
{
	for (int i = 0; i < FAKE_FDS; i++) {
		if (fake_vfio_k.fds[i].kind == FK_FREE) {
			fake_vfio_k.fds[i] = (struct fake_vfio_fd){ .kind = kind, .iommufd = -1 };
			return FAKE_FD_BASE + i;
		}
	}
	return -EMFILE;
}

struct fake_vfio_fd *fake_vfio_fd_get(int fd)
{
	if (fd < FAKE_FD_BASE || fd >= FAKE_FD_BASE + FAKE_FDS)
		return NULL;
	if (fake_vfio_k.fds[fd - FAKE_FD_BASE].kind == FK_FREE)
		return NULL;
	return &fake_vfio_k.fds[fd - FAKE_FD_BASE];
}

struct fake_vfio_file *fake_vfio_file_new(struct fake_vfio_dev *d, bool save)
{
	for (int i = 0; i < FAKE_FILES; i++) {
		if (!fake_vfio_k.files[i].used) {
			fake_vfio_k.files[i] = (struct fake_vfio_file){
				.used = true, .dev = d, .save = save, .refs = 1, .intact = true
			};
			return &fake_vfio_k.files[i];
		}
	}
	abort();
}

void fake_vfio_file_put(struct fake_vfio_file *f)
{
	if (f && --f->refs == 0)
		f->used = false;
}

/* The driver drops its session file (mtty_disable_files). */
void fake_vfio_disable(struct fake_vfio_file **slot)
{
	if (*slot) {
		(*slot)->disabled = true;
		fake_vfio_file_put(*slot);
		*slot = NULL;
	}
}

/* ---- setup ---- */

static int fake_vfio_open(const char *path, int flags);
static int fake_vfio_close(int fd);
static int fake_vfio_ioctl(int fd, unsigned long request, void *arg);
static ssize_t fake_vfio_read(int fd, void *buf, size_t len);
static ssize_t fake_vfio_write(int fd, const void *buf, size_t len);

void fake_vfio_init(bool group_api, bool cdev_api)
{
	memset(&fake_vfio_k, 0, sizeof(fake_vfio_k));
	snprintf(fake_vfio_k.root, sizeof(fake_vfio_k.root), "/tmp/fake_vfio.XXXXXX");
	if (!mkdtemp(fake_vfio_k.root))
		abort();
	snprintf(fake_vfio_k.sysfs, sizeof(fake_vfio_k.sysfs), "%s/sys", fake_vfio_k.root);
	snprintf(fake_vfio_k.dev, sizeof(fake_vfio_k.dev), "%s/dev", fake_vfio_k.root);
	fake_vfio_mkdirs(fake_vfio_k.sysfs);
	fake_vfio_mkdirs(fake_vfio_k.dev);
	fake_vfio_k.group_api = group_api;
	fake_vfio_k.cdev_api = cdev_api;
	fake_vfio_k.sys = *vfio_sys_default();
	fake_vfio_k.sys.open = fake_vfio_open;
	fake_vfio_k.sys.close = fake_vfio_close;
	fake_vfio_k.sys.ioctl = fake_vfio_ioctl;
	fake_vfio_k.sys.read = fake_vfio_read;
	fake_vfio_k.sys.write = fake_vfio_write;
	fake_vfio_k.sys.sysfs_root = fake_vfio_k.sysfs;
	fake_vfio_k.sys.dev_root = fake_vfio_k.dev;
}

static int fake_vfio_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void fake_vfio_fini(void)
{
	nftw(fake_vfio_k.root, fake_vfio_rm, 16, FTW_DEPTH | FTW_PHYS);
}

const struct vfio_sys *fake_vfio_sys(void)
{
	return &fake_vfio_k.sys;
}

struct fake_vfio_dev *fake_vfio_add(const struct fake_vfio_cfg *cfg)
{
	struct fake_vfio_dev *d;

	if (fake_vfio_k.ndevs == FAKE_DEVS)
		abort();
	d = &fake_vfio_k.devs[fake_vfio_k.ndevs++];
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	snprintf(d->name, sizeof(d->name), "%s", cfg->name);
	d->cfg.name = d->name;
	if (cfg->mdev_type)
		snprintf(d->type, sizeof(d->type), "%s", cfg->mdev_type);
	d->cfg.mdev_type = d->type;
	d->group = cfg->group >= 0 ? fake_vfio_group_get(cfg->group) : NULL;
	d->state = FSM_RUNNING;
	d->fail_err = 0;
	fake_vfio_sysfs_device(d);
	return d;
}

int fake_vfio_open_fds(void)
{
	int n = fake_vfio_k.nreal;

	for (int i = 0; i < FAKE_FDS; i++)
		n += fake_vfio_k.fds[i].kind != FK_FREE;
	return n;
}

int fake_vfio_data_fds(void)
{
	int n = 0;

	for (int i = 0; i < FAKE_FDS; i++)
		n += fake_vfio_k.fds[i].kind == FK_DATA;
	return n;
}

const char *fake_vfio_log(void)
{
	return fake_vfio_k.log;
}

void fake_vfio_log_clear(void)
{
	fake_vfio_k.loglen = 0;
	fake_vfio_k.log[0] = '\0';
}

int fake_vfio_state(const struct fake_vfio_dev *d)
{
	return d->state;
}

void fake_vfio_set_state(struct fake_vfio_dev *d, int state)
{
	d->state = state;
}

void fake_vfio_fail_arc(struct fake_vfio_dev *d, int from, int to, int err, int lands)
{
	d->fail_from = from;
	d->fail_to = to;
	d->fail_err = err;
	d->fail_lands = lands;
}

void fake_vfio_fail_ioctl(unsigned long request, int err)
{
	fake_vfio_k.fail_request = request;
	fake_vfio_k.fail_request_err = err;
}

void fake_vfio_fail_open(const char *rel, int err)
{
	snprintf(fake_vfio_k.fail_open, sizeof(fake_vfio_k.fail_open), "%s", rel);
	fake_vfio_k.fail_open_err = err;
}

void fake_vfio_eintr(int reads, int writes)
{
	fake_vfio_k.eintr_reads = reads;
	fake_vfio_k.eintr_writes = writes;
}

void fake_vfio_group_busy(int number)
{
	fake_vfio_group_get(number)->busy = true;
}

void fake_vfio_async_reset(struct fake_vfio_dev *d)
{
	d->state = FSM_RUNNING;
	fake_vfio_disable(&d->save);
	fake_vfio_disable(&d->resume);
}

int fake_vfio_resets(const struct fake_vfio_dev *d)
{
	return d->resets;
}

unsigned int fake_vfio_resumed(const struct fake_vfio_dev *d, bool *ret_intact)
{
	*ret_intact = d->resumed_intact;
	return d->resumed;
}

bool fake_vfio_logging(const struct fake_vfio_dev *d, uint64_t *ret_page_size,
		       unsigned int *ret_ranges)
{
	*ret_page_size = d->log_page;
	*ret_ranges = d->log_ranges;
	return d->log_active;
}

void fake_vfio_log_page(struct fake_vfio_dev *d, uint64_t page_size)
{
	d->log_pick = page_size;
}

int fake_vfio_device_fd(struct fake_vfio_dev *d)
{
	int fd = fake_vfio_fd_alloc(FK_DEVICE);

	if (fd >= 0) {
		fake_vfio_fd_get(fd)->dev = d;
		fake_vfio_fd_get(fd)->granted = true;
	}
	return fd;
}

/* ---- open / close ---- */

static int fake_vfio_open_node(const char *rel)
{
	int fd, n;

	if (strcmp(rel, "vfio/vfio") == 0) {
		if (!fake_vfio_k.group_api)
			return -ENOENT;
		fd = fake_vfio_fd_alloc(FK_CONTAINER);
		for (int i = 0; fd >= 0 && i < FAKE_CONTAINERS; i++) {
			if (!fake_vfio_k.containers[i].used) {
				fake_vfio_k.containers[i] =
					(struct fake_vfio_container){ .used = true };
				fake_vfio_fd_get(fd)->container = &fake_vfio_k.containers[i];
				return fd;
			}
		}
		abort();
	}
	if (strcmp(rel, "iommu") == 0) {
		if (!fake_vfio_k.cdev_api)
			return -ENOENT;
		return fake_vfio_fd_alloc(FK_IOMMUFD);
	}
	if (sscanf(rel, "vfio/devices/vfio%d", &n) == 1) {
		for (int i = 0; fake_vfio_k.cdev_api && i < fake_vfio_k.ndevs; i++) {
			if (fake_vfio_k.devs[i].cfg.cdev == n && fake_vfio_k.devs[i].cfg.driver &&
			    !fake_vfio_k.devs[i].cfg.not_vfio) {
				fd = fake_vfio_fd_alloc(FK_DEVICE);
				if (fd >= 0) {
					fake_vfio_fd_get(fd)->dev = &fake_vfio_k.devs[i];
					fake_vfio_fd_get(fd)->cdev = true;
				}
				return fd;
			}
		}
		return -ENOENT;
	}
	if (fake_vfio_k.group_api && sscanf(rel, "vfio/%d", &n) == 1) {
		for (int i = 0; i < fake_vfio_k.ngroups; i++) {
			struct fake_vfio_group *g = &fake_vfio_k.groups[i];

			if (g->number != n || !fake_vfio_group_node(g))
				continue;
			/* 6.1: one opener; 6.6+: also refused while a cdev of it is bound. */
			if (g->open || g->busy || g->release_pending ||
			    fake_vfio_group_cdev_bound(g))
				return -EBUSY;
			fd = fake_vfio_fd_alloc(FK_GROUP);
			if (fd >= 0) {
				g->open = true;
				fake_vfio_fd_get(fd)->group = g;
			}
			return fd;
		}
	}
	return -ENOENT;
}

static int fake_vfio_open(const char *path, int flags)
{
	size_t n = strlen(fake_vfio_k.dev);
	int fd;

	if (strncmp(path, fake_vfio_k.dev, n) != 0 || path[n] != '/') {
		fd = open(path, flags);
		if (fd < 0)
			return -errno;
		if (fake_vfio_k.nreal == FAKE_REAL)
			abort();
		fake_vfio_k.real[fake_vfio_k.nreal++] = fd;
		return fd;
	}
	path += n + 1;
	if (!(flags & O_CLOEXEC) || (flags & O_ACCMODE) != O_RDWR)
		fake_vfio_logf("open %s: flags 0%o lack O_RDWR|O_CLOEXEC", path,
			       (unsigned int)flags);
	if (fake_vfio_k.fail_open_err && strcmp(path, fake_vfio_k.fail_open) == 0) {
		fake_vfio_k.fail_open[0] = '\0';
		fd = -fake_vfio_k.fail_open_err;
		fake_vfio_k.fail_open_err = 0;
		fake_vfio_logf("open %s = %s", path, strerrorname_np(-fd));
		return fd;
	}
	fd = fake_vfio_open_node(path);
	if (fd < 0)
		fake_vfio_logf("open %s = %s", path, strerrorname_np(-fd));
	else
		fake_vfio_logf("open %s", path);
	return fd;
}

static const char *fake_vfio_name(const struct fake_vfio_fd *f)
{
	static char buf[80];

	switch (f->kind) {
	case FK_CONTAINER:
		return "container";
	case FK_GROUP:
		snprintf(buf, sizeof(buf), "group%d", f->group->number);
		return buf;
	case FK_DEVICE:
		return f->dev->name;
	case FK_IOMMUFD:
		return "iommufd";
	case FK_DATA:
		return "data";
	default:
		return "?";
	}
}

static bool fake_vfio_container_has_fd(const struct fake_vfio_container *c)
{
	for (int i = 0; i < FAKE_FDS; i++) {
		if (fake_vfio_k.fds[i].kind == FK_CONTAINER && fake_vfio_k.fds[i].container == c)
			return true;
	}
	return false;
}

static void fake_vfio_group_release(struct fake_vfio_group *g)
{
	struct fake_vfio_container *c = g->container;

	g->open = false;
	g->release_pending = false;
	g->container = NULL;
	/* The last group leaving a container releases its IOMMU. */
	if (c && --c->groups == 0) {
		c->iommu = false;
		c->used = fake_vfio_container_has_fd(c);
	}
}

static void fake_vfio_close_device(struct fake_vfio_fd *f)
{
	struct fake_vfio_dev *d = f->dev;

	if (f->cdev && f->granted)
		d->cdev_bound = false;
	/* Last close of the device: the driver drops its sessions (close_device). */
	fake_vfio_disable(&d->save);
	fake_vfio_disable(&d->resume);
	d->state = FSM_RUNNING;
	d->log_active = false;
	if (!f->cdev && d->group && d->group->release_pending &&
	    fake_vfio_group_devfds(d->group) == 0)
		fake_vfio_group_release(d->group);
}

static int fake_vfio_close(int fd)
{
	struct fake_vfio_fd *f = fake_vfio_fd_get(fd);

	if (!f) {
		for (int i = 0; i < fake_vfio_k.nreal; i++) {
			if (fake_vfio_k.real[i] == fd) {
				fake_vfio_k.real[i] = fake_vfio_k.real[--fake_vfio_k.nreal];
				return close(fd) < 0 ? -errno : 0;
			}
		}
		return -EBADF;
	}
	fake_vfio_logf("close %s", fake_vfio_name(f));
	enum fake_vfio_kind kind = f->kind;
	f->kind = FK_FREE;
	switch (kind) {
	case FK_CONTAINER:
		/* Groups keep their container alive until they are closed. */
		if (f->container->groups == 0)
			f->container->used = false;
		break;
	case FK_GROUP:
		/* Device fds hold the group file: release waits for the last one. */
		if (fake_vfio_group_devfds(f->group) > 0)
			f->group->release_pending = true;
		else
			fake_vfio_group_release(f->group);
		break;
	case FK_DEVICE:
		fake_vfio_close_device(f);
		break;
	case FK_DATA:
		fake_vfio_file_put(f->file);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- data fds ---- */

static ssize_t fake_vfio_read(int fd, void *buf, size_t len)
{
	struct fake_vfio_fd *f = fake_vfio_fd_get(fd);
	ssize_t r;

	if (!f) {
		r = read(fd, buf, len);
		return r < 0 ? -errno : r;
	}
	return f->kind == FK_DATA ? fake_vfio_mig_read(f->file, buf, len) : -EINVAL;
}

static ssize_t fake_vfio_write(int fd, const void *buf, size_t len)
{
	struct fake_vfio_fd *f = fake_vfio_fd_get(fd);

	return f && f->kind == FK_DATA ? fake_vfio_mig_write(f->file, buf, len) : -EBADF;
}

/* ---- ioctl per object ---- */

static int fake_vfio_ioctl_container(struct fake_vfio_fd *f, unsigned long request, void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	switch (request) {
	case VFIO_GET_API_VERSION:
		fake_vfio_logf("container GET_API_VERSION");
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		fake_vfio_logf("container CHECK_EXTENSION %lu", (unsigned long)v);
		return v == VFIO_TYPE1v2_IOMMU || v == VFIO_TYPE1_IOMMU;
	case VFIO_SET_IOMMU:
		fake_vfio_logf("container SET_IOMMU %lu", (unsigned long)v);
		if (f->container->groups == 0)
			return -EINVAL;
		if (f->container->iommu)
			return -EBUSY;
		if (v != VFIO_TYPE1v2_IOMMU && v != VFIO_TYPE1_IOMMU)
			return -ENODEV;
		f->container->iommu = true;
		return 0;
	default:
		fake_vfio_logf("container ioctl 0x%lx", request);
		return -ENOTTY;
	}
}

static int fake_vfio_group_get_device(struct fake_vfio_group *g, const char *name)
{
	int fd;

	fake_vfio_logf("group%d GET_DEVICE_FD %s", g->number, name);
	if (!g->container || !g->container->iommu)
		return -EINVAL;
	for (int i = 0; i < fake_vfio_k.ndevs; i++) {
		if (fake_vfio_k.devs[i].group != g || strcmp(fake_vfio_k.devs[i].name, name) != 0)
			continue;
		if (fake_vfio_k.devs[i].cfg.not_vfio)
			return -ENODEV;
		fd = fake_vfio_fd_alloc(FK_DEVICE);
		if (fd >= 0) {
			fake_vfio_fd_get(fd)->dev = &fake_vfio_k.devs[i];
			fake_vfio_fd_get(fd)->granted = true;
		}
		return fd;
	}
	return -ENODEV;
}

static int fake_vfio_ioctl_group(struct fake_vfio_fd *f, unsigned long request, void *arg)
{
	struct fake_vfio_group *g = f->group;
	struct vfio_group_status *st = arg;
	struct fake_vfio_fd *c;

	switch (request) {
	case VFIO_GROUP_GET_STATUS:
		fake_vfio_logf("group%d GET_STATUS", g->number);
		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = 0;
		if (g->container)
			st->flags = VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET;
		else if (fake_vfio_group_viable(g))
			st->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		c = fake_vfio_fd_get(*(int *)arg);
		fake_vfio_logf("group%d SET_CONTAINER%s", g->number,
			       c && c->kind == FK_CONTAINER && c->container->groups ? " (shared)"
										    : "");
		if (!c || c->kind != FK_CONTAINER)
			return -EBADF;
		if (g->container)
			return -EINVAL;
		if (!fake_vfio_group_viable(g))
			return -EPERM;
		g->container = c->container;
		c->container->groups++;
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		return fake_vfio_group_get_device(g, arg);
	default:
		fake_vfio_logf("group%d ioctl 0x%lx", g->number, request);
		return -ENOTTY;
	}
}

static int fake_vfio_ioctl_bind(struct fake_vfio_fd *f, struct vfio_device_bind_iommufd *b)
{
	struct fake_vfio_fd *i;

	fake_vfio_logf("%s BIND_IOMMUFD argsz=%u", f->dev->name, b->argsz);
	if (!f->cdev)
		return -EINVAL;
	if (b->argsz < 16 || b->flags || b->iommufd < 0)
		return -EINVAL;
	if (f->dev->group && (f->dev->group->open || f->dev->group->busy))
		return -EBUSY;
	if (f->granted)
		return -EINVAL;
	i = fake_vfio_fd_get(b->iommufd);
	if (!i || i->kind != FK_IOMMUFD)
		return -EBADF;
	f->granted = true;
	f->iommufd = b->iommufd;
	f->dev->cdev_bound = true;
	b->out_devid = 1;
	return 0;
}

static int fake_vfio_ioctl_attach(struct fake_vfio_fd *f, struct vfio_device_attach_iommufd_pt *a)
{
	struct fake_vfio_fd *i = fake_vfio_fd_get(f->iommufd);

	fake_vfio_logf("%s ATTACH_IOMMUFD_PT argsz=%u pt=%u", f->dev->name, a->argsz, a->pt_id);
	if (a->argsz < 12 || (a->flags & ~1u))
		return -EINVAL;
	if (!i || a->pt_id < FAKE_IOAS_BASE || a->pt_id >= FAKE_IOAS_BASE + (unsigned)i->next_ioas)
		return -ENOENT;
	return 0;
}

static int fake_vfio_ioctl_device(struct fake_vfio_fd *f, unsigned long request, void *arg)
{
	if (request == VFIO_DEVICE_BIND_IOMMUFD)
		return fake_vfio_ioctl_bind(f, arg);
	if (!f->granted) {
		fake_vfio_logf("%s ioctl 0x%lx before BIND", f->dev->name, request);
		return -EINVAL;
	}
	switch (request) {
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		if (!f->cdev)
			break;
		return fake_vfio_ioctl_attach(f, arg);
	case VFIO_DEVICE_FEATURE:
		return fake_vfio_mig_feature(f->dev, arg);
	case VFIO_DEVICE_RESET:
		fake_vfio_logf("%s RESET", f->dev->name);
		f->dev->resets++;
		if (f->dev->cfg.mig_flags)
			fake_vfio_async_reset(f->dev);
		return 0;
	default:
		break;
	}
	fake_vfio_logf("%s ioctl 0x%lx", f->dev->name, request);
	return -ENOTTY;
}

static int fake_vfio_ioctl_iommufd(struct fake_vfio_fd *f, unsigned long request, void *arg)
{
	struct iommu_ioas_alloc *a = arg;

	if (request != IOMMU_IOAS_ALLOC) {
		fake_vfio_logf("iommufd ioctl 0x%lx", request);
		return -ENOTTY;
	}
	fake_vfio_logf("iommufd IOAS_ALLOC size=%u", a->size);
	if (a->size < 12)
		return -EINVAL;
	if (a->flags)
		return -EOPNOTSUPP;
	a->out_ioas_id = (uint32_t)(FAKE_IOAS_BASE + f->next_ioas++);
	return 0;
}

static int fake_vfio_ioctl(int fd, unsigned long request, void *arg)
{
	struct fake_vfio_fd *f = fake_vfio_fd_get(fd);
	int r;

	if (!f) {
		r = ioctl(fd, request, arg);
		return r < 0 ? -errno : r;
	}
	if (fake_vfio_k.fail_request_err && request == fake_vfio_k.fail_request) {
		fake_vfio_logf("%s ioctl 0x%lx = injected %s", fake_vfio_name(f), request,
			       strerrorname_np(fake_vfio_k.fail_request_err));
		r = -fake_vfio_k.fail_request_err;
		fake_vfio_k.fail_request_err = 0;
		return r;
	}
	switch (f->kind) {
	case FK_CONTAINER:
		return fake_vfio_ioctl_container(f, request, arg);
	case FK_GROUP:
		return fake_vfio_ioctl_group(f, request, arg);
	case FK_DEVICE:
		return fake_vfio_ioctl_device(f, request, arg);
	case FK_IOMMUFD:
		return fake_vfio_ioctl_iommufd(f, request, arg);
	case FK_DATA:
		fake_vfio_logf("data %s",
			       request == VFIO_MIG_GET_PRECOPY_INFO ? "PRECOPY_INFO" : "ioctl");
		if (request != VFIO_MIG_GET_PRECOPY_INFO)
			return -ENOTTY;
		return fake_vfio_mig_precopy_info(f->file, arg);
	default:
		return -EBADF;
	}
}
