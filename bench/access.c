/* access.c - cost of the access rules per request.
 *
 *   access [DB.mmdb]
 *
 * For deny lists of 10 to 50,000 random CIDRs (IPv4 /8../32 and IPv6
 * /16../128 mixed): ns per access_check (the range table's binary search)
 * next to a plain scan of the same list with cidr_contains, measured in the
 * same run; addresses are random, a quarter of them inside listed blocks.
 * With a database: ns per geoip_country (libmaxminddb lookup + iso_code).
 * Each figure is the median of 5 repetitions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/sys/geoip.h"
#include "bench_util.h"
#include "sekisho/access.h"

#define REPEAT 5
#define PROBES 200000

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_v4(sk_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->b[10] = a->b[11] = 0xff;
	uint32_t v = (uint32_t)rnd();
	memcpy(a->b + 12, &v, 4);
	a->v4 = true;
}

static void random_addr(sk_addr *a)
{
	if (rnd() % 4) {
		random_v4(a);
		return;
	}
	memset(a, 0, sizeof(*a));
	a->b[0] = 0x20;
	a->b[1] = 0x01;
	for (int i = 2; i < 16; i++)
		a->b[i] = (uint8_t)rnd();
}

static volatile uint64_t sink;

static void bench_list(size_t n)
{
	sk_cidr *l = malloc(n * sizeof(*l));
	sk_addr *probe = malloc(PROBES * sizeof(*probe));
	if (!l || !probe)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		random_addr(&l[i].addr);
		l[i].bits = l[i].addr.v4 ? 96 + 8 + (unsigned)(rnd() % 25) : 16 + (unsigned)(rnd() % 113);
	}
	for (size_t i = 0; i < PROBES; i++) {
		if (i % 4 == 0) {
			probe[i] = l[rnd() % n].addr; /* inside a listed block */
		} else {
			random_addr(&probe[i]);
		}
	}
	access_spec g = { .deny = l, .ndeny = n };
	access_rules *r = access_compile(&g, NULL, 0, false);
	if (!r)
		exit(1);
	double t_table[REPEAT], t_scan[REPEAT];
	size_t hits_table = 0, hits_scan = 0, np = 0;
	for (int rep = 0; rep < REPEAT; rep++) {
		double t0 = bench_now_ns();
		size_t h = 0;
		for (size_t i = 0; i < PROBES; i++)
			h += !access_check(r, &probe[i], SK_SLICE_NULL, SK_COUNTRY_UNKNOWN, NULL);
		t_table[rep] = (bench_now_ns() - t0) / PROBES;
		hits_table = h;
		/* The scan gets fewer probes for large lists, or it takes minutes. */
		np = n > 5000 ? PROBES / 20 : PROBES;
		t0 = bench_now_ns();
		h = 0;
		for (size_t i = 0; i < np; i++)
			for (size_t k = 0; k < n; k++)
				if (cidr_contains(&l[k], &probe[i])) {
					h++;
					break;
				}
		t_scan[rep] = (bench_now_ns() - t0) / np;
		hits_scan = h;
	}
	double a = bench_median(t_table, REPEAT), b = bench_median(t_scan, REPEAT);
	printf("deny list %6zu CIDRs: access_check %7.1f ns   linear scan %9.1f ns   (%.0fx; denied %.1f%% and %.1f%% "
	       "of the probes)\n",
	       n, a, b, b / a, 100.0 * (double)hits_table / PROBES, 100.0 * (double)hits_scan / (double)np);
	sink += hits_table + hits_scan;
	access_free(r);
	free(l);
	free(probe);
}

static void bench_geoip(const char *path)
{
	char err[512];
	geoip *g = geoip_open(path, err, sizeof(err));
	if (!g) {
		printf("geoip: %s\n", err);
		return;
	}
	sk_addr *probe = malloc(PROBES * sizeof(*probe));
	if (!probe)
		exit(1);
	for (size_t i = 0; i < PROBES; i++)
		random_v4(&probe[i]);
	double t[REPEAT];
	size_t known = 0;
	for (int rep = 0; rep < REPEAT; rep++) {
		double t0 = bench_now_ns();
		size_t k = 0;
		for (size_t i = 0; i < PROBES; i++)
			k += geoip_country(g, &probe[i]) != SK_COUNTRY_UNKNOWN;
		t[rep] = (bench_now_ns() - t0) / PROBES;
		known = k;
	}
	char d[256];
	geoip_describe(g, d, sizeof(d));
	printf("geoip_country (%s): %.1f ns per lookup, %zu of %d random IPv4 addresses known\n", d,
	       bench_median(t, REPEAT), known, PROBES);
	sink += known;
	free(probe);
	geoip_close(g);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 10, 100, 1000, 5000, 50000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench_list(sizes[i]);
	if (argc > 1)
		bench_geoip(argv[1]);
	return 0;
}
