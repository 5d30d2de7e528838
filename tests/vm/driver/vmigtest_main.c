// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmigtest_main.c - the vmigtest module: mdev parent and type, vfio_device ops, DMA logging.
 *
 * Loading the module registers a parent device "vmigtest" (class vmigtest) with one mdev type,
 * so instances are made with
 *   echo <uuid> > /sys/class/mdev_bus/vmigtest/mdev_supported_types/vmigtest-mig/create
 * Each instance is a VFIO device with its own emulated IOMMU group: no interrupts, and one
 * read/write region (index 0, "BAR0") of state_kb KiB that is the device's whole state.
 * Writes to it are refused with -EBUSY unless the device runs (RUNNING or RUNNING_P2P).
 *
 * Parameters:
 *   state_kb=N  content size of every instance in KiB, 1..1048576 (default 64); load time only
 *   corrupt=M   damage the next save streams (enum vmigtest_corrupt); writable at run time
 */
#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vmigtest.h"

#define VMIGTEST_STATE_KB_MAX (SZ_1G / SZ_1K)
#define VMIGTEST_MAX_INSTANCES 8

static unsigned int state_kb = 64;
static unsigned int corrupt = VMIGTEST_CORRUPT_NONE;

static int vmigtest_state_kb_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, VMIGTEST_STATE_KB_MAX);
}

static const struct kernel_param_ops vmigtest_state_kb_ops = {
	.set = vmigtest_state_kb_set,
	.get = param_get_uint,
};
module_param_cb(state_kb, &vmigtest_state_kb_ops, &state_kb, 0444);
MODULE_PARM_DESC(state_kb, "device state (region 0) size in KiB, 1..1048576");

static int vmigtest_corrupt_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, VMIGTEST_CORRUPT_MAX);
}

static const struct kernel_param_ops vmigtest_corrupt_ops = {
	.set = vmigtest_corrupt_set,
	.get = param_get_uint,
};
module_param_cb(corrupt, &vmigtest_corrupt_ops, &corrupt, 0644);
MODULE_PARM_DESC(corrupt,
		 "damage save streams: 0 no, 1 magic, 2 version, 3 size, 4 one content byte");

unsigned int vmigtest_corrupt_mode(void)
{
	return READ_ONCE(corrupt);
}

static struct vmigtest_dev *to_vmigtest(struct vfio_device *vdev)
{
	return container_of(vdev, struct vmigtest_dev, vdev);
}

/* The content offset of a region access, with count clipped to the region; -EINVAL if none. */
static int vmigtest_region_span(struct vmigtest_dev *vmt, loff_t pos, size_t *count, u64 *ret)
{
	unsigned int index = pos >> VMIGTEST_REGION_SHIFT;
	u64 off = pos & VMIGTEST_REGION_MASK;

	if (pos < 0 || index != VMIGTEST_REGION_BAR0 || off >= vmt->size)
		return -EINVAL;
	*count = min_t(u64, *count, vmt->size - off);
	*ret = off;
	return 0;
}

/* Bytes moved out of count with left not copied: advances *ppos, or -EFAULT if none moved. */
static ssize_t vmigtest_region_done(size_t count, unsigned long left, loff_t *ppos)
{
	if (count && left == count)
		return -EFAULT;
	*ppos += count - left;
	return count - left;
}

static ssize_t vmigtest_read(struct vfio_device *vdev, char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);
	unsigned long left;
	u64 off;
	int ret;

	ret = vmigtest_region_span(vmt, *ppos, &count, &off);
	if (ret)
		return ret;
	mutex_lock(&vmt->state_mutex);
	left = copy_to_user(buf, vmt->content + off, count);
	vmigtest_state_unlock(vmt);
	return vmigtest_region_done(count, left, ppos);
}

/* Writes change the device, so they need a running device: a stopped one never changes. */
static ssize_t vmigtest_write(struct vfio_device *vdev, const char __user *buf, size_t count,
			      loff_t *ppos)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);
	unsigned long left;
	u64 off;
	int ret;

	ret = vmigtest_region_span(vmt, *ppos, &count, &off);
	if (ret)
		return ret;
	mutex_lock(&vmt->state_mutex);
	if (!vmigtest_is_running(vmt->state)) {
		vmigtest_state_unlock(vmt);
		return -EBUSY;
	}
	left = copy_from_user(vmt->content + off, buf, count);
	vmigtest_state_unlock(vmt);
	return vmigtest_region_done(count, left, ppos);
}

static long vmigtest_get_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VMIGTEST_NUM_REGIONS;
	info.num_irqs = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vmigtest_get_region_info(struct vmigtest_dev *vmt, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index != VMIGTEST_REGION_BAR0)
		return -EINVAL;
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	info.cap_offset = 0;
	info.size = vmt->size;
	info.offset = (u64)info.index << VMIGTEST_REGION_SHIFT;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vmigtest_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vmigtest_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vmigtest_get_region_info(vmt, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return -EINVAL; /* the device has no interrupts */
	case VFIO_DEVICE_RESET:
		vmigtest_request_reset(vmt);
		return 0;
	}
	return -ENOTTY;
}

static int vmigtest_open_device(struct vfio_device *vdev)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);

	mutex_lock(&vmt->state_mutex);
	vmt->state = VFIO_DEVICE_STATE_RUNNING;
	vmt->logging = false;
	vmigtest_state_unlock(vmt);
	return 0;
}

/* The last user is gone: end the sessions (their fds may live on, failing with ENODEV). */
static void vmigtest_close_device(struct vfio_device *vdev)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);

	mutex_lock(&vmt->state_mutex);
	vmigtest_disable_files(vmt);
	vmt->state = VFIO_DEVICE_STATE_RUNNING;
	vmt->logging = false;
	vmigtest_state_unlock(vmt);
}

/*
 * DMA logging: the device never writes memory, so the log is always empty. The ops still
 * keep the uAPI's rules: one start until a stop, and no report without a start.
 */
static int vmigtest_log_start(struct vfio_device *vdev, struct rb_root_cached *ranges,
			      u32 nnodes, u64 *page_size)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);
	int ret = 0;

	mutex_lock(&vmt->state_mutex);
	if (vmt->logging)
		ret = -EBUSY;
	else
		vmt->logging = true;
	vmigtest_state_unlock(vmt);
	return ret;
}

static int vmigtest_log_stop(struct vfio_device *vdev)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);

	mutex_lock(&vmt->state_mutex);
	vmt->logging = false;
	vmigtest_state_unlock(vmt);
	return 0;
}

static int vmigtest_log_read_and_clear(struct vfio_device *vdev, unsigned long iova,
				       unsigned long length, struct iova_bitmap *dirty)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);
	int ret;

	mutex_lock(&vmt->state_mutex);
	ret = vmt->logging ? 0 : -EINVAL;
	vmigtest_state_unlock(vmt);
	return ret;
}

static const struct vfio_log_ops vmigtest_log_ops = {
	.log_start = vmigtest_log_start,
	.log_stop = vmigtest_log_stop,
	.log_read_and_clear = vmigtest_log_read_and_clear,
};

static int vmigtest_init_dev(struct vfio_device *vdev)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);

	vmt->size = (size_t)state_kb << 10;
	vmt->content = vzalloc(vmt->size);
	if (!vmt->content)
		return -ENOMEM;
	mutex_init(&vmt->state_mutex);
	spin_lock_init(&vmt->reset_lock);
	vmt->state = VFIO_DEVICE_STATE_RUNNING;
	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	vdev->mig_ops = &vmigtest_mig_ops;
	vdev->log_ops = &vmigtest_log_ops;
	return 0;
}

static void vmigtest_release_dev(struct vfio_device *vdev)
{
	struct vmigtest_dev *vmt = to_vmigtest(vdev);

	mutex_destroy(&vmt->state_mutex);
	vfree(vmt->content);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops vmigtest_dev_ops = {
	.name = "vfio-vmigtest",
	.init = vmigtest_init_dev,
	.release = vmigtest_release_dev,
	.open_device = vmigtest_open_device,
	.close_device = vmigtest_close_device,
	.read = vmigtest_read,
	.write = vmigtest_write,
	.ioctl = vmigtest_ioctl,
};

static int vmigtest_probe(struct mdev_device *mdev)
{
	struct vmigtest_dev *vmt;
	int ret;

	vmt = vfio_alloc_device(vmigtest_dev, vdev, &mdev->dev, &vmigtest_dev_ops);
	if (IS_ERR(vmt))
		return PTR_ERR(vmt);
	ret = vfio_register_emulated_iommu_dev(&vmt->vdev);
	if (ret)
		goto err_put;
	dev_set_drvdata(&mdev->dev, vmt);
	return 0;

err_put:
	vfio_put_device(&vmt->vdev);
	return ret;
}

static void vmigtest_remove(struct mdev_device *mdev)
{
	struct vmigtest_dev *vmt = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&vmt->vdev);
	vfio_put_device(&vmt->vdev);
}

static struct mdev_type vmigtest_type = {
	.sysfs_name = "mig",
	.pretty_name = "vmigtest migration test device",
};

static struct mdev_type *vmigtest_types[] = { &vmigtest_type };

static struct mdev_driver vmigtest_driver = {
	.device_api = VMIGTEST_NAME,
	.max_instances = VMIGTEST_MAX_INSTANCES,
	.driver = {
		.name = VMIGTEST_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = vmigtest_probe,
	.remove = vmigtest_remove,
};

static struct class *vmigtest_class;
static struct device vmigtest_parent_dev;
static struct mdev_parent vmigtest_parent;

static void vmigtest_parent_release(struct device *dev)
{
}

static int __init vmigtest_init(void)
{
	int ret;

	ret = mdev_register_driver(&vmigtest_driver);
	if (ret)
		return ret;
	vmigtest_class = class_create(THIS_MODULE, VMIGTEST_NAME);
	if (IS_ERR(vmigtest_class)) {
		ret = PTR_ERR(vmigtest_class);
		goto err_driver;
	}
	vmigtest_parent_dev.class = vmigtest_class;
	vmigtest_parent_dev.release = vmigtest_parent_release;
	dev_set_name(&vmigtest_parent_dev, "%s", VMIGTEST_NAME);
	ret = device_register(&vmigtest_parent_dev);
	if (ret) {
		put_device(&vmigtest_parent_dev);
		goto err_class;
	}
	ret = mdev_register_parent(&vmigtest_parent, &vmigtest_parent_dev, &vmigtest_driver,
				   vmigtest_types, ARRAY_SIZE(vmigtest_types));
	if (ret)
		goto err_unregister_dev;
	pr_info(VMIGTEST_NAME ": loaded, %u KiB of state per device\n", state_kb);
	return 0;

err_unregister_dev:
	device_unregister(&vmigtest_parent_dev);
err_class:
	class_destroy(vmigtest_class);
err_driver:
	mdev_unregister_driver(&vmigtest_driver);
	return ret;
}

static void __exit vmigtest_exit(void)
{
	mdev_unregister_parent(&vmigtest_parent);
	device_unregister(&vmigtest_parent_dev);
	class_destroy(vmigtest_class);
	mdev_unregister_driver(&vmigtest_driver);
}

module_init(vmigtest_init);
module_exit(vmigtest_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-migd test mdev with VFIO migration (STOP_COPY, P2P)");
