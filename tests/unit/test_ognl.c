/* test_ognl.c - the Struts 2 OGNL detector: data files, Content-Type at
 * every paranoia level, offsets and a hostile 1 MB value. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

static int run(const char *p, size_t n, target_loc loc, const char *name, int paranoia, det_hit *hit)
{
	det_input in = { sk_slice_make(p, n), 0, sk_slice_make(name, strlen(name)), loc, paranoia };
	in.classes = det_classes(in.value);
	memset(hit, 0, sizeof(*hit));
	int r = ognl_detect(&in, hit);
	if (r && (hit->off > n || hit->len > n - hit->off))
		harness_fail("fragment outside the value", p, n);
	return r;
}

static void tp_line(const harness_line *l, void *ctx)
{
	static const struct { target_loc loc; const char *name; } spots[] = {
		{ LOC_QUERY_ARG, "q" }, { LOC_FORM, "name" }, { LOC_HEADER, "X-Custom" },
		{ LOC_JSON, "a.b" }, { LOC_PATH, "" }, { LOC_BODY_RAW, "" },
	};
	int ok = 1;
	for (size_t s = 0; s < sizeof(spots) / sizeof(spots[0]); s++) {
		det_hit hit;
		if (!run(l->buf, l->len, spots[s].loc, spots[s].name, 1, &hit) || hit.score != DET_SCORE_CRITICAL) {
			ok = 0;
			harness_fail("tp not critical", l->buf, l->len);
			break;
		}
	}
	harness_count(ok);
}

/* CVE-2017-5638: critical in Content-Type at every paranoia level, and in
 * a multipart file name (S2-046). */
static void ct_line(const harness_line *l, void *ctx)
{
	int ok = 1;
	for (int p = 1; p <= 3; p++) {
		det_hit hit;
		if (!run(l->buf, l->len, LOC_HEADER, "Content-Type", p, &hit) || hit.score != DET_SCORE_CRITICAL)
			ok = 0;
		if (!run(l->buf, l->len, LOC_HEADER, "content-type", p, &hit) || hit.score != DET_SCORE_CRITICAL)
			ok = 0;
		if (!run(l->buf, l->len, LOC_MULTIPART_FILENAME, "file", p, &hit) ||
		    hit.score != DET_SCORE_CRITICAL)
			ok = 0;
	}
	if (!ok)
		harness_fail("Content-Type payload not critical", l->buf, l->len);
	harness_count(ok);
}

static void tn_line(const harness_line *l, void *ctx)
{
	det_hit hit;
	int ok = !run(l->buf, l->len, LOC_QUERY_ARG, "q", 1, &hit) &&
		 !run(l->buf, l->len, LOC_HEADER, "Content-Type", 1, &hit) &&
		 !run(l->buf, l->len, LOC_BODY_RAW, "", 1, &hit);
	if (!ok)
		harness_fail("tn fired", l->buf, l->len);
	harness_count(ok);
}

static void test_fragment(void)
{
	const char v[] = "x=1&redirect:${#a=1}";
	det_hit hit;
	CHECK(run(v, sizeof(v) - 1, LOC_QUERY_STRING, "", 1, &hit));
	CHECK_INT(hit.off, 4);
	CHECK_INT(hit.len, sizeof(v) - 1 - 4);
	const char w[] = "abc %{#context['x']} def";
	CHECK(run(w, sizeof(w) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK_INT(hit.off, 4);
	CHECK_INT(hit.len, 16);
}

static void test_paranoia(void)
{
	det_hit hit;
	const char probe[] = "${{7*7}}";
	CHECK(run(probe, sizeof(probe) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
	CHECK(run(probe, sizeof(probe) - 1, LOC_HEADER, "Content-Type", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_CRITICAL);
	const char field[] = "@java.lang.Integer@MAX_VALUE";
	CHECK(!run(field, sizeof(field) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK(run(field, sizeof(field) - 1, LOC_QUERY_ARG, "q", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double hostile(size_t cap)
{
	static const char *const pieces[] = { "#", "# ", "@a.b", "@", "%{", "${", "'", "\"", "(", ")",
					      ".", "<", "-", "new ", "a.b.c", "\\", "redirect:", " " };
	size_t n = 0;
	char *buf = malloc(cap);
	CHECK(buf != NULL);
	if (!buf)
		return 0;
	unsigned x = 777;
	while (n + 16 < cap) {
		x = x * 1103515245u + 12345u;
		const char *p = pieces[(x >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = strlen(p);
		memcpy(buf + n, p, k);
		n += k;
	}
	det_hit hit;
	double t0 = now();
	for (int p = 1; p <= 3; p++)
		run(buf, n, LOC_HEADER, "Content-Type", p, &hit);
	/* one long identifier chain and one long run of spaces after '#' */
	for (size_t i = 0; i < n; i++)
		buf[i] = (i % 2) ? '.' : 'a';
	buf[0] = '@';
	run(buf, n, LOC_BODY_RAW, "", 1, &hit);
	memset(buf, ' ', n);
	for (size_t i = 0; i < n; i += 4096)
		buf[i] = '#';
	run(buf, n, LOC_BODY_RAW, "", 1, &hit);
	double dt = now() - t0;
	free(buf);
	return dt;
}

/* 1 MB takes about 8 times as long as 128 KB: linear, not quadratic
 * (which would be 64 times); measured as a ratio so a loaded machine or
 * a sanitizer build does not matter. */
static void test_hostile(void)
{
	double small = hostile(1u << 17), big = hostile(1u << 20);
	CHECK(big < 20 * small + 0.05);
}

int main(void)
{
	harness_case = "ognl/tp.txt";
	CHECK(harness_each_line("ognl/tp.txt", tp_line, NULL) >= 40);
	harness_case = "ognl/ct.txt";
	CHECK(harness_each_line("ognl/ct.txt", ct_line, NULL) >= 10);
	harness_case = "ognl/tn.txt";
	CHECK(harness_each_line("ognl/tn.txt", tn_line, NULL) >= 40);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("ognl");
}
