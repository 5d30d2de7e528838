/*
 * vm_scen.h - what the VM scenarios share: the context the runner hands each scenario, the
 * CHECK macro, and helpers that open and drive the two vmigtest mdevs through the backend.
 *
 * A scenario returns 0 when everything it checks holds, else -1 with c->why saying what did
 * not. Whatever it opens goes into the context, which the runner cleans after every scenario
 * (devices freed, raw fds closed, corrupt=0), so one failure cannot leave a group open for
 * the next scenario. Single-threaded.
 */
#ifndef VFIO_MIGD_TESTS_VM_SCEN_H
#define VFIO_MIGD_TESTS_VM_SCEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "device.h"
#include "vfio.h"
#include "vm_raw.h"

#define VM_MAX_FDS 8

struct vm_ctx {
	const char *uuid[2];   /* mdev A (source) and B (destination) */
	struct device *dev[2]; /* open devices, or NULL */
	int fds[VM_MAX_FDS];   /* raw data fds to close after the scenario */
	unsigned int nfds;
	uint64_t size;	    /* content bytes of every device (region 0 size) */
	uint64_t region;    /* region 0 offset in the device fd */
	unsigned char *pat; /* scratch buffers of size bytes */
	unsigned char *buf;
	unsigned char *stream; /* VM_HDR_SIZE + size bytes */
	char why[512];	       /* the failed check */
	char note[512];	       /* what passed, for the ok line */
};

/* Fails the running scenario unless cond holds; the message says what was seen. */
#define CHECK(c, cond, ...)                                                \
	do {                                                               \
		if (!(cond)) {                                             \
			snprintf((c)->why, sizeof((c)->why), __VA_ARGS__); \
			return -1;                                         \
		}                                                          \
	} while (0)

/* Same, for a call that returns 0 or -errno; adds the errno and the backend's last error. */
#define CHECK_OK(c, expr)                                                                 \
	do {                                                                              \
		int ck_r_ = (int)(expr);                                                  \
		CHECK(c, ck_r_ == 0, "%s = %d (%s): %s", #expr, ck_r_, vm_errname(ck_r_), \
		      vfio_last_error());                                                 \
	} while (0)

/* "EINVAL" for -EINVAL or EINVAL, "0" for 0. */
const char *vm_errname(int err);

/* Opens mdev i (0 = A, 1 = B) by name through the counting seam into c->dev[i]. */
int vm_open(struct vm_ctx *c, int i, const char *name);

/* The device fd of c->dev[i]. */
int vm_fd(struct vm_ctx *c, int i);

/* Keeps a raw fd for the runner to close. */
int vm_keep_fd(struct vm_ctx *c, int fd);

/* device_set_state with recovery to RUNNING; fails the scenario on error. */
int vm_walk(struct vm_ctx *c, int i, enum fsm_state target);

/* Resets the device, then walks it to s (RUNNING, zeroed content, no session, then s). */
int vm_reach(struct vm_ctx *c, int i, enum fsm_state s);

/* Region content of device i into buf, or pattern into device i; 0 or fails the scenario. */
int vm_content_read(struct vm_ctx *c, int i, unsigned char *buf);
int vm_content_write(struct vm_ctx *c, int i, const unsigned char *buf);

/* Device i's content equals buf (all-zero when buf is NULL). */
int vm_content_check(struct vm_ctx *c, int i, const unsigned char *buf, const char *what);

/* Moves device i's whole save stream into dev j's resume session, up to limit bytes. */
int vm_pump(struct vm_ctx *c, int i, int j, uint64_t limit, uint64_t *ret_total);

/* Reads the whole save stream of device i (in STOP_COPY) into c->stream. */
int vm_drain(struct vm_ctx *c, int i, uint64_t *ret_total);

/* Scenarios in vm_migrate.c. */
int vm_sc_data_fd(struct vm_ctx *c);
int vm_sc_migrate(struct vm_ctx *c);
int vm_sc_corrupt(struct vm_ctx *c);
int vm_sc_reset(struct vm_ctx *c);

#endif
