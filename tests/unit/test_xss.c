/* test_xss.c - the xss detector: data files (tests/data/xss/tp.txt must
 * fire at paranoia 1, tn.txt must not), fragment offsets, paranoia
 * differences, locations, and hostile 1 MB values in bounded time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

static int detect(const char *p, size_t n, int paranoia, target_loc loc, det_hit *hit)
{
	sk_slice v = { p, n };
	det_input in = { v, det_classes(v), SK_LIT("q"), loc, paranoia };
	det_hit h;
	int r = xss_detect(&in, hit ? hit : &h);
	return r;
}

static int fires(const char *s, int paranoia)
{
	det_hit h;
	return detect(s, strlen(s), paranoia, LOC_QUERY_ARG, &h) && h.score >= DET_SCORE_NOTICE; /* checksrc: literal */
}

static void tp_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	det_hit h = { 0 };
	int ok = detect(l->buf, l->len, 1, LOC_QUERY_ARG, &h) == 1 && h.score == DET_SCORE_CRITICAL &&
		 h.off <= l->len && h.len <= l->len - h.off && h.rule != NULL;
	if (!ok)
		harness_fail("tp.txt: no critical hit", l->buf, l->len);
	harness_count(ok);
}

static void tn_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	det_hit h = { 0 };
	int ok = detect(l->buf, l->len, 1, LOC_QUERY_ARG, &h) == 0;
	if (!ok) {
		harness_fail("tn.txt: fired", l->buf, l->len);
		fprintf(stderr, "    rule %s\n", h.rule);
	}
	harness_count(ok);
}

static void test_data_files(void)
{
	CHECK(harness_each_line("xss/tp.txt", tp_line, NULL) >= 40);
	CHECK(harness_each_line("xss/tn.txt", tn_line, NULL) >= 40);
}

static void test_fragment(void)
{
	const char *v = "hello <img src=x onerror=alert(1)> world";
	det_hit h;
	CHECK_INT(detect(v, strlen(v), 1, LOC_QUERY_ARG, &h), 1); /* checksrc: literal */
	CHECK_MEM(v + h.off, h.len, "onerror=alert(1)");
	CHECK(strncmp(h.rule, "xss.handler", 11) == 0);

	v = "x\" onmouseover=alert(1) y=\"";
	CHECK_INT(detect(v, strlen(v), 1, LOC_QUERY_ARG, &h), 1); /* checksrc: literal */
	CHECK_MEM(v + h.off, h.len, "onmouseover=alert(1)");
	CHECK(strncmp(h.rule, "xss.breakout", 12) == 0);

	v = "see <a href=\"jav&#x61;script:alert(1)\">x</a>";
	CHECK_INT(detect(v, strlen(v), 1, LOC_QUERY_ARG, &h), 1); /* checksrc: literal */
	CHECK_MEM(v + h.off, h.len, "href=\"jav&#x61;script:alert(1)\"");
}

static void test_paranoia(void)
{
	/* unknown on* names: level 2 */
	CHECK(!fires("<x onxxx=1>", 1));
	CHECK(fires("<x onxxx=1>", 2));
	/* a tidy script include as posted in Q&A answers: level 2 */
	CHECK(!fires("<script src=\"https://cdn.example.jp/a.js\"></script>", 1));
	CHECK(fires("<script src=\"https://cdn.example.jp/a.js\"></script>", 2));
	/* ... but not after a breakout, not unquoted, not mixed case */
	CHECK(fires("\"><script src=\"https://cdn.example.jp/a.js\"></script>", 1));
	CHECK(fires("<script src=https://cdn.example.jp/a.js></script>", 1));
	CHECK(fires("<SCRIPT src=\"https://cdn.example.jp/a.js\"></SCRIPT>", 1));
	/* an inert-looking handler: level 2 */
	CHECK(!fires("<img src=\"a.png\" onerror=\"this.style.display='none'\">", 1));
	CHECK(fires("<img src=\"a.png\" onerror=\"this.style.display='none'\">", 2));
	/* a javascript: word without code: level 2 at the start, 3 elsewhere */
	CHECK(!fires("javascript:void(0)", 1));
	CHECK(fires("javascript: the good parts", 2));
	CHECK(!fires("about javascript: the good parts", 2));
	CHECK(fires("about javascript: the good parts", 3));
	/* style element without active CSS */
	CHECK(!fires("<style>p{color:red}</style>", 1));
	CHECK(fires("<style>p{color:red}</style>", 2));
}

static void test_locations(void)
{
	/* the same payload fires wherever it sits */
	const char *v = "<svg onload=alert(1)>";
	target_loc locs[] = { LOC_QUERY_ARG, LOC_FORM, LOC_COOKIE, LOC_HEADER, LOC_JSON, LOC_PATH };
	for (size_t i = 0; i < sizeof(locs) / sizeof(locs[0]); i++)
		CHECK_INT(detect(v, strlen(v), 1, locs[i], NULL), 1); /* checksrc: literal */
	/* a Referer carries its query percent-encoded */
	v = "https://www.google.co.jp/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";
	CHECK_INT(detect(v, strlen(v), 1, LOC_HEADER, NULL), 1); /* checksrc: literal */
	CHECK_INT(detect(v, strlen(v), 1, LOC_QUERY_ARG, NULL), 0); /* checksrc: literal */
	/* a payload in one path segment */
	v = "/blog/alert('foo');/detail";
	CHECK_INT(detect(v, strlen(v), 1, LOC_PATH, NULL), 1); /* checksrc: literal */
}

static void test_fast_reject(void)
{
	CHECK(!fires("plain-token_123.abc", 3));
	CHECK(!fires("", 3));
	CHECK_INT(detect(NULL, 0, 1, LOC_QUERY_ARG, NULL), 0);
}

/* A 1 MB value of one repeated unit is analysed in linear time (each
 * pass is linear; the tokenizer never re-scans): harness_linear. */
static void scan_all(const char *buf, size_t n, void *ctx)
{
	(void)ctx;
	for (int p = 1; p <= 3; p++)
		for (int loc = 0; loc < 2; loc++)
			detect(buf, n, p, loc ? LOC_HEADER : LOC_QUERY_ARG, NULL);
}

static void hostile(const char *unit)
{
	harness_linear(scan_all, unit, NULL);
}

static void test_hostile(void)
{
	hostile("<");
	hostile("<'\"`-");
	hostile("<a <");
	hostile("<a b='");
	hostile("<!--");
	hostile("\"><x ");
	hostile("{{");
	hostile("'-alert(");
	hostile("javascript:");
	hostile("&#0000000000000000000000000000000000106;");
	hostile("<script>");
	hostile("x onload=");
	hostile("\\u003c");
	hostile("%3C");
	hostile("<style>/*");
	hostile("=on");
}

int main(void)
{
	RUN(test_data_files);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_locations);
	RUN(test_fast_reject);
	RUN(test_hostile);
	return harness_done("xss");
}
