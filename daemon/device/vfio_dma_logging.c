/*
 * vfio_dma_logging.c - DMA_LOGGING_START/STOP/REPORT with the kernel's argument rules
 * (drivers/vfio/vfio_main.c, vfio_ioctl_device_feature_logging_*): at least one range, at
 * most PAGE_SIZE / 16, each aligned to page_size, no wrap-around, no overlap; a report needs
 * a power-of-two page size of at least 4 KiB. Owns nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vfio.h"
#include "vfio_compat.h"
#include "vfio_dma_logging.h"
#include "vfio_err.h"
#include "vfio_feature.h"

_Static_assert(sizeof(struct vfio_dma_range) ==
			       sizeof(struct vfio_device_feature_dma_logging_range) &&
		       offsetof(struct vfio_dma_range, length) ==
			       offsetof(struct vfio_device_feature_dma_logging_range, length),
	       "vfio_dma_range must match the kernel's range layout");

#define VFIO_DMA_LOGGING_REPORT_MIN_PAGE 4096u

static bool vfio_dma_logging_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

size_t vfio_dma_logging_max_ranges(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return (size_t)(page > 0 ? page : 4096) / sizeof(struct vfio_dma_range);
}

/* The rules of one range, and that it overlaps none of the ranges before it. */
static int vfio_dma_logging_check_range(const struct vfio_dma_range *ranges, size_t i,
					uint64_t page_size, const char *name)
{
	const struct vfio_dma_range *r = &ranges[i];

	if (r->length == 0 || (r->iova & (page_size - 1)) || (r->length & (page_size - 1)))
		return vfio_err_set(-EINVAL,
				    "%s: DMA logging range %zu (0x%llx+0x%llx) is empty "
				    "or not aligned to the page size 0x%llx",
				    name, i, (unsigned long long)r->iova,
				    (unsigned long long)r->length, (unsigned long long)page_size);
	if (r->iova + r->length < r->iova)
		return vfio_err_set(-EOVERFLOW, "%s: DMA logging range %zu wraps around", name, i);
	for (size_t j = 0; j < i; j++) {
		if (r->iova < ranges[j].iova + ranges[j].length &&
		    ranges[j].iova < r->iova + r->length)
			return vfio_err_set(-EINVAL, "%s: DMA logging ranges %zu and %zu overlap",
					    name, j, i);
	}
	return 0;
}

static int vfio_dma_logging_check(const struct vfio_dma_range *ranges, size_t n, uint64_t page_size,
				  const char *name)
{
	int r;

	if (n == 0 || !ranges)
		return vfio_err_set(-EINVAL, "%s: DMA logging needs at least one range", name);
	if (n > vfio_dma_logging_max_ranges())
		return vfio_err_set(-E2BIG, "%s: %zu DMA logging ranges, at most %zu allowed", name,
				    n, vfio_dma_logging_max_ranges());
	if (!vfio_dma_logging_pow2(page_size))
		return vfio_err_set(-EINVAL,
				    "%s: DMA logging page size 0x%llx is not a power of two", name,
				    (unsigned long long)page_size);
	for (size_t i = 0; i < n; i++) {
		r = vfio_dma_logging_check_range(ranges, i, page_size, name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int vfio_dma_logging_result(int r, const char *name, const char *what)
{
	if (r == -ENOTTY)
		return vfio_err_set(r, "%s: the device has no DMA logging (%s: ENOTTY)", name,
				    what);
	return vfio_err_set(r, "%s: VFIO_DEVICE_FEATURE %s failed: %s", name, what, strerror(-r));
}

int vfio_dma_logging_start(struct backend *b, uint64_t page_size,
			   const struct vfio_dma_range *ranges, size_t n, uint64_t *ret_page_size)
{
	struct vfio_device_feature_dma_logging_control ctl = { 0 };
	const struct vfio_sys *sys;
	const char *name;
	int fd, r;

	fd = vfio_device_fd(b, &sys, &name);
	if (fd < 0)
		return vfio_err_set(-EINVAL, "DMA logging needs a vfio device");
	r = vfio_dma_logging_check(ranges, n, page_size, name);
	if (r < 0)
		return r;
	ctl.page_size = page_size;
	ctl.num_ranges = (uint32_t)n;
	ctl.ranges = (uint64_t)(uintptr_t)ranges;
	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START | VFIO_DEVICE_FEATURE_SET,
			 &ctl, sizeof(ctl));
	if (r < 0)
		return vfio_dma_logging_result(r, name, "DMA_LOGGING_START");
	if (ret_page_size)
		*ret_page_size = ctl.page_size;
	return 0;
}

int vfio_dma_logging_stop(struct backend *b)
{
	const struct vfio_sys *sys;
	const char *name;
	int fd, r;

	fd = vfio_device_fd(b, &sys, &name);
	if (fd < 0)
		return vfio_err_set(-EINVAL, "DMA logging needs a vfio device");
	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP | VFIO_DEVICE_FEATURE_SET,
			 NULL, 0);
	if (r < 0)
		return vfio_dma_logging_result(r, name, "DMA_LOGGING_STOP");
	return 0;
}

static int vfio_dma_logging_check_report(uint64_t iova, uint64_t length, uint64_t page_size,
					 const uint64_t *bitmap, size_t words, const char *name)
{
	uint64_t pages;

	if (page_size < VFIO_DMA_LOGGING_REPORT_MIN_PAGE || !vfio_dma_logging_pow2(page_size))
		return vfio_err_set(-EINVAL,
				    "%s: DMA logging report page size 0x%llx is not a "
				    "power of two >= 4096",
				    name, (unsigned long long)page_size);
	if (length == 0 || !bitmap)
		return vfio_err_set(-EINVAL, "%s: DMA logging report needs a range and a bitmap",
				    name);
	if (iova + length < iova)
		return vfio_err_set(-EOVERFLOW, "%s: DMA logging report range wraps around", name);
	pages = length / page_size + (length % page_size != 0);
	if (words < pages / 64 + (pages % 64 != 0))
		return vfio_err_set(-EINVAL,
				    "%s: DMA logging bitmap of %zu words cannot hold "
				    "%llu pages",
				    name, words, (unsigned long long)pages);
	return 0;
}

int vfio_dma_logging_report(struct backend *b, uint64_t iova, uint64_t length, uint64_t page_size,
			    uint64_t *bitmap, size_t bitmap_words)
{
	struct vfio_device_feature_dma_logging_report rep = { 0 };
	const struct vfio_sys *sys;
	const char *name;
	int fd, r;

	fd = vfio_device_fd(b, &sys, &name);
	if (fd < 0)
		return vfio_err_set(-EINVAL, "DMA logging needs a vfio device");
	r = vfio_dma_logging_check_report(iova, length, page_size, bitmap, bitmap_words, name);
	if (r < 0)
		return r;
	rep.iova = iova;
	rep.length = length;
	rep.page_size = page_size;
	rep.bitmap = (uint64_t)(uintptr_t)bitmap;
	r = vfio_feature(sys, fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | VFIO_DEVICE_FEATURE_GET,
			 &rep, sizeof(rep));
	if (r < 0)
		return vfio_dma_logging_result(r, name, "DMA_LOGGING_REPORT");
	return 0;
}
