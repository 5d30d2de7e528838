/*
 * sim_dirty.h - how fast a running sim device dirties its pages, computed lazily.
 *
 * There is no background thread: each time the device is looked at, the elapsed monotonic
 * time times the rate says how many pages were dirtied since the last look (the remainder is
 * carried), and a deterministic PRNG says which. No locking: the sim device's mutex covers it.
 */
#ifndef VFIO_MIGD_DEVICE_SIM_DIRTY_H
#define VFIO_MIGD_DEVICE_SIM_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

/* Most pages one look may dirty; a device left alone longer than that drops the excess. */
#define SIM_DIRTY_MAX_PER_CALL 65536u

struct sim_dirty {
	uint64_t rate;	    /* bytes per second */
	uint32_t page_size; /* bytes per page */
	uint64_t last_ns;   /* monotonic time of the last look */
	uint64_t carry;	    /* byte-nanoseconds not yet worth a whole page */
	uint64_t prng;	    /* state of the page picker */
};

/* Sets up a model that starts counting at now_ns; the picker is seeded from seed. */
void sim_dirty_init(struct sim_dirty *d, uint64_t rate, uint32_t page_size, uint64_t seed,
		    uint64_t now_ns);

/*
 * How many pages were dirtied between the last look and now_ns; running says whether the
 * device ran during that time (a stopped device dirties nothing and carries nothing).
 */
uint64_t sim_dirty_due(struct sim_dirty *d, uint64_t now_ns, bool running);

/* The next page to dirty, uniform in [0, npages). */
uint64_t sim_dirty_pick(struct sim_dirty *d, uint64_t npages);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sim_dirty_now_ns(void);

#endif
