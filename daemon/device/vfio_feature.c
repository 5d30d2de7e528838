/*
 * vfio_feature.c - VFIO_DEVICE_FEATURE header + payload marshalling.
 *
 * The buffer is u64-aligned because payloads contain __aligned_u64 fields. Validation done by
 * the kernel (vfio_ioctl_device_feature, vfio_check_feature): argsz >= 8, known flag bits,
 * GET and SET only together with PROBE, payload >= the feature's minimum unless PROBE.
 */
#include <errno.h>
#include <string.h>

#include "vfio_compat.h"
#include "vfio_feature.h"

int vfio_feature(const struct vfio_sys *sys, int fd, uint32_t flags, void *payload, size_t len)
{
	uint64_t buf[1 + VFIO_FEATURE_PAYLOAD_MAX / sizeof(uint64_t)] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	int r;

	if (len > VFIO_FEATURE_PAYLOAD_MAX)
		return -EINVAL;
	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = flags;
	if (len)
		memcpy(f->data, payload, len);
	r = sys->ioctl(fd, VFIO_DEVICE_FEATURE, f);
	if (len)
		memcpy(payload, f->data, len);
	return r;
}

int vfio_feature_probe(const struct vfio_sys *sys, int fd, uint32_t feature, uint32_t ops)
{
	int r = vfio_feature(sys, fd, feature | ops | VFIO_DEVICE_FEATURE_PROBE, NULL, 0);

	return r < 0 ? r : 0;
}

int vfio_feature_migration(const struct vfio_sys *sys, int fd, uint64_t *ret_flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int r;

	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_GET, &mig,
			 sizeof(mig));
	if (r < 0)
		return r;
	*ret_flags = mig.flags;
	return 0;
}

int vfio_feature_get_state(const struct vfio_sys *sys, int fd, uint32_t *ret_state)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -1 };
	int r;

	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_GET,
			 &mig, sizeof(mig));
	if (r < 0)
		return r;
	*ret_state = mig.device_state;
	return 0;
}

int vfio_feature_set_state(const struct vfio_sys *sys, int fd, uint32_t state, int *ret_data_fd)
{
	struct vfio_device_feature_mig_state mig = { .device_state = state, .data_fd = -1 };
	int r;

	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_SET,
			 &mig, sizeof(mig));
	if (r < 0)
		return r;
	*ret_data_fd = mig.data_fd;
	return 0;
}

int vfio_feature_data_size(const struct vfio_sys *sys, int fd, uint64_t *ret)
{
	struct vfio_device_feature_mig_data_size size = { 0 };
	int r;

	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | VFIO_DEVICE_FEATURE_GET,
			 &size, sizeof(size));
	if (r < 0)
		return r;
	*ret = size.stop_copy_length;
	return 0;
}
