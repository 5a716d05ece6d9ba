/* distinct.h - internal: the linear-counting bitmaps behind
 * STATE_OP_DISTINCT_ADD, shared by the memory backend (lib/state/memory.c)
 * and the Redis backend (src/state/redis.c) so that both pick the same bit
 * for a member and turn the same bitmaps into the same count.
 *
 * A bitmap is DISTINCT_BYTES bytes. Bit i is bit (7 - i % 8) of byte i / 8,
 * the order of Redis SETBIT/GET, so a bucket kept in Redis is byte for byte
 * the bucket the memory backend keeps.
 */
#ifndef SEKISHO_STATE_DISTINCT_H
#define SEKISHO_STATE_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/state.h"

#define DISTINCT_BYTES (STATE_DISTINCT_BITS / 8)

/* The bit `member` sets, 0..STATE_DISTINCT_BITS-1: SipHash-2-4 under a
 * fixed, public key. Every process (and every version that shares a
 * Redis) must agree on it, so the key and the reduction never change. */
uint32_t distinct_bit(sk_slice member);

/* Set bit `bit` (< STATE_DISTINCT_BITS) in a DISTINCT_BYTES bitmap. */
static inline void distinct_set(uint8_t *bits, uint32_t bit)
{
	bits[bit >> 3] |= (uint8_t)(0x80u >> (bit & 7));
}

/* The linear-counting estimate over cur | prev: -m ln(zero bits / m),
 * rounded to nearest, at most STATE_DISTINCT_MAX (also when no bit is
 * zero). A bitmap may be shorter than DISTINCT_BYTES (Redis returns a
 * string only as long as its highest set bit needs; missing bytes are
 * zero) or absent (NULL, 0); bytes past DISTINCT_BYTES are ignored. */
uint64_t distinct_estimate(const uint8_t *cur, size_t cur_len, const uint8_t *prev, size_t prev_len);

#endif
