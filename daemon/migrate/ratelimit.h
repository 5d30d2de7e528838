/*
 * ratelimit.h - a token bucket shared by the threads that send on behalf of one job (the job's
 * bandwidth cap) or of the whole host (the host-wide cap).
 *
 * The bucket holds up to burst bytes and refills at rate bytes per second. A sender takes the
 * bytes it is about to send before sending them; the bucket may go into debt, and the answer
 * is how long the sender must wait so that the debt is paid by the time it sends. Taking
 * always accounts the bytes, so several senders sharing a bucket queue behind each other and
 * together never exceed the rate (over any interval longer than burst / rate), without a
 * scheduler or a wake-up list.
 *
 * Owns nothing but its counters. Does no I/O and never sleeps: the caller waits (a stream
 * waits on its cancel fd, so a cancel cuts the wait short).
 *
 * Threading: every function may be called from any thread; one mutex guards the bucket.
 */
#ifndef VFIO_MIGD_MIGRATE_RATELIMIT_H
#define VFIO_MIGD_MIGRATE_RATELIMIT_H

#include <stdint.h>

/* Burst used when none is given: this many milliseconds of the rate, at least the floor. */
#define RATELIMIT_BURST_DEFAULT_MS 100
#define RATELIMIT_BURST_FLOOR	   (UINT64_C(64) << 10)
/* Longest wait ratelimit_take() returns, so one huge take cannot stall a sender for hours. */
#define RATELIMIT_WAIT_MAX_US (UINT64_C(60) * 1000000)

struct ratelimit;

/*
 * A bucket of rate bytes per second (0 = unlimited) holding at most burst bytes (0 = the
 * default: RATELIMIT_BURST_DEFAULT_MS of the rate, at least RATELIMIT_BURST_FLOOR). The bucket
 * starts full. Returns 0 and *ret, or -ENOMEM; *ret is not written on failure.
 */
int ratelimit_new(uint64_t rate, uint64_t burst, struct ratelimit **ret);

/* Frees the bucket; no thread may still use it. NULL-safe. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Accounts bytes about to be sent and returns the microseconds to wait before sending them
 * (0 = send now), at most RATELIMIT_WAIT_MAX_US. Unlimited (rate 0) or rl NULL: always 0 and
 * nothing accounted.
 */
uint64_t ratelimit_take(struct ratelimit *rl, uint64_t bytes);

/*
 * Changes the rate (0 = unlimited) from now on; takes effect for the next ratelimit_take() of
 * every thread (a sender already waiting finishes its wait). Time up to now refills at the old
 * rate; any debt left is repaid at the new one. A burst given as 0 at creation follows the new
 * rate. Switching to unlimited forgives any debt; switching from it starts with a full bucket.
 */
void ratelimit_set_rate(struct ratelimit *rl, uint64_t rate);

/* The current rate in bytes per second (0 = unlimited). */
uint64_t ratelimit_rate(struct ratelimit *rl);

#endif
