/*
 * pump.h - moves a save stream from one local device into another's resume stream, in the
 * calling thread, with one bounded buffer. It is the device-layer demo's and tests' stand-in for
 * the network between two hosts (daemon/migrate/ does the real thing over TLS).
 */
#ifndef VFIO_MIGD_TEST_PUMP_H
#define VFIO_MIGD_TEST_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

struct pump {
	struct device *src, *dst;
	uint8_t *buf;
	size_t len;
	uint64_t bytes; /* moved so far */
};

/*
 * Copies until the source has nothing more for now (pre-copy: -ENOMSG) or its stream ended
 * (stop-copy: EOF). Returns 1 at a temporary end, 0 at EOF, or the first -errno of either side
 * (a write error is fatal: the destination's stream is then unusable).
 */
int pump_run(struct pump *p);

#endif
