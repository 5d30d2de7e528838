/*
 * vm_scen.c - helpers the VM scenarios share (see vm_scen.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm_scen.h"

const char *vm_errname(int err)
{
	static char other[24];

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "0";
	case EINVAL:
		return "EINVAL";
	case ENOTTY:
		return "ENOTTY";
	case EBADF:
		return "EBADF";
	case EBUSY:
		return "EBUSY";
	case ENODEV:
		return "ENODEV";
	case ENOENT:
		return "ENOENT";
	case ENOSPC:
		return "ENOSPC";
	case ESPIPE:
		return "ESPIPE";
	case EPERM:
		return "EPERM";
	case ENOTSUP:
		return "ENOTSUP";
	}
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

int vm_open(struct vm_ctx *c, int i, const char *name)
{
	struct backend *b;
	char id[2] = { (char)('a' + i), '\0' };
	int r;

	device_free(c->dev[i]);
	c->dev[i] = NULL;
	r = vfio_open(name, vm_sys(), &b);
	CHECK(c, r == 0, "vfio_open(%s) = %s: %s", name, vm_errname(r), vfio_last_error());
	r = device_new(id, b, &c->dev[i]);
	CHECK(c, r == 0, "device_new(%s) = %s: %s", name, vm_errname(r), vfio_last_error());
	return 0;
}

int vm_fd(struct vm_ctx *c, int i)
{
	return vfio_device_fd(device_backend(c->dev[i]), NULL, NULL);
}

int vm_keep_fd(struct vm_ctx *c, int fd)
{
	CHECK(c, fd >= 0, "expected a data fd, got %d", fd);
	CHECK(c, c->nfds < VM_MAX_FDS, "too many raw fds in one scenario");
	c->fds[c->nfds++] = fd;
	return 0;
}

int vm_walk(struct vm_ctx *c, int i, enum fsm_state target)
{
	struct device_change chg;
	int r;

	r = device_set_state(c->dev[i], target, FSM_RUNNING, &chg);
	CHECK(c, r == 0, "device %c: %s -> %s = %s: %s", 'a' + i, fsm_state_name(chg.from),
	      fsm_state_name(target), vm_errname(r), chg.reason);
	return 0;
}

int vm_reach(struct vm_ctx *c, int i, enum fsm_state s)
{
	CHECK_OK(c, device_reset(c->dev[i]));
	return vm_walk(c, i, s);
}

int vm_content_read(struct vm_ctx *c, int i, unsigned char *buf)
{
	CHECK_OK(c, vm_region_read(vm_fd(c, i), c->region, buf, c->size));
	return 0;
}

int vm_content_write(struct vm_ctx *c, int i, const unsigned char *buf)
{
	CHECK_OK(c, vm_region_write(vm_fd(c, i), c->region, buf, c->size));
	return 0;
}

static long vm_first_difference(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b ? a[i] != b[i] : a[i] != 0)
			return (long)i;
	}
	return -1;
}

int vm_content_check(struct vm_ctx *c, int i, const unsigned char *buf, const char *what)
{
	long at;

	if (vm_content_read(c, i, c->buf) < 0)
		return -1;
	if (buf && memcmp(c->buf, buf, c->size) == 0)
		return 0;
	at = vm_first_difference(c->buf, buf, c->size);
	CHECK(c, at < 0, "device %c: content is not %s (first difference at byte %ld of %llu)",
	      'a' + i, what, at, (unsigned long long)c->size);
	return 0;
}

/* Read sizes cycle through these, and each chunk is written in two pieces: the two sides
 * never segment the stream the same way (the uAPI allows any segmentation). */
static const size_t vm_read_sizes[] = { 1, 23, 4096, 65536 + 13, 1u << 20 };

static int vm_write_all(struct vm_ctx *c, int j, const unsigned char *p, size_t n)
{
	struct backend *b = device_backend(c->dev[j]);

	while (n > 0) {
		ssize_t w = backend_stream_write(b, p, n);

		CHECK(c, w > 0, "device %c: stream_write(%zu) = %zd (%s): %s", 'a' + j, n, w,
		      vm_errname((int)w), vfio_last_error());
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int vm_pump(struct vm_ctx *c, int i, int j, uint64_t limit, uint64_t *ret_total)
{
	struct backend *src = device_backend(c->dev[i]);
	uint64_t total = 0;
	unsigned int k = 0;

	while (total < limit) {
		size_t want =
			vm_read_sizes[k++ % (sizeof(vm_read_sizes) / sizeof(vm_read_sizes[0]))];
		ssize_t n;

		if (want > limit - total)
			want = (size_t)(limit - total);
		n = backend_stream_read(src, c->buf, want);
		CHECK(c, n >= 0, "device %c: stream_read = %zd (%s): %s", 'a' + i, n,
		      vm_errname((int)n), vfio_last_error());
		if (n == 0)
			break;
		if (vm_write_all(c, j, c->buf, (size_t)n / 2) < 0 ||
		    vm_write_all(c, j, c->buf + n / 2, (size_t)n - (size_t)n / 2) < 0)
			return -1;
		total += (uint64_t)n;
	}
	*ret_total = total;
	return 0;
}

int vm_drain(struct vm_ctx *c, int i, uint64_t *ret_total)
{
	struct backend *b = device_backend(c->dev[i]);
	uint64_t cap = VM_HDR_SIZE + c->size, total = 0;
	ssize_t n;

	do {
		n = backend_stream_read(b, c->stream + total, total < cap ? cap - total : 1);
		CHECK(c, n >= 0, "device %c: stream_read = %zd (%s): %s", 'a' + i, n,
		      vm_errname((int)n), vfio_last_error());
		CHECK(c, total + (uint64_t)n <= cap, "device %c: save stream longer than %llu",
		      'a' + i, (unsigned long long)cap);
		total += (uint64_t)n;
	} while (n > 0);
	*ret_total = total;
	return 0;
}
