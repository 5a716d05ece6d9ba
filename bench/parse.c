/* parse.c - throughput of the HTTP inspection core: head parsing, and the
 * full inspection view (head + body parsers + decoding + normalisation),
 * next to a plain memchr scan of the same bytes measured in the same run.
 *
 *   parse FILE.bin|- [TYPICAL.bin...]
 *
 * FILE.bin holds requests as written by tools/corpus_raw.py ("-": skip the
 * throughput part, time only the typical sets). Each further
 * file holds a set of "typical" requests of about 1 KB (bench/run makes
 * page views, and a mix with form and JSON bodies); for each, the time to
 * build the full view, and view + engine, in nanoseconds per request.
 * Every figure is the median of several repetitions.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bench_util.h"
#include "sekisho/arena.h"
#include "sekisho/engine.h"
#include "sekisho/http.h"
#include "sekisho/view.h"

#define REPEAT 7

struct reqs {
	char **p;
	size_t *len;
	size_t n, bytes;
};

static int load(const char *path, struct reqs *r)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 0, n;
	char *b;
	memset(r, 0, sizeof(*r));
	while ((b = bench_read_request(f, &n)) != NULL) {
		if (r->n == cap) {
			cap = cap ? cap * 2 : 1024;
			r->p = realloc(r->p, cap * sizeof(*r->p));
			r->len = realloc(r->len, cap * sizeof(*r->len));
			if (!r->p || !r->len)
				return -1;
		}
		r->p[r->n] = b;
		r->len[r->n++] = n;
		r->bytes += n;
	}
	fclose(f);
	return 0;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static volatile size_t sink;

/* Baseline: find every line end with memchr, as any HTTP reader must. */
static double run_memchr(const struct reqs *r)
{
	double t0 = now_ns();
	size_t lines = 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *p = r->p[i], *end = p + r->len[i];
		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			p++;
			lines++;
		}
	}
	sink = lines;
	return now_ns() - t0;
}

static double run_head(const struct reqs *r, const http_limits *lim, http_header *h)
{
	double t0 = now_ns();
	size_t ok = 0;
	for (size_t i = 0; i < r->n; i++) {
		http_req_parser st = { 0 };
		http_request req;
		sk_error err;
		ok += http_parse_request(&st, r->p[i], r->len[i], &req, h, lim->max_headers, lim, &err) > 0;
	}
	sink = ok;
	return now_ns() - t0;
}

static double run_view(const struct reqs *r, const http_limits *lim, http_header *h, arena *a, size_t *ok_out)
{
	double t0 = now_ns();
	size_t ok = 0, targets = 0;
	for (size_t i = 0; i < r->n; i++) {
		http_request req;
		http_view v;
		sk_slice body;
		bool trunc;
		size_t used;
		sk_error err;
		arena_reset(a);
		if (http_read_request(r->p[i], r->len[i], &req, h, lim->max_headers, a, lim, &body, &trunc, &used,
				      &err) == SK_OK &&
		    view_build(&v, &req, body, trunc, a, lim, &err) == SK_OK) {
			ok++;
			targets += v.ntargets;
		}
	}
	sink = targets;
	*ok_out = ok;
	return now_ns() - t0;
}

/* View plus the detection engine (paranoia 1), per request. */
static double run_inspect(const struct reqs *r, const http_limits *lim, http_header *h, arena *a, const engine *e,
			  engine_scratch *s)
{
	double t0 = now_ns();
	size_t blocked = 0;
	for (size_t i = 0; i < r->n; i++) {
		http_request req;
		http_view v;
		sk_slice body;
		bool trunc;
		size_t used;
		sk_error err;
		verdict vd;
		arena_reset(a);
		if (http_read_request(r->p[i], r->len[i], &req, h, lim->max_headers, a, lim, &body, &trunc, &used,
				      &err) == SK_OK &&
		    view_build(&v, &req, body, trunc, a, lim, &err) == SK_OK) {
			engine_inspect(e, s, &req, &v, NULL, a, &vd);
			blocked += vd.block;
		}
	}
	sink = blocked;
	return now_ns() - t0;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmpd);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: parse FILE.bin|- [TYPICAL.bin...]\n");
		return 2;
	}
	struct reqs all, typ;
	memset(&typ, 0, sizeof(typ));
	bool throughput = strcmp(argv[1], "-") != 0;
	if ((throughput && load(argv[1], &all) != 0) || (argc > 2 && load(argv[2], &typ) != 0))
		return 2;
	http_limits lim;
	http_limits_default(&lim);
	http_header *h = calloc(lim.max_headers, sizeof(*h));
	arena *a = arena_new(lim.max_arena);
	if (throughput) {
		double tm[REPEAT], th[REPEAT], tv[REPEAT];
		size_t ok = 0;
		for (int k = 0; k < REPEAT; k++) {
			tm[k] = run_memchr(&all);
			th[k] = run_head(&all, &lim, h);
			tv[k] = run_view(&all, &lim, h, a, &ok);
		}
		double mb = (double)all.bytes / 1e6;
		double m = median(tm, REPEAT), hd = median(th, REPEAT), vw = median(tv, REPEAT);
		printf("bench/parse: %zu requests, %.2f MB (%zu parsed into a view), median of %d runs, one core\n",
		       all.n, mb, ok, REPEAT);
		printf("  %-34s %10.1f MB/s %12.0f req/s   ratio\n", "memchr line scan (baseline)", mb / (m / 1e9),
		       (double)all.n / (m / 1e9));
		printf("  %-34s %10.1f MB/s %12.0f req/s   %5.2fx memchr time\n", "request head parse",
		       mb / (hd / 1e9), (double)all.n / (hd / 1e9), hd / m);
		printf("  %-34s %10.1f MB/s %12.0f req/s   %5.2fx memchr time\n", "full inspection view",
		       mb / (vw / 1e9), (double)all.n / (vw / 1e9), vw / m);
	} else {
		printf("bench/parse: typical requests only, median of %d runs, one core\n", REPEAT);
	}
	/* Each further file is a set of "typical" requests; its name labels it. */
	for (int fi = 2; fi < argc; fi++) {
		if (fi > 2 && load(argv[fi], &typ) != 0)
			return 2;
		if (!typ.n)
			continue;
		const char *label = strrchr(argv[fi], '/') ? strrchr(argv[fi], '/') + 1 : argv[fi];
		double tt[REPEAT], tm[REPEAT];
		size_t tok;
		for (int k = 0; k < REPEAT; k++) {
			tm[k] = run_memchr(&typ) / (double)typ.n;
			tt[k] = run_view(&typ, &lim, h, a, &tok) / (double)typ.n;
		}
		/* The same-run baseline: finding the line ends of the same bytes. */
		double base = median(tm, REPEAT);
		printf("  %s (%zu requests, mean %.0f bytes): memchr line scan %.0f ns; full view in %.0f ns (goal < 2000 ns, %.1fx the scan)\n",
		       label, typ.n, (double)typ.bytes / (double)typ.n, base, median(tt, REPEAT), median(tt, REPEAT) / base);
		/* View + engine, without and with the per-worker clean-value cache
		 * (each repeat starts with an empty cache). */
		for (int cached = 0; cached <= 1; cached++) {
			engine_config cfg;
			engine_config_default(&cfg);
			cfg.cache = cached && getrandom(cfg.cache_key, sizeof(cfg.cache_key), 0) == sizeof(cfg.cache_key);
			engine *e = engine_new(&cfg);
			for (int k = 0; k < REPEAT; k++) {
				engine_scratch *s = engine_scratch_new(e);
				tt[k] = run_inspect(&typ, &lim, h, a, e, s) / (double)typ.n;
				engine_scratch_free(s);
			}
			printf("  %s: view + detection engine (paranoia 1%s) in %.0f ns (goal < 5000 ns, %.1fx the scan)\n",
			       label, cfg.cache ? ", clean-value cache" : "", median(tt, REPEAT), median(tt, REPEAT) / base);
			engine_free(e);
		}
	}
	arena_free(a);
	free(h);
	return 0;
}
