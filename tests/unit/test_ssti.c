/* test_ssti.c - the template-injection detector: data files, probes,
 * paranoia, percent-encoded headers and linear time on hostile values. */
#include <string.h>

#include "detector_cases.h"

/* Every attack line fires in every client spot, no plain line anywhere. */
static const det_spot tp_spots[] = DET_SPOTS_CLIENT;
static const det_spot tn_spots[] = DET_SPOTS_PLAIN;
static const detector_under_test D = { .name = "ssti", .fn = ssti_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_WARNING, .tn_spots = tn_spots };

static void test_fragment(void)
{
	const char v[] = "hello {{7*7}} world";
	det_hit hit;
	CHECK(run_at(v, sizeof(v) - 1, LOC_FORM, "msg", 1, &hit));
	CHECK_INT(hit.off, 6);
	CHECK_INT(hit.len, 7);
	CHECK_INT(hit.score, DET_SCORE_CRITICAL);
	/* a percent-encoded Referer is decoded once */
	const char r[] = "https://www.google.co.jp/search?q=%7B%7B7*7%7D%7D";
	CHECK(run_at(r, sizeof(r) - 1, LOC_HEADER, "Referer", 1, &hit));
	CHECK(!run_at(r, sizeof(r) - 1, LOC_QUERY_ARG, "q", 1, &hit));
}

static void test_paranoia(void)
{
	det_hit hit;
	const char two[] = "{{ request.path }}";
	CHECK(!run_at(two, sizeof(two) - 1, LOC_FORM, "msg", 1, &hit));
	CHECK(run_at(two, sizeof(two) - 1, LOC_FORM, "msg", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
	const char bare[] = "{{ config }}";
	CHECK(run_at(bare, sizeof(bare) - 1, LOC_FORM, "msg", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
	const char code[] = "<%= link_to 'x', path(1) %>";
	CHECK(!run_at(code, sizeof(code) - 1, LOC_FORM, "msg", 2, &hit));
	/* binary file content never counts */
	const char bin[] = "{\x01 __class__ \x02}";
	CHECK(!run_at(bin, sizeof(bin) - 1, LOC_MULTIPART_FILE, "f", 3, &hit));
}

static size_t unclosed_quotes(char *buf, size_t cap, const void *ctx)
{
	(void)ctx;
	memset(buf, '\'', cap);
	memcpy(buf, "{{ ", 3);
	return cap;
}

/* Linear time (see harness_linear_fill): a mix of the detector's pieces
 * at every paranoia level, then the runs that once were slow. */
static void test_hostile(void)
{
	static const char *const pieces[] = { "{{", "}}", "${", "#{", "{%", "%}", "<%", "%>", "'", "\"",
					      "[", "]", "(", ")", "-", "<", "<#", "#set(", "{", "}", "a.b", "*",
					      "7", "|", "?", "`", "[[", "@(", "__x__" };
	hostile_mix(pieces, sizeof(pieces) / sizeof(pieces[0]), 12345u, LOC_HEADER, "User-Agent");
	/* one unclosed region, then nothing but quotes */
	hostile_fill(unclosed_quotes, NULL, "{{ then quotes", LOC_FORM, "msg", 3);
	hostile("{", LOC_FORM, "msg");
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("ssti");
}
