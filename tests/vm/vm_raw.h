/*
 * vm_raw.h - direct kernel access for the VM scenarios, beside the project's vfio backend.
 *
 * The scenarios drive devices through the backend (daemon/device/) and check what it did with
 * calls that bypass it: raw VFIO_DEVICE_FEATURE ioctls, the device region that holds the
 * vmigtest content, sysfs lookups and module parameters. Also a counting vfio_sys seam, so
 * a scenario can prove that a refused request issued no ioctl. Single-threaded test code.
 */
#ifndef VFIO_MIGD_TESTS_VM_RAW_H
#define VFIO_MIGD_TESTS_VM_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfio_sys.h"

/* The vmigtest stream header (tests/vm/driver/vmigtest.h), little endian on x86. */
#define VM_MAGIC    0x54474d56u
#define VM_VERSION  1u
#define VM_HDR_SIZE 24u

struct vm_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t size;
	uint32_t crc;
	uint32_t reserved;
};

/* What vfio_sys calls the counting seam has seen since vm_count_reset(). */
struct vm_counts {
	unsigned long feature_set; /* VFIO_DEVICE_FEATURE with SET */
	unsigned long feature_get; /* VFIO_DEVICE_FEATURE with GET (not PROBE) */
	unsigned long reset;	   /* VFIO_DEVICE_RESET */
};

/* The default seam with counting ioctls; pass it to vfio_open(). */
const struct vfio_sys *vm_sys(void);
void vm_count_reset(void);
struct vm_counts vm_counts(void);

/* Raw feature calls on a device fd: 0 or -errno, as the kernel answers. */
int vm_feature_raw(int fd, uint32_t flags, void *payload, size_t len);
/* SET MIG_DEVICE_STATE; on return *ret_echo is the state the kernel copied back, *ret_fd the fd. */
int vm_set_state_raw(int fd, uint32_t state, uint32_t *ret_echo, int *ret_fd);
int vm_get_state_raw(int fd, uint32_t *ret);

/* Region 0 of a vmigtest device: its offset in the device fd and its size. */
int vm_region(int fd, uint64_t *ret_offset, uint64_t *ret_size);
/* Whole-buffer region I/O in chunks; 0 or -errno (the first error). */
int vm_region_write(int fd, uint64_t offset, const void *buf, size_t len);
int vm_region_read(int fd, uint64_t offset, void *buf, size_t len);

/* Reads until len bytes or EOF; returns bytes read or -errno. */
ssize_t vm_read_full(int fd, void *buf, size_t len);

/* Fills buf with the pseudo-random sequence of seed. */
void vm_pattern(void *buf, size_t len, uint64_t seed);

/* The CRC-32 (IEEE 802.3, as zlib and the kernel's ~crc32_le(~0, ...)) of buf. */
uint32_t vm_crc32(const void *buf, size_t len);

/* Decodes a stream header from the first VM_HDR_SIZE bytes of p. */
void vm_hdr_decode(const void *p, struct vm_hdr *ret);

/* The IOMMU group number of an mdev, or -errno. */
int vm_mdev_group(const char *uuid);

/* Writes value to /sys/module/vmigtest/parameters/<param>; 0 or -errno. */
int vm_param_set(const char *param, const char *value);

#endif
