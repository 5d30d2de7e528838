/*
 * metrics_hist.h - a Prometheus histogram with fixed bucket bounds: observe values, write
 * the cumulative buckets, the sum and the count in the text format (metrics_text.h).
 *
 * Plain value, no allocation. Not thread-safe: the event loop thread observes and writes.
 */
#ifndef VFIO_MIGD_DAEMON_METRICS_HIST_H
#define VFIO_MIGD_DAEMON_METRICS_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "metrics_text.h"

#define METRICS_HIST_BUCKETS_MAX 16 /* finite upper bounds of one histogram */

struct metrics_hist {
	const double *bounds; /* ascending finite upper bounds; +Inf is implicit */
	size_t n_bounds;      /* 1..METRICS_HIST_BUCKETS_MAX */
	uint64_t counts[METRICS_HIST_BUCKETS_MAX + 1]; /* per bucket, not cumulative; last: +Inf */
	uint64_t count;
	double sum;
};

/*
 * Sets h up, empty, with the bounds (kept by reference: a static table). Returns 0, or
 * -EINVAL for no bounds, too many, or bounds not finite and strictly ascending.
 */
int metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n_bounds);

/* Counts v in the first bucket whose bound is >= v (Prometheus' "le"); NaN is ignored. */
void metrics_hist_observe(struct metrics_hist *h, double v);

/*
 * Writes h's samples under name: name_bucket{labels,le="B"} (cumulative) for every bound
 * and +Inf, then name_sum{labels} and name_count{labels}. labels: from
 * metrics_text_labels(), or NULL or "" for none. The HELP/TYPE lines are the caller's.
 */
void metrics_hist_write(const struct metrics_hist *h, struct metrics_text *t, const char *name,
			const char *labels);

#endif
