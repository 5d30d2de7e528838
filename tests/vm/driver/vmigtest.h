/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmigtest.h - shared definitions of the vmigtest mdev driver.
 *
 * vmigtest is a test device for vfio-migd's real-kernel tier: an mdev on Linux 6.1 whose only
 * state is a block of memory ("content") that userspace reads and writes through region 0
 * (BAR0) of the VFIO device fd, and that migrates through the VFIO migration v2 uAPI with
 * STOP_COPY and P2P. It does no DMA and raises no interrupts.
 *
 * vmigtest_main.c owns the module, the mdev parent and type, the vfio_device ops (region,
 * ioctls, open/close) and the DMA logging ops. vmigtest_mig.c owns the migration state, the
 * stream format, the save and resume files and the deferred reset.
 *
 * Locking: state_mutex guards state, content, the file pointers and logging; it is released
 * only through vmigtest_state_unlock(), which runs a reset requested meanwhile. Each migration
 * file has its own lock for its position and disabled flag. Order: state_mutex, then a file's
 * lock. Stream read()/write() take only the file lock.
 */
#ifndef VMIGTEST_H
#define VMIGTEST_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vfio.h>

#define VMIGTEST_NAME "vmigtest"

/* Region 0 is the content; its offset in the device fd is index << VMIGTEST_REGION_SHIFT. */
#define VMIGTEST_REGION_BAR0 0
#define VMIGTEST_NUM_REGIONS 1
#define VMIGTEST_REGION_SHIFT 40
#define VMIGTEST_REGION_MASK ((1ULL << VMIGTEST_REGION_SHIFT) - 1)

/*
 * The migration stream: this header, then exactly hdr.size bytes of content.
 * All fields little endian. crc is the CRC-32 (IEEE) of the content.
 */
#define VMIGTEST_MAGIC 0x54474d56 /* "VMGT" */
#define VMIGTEST_VERSION 1

struct vmigtest_hdr {
	__le32 magic;
	__le32 version;
	__le64 size;
	__le32 crc;
	__le32 reserved; /* zero */
};

/* What the corrupt= module parameter makes the next save stream carry. */
enum vmigtest_corrupt {
	VMIGTEST_CORRUPT_NONE = 0,
	VMIGTEST_CORRUPT_MAGIC = 1,   /* header magic inverted */
	VMIGTEST_CORRUPT_VERSION = 2, /* header version + 1 */
	VMIGTEST_CORRUPT_SIZE = 3,    /* header size + 1 (the content that follows is intact) */
	VMIGTEST_CORRUPT_DATA = 4,    /* one content byte inverted on the way out */
	VMIGTEST_CORRUPT_MAX = VMIGTEST_CORRUPT_DATA,
};

struct vmigtest_file;

/* One mdev instance. */
struct vmigtest_dev {
	struct vfio_device vdev;
	struct mutex state_mutex; /* see "Locking" above */
	spinlock_t reset_lock;	/* guards deferred_reset */
	bool deferred_reset;	/* a VFIO_DEVICE_RESET waits for state_mutex */
	enum vfio_device_mig_state state;
	u8 *content;		/* vmalloc'ed, size bytes */
	size_t size;
	struct vmigtest_file *saving;	/* STOP_COPY session, or NULL */
	struct vmigtest_file *resuming; /* RESUMING session, or NULL */
	bool logging;		/* DMA logging started */
};

/* vmigtest_main.c */
unsigned int vmigtest_corrupt_mode(void);

/* vmigtest_mig.c */
extern const struct vfio_migration_ops vmigtest_mig_ops;
void vmigtest_state_unlock(struct vmigtest_dev *vmt);
void vmigtest_request_reset(struct vmigtest_dev *vmt);
void vmigtest_disable_files(struct vmigtest_dev *vmt);
bool vmigtest_is_running(enum vfio_device_mig_state state);

#endif
