/*
 * sim.h - the simulated VFIO migration device: a backend that follows the kernel's migration
 * rules exactly (states, arcs, sessions, ENOMSG/EOF, precopy info, data size, validation at
 * RESUMING -> STOP, reset) so the daemon runs and is tested without VFIO hardware.
 *
 * Content is npages pages of deterministic bytes (sim_content.h) that the device dirties while
 * it runs; a digest proves that two devices hold the same content. Faults can be injected per
 * device. Metadata costs a few bytes per page and nothing per device byte, so a multi-GiB
 * device is cheap.
 *
 * Threading: as backend.h says; every entry point takes the device's one mutex.
 */
#ifndef VFIO_MIGD_DEVICE_SIM_H
#define VFIO_MIGD_DEVICE_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/* Largest number of pages a device may have (page indices and versions stay 32-bit sized). */
#define SIM_NPAGES_MAX (1ULL << 32)
/* Longest sleep slow_read_us may ask for. */
#define SIM_SLOW_READ_MAX_US 10000000u
/* Longest time slow_arc_ms may make one arc take. */
#define SIM_SLOW_ARC_MAX_MS 60000u

/* Faults to inject. Each one is observable; see sim.c for exactly what each does. */
struct sim_faults {
	int fail_from,
		fail_to;    /* fail the direct arc fail_from -> fail_to (each time); -1 = none */
	int fail_errno;	    /* errno the failed SET returns (positive, default EIO) */
	bool fail_to_error; /* after the failed arc the device sits in ERROR (else in fail_from) */
	int64_t corrupt_at; /* flip one byte at this save-stream offset (every session); -1 = none */
	uint32_t slow_read_us; /* sleep this long in every stream_read */
	int64_t reset_at; /* the device resets itself, once, when a save stream reaches this offset */
	uint32_t slow_arc_ms;	/* every SET taking a slow arc first sleeps this long; 0 = none */
	int slow_from, slow_to; /* the slow arc (a direct arc); -1 = every arc */
};

struct sim_config {
	uint64_t size;	     /* bytes of device content (> 0; rounded up to whole pages) */
	uint32_t page_size;  /* power of two 512 .. 1 MiB, default 4096 */
	uint32_t mig_flags;  /* FSM_F_*, default all; must be fsm_flags_valid */
	uint64_t seed;	     /* content seed */
	uint64_t dirty_rate; /* bytes per second the device dirties while running; 0 = none */
	struct sim_faults faults;
};

/* Defaults: 64 MiB, 4096-byte pages, all flags, seed 1, no dirtying, no faults. */
void sim_config_init(struct sim_config *c);

/*
 * Parses "size=256M,page=4096,flags=stop_copy|p2p|pre_copy,seed=7,dirty_rate=8M,
 * fail_arc=RESUMING>STOP,fail_errno=EIO,fail_to_error=1,corrupt_at=100000,slow_read_us=100,
 * reset_at=5000000,slow_arc_ms=2500,slow_arc=RUNNING_P2P>STOP_COPY" (any subset, in any order;
 * sizes and offsets take K/M/G/T suffixes in binary units; fail_arc, corrupt_at, reset_at and
 * slow_arc also take "none"; slow_arc_ms without slow_arc slows every arc) on top of *ret,
 * then checks
 * the result with sim_config_check(). Returns 0, or -EINVAL with *ret_err (may be NULL) set to a
 * message naming the bad key, valid until the calling thread's next call; *ret is not written
 * on failure.
 */
int sim_config_parse(const char *spec, struct sim_config *ret, const char **ret_err);

/*
 * Checks a whole configuration: size, page size, flags, the page count limit, and that
 * fail_arc and slow_arc are direct arcs the flags allow. Returns 0 or -EINVAL with *ret_err (may be
 * NULL) a static message naming the bad key.
 */
int sim_config_check(const struct sim_config *c, const char **ret_err);

/*
 * Creates a sim device named name (for logs; truncated to 63 bytes) in RUNNING with version 0
 * of every page. Returns 0 and *ret (free with backend_free), -EINVAL for a configuration that
 * sim_config_check() refuses, or -ENOMEM.
 */
int sim_new(const char *name, const struct sim_config *cfg, struct backend **ret);

/*
 * Test hooks. b must come from sim_new().
 */

/* Dirties one page now, as the running device would. -EINVAL when page is out of range,
 * -EBUSY when the device is not in a running state. */
int sim_touch(struct backend *b, uint64_t page);

/* How many resets happened (VFIO_DEVICE_RESET and the reset_at fault). */
uint64_t sim_resets(struct backend *b);

/* Replaces the device's faults (reset_at is re-armed). Returns 0 or -EINVAL as
 * sim_config_check() would for them. */
int sim_set_faults(struct backend *b, const struct sim_faults *f);

#endif
