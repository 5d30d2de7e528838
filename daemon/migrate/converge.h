/*
 * converge.h - when a pre-copying job may switch over: the rule of architecture.md step 3 as
 * a pure function, so it can be tested on numbers alone.
 *
 * A job converges when every pre-copying device has sent its initial bytes (VFIO's
 * initial_bytes reached 0: the uAPI recommends loading them before stopping, which is what
 * QEMU's switchover-ack enforces) and the estimated stop-copy time, the bytes still to move
 * over all devices divided by the measured bandwidth, fits the downtime limit. A job without
 * pre-copying devices has nothing to wait for.
 *
 * Pure; safe from any thread.
 */
#ifndef VFIO_MIGD_MIGRATE_CONVERGE_H
#define VFIO_MIGD_MIGRATE_CONVERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONVERGE_UNKNOWN UINT64_MAX /* an estimate that cannot be made (no bandwidth yet) */

struct converge_dev {
	bool precopy;	    /* the device streams in PRE_COPY */
	bool initial_done;  /* its initial bytes were sent (precopy devices only) */
	uint64_t remaining; /* bytes stop-copy will still have to move for it */
};

/*
 * Milliseconds to move every device's remaining bytes at bw bytes/s, rounded up: 0 when
 * nothing remains, CONVERGE_UNKNOWN when something remains and bw is 0.
 */
uint64_t converge_estimate_ms(const struct converge_dev *v, size_t n, uint64_t bw);

/* Whether the job may switch over now; *ret_estimate_ms (may be NULL) gets the estimate. */
bool converge_ready(const struct converge_dev *v, size_t n, uint64_t bw, uint32_t limit_ms,
		    uint64_t *ret_estimate_ms);

#endif
