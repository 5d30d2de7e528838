/*
 * vfio_scenarios.c - the project's vfio backend against the real Linux VFIO core.
 *
 * Runs inside the test VM (tests/vm/run-vm-tests.sh) with the vmigtest driver loaded and two
 * of its mdevs created: A is the source, B the destination. Every scenario opens the devices
 * through vfio_open() and device_new() like the daemon does, drives them with
 * device_set_state() and the backend's stream calls, and checks the outcome with calls that
 * bypass the backend (raw ioctls, the device region, sysfs).
 *
 * Usage: vfio_scenarios UUID_A UUID_B [SCENARIO...]   (default: all, in table order)
 * Prints one line per scenario ("ok"/"FAIL", a failure followed by the last log lines of the
 * backend), then "vfio_scenarios: N passed, M failed". VM_LOG_LEVEL=debug|info|... echoes
 * every log line to stderr as well.
 * Exit status 0 only when every scenario passed; 2 on bad usage or setup failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "log.h"
#include "vfio_compat.h"
#include "vfio_dma_logging.h"
#include "vm_scen.h"

#define MIG_FLAGS (FSM_F_STOP_COPY | FSM_F_P2P)

static unsigned int vm_log_matches(const char *needle);

/* The states a STOP_COPY|P2P device has on 6.1. */
static const enum fsm_state vm_states[] = {
	FSM_STOP, FSM_RUNNING, FSM_STOP_COPY, FSM_RESUMING, FSM_RUNNING_P2P,
};

#define VM_NSTATES (sizeof(vm_states) / sizeof(vm_states[0]))

/* What the backend learned at open: flags, optional features, identity. */
static int vm_probe_backend(struct vm_ctx *c)
{
	const struct backend_caps *caps = device_caps(c->dev[0]);
	const struct backend_desc *desc = device_desc(c->dev[0]);
	struct backend *b = device_backend(c->dev[0]);
	char path[300];
	uint64_t u, v;

	CHECK(c, caps->mig_flags == MIG_FLAGS, "migration flags 0x%x, expected STOP_COPY|P2P",
	      caps->mig_flags);
	CHECK(c, !caps->precopy_info && !caps->data_size,
	      "6.1 device claims precopy info (%d) or MIG_DATA_SIZE (%d)", caps->precopy_info,
	      caps->data_size);
	CHECK(c, caps->dma_logging, "the PROBE of DMA_LOGGING_START failed");
	CHECK(c, device_state(c->dev[0]) == FSM_RUNNING, "opened in %s",
	      fsm_state_name(device_state(c->dev[0])));
	snprintf(path, sizeof(path), "/dev/vfio/%d:%s", vm_mdev_group(c->uuid[0]), c->uuid[0]);
	CHECK(c,
	      strcmp(desc->kind, "vfio") == 0 && strcmp(desc->driver, "vmigtest") == 0 &&
		      strcmp(desc->model, "mdev vmigtest-mig") == 0 &&
		      strcmp(desc->path, path) == 0 && desc->state_size == 0,
	      "describe: kind %s driver %s model %s path %s size %llu", desc->kind, desc->driver,
	      desc->model, desc->path, (unsigned long long)desc->state_size);
	CHECK(c, backend_data_size(b, &u) == -ENOTTY, "data_size did not say ENOTTY");
	CHECK(c, backend_precopy_info(b, &u, &v) == -ENOTTY, "precopy_info did not say ENOTTY");
	return 0;
}

/* The same questions asked of the kernel directly. */
static int vm_probe_raw(struct vm_ctx *c, int fd)
{
	struct vfio_device_feature_migration mig = { 0 };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	const uint32_t probe = VFIO_DEVICE_FEATURE_PROBE;
	uint64_t u;

	CHECK_OK(c, vm_feature_raw(fd, VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_GET,
				   &mig, sizeof(mig)));
	CHECK(c, mig.flags == MIG_FLAGS, "raw GET MIGRATION: 0x%llx",
	      (unsigned long long)mig.flags);
	CHECK(c,
	      vm_feature_raw(fd, VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_SET | probe,
			     NULL, 0) == -EINVAL,
	      "PROBE of SET on the GET-only MIGRATION feature did not fail with EINVAL");
	CHECK(c,
	      vm_feature_raw(fd,
			     VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | VFIO_DEVICE_FEATURE_GET | probe,
			     NULL, 0) == -ENOTTY,
	      "PROBE of MIG_DATA_SIZE did not say ENOTTY");
	CHECK(c,
	      vm_feature_raw(fd, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | VFIO_DEVICE_FEATURE_GET, &u,
			     sizeof(u)) == -ENOTTY,
	      "GET MIG_DATA_SIZE did not say ENOTTY");
	CHECK_OK(c, vm_feature_raw(fd,
				   VFIO_DEVICE_FEATURE_DMA_LOGGING_START | VFIO_DEVICE_FEATURE_SET |
					   probe,
				   NULL, 0));
	CHECK(c, ioctl(fd, VFIO_DEVICE_GET_INFO, &info) == 0, "GET_INFO: %s", strerror(errno));
	CHECK(c,
	      (info.flags & VFIO_DEVICE_FLAGS_RESET) && info.num_regions == 1 && info.num_irqs == 0,
	      "GET_INFO: flags 0x%x regions %u irqs %u", info.flags, info.num_regions,
	      info.num_irqs);
	return 0;
}

static int vm_sc_probe(struct vm_ctx *c)
{
	if (vm_open(c, 0, c->uuid[0]) < 0 || vm_probe_backend(c) < 0 ||
	    vm_probe_raw(c, vm_fd(c, 0)) < 0)
		return -1;
	/* Not a check: 6.1 has sysfs vfio-dev/vfioN but no cdev node; say what the backend did. */
	snprintf(c->note, sizeof(c->note),
		 "STOP_COPY|P2P, no PRE_COPY info, MIG_DATA_SIZE ENOTTY, DMA logging probed; "
		 "opened as %.200s%s",
		 device_desc(c->dev[0])->path,
		 vm_log_matches("using the group API") ? " after a failed cdev open" : "");
	return 0;
}

/*
 * In a child process: opening A must fail with EBUSY while the parent holds its group. The
 * default seam, not the parent's: the group list copied by fork() is keyed by seam, so the
 * child really opens /dev/vfio/N instead of reusing the group fd it inherited.
 */
static int vm_busy_child(const char *uuid)
{
	struct backend *b;
	int r = vfio_open(uuid, NULL, &b);

	if (r == -EBUSY)
		_exit(0);
	fprintf(stderr, "child: vfio_open(%s) = %d: %s\n", uuid, r, vfio_last_error());
	_exit(1);
}

static int vm_sc_open_forms(struct vm_ctx *c)
{
	char name[160], upper[64];
	int group = vm_mdev_group(c->uuid[0]), status;
	struct backend *b;
	pid_t pid;
	int r;

	CHECK(c, group >= 0, "no IOMMU group for %s: %s", c->uuid[0], vm_errname(group));
	snprintf(name, sizeof(name), "/dev/vfio/%d", group);
	if (vm_open(c, 0, name) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		vm_busy_child(c->uuid[0]);
	CHECK(c, pid > 0 && waitpid(pid, &status, 0) == pid, "fork/wait failed");
	CHECK(c, WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a second process opening the held group did not get EBUSY");
	device_free(c->dev[0]);
	c->dev[0] = NULL;

	snprintf(name, sizeof(name), "/dev/vfio/%d:%s", group, c->uuid[0]);
	if (vm_open(c, 0, name) < 0)
		return -1;
	snprintf(name, sizeof(name), "mdev:%s", c->uuid[1]);
	if (vm_open(c, 1, name) < 0)
		return -1;
	device_free(c->dev[1]);
	c->dev[1] = NULL;
	for (size_t i = 0; i <= strlen(c->uuid[1]) && i < sizeof(upper); i++)
		upper[i] = (char)(c->uuid[1][i] >= 'a' && c->uuid[1][i] <= 'f' ? c->uuid[1][i] - 32
									       : c->uuid[1][i]);
	if (vm_open(c, 1, upper) < 0)
		return -1;

	snprintf(name, sizeof(name), "/dev/vfio/%d:%s", group, c->uuid[1]);
	r = vfio_open(name, NULL, &b);
	CHECK(c, r == -ENOENT, "%s (B is not in A's group) = %s", name, vm_errname(r));
	r = vfio_open("00000000-0000-4000-8000-000000000000", NULL, &b);
	CHECK(c, r == -ENOENT, "an absent mdev UUID = %s", vm_errname(r));
	snprintf(c->note, sizeof(c->note),
		 "/dev/vfio/%d, /dev/vfio/%d:UUID, mdev:UUID, upper-case UUID; second process "
		 "EBUSY; wrong member and absent UUID ENOENT",
		 group, group);
	return 0;
}

/* True when the last arc of the kernel's path cur -> target opens a session. */
static bool vm_path_opens(enum fsm_state cur, enum fsm_state target)
{
	struct fsm_path p;
	enum fsm_state before;

	if (fsm_plan(cur, target, MIG_FLAGS, &p) < 0 || p.len == 0)
		return false;
	before = p.len > 1 ? p.step[p.len - 2] : cur;
	return fsm_arc_opens_save(before, p.step[p.len - 1]) ||
	       fsm_arc_opens_resume(before, p.step[p.len - 1]);
}

/* After reaching target: a session exists exactly where the state has one, and it works. */
static int vm_check_session(struct vm_ctx *c, enum fsm_state target)
{
	struct backend *b = device_backend(c->dev[0]);
	unsigned char hdr[VM_HDR_SIZE];
	struct vm_hdr h;
	ssize_t n;

	if (target == FSM_STOP_COPY) {
		n = backend_stream_read(b, hdr, sizeof(hdr));
		CHECK(c, n == VM_HDR_SIZE, "STOP_COPY stream_read = %zd", n);
		vm_hdr_decode(hdr, &h);
		CHECK(c, h.magic == VM_MAGIC && h.size == c->size, "bad header in STOP_COPY");
		return 0;
	}
	if (target == FSM_RESUMING) {
		n = backend_stream_write(b, c->stream, VM_HDR_SIZE);
		CHECK(c, n == VM_HDR_SIZE, "RESUMING stream_write = %zd", n);
		return 0;
	}
	n = backend_stream_read(b, hdr, sizeof(hdr));
	CHECK(c, n == -EBADF, "%s: stream_read = %zd, expected EBADF (no session)",
	      fsm_state_name(target), n);
	n = backend_stream_write(b, hdr, sizeof(hdr));
	CHECK(c, n == -EBADF, "%s: stream_write = %zd, expected EBADF", fsm_state_name(target), n);
	return 0;
}

/*
 * One (cur, target) pair: reach cur, feed RESUMING a valid stream if the path leaves it,
 * request target arc by arc (device_set_state) or in one SET (the driver walks with
 * vfio_mig_get_next_state), then check GET, the SET count, the session.
 */
static int vm_pair(struct vm_ctx *c, enum fsm_state cur, enum fsm_state target, bool one_set)
{
	struct fsm_path p;
	uint32_t raw;
	bool opened = false;
	unsigned long want_sets;
	int r;

	if (vm_reach(c, 0, cur) < 0)
		return -1;
	if (cur == FSM_RESUMING && target != FSM_RESUMING &&
	    backend_stream_write(device_backend(c->dev[0]), c->stream, VM_HDR_SIZE + c->size) !=
		    (ssize_t)(VM_HDR_SIZE + c->size))
		CHECK(c, false, "writing a valid stream in RESUMING failed: %s", vfio_last_error());
	CHECK(c, fsm_plan(cur, target, MIG_FLAGS, &p) == 0, "no plan %s -> %s", fsm_state_name(cur),
	      fsm_state_name(target));
	vm_count_reset();
	if (one_set) {
		r = backend_set_state(device_backend(c->dev[0]), target, &opened);
		want_sets = 1;
		if (r == 0)
			r = device_refresh(c->dev[0]);
	} else {
		struct device_change chg;

		r = device_set_state(c->dev[0], target, FSM_RUNNING, &chg);
		opened = chg.opened;
		want_sets = p.len;
	}
	CHECK(c, r == 0, "%s -> %s = %s: %s", fsm_state_name(cur), fsm_state_name(target),
	      vm_errname(r), vfio_last_error());
	CHECK_OK(c, vm_get_state_raw(vm_fd(c, 0), &raw));
	CHECK(c, raw == target && device_state(c->dev[0]) == target,
	      "%s -> %s: the kernel says %s, the device %s", fsm_state_name(cur),
	      fsm_state_name(target), fsm_state_name((int)raw),
	      fsm_state_name(device_state(c->dev[0])));
	CHECK(c, vm_counts().feature_set == want_sets, "%s -> %s issued %lu SETs, expected %lu",
	      fsm_state_name(cur), fsm_state_name(target), vm_counts().feature_set, want_sets);
	CHECK(c, opened == vm_path_opens(cur, target), "%s -> %s: opened %d, expected %d",
	      fsm_state_name(cur), fsm_state_name(target), opened, vm_path_opens(cur, target));
	return vm_check_session(c, target);
}

/* A valid stream of a freshly reset (all-zero) device, for leaving RESUMING. */
static int vm_capture_zero_stream(struct vm_ctx *c)
{
	uint64_t total;

	if (vm_reach(c, 0, FSM_STOP_COPY) < 0 || vm_drain(c, 0, &total) < 0)
		return -1;
	CHECK(c, total == VM_HDR_SIZE + c->size, "save stream of %llu bytes",
	      (unsigned long long)total);
	return vm_walk(c, 0, FSM_RUNNING);
}

static int vm_fsm(struct vm_ctx *c, bool one_set)
{
	unsigned int pairs = 0, arcs = 0;
	struct fsm_path p;

	if (vm_open(c, 0, c->uuid[0]) < 0 || vm_capture_zero_stream(c) < 0)
		return -1;
	for (size_t i = 0; i < VM_NSTATES; i++) {
		for (size_t j = 0; j < VM_NSTATES; j++) {
			if (vm_pair(c, vm_states[i], vm_states[j], one_set) < 0)
				return -1;
			fsm_plan(vm_states[i], vm_states[j], MIG_FLAGS, &p);
			arcs += p.len;
			pairs++;
		}
	}
	snprintf(c->note, sizeof(c->note),
		 "%u (cur, target) pairs, %u arcs, %s; GET, SET count and session checked", pairs,
		 arcs,
		 one_set ? "one SET each (the driver walks vfio_mig_get_next_state)"
			 : "one SET per arc (device_set_state)");
	return 0;
}

static int vm_sc_fsm_arcs(struct vm_ctx *c)
{
	return vm_fsm(c, false);
}

static int vm_sc_fsm_kernel(struct vm_ctx *c)
{
	return vm_fsm(c, true);
}

/* Raw SET of state must fail with EINVAL, echo the request, return no fd, change nothing. */
static int vm_raw_refused(struct vm_ctx *c, uint32_t state, enum fsm_state stays)
{
	uint32_t echo, now;
	int dfd, r;

	r = vm_set_state_raw(vm_fd(c, 0), state, &echo, &dfd);
	CHECK(c, r == -EINVAL, "raw SET %u from %s = %s, expected EINVAL", state,
	      fsm_state_name(stays), vm_errname(r));
	CHECK(c, dfd == -1 && echo == state, "raw SET %u failed but returned fd %d, state %u",
	      state, dfd, echo);
	CHECK_OK(c, vm_get_state_raw(vm_fd(c, 0), &now));
	CHECK(c, now == stays, "after a refused SET %u the device is %s, not %s", state,
	      fsm_state_name((int)now), fsm_state_name(stays));
	return 0;
}

static int vm_fsm_refuses(struct vm_ctx *c, enum fsm_state target, const char *needle)
{
	struct device_change chg;
	int r;

	vm_count_reset();
	r = device_set_state(c->dev[0], target, FSM_RUNNING, &chg);
	CHECK(c, r == -EINVAL && strstr(chg.reason, needle),
	      "device_set_state(%s) = %s, reason '%s'", fsm_state_name(target), vm_errname(r),
	      chg.reason);
	CHECK(c, vm_counts().feature_set == 0, "the FSM refusal of %s still issued %lu SETs",
	      fsm_state_name(target), vm_counts().feature_set);
	return 0;
}

static int vm_sc_illegal(struct vm_ctx *c)
{
	static const uint32_t bad[] = { 0, 6, 7, 8, 0xffffffffu };
	struct backend *b;
	unsigned char hdr[VM_HDR_SIZE];
	enum fsm_state now;
	bool opened;
	int fd, r;

	if (vm_open(c, 0, c->uuid[0]) < 0)
		return -1;
	b = device_backend(c->dev[0]);
	fd = vm_fd(c, 0);
	if (vm_fsm_refuses(c, FSM_ERROR, "ERROR") < 0 ||
	    vm_fsm_refuses(c, FSM_PRE_COPY, "flags") < 0 ||
	    vm_fsm_refuses(c, FSM_PRE_COPY_P2P, "flags") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vm_raw_refused(c, bad[i], FSM_RUNNING) < 0)
			return -1;
	}
	/* In STOP_COPY with an open session: refusals leave the state and the session alone. */
	if (vm_walk(c, 0, FSM_STOP_COPY) < 0 || vm_raw_refused(c, 6, FSM_STOP_COPY) < 0 ||
	    vm_raw_refused(c, 0, FSM_STOP_COPY) < 0)
		return -1;
	r = backend_set_state(b, FSM_PRE_COPY, &opened);
	CHECK(c, r == -EINVAL, "backend SET PRE_COPY (no FSM check) = %s", vm_errname(r));
	r = backend_set_state(b, FSM_ERROR, &opened);
	CHECK(c, r == -EINVAL, "backend SET ERROR (no FSM check) = %s", vm_errname(r));
	CHECK(c, backend_get_state(b, &now) == 0 && now == FSM_STOP_COPY, "state moved to %s",
	      fsm_state_name(now));
	CHECK(c, backend_stream_read(b, hdr, sizeof(hdr)) == VM_HDR_SIZE,
	      "the save session did not survive refused requests");

	/* Malformed feature calls, as the core validates them. */
	CHECK(c,
	      vm_feature_raw(fd, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_SET,
			     NULL, 0) == -EINVAL,
	      "SET MIG_DEVICE_STATE without payload");
	CHECK(c,
	      vm_feature_raw(fd,
			     VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_SET |
				     VFIO_DEVICE_FEATURE_GET,
			     hdr, 8) == -EINVAL,
	      "GET|SET without PROBE accepted");
	CHECK(c,
	      vm_feature_raw(fd,
			     VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_GET | (1u << 19),
			     hdr, 8) == -EINVAL,
	      "unknown flag bit accepted");
	r = vm_feature_raw(fd, 12 | VFIO_DEVICE_FEATURE_GET, hdr, 8);
	CHECK(c, r == -ENOTTY, "unknown feature 12 = %s, expected ENOTTY", vm_errname(r));
	snprintf(c->note, sizeof(c->note),
		 "FSM refuses ERROR/PRE_COPY/PRE_COPY_P2P with no ioctl; kernel EINVAL for "
		 "0,6,7,8,~0 (request echoed, fd -1); session survives; malformed calls EINVAL");
	return 0;
}

static int vm_sc_dma_logging(struct vm_ctx *c)
{
	struct vfio_dma_range range = { .iova = 1u << 20, .length = 1u << 16 };
	uint64_t bitmap[1] = { 0 }, page = 0;
	struct backend *b;
	int r;

	if (vm_open(c, 0, c->uuid[0]) < 0)
		return -1;
	b = device_backend(c->dev[0]);
	CHECK_OK(c, vfio_dma_logging_start(b, 4096, &range, 1, &page));
	CHECK(c, page == 4096, "the driver changed the page size to %llu",
	      (unsigned long long)page);
	r = vfio_dma_logging_start(b, 4096, &range, 1, &page);
	CHECK(c, r == -EBUSY, "a second start = %s, expected the driver's EBUSY", vm_errname(r));
	CHECK_OK(c, vfio_dma_logging_report(b, range.iova, range.length, 4096, bitmap, 1));
	CHECK(c, bitmap[0] == 0, "a device without DMA reported dirty pages 0x%llx",
	      (unsigned long long)bitmap[0]);
	CHECK_OK(c, vfio_dma_logging_stop(b));
	r = vfio_dma_logging_report(b, range.iova, range.length, 4096, bitmap, 1);
	CHECK(c, r == -EINVAL, "a report after stop = %s, expected EINVAL", vm_errname(r));
	snprintf(c->note, sizeof(c->note),
		 "start (page 4096 kept), second start EBUSY, empty report, stop, report after "
		 "stop EINVAL");
	return 0;
}

/* The backend's and device layer's log lines of the running scenario, shown if it fails. */
#define VM_LOG_LINES 12

static char vm_log[VM_LOG_LINES][200];
static unsigned int vm_log_count;

static void vm_log_sink(enum log_level level, const char *line, void *userdata)
{
	snprintf(vm_log[vm_log_count++ % VM_LOG_LINES], sizeof(vm_log[0]), "%s", line);
	if (userdata)
		fprintf(stderr, "  log: %s\n", line);
}

/* How many of the scenario's log lines so far contain needle. */
static unsigned int vm_log_matches(const char *needle)
{
	unsigned int first = vm_log_count > VM_LOG_LINES ? vm_log_count - VM_LOG_LINES : 0, n = 0;

	for (unsigned int i = first; i < vm_log_count; i++)
		n += strstr(vm_log[i % VM_LOG_LINES], needle) != NULL;
	return n;
}

static void vm_log_dump(void)
{
	unsigned int first = vm_log_count > VM_LOG_LINES ? vm_log_count - VM_LOG_LINES : 0;

	for (unsigned int i = first; i < vm_log_count; i++)
		printf("     log: %s\n", vm_log[i % VM_LOG_LINES]);
}

struct vm_scenario {
	const char *name;
	int (*run)(struct vm_ctx *c);
};

static const struct vm_scenario vm_scenarios[] = {
	{ "probe", vm_sc_probe },	{ "open-forms", vm_sc_open_forms },
	{ "fsm-arcs", vm_sc_fsm_arcs }, { "fsm-kernel", vm_sc_fsm_kernel },
	{ "illegal", vm_sc_illegal },	{ "data-fd", vm_sc_data_fd },
	{ "migrate", vm_sc_migrate },	{ "corrupt", vm_sc_corrupt },
	{ "reset", vm_sc_reset },	{ "dma-logging", vm_sc_dma_logging },
};

#define VM_NSCENARIOS (sizeof(vm_scenarios) / sizeof(vm_scenarios[0]))

static double vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Closes what a scenario left open, so the next one starts from closed devices. */
static void vm_clean(struct vm_ctx *c)
{
	for (int i = 0; i < 2; i++) {
		device_free(c->dev[i]);
		c->dev[i] = NULL;
	}
	while (c->nfds > 0)
		close(c->fds[--c->nfds]);
	vm_param_set("corrupt", "0");
	c->why[0] = '\0';
	c->note[0] = '\0';
}

static bool vm_run(struct vm_ctx *c, const struct vm_scenario *s)
{
	double t0 = vm_now();
	int r = s->run(c);

	if (r == 0) {
		printf("ok   %-12s %6.2fs  %s\n", s->name, vm_now() - t0, c->note);
	} else {
		printf("FAIL %-12s %6.2fs  %s\n", s->name, vm_now() - t0, c->why);
		vm_log_dump();
	}
	vm_log_count = 0;
	fflush(stdout);
	vm_clean(c);
	return r == 0;
}

/* Learns the content size from device A's region 0 and allocates the scratch buffers. */
static int vm_setup(struct vm_ctx *c)
{
	if (vm_open(c, 0, c->uuid[0]) < 0)
		return -1;
	CHECK_OK(c, vm_region(vm_fd(c, 0), &c->region, &c->size));
	c->pat = malloc(c->size);
	c->buf = malloc(c->size);
	/* Slack: vm_drain reads once past a full stream, vm_raw_resume writes 100 bytes past. */
	c->stream = malloc(VM_HDR_SIZE + c->size + 128);
	CHECK(c, c->pat && c->buf && c->stream, "out of memory for %llu-byte buffers",
	      (unsigned long long)c->size);
	return 0;
}

static const struct vm_scenario *vm_find(const char *name)
{
	for (size_t i = 0; i < VM_NSCENARIOS; i++) {
		if (strcmp(vm_scenarios[i].name, name) == 0)
			return &vm_scenarios[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct vm_ctx c = { 0 };
	unsigned int passed = 0, failed = 0;
	enum log_level level;

	if (argc < 3) {
		fprintf(stderr, "usage: %s UUID_A UUID_B [SCENARIO...]\n", argv[0]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (!vm_find(argv[i])) {
			fprintf(stderr, "%s: unknown scenario %s\n", argv[0], argv[i]);
			return 2;
		}
	}
	/* VM_LOG_LEVEL=debug (run-vm-tests.sh passes it on) also echoes every line as it comes. */
	level = LOG_LVL_INFO;
	if (getenv("VM_LOG_LEVEL") && log_level_parse(getenv("VM_LOG_LEVEL"), &level) < 0) {
		fprintf(stderr, "%s: bad VM_LOG_LEVEL %s\n", argv[0], getenv("VM_LOG_LEVEL"));
		return 2;
	}
	log_set_level(level);
	log_set_sink(vm_log_sink, getenv("VM_LOG_LEVEL") ? &level : NULL);
	c.uuid[0] = argv[1];
	c.uuid[1] = argv[2];
	if (vm_setup(&c) < 0) {
		printf("FAIL setup: %s\n", c.why);
		return 2;
	}
	vm_clean(&c);
	printf("vfio_scenarios: devices %s (A) and %s (B), %llu bytes of state each\n", c.uuid[0],
	       c.uuid[1], (unsigned long long)c.size);
	for (size_t i = 0; i < VM_NSCENARIOS; i++) {
		bool wanted = argc == 3;

		for (int k = 3; k < argc; k++)
			wanted |= strcmp(argv[k], vm_scenarios[i].name) == 0;
		if (!wanted)
			continue;
		if (vm_run(&c, &vm_scenarios[i]))
			passed++;
		else
			failed++;
	}
	printf("vfio_scenarios: %u passed, %u failed\n", passed, failed);
	free(c.pat);
	free(c.buf);
	free(c.stream);
	return failed ? 1 : 0;
}
