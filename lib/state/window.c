/* window.c - sliding-window counter math; see include/sekisho/state.h.
 *
 * Two fixed buckets per key: `cur` holds the events of the bucket that
 * contains now, `prev` those of the bucket before. The window of length W
 * ending at now covers the last W - elapsed ms of the previous bucket, so
 * prev counts with weight (W - elapsed) / W. Rounding up keeps a lone
 * event counted until it is a whole window old: an attacker gains nothing
 * from spacing attempts to hit the rounding.
 */
#include "sekisho/state.h"

uint64_t window_estimate(uint64_t cur, uint64_t prev, uint64_t elapsed_ms, uint32_t window_ms)
{
	if (window_ms == 0 || elapsed_ms >= window_ms || prev == 0)
		return cur;
	if (prev > UINT32_MAX)
		prev = UINT32_MAX;
	/* prev < 2^32 and the remaining part < 2^32: the product fits. */
	uint64_t rem = window_ms - elapsed_ms;
	uint64_t part = (prev * rem + window_ms - 1) / window_ms;
	return window_sat_add(cur, part);
}
