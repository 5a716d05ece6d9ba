/* targets.c - where the engine's time goes: the cost of every built-in
 * detector on every kind of target of a set of requests, per request.
 *
 *   targets [-c] [-r REPEAT] FILE.bin
 *
 * FILE.bin holds requests as written by tools/corpus_raw.py. Each detector
 * is called on each target value as the engine calls it, and timed with
 * the CPU's time-stamp counter (TSC ticks; `grep MHz /proc/cpuinfo` gives
 * their rate). By default one call each, as in a worker, where the previous
 * value ran other detectors in between: caches and branch predictors are
 * as cold as they are in the engine. -r takes the minimum of REPEAT calls
 * instead (the warm cost). -c skips values the engine's clean-value cache
 * would skip (a repeated value in a cached location), to show what remains.
 * Rows are target kinds (headers and cookies by name); columns detectors;
 * kinds below 20 ticks per request are left out. A development tool: the
 * figures move with the machine, the ranking is what to read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static uint64_t ticks(void)
{
	return __rdtsc();
}
#else
#include <time.h>
static uint64_t ticks(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
#endif

#include "bench_util.h"
#include "sekisho/arena.h"
#include "sekisho/detectors.h"
#include "sekisho/http.h"
#include "sekisho/siphash.h"
#include "sekisho/view.h"

#define MAX_KINDS 512
#define MAX_DETECTORS 32
#define SEEN_SLOTS 65536

struct kind {
	char key[64];
	double cost[MAX_DETECTORS];
	unsigned long n;
};

static struct kind kinds[MAX_KINDS];
static size_t nkinds;

static struct kind *kind_get(const char *key)
{
	for (size_t i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].key, key) == 0)
			return &kinds[i];
	if (nkinds == MAX_KINDS)
		return &kinds[MAX_KINDS - 1]; /* the last row collects the overflow */
	snprintf(kinds[nkinds].key, sizeof(kinds[nkinds].key), "%s", key);
	return &kinds[nkinds++];
}

/* The locations the engine caches (CACHE_LOCS in lib/detect/engine.c). */
#define LB(l) (1u << (l))
static const unsigned cached_locs = LB(LOC_PATH) | LB(LOC_HEADER) | LB(LOC_COOKIE_NAME) | LB(LOC_QUERY_ARG_NAME) |
				    LB(LOC_FORM_NAME) | LB(LOC_JSON_KEY) | LB(LOC_MULTIPART_HEADER) | LB(LOC_COOKIE);

/* Was this (location, name, value) seen before? A direct-mapped table of
 * hashes: a miss on a collision only overstates the cost. */
static bool seen_before(uint64_t *seen, const target *t)
{
	static const uint8_t key[16] = "bench-targets-k";
	siphash_state st;
	siphash_init(&st, key, 1, 3);
	siphash_update(&st, &t->loc, 1);
	siphash_update(&st, t->name.p, t->name.len);
	siphash_update(&st, "=", 1);
	siphash_update(&st, t->value.p, t->value.len);
	uint64_t h = siphash_final(&st) | 1;
	uint64_t *slot = &seen[h % SEEN_SLOTS];
	if (*slot == h)
		return true;
	*slot = h;
	return false;
}

int main(int argc, char **argv)
{
	bool cache = false;
	int repeat = 1, opt;
	while ((opt = getopt(argc, argv, "cr:")) != -1) {
		if (opt == 'c')
			cache = true;
		else if (opt == 'r' && (repeat = (int)strtol(optarg, NULL, 10)) >= 1)
			continue;
		else {
			fprintf(stderr, "usage: targets [-c] [-r REPEAT] FILE.bin\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: targets [-c] [-r REPEAT] FILE.bin\n");
		return 2;
	}
	FILE *f = fopen(argv[optind], "rb");
	if (!f) {
		perror(argv[optind]);
		return 2;
	}
	size_t ndet = 0;
	while (detector_table[ndet].name && ndet < MAX_DETECTORS)
		ndet++;
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	http_header *h = calloc(lim.max_headers, sizeof(*h));
	uint64_t *seen = calloc(SEEN_SLOTS, sizeof(*seen));
	if (!a || !h || !seen)
		return 2;
	double total[MAX_DETECTORS] = { 0 };
	size_t nreq = 0;
	size_t len;
	char *buf;
	while ((buf = bench_read_request(f, &len)) != NULL) {
		http_request req;
		http_view v;
		sk_slice body;
		bool trunc;
		size_t used;
		sk_error err;
		arena_reset(a);
		if (http_read_request(buf, len, &req, h, lim.max_headers, a, &lim, &body, &trunc, &used, &err) != SK_OK ||
		    view_build(&v, &req, body, trunc, a, &lim, &err) != SK_OK) {
			free(buf);
			continue;
		}
		nreq++;
		for (size_t ti = 0; ti < v.ntargets; ti++) {
			const target *t = &v.targets[ti];
			if (t->loc == LOC_METHOD)
				continue;
			if (cache && (cached_locs & LB(t->loc)) && t->value.len <= 512 && seen_before(seen, t))
				continue;
			char key[64];
			if (t->loc == LOC_HEADER || t->loc == LOC_COOKIE || t->loc == LOC_QUERY_ARG)
				snprintf(key, sizeof(key), "%s:%.*s", target_loc_name(t->loc),
					 (int)(t->name.len > 30 ? 30 : t->name.len), t->name.p);
			else
				snprintf(key, sizeof(key), "%s", target_loc_name(t->loc));
			struct kind *k = kind_get(key);
			k->n++;
			det_input in = { t->value, det_classes(t->value), t->name, (target_loc)t->loc, 1 };
			for (size_t d = 0; d < ndet; d++) {
				uint64_t best = UINT64_MAX;
				for (int r = 0; r < repeat; r++) {
					det_hit hit;
					uint64_t t0 = ticks();
					detector_table[d].fn(&in, &hit);
					uint64_t dt = ticks() - t0;
					if (dt < best)
						best = dt;
				}
				k->cost[d] += (double)best;
				total[d] += (double)best;
			}
		}
		free(buf);
	}
	fclose(f);
	if (!nreq) {
		fprintf(stderr, "targets: no request parsed\n");
		return 2;
	}
	printf("%zu requests; ticks per request (%s call%s, %s)\n", nreq, repeat > 1 ? "fastest of the" : "one",
	       repeat > 1 ? "s" : "", cache ? "values the clean-value cache would skip left out" : "every value");
	printf("%-30s %6s", "target", "n");
	for (size_t d = 0; d < ndet; d++)
		printf(" %6.6s", detector_table[d].name);
	printf(" %7s\n", "sum");
	for (size_t i = 0; i < nkinds; i++) {
		double sum = 0;
		for (size_t d = 0; d < ndet; d++)
			sum += kinds[i].cost[d];
		if (sum / (double)nreq < 20)
			continue;
		printf("%-30s %6lu", kinds[i].key, kinds[i].n);
		for (size_t d = 0; d < ndet; d++)
			printf(" %6.0f", kinds[i].cost[d] / (double)nreq);
		printf(" %7.0f\n", sum / (double)nreq);
	}
	double sum = 0;
	printf("%-30s %6s", "all targets", "");
	for (size_t d = 0; d < ndet; d++) {
		printf(" %6.0f", total[d] / (double)nreq);
		sum += total[d];
	}
	printf(" %7.0f\n", sum / (double)nreq);
	free(seen);
	free(h);
	arena_free(a);
	return 0;
}
