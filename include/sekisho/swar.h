/* swar.h - word-at-a-time byte tests ("SIMD within a register").
 *
 * The common case for every scanner here is plain printable ASCII; these
 * tests let a loop skip 8 such bytes per step and fall back to its exact
 * per-byte logic only around the interesting ones. Loads go through memcpy
 * (no alignment or aliasing assumptions; compilers turn it into one load).
 */
#ifndef SEKISHO_SWAR_H
#define SEKISHO_SWAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGHS 0x8080808080808080ull

static inline uint64_t swar_load(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

/* Non-zero if some byte of w is < n (n <= 128). */
static inline uint64_t swar_has_less(uint64_t w, unsigned n)
{
	return (w - SWAR_ONES * n) & ~w & SWAR_HIGHS;
}

/* Non-zero if some byte of w equals b. */
static inline uint64_t swar_has_byte(uint64_t w, unsigned char b)
{
	uint64_t x = w ^ (SWAR_ONES * b);
	return (x - SWAR_ONES) & ~x & SWAR_HIGHS;
}

/* Length of the leading run of bytes in 0x20..0x7E (printable ASCII), in
 * steps of 8 (the caller finishes byte by byte). */
static inline size_t swar_printable_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i + 8 <= n) {
		uint64_t w = swar_load(p + i);
		if ((w & SWAR_HIGHS) || swar_has_less(w, 0x20) || swar_has_byte(w, 0x7f))
			break;
		i += 8;
	}
	return i;
}

/* Length of the leading run of ASCII bytes (< 0x80), in steps of 8. */
static inline size_t swar_ascii_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i + 8 <= n && !(swar_load(p + i) & SWAR_HIGHS))
		i += 8;
	return i;
}

#endif
