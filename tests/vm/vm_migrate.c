/*
 * vm_migrate.c - the VM scenarios about migration data: data fds as the kernel hands them
 * out, a local save -> resume between the two mdevs, damaged streams, and device reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vfio_compat.h"
#include "vm_scen.h"

/* A raw data fd: close-on-exec (the core installs it O_CLOEXEC), of the given access mode. */
static int vm_check_data_fd(struct vm_ctx *c, int dfd, int accmode, const char *what)
{
	int fdfl = fcntl(dfd, F_GETFD), fl = fcntl(dfd, F_GETFL);

	CHECK(c, fdfl >= 0 && (fdfl & FD_CLOEXEC), "%s fd is not close-on-exec", what);
	CHECK(c, fl >= 0 && (fl & O_ACCMODE) == accmode, "%s fd has access mode %d", what,
	      fl & O_ACCMODE);
	return 0;
}

/* STOP -> STOP_COPY by raw ioctl: the save fd's semantics, stream = header + content. */
static int vm_raw_save(struct vm_ctx *c, int fd)
{
	uint64_t len = VM_HDR_SIZE + c->size;
	struct vm_hdr h;
	uint32_t echo;
	int dfd, gone;
	ssize_t n;

	CHECK_OK(c, vm_set_state_raw(fd, FSM_STOP_COPY, &echo, &dfd));
	if (vm_keep_fd(c, dfd) < 0 || vm_check_data_fd(c, dfd, O_RDONLY, "save") < 0)
		return -1;
	CHECK(c, echo == FSM_STOP_COPY, "SET STOP_COPY echoed state %u", echo);
	CHECK(c, pread(dfd, c->buf, 8, 0) < 0 && errno == ESPIPE, "pread on the save fd");
	CHECK(c, lseek(dfd, 0, SEEK_SET) < 0 && errno == ESPIPE, "lseek on the save fd");
	CHECK(c, write(dfd, c->buf, 1) < 0 && errno == EBADF, "write on the save fd");
	n = vm_read_full(dfd, c->stream, len + 1);
	CHECK(c, n == (ssize_t)len, "save stream of %zd bytes, expected %llu", n,
	      (unsigned long long)len);
	CHECK(c, read(dfd, c->buf, 1) == 0, "end of stream does not stay");
	vm_hdr_decode(c->stream, &h);
	CHECK(c,
	      h.magic == VM_MAGIC && h.version == VM_VERSION && h.size == c->size &&
		      h.reserved == 0,
	      "header: magic 0x%x version %u size %llu", h.magic, h.version,
	      (unsigned long long)h.size);
	CHECK(c, memcmp(c->stream + VM_HDR_SIZE, c->pat, c->size) == 0,
	      "the stream does not carry the region's content");
	CHECK(c, h.crc == vm_crc32(c->pat, c->size), "header CRC 0x%08x, content CRC 0x%08x", h.crc,
	      vm_crc32(c->pat, c->size));
	CHECK_OK(c, vm_set_state_raw(fd, FSM_STOP, &echo, &gone));
	CHECK(c, gone == -1, "STOP_COPY -> STOP returned fd %d", gone);
	CHECK(c, read(dfd, c->buf, 1) < 0 && errno == ENODEV,
	      "a read after STOP_COPY -> STOP did not fail with ENODEV");
	return 0;
}

/* STOP -> RESUMING -> STOP by raw ioctl, feeding back the stream vm_raw_save() read. */
static int vm_raw_resume(struct vm_ctx *c, int fd)
{
	ssize_t len = (ssize_t)(VM_HDR_SIZE + c->size);
	uint32_t echo;
	int dfd, gone;

	CHECK_OK(c, vm_set_state_raw(fd, FSM_RESUMING, &echo, &dfd));
	if (vm_keep_fd(c, dfd) < 0 || vm_check_data_fd(c, dfd, O_WRONLY, "resume") < 0)
		return -1;
	CHECK(c, pwrite(dfd, c->stream, 8, 0) < 0 && errno == ESPIPE, "pwrite on the resume fd");
	CHECK(c, read(dfd, c->buf, 1) < 0 && errno == EBADF, "read on the resume fd");
	/* c->stream has slack after the stream: the driver must take only what fits. */
	CHECK(c, write(dfd, c->stream, (size_t)len + 100) == len,
	      "a write past the end of the stream was not clipped");
	CHECK(c, write(dfd, c->stream, 1) < 0 && errno == ENOSPC,
	      "a write to a full resume stream did not fail with ENOSPC");
	CHECK_OK(c, vm_set_state_raw(fd, FSM_STOP, &echo, &gone));
	CHECK(c, write(dfd, c->stream, 1) < 0 && errno == ENODEV,
	      "a write after RESUMING -> STOP did not fail with ENODEV");
	return 0;
}

/* The same through the backend: sessions it opens, EOF, EBADF without one, ENOSPC. */
static int vm_backend_streams(struct vm_ctx *c)
{
	struct backend *b = device_backend(c->dev[0]);
	uint64_t total;

	CHECK_OK(c, device_refresh(c->dev[0]));
	CHECK(c, device_state(c->dev[0]) == FSM_STOP, "after the raw calls the device is %s",
	      fsm_state_name(device_state(c->dev[0])));
	if (vm_walk(c, 0, FSM_STOP_COPY) < 0 || vm_drain(c, 0, &total) < 0)
		return -1;
	CHECK(c, total == VM_HDR_SIZE + c->size, "backend save stream of %llu bytes",
	      (unsigned long long)total);
	CHECK(c, backend_stream_read(b, c->buf, 1) == 0, "backend EOF does not stay");
	if (vm_walk(c, 0, FSM_STOP) < 0)
		return -1;
	CHECK(c, backend_stream_read(b, c->buf, 1) == -EBADF, "stream_read after the session");
	if (vm_walk(c, 0, FSM_RESUMING) < 0)
		return -1;
	CHECK(c, backend_stream_write(b, c->stream, total) == (ssize_t)total,
	      "backend stream_write of the whole stream");
	CHECK(c, backend_stream_write(b, c->stream, 1) == -ENOSPC,
	      "backend stream_write past the end did not say ENOSPC");
	if (vm_walk(c, 0, FSM_RUNNING) < 0)
		return -1;
	CHECK(c, backend_stream_write(b, c->stream, 1) == -EBADF, "stream_write after the session");
	return vm_content_check(c, 0, c->pat, "the resumed content");
}

int vm_sc_data_fd(struct vm_ctx *c)
{
	int fd;

	if (vm_open(c, 0, c->uuid[0]) < 0)
		return -1;
	fd = vm_fd(c, 0);
	vm_pattern(c->pat, c->size, 3);
	if (vm_content_write(c, 0, c->pat) < 0 || vm_walk(c, 0, FSM_STOP) < 0)
		return -1;
	if (vm_raw_save(c, fd) < 0 || vm_raw_resume(c, fd) < 0 || vm_backend_streams(c) < 0)
		return -1;
	snprintf(c->note, sizeof(c->note),
		 "O_CLOEXEC fds, RDONLY/WRONLY, ESPIPE on pread/pwrite/lseek, header+CRC checked, "
		 "sticky EOF, ENODEV after the session, ENOSPC past the end");
	return 0;
}

static double vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vm_sc_migrate(struct vm_ctx *c)
{
	uint64_t total;
	double t0, dt;
	int r;

	if (vm_open(c, 0, c->uuid[0]) < 0 || vm_open(c, 1, c->uuid[1]) < 0)
		return -1;
	vm_pattern(c->buf, c->size, 2);
	if (vm_content_write(c, 1, c->buf) < 0)
		return -1;
	vm_pattern(c->pat, c->size, 1);
	if (vm_content_write(c, 0, c->pat) < 0 || vm_content_check(c, 0, c->pat, "written") < 0)
		return -1;
	t0 = vm_now();
	if (vm_walk(c, 0, FSM_STOP_COPY) < 0)
		return -1;
	r = vm_region_write(vm_fd(c, 0), c->region, c->buf, 16);
	CHECK(c, r == -EBUSY, "a region write to a stopped device = %s, expected EBUSY",
	      vm_errname(r));
	if (vm_walk(c, 1, FSM_RESUMING) < 0 || vm_pump(c, 0, 1, UINT64_MAX, &total) < 0)
		return -1;
	CHECK(c, total == VM_HDR_SIZE + c->size, "moved %llu bytes, expected %llu",
	      (unsigned long long)total, (unsigned long long)(VM_HDR_SIZE + c->size));
	/* As QEMU does: close the resume fd first, leave RESUMING later (the driver kept a ref). */
	backend_stream_close(device_backend(c->dev[1]));
	if (vm_walk(c, 1, FSM_RUNNING) < 0 || vm_walk(c, 0, FSM_RUNNING) < 0)
		return -1;
	dt = vm_now() - t0;
	if (vm_content_check(c, 1, c->pat, "A's content") < 0 ||
	    vm_content_check(c, 0, c->pat, "its content before the save") < 0)
		return -1;
	snprintf(c->note, sizeof(c->note),
		 "A -> B %llu-byte stream in %.2fs (%.0f MiB/s), B equals A, A intact; resume fd "
		 "closed before RESUMING -> STOP; region write EBUSY while stopped",
		 (unsigned long long)total, dt, (double)total / dt / 1048576.0);
	return 0;
}

/* How a damaged stream is made, and which way B's rejection is observed. */
struct vm_damage {
	const char *name;
	const char *corrupt; /* value for the corrupt= parameter while the save opens */
	bool truncate;	     /* move only half the stream */
	bool via_device;     /* device_set_state with recovery; else backend + reset by hand */
};

static const struct vm_damage vm_damages[] = {
	{ "magic", "1", false, true },	  { "version", "2", false, false },
	{ "size", "3", false, true },	  { "checksum", "4", false, false },
	{ "truncated", "0", true, true },
};

/* B refuses RESUMING -> STOP; device_set_state recovers by reset (the driver is in ERROR). */
static int vm_reject_device(struct vm_ctx *c, const struct vm_damage *k)
{
	uint64_t resets = device_reset_count(c->dev[1]);
	struct device_change chg;
	uint32_t now;
	int r;

	r = device_set_state(c->dev[1], FSM_RUNNING, FSM_RUNNING, &chg);
	CHECK(c, r == -EINVAL, "%s: B RESUMING -> RUNNING = %s, expected EINVAL", k->name,
	      vm_errname(r));
	CHECK(c, chg.failed_from == FSM_RESUMING && chg.failed_to == FSM_STOP,
	      "%s: the failed arc was %s -> %s", k->name, fsm_state_name(chg.failed_from),
	      fsm_state_name(chg.failed_to));
	CHECK(c,
	      chg.reset && chg.recovered && chg.reached == FSM_RUNNING &&
		      device_reset_count(c->dev[1]) == resets + 1,
	      "%s: recovery: reset %d, reached %s (%s)", k->name, chg.reset,
	      fsm_state_name(chg.reached), chg.reason);
	CHECK_OK(c, vm_get_state_raw(vm_fd(c, 1), &now));
	CHECK(c, now == FSM_RUNNING, "%s: B is %s after recovery", k->name,
	      fsm_state_name((int)now));
	return 0;
}

/* The same seen step by step: the SET fails, B is in ERROR, only a reset leaves it. */
static int vm_reject_raw(struct vm_ctx *c, const struct vm_damage *k)
{
	struct backend *b = device_backend(c->dev[1]);
	struct device_change chg;
	enum fsm_state now;
	uint32_t echo;
	bool opened;
	int r, dfd;

	r = backend_set_state(b, FSM_STOP, &opened);
	CHECK(c, r == -EINVAL, "%s: B SET STOP = %s, expected EINVAL", k->name, vm_errname(r));
	CHECK(c, backend_get_state(b, &now) == 0 && now == FSM_ERROR,
	      "%s: B is %s after the failed SET, expected ERROR", k->name, fsm_state_name(now));
	r = vm_set_state_raw(vm_fd(c, 1), FSM_RUNNING, &echo, &dfd);
	CHECK(c, r == -EINVAL, "%s: SET RUNNING from ERROR = %s", k->name, vm_errname(r));
	CHECK_OK(c, device_refresh(c->dev[1]));
	vm_count_reset();
	r = device_set_state(c->dev[1], FSM_RUNNING, FSM_RUNNING, &chg);
	CHECK(c, r == -EINVAL && vm_counts().feature_set == 0,
	      "%s: device_set_state from ERROR = %s with %lu SETs", k->name, vm_errname(r),
	      vm_counts().feature_set);
	CHECK_OK(c, device_reset(c->dev[1]));
	CHECK(c, device_state(c->dev[1]) == FSM_RUNNING, "%s: B is %s after reset", k->name,
	      fsm_state_name(device_state(c->dev[1])));
	return 0;
}

static int vm_damaged(struct vm_ctx *c, const struct vm_damage *k, uint64_t seed)
{
	uint64_t limit = k->truncate ? (VM_HDR_SIZE + c->size) / 2 : UINT64_MAX, total;

	vm_pattern(c->pat, c->size, seed);
	if (vm_content_write(c, 0, c->pat) < 0)
		return -1;
	CHECK_OK(c, vm_param_set("corrupt", k->corrupt));
	if (vm_walk(c, 0, FSM_STOP_COPY) < 0 || vm_walk(c, 1, FSM_RESUMING) < 0)
		return -1;
	/* The damage is decided when the save opens; the rest of the run is clean. */
	CHECK_OK(c, vm_param_set("corrupt", "0"));
	if (vm_pump(c, 0, 1, limit, &total) < 0)
		return -1;
	if (k->via_device ? vm_reject_device(c, k) < 0 : vm_reject_raw(c, k) < 0)
		return -1;
	if (vm_content_check(c, 1, NULL, "zeroed by the reset (nothing of the stream taken)") < 0)
		return -1;
	if (vm_walk(c, 0, FSM_RUNNING) < 0)
		return -1;
	return vm_content_check(c, 0, c->pat, "its content before the save");
}

int vm_sc_corrupt(struct vm_ctx *c)
{
	if (vm_open(c, 0, c->uuid[0]) < 0 || vm_open(c, 1, c->uuid[1]) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(vm_damages) / sizeof(vm_damages[0]); i++) {
		if (vm_damaged(c, &vm_damages[i], 10 + i) < 0)
			return -1;
	}
	snprintf(c->note, sizeof(c->note),
		 "bad magic, version, size, checksum, truncated: RESUMING -> STOP EINVAL, B in "
		 "ERROR until reset, A back to RUNNING intact");
	return 0;
}

/* A session the backend does not know of dies with the reset too (the driver disables it). */
static int vm_reset_raw_session(struct vm_ctx *c, int fd)
{
	uint32_t echo, now;
	int dfd;

	if (vm_walk(c, 0, FSM_STOP) < 0)
		return -1;
	CHECK_OK(c, vm_set_state_raw(fd, FSM_RESUMING, &echo, &dfd));
	if (vm_keep_fd(c, dfd) < 0)
		return -1;
	CHECK(c, write(dfd, c->pat, 8) == 8, "write to a raw resume fd");
	CHECK(c, ioctl(fd, VFIO_DEVICE_RESET) == 0, "VFIO_DEVICE_RESET: %s", strerror(errno));
	CHECK(c, write(dfd, c->pat, 8) < 0 && errno == ENODEV,
	      "a write after reset did not fail with ENODEV");
	CHECK_OK(c, vm_get_state_raw(fd, &now));
	CHECK(c, now == FSM_RUNNING, "after VFIO_DEVICE_RESET the device is %s",
	      fsm_state_name((int)now));
	return device_refresh(c->dev[0]);
}

/* A reset behind the backend's back: its fd is dead and the next opening SET is refused. */
static int vm_reset_behind(struct vm_ctx *c, int fd)
{
	struct backend *b = device_backend(c->dev[0]);
	bool opened;
	uint32_t now;
	ssize_t n;
	int r;

	if (vm_walk(c, 0, FSM_STOP_COPY) < 0)
		return -1;
	CHECK(c, ioctl(fd, VFIO_DEVICE_RESET) == 0, "VFIO_DEVICE_RESET: %s", strerror(errno));
	n = backend_stream_read(b, c->buf, 16);
	CHECK(c, n == -ENODEV, "stream_read after a reset = %zd, expected ENODEV", n);
	r = backend_set_state(b, FSM_STOP_COPY, &opened);
	CHECK(c, r == -EBADF && strstr(vfio_last_error(), "out of sync"),
	      "SET STOP_COPY after a hidden reset = %s: %s", vm_errname(r), vfio_last_error());
	CHECK_OK(c, vm_get_state_raw(fd, &now));
	CHECK(c, now == FSM_STOP_COPY, "the kernel is in %s", fsm_state_name((int)now));
	CHECK_OK(c, device_refresh(c->dev[0]));
	return vm_walk(c, 0, FSM_RUNNING);
}

int vm_sc_reset(struct vm_ctx *c)
{
	struct backend *b;
	uint32_t now;
	int fd;

	if (vm_open(c, 0, c->uuid[0]) < 0)
		return -1;
	b = device_backend(c->dev[0]);
	fd = vm_fd(c, 0);
	vm_pattern(c->pat, c->size, 5);
	if (vm_content_write(c, 0, c->pat) < 0 || vm_walk(c, 0, FSM_STOP_COPY) < 0)
		return -1;
	CHECK(c, backend_stream_read(b, c->buf, 100) == 100, "stream_read in STOP_COPY");
	vm_count_reset();
	CHECK_OK(c, device_reset(c->dev[0]));
	CHECK(c, vm_counts().reset == 1, "device_reset issued %lu resets", vm_counts().reset);
	CHECK_OK(c, vm_get_state_raw(fd, &now));
	CHECK(c, now == FSM_RUNNING && device_state(c->dev[0]) == FSM_RUNNING,
	      "after reset: kernel %s, device %s", fsm_state_name((int)now),
	      fsm_state_name(device_state(c->dev[0])));
	CHECK(c, backend_stream_read(b, c->buf, 1) == -EBADF, "the session survived the reset");
	if (vm_content_check(c, 0, NULL, "zeroed by the reset") < 0)
		return -1;
	if (vm_reset_raw_session(c, fd) < 0 || vm_reset_behind(c, fd) < 0)
		return -1;
	if (vm_walk(c, 0, FSM_RESUMING) < 0)
		return -1;
	CHECK_OK(c, device_reset(c->dev[0]));
	CHECK(c, backend_stream_write(b, c->pat, 8) == -EBADF, "the resume session survived");
	snprintf(c->note, sizeof(c->note),
		 "STOP_COPY and RESUMING sessions end (EBADF ours, ENODEV raw), RUNNING, content "
		 "zeroed; hidden reset seen as 'data fd out of sync'");
	return 0;
}
