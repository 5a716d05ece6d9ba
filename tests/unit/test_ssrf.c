/* test_ssrf.c - the ssrf detector: tests/data/ssrf/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise query_arg "url". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

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

static int run(const char *p, size_t n, int paranoia, det_hit *hit)
{
	dcase c;
	dcase_make(&c, p, n, LOC_QUERY_ARG, "url", paranoia);
	det_hit h = { 0 };
	int r = ssrf_detect(&c.in, &h);
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
		harness_fail("ssrf missed", l->buf, l->len);
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
		harness_fail(h.rule ? h.rule : "ssrf fired", l->buf, l->len);
	}
	harness_count(ok);
}

static void test_data(void)
{
	CHECK(harness_each_line("ssrf/tp.txt", tp_line, NULL) >= 40);
	CHECK(harness_each_line("ssrf/tn.txt", tn_line, NULL) >= 40);
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
	(void)ssrf_detect(&in, &h);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (secs > 0.5) {
		harness_fail("slow on 1 MB", pattern, pl);
		fprintf(stderr, "  %.3f s\n", secs);
	}
	free(buf);
}

static void test_fragments(void)
{
	FRAG("http://127.0.0.1:8080/admin", "http://127.0.0.1:8080");
	FRAG("see=gopher://x:70/_a", "gopher:/");
	FRAG("?u=http://a@[::1]/", "http://a@[::1]");
}

static void test_paranoia(void)
{
	/* an internal URL inside prose passes at 1, fires at 2 */
	const char prose[] = "proxy_pass http://127.0.0.1:8080;";
	CHECK_INT(run(prose, sizeof(prose) - 1, 1, NULL), 0);
	CHECK_INT(run(prose, sizeof(prose) - 1, 2, NULL), 1);
}

static void test_hostile(void)
{
	hostile("http:", LOC_QUERY_ARG, "url");
	hostile("http://[", LOC_QUERY_ARG, "url");
	hostile("http://a@", LOC_QUERY_ARG, "url");
	hostile("'\"<>-[]()", LOC_QUERY_ARG, "url");
	hostile("0x7f.", LOC_QUERY_ARG, "url");
}

int main(void)
{
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("ssrf");
}
