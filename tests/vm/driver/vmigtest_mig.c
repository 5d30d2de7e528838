// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmigtest_mig.c - migration for vmigtest: the FSM arcs, the stream, save/resume files, reset.
 *
 * The core calls migration_set_state() once with the final state; this file walks there one
 * arc at a time with vfio_mig_get_next_state(), so every combination transition of the 6.1
 * table (STOP_COPY | P2P) is executed as the kernel defines it.
 *
 * Save: STOP -> STOP_COPY checksums the content and opens a read-only stream of header +
 * content, read straight from the device's content (which cannot change while the device is
 * stopped: region writes need RUNNING or RUNNING_P2P). Resume: STOP -> RESUMING opens a
 * write-only stream into a staging buffer; RESUMING -> STOP validates it (completeness, magic,
 * version, size, reserved, CRC) and either swaps it in as the content or fails the SET with
 * -EINVAL and leaves the device in ERROR, from which only VFIO_DEVICE_RESET recovers.
 *
 * Reset is deferred (the pattern of the in-tree migration drivers): VFIO_DEVICE_RESET only
 * marks it and takes state_mutex if it is free; whoever holds the mutex runs it in
 * vmigtest_state_unlock(). A reset returns to RUNNING, ends both sessions and zeroes the
 * content, as a device reset loses device state.
 */
#include <linux/anon_inodes.h>
#include <linux/crc32.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vmigtest.h"

/* One save or resume session; the driver holds a reference on filp while it points here. */
struct vmigtest_file {
	struct file *filp;
	struct mutex lock;	/* guards disabled and filp->f_pos */
	bool disabled;		/* the session ended: read/write fail with -ENODEV */
	struct vmigtest_hdr hdr; /* save: what is sent; resume: what was received */
	u8 *buf;		/* save: the device's content; resume: the staging buffer */
	size_t size;		/* content bytes after the header */
	bool owns_buf;		/* resume: buf is ours to vfree */
	loff_t flip;		/* save: content offset sent inverted, -1 for none */
};

static u32 vmigtest_crc(const u8 *buf, size_t size)
{
	return ~crc32_le(~0U, buf, size);
}

static loff_t vmigtest_stream_len(const struct vmigtest_file *migf)
{
	return sizeof(migf->hdr) + migf->size;
}

bool vmigtest_is_running(enum vfio_device_mig_state state)
{
	return state == VFIO_DEVICE_STATE_RUNNING ||
	       state == VFIO_DEVICE_STATE_RUNNING_P2P;
}

static void vmigtest_file_disable(struct vmigtest_file *migf)
{
	mutex_lock(&migf->lock);
	migf->disabled = true;
	migf->filp->f_pos = 0;
	mutex_unlock(&migf->lock);
}

static int vmigtest_file_release(struct inode *inode, struct file *filp)
{
	struct vmigtest_file *migf = filp->private_data;

	vmigtest_file_disable(migf);
	if (migf->owns_buf)
		vfree(migf->buf);
	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

/* Copies [pos, pos + len) of the header out; returns bytes copied or -EFAULT. */
static ssize_t vmigtest_read_hdr(struct vmigtest_file *migf, char __user *ubuf, loff_t pos,
				 size_t len)
{
	size_t n = min_t(size_t, len, sizeof(migf->hdr) - pos);

	if (copy_to_user(ubuf, (u8 *)&migf->hdr + pos, n))
		return -EFAULT;
	return n;
}

/* Copies content [off, off + len) out, inverting the byte at migf->flip if it is in range. */
static ssize_t vmigtest_read_content(struct vmigtest_file *migf, char __user *ubuf, loff_t off,
				     size_t len)
{
	u8 bad;

	if (copy_to_user(ubuf, migf->buf + off, len))
		return -EFAULT;
	if (migf->flip >= off && migf->flip < off + (loff_t)len) {
		bad = ~migf->buf[migf->flip];
		if (copy_to_user(ubuf + (migf->flip - off), &bad, 1))
			return -EFAULT;
	}
	return len;
}

static ssize_t vmigtest_save_read(struct file *filp, char __user *ubuf, size_t len,
				  loff_t *pos)
{
	struct vmigtest_file *migf = filp->private_data;
	size_t done = 0;
	ssize_t n = 0;

	if (pos)
		return -ESPIPE;
	pos = &filp->f_pos;

	mutex_lock(&migf->lock);
	if (migf->disabled) {
		n = -ENODEV;
		goto out;
	}
	len = min_t(loff_t, len, vmigtest_stream_len(migf) - *pos);
	while (done < len) {
		if (*pos < sizeof(migf->hdr))
			n = vmigtest_read_hdr(migf, ubuf + done, *pos, len - done);
		else
			n = vmigtest_read_content(migf, ubuf + done,
						  *pos - sizeof(migf->hdr), len - done);
		if (n < 0)
			break;
		done += n;
		*pos += n;
	}
out:
	mutex_unlock(&migf->lock);
	return done ? done : n;
}

static ssize_t vmigtest_resume_write(struct file *filp, const char __user *ubuf, size_t len,
				     loff_t *pos)
{
	struct vmigtest_file *migf = filp->private_data;
	size_t done = 0, n;
	ssize_t ret = 0;
	u8 *dst;

	if (pos)
		return -ESPIPE;
	pos = &filp->f_pos;

	mutex_lock(&migf->lock);
	if (migf->disabled) {
		ret = -ENODEV;
		goto out;
	}
	if (len && *pos >= vmigtest_stream_len(migf)) {
		ret = -ENOSPC; /* more than a stream of this device can hold */
		goto out;
	}
	len = min_t(loff_t, len, vmigtest_stream_len(migf) - *pos);
	while (done < len) {
		if (*pos < sizeof(migf->hdr)) {
			dst = (u8 *)&migf->hdr + *pos;
			n = min_t(size_t, len - done, sizeof(migf->hdr) - *pos);
		} else {
			dst = migf->buf + (*pos - sizeof(migf->hdr));
			n = len - done;
		}
		if (copy_from_user(dst, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
		*pos += n;
	}
out:
	mutex_unlock(&migf->lock);
	return done ? done : ret;
}

static const struct file_operations vmigtest_save_fops = {
	.owner = THIS_MODULE,
	.read = vmigtest_save_read,
	.release = vmigtest_file_release,
	.llseek = no_llseek,
};

static const struct file_operations vmigtest_resume_fops = {
	.owner = THIS_MODULE,
	.write = vmigtest_resume_write,
	.release = vmigtest_file_release,
	.llseek = no_llseek,
};

static struct vmigtest_file *vmigtest_file_new(const char *name,
					       const struct file_operations *fops, int flags)
{
	struct vmigtest_file *migf;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	migf->filp = anon_inode_getfile(name, fops, migf, flags);
	if (IS_ERR(migf->filp)) {
		struct file *err = migf->filp;

		kfree(migf);
		return ERR_CAST(err);
	}
	stream_open(migf->filp->f_inode, migf->filp);
	mutex_init(&migf->lock);
	migf->flip = -1;
	return migf;
}

/* The header of a save stream, damaged as the corrupt= parameter asks. */
static void vmigtest_fill_hdr(struct vmigtest_dev *vmt, struct vmigtest_file *migf)
{
	unsigned int mode = vmigtest_corrupt_mode();

	migf->hdr.magic = cpu_to_le32(VMIGTEST_MAGIC);
	migf->hdr.version = cpu_to_le32(VMIGTEST_VERSION);
	migf->hdr.size = cpu_to_le64(vmt->size);
	migf->hdr.crc = cpu_to_le32(vmigtest_crc(vmt->content, vmt->size));
	migf->hdr.reserved = 0;
	switch (mode) {
	case VMIGTEST_CORRUPT_MAGIC:
		migf->hdr.magic = cpu_to_le32(~VMIGTEST_MAGIC);
		break;
	case VMIGTEST_CORRUPT_VERSION:
		migf->hdr.version = cpu_to_le32(VMIGTEST_VERSION + 1);
		break;
	case VMIGTEST_CORRUPT_SIZE:
		migf->hdr.size = cpu_to_le64(vmt->size + 1);
		break;
	case VMIGTEST_CORRUPT_DATA:
		migf->flip = vmt->size / 2;
		break;
	}
	if (mode != VMIGTEST_CORRUPT_NONE)
		dev_info(vmt->vdev.dev, "save stream corrupted on purpose (mode %u)\n", mode);
}

/* STOP -> STOP_COPY */
static struct file *vmigtest_save_start(struct vmigtest_dev *vmt)
{
	struct vmigtest_file *migf;

	migf = vmigtest_file_new("[vmigtest_save]", &vmigtest_save_fops, O_RDONLY);
	if (IS_ERR(migf))
		return ERR_CAST(migf);
	migf->buf = vmt->content;
	migf->size = vmt->size;
	vmigtest_fill_hdr(vmt, migf);
	get_file(migf->filp); /* our reference; the core consumes the returned one */
	vmt->saving = migf;
	return migf->filp;
}

/* STOP -> RESUMING */
static struct file *vmigtest_resume_start(struct vmigtest_dev *vmt)
{
	struct vmigtest_file *migf;
	u8 *buf;

	buf = vzalloc(vmt->size);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	migf = vmigtest_file_new("[vmigtest_resume]", &vmigtest_resume_fops, O_WRONLY);
	if (IS_ERR(migf)) {
		vfree(buf);
		return ERR_CAST(migf);
	}
	migf->buf = buf;
	migf->size = vmt->size;
	migf->owns_buf = true;
	get_file(migf->filp);
	vmt->resuming = migf;
	return migf->filp;
}

static void vmigtest_file_put(struct vmigtest_file **slot)
{
	struct vmigtest_file *migf = *slot;

	if (!migf)
		return;
	*slot = NULL;
	vmigtest_file_disable(migf);
	fput(migf->filp);
}

void vmigtest_disable_files(struct vmigtest_dev *vmt)
{
	vmigtest_file_put(&vmt->saving);
	vmigtest_file_put(&vmt->resuming);
}

/* Checks a complete resume stream; returns 0 or -EINVAL, saying why in the kernel log. */
static int vmigtest_resume_check(struct vmigtest_dev *vmt, struct vmigtest_file *migf)
{
	const struct vmigtest_hdr *h = &migf->hdr;
	struct device *dev = vmt->vdev.dev;

	if (migf->filp->f_pos != vmigtest_stream_len(migf)) {
		dev_warn(dev, "resume rejected: stream incomplete (%lld of %lld bytes)\n",
			 migf->filp->f_pos, vmigtest_stream_len(migf));
		return -EINVAL;
	}
	if (le32_to_cpu(h->magic) != VMIGTEST_MAGIC) {
		dev_warn(dev, "resume rejected: bad magic 0x%08x\n", le32_to_cpu(h->magic));
		return -EINVAL;
	}
	if (le32_to_cpu(h->version) != VMIGTEST_VERSION || h->reserved) {
		dev_warn(dev, "resume rejected: unsupported version %u\n",
			 le32_to_cpu(h->version));
		return -EINVAL;
	}
	if (le64_to_cpu(h->size) != vmt->size) {
		dev_warn(dev, "resume rejected: stream of %llu bytes for a %zu-byte device\n",
			 le64_to_cpu(h->size), vmt->size);
		return -EINVAL;
	}
	if (le32_to_cpu(h->crc) != vmigtest_crc(migf->buf, migf->size)) {
		dev_warn(dev, "resume rejected: content checksum mismatch\n");
		return -EINVAL;
	}
	return 0;
}

/* RESUMING -> STOP: take the staged content, or fail and enter ERROR. */
static int vmigtest_resume_finish(struct vmigtest_dev *vmt)
{
	struct vmigtest_file *migf = vmt->resuming;
	int ret;

	mutex_lock(&migf->lock);
	ret = vmigtest_resume_check(vmt, migf);
	if (!ret)
		swap(vmt->content, migf->buf); /* the old content goes with the file */
	mutex_unlock(&migf->lock);
	vmigtest_file_put(&vmt->resuming);
	if (ret)
		vmt->state = VFIO_DEVICE_STATE_ERROR;
	return ret;
}

static bool vmigtest_is_stopped_or_running(enum vfio_device_mig_state state)
{
	return vmigtest_is_running(state) || state == VFIO_DEVICE_STATE_STOP;
}

/* Executes the single arc cur -> next; returns the new session's file, NULL, or ERR_PTR. */
static struct file *vmigtest_step(struct vmigtest_dev *vmt, enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = vmt->state;
	int ret;

	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_STOP_COPY)
		return vmigtest_save_start(vmt);
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RESUMING)
		return vmigtest_resume_start(vmt);
	if (cur == VFIO_DEVICE_STATE_STOP_COPY && next == VFIO_DEVICE_STATE_STOP) {
		vmigtest_file_put(&vmt->saving);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_RESUMING && next == VFIO_DEVICE_STATE_STOP) {
		ret = vmigtest_resume_finish(vmt);
		return ret ? ERR_PTR(ret) : NULL;
	}
	/* RUNNING <-> RUNNING_P2P <-> STOP: no DMA to quiesce, only the state changes. */
	if (vmigtest_is_stopped_or_running(cur) && vmigtest_is_stopped_or_running(next))
		return NULL;
	WARN(1, "vmigtest: no arc %d -> %d\n", cur, next);
	return ERR_PTR(-EINVAL);
}

static struct file *vmigtest_set_state(struct vfio_device *vdev,
				       enum vfio_device_mig_state new_state)
{
	struct vmigtest_dev *vmt = container_of(vdev, struct vmigtest_dev, vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&vmt->state_mutex);
	/* Only a reset leaves ERROR; the core's table would WARN on an ERROR start. */
	if (vmt->state == VFIO_DEVICE_STATE_ERROR) {
		res = ERR_PTR(-EINVAL);
		goto out;
	}
	while (vmt->state != new_state) {
		ret = vfio_mig_get_next_state(vdev, vmt->state, new_state, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = vmigtest_step(vmt, next);
		if (IS_ERR(res))
			break;
		vmt->state = next;
		/* Only the final arc of a path may open a session. */
		if (WARN_ON(res && next != new_state)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
out:
	vmigtest_state_unlock(vmt);
	return res;
}

static int vmigtest_get_state(struct vfio_device *vdev, enum vfio_device_mig_state *cur)
{
	struct vmigtest_dev *vmt = container_of(vdev, struct vmigtest_dev, vdev);

	mutex_lock(&vmt->state_mutex);
	*cur = vmt->state;
	vmigtest_state_unlock(vmt);
	return 0;
}

const struct vfio_migration_ops vmigtest_mig_ops = {
	.migration_set_state = vmigtest_set_state,
	.migration_get_state = vmigtest_get_state,
};

/* Drops state_mutex, first running any reset requested while it was held. */
void vmigtest_state_unlock(struct vmigtest_dev *vmt)
{
again:
	spin_lock(&vmt->reset_lock);
	if (vmt->deferred_reset) {
		vmt->deferred_reset = false;
		spin_unlock(&vmt->reset_lock);
		vmt->state = VFIO_DEVICE_STATE_RUNNING;
		vmigtest_disable_files(vmt);
		memset(vmt->content, 0, vmt->size);
		goto again;
	}
	mutex_unlock(&vmt->state_mutex);
	spin_unlock(&vmt->reset_lock);
}

/* VFIO_DEVICE_RESET: runs now if state_mutex is free, else when its holder unlocks. */
void vmigtest_request_reset(struct vmigtest_dev *vmt)
{
	spin_lock(&vmt->reset_lock);
	vmt->deferred_reset = true;
	if (!mutex_trylock(&vmt->state_mutex)) {
		spin_unlock(&vmt->reset_lock);
		return;
	}
	spin_unlock(&vmt->reset_lock);
	vmigtest_state_unlock(vmt);
}
