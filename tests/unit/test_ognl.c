/* test_ognl.c - the Struts 2 OGNL detector: data files, Content-Type at
 * every paranoia level, offsets and linear time on hostile values. */
#include <string.h>

#include "detector_cases.h"

/* Every attack line fires critical wherever a value may come from. */
static const det_spot tp_spots[] = {
	{ LOC_QUERY_ARG, "q" }, { LOC_FORM, "name" }, { LOC_HEADER, "X-Custom" },
	{ LOC_JSON, "a.b" }, { LOC_PATH, "" }, { LOC_BODY_RAW, "" }, { 0, NULL },
};
static const det_spot tn_spots[] = {
	{ LOC_QUERY_ARG, "q" }, { LOC_HEADER, "Content-Type" }, { LOC_BODY_RAW, "" }, { 0, NULL },
};
static const detector_under_test D = { .name = "ognl", .fn = ognl_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_CRITICAL, .tn_spots = tn_spots };

/* CVE-2017-5638: critical in Content-Type at every paranoia level, and in
 * a multipart file name (S2-046). */
static void ct_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	int ok = 1;
	for (int p = 1; p <= 3; p++) {
		det_hit hit;
		if (!run_at(l->buf, l->len, LOC_HEADER, "Content-Type", p, &hit) || hit.score != DET_SCORE_CRITICAL)
			ok = 0;
		if (!run_at(l->buf, l->len, LOC_HEADER, "content-type", p, &hit) || hit.score != DET_SCORE_CRITICAL)
			ok = 0;
		if (!run_at(l->buf, l->len, LOC_MULTIPART_FILENAME, "file", p, &hit) ||
		    hit.score != DET_SCORE_CRITICAL)
			ok = 0;
	}
	if (!ok)
		harness_fail("Content-Type payload not critical", l->buf, l->len);
	harness_count(ok);
}

static void test_content_type(void)
{
	CHECK(harness_each_line("ognl/ct.txt", ct_line, NULL) >= 10);
}

static void test_fragment(void)
{
	const char v[] = "x=1&redirect:${#a=1}";
	det_hit hit;
	CHECK(run_at(v, sizeof(v) - 1, LOC_QUERY_STRING, "", 1, &hit));
	CHECK_INT(hit.off, 4);
	CHECK_INT(hit.len, sizeof(v) - 1 - 4);
	const char w[] = "abc %{#context['x']} def";
	CHECK(run_at(w, sizeof(w) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK_INT(hit.off, 4);
	CHECK_INT(hit.len, 16);
}

static void test_paranoia(void)
{
	det_hit hit;
	const char probe[] = "${{7*7}}";
	CHECK(run_at(probe, sizeof(probe) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
	CHECK(run_at(probe, sizeof(probe) - 1, LOC_HEADER, "Content-Type", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_CRITICAL);
	const char field[] = "@java.lang.Integer@MAX_VALUE";
	CHECK(!run_at(field, sizeof(field) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK(run_at(field, sizeof(field) - 1, LOC_QUERY_ARG, "q", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
}

static size_t ident_chain(char *buf, size_t cap, const void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < cap; i++)
		buf[i] = (i % 2) ? '.' : 'a';
	buf[0] = '@';
	return cap;
}

static size_t hash_spaces(char *buf, size_t cap, const void *ctx)
{
	(void)ctx;
	memset(buf, ' ', cap);
	for (size_t i = 0; i < cap; i += 4096)
		buf[i] = '#';
	return cap;
}

/* Linear time (see harness_linear_fill): a mix of the detector's pieces
 * at every paranoia level, then the runs that once were slow. */
static void test_hostile(void)
{
	static const char *const pieces[] = { "#", "# ", "@a.b", "@", "%{", "${", "'", "\"", "(", ")",
					      ".", "<", "-", "new ", "a.b.c", "\\", "redirect:", " " };
	hostile_mix(pieces, sizeof(pieces) / sizeof(pieces[0]), 777u, LOC_HEADER, "Content-Type");
	/* one long identifier chain and one long run of spaces after '#' */
	hostile_fill(ident_chain, NULL, "@a.a.a.", LOC_BODY_RAW, "", 1);
	hostile_fill(hash_spaces, NULL, "#    ", LOC_BODY_RAW, "", 1);
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_content_type);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("ognl");
}
