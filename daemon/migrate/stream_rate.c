/*
 * stream_rate.c - a stream's moving throughput: (time, byte count) samples taken at most every
 * STREAM_RATE_SLOT_NS, kept in a ring of STREAM_RATE_SLOTS; the rate is the bytes since the
 * oldest sample over the time since it. A stalled stream takes no samples, so its rate decays
 * towards 0 as the oldest sample ages instead of freezing at the last good value.
 *
 * Pure; the caller (stream.c) holds the stream's lock.
 */
#include "stream_int.h"

void stream_rate_add(struct stream_rate *r, uint64_t now_ns, uint64_t bytes)
{
	unsigned int last = (r->head + STREAM_RATE_SLOTS - 1) % STREAM_RATE_SLOTS;

	if (r->n && now_ns - r->t_ns[last] < STREAM_RATE_SLOT_NS)
		return;
	r->t_ns[r->head] = now_ns;
	r->bytes[r->head] = bytes;
	r->head = (r->head + 1) % STREAM_RATE_SLOTS;
	if (r->n < STREAM_RATE_SLOTS)
		r->n++;
}

uint64_t stream_rate_get(const struct stream_rate *r, uint64_t now_ns, uint64_t bytes)
{
	unsigned int oldest = (r->head + STREAM_RATE_SLOTS - r->n) % STREAM_RATE_SLOTS;
	uint64_t dt;

	if (!r->n || now_ns <= r->t_ns[oldest] || bytes < r->bytes[oldest])
		return 0;
	dt = now_ns - r->t_ns[oldest];
	return (uint64_t)((double)(bytes - r->bytes[oldest]) * 1e9 / (double)dt);
}
