/* test_siphash.c - SipHash-c-d (lib/core/siphash.c): the test vector and
 * initial state printed in the paper, SipHash-1-3 values cross-checked with
 * an independent implementation, and split-independence of the streaming
 * interface. */
#include <stdint.h>

#include "harness.h"
#include "sekisho/siphash.h"

static uint8_t key_seq[16], msg_seq[64];

static void setup(void)
{
	for (int i = 0; i < 16; i++)
		key_seq[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg_seq[i] = (uint8_t)i;
}

/* Appendix A of the paper: key 00 01 .. 0f, message 00 01 .. 0e (15 bytes),
 * SipHash-2-4 returns a129ca6149be45e5. */
static void test_paper_vector(void)
{
	CHECK(siphash24(key_seq, msg_seq, 15) == 0xa129ca6149be45e5ULL);
}

/* Appendix A also shows the state right after initialisation. */
static void test_paper_initial_state(void)
{
	siphash_state s;
	siphash_init(&s, key_seq, 2, 4);
	CHECK(s.v0 == 0x7469686173716475ULL);
	CHECK(s.v1 == 0x6b617f6d656e6665ULL);
	CHECK(s.v2 == 0x6b7f62616d677361ULL);
	CHECK(s.v3 == 0x7b6b696e727e6c7bULL);
}

/* SipHash-1-3 under the all-zero key of messages 00 01 .. (n-1), as
 * computed by CPython 3.11's own SipHash-1-3 (hash(bytes(range(n))) with
 * PYTHONHASHSEED=0, which zeroes its key): a second implementation written
 * independently of this one. */
static void test_siphash13_values(void)
{
	static const struct {
		size_t n;
		uint64_t want;
	} v[] = {
		{ 1, 0x68a914128e01e473ULL },  { 7, 0x2f098ab0c751325aULL },  { 8, 0xead411e67ebe2eeaULL },
		{ 9, 0x75927f9d95124362ULL },  { 15, 0xf30eb725bb91c9eaULL }, { 16, 0x8972188433a5c5b7ULL },
		{ 63, 0x385d3e39e5f37359ULL },
	};
	static const uint8_t zero[16];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK(siphash13(zero, msg_seq, v[i].n) == v[i].want);
}

/* Streaming: the same tag for every way of splitting the input in three. */
static void test_split_independent(void)
{
	for (size_t n = 0; n <= 40; n++) {
		uint64_t want13 = siphash13(key_seq, msg_seq, n), want24 = siphash24(key_seq, msg_seq, n);
		for (size_t a = 0; a <= n; a++)
			for (size_t b = a; b <= n; b++) {
				siphash_state s;
				siphash_init(&s, key_seq, 1, 3);
				siphash_update(&s, msg_seq, a);
				siphash_update(&s, msg_seq + a, b - a);
				siphash_update(&s, msg_seq + b, n - b);
				CHECK(siphash_final(&s) == want13);
				siphash_init(&s, key_seq, 2, 4);
				siphash_update(&s, msg_seq, a);
				siphash_update(&s, msg_seq + a, b - a);
				siphash_update(&s, msg_seq + b, n - b);
				CHECK(siphash_final(&s) == want24);
			}
	}
	siphash_state s;
	siphash_init(&s, key_seq, 1, 3);
	siphash_update(&s, NULL, 0);
	CHECK(siphash_final(&s) == siphash13(key_seq, "", 0));
}

/* Every key bit and every message bit changes the tag (the property the
 * clean-value cache relies on: no key, no predictable collisions). */
static void test_every_bit_matters(void)
{
	uint64_t base = siphash13(key_seq, msg_seq, 15);
	for (int bit = 0; bit < 128; bit++) {
		uint8_t k[16];
		memcpy(k, key_seq, 16);
		k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(siphash13(k, msg_seq, 15) != base);
	}
	for (int bit = 0; bit < 15 * 8; bit++) {
		uint8_t m[15];
		memcpy(m, msg_seq, 15);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(siphash13(key_seq, m, 15) != base);
	}
	/* The length is hashed: a trailing zero byte is not the same message. */
	CHECK(siphash13(key_seq, msg_seq, 1) != siphash13(key_seq, msg_seq, 2) || msg_seq[1] != 0);
	uint8_t z[2] = { 0, 0 };
	CHECK(siphash13(key_seq, z, 1) != siphash13(key_seq, z, 2));
}

/* siphash13_3 is siphash13 of its three parts laid end to end, the middle
 * one padded with zeros to whole words: every length split 0..20 x 0..20. */
static void test_three_parts(void)
{
	uint8_t key[SIPHASH_KEY_LEN], msg[64];
	for (int i = 0; i < SIPHASH_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < (int)sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 37 + 11);
	uint64_t first = 0x0123456789abcdefULL;
	int bad = 0;
	for (size_t na = 0; na <= 20; na++)
		for (size_t nb = 0; nb <= 20; nb++) {
			uint8_t flat[8 + 24 + 20] = { 0 };
			for (int k = 0; k < 8; k++)
				flat[k] = (uint8_t)(first >> (8 * k));
			memcpy(flat + 8, msg, na);
			size_t padded = (na + 7) & ~(size_t)7;
			memcpy(flat + 8 + padded, msg + 30, nb);
			if (siphash13_3(key, first, msg, na, msg + 30, nb) != siphash13(key, flat, 8 + padded + nb))
				bad++;
		}
	CHECK_INT(bad, 0);
}

int main(void)
{
	setup();
	RUN(test_paper_vector);
	RUN(test_paper_initial_state);
	RUN(test_siphash13_values);
	RUN(test_split_independent);
	RUN(test_every_bit_matters);
	RUN(test_three_parts);
	return harness_done("siphash");
}
