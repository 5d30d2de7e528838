/*
 * vm_raw.c - raw kernel helpers for the VM scenarios (see vm_raw.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vfio_compat.h"
#include "vm_raw.h"

#define VM_CHUNK (1u << 20)

static struct vfio_sys vm_counting_sys;
static struct vm_counts vm_seen;

static int vm_count_ioctl(int fd, unsigned long request, void *arg)
{
	const struct vfio_device_feature *f = arg;

	if (request == VFIO_DEVICE_FEATURE && (f->flags & VFIO_DEVICE_FEATURE_PROBE) == 0) {
		if (f->flags & VFIO_DEVICE_FEATURE_SET)
			vm_seen.feature_set++;
		if (f->flags & VFIO_DEVICE_FEATURE_GET)
			vm_seen.feature_get++;
	}
	if (request == VFIO_DEVICE_RESET)
		vm_seen.reset++;
	return vfio_sys_default()->ioctl(fd, request, arg);
}

const struct vfio_sys *vm_sys(void)
{
	if (!vm_counting_sys.ioctl) {
		vm_counting_sys = *vfio_sys_default();
		vm_counting_sys.ioctl = vm_count_ioctl;
	}
	return &vm_counting_sys;
}

void vm_count_reset(void)
{
	memset(&vm_seen, 0, sizeof(vm_seen));
}

struct vm_counts vm_counts(void)
{
	return vm_seen;
}

int vm_feature_raw(int fd, uint32_t flags, void *payload, size_t len)
{
	uint64_t buf[8] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	int r;

	if (len > sizeof(buf) - sizeof(*f))
		return -EINVAL;
	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = flags;
	if (len)
		memcpy(f->data, payload, len);
	r = ioctl(fd, VFIO_DEVICE_FEATURE, f);
	if (len)
		memcpy(payload, f->data, len);
	return r < 0 ? -errno : r;
}

int vm_set_state_raw(int fd, uint32_t state, uint32_t *ret_echo, int *ret_fd)
{
	struct vfio_device_feature_mig_state mig = { .device_state = state, .data_fd = -2 };
	int r;

	r = vm_feature_raw(fd, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_SET, &mig,
			   sizeof(mig));
	if (ret_echo)
		*ret_echo = mig.device_state;
	if (ret_fd)
		*ret_fd = mig.data_fd;
	return r;
}

int vm_get_state_raw(int fd, uint32_t *ret)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -2 };
	int r;

	r = vm_feature_raw(fd, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_GET, &mig,
			   sizeof(mig));
	if (r == 0)
		*ret = mig.device_state;
	return r;
}

int vm_region(int fd, uint64_t *ret_offset, uint64_t *ret_size)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = 0 };

	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &info) < 0)
		return -errno;
	*ret_offset = info.offset;
	*ret_size = info.size;
	return 0;
}

int vm_region_write(int fd, uint64_t offset, const void *buf, size_t len)
{
	const char *p = buf;

	for (size_t done = 0; done < len;) {
		size_t n = len - done < VM_CHUNK ? len - done : VM_CHUNK;
		ssize_t w = pwrite(fd, p + done, n, (off_t)(offset + done));

		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

int vm_region_read(int fd, uint64_t offset, void *buf, size_t len)
{
	char *p = buf;

	for (size_t done = 0; done < len;) {
		size_t n = len - done < VM_CHUNK ? len - done : VM_CHUNK;
		ssize_t r = pread(fd, p + done, n, (off_t)(offset + done));

		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

ssize_t vm_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, p + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

void vm_pattern(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	unsigned char *p = buf;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	for (; i < len; i++)
		p[i] = (unsigned char)(seed + i);
}

uint32_t vm_crc32(const void *buf, size_t len)
{
	static uint32_t table[256];
	const unsigned char *p = buf;
	uint32_t crc = 0xffffffffu;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = (v >> 1) ^ (0xedb88320u & (0u - (v & 1)));
			table[i] = v;
		}
	}
	for (size_t i = 0; i < len; i++)
		crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xff];
	return ~crc;
}

void vm_hdr_decode(const void *p, struct vm_hdr *ret)
{
	const unsigned char *b = p;

	memcpy(&ret->magic, b, 4);
	memcpy(&ret->version, b + 4, 4);
	memcpy(&ret->size, b + 8, 8);
	memcpy(&ret->crc, b + 16, 4);
	memcpy(&ret->reserved, b + 20, 4);
}

int vm_mdev_group(const char *uuid)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	return atoi(base ? base + 1 : target);
}

int vm_param_set(const char *param, const char *value)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/vmigtest/parameters/%s", param);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}
