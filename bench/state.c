/* state.c - cost of the state layer per operation and per login attempt.
 *
 *   state [ITER]
 *
 * Memory backend: ns per count_add and per distinct_add (keys that fit,
 * and a flood of new keys that keeps the CLOCK hand evicting), ns per login
 * batch (6 ops, and 8 with the two distinct sets), next to the SipHash-1-3
 * of the same key measured in the same run (the floor any hash table pays).
 * Redis backend: a redis-server this program starts on 127.0.0.1 (skipped
 * with a message if there is none): µs and round trips per login batch
 * (6 and 8 ops) and per single count_add and distinct_add, next to a bare
 * PING round trip on its own hiredis connection measured in the same run.
 * Each figure is the median of 5 repetitions.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "sekisho/siphash.h"
#include "sekisho/state.h"

#define REPEAT 5

static size_t ip_key(char *buf, size_t cap, uint32_t i)
{
	return (size_t)snprintf(buf, cap, "ip:10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

/* Keys are made before the clock starts: `iter` keys drawn from `keys`
 * distinct ones, so the figures hold the table's cost, not snprintf's. */
#define KEY_W 24
static char *make_keys(uint32_t keys, uint32_t iter, uint8_t **lens)
{
	char *k = malloc((size_t)iter * KEY_W);
	*lens = malloc(iter);
	if (!k || !*lens)
		exit(1);
	for (uint32_t i = 0; i < iter; i++)
		(*lens)[i] = (uint8_t)ip_key(k + (size_t)i * KEY_W, KEY_W, (uint32_t)(((uint64_t)i * 2654435761u) % keys));
	return k;
}

static volatile uint64_t sink;

/* ns per op: `keys` distinct keys cycled over `iter` count_adds, or
 * (`distinct`) distinct_adds with a member drawn from 5000 account names,
 * so a set holds a handful to a few hundred. */
static double mem_add(size_t cap, uint32_t keys, uint32_t iter, int distinct)
{
	uint8_t *lens, *mlens;
	char *k = make_keys(keys, iter, &lens);
	char *m = make_keys(5000, iter, &mlens);
	double v[REPEAT];
	for (int r = 0; r < REPEAT; r++) {
		state *s = state_memory_new(cap, NULL);
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			uint64_t c;
			sk_slice key = sk_slice_make(k + (size_t)i * KEY_W, lens[i]);
			if (distinct) {
				/* a member from another position: not the key itself */
				uint32_t j = (i * 7u + 3u) % iter;
				state_distinct_add(s, key, sk_slice_make(m + (size_t)j * KEY_W, mlens[j]), 60000,
						   1000000 + i / 100, &c);
			} else {
				state_count_add(s, key, 1, 60000, 1000000 + i / 100, &c);
			}
			sink += c;
		}
		v[r] = (bench_now_ns() - t0) / iter;
		state_free(s);
	}
	free(k);
	free(lens);
	free(m);
	free(mlens);
	return bench_median(v, REPEAT);
}

static double hash_only(uint32_t keys, uint32_t iter)
{
	static const uint8_t key[SIPHASH_KEY_LEN];
	uint8_t *lens;
	char *k = make_keys(keys, iter, &lens);
	double v[REPEAT];
	for (int r = 0; r < REPEAT; r++) {
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++)
			sink += siphash13(key, k + (size_t)i * KEY_W, lens[i]);
		v[r] = (bench_now_ns() - t0) / iter;
	}
	free(k);
	free(lens);
	return bench_median(v, REPEAT);
}

/* The batch the proxy sends per login attempt: 6 ops, then (if there is
 * room for 8) "accounts tried from this address" and "addresses this
 * account was tried from". */
#define LOGIN_OPS_MAX 8
static void login_ops(state_op ops[LOGIN_OPS_MAX], size_t nops, char bufs[5][64], uint32_t i)
{
	uint32_t ip = (i * 2654435761u) % 5000, user = (i * 40503u) % 20000;
	size_t l0 = ip_key(bufs[0], 64, ip);
	size_t l1 = (size_t)snprintf(bufs[1], 64, "user:u%u", user);
	size_t l2 = (size_t)snprintf(bufs[2], 64, "ipuser:%u/u%u", ip, user);
	size_t l3 = (size_t)snprintf(bufs[3], 64, "net:10.%u.%u.0/24", (ip >> 16) & 255, (ip >> 8) & 255);
	memset(ops, 0, nops * sizeof(*ops));
	ops[0] = (state_op){ .kind = STATE_OP_BAN_GET, .key = sk_slice_make(bufs[0], l0) };
	ops[1] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = sk_slice_make(bufs[0], l0), .n = 1, .window_ms = 60000 };
	ops[2] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = sk_slice_make(bufs[1], l1), .n = 1, .window_ms = 60000 };
	ops[3] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = sk_slice_make(bufs[2], l2), .n = 1, .window_ms = 60000 };
	ops[4] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = sk_slice_make(bufs[3], l3), .n = 1, .window_ms = 60000 };
	ops[5] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("global:fail"), .n = 1, .window_ms = 60000 };
	if (nops < 8)
		return;
	ops[6] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = sk_slice_make(bufs[0], l0),
			     .member = sk_slice_make(bufs[1], l1), .window_ms = 600000 };
	ops[7] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = sk_slice_make(bufs[1], l1),
			     .member = sk_slice_make(bufs[0], l0), .window_ms = 600000 };
}

/* ns per batch of `nops` (6 or 8), and round trips per batch (from the
 * backend's stats). */
static double batch_cost(state *s, size_t nops, uint32_t iter, double *rt_per_batch)
{
	double v[REPEAT];
	state_op ops[LOGIN_OPS_MAX];
	char bufs[5][64];
	state_stats a, b;
	state_get_stats(s, &a);
	for (int r = 0; r < REPEAT; r++) {
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			login_ops(ops, nops, bufs, i + (uint32_t)r * iter);
			if (state_batch(s, ops, nops, 1000000 + i) != STATE_OK) {
				fprintf(stderr, "bench/state: batch failed\n");
				exit(1);
			}
			sink += ops[1].count;
		}
		v[r] = (bench_now_ns() - t0) / iter;
	}
	state_get_stats(s, &b);
	*rt_per_batch = (double)(b.round_trips - a.round_trips) / ((double)iter * REPEAT);
	return bench_median(v, REPEAT);
}

/* µs per single op: count_add, or distinct_add (`distinct`) with a member
 * out of 300. */
static double single_cost(state *s, uint32_t iter, int distinct)
{
	double v[REPEAT];
	for (int r = 0; r < REPEAT; r++) {
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			uint64_t c;
			char m[16];
			int rc;
			if (distinct) {
				size_t ml = (size_t)snprintf(m, sizeof(m), "10.0.%u.%u", (i % 300) >> 8, i % 300 & 255);
				rc = state_distinct_add(s, SK_LIT("user:alice"), sk_slice_make(m, ml), 60000,
							1000000 + i, &c);
			} else {
				rc = state_count_add(s, SK_LIT("user:alice"), 1, 60000, 1000000 + i, &c);
			}
			if (rc != STATE_OK)
				exit(1);
			sink += c;
		}
		v[r] = (bench_now_ns() - t0) / iter;
	}
	return bench_median(v, REPEAT);
}

int main(int argc, char **argv)
{
	uint32_t iter = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	if (iter < 1000)
		iter = 1000;
	signal(SIGPIPE, SIG_IGN);

	printf("memory backend (%u ops per figure, median of %d)\n", iter, REPEAT);
	double h = hash_only(100000, iter);
	double fit = mem_add(1 << 20, 100000, iter, 0);
	double flood = mem_add(1 << 16, 1u << 24, iter, 0);
	printf("  siphash13 of the key (baseline) %8.1f ns\n", h);
	printf("  count_add, 100k keys, no evict  %8.1f ns  (%.1fx baseline)\n", fit, fit / h);
	printf("  count_add, new keys, evicting   %8.1f ns  (%.1fx baseline)\n", flood, flood / h);
	double dfit = mem_add(1 << 20, 100000, iter, 1);
	double dflood = mem_add(1 << 16, 1u << 24, iter, 1);
	printf("  distinct_add, 100k keys         %8.1f ns  (%.1fx baseline)\n", dfit, dfit / h);
	printf("  distinct_add, new keys, evict   %8.1f ns  (%.1fx baseline)\n", dflood, dflood / h);
	for (size_t nops = 6; nops <= 8; nops += 2) {
		state *m = state_memory_new(1 << 18, NULL);
		double rt;
		double mb = batch_cost(m, nops, iter / (uint32_t)nops, &rt);
		state_stats st;
		state_get_stats(m, &st);
		printf("  login batch (%zu ops)             %8.1f ns  (%.1fx baseline), %llu keys held of %u\n", nops,
		       mb, mb / h, (unsigned long long)st.keys, 3u << 18);
		state_free(m);
	}

	bench_redis rs;
	int started = bench_redis_start(&rs);
	if (started < 0)
		return 1;
	if (started > 0) {
		printf("redis backend: skipped (redis-server not found or did not start)\n");
		return 0;
	}
	uint16_t port = rs.port;
	uint32_t riter = iter / 50 < 2000 ? 2000 : iter / 50;
	printf("redis backend (redis-server on 127.0.0.1:%u, %u ops per figure)\n", (unsigned)port, riter);
	double ping = bench_ping_ns(port, riter, REPEAT);
	char err[128];
	state *s = state_redis_new("127.0.0.1", port, "bench:", 1000, err, sizeof(err));
	if (!s || state_health(s) != STATE_OK) {
		printf("  cannot use redis: %s\n", err);
	} else {
		double one = single_cost(s, riter, 0);
		double done = single_cost(s, riter, 1);
		double rt;
		double b = batch_cost(s, 6, riter, &rt);
		printf("  PING round trip (baseline)      %8.1f us\n", ping / 1000);
		printf("  count_add                       %8.1f us  (%.2fx PING), 1 round trip\n", one / 1000,
		       one / ping);
		printf("  distinct_add                    %8.1f us  (%.2fx PING), 1 round trip\n", done / 1000,
		       done / ping);
		printf("  login batch (6 ops)             %8.1f us  (%.2fx PING), %.2f round trips per batch\n",
		       b / 1000, b / ping, rt);
		b = batch_cost(s, 8, riter, &rt);
		printf("  login batch (8 ops, 2 distinct) %8.1f us  (%.2fx PING), %.2f round trips per batch\n",
		       b / 1000, b / ping, rt);
	}
	state_free(s);
	bench_redis_stop(&rs);
	return 0;
}
