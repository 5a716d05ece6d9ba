/* detector_cases.h - the shared runner of detector unit tests:
 * tests/data/<name>/tp.txt must fire at paranoia 1 and tn.txt must not,
 * one harness case per line; FRAG checks a reported fragment; hostile()
 * and hostile_mix() check that a 1 MB value costs about 8 times a 128 KB
 * one (harness_linear_fill). A data line may start with "@LOC[:NAME] " to
 * set its location and name (LOC as in target_loc_name()); otherwise the
 * detector's defaults for tp and tn lines apply.
 *
 *   static const detector_under_test D = { .name = "ldapi", .fn = ldapi_detect, .tp_loc = LOC_FORM,
 *                                          .tp_name = "user", .tn_loc = LOC_FORM, .tn_name = "user" };
 *   int main(void) { DETECTOR_TEST_INIT(D); RUN(test_data); ... }
 *
 * The spot-list format instead: lines are raw values (an '@' is data),
 * each tp line must fire with at least tp_score in every one of tp_spots,
 * and no tn line may fire in any of tn_spots (lists end with a NULL name):
 *
 *   static const det_spot tp[] = { { LOC_QUERY_ARG, "q" }, { LOC_HEADER, "User-Agent" }, { 0, NULL } };
 *   static const detector_under_test D = { .name = "jndi", .fn = jndi_detect, .tp_spots = tp,
 *                                          .tp_score = DET_SCORE_WARNING, .tn_spots = tn };
 */
#ifndef SEKISHO_DETECTOR_CASES_H
#define SEKISHO_DETECTOR_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

typedef struct det_spot {
	target_loc loc;
	const char *name; /* NULL ends a list */
} det_spot;

typedef struct detector_under_test {
	const char *name; /* data directory under tests/data */
	detector_fn fn;
	target_loc tp_loc;
	const char *tp_name;
	target_loc tn_loc;
	const char *tn_name;
	const det_spot *tp_spots; /* if set: the spot-list format for tp.txt */
	int tp_score;             /* least score of a tp hit (0: any) */
	const det_spot *tn_spots; /* if set: the spot-list format for tn.txt */
} detector_under_test;

/* Every spot a value may come from, under one name. */
#define DET_SPOTS_ANYWHERE(name)                                                                   \
	{                                                                                          \
		{ LOC_QUERY_ARG, name }, { LOC_FORM, name }, { LOC_JSON, name }, { LOC_COOKIE, name }, \
			{ LOC_HEADER, name }, { 0, NULL }                                          \
	}
/* Where a client's own text lands: a query argument, a header, a JSON leaf, a cookie. */
#define DET_SPOTS_CLIENT                                                                           \
	{                                                                                          \
		{ LOC_QUERY_ARG, "q" }, { LOC_HEADER, "User-Agent" }, { LOC_JSON, "user.name" },   \
			{ LOC_COOKIE, "locale" }, { 0, NULL }                                      \
	}
/* Plain traffic: a query argument and a Referer. */
#define DET_SPOTS_PLAIN { { LOC_QUERY_ARG, "q" }, { LOC_HEADER, "Referer" }, { 0, NULL } }

static const detector_under_test *dut;
static target_loc cur_loc;
static const char *cur_name;

#define DETECTOR_TEST_INIT(d) (dut = &(d), cur_loc = (d).tp_loc, cur_name = (d).tp_name)

typedef struct dcase {
	det_input in;
	char name[64];
} dcase;

/* Build an input from a data line, honouring an "@loc[:name] " prefix. */
static void dcase_make(dcase *c, const char *p, size_t n, target_loc def_loc, const char *def_name, int paranoia)
{
	target_loc loc = def_loc;
	snprintf(c->name, sizeof(c->name), "%s", def_name);
	if (n > 1 && p[0] == '@') {
		size_t e = 1;
		while (e < n && p[e] != ' ')
			e++;
		size_t colon = 1;
		while (colon < e && p[colon] != ':')
			colon++;
		for (int l = 0; l < LOC__COUNT; l++) {
			const char *ln = target_loc_name((target_loc)l);
			if (strlen(ln) == colon - 1 && memcmp(ln, p + 1, colon - 1) == 0)
				loc = (target_loc)l;
		}
		c->name[0] = '\0';
		if (colon < e)
			snprintf(c->name, sizeof(c->name), "%.*s", (int)(e - colon - 1), p + colon + 1);
		p += e < n ? e + 1 : e;
		n -= e < n ? e + 1 : n;
	}
	sk_slice v = { p, n };
	c->in = (det_input){ v, det_classes(v), { c->name, strlen(c->name) }, loc, paranoia };
}

/* Run the detector on a value at loc/name; -1 if a hit is reported out
 * of range. hit may be NULL. */
static int run_at(const char *p, size_t n, target_loc loc, const char *name, int paranoia, det_hit *hit)
{
	sk_slice v = { p, n };
	det_input in = { v, det_classes(v), { name, strlen(name) }, loc, paranoia };
	det_hit h = { 0 };
	int r = dut->fn(&in, &h);
	if (r && (h.off > n || h.len > n - h.off || !h.rule || h.score < 1)) {
		harness_fail("hit out of range", p, n);
		r = -1;
	}
	if (hit)
		*hit = h;
	return r;
}

/* Run the detector on a data line; -1 if a hit is reported out of range. */
static int run(const char *p, size_t n, int paranoia, det_hit *hit)
{
	dcase c;
	dcase_make(&c, p, n, cur_loc, cur_name, paranoia);
	return run_at(c.in.value.p, c.in.value.len, c.in.loc, c.name, paranoia, hit);
}

/* A tp line fires (in every spot, with tp_score, in the spot-list format). */
static int tp_fires(const harness_line *l)
{
	if (!dut->tp_spots)
		return run(l->buf, l->len, 1, NULL) == 1;
	for (const det_spot *s = dut->tp_spots; s->name; s++) {
		det_hit h;
		if (run_at(l->buf, l->len, s->loc, s->name, 1, &h) != 1 || h.score < dut->tp_score)
			return 0;
	}
	return 1;
}

/* A tn line fires nowhere; *h is the hit if it does. */
static int tn_silent(const harness_line *l, det_hit *h)
{
	if (!dut->tn_spots)
		return run(l->buf, l->len, 1, h) == 0;
	for (const det_spot *s = dut->tn_spots; s->name; s++)
		if (run_at(l->buf, l->len, s->loc, s->name, 1, h) != 0)
			return 0;
	return 1;
}

static void tp_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	int ok = tp_fires(l);
	if (!ok) {
		harness_case = "tp.txt";
		harness_fail("missed", l->buf, l->len);
	}
	harness_count(ok);
}

static void tn_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	det_hit h;
	int ok = tn_silent(l, &h);
	if (!ok) {
		harness_case = "tn.txt";
		harness_fail(h.rule ? h.rule : "fired", l->buf, l->len);
		fprintf(stderr, "    fragment at %zu len %zu\n", h.off, h.len);
	}
	harness_count(ok);
}

static void test_data(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/tp.txt", dut->name);
	CHECK(harness_each_line(path, tp_line, NULL) >= 40);
	cur_loc = dut->tn_loc;
	cur_name = dut->tn_name;
	snprintf(path, sizeof(path), "%s/tn.txt", dut->name);
	CHECK(harness_each_line(path, tn_line, NULL) >= 40);
	cur_loc = dut->tp_loc;
	cur_name = dut->tp_name;
}

/* Fire on `lit` and check the fragment. */
#define FRAG(lit, frag)                                                                   \
	do {                                                                              \
		det_hit h_;                                                               \
		CHECK_INT(run(lit, sizeof(lit) - 1, 1, &h_), 1);                          \
		CHECK_MEM((lit) + h_.off, h_.len, frag);                                  \
	} while (0)

/* Short and plain values never fire, at any paranoia. */
static inline void test_short(void)
{
	CHECK_INT(run_at("", 0, LOC_QUERY_ARG, "q", 1, NULL), 0);
	CHECK_INT(run_at("a", 1, LOC_QUERY_ARG, "q", 1, NULL), 0);
	CHECK_INT(run_at("hello world", 11, LOC_QUERY_ARG, "q", 3, NULL), 0);
	CHECK_INT(run_at("12345", 5, LOC_QUERY_ARG, "q", 3, NULL), 0);
}

/* ---- linear time on hostile values (harness_linear_fill) ---- */

typedef struct hostile_at {
	target_loc loc;
	const char *name;
	int paranoia; /* 0: every level, 1 to 3 */
} hostile_at;

static inline void hostile_scan(const char *buf, size_t n, void *ctx)
{
	const hostile_at *a = ctx;
	int lo = a->paranoia ? a->paranoia : 1, hi = a->paranoia ? a->paranoia : 3;
	for (int p = lo; p <= hi; p++)
		(void)run_at(buf, n, a->loc, a->name, p, NULL); /* a hit out of range fails */
}

/* Any value `fill` builds, at loc/name and paranoia (0: every level). */
static inline void hostile_fill(harness_fill_fn *fill, const void *fill_ctx, const char *what, target_loc loc,
				const char *name, int paranoia)
{
	hostile_at a = { loc, name, paranoia };
	harness_linear_fill(fill, fill_ctx, hostile_scan, &a, what);
}

/* `pattern` repeated, at loc/name and paranoia (0: every level). */
static inline void hostile_level(const char *pattern, target_loc loc, const char *name, int paranoia)
{
	hostile_at a = { loc, name, paranoia };
	harness_linear(hostile_scan, pattern, &a);
}

/* `pattern` repeated, at paranoia 3. */
static inline void hostile(const char *pattern, target_loc loc, const char *name)
{
	hostile_level(pattern, loc, name, 3);
}

typedef struct hostile_pieces {
	const char *const *pieces;
	size_t n;
	unsigned seed;
} hostile_pieces;

/* A pseudo-random mix of pieces (a fixed seed: the same value every run),
 * up to 16 bytes short of cap. */
static inline size_t hostile_mix_fill(char *buf, size_t cap, const void *ctx)
{
	const hostile_pieces *hp = ctx;
	unsigned x = hp->seed;
	size_t n = 0;
	while (n + 16 < cap) {
		x = x * 1103515245u + 12345u;
		const char *p = hp->pieces[(x >> 16) % hp->n];
		size_t k = strlen(p);
		memcpy(buf + n, p, k);
		n += k;
	}
	return n;
}

/* Each of n patterns repeated, at loc/name and paranoia (0: every level). */
static inline void hostile_each(const char *const *pats, size_t n, target_loc loc, const char *name, int paranoia)
{
	for (size_t k = 0; k < n; k++)
		hostile_level(pats[k], loc, name, paranoia);
}

/* A mix of pieces at loc/name at every paranoia level. */
static inline void hostile_mix(const char *const *pieces, size_t n, unsigned seed, target_loc loc, const char *name)
{
	hostile_pieces hp = { pieces, n, seed };
	hostile_fill(hostile_mix_fill, &hp, "a mix of pieces", loc, name, 0);
}

#endif
