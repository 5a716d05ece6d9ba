/* test_deser.c - the deserialization detector: data files, PHP arrays by
 * paranoia, offsets and a hostile 1 MB value. */
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
	int r = deser_detect(&in, hit);
	if (r && (hit->off > n || hit->len > n - hit->off))
		harness_fail("fragment outside the value", p, n);
	return r;
}

/* Every attack line fires critical in a query argument, a header and a JSON leaf. */
static void tp_line(const harness_line *l, void *ctx)
{
	static const struct { target_loc loc; const char *name; } spots[] = {
		{ LOC_QUERY_ARG, "q" }, { LOC_HEADER, "User-Agent" }, { LOC_JSON, "user.name" },
		{ LOC_COOKIE, "locale" },
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

static void tn_line(const harness_line *l, void *ctx)
{
	det_hit hit;
	int ok = !run(l->buf, l->len, LOC_QUERY_ARG, "q", 1, &hit) &&
		 !run(l->buf, l->len, LOC_HEADER, "Referer", 1, &hit);
	if (!ok)
		harness_fail("tn fired", l->buf, l->len);
	harness_count(ok);
}

static void test_fragment(void)
{
	const char v[] = "x=O:3:\"Foo\":1:{s:1:\"a\";i:1;}";
	det_hit hit;
	CHECK(run(v, sizeof(v) - 1, LOC_COOKIE, "data", 1, &hit));
	CHECK_INT(hit.off, 2);
	CHECK_INT(hit.len, 13); /* the object header O:3:"Foo":1:{ */
	/* the class length must match */
	const char bad[] = "O:4:\"Foo\":1:{s:1:\"a\";i:1;}";
	CHECK(!run(bad, sizeof(bad) - 1, LOC_COOKIE, "data", 1, &hit));
}

static void test_paranoia(void)
{
	det_hit hit;
	const char arr[] = "a:1:{s:3:\"foo\";s:3:\"bar\";}";
	CHECK(!run(arr, sizeof(arr) - 1, LOC_COOKIE, "prefs", 1, &hit));
	CHECK(run(arr, sizeof(arr) - 1, LOC_COOKIE, "prefs", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_NOTICE);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1 MB of lookup syntax, quotes, brackets, dashes and '<' in bounded time. */
static double hostile(size_t cap)
{
	static const char *const pieces[] = { "O:", "O:8:\"", "a:1:{", "s:", "\"", "'", "[", "{", "-",
					      "<", "c", "os\n", "!!", "\"@type\":\"", "a.b.", "rO0A", "\x80\x04" };
	size_t n = 0;
	char *buf = malloc(cap);
	CHECK(buf != NULL);
	if (!buf)
		return 0;
	unsigned x = 12345;
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
		run(buf, n, LOC_HEADER, "User-Agent", p, &hit);
	memset(buf, 'O', n);
	run(buf, n, LOC_BODY_RAW, "", 2, &hit);
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
	harness_case = "deser/tp.txt";
	CHECK(harness_each_line("deser/tp.txt", tp_line, NULL) >= 40);
	harness_case = "deser/tn.txt";
	CHECK(harness_each_line("deser/tn.txt", tn_line, NULL) >= 40);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("deser");
}
