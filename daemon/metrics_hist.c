/*
 * metrics_hist.c - fixed-bound histograms and their Prometheus samples. The buckets are
 * kept per bucket and cumulated only when written. Pure.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics_hist.h"

int metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n_bounds)
{
	if (!bounds || n_bounds == 0 || n_bounds > METRICS_HIST_BUCKETS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n_bounds; i++) {
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
			return -EINVAL;
	}
	*h = (struct metrics_hist){ .bounds = bounds, .n_bounds = n_bounds };
	return 0;
}

void metrics_hist_observe(struct metrics_hist *h, double v)
{
	size_t i = 0;

	if (isnan(v))
		return;
	while (i < h->n_bounds && v > h->bounds[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

/* name + suffix into buf ("x_bucket"). */
static const char *hist_name(char *buf, size_t len, const char *name, const char *suffix)
{
	snprintf(buf, len, "%s%s", name, suffix);
	return buf;
}

void metrics_hist_write(const struct metrics_hist *h, struct metrics_text *t, const char *name,
			const char *labels)
{
	char lab[METRICS_TEXT_LABELS_MAX + 64], n[128], le[40];
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;

	for (size_t i = 0; i <= h->n_bounds; i++) {
		cum += h->counts[i];
		if (i < h->n_bounds)
			snprintf(le, sizeof(le), "%.15g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(lab, sizeof(lab), "%s%sle=\"%s\"", labels ? labels : "", sep, le);
		metrics_text_sample(t, hist_name(n, sizeof(n), name, "_bucket"), lab, (double)cum);
	}
	metrics_text_sample(t, hist_name(n, sizeof(n), name, "_sum"), labels, h->sum);
	metrics_text_sample(t, hist_name(n, sizeof(n), name, "_count"), labels, (double)h->count);
}
