/*
 * vfio_compat.h - the VFIO and iommufd uAPI this daemon uses that is newer than Debian 12's
 * linux-libc-dev 6.1 headers.
 *
 * Includes <linux/vfio.h> (and <linux/iommufd.h> when the system has it) and then defines,
 * each under #ifndef so that newer system headers win, exactly what mainline defines. Values
 * and layouts were read from torvalds/linux:
 *   [V] include/uapi/linux/vfio.h     at 02256acf1e81e42f6338a39020bf2de9807c33d7
 *   [I] include/uapi/linux/iommufd.h  at 03476e687eb07b94f7cdb07cd3c7c4304b6c58b3
 *   [C] drivers/vfio/device_cdev.c    at 1260ed77798502de9c98020040d2995008de10cc
 * and are checked below with _Static_assert against the numbers computed by hand (all VFIO
 * ioctls are _IO(';', 100 + n), so the value is 0x3B00 | (100 + n)).
 *
 * Enum constants (VFIO_DEVICE_STATE_PRE_COPY...) cannot be detected with #ifndef; the daemon
 * uses its own enum fsm_state, whose values vfio.c asserts equal to the kernel's.
 *
 * Only daemon/device/ and tests/ may include this (it includes <linux/vfio.h>).
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_COMPAT_H
#define VFIO_MIGD_DEVICE_VFIO_COMPAT_H

#include <stddef.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>
#if defined(__has_include)
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#endif

/* Size of a struct up to and including member: the kernel's minsz for versioned structs. */
#define VFIO_COMPAT_OFFSETOFEND(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* [V] 6.2: the device supports PRE_COPY (and PRE_COPY_P2P together with P2P). */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY (1 << 2)
#endif

/* [V] 6.2: estimate of the bytes STOP_COPY still needs (GET only, payload 8 bytes). */
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#endif

/* [V] 6.2: pre-copy estimates, issued on the migration data fd in PRE_COPY states. */
#ifndef VFIO_MIG_GET_PRECOPY_INFO
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO _IO(VFIO_TYPE, VFIO_BASE + 21)
#endif

/*
 * [V] 6.6: bind a cdev-opened device to an iommufd. Mainline later appended
 * __aligned_u64 token_uuid_ptr (used only with VFIO_DEVICE_BIND_FLAG_TOKEN); the kernel's
 * minimum size is offsetofend(out_devid) [C], which is what this daemon passes as argsz.
 */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

/*
 * [V] 6.6: attach a bound device to an IOAS or HWPT. Mainline later appended __u32 pasid
 * (only read with VFIO_DEVICE_ATTACH_PASID); minimum size is offsetofend(pt_id) [C].
 */
#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

/* [I] 6.2: iommufd ioctls are _IO(';', IOMMUFD_CMD_*), IOMMUFD_CMD_BASE = 0x80. */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')
#endif

/* [I] IOMMUFD_CMD_IOAS_ALLOC = IOMMUFD_CMD_BASE + 1: allocate an IO address space. */
#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)
#endif

/* Numbers, computed by hand from the definitions above and the 6.1 header. */
_Static_assert(VFIO_GET_API_VERSION == 0x3B64, "VFIO_GET_API_VERSION");
_Static_assert(VFIO_CHECK_EXTENSION == 0x3B65, "VFIO_CHECK_EXTENSION");
_Static_assert(VFIO_SET_IOMMU == 0x3B66, "VFIO_SET_IOMMU");
_Static_assert(VFIO_GROUP_GET_STATUS == 0x3B67, "VFIO_GROUP_GET_STATUS");
_Static_assert(VFIO_GROUP_SET_CONTAINER == 0x3B68, "VFIO_GROUP_SET_CONTAINER");
_Static_assert(VFIO_GROUP_GET_DEVICE_FD == 0x3B6A, "VFIO_GROUP_GET_DEVICE_FD");
_Static_assert(VFIO_DEVICE_RESET == 0x3B6F, "VFIO_DEVICE_RESET");
_Static_assert(VFIO_DEVICE_FEATURE == 0x3B75, "VFIO_DEVICE_FEATURE");
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == 0x3B76, "VFIO_DEVICE_BIND_IOMMUFD");
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3B77, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
_Static_assert(VFIO_MIG_GET_PRECOPY_INFO == 0x3B79, "VFIO_MIG_GET_PRECOPY_INFO");
_Static_assert(IOMMU_IOAS_ALLOC == 0x3B81, "IOMMU_IOAS_ALLOC");
_Static_assert(VFIO_TYPE1v2_IOMMU == 3 && VFIO_API_VERSION == 0, "type1v2 / API version");

/* Feature indices and flag bits [V]. */
_Static_assert(VFIO_DEVICE_FEATURE_GET == 0x10000 && VFIO_DEVICE_FEATURE_SET == 0x20000 &&
		       VFIO_DEVICE_FEATURE_PROBE == 0x40000 && VFIO_DEVICE_FEATURE_MASK == 0xffff,
	       "feature flag bits");
_Static_assert(VFIO_DEVICE_FEATURE_MIGRATION == 1 && VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE == 2,
	       "migration features");
_Static_assert(VFIO_DEVICE_FEATURE_DMA_LOGGING_START == 6 &&
		       VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP == 7 &&
		       VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT == 8,
	       "DMA logging features");
_Static_assert(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE == 9, "MIG_DATA_SIZE");
_Static_assert(VFIO_MIGRATION_STOP_COPY == 1 && VFIO_MIGRATION_P2P == 2 &&
		       VFIO_MIGRATION_PRE_COPY == 4,
	       "migration flags");

/* Layouts [V][I]. */
_Static_assert(sizeof(struct vfio_device_feature) == 8, "feature header");
_Static_assert(sizeof(struct vfio_group_status) == 8, "group status");
_Static_assert(sizeof(struct vfio_device_feature_migration) == 8, "migration payload");
_Static_assert(sizeof(struct vfio_device_feature_mig_state) == 8 &&
		       offsetof(struct vfio_device_feature_mig_state, data_fd) == 4,
	       "mig_state payload");
_Static_assert(sizeof(struct vfio_device_feature_mig_data_size) == 8, "mig_data_size payload");
_Static_assert(sizeof(struct vfio_device_feature_dma_logging_control) == 24 &&
		       offsetof(struct vfio_device_feature_dma_logging_control, num_ranges) == 8 &&
		       offsetof(struct vfio_device_feature_dma_logging_control, ranges) == 16,
	       "dma_logging_control");
_Static_assert(sizeof(struct vfio_device_feature_dma_logging_range) == 16, "logging range");
_Static_assert(sizeof(struct vfio_device_feature_dma_logging_report) == 32 &&
		       offsetof(struct vfio_device_feature_dma_logging_report, page_size) == 16 &&
		       offsetof(struct vfio_device_feature_dma_logging_report, bitmap) == 24,
	       "dma_logging_report");
_Static_assert(sizeof(struct vfio_precopy_info) == 24 &&
		       offsetof(struct vfio_precopy_info, initial_bytes) == 8 &&
		       offsetof(struct vfio_precopy_info, dirty_bytes) == 16,
	       "precopy_info");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, iommufd) == 8 &&
		       VFIO_COMPAT_OFFSETOFEND(struct vfio_device_bind_iommufd, out_devid) == 16,
	       "bind_iommufd");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, pt_id) == 8 &&
		       VFIO_COMPAT_OFFSETOFEND(struct vfio_device_attach_iommufd_pt, pt_id) == 12,
	       "attach_iommufd_pt");
_Static_assert(sizeof(struct iommu_ioas_alloc) == 12 &&
		       offsetof(struct iommu_ioas_alloc, out_ioas_id) == 8,
	       "ioas_alloc");

#endif
