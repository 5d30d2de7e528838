/*
 * vfio_dma_logging.h - device DMA dirty logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*, 6.1+).
 *
 * The device records the pages it writes by DMA inside the IOVA ranges given at start; a
 * report reads and clears that log for a range into a caller-zeroed bitmap. Independent of
 * the migration state. Arguments are checked here with the kernel's rules before any ioctl,
 * so a bad call fails the same way on every kernel. Same threading as the backend's owner
 * calls (backend.h): one thread at a time.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_DMA_LOGGING_H
#define VFIO_MIGD_DEVICE_VFIO_DMA_LOGGING_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* One IOVA range to track; the layout of the kernel's vfio_device_feature_dma_logging_range. */
struct vfio_dma_range {
	uint64_t iova;
	uint64_t length;
};

/* Most ranges one start may pass: what fits in a kernel page (PAGE_SIZE / 16). */
size_t vfio_dma_logging_max_ranges(void);

/*
 * Starts logging n ranges with tracking granularity page_size (a hint; the driver may pick
 * another, returned in *ret_page_size, may be NULL). Returns 0, or -EINVAL (not a vfio
 * backend; n == 0; page_size not a power of two; a range empty, not page_size-aligned or
 * overlapping another), -E2BIG (n > vfio_dma_logging_max_ranges()), -EOVERFLOW (iova + length
 * wraps), -ENOTTY (the device has no DMA logging), or the kernel's -errno (one start at a
 * time: a second start before stop fails).
 */
int vfio_dma_logging_start(struct backend *b, uint64_t page_size,
			   const struct vfio_dma_range *ranges, size_t n, uint64_t *ret_page_size);

/* Stops logging. Returns 0, -EINVAL (not vfio), -ENOTTY, or the kernel's -errno. */
int vfio_dma_logging_stop(struct backend *b);

/*
 * Reads and clears the log for [iova, iova + length): bit i of bitmap (u64 words, host order)
 * set means page iova + i * page_size was written. Only sets bits: zero the bitmap first.
 * page_size must be a power of two >= 4096, length > 0, and bitmap_words must cover
 * ceil(length / page_size) bits. Returns 0, -EINVAL, -EOVERFLOW, -ENOTTY, or the kernel's
 * -errno, after which the log must be taken as lost (treat everything as dirty).
 */
int vfio_dma_logging_report(struct backend *b, uint64_t iova, uint64_t length, uint64_t page_size,
			    uint64_t *bitmap, size_t bitmap_words);

#endif
