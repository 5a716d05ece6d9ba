/* detector_cases.h - the shared runner of detector unit tests:
 * tests/data/<name>/tp.txt must fire at paranoia 1 and tn.txt must not,
 * one harness case per line; FRAG checks a reported fragment; hostile()
 * times a 1 MB value. A data line may start with "@LOC[:NAME] " to set
 * its location and name (LOC as in target_loc_name()); otherwise the
 * detector's defaults for tp and tn lines apply.
 *
 *   static const detector_under_test D = { "ldapi", ldapi_detect, LOC_FORM, "user", LOC_FORM, "user" };
 *   int main(void) { DETECTOR_TEST_INIT(D); RUN(test_data); ... }
 */
#ifndef SEKISHO_DETECTOR_CASES_H
#define SEKISHO_DETECTOR_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

typedef struct detector_under_test {
	const char *name; /* data directory under tests/data */
	detector_fn fn;
	target_loc tp_loc;
	const char *tp_name;
	target_loc tn_loc;
	const char *tn_name;
} detector_under_test;

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

/* Run the detector on a data line; -1 if a hit is reported out of range. */
static int run(const char *p, size_t n, int paranoia, det_hit *hit)
{
	dcase c;
	dcase_make(&c, p, n, cur_loc, cur_name, paranoia);
	det_hit h = { 0 };
	int r = dut->fn(&c.in, &h);
	if (r && (h.off > c.in.value.len || h.len > c.in.value.len - h.off || !h.rule || h.score < 1)) {
		harness_fail("hit out of range", p, n);
		r = -1;
	}
	if (hit)
		*hit = h;
	return r;
}

static void tp_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	int ok = run(l->buf, l->len, 1, NULL) == 1;
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
	int ok = run(l->buf, l->len, 1, &h) == 0;
	if (!ok) {
		harness_case = "tn.txt";
		harness_fail(h.rule ? h.rule : "fired", l->buf, l->len);
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

/* A 1 MB value made of `pattern` repeated must be judged in bounded time. */
static void hostile(const char *pattern, target_loc loc, const char *name)
{
	size_t n = 1u << 20, pl = strlen(pattern);
	char *buf = malloc(n);
	if (!buf)
		abort();
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern[i % pl];
	sk_slice v = { buf, n };
	det_input in = { v, det_classes(v), { name, strlen(name) }, loc, 3 };
	det_hit h;
	clock_t t0 = clock();
	(void)dut->fn(&in, &h);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (secs > 0.5) {
		harness_fail("slow on 1 MB", pattern, pl);
		fprintf(stderr, "  %.3f s\n", secs);
	}
	free(buf);
}

#endif
