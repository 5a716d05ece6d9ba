/* test_state.c - window math, the memory backend and the fallback wrapper
 * (no network; the Redis backend has test_state_redis.c). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/state/distinct.h"
#include "harness.h"
#include "sekisho/state.h"

#define W 1000u

static state *mem(size_t n)
{
	state *s = state_memory_new(n, NULL);
	if (!s)
		abort();
	return s;
}

static uint64_t add(state *s, const char *k, uint32_t n, uint32_t w, uint64_t now)
{
	uint64_t c = 12345;
	int rc = state_count_add(s, sk_slice_make(k, strlen(k)), n, w, now, &c);
	CHECK_INT(rc, STATE_OK);
	return c;
}

static uint64_t get(state *s, const char *k, uint32_t w, uint64_t now)
{
	uint64_t c = 12345;
	int rc = state_count_get(s, sk_slice_make(k, strlen(k)), w, now, &c);
	CHECK_INT(rc, STATE_OK);
	return c;
}

static uint64_t dadd(state *s, const char *k, const char *member, uint32_t w, uint64_t now)
{
	uint64_t c = 12345;
	int rc = state_distinct_add(s, sk_slice_make(k, strlen(k)), sk_slice_make(member, strlen(member)), w, now,
				    &c);
	CHECK_INT(rc, STATE_OK);
	return c;
}

/* ---- window math from tests/data/state/window.txt ---- */

static int next_u64(char **p, unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (end == *p || errno)
		return 0;
	*p = end;
	return 1;
}

static void window_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	unsigned long long v[5];
	char *p = l->buf;
	int ok = 1;
	for (int i = 0; i < 5 && ok; i++)
		ok = next_u64(&p, &v[i]);
	if (!ok || v[3] > UINT32_MAX) {
		harness_fail("bad window.txt line", l->buf, l->len);
		harness_count(0);
		return;
	}
	uint64_t got = window_estimate(v[0], v[1], v[2], (uint32_t)v[3]);
	if (got != v[4]) {
		fprintf(stderr, "  window.txt:%d: got %llu\n", l->lineno, (unsigned long long)got);
		harness_fail("window_estimate", l->buf, l->len);
	}
	harness_count(got == v[4]);
}

/* ---- counters ---- */

static void test_window_boundaries(void)
{
	state *s = mem(64);
	CHECK_INT(add(s, "k", 1, W, 0), 1);
	CHECK_INT(add(s, "k", 1, W, 999), 2);
	/* the next bucket starts: both events are still in the window */
	CHECK_INT(get(s, "k", W, 1000), 2);
	CHECK_INT(add(s, "k", 3, W, 1250), 3 + 2);
	CHECK_INT(get(s, "k", W, 1500), 3 + 1);
	CHECK_INT(get(s, "k", W, 1999), 3 + 1);
	CHECK_INT(get(s, "k", W, 2000), 3);
	CHECK_INT(get(s, "k", W, 2999), 1);
	CHECK_INT(get(s, "k", W, 3000), 0);
	/* an add two buckets after the last one forgets everything */
	CHECK_INT(add(s, "k", 1, W, 3000), 1);
	/* a late event (another worker's older clock) goes to prev */
	CHECK_INT(add(s, "k", 1, W, 2999), 2);
	CHECK_INT(get(s, "k", W, 3500), 2);
	/* far older than both buckets: ignored, reported as held */
	CHECK_INT(add(s, "k", 5, W, 10), 2);
	/* two events in one bucket, read through the next */
	CHECK_INT(add(s, "k2", 2, W, 500), 2);
	CHECK_INT(get(s, "k2", W, 1000), 2);
	CHECK_INT(get(s, "k2", W, 1500), 1);
	CHECK_INT(get(s, "k2", W, 1999), 1);
	CHECK_INT(get(s, "k2", W, 2000), 0);
	/* n = 0 reads */
	CHECK_INT(add(s, "k", 0, W, 3000), 2);
	state_free(s);
}

static void test_window_spread(void)
{
	/* One event every 10 ms for a long time: the estimate stays within
	 * one event of the true count in the last window (100 per second). */
	state *s = mem(64);
	uint64_t c = 0;
	for (uint64_t t = 0; t < 10000; t += 10) {
		c = add(s, "spread", 1, W, t);
		if (t >= W)
			CHECK(c >= 100 && c <= 101);
	}
	state_free(s);
}

static void test_counter_namespaces(void)
{
	state *s = mem(64);
	CHECK_INT(add(s, "ip", 2, 1000, 0), 2);
	CHECK_INT(add(s, "ip", 5, 60000, 0), 5);
	CHECK_INT(get(s, "ip", 1000, 1), 2);
	CHECK_INT(get(s, "ip", 60000, 1), 5);
	CHECK_INT(get(s, "IP", 1000, 1), 0);
	/* a counter is not a ban */
	CHECK_INT(state_ban_get(s, SK_LIT("ip"), 1, NULL, NULL, 0), STATE_ENOENT);
	state_free(s);
}

static void test_saturation(void)
{
	state *s = mem(64);
	CHECK_INT(add(s, "sat", UINT32_MAX, W, 0), UINT32_MAX);
	CHECK_INT(add(s, "sat", UINT32_MAX, W, 1), UINT32_MAX);
	/* previous bucket full and current full: cur + prev, no wrap */
	CHECK_INT(add(s, "sat", UINT32_MAX, W, 1000), 2ull * UINT32_MAX);
	state_free(s);
}

static void test_counter_ttl(void)
{
	state *s = mem(16);
	for (int i = 0; i < 16; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		add(s, k, 1, W, 0);
	}
	state_stats st;
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 16);
	/* at 2000 every bucket-0 entry is dead: new keys take their place
	 * without evicting anything live */
	for (int i = 0; i < 16; i++) {
		char k[16];
		snprintf(k, sizeof(k), "n%d", i);
		CHECK_INT(add(s, k, 1, W, 2000), 1);
	}
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 16);
	CHECK_INT(st.evictions, 0);
	CHECK_INT(get(s, "k3", W, 2000), 0);
	state_free(s);
}

/* ---- bans ---- */

static void test_ban_ttl(void)
{
	state *s = mem(64);
	CHECK_INT(state_ban_set(s, SK_LIT("1.2.3.4"), 500, SK_LIT("bruteforce"), 100), STATE_OK);
	uint32_t left = 0;
	char why[32];
	CHECK_INT(state_ban_get(s, SK_LIT("1.2.3.4"), 100, &left, why, sizeof(why)), STATE_OK);
	CHECK_INT(left, 500);
	CHECK(strcmp(why, "bruteforce") == 0);
	CHECK_INT(state_ban_get(s, SK_LIT("1.2.3.4"), 599, &left, why, sizeof(why)), STATE_OK);
	CHECK_INT(left, 1);
	CHECK_INT(state_ban_get(s, SK_LIT("1.2.3.4"), 600, &left, why, sizeof(why)), STATE_ENOENT);
	CHECK_INT(left, 0);
	CHECK(why[0] == '\0');
	/* a reason is cut to the caller's buffer and to STATE_REASON_MAX */
	char longr[200];
	memset(longr, 'r', sizeof(longr));
	CHECK_INT(state_ban_set(s, SK_LIT("x"), 1000, sk_slice_make(longr, sizeof(longr)), 0), STATE_OK);
	char small[5];
	CHECK_INT(state_ban_get(s, SK_LIT("x"), 1, NULL, small, sizeof(small)), STATE_OK);
	CHECK(strcmp(small, "rrrr") == 0);
	state_op op = { .kind = STATE_OP_BAN_GET, .key = SK_LIT("x") };
	CHECK_INT(state_batch(s, &op, 1, 1), STATE_OK);
	CHECK_INT(op.rc, STATE_OK);
	CHECK_INT(op.reason_len, STATE_REASON_MAX);
	CHECK_INT(strlen(op.reason), STATE_REASON_MAX);
	/* replace, delete */
	CHECK_INT(state_ban_set(s, SK_LIT("x"), 10, SK_LIT(""), 1), STATE_OK);
	CHECK_INT(state_ban_get(s, SK_LIT("x"), 1, &left, small, sizeof(small)), STATE_OK);
	CHECK_INT(left, 10);
	CHECK(small[0] == '\0');
	CHECK_INT(state_ban_del(s, SK_LIT("x")), STATE_OK);
	CHECK_INT(state_ban_del(s, SK_LIT("x")), STATE_ENOENT);
	CHECK_INT(state_ban_get(s, SK_LIT("x"), 1, NULL, NULL, 0), STATE_ENOENT);
	CHECK_INT(state_ban_set(s, SK_LIT("x"), 0, SK_LIT("zero ttl"), 1), STATE_EINVAL);
	state_free(s);
}

struct listed {
	int n;
	uint64_t ttl_sum;
	int saw_nul_key;
};

static void list_fn(void *ctx, sk_slice key, uint32_t ttl, sk_slice reason)
{
	struct listed *l = ctx;
	l->n++;
	l->ttl_sum += ttl;
	if (key.len == 3 && memcmp(key.p, "a\0b", 3) == 0 && reason.len == 1 && reason.p[0] == 'n')
		l->saw_nul_key = 1;
}

static void test_ban_list(void)
{
	state *s = mem(64);
	for (int i = 0; i < 10; i++) {
		char k[16];
		snprintf(k, sizeof(k), "b%d", i);
		CHECK_INT(state_ban_set(s, sk_slice_make(k, strlen(k)), i < 5 ? 100 : 1000, SK_LIT("r"), 0),
			  STATE_OK);
	}
	CHECK_INT(state_ban_set(s, sk_slice_make("a\0b", 3), 1000, SK_LIT("n"), 0), STATE_OK);
	struct listed l = { 0 };
	CHECK_INT(state_ban_list(s, 0, list_fn, &l, 100), 11);
	CHECK_INT(l.n, 11);
	CHECK(l.saw_nul_key);
	memset(&l, 0, sizeof(l));
	CHECK_INT(state_ban_list(s, 0, list_fn, &l, 4), 4);
	memset(&l, 0, sizeof(l));
	/* at 100 the short bans are over */
	CHECK_INT(state_ban_list(s, 100, list_fn, &l, 100), 6);
	CHECK_INT(l.ttl_sum, 6 * 900);
	state_free(s);
}

/* ---- keys ---- */

static void test_odd_keys(void)
{
	state *s = mem(64);
	static const char *const keys[] = { "a\0b", "a\0c", "a b", "a\r\nb", "\0", "\r", "\n", " ", "a:b", "a}b{" };
	static const size_t lens[] = { 3, 3, 3, 4, 1, 1, 1, 1, 3, 4 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint64_t c = 0;
		CHECK_INT(state_count_add(s, sk_slice_make(keys[i], lens[i]), (uint32_t)i + 1, W, 0, &c), 0);
		CHECK_INT(c, i + 1);
		CHECK_INT(state_ban_set(s, sk_slice_make(keys[i], lens[i]), 100 + (uint32_t)i, SK_LIT("odd"), 0), 0);
	}
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint64_t c = 0;
		uint32_t left = 0;
		CHECK_INT(state_count_get(s, sk_slice_make(keys[i], lens[i]), W, 1, &c), 0);
		CHECK_INT(c, i + 1);
		CHECK_INT(state_ban_get(s, sk_slice_make(keys[i], lens[i]), 0, &left, NULL, 0), 0);
		CHECK_INT(left, 100 + i);
	}
	/* length bounds */
	char big[STATE_KEY_MAX + 1];
	memset(big, 'u', sizeof(big));
	uint64_t c = 7;
	CHECK_INT(state_count_add(s, sk_slice_make(big, STATE_KEY_MAX), 1, W, 0, &c), STATE_OK);
	CHECK_INT(c, 1);
	CHECK_INT(state_count_add(s, sk_slice_make(big, STATE_KEY_MAX + 1), 1, W, 0, &c), STATE_EINVAL);
	CHECK_INT(c, 0);
	CHECK_INT(state_count_add(s, sk_slice_make(big, 0), 1, W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_ban_set(s, sk_slice_make(big, STATE_KEY_MAX + 1), 1, SK_LIT("r"), 0), STATE_EINVAL);
	CHECK_INT(state_ban_del(s, sk_slice_make(big, STATE_KEY_MAX + 1)), STATE_EINVAL);
	CHECK_INT(state_count_add(s, SK_LIT("w"), 1, 0, 0, &c), STATE_EINVAL);
	CHECK_INT(state_count_add(s, SK_LIT("w"), 1, STATE_WINDOW_MAX_MS + 1, 0, &c), STATE_EINVAL);
	CHECK_INT(state_count_add(s, SK_LIT("w"), 1, STATE_WINDOW_MAX_MS, 0, &c), STATE_OK);
	state_free(s);
}

/* ---- eviction: memory stays bounded ---- */

static void test_eviction(void)
{
	state *s = mem(64);
	CHECK_INT(state_ban_set(s, SK_LIT("attacker"), 1000000, SK_LIT("ban"), 0), STATE_OK);
	state_stats st;
	for (int i = 0; i < 20000; i++) {
		char k[24];
		snprintf(k, sizeof(k), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		CHECK_INT(add(s, k, 1, 60000, (uint64_t)i), 1);
		/* a key in steady use survives the flood (CLOCK keeps it) */
		CHECK(add(s, "hot", 1, 60000, (uint64_t)i) >= 1);
		if (i % 1000 == 0) {
			state_get_stats(s, &st);
			CHECK(st.keys <= 64 + 1);
		}
	}
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 64 + 1);
	CHECK(st.evictions >= 20000 - 64);
	CHECK_INT(get(s, "hot", 60000, 20000), 20000);
	/* the counter flood never pushed the ban out */
	CHECK_INT(state_ban_get(s, SK_LIT("attacker"), 20000, NULL, NULL, 0), STATE_OK);
	/* bans evict bans, oldest untouched first, and stay bounded too */
	for (int i = 0; i < 1000; i++) {
		char k[16];
		snprintf(k, sizeof(k), "b%d", i);
		CHECK_INT(state_ban_set(s, sk_slice_make(k, strlen(k)), 1000000, SK_LIT("x"), 0), STATE_OK);
	}
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 128);
	CHECK_INT(state_ban_get(s, SK_LIT("b999"), 1, NULL, NULL, 0), STATE_OK);
	CHECK_INT(state_ban_get(s, SK_LIT("b0"), 1, NULL, NULL, 0), STATE_ENOENT);
	CHECK(state_memory_new(15, NULL) == NULL);
	state_free(s);
}

/* ---- distinct sets ---- */

/* The estimator on bitmaps made by hand. */
static void test_distinct_estimate(void)
{
	uint8_t a[DISTINCT_BYTES], b[DISTINCT_BYTES];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_INT(distinct_estimate(a, sizeof(a), b, sizeof(b)), 0);
	CHECK_INT(distinct_estimate(NULL, 0, NULL, 0), 0);
	distinct_set(a, 0);
	CHECK_INT(a[0], 0x80); /* Redis SETBIT order: bit 0 is the top bit of byte 0 */
	distinct_set(a, STATE_DISTINCT_BITS - 1);
	CHECK_INT(a[DISTINCT_BYTES - 1], 0x01);
	CHECK_INT(distinct_estimate(a, sizeof(a), NULL, 0), 2);
	/* OR, not sum: the same bit in both buckets is one member */
	distinct_set(b, 0);
	CHECK_INT(distinct_estimate(a, sizeof(a), b, sizeof(b)), 2);
	distinct_set(b, 9);
	CHECK_INT(distinct_estimate(a, sizeof(a), b, sizeof(b)), 3);
	/* short bitmaps are zero-padded, long ones cut: 2 bytes of b hold
	 * bits 0 and 9, byte 127 of a is ignored when a is cut to 127 */
	CHECK_INT(distinct_estimate(a, 127, b, 2), 2);
	uint8_t longer[DISTINCT_BYTES + 8];
	memset(longer, 0xff, sizeof(longer));
	memset(longer, 0, DISTINCT_BYTES);
	CHECK_INT(distinct_estimate(longer, sizeof(longer), NULL, 0), 0);
	/* half the bits set: m ln 2 = 709.78 -> 710 */
	memset(a, 0xf0, sizeof(a));
	CHECK_INT(distinct_estimate(a, sizeof(a), NULL, 0), 710);
	/* near full: 8 zero bits is m ln(128) = 4968.49 -> 4968; 7 saturates */
	memset(a, 0xff, sizeof(a));
	a[5] = 0;
	CHECK_INT(distinct_estimate(a, sizeof(a), NULL, 0), 4968);
	a[5] = 0x01;
	CHECK_INT(distinct_estimate(a, sizeof(a), NULL, 0), STATE_DISTINCT_MAX);
	memset(a, 0xff, sizeof(a));
	CHECK_INT(distinct_estimate(a, sizeof(a), NULL, 0), STATE_DISTINCT_MAX);
	/* the bit choice is fixed: the same member, the same bit, always */
	CHECK_INT(distinct_bit(SK_LIT("alice")), distinct_bit(SK_LIT("alice")));
	CHECK(distinct_bit(SK_LIT("alice")) < STATE_DISTINCT_BITS);
}

static void test_distinct_small(void)
{
	state *s = mem(64);
	for (int i = 0; i < 100; i++)
		CHECK_INT(dadd(s, "ip:1.2.3.4", "alice", 60000, (uint64_t)i * 100), 1);
	/* three members on three different bits (checked, so the test does
	 * not rest on luck) count three, however often each comes back */
	uint32_t ba = distinct_bit(SK_LIT("alice")), bb = distinct_bit(SK_LIT("bob")),
		 bc = distinct_bit(SK_LIT("carol"));
	CHECK(ba != bb && ba != bc && bb != bc);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "bob", 60000, 10000), 2);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "carol", 60000, 10001), 3);
	for (int i = 0; i < 30; i++)
		CHECK_INT(dadd(s, "ip:1.2.3.4", (const char *[]){ "alice", "bob", "carol" }[i % 3], 60000,
			       10002 + (uint64_t)i),
			  3);
	/* members are bytes: NUL, case and length matter */
	CHECK_INT(dadd(s, "odd", "a", W, 0), 1);
	uint64_t c = 0;
	CHECK_INT(state_distinct_add(s, SK_LIT("odd"), sk_slice_make("a\0", 2), W, 0, &c), STATE_OK);
	CHECK(c >= 1 && c <= 2);
	CHECK_INT(c, distinct_bit(SK_LIT("a")) == distinct_bit(sk_slice_make("a\0", 2)) ? 1 : 2);
	state_free(s);
}

/* Within 5% at 200 and 500 members (the standard error is about 2.3%);
 * adding the same members again changes nothing. */
static void test_distinct_accuracy(void)
{
	static const unsigned sizes[] = { 50, 200, 500, 1000 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		state *s = mem(64);
		unsigned n = sizes[k];
		uint64_t c = 0, last = 0;
		for (unsigned i = 0; i < n; i++) {
			char m[24];
			snprintf(m, sizeof(m), "user%u@example.com", i * 7919u);
			c = dadd(s, "ip:10.0.0.1", m, 600000, 1000 + i);
			CHECK(c >= last); /* a new member never lowers the count */
			last = c;
		}
		double err = ((double)c - n) / n;
		fprintf(stderr, "  distinct %u members: estimate %llu (%+.1f%%)\n", n, (unsigned long long)c,
			100 * err);
		CHECK(err > -0.05 && err < 0.05);
		for (unsigned i = 0; i < n; i += 7) {
			char m[24];
			snprintf(m, sizeof(m), "user%u@example.com", i * 7919u);
			CHECK_INT(dadd(s, "ip:10.0.0.1", m, 600000, 2000 + i), c);
		}
		state_free(s);
	}
	/* far past the bitmap's range: saturated, not wrapped */
	state *s = mem(64);
	uint64_t c = 0;
	for (unsigned i = 0; i < 20000; i++) {
		char m[16];
		snprintf(m, sizeof(m), "m%u", i);
		c = dadd(s, "flood", m, 600000, 1000);
	}
	CHECK_INT(c, STATE_DISTINCT_MAX);
	state_free(s);
}

/* A member counts until the bucket after its own ends: at least one full
 * window, never two. */
static void test_distinct_window(void)
{
	state *s = mem(64);
	CHECK_INT(dadd(s, "k", "alice", W, 100), 1);
	CHECK_INT(dadd(s, "k", "bob", W, 999), 2);
	/* the next bucket: both still in the window */
	CHECK_INT(dadd(s, "k", "carol", W, 1000), 3);
	CHECK_INT(dadd(s, "k", "carol", W, 1999), 3);
	/* two buckets on: alice and bob are over a window old and drop out;
	 * carol (bucket 1) stays */
	CHECK_INT(dadd(s, "k", "dave", W, 2000), 2);
	CHECK_INT(dadd(s, "k", "alice", W, 2500), 3);
	/* a late add (another worker's older clock, one bucket back) lands in
	 * the previous bucket */
	CHECK_INT(dadd(s, "k", "erin", W, 1999), 4);
	CHECK_INT(dadd(s, "k", "erin", W, 3000), 3); /* prev = {dave, alice}, cur = {erin} */
	/* older than both buckets: not recorded, the count is what is held */
	CHECK_INT(dadd(s, "k", "frank", W, 10), 3);
	CHECK_INT(dadd(s, "k", "erin", W, 3001), 3);
	/* a long gap forgets everything */
	CHECK_INT(dadd(s, "k", "zed", W, 100000), 1);
	state_free(s);
}

static void test_distinct_namespaces(void)
{
	state *s = mem(64);
	CHECK_INT(dadd(s, "ip", "a", W, 0), 1);
	CHECK_INT(dadd(s, "ip", "b", W, 0), 2);
	/* another window is another set; a set is neither a counter nor a ban */
	CHECK_INT(dadd(s, "ip", "a", 60000, 0), 1);
	CHECK_INT(get(s, "ip", W, 0), 0);
	CHECK_INT(state_ban_get(s, SK_LIT("ip"), 0, NULL, NULL, 0), STATE_ENOENT);
	CHECK_INT(add(s, "ip", 5, W, 0), 5);
	CHECK_INT(state_ban_set(s, SK_LIT("ip"), 1000, SK_LIT("r"), 0), STATE_OK);
	CHECK_INT(dadd(s, "ip", "c", W, 1), 3);
	CHECK_INT(get(s, "ip", W, 1), 5);
	/* the member is not part of the key: "ipa" is another set */
	CHECK_INT(dadd(s, "ipa", "b", W, 1), 1);
	state_stats st;
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 3 + 1 + 1); /* sets ip/W, ip/60000, ipa/W; counter; ban */
	state_free(s);
}

static void test_distinct_args(void)
{
	state *s = mem(64);
	char big[STATE_KEY_MAX + 1];
	memset(big, 'm', sizeof(big));
	uint64_t c = 7;
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), sk_slice_make(big, STATE_KEY_MAX), W, 0, &c), STATE_OK);
	CHECK_INT(c, 1);
	c = 7;
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), sk_slice_make(big, STATE_KEY_MAX + 1), W, 0, &c),
		  STATE_EINVAL);
	CHECK_INT(c, 0);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), sk_slice_make(big, 0), W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), sk_slice_make(NULL, 3), W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, sk_slice_make(big, 0), SK_LIT("m"), W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, sk_slice_make(big, STATE_KEY_MAX + 1), SK_LIT("m"), W, 0, &c),
		  STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, sk_slice_make(big, STATE_KEY_MAX), SK_LIT("m"), W, 0, &c), STATE_OK);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT("m"), 0, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT("m"), STATE_WINDOW_MAX_MS + 1, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT("m"), STATE_WINDOW_MAX_MS, 0, &c), STATE_OK);
	CHECK_INT(c, 1);
	/* the refused calls stored nothing: only k/W (one member), k/max and big/W */
	CHECK_INT(dadd(s, "k", "m", W, 0), distinct_bit(SK_LIT("m")) ==
						    distinct_bit(sk_slice_make(big, STATE_KEY_MAX))
					    ? 1
					    : 2);
	state_stats st;
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 3);
	/* the count output may be NULL */
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT("n"), W, 0, NULL), STATE_OK);
	state_free(s);
}

/* Many keys through a small table: bounded like counters, a set in steady
 * use survives the flood, and the flood touches neither counters nor bans. */
static void test_distinct_eviction(void)
{
	state *s = mem(64);
	CHECK_INT(state_ban_set(s, SK_LIT("attacker"), 1000000, SK_LIT("ban"), 0), STATE_OK);
	CHECK_INT(add(s, "counter", 3, 600000, 0), 3);
	state_stats st;
	for (int i = 0; i < 20000; i++) {
		char k[24];
		snprintf(k, sizeof(k), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		CHECK_INT(dadd(s, k, "root", 60000, (uint64_t)i), 1);
		char m[16];
		snprintf(m, sizeof(m), "u%d", i % 40);
		CHECK(dadd(s, "hot", m, 60000, (uint64_t)i) >= 1);
		if (i % 1000 == 0) {
			state_get_stats(s, &st);
			CHECK(st.keys <= 64 + 2);
		}
	}
	state_get_stats(s, &st);
	CHECK_INT(st.keys, 64 + 2);
	CHECK(st.evictions >= 20000 - 64);
	/* all 40 members kept: the estimate of exactly their 40 bits */
	uint8_t bits[DISTINCT_BYTES];
	memset(bits, 0, sizeof(bits));
	for (int i = 0; i < 40; i++) {
		char m[16];
		snprintf(m, sizeof(m), "u%d", i);
		distinct_set(bits, distinct_bit(sk_slice_make(m, strlen(m))));
	}
	uint64_t want = distinct_estimate(bits, sizeof(bits), NULL, 0);
	CHECK(want >= 38 && want <= 42);
	CHECK_INT(dadd(s, "hot", "u0", 60000, 20000), want);
	CHECK_INT(state_ban_get(s, SK_LIT("attacker"), 20000, NULL, NULL, 0), STATE_OK);
	CHECK_INT(get(s, "counter", 600000, 20000), 3);
	state_free(s);
}

/* ---- batch ---- */

static void test_batch(void)
{
	state *s = mem(64);
	CHECK_INT(state_ban_set(s, SK_LIT("ip:9.9.9.9"), 5000, SK_LIT("stuffing"), 0), STATE_OK);
	state_op ops[6];
	memset(ops, 0, sizeof(ops));
	ops[0] = (state_op){ .kind = STATE_OP_BAN_GET, .key = SK_LIT("ip:9.9.9.9") };
	ops[1] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("ip:9.9.9.9"), .n = 1, .window_ms = 60000 };
	ops[2] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("user:alice"), .n = 1, .window_ms = 60000 };
	ops[3] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT(""), .n = 1, .window_ms = 60000 };
	ops[4] = (state_op){ .kind = STATE_OP_BAN_GET, .key = SK_LIT("ip:1.1.1.1") };
	ops[5] = (state_op){ .kind = 99, .key = SK_LIT("k") };
	CHECK_INT(state_batch(s, ops, 6, 1000), STATE_OK);
	CHECK_INT(ops[0].rc, STATE_OK);
	CHECK_INT(ops[0].ttl_left_ms, 4000);
	CHECK(strcmp(ops[0].reason, "stuffing") == 0);
	CHECK_INT(ops[1].rc, STATE_OK);
	CHECK_INT(ops[1].count, 1);
	CHECK_INT(ops[2].count, 1);
	CHECK_INT(ops[3].rc, STATE_EINVAL);
	CHECK_INT(ops[4].rc, STATE_ENOENT);
	CHECK_INT(ops[5].rc, STATE_EINVAL);
	CHECK_INT(state_batch(s, ops, 3, 1001), STATE_OK);
	CHECK_INT(ops[2].count, 2);
	CHECK_INT(state_batch(s, NULL, 0, 0), STATE_OK);
	/* distinct sets in the same batch as counters and bans */
	memset(ops, 0, sizeof(ops));
	ops[0] = (state_op){ .kind = STATE_OP_BAN_GET, .key = SK_LIT("ip:9.9.9.9") };
	ops[1] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("ip:9.9.9.9"), .n = 1, .window_ms = 60000 };
	ops[2] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("ip:9.9.9.9"), .member = SK_LIT("alice"),
			     .window_ms = 60000 };
	ops[3] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("user:alice"), .member = SK_LIT("9.9.9.9"),
			     .window_ms = 60000 };
	ops[4] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("ip:9.9.9.9"), .member = SK_LIT(""),
			     .window_ms = 60000 };
	ops[5] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("ip:9.9.9.9"), .member = SK_LIT("bob"),
			     .window_ms = 60000 };
	CHECK_INT(state_batch(s, ops, 6, 1002), STATE_OK);
	CHECK_INT(ops[0].rc, STATE_OK);
	CHECK_INT(ops[1].count, 3);
	CHECK_INT(ops[2].rc, STATE_OK);
	CHECK_INT(ops[2].count, 1);
	CHECK_INT(ops[3].count, 1);
	CHECK_INT(ops[4].rc, STATE_EINVAL);
	CHECK_INT(ops[5].rc, STATE_OK);
	CHECK_INT(ops[5].count, 2);
	state_stats st;
	state_get_stats(s, &st);
	CHECK_INT(st.ops, 1 + 6 + 3 + 6);
	CHECK_INT(state_health(s), STATE_OK);
	state_free(s);
}

/* ---- threads ---- */

static void *hammer(void *arg)
{
	state *s = arg;
	for (int i = 0; i < 20000; i++) {
		uint64_t c;
		if (state_count_add(s, SK_LIT("shared"), 1, 60000, 5, &c) != 0)
			abort();
	}
	return NULL;
}

static void test_threads(void)
{
	state *s = mem(64);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&th[i], NULL, hammer, s), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(get(s, "shared", 60000, 5), 80000);
	state_free(s);
}

/* ---- fallback wrapper over a primary that can be switched off ---- */

struct fake {
	state base;
	state *inner;
	int down;
	int calls;
};

static int fake_batch(state *s, state_op *ops, size_t n, uint64_t now)
{
	struct fake *f = (struct fake *)s;
	f->calls++;
	if (f->down) {
		for (size_t i = 0; i < n; i++)
			ops[i].rc = STATE_EUNAVAILABLE;
		return STATE_EUNAVAILABLE;
	}
	return f->inner->ops->batch(f->inner, ops, n, now);
}

static int fake_del(state *s, sk_slice key)
{
	struct fake *f = (struct fake *)s;
	return f->down ? STATE_EUNAVAILABLE : f->inner->ops->ban_del(f->inner, key);
}

static long fake_list(state *s, uint64_t now, state_ban_fn *fn, void *ctx, size_t max)
{
	struct fake *f = (struct fake *)s;
	return f->down ? STATE_EUNAVAILABLE : f->inner->ops->ban_list(f->inner, now, fn, ctx, max);
}

static int fake_health(state *s)
{
	return ((struct fake *)s)->down ? STATE_EUNAVAILABLE : STATE_OK;
}

static void fake_stats(state *s, state_stats *out)
{
	(void)s;
	(void)out;
}

static void fake_free(state *s)
{
	struct fake *f = (struct fake *)s;
	state_free(f->inner);
	free(f);
}

static const struct state_ops fake_ops = { fake_batch, fake_del, fake_list, fake_health, fake_stats, fake_free };

static int changes[8], nchanges;

static void on_change(void *ctx, bool degraded)
{
	(void)ctx;
	if (nchanges < 8)
		changes[nchanges++] = degraded;
}

static void test_fallback(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	f->base.ops = &fake_ops;
	f->inner = mem(64);
	state *s = state_fallback_new(&f->base, mem(64), on_change, NULL);
	CHECK(s != NULL);
	nchanges = 0;

	CHECK_INT(add(s, "c", 1, 60000, 0), 1);
	CHECK_INT(state_ban_set(s, SK_LIT("early"), 100000, SK_LIT("e"), 0), STATE_OK);
	CHECK_INT(state_health(s), STATE_OK);

	f->down = 1;
	CHECK_INT(state_health(s), STATE_EUNAVAILABLE);
	/* served from local: a fresh counter, but the write-through ban holds */
	CHECK_INT(add(s, "c", 1, 60000, 1), 1);
	CHECK_INT(add(s, "c", 1, 60000, 2), 2);
	CHECK_INT(state_ban_get(s, SK_LIT("early"), 3, NULL, NULL, 0), STATE_OK);
	CHECK_INT(state_ban_set(s, SK_LIT("during"), 100000, SK_LIT("d"), 3), STATE_OK);
	state_stats st;
	state_get_stats(s, &st);
	CHECK(st.degraded);
	CHECK_INT(st.outages, 1);
	CHECK_INT(st.fallback_ops, 4);
	struct listed l = { 0 };
	CHECK_INT(state_ban_list(s, 3, list_fn, &l, 10), 2);

	f->down = 0;
	/* the primary answers again: its counter, and the outage ban still holds */
	CHECK_INT(add(s, "c", 1, 60000, 4), 2);
	CHECK_INT(state_ban_get(s, SK_LIT("during"), 5, NULL, NULL, 0), STATE_OK);
	CHECK_INT(state_ban_del(s, SK_LIT("during")), STATE_OK);
	CHECK_INT(state_ban_get(s, SK_LIT("during"), 5, NULL, NULL, 0), STATE_ENOENT);
	state_get_stats(s, &st);
	CHECK(!st.degraded);
	CHECK_INT(nchanges, 2);
	CHECK_INT(changes[0], 1);
	CHECK_INT(changes[1], 0);
	state_free(s);
	CHECK(state_fallback_new(NULL, mem(16), NULL, NULL) == NULL);
}

/* Distinct sets through the wrapper: from the primary while it answers,
 * from local (its own, fresh sets) while it is down, then the primary's
 * again. */
static void test_fallback_distinct(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	f->base.ops = &fake_ops;
	f->inner = mem(64);
	state *s = state_fallback_new(&f->base, mem(64), NULL, NULL);
	CHECK(s != NULL);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "alice", 60000, 0), 1);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "bob", 60000, 1), 2);
	f->down = 1;
	int calls = f->calls;
	CHECK_INT(dadd(s, "ip:1.2.3.4", "carol", 60000, 2), 1);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "alice", 60000, 3), 2);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "alice", 60000, 4), 2);
	CHECK_INT(f->calls - calls, 3); /* the primary was asked each time */
	uint64_t c = 9;
	CHECK_INT(state_distinct_add(s, SK_LIT("ip:1.2.3.4"), SK_LIT(""), 60000, 5, &c), STATE_EINVAL);
	CHECK_INT(c, 0);
	state_stats st;
	state_get_stats(s, &st);
	CHECK(st.degraded);
	CHECK_INT(st.fallback_ops, 4);
	f->down = 0;
	/* the primary never saw carol */
	CHECK_INT(dadd(s, "ip:1.2.3.4", "alice", 60000, 6), 2);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "carol", 60000, 7), 3);
	state_get_stats(s, &st);
	CHECK(!st.degraded);
	state_free(s);
}

static void test_strerror(void)
{
	CHECK(strcmp(state_strerror(STATE_EUNAVAILABLE), "state backend unavailable") == 0);
	CHECK(strcmp(state_strerror(-99), "unknown state error") == 0);
}

int main(void)
{
	harness_case = "window.txt";
	harness_each_line("state/window.txt", window_line, NULL);
	RUN(test_window_boundaries);
	RUN(test_window_spread);
	RUN(test_counter_namespaces);
	RUN(test_saturation);
	RUN(test_counter_ttl);
	RUN(test_ban_ttl);
	RUN(test_ban_list);
	RUN(test_odd_keys);
	RUN(test_eviction);
	RUN(test_distinct_estimate);
	RUN(test_distinct_small);
	RUN(test_distinct_accuracy);
	RUN(test_distinct_window);
	RUN(test_distinct_namespaces);
	RUN(test_distinct_args);
	RUN(test_distinct_eviction);
	RUN(test_batch);
	RUN(test_threads);
	RUN(test_fallback);
	RUN(test_fallback_distinct);
	RUN(test_strerror);
	return harness_done("state");
}
