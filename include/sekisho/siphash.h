/* siphash.h - SipHash, a keyed 64-bit pseudorandom function for short inputs.
 *
 * From "SipHash: a fast short-input PRF" (J.-P. Aumasson, D. J. Bernstein,
 * INDOCRYPT 2012). SipHash-c-d does c compression rounds per 8-byte word
 * and d finalisation rounds. Use it wherever an attacker chooses the input
 * and must not be able to predict or collide hashes, e.g. a cache of values
 * known to be clean: without the 16-byte secret key the outputs look
 * random. SipHash-2-4 is the paper's recommended instance; SipHash-1-3 is
 * the faster variant used by hash tables (CPython, Rust) and is enough for
 * a cache whose key never leaves the process.
 *
 * The key comes from the caller (lib/ does no I/O; fill it from getrandom).
 */
#ifndef SEKISHO_SIPHASH_H
#define SEKISHO_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* Incremental state: the result is the same however the input is split
 * across siphash_update calls. Zero-initialisation is not valid; call
 * siphash_init. */
typedef struct siphash_state {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;   /* pending bytes (little-endian), fewer than 8 */
	size_t ntail;
	uint64_t total;  /* bytes absorbed so far; its low byte is hashed in */
	int c, d;        /* compression and finalisation rounds */
} siphash_state;

/* Start a SipHash-c-d computation under `key` (16 bytes, read as two
 * little-endian 64-bit words as in the paper). c and d are >= 1. */
void siphash_init(siphash_state *s, const uint8_t key[SIPHASH_KEY_LEN], int c, int d);
/* Absorb `n` bytes at `p` (p may be NULL when n is 0). */
void siphash_update(siphash_state *s, const void *p, size_t n);
/* Finish and return the 64-bit tag. The state must not be updated after. */
uint64_t siphash_final(siphash_state *s);

/* One-shot SipHash-1-3 and SipHash-2-4 of `n` bytes at `p`. */
uint64_t siphash13(const uint8_t key[SIPHASH_KEY_LEN], const void *p, size_t n);
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *p, size_t n);

/* SipHash-1-3 of a message in three parts, as siphash13 of their
 * concatenation: the 8 bytes of `first` (little-endian), the `na` bytes at
 * `a` followed by zeros up to a multiple of 8, then the `nb` bytes at `b`.
 * One call with the state in registers and no partial-word buffering: for
 * tags of (fixed-size header, name, value) computed per request value. */
uint64_t siphash13_3(const uint8_t key[SIPHASH_KEY_LEN], uint64_t first, const void *a, size_t na, const void *b,
		     size_t nb);

#endif
