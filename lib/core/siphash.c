/* siphash.c - SipHash-c-d, written from the paper (Aumasson & Bernstein,
 * "SipHash: a fast short-input PRF", 2012); see include/sekisho/siphash.h. */
#include "sekisho/siphash.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/* Little-endian load of 8 bytes, whatever the host byte order. */
static inline uint64_t load64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* The SipRound of the paper: an ARX network over the four state words. */
static inline void sipround(siphash_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

/* Compression of one message word m: v3 ^= m, c rounds, v0 ^= m. */
static inline void compress(siphash_state *s, uint64_t m)
{
	s->v3 ^= m;
	for (int i = 0; i < s->c; i++)
		sipround(s);
	s->v0 ^= m;
}

void siphash_init(siphash_state *s, const uint8_t key[SIPHASH_KEY_LEN], int c, int d)
{
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	/* The initialisation constants spell "somepseudorandomlygeneratedbytes". */
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
	s->tail = 0;
	s->ntail = 0;
	s->total = 0;
	s->c = c > 0 ? c : 1;
	s->d = d > 0 ? d : 1;
}

void siphash_update(siphash_state *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	s->total += n;
	/* Fill a pending partial word first. */
	while (n && s->ntail) {
		s->tail |= (uint64_t)*b++ << (8 * s->ntail);
		n--;
		if (++s->ntail == 8) {
			compress(s, s->tail);
			s->tail = 0;
			s->ntail = 0;
		}
	}
	if (!n)
		return;
	if (n >= 8) {
		/* The whole words on a copy of the state, which the compiler
		 * keeps in registers (through s it stores every round back),
		 * with the common SipHash-1-x compression spelled out. */
		siphash_state w = *s;
		if (w.c == 1)
			for (; n >= 8; b += 8, n -= 8) {
				uint64_t m = load64(b);
				w.v3 ^= m;
				sipround(&w);
				w.v0 ^= m;
			}
		else
			for (; n >= 8; b += 8, n -= 8)
				compress(&w, load64(b));
		*s = w;
	}
	/* The last n < 8 bytes, little-endian, as one padded load. */
	uint8_t last[8] = { 0 };
	memcpy(last, b, n);
	s->tail = load64(last);
	s->ntail = n;
}

uint64_t siphash_final(siphash_state *s)
{
	/* The last word holds the remaining bytes and, in its top byte, the
	 * message length modulo 256. */
	compress(s, s->tail | (s->total & 0xff) << 56);
	s->v2 ^= 0xff;
	for (int i = 0; i < s->d; i++)
		sipround(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t siphash13(const uint8_t key[SIPHASH_KEY_LEN], const void *p, size_t n)
{
	siphash_state s;
	siphash_init(&s, key, 1, 3);
	siphash_update(&s, p, n);
	return siphash_final(&s);
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *p, size_t n)
{
	siphash_state s;
	siphash_init(&s, key, 2, 4);
	siphash_update(&s, p, n);
	return siphash_final(&s);
}

/* Whole words of `p` (n a multiple of 8) into the state words. */
#define ABSORB_WORDS(v, p, n)                               \
	for (size_t i_ = 0; i_ < (n); i_ += 8) {             \
		uint64_t m_ = load64((const uint8_t *)(p) + i_); \
		(v).v3 ^= m_;                                    \
		sipround(&(v));                                  \
		(v).v0 ^= m_;                                    \
	}

/* The last n < 8 bytes at p, little-endian, without a call to memcpy. */
static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
	uint64_t w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

uint64_t siphash13_3(const uint8_t key[SIPHASH_KEY_LEN], uint64_t first, const void *a, size_t na, const void *b,
		     size_t nb)
{
	siphash_state v;
	siphash_init(&v, key, 1, 3);
	v.v3 ^= first;
	sipround(&v);
	v.v0 ^= first;
	size_t wa = na & ~(size_t)7, wb = nb & ~(size_t)7;
	ABSORB_WORDS(v, a, wa);
	if (na > wa) {
		uint64_t m = load_tail((const uint8_t *)a + wa, na - wa);
		v.v3 ^= m;
		sipround(&v);
		v.v0 ^= m;
		na = wa + 8;
	}
	ABSORB_WORDS(v, b, wb);
	uint64_t total = 8 + na + nb;
	uint64_t m = load_tail((const uint8_t *)b + wb, nb - wb) | (total & 0xff) << 56;
	v.v3 ^= m;
	sipround(&v);
	v.v0 ^= m;
	v.v2 ^= 0xff;
	sipround(&v);
	sipround(&v);
	sipround(&v);
	return v.v0 ^ v.v1 ^ v.v2 ^ v.v3;
}
