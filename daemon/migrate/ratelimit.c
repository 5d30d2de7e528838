/*
 * ratelimit.c - see ratelimit.h.
 *
 * The bucket's level is kept as a double in bytes: it refills continuously (elapsed time times
 * the rate, no tick), so callers that take often at a low rate lose no fractions, and 53 bits
 * of mantissa are exact far beyond any byte count a bucket sees between refills. A negative
 * level is debt: the bytes already promised to senders that are still waiting.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "ratelimit.h"

struct ratelimit {
	pthread_mutex_t lock;
	uint64_t rate;	  /* bytes per second, 0 = unlimited */
	uint64_t burst;	  /* most bytes the bucket holds */
	bool burst_auto;  /* burst follows the rate (given as 0) */
	double level;	  /* bytes available now; negative = debt */
	uint64_t last_ns; /* CLOCK_MONOTONIC of the last refill */
};

static uint64_t ratelimit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ratelimit_auto_burst(uint64_t rate)
{
	uint64_t b = rate / (1000 / RATELIMIT_BURST_DEFAULT_MS);

	return b < RATELIMIT_BURST_FLOOR ? RATELIMIT_BURST_FLOOR : b;
}

/* Adds what the rate earned since the last refill, up to the burst. Locked. */
static void ratelimit_refill(struct ratelimit *rl, uint64_t now)
{
	if (now > rl->last_ns && rl->rate)
		rl->level += (double)(now - rl->last_ns) * (double)rl->rate / 1e9;
	if (rl->level > (double)rl->burst)
		rl->level = (double)rl->burst;
	rl->last_ns = now;
}

int ratelimit_new(uint64_t rate, uint64_t burst, struct ratelimit **ret)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return -ENOMEM;
	pthread_mutex_init(&rl->lock, NULL);
	rl->rate = rate;
	rl->burst_auto = burst == 0;
	rl->burst = burst ? burst : ratelimit_auto_burst(rate);
	rl->level = (double)rl->burst;
	rl->last_ns = ratelimit_now_ns();
	*ret = rl;
	return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

uint64_t ratelimit_take(struct ratelimit *rl, uint64_t bytes)
{
	double wait_us = 0;
	uint64_t us;

	if (!rl)
		return 0;
	pthread_mutex_lock(&rl->lock);
	if (rl->rate) {
		ratelimit_refill(rl, ratelimit_now_ns());
		rl->level -= (double)bytes;
		if (rl->level < 0)
			wait_us = -rl->level * 1e6 / (double)rl->rate;
	}
	pthread_mutex_unlock(&rl->lock);
	if (wait_us >= (double)RATELIMIT_WAIT_MAX_US)
		return RATELIMIT_WAIT_MAX_US;
	/* Round up: waiting a microsecond too long is fine, too short would overrun the rate. */
	us = (uint64_t)wait_us;
	return (double)us < wait_us ? us + 1 : us;
}

void ratelimit_set_rate(struct ratelimit *rl, uint64_t rate)
{
	uint64_t old;

	pthread_mutex_lock(&rl->lock);
	ratelimit_refill(rl, ratelimit_now_ns());
	old = rl->rate;
	rl->rate = rate;
	if (rl->burst_auto)
		rl->burst = ratelimit_auto_burst(rate);
	/* Unlimited has no debt, and leaving it starts with a full bucket. */
	if (old == 0 || rate == 0 || rl->level > (double)rl->burst)
		rl->level = (double)rl->burst;
	pthread_mutex_unlock(&rl->lock);
}

uint64_t ratelimit_rate(struct ratelimit *rl)
{
	uint64_t r;

	pthread_mutex_lock(&rl->lock);
	r = rl->rate;
	pthread_mutex_unlock(&rl->lock);
	return r;
}
