/* distinct.c - linear counting for STATE_OP_DISTINCT_ADD; see distinct.h
 * and include/sekisho/state.h.
 *
 * Linear counting (Whang, Vander-Zanden, Taylor, "A linear-time
 * probabilistic counting algorithm for database applications", 1990):
 * hash each member to one of m bits; after n distinct members the expected
 * fraction of zero bits is (1 - 1/m)^n ~ e^(-n/m), so n ~ -m ln(z/m). With
 * m = 1024 the standard error is sqrt(m (e^t - t - 1)) / n with t = n/m:
 * 2.2% at 100 members, 2.4% at 500. Small counts are exact unless two
 * members share a bit (1 in 1024 for a pair; the estimate already allows
 * for the collisions expected on average). The estimate is
 * capped at STATE_DISTINCT_MAX, below where a few zero bits left make it
 * swing wildly (one zero bit means 7098).
 *
 * The member's bit comes from a fixed key, not the per-process secret
 * one: proxies sharing Redis must set the same bit for the same account.
 * Knowing the key lets an attacker choose names that share a bit, but the
 * names he tries are the ones on his list, and 1023 of 1024 of them land
 * elsewhere.
 */
#include "distinct.h"

#include <math.h>
#include <string.h>

/* "sekisho distinct": fixed forever (see distinct_bit). */
static const uint8_t distinct_key[SIPHASH_KEY_LEN] = { 's', 'e', 'k', 'i', 's', 'h', 'o', ' ',
							'd', 'i', 's', 't', 'i', 'n', 'c', 't' };

/* Whole 64-bit words for the popcount, a mask for the bit choice. */
_Static_assert(STATE_DISTINCT_BITS % 64 == 0 && (STATE_DISTINCT_BITS & (STATE_DISTINCT_BITS - 1)) == 0,
	       "STATE_DISTINCT_BITS must be a power of two of at least 64");

uint32_t distinct_bit(sk_slice member)
{
	/* m is a power of two: the low bits of the tag are as good as any. */
	return (uint32_t)(siphash24(distinct_key, member.p, member.len) & (STATE_DISTINCT_BITS - 1));
}

uint64_t distinct_estimate(const uint8_t *cur, size_t cur_len, const uint8_t *prev, size_t prev_len)
{
	uint8_t all[DISTINCT_BYTES];
	memset(all, 0, sizeof(all));
	if (cur_len > DISTINCT_BYTES)
		cur_len = DISTINCT_BYTES;
	if (prev_len > DISTINCT_BYTES)
		prev_len = DISTINCT_BYTES;
	for (size_t i = 0; i < cur_len; i++)
		all[i] = cur[i];
	for (size_t i = 0; i < prev_len; i++)
		all[i] |= prev[i];
	unsigned ones = 0;
	for (size_t i = 0; i < DISTINCT_BYTES; i += 8) {
		uint64_t w;
		memcpy(&w, all + i, 8);
		ones += (unsigned)__builtin_popcountll(w);
	}
	unsigned zeros = STATE_DISTINCT_BITS - ones;
	if (zeros == 0)
		return STATE_DISTINCT_MAX;
	double est = -(double)STATE_DISTINCT_BITS * log((double)zeros / STATE_DISTINCT_BITS);
	/* est >= 0 (zeros <= m) and finite (zeros >= 1): the cast is defined. */
	uint64_t n = (uint64_t)(est + 0.5);
	return n > STATE_DISTINCT_MAX ? STATE_DISTINCT_MAX : n;
}
