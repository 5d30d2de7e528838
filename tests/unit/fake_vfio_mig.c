/*
 * fake_vfio_mig.c - the migration side of the fake VFIO kernel: the feature core as
 * vfio_main.c has it (header checks, vfio_check_feature, MIGRATION, MIG_DEVICE_STATE replies,
 * MIG_DATA_SIZE, DMA logging range checks, unknown features), a driver that walks the
 * kernel's next-step table one arc at a time as mtty does (using the daemon's fsm_next_step,
 * which test_fsm checks against the kernel's algorithm), and its data files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake_vfio_impl.h"
#include "fsm.h"

ssize_t fake_vfio_mig_read(struct fake_vfio_file *file, void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t n;

	if (fake_vfio_k.eintr_reads > 0) {
		fake_vfio_k.eintr_reads--;
		return -EINTR;
	}
	if (!file->save)
		return -EBADF; /* the resume file is write-only */
	if (file->disabled)
		return -ENODEV;
	n = file->filled - file->pos;
	if (n == 0) {
		if (file->dev->state != FSM_STOP_COPY && file->dev->cfg.precopy_enomsg)
			return -ENOMSG;
		return 0;
	}
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		out[i] = fake_vfio_pattern(file->pos + i);
	file->pos += n;
	return (ssize_t)n;
}

ssize_t fake_vfio_mig_write(struct fake_vfio_file *file, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t total;

	if (fake_vfio_k.eintr_writes > 0) {
		fake_vfio_k.eintr_writes--;
		return -EINTR;
	}
	if (file->save)
		return -EBADF;
	if (file->disabled)
		return -ENODEV;
	total = file->dev->cfg.init_bytes + file->dev->cfg.stop_bytes;
	if (file->filled + len > total)
		return -ENOMEM; /* mtty refuses more than a whole state */
	for (size_t i = 0; i < len; i++) {
		if (in[i] != fake_vfio_pattern(file->filled + i))
			file->intact = false;
	}
	file->filled += len;
	return (ssize_t)len;
}

int fake_vfio_mig_precopy_info(struct fake_vfio_file *file, struct vfio_precopy_info *info)
{
	if (!file->save || !(file->dev->cfg.mig_flags & VFIO_MIGRATION_PRE_COPY))
		return -ENOTTY;
	if (file->disabled)
		return -ENODEV;
	if (info->argsz < sizeof(*info))
		return -EINVAL;
	if (file->dev->state != FSM_PRE_COPY && file->dev->state != FSM_PRE_COPY_P2P)
		return -EINVAL;
	info->initial_bytes = file->pos < file->init_end ? file->init_end - file->pos : 0;
	info->dirty_bytes = 0;
	return 0;
}

/* ---- driver: one arc at a time (mtty_step_state) ---- */

static int fake_vfio_mig_data_fd(struct fake_vfio_file *file)
{
	int fd = fake_vfio_fd_alloc(FK_DATA);

	if (fd < 0)
		return fd;
	file->refs++;
	fake_vfio_fd_get(fd)->file = file;
	return fd;
}

/* Performs from -> to; returns 1 with *ret_file when the arc opens a session. */
static int fake_vfio_mig_step(struct fake_vfio_dev *d, int from, int to,
			      struct fake_vfio_file **ret_file)
{
	const struct fake_vfio_cfg *c = &d->cfg;

	if (fsm_arc_opens_save(from, to)) {
		d->save = fake_vfio_file_new(d, true);
		d->save->init_end = c->init_bytes;
		d->save->filled =
			to == FSM_STOP_COPY ? c->init_bytes + c->stop_bytes : c->init_bytes;
		*ret_file = d->save;
		return 1;
	}
	if (fsm_arc_opens_resume(from, to)) {
		d->resume = fake_vfio_file_new(d, false);
		*ret_file = d->resume;
		return 1;
	}
	if (to == FSM_STOP_COPY && fsm_is_saving(from) && d->save)
		d->save->filled = c->init_bytes + c->stop_bytes;
	if (from == FSM_RESUMING && to == FSM_STOP && d->resume) {
		d->resumed = (unsigned int)d->resume->filled;
		d->resumed_intact = d->resume->intact;
		if (d->resume->filled != c->init_bytes + c->stop_bytes || !d->resume->intact)
			return -EINVAL; /* mtty: incomplete or invalid state */
	}
	if (fsm_arc_ends_session(from, to)) {
		fake_vfio_disable(&d->save);
		fake_vfio_disable(&d->resume);
	}
	return 0;
}

/* migration_set_state: loops over vfio_mig_get_next_state(). */
static int fake_vfio_mig_walk(struct fake_vfio_dev *d, int target, struct fake_vfio_file **ret_file)
{
	struct fake_vfio_file *file = NULL;
	enum fsm_state next;
	int r;

	*ret_file = NULL;
	while (d->state != target) {
		r = fsm_next_step(d->state, target, d->cfg.mig_flags, &next);
		if (r < 0)
			return r;
		if (d->fail_err && d->state == d->fail_from && (int)next == d->fail_to) {
			r = -d->fail_err;
			d->fail_err = 0;
			d->state = d->fail_lands;
			if (d->state == FSM_ERROR || !fsm_is_saving(d->state))
				fake_vfio_disable(&d->save);
			return r;
		}
		if (file)
			return -EINVAL; /* mtty WARNs: only the last arc may return a file */
		r = fake_vfio_mig_step(d, d->state, (int)next, &file);
		if (r < 0)
			return r;
		d->state = (int)next;
	}
	*ret_file = file;
	return 0;
}

/* ---- feature core (vfio_main.c) ---- */

static int fake_vfio_mig_check(uint32_t flags, size_t payload, uint32_t ops, size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (payload < minsz)
		return -EINVAL;
	return 1;
}

static int fake_vfio_mig_device_state(struct fake_vfio_dev *d, uint32_t flags, void *data,
				      size_t payload)
{
	struct vfio_device_feature_mig_state mig;
	struct fake_vfio_file *file;
	int r;

	if (!d->cfg.mig_flags)
		return -ENOTTY;
	r = fake_vfio_mig_check(flags, payload, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET,
				sizeof(mig));
	if (r != 1)
		return r;
	memcpy(&mig, data, sizeof(mig));
	if (flags & VFIO_DEVICE_FEATURE_GET) {
		mig.device_state = (uint32_t)d->state;
		mig.data_fd = -1;
		memcpy(data, &mig, sizeof(mig));
		return 0;
	}
	fake_vfio_logf("  -> %s", fsm_state_name((int)mig.device_state));
	r = fake_vfio_mig_walk(d, (int)mig.device_state, &file);
	mig.data_fd = -1;
	/* The driver keeps its reference (get_file); the fd gets one more. */
	if (r == 0 && file)
		mig.data_fd = fake_vfio_mig_data_fd(file);
	memcpy(data, &mig, sizeof(mig));
	return r;
}

static int fake_vfio_mig_log_start(struct fake_vfio_dev *d, uint32_t flags, void *data,
				   size_t payload)
{
	struct vfio_device_feature_dma_logging_control ctl;
	const struct vfio_device_feature_dma_logging_range *rg;
	int r;

	if (!d->cfg.log_ops)
		return -ENOTTY;
	r = fake_vfio_mig_check(flags, payload, VFIO_DEVICE_FEATURE_SET, sizeof(ctl));
	if (r != 1)
		return r;
	memcpy(&ctl, data, sizeof(ctl));
	if (!ctl.num_ranges)
		return -EINVAL;
	if (ctl.num_ranges > (uint32_t)sysconf(_SC_PAGESIZE) / sizeof(*rg))
		return -E2BIG;
	rg = (const void *)(uintptr_t)ctl.ranges;
	for (uint32_t i = 0; i < ctl.num_ranges; i++) {
		if ((rg[i].iova & (ctl.page_size - 1)) || (rg[i].length & (ctl.page_size - 1)))
			return -EINVAL;
		if (rg[i].iova + rg[i].length < rg[i].iova)
			return -EOVERFLOW;
		for (uint32_t j = 0; j < i; j++) {
			if (rg[i].iova <= rg[j].iova + rg[j].length - 1 &&
			    rg[j].iova <= rg[i].iova + rg[i].length - 1)
				return -EINVAL;
		}
	}
	if (d->log_active)
		return -EBUSY;
	if (d->log_pick)
		ctl.page_size = d->log_pick;
	d->log_active = true;
	d->log_page = ctl.page_size;
	d->log_ranges = ctl.num_ranges;
	memcpy(data, &ctl, sizeof(ctl));
	return 0;
}

static int fake_vfio_mig_log_report(struct fake_vfio_dev *d, uint32_t flags, void *data,
				    size_t payload)
{
	struct vfio_device_feature_dma_logging_report rep;
	uint64_t *bitmap;
	int r;

	if (!d->cfg.log_ops)
		return -ENOTTY;
	r = fake_vfio_mig_check(flags, payload, VFIO_DEVICE_FEATURE_GET, sizeof(rep));
	if (r != 1)
		return r;
	memcpy(&rep, data, sizeof(rep));
	if (rep.page_size < 4096 || (rep.page_size & (rep.page_size - 1)))
		return -EINVAL;
	if (rep.iova + rep.length < rep.iova)
		return -EOVERFLOW;
	if (!d->log_active)
		return -EINVAL;
	/* The device wrote the first page and the last page of the range. */
	bitmap = (uint64_t *)(uintptr_t)rep.bitmap;
	bitmap[0] |= 1;
	uint64_t last = (rep.length - 1) / rep.page_size;
	bitmap[last / 64] |= 1ull << (last % 64);
	return 0;
}

static int fake_vfio_mig_dispatch(struct fake_vfio_dev *d, uint32_t flags, void *data,
				  size_t payload)
{
	struct vfio_device_feature_migration mig;
	struct vfio_device_feature_mig_data_size size;
	uint32_t feature = flags & VFIO_DEVICE_FEATURE_MASK;
	size_t total, done;
	int r;

	switch (feature) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		if (!d->cfg.mig_flags)
			return -ENOTTY;
		r = fake_vfio_mig_check(flags, payload, VFIO_DEVICE_FEATURE_GET, sizeof(mig));
		if (r != 1)
			return r;
		mig.flags = d->cfg.mig_flags;
		memcpy(data, &mig, sizeof(mig));
		return 0;
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		return fake_vfio_mig_device_state(d, flags, data, payload);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		return fake_vfio_mig_log_start(d, flags, data, payload);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
		if (!d->cfg.log_ops)
			return -ENOTTY;
		r = fake_vfio_mig_check(flags, payload, VFIO_DEVICE_FEATURE_SET, 0);
		if (r != 1)
			return r;
		d->log_active = false;
		return 0;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		return fake_vfio_mig_log_report(d, flags, data, payload);
	default:
		break;
	}
	if (feature == VFIO_DEVICE_FEATURE_MIG_DATA_SIZE && d->cfg.data_size) {
		if (!d->cfg.mig_flags)
			return -ENOTTY;
		r = fake_vfio_mig_check(flags, payload, VFIO_DEVICE_FEATURE_GET, sizeof(size));
		if (r != 1)
			return r;
		total = d->cfg.init_bytes + d->cfg.stop_bytes;
		done = d->save && d->save->pos < total ? d->save->pos : 0;
		size.stop_copy_length = total - done;
		memcpy(data, &size, sizeof(size));
		return 0;
	}
	/* Not a core feature: the driver's device_feature op, or the core's default. */
	return d->cfg.unknown_einval ? -EINVAL : -ENOTTY;
}

static const char *fake_vfio_mig_feature_name(uint32_t feature)
{
	static const char *const names[] = {
		"PCI_VF_TOKEN",	      "MIGRATION",	"MIG_DEVICE_STATE",  "LOW_POWER_ENTRY",
		"LOW_POWER_WAKEUP",   "LOW_POWER_EXIT", "DMA_LOGGING_START", "DMA_LOGGING_STOP",
		"DMA_LOGGING_REPORT", "MIG_DATA_SIZE",
	};

	return feature < sizeof(names) / sizeof(names[0]) ? names[feature] : "UNKNOWN";
}

int fake_vfio_mig_feature(struct fake_vfio_dev *d, struct vfio_device_feature *f)
{
	uint32_t flags = f->flags;
	char ops[32];

	snprintf(ops, sizeof(ops), "%s%s%s%s%s", flags & VFIO_DEVICE_FEATURE_GET ? "GET" : "",
		 (flags & VFIO_DEVICE_FEATURE_GET) && (flags & VFIO_DEVICE_FEATURE_SET) ? "|" : "",
		 flags & VFIO_DEVICE_FEATURE_SET ? "SET" : "",
		 (flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) &&
				 (flags & VFIO_DEVICE_FEATURE_PROBE)
			 ? "|"
			 : "",
		 flags & VFIO_DEVICE_FEATURE_PROBE ? "PROBE" : "");
	fake_vfio_logf("%s FEATURE %s %s argsz=%u", d->name, ops,
		       fake_vfio_mig_feature_name(flags & VFIO_DEVICE_FEATURE_MASK), f->argsz);
	if (f->argsz < sizeof(*f))
		return -EINVAL;
	if (flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(flags & VFIO_DEVICE_FEATURE_PROBE) && (flags & VFIO_DEVICE_FEATURE_SET) &&
	    (flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	return fake_vfio_mig_dispatch(d, flags, f->data, f->argsz - sizeof(*f));
}
