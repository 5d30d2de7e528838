/*
 * sim_dirty.c - see sim_dirty.h.
 */
#include <time.h>

#include "sim_dirty.h"

#define NSEC_PER_SEC 1000000000ULL

void sim_dirty_init(struct sim_dirty *d, uint64_t rate, uint32_t page_size, uint64_t seed,
		    uint64_t now_ns)
{
	d->rate = rate;
	d->page_size = page_size;
	d->last_ns = now_ns;
	d->carry = 0;
	d->prng = seed ^ 0x6a09e667f3bcc909ULL;
}

uint64_t sim_dirty_due(struct sim_dirty *d, uint64_t now_ns, bool running)
{
	unsigned __int128 total, unit = (unsigned __int128)NSEC_PER_SEC * d->page_size;
	uint64_t elapsed = now_ns > d->last_ns ? now_ns - d->last_ns : 0;
	uint64_t pages;

	d->last_ns = now_ns;
	if (!running || d->rate == 0) {
		d->carry = 0;
		return 0;
	}
	total = (unsigned __int128)elapsed * d->rate + d->carry;
	if (total / unit > SIM_DIRTY_MAX_PER_CALL) {
		d->carry = 0;
		return SIM_DIRTY_MAX_PER_CALL;
	}
	pages = (uint64_t)(total / unit);
	d->carry = (uint64_t)(total % unit);
	return pages;
}

uint64_t sim_dirty_pick(struct sim_dirty *d, uint64_t npages)
{
	uint64_t z = (d->prng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	/* Multiply-shift maps the 64-bit draw onto [0, npages) without a division. */
	return (uint64_t)(((unsigned __int128)z * npages) >> 64);
}

uint64_t sim_dirty_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}
