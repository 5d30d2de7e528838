/*
 * converge.c - the convergence rule (converge.h). No state.
 */
#include "converge.h"

uint64_t converge_estimate_ms(const struct converge_dev *v, size_t n, uint64_t bw)
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total = total + v[i].remaining < total ? UINT64_MAX : total + v[i].remaining;
	if (total == 0)
		return 0;
	if (bw == 0)
		return CONVERGE_UNKNOWN;
	/* total * 1000 / bw, rounded up, without overflowing for huge totals */
	if (total > UINT64_MAX / 1000)
		return total / bw > UINT64_MAX / 1000 ? CONVERGE_UNKNOWN - 1 : total / bw * 1000;
	return (total * 1000 + bw - 1) / bw;
}

bool converge_ready(const struct converge_dev *v, size_t n, uint64_t bw, uint32_t limit_ms,
		    uint64_t *ret_estimate_ms)
{
	uint64_t est = converge_estimate_ms(v, n, bw);
	bool precopy = false;

	if (ret_estimate_ms)
		*ret_estimate_ms = est;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].precopy)
			continue;
		precopy = true;
		if (!v[i].initial_done)
			return false;
	}
	if (!precopy)
		return true;
	return est != CONVERGE_UNKNOWN && est <= limit_ms;
}
