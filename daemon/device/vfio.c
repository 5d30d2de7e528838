/*
 * vfio.c - the vfio backend: one VFIO device, its migration state and its data fd.
 *
 * Owns the device fd, the migration data fd of the open session (exactly one owner: this
 * backend, from the SET that returned it until a SET leaves the session's group, reset,
 * stream_close or free), and its reference on the shared group (group mode) or its iommufd
 * (cdev mode). Naming lives in vfio_locate.c, groups in vfio_group.c, cdev binding in
 * vfio_cdev.c, the feature ioctl in vfio_feature.c.
 *
 * State: the last state the kernel reported or accepted is cached; it is -1 until the first
 * GET. After any failed SET the state is read back (the kernel does not say where a
 * combination transition stopped) and the data fd is closed if the session is gone.
 *
 * Threading (backend.h): stream_read/stream_write/precopy_info may run on a worker while the
 * owner calls get_state or a set_state that stays inside the session. So those calls never
 * close the data fd, and state and data_fd are accessed atomically.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vfio.h"
#include "vfio_cdev.h"
#include "vfio_compat.h"
#include "vfio_err.h"
#include "vfio_feature.h"
#include "vfio_group.h"
#include "vfio_locate.h"

/* The daemon's state numbers are the kernel's (enum vfio_device_mig_state, 6.1 part). */
_Static_assert((int)FSM_ERROR == (int)VFIO_DEVICE_STATE_ERROR &&
		       (int)FSM_STOP == (int)VFIO_DEVICE_STATE_STOP &&
		       (int)FSM_RUNNING == (int)VFIO_DEVICE_STATE_RUNNING &&
		       (int)FSM_STOP_COPY == (int)VFIO_DEVICE_STATE_STOP_COPY &&
		       (int)FSM_RESUMING == (int)VFIO_DEVICE_STATE_RESUMING &&
		       (int)FSM_RUNNING_P2P == (int)VFIO_DEVICE_STATE_RUNNING_P2P,
	       "fsm_state values differ from the kernel's");
_Static_assert(FSM_F_STOP_COPY == VFIO_MIGRATION_STOP_COPY && FSM_F_P2P == VFIO_MIGRATION_P2P &&
		       FSM_F_PRE_COPY == VFIO_MIGRATION_PRE_COPY,
	       "fsm flag values differ from the kernel's");

#define VFIO_STATE_UNKNOWN (-1)

struct vfio_dev {
	struct backend base;
	const struct vfio_sys *sys;
	int fd;			  /* device fd */
	int data_fd;		  /* open session's fd or -1; atomic */
	int iommufd;		  /* cdev mode: our /dev/iommu fd, else -1 */
	struct vfio_group *group; /* group mode: our group reference, else NULL */
	int state;		  /* enum fsm_state or VFIO_STATE_UNKNOWN; atomic */
	bool probed;		  /* caps below are valid */
	struct backend_caps caps;
	char name[VFIO_LOCATE_NAME_MAX]; /* for messages: "0000:01:00.0", a UUID, a label */
	char path[PATH_MAX];		 /* where it was opened from */
	char sysdev[PATH_MAX];		 /* sysfs directory, "" if unknown */
};

static const struct backend_ops vfio_ops;

/* snprintf that may truncate on purpose (names and paths in messages and descriptions). */
static void vfio_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vfio_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static struct vfio_dev *vfio_dev(struct backend *b)
{
	return (struct vfio_dev *)b;
}

static int vfio_state_load(const struct vfio_dev *d)
{
	return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE);
}

static void vfio_state_store(struct vfio_dev *d, int state)
{
	__atomic_store_n(&d->state, state, __ATOMIC_RELEASE);
}

static int vfio_data_fd(const struct vfio_dev *d)
{
	return __atomic_load_n(&d->data_fd, __ATOMIC_ACQUIRE);
}

/* Ends the session on our side. Only from calls that no stream call may race (backend.h). */
static void vfio_close_data(struct vfio_dev *d)
{
	int fd = __atomic_exchange_n(&d->data_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0)
		d->sys->close(fd);
}

static bool vfio_is_pre_copy(int state)
{
	return state == FSM_PRE_COPY || state == FSM_PRE_COPY_P2P;
}

/* The session open in from is still open in to (no arc between them can end it). */
static bool vfio_keeps_session(int from, int to)
{
	return from == to || (fsm_is_saving(from) && fsm_is_saving(to));
}

/* The kernel's path from -> to ends with an arc that opens a session (and returns an fd). */
static bool vfio_opens_session(int from, int to)
{
	if (from == to)
		return false;
	return (fsm_is_saving(to) && !fsm_is_saving(from)) || to == FSM_RESUMING;
}

/* GET MIG_DEVICE_STATE into the cache. */
static int vfio_refresh(struct vfio_dev *d, enum fsm_state *ret)
{
	uint32_t raw;
	int r;

	r = vfio_feature_get_state(d->sys, d->fd, &raw);
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_DEVICE_FEATURE GET MIG_DEVICE_STATE failed: %s",
				    d->name, strerror(-r));
	if (raw >= FSM_NSTATES)
		return vfio_err_set(-EPROTO,
				    "%s: the device reports migration state %u, which "
				    "this daemon does not know",
				    d->name, raw);
	vfio_state_store(d, (int)raw);
	*ret = (enum fsm_state)raw;
	return 0;
}

/* The cached state, or a GET if there is none yet. */
static int vfio_known_state(struct vfio_dev *d, enum fsm_state *ret)
{
	int s = vfio_state_load(d);

	if (s == VFIO_STATE_UNKNOWN)
		return vfio_refresh(d, ret);
	*ret = (enum fsm_state)s;
	return 0;
}

/* PROBE of an optional feature: EINVAL (older 6.1) and ENOTTY mean "not supported". */
static int vfio_probe_optional(struct vfio_dev *d, uint32_t feature, uint32_t ops, const char *what,
			       bool *ret)
{
	int r = vfio_feature_probe(d->sys, d->fd, feature, ops);

	if (r == -EINVAL || r == -ENOTTY) {
		*ret = false;
		return 0;
	}
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_DEVICE_FEATURE PROBE %s failed: %s", d->name, what,
				    strerror(-r));
	*ret = true;
	return 0;
}

static int vfio_probe_error(struct vfio_dev *d, int r)
{
	if (r == -ENOTTY)
		return vfio_err_set(r,
				    "%s: device does not support migration (VFIO_DEVICE_FEATURE "
				    "MIGRATION: ENOTTY; needs a variant driver or an mdev with "
				    "migration ops)",
				    d->name);
	return vfio_err_set(r, "%s: VFIO_DEVICE_FEATURE GET MIGRATION failed: %s%s", d->name,
			    vfio_err_name(r),
			    r == -EINVAL && d->group == NULL && d->iommufd < 0
				    ? " (an fd handed over must come from VFIO_GROUP_GET_DEVICE_FD "
				      "or be a cdev already bound to an iommufd)"
				    : "");
}

static int vfio_probe(struct backend *b, struct backend_caps *ret)
{
	struct vfio_dev *d = vfio_dev(b);
	struct backend_caps caps = { 0 };
	uint64_t flags;
	char names[64];
	int r;

	r = vfio_feature_migration(d->sys, d->fd, &flags);
	if (r < 0)
		return vfio_probe_error(d, r);
	if (!(flags & VFIO_MIGRATION_STOP_COPY))
		return vfio_err_set(-ENOTSUP,
				    "%s: the device reports migration flags %s without "
				    "the mandatory STOP_COPY; refusing it",
				    d->name, fsm_flags_str((uint32_t)flags, names, sizeof(names)));
	if (flags & ~(uint64_t)FSM_F_ALL)
		log_info("%s: ignoring migration flags 0x%llx this daemon does not know", d->name,
			 (unsigned long long)(flags & ~(uint64_t)FSM_F_ALL));
	caps.mig_flags = (uint32_t)flags & FSM_F_ALL;
	caps.precopy_info = (flags & VFIO_MIGRATION_PRE_COPY) != 0;
	r = vfio_probe_optional(d, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, VFIO_DEVICE_FEATURE_GET,
				"MIG_DATA_SIZE", &caps.data_size);
	if (r < 0)
		return r;
	r = vfio_probe_optional(d, VFIO_DEVICE_FEATURE_DMA_LOGGING_START, VFIO_DEVICE_FEATURE_SET,
				"DMA_LOGGING_START", &caps.dma_logging);
	if (r < 0)
		return r;
	d->caps = caps;
	d->probed = true;
	log_debug("%s: migration flags %s, data size %s, DMA logging %s", d->name,
		  fsm_flags_str(caps.mig_flags, names, sizeof(names)),
		  caps.data_size ? "yes" : "no", caps.dma_logging ? "yes" : "no");
	*ret = caps;
	return 0;
}

static int vfio_data_size(struct backend *b, uint64_t *ret)
{
	struct vfio_dev *d = vfio_dev(b);
	int r;

	if (d->probed && !d->caps.data_size)
		return -ENOTTY;
	r = vfio_feature_data_size(d->sys, d->fd, ret);
	if (!d->probed && (r == -EINVAL || r == -ENOTTY))
		return -ENOTTY;
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_DEVICE_FEATURE GET MIG_DATA_SIZE failed: %s",
				    d->name, strerror(-r));
	return 0;
}

/* "pci 10de:2236" or "mdev mtty-2" from sysfs; "" when neither is there. */
static void vfio_describe_model(struct vfio_dev *d, char *buf, size_t size)
{
	char type[64], vendor[16], device[16];

	buf[0] = '\0';
	if (vfio_locate_link(d->sys, d->sysdev, "mdev_type", type, sizeof(type)) > 0)
		vfio_fmt(buf, size, "mdev %s", type);
	else if (vfio_locate_attr(d->sys, d->sysdev, "vendor", vendor, sizeof(vendor)) > 0 &&
		 vfio_locate_attr(d->sys, d->sysdev, "device", device, sizeof(device)) > 0)
		vfio_fmt(buf, size, "pci %04lx:%04lx", strtoul(vendor, NULL, 16),
			 strtoul(device, NULL, 16));
}

static int vfio_describe(struct backend *b, struct backend_desc *ret)
{
	struct vfio_dev *d = vfio_dev(b);
	struct backend_desc desc = { 0 };
	uint64_t size;

	vfio_fmt(desc.kind, sizeof(desc.kind), "vfio");
	vfio_fmt(desc.path, sizeof(desc.path), "%s", d->path);
	if (d->sysdev[0]) {
		if (vfio_locate_link(d->sys, d->sysdev, "driver", desc.driver,
				     sizeof(desc.driver)) < 0)
			desc.driver[0] = '\0';
		vfio_describe_model(d, desc.model, sizeof(desc.model));
	}
	if (vfio_data_size(b, &size) == 0)
		desc.state_size = size;
	*ret = desc;
	return 0;
}

static int vfio_get_state(struct backend *b, enum fsm_state *ret)
{
	return vfio_refresh(vfio_dev(b), ret);
}

/*
 * A SET failed: learn where the device stopped, drop the session if it is gone and the
 * caller's request allowed closing it, and return the SET's error.
 */
static int vfio_set_failed(struct vfio_dev *d, enum fsm_state from, enum fsm_state target, int err)
{
	enum fsm_state now = FSM_ERROR; /* gcc -O3 cannot see vfio_refresh() sets it */
	int r;

	r = vfio_refresh(d, &now);
	if (r < 0) {
		vfio_state_store(d, VFIO_STATE_UNKNOWN);
		return vfio_err_set(err, "%s: SET %s -> %s failed: %s; the state is unknown (%s)",
				    d->name, fsm_state_name(from), fsm_state_name(target),
				    strerror(-err), vfio_err_text());
	}
	if (!vfio_keeps_session(from, target) && !vfio_keeps_session(from, now))
		vfio_close_data(d);
	return vfio_err_set(err, "%s: SET %s -> %s failed: %s (%s); the device is now %s", d->name,
			    fsm_state_name(from), fsm_state_name(target), strerror(-err),
			    vfio_err_name(err), fsm_state_name(now));
}

/*
 * The kernel opened a session the path from our cached state does not open: a reset (or
 * another process) changed the state under us, and the session we may hold is dead. Like
 * QEMU ("data_fd out of sync"), refuse with -EBADF and close the *new* fd. The old one stays
 * ours until a session-ending call: a stream worker may still be blocked in read() on it.
 */
static int vfio_out_of_sync(struct vfio_dev *d, enum fsm_state from, enum fsm_state target,
			    int new_fd)
{
	enum fsm_state now = target;

	d->sys->close(new_fd);
	if (vfio_refresh(d, &now) < 0)
		vfio_state_store(d, target);
	log_warnx("%s: data fd out of sync: SET %s -> %s opened a new session; a device reset "
		  "must have ended the previous one",
		  d->name, fsm_state_name(from), fsm_state_name(target));
	return vfio_err_set(-EBADF,
			    "%s: data fd out of sync: SET %s -> %s opened a new "
			    "session, so a reset ended the one this daemon held; the "
			    "new fd was closed and the device is now %s",
			    d->name, fsm_state_name(from), fsm_state_name(target),
			    fsm_state_name(now));
}

static int vfio_set_state(struct backend *b, enum fsm_state target, bool *ret_opened)
{
	struct vfio_dev *d = vfio_dev(b);
	enum fsm_state from = FSM_ERROR; /* set by vfio_known_state(); gcc -O3 cannot see it */
	int data_fd, r;

	r = vfio_known_state(d, &from);
	if (r < 0)
		return r;
	r = vfio_feature_set_state(d->sys, d->fd, (uint32_t)target, &data_fd);
	if (r < 0)
		return vfio_set_failed(d, from, target, r);
	if (data_fd >= 0 && !vfio_opens_session(from, target))
		return vfio_out_of_sync(d, from, target, data_fd);
	if (data_fd < 0 && vfio_opens_session(from, target))
		log_warnx("%s: SET %s -> %s returned no data fd (driver bug?)", d->name,
			  fsm_state_name(from), fsm_state_name(target));
	/* Leaving the session's group (or RESUMING) ends it; a stale fd from before goes too. */
	if (!vfio_keeps_session(from, target))
		vfio_close_data(d);
	if (data_fd >= 0)
		__atomic_store_n(&d->data_fd, data_fd, __ATOMIC_RELEASE);
	vfio_state_store(d, target);
	*ret_opened = data_fd >= 0;
	return 0;
}

static ssize_t vfio_stream_read(struct backend *b, void *buf, size_t len)
{
	struct vfio_dev *d = vfio_dev(b);
	/*
	 * Sample the state before the read: a concurrent PRE_COPY -> STOP_COPY completes in the
	 * kernel before the cache changes, so a 0 read under a PRE_COPY sample is at worst
	 * reported as "nothing now" and read again, never mistaken for the final EOF.
	 */
	int state = vfio_state_load(d);
	int fd = vfio_data_fd(d);
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	do
		n = d->sys->read(fd, buf, len);
	while (n == -EINTR);
	if (vfio_is_pre_copy(state) && (n == 0 || n == -ENOMSG))
		return -ENOMSG; /* mtty says 0, the uAPI says ENOMSG: both mean "nothing now" */
	if (n == -ENOMSG)
		return vfio_err_set(-EPROTO,
				    "%s: the driver returned ENOMSG in %s (the uAPI allows "
				    "it only in PRE_COPY states)",
				    d->name, fsm_state_name(state));
	if (n < 0)
		vfio_err_set((int)n, "%s: read from the migration data fd failed: %s", d->name,
			     strerror((int)-n));
	return n;
}

static ssize_t vfio_stream_write(struct backend *b, const void *buf, size_t len)
{
	struct vfio_dev *d = vfio_dev(b);
	int fd = vfio_data_fd(d);
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	do
		n = d->sys->write(fd, buf, len);
	while (n == -EINTR);
	if (n < 0)
		vfio_err_set((int)n, "%s: write to the migration data fd failed: %s", d->name,
			     strerror((int)-n));
	return n;
}

static void vfio_stream_close(struct backend *b)
{
	vfio_close_data(vfio_dev(b));
}

static int vfio_precopy_info(struct backend *b, uint64_t *ret_initial, uint64_t *ret_dirty)
{
	struct vfio_dev *d = vfio_dev(b);
	struct vfio_precopy_info info = { .argsz = sizeof(info) };
	int fd = vfio_data_fd(d);
	int r;

	if (d->probed && !d->caps.precopy_info)
		return -ENOTTY;
	if (fd < 0)
		return -EBADF;
	r = d->sys->ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info);
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_MIG_GET_PRECOPY_INFO failed: %s", d->name,
				    strerror(-r));
	*ret_initial = info.initial_bytes;
	*ret_dirty = info.dirty_bytes;
	return 0;
}

static int vfio_reset(struct backend *b)
{
	struct vfio_dev *d = vfio_dev(b);
	enum fsm_state now = FSM_ERROR; /* set by vfio_refresh(); gcc -O3 cannot see it */
	int r;

	r = d->sys->ioctl(d->fd, VFIO_DEVICE_RESET, NULL);
	if (r < 0)
		return vfio_err_set(r, "%s: VFIO_DEVICE_RESET failed: %s", d->name, strerror(-r));
	/* The reset ended any session; the driver already disabled the file. */
	vfio_close_data(d);
	vfio_state_store(d, FSM_RUNNING);
	if (vfio_refresh(d, &now) == 0 && now != FSM_RUNNING)
		log_warnx("%s: after VFIO_DEVICE_RESET the device reports %s, not RUNNING", d->name,
			  fsm_state_name(now));
	return 0;
}

static int vfio_digest(struct backend *b, uint8_t ret[32])
{
	return -EOPNOTSUPP;
}

static void vfio_free(struct backend *b)
{
	struct vfio_dev *d = vfio_dev(b);

	if (!d)
		return;
	vfio_close_data(d);
	/* Device first: it holds the group (and the iommufd binding) in use. */
	if (d->fd >= 0)
		d->sys->close(d->fd);
	vfio_group_put(d->group);
	if (d->iommufd >= 0)
		d->sys->close(d->iommufd);
	free(d);
}

static const struct backend_ops vfio_ops = {
	.probe = vfio_probe,
	.describe = vfio_describe,
	.get_state = vfio_get_state,
	.set_state = vfio_set_state,
	.stream_read = vfio_stream_read,
	.stream_write = vfio_stream_write,
	.stream_close = vfio_stream_close,
	.precopy_info = vfio_precopy_info,
	.data_size = vfio_data_size,
	.reset = vfio_reset,
	.digest = vfio_digest,
	.free = vfio_free,
};

static struct vfio_dev *vfio_new(const struct vfio_sys *sys, const char *name)
{
	struct vfio_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base.ops = &vfio_ops;
	d->sys = sys;
	d->fd = -1;
	d->data_fd = -1;
	d->iommufd = -1;
	d->state = VFIO_STATE_UNKNOWN;
	vfio_fmt(d->name, sizeof(d->name), "%s", name);
	return d;
}

/* Advice for a group node that does not exist, from the device's driver link. */
static const char *vfio_unbound_hint(struct vfio_dev *d, char *buf, size_t size)
{
	char driver[64];

	if (!d->sysdev[0])
		return NULL;
	if (vfio_locate_link(d->sys, d->sysdev, "driver", driver, sizeof(driver)) < 0)
		vfio_fmt(buf, size, "%s is bound to no driver; bind it to vfio-pci", d->name);
	else
		vfio_fmt(buf, size, "%s is bound to %s, not to vfio-pci or a vfio variant driver",
			 d->name, driver);
	return buf;
}

static int vfio_open_group(struct vfio_dev *d, const struct vfio_locate *loc)
{
	char hint[160];
	int r;

	if (loc->group < 0)
		return vfio_err_set(-ENODEV,
				    "%s: no IOMMU group (is the device bound to vfio-pci, "
				    "and the IOMMU enabled?)",
				    d->name);
	r = vfio_group_open_device(d->sys, loc->group, loc->group_path, loc->device,
				   vfio_unbound_hint(d, hint, sizeof(hint)), &d->group, &d->fd);
	if (r < 0)
		return r;
	vfio_fmt(d->path, sizeof(d->path), "%s:%s", loc->group_path, loc->device);
	return 0;
}

/*
 * cdev + iommufd when the device has a cdev, unless this process already holds its group
 * (binding would then fail with EBUSY); the group API when the kernel lacks the cdev nodes.
 */
static int vfio_open_located(struct vfio_dev *d, const struct vfio_locate *loc)
{
	bool group_held = loc->group >= 0 && vfio_group_is_open(d->sys, loc->group);
	int r;

	if (loc->cdev_path[0] && !group_held) {
		r = vfio_cdev_open(d->sys, loc->cdev_path, d->name, &d->fd, &d->iommufd);
		if (r == 0) {
			vfio_fmt(d->path, sizeof(d->path), "%s", loc->cdev_path);
			return 0;
		}
		if (r != -ENOENT || loc->kind == VFIO_LOCATE_CDEV || loc->group < 0)
			return r;
		/* expected before 6.6: sysfs has vfio-dev/vfioN (since 6.1) but no cdev node */
		log_debug("%s; using the group API", vfio_err_text());
	}
	return vfio_open_group(d, loc);
}

int vfio_open(const char *name, const struct vfio_sys *sys, struct backend **ret)
{
	struct vfio_locate loc;
	struct vfio_dev *d;
	int r;

	if (!sys)
		sys = vfio_sys_default();
	r = vfio_locate(name, sys, &loc);
	if (r < 0)
		return r;
	d = vfio_new(sys, loc.device[0] ? loc.device : name);
	if (!d)
		return vfio_err_set(-ENOMEM, "%s: out of memory", name);
	vfio_fmt(d->sysdev, sizeof(d->sysdev), "%s", loc.sysdev);
	r = vfio_open_located(d, &loc);
	if (r < 0) {
		vfio_free(&d->base);
		return r;
	}
	log_debug("%s: opened %s", d->name, d->path);
	*ret = &d->base;
	return 0;
}

/* Takes the sysfs directory and name of the device label names, if it names one. */
static void vfio_adopt_sysdev(struct vfio_dev *d, const char *label)
{
	struct vfio_locate loc;
	char saved[512];

	/* Only an identity lookup: keep a previous error text the caller may still want. */
	vfio_fmt(saved, sizeof(saved), "%s", vfio_err_text());
	if (vfio_locate(label, d->sys, &loc) == 0 && loc.device[0]) {
		vfio_fmt(d->sysdev, sizeof(d->sysdev), "%s", loc.sysdev);
		vfio_fmt(d->name, sizeof(d->name), "%s", loc.device);
	}
	vfio_err_set(0, "%s", saved);
}

int vfio_adopt_fd(int device_fd, const char *label, const struct vfio_sys *sys,
		  struct backend **ret)
{
	char fallback[32];
	struct vfio_dev *d;

	if (!sys)
		sys = vfio_sys_default();
	if (device_fd < 0)
		return vfio_err_set(-EBADF, "%s: no device fd to adopt", label ? label : "?");
	if (!label || !*label) {
		vfio_fmt(fallback, sizeof(fallback), "fd %d", device_fd);
		label = fallback;
	}
	d = vfio_new(sys, label);
	if (!d) {
		sys->close(device_fd);
		return vfio_err_set(-ENOMEM, "%s: out of memory", label);
	}
	d->fd = device_fd;
	vfio_fmt(d->path, sizeof(d->path), "%s", label);
	vfio_adopt_sysdev(d, label);
	*ret = &d->base;
	return 0;
}

const char *vfio_last_error(void)
{
	return vfio_err_text();
}

bool vfio_is_vfio(const struct backend *b)
{
	return b && b->ops == &vfio_ops;
}

int vfio_device_fd(struct backend *b, const struct vfio_sys **ret_sys, const char **ret_name)
{
	struct vfio_dev *d;

	if (!vfio_is_vfio(b))
		return -EINVAL;
	d = vfio_dev(b);
	if (ret_sys)
		*ret_sys = d->sys;
	if (ret_name)
		*ret_name = d->name;
	return d->fd;
}
