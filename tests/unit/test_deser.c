/* test_deser.c - the deserialization detector: data files, PHP arrays by
 * paranoia, offsets and linear time on hostile values. */
#include <string.h>

#include "detector_cases.h"

/* Every attack line fires critical in every client spot, no plain line anywhere. */
static const det_spot tp_spots[] = DET_SPOTS_CLIENT;
static const det_spot tn_spots[] = DET_SPOTS_PLAIN;
static const detector_under_test D = { .name = "deser", .fn = deser_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_CRITICAL, .tn_spots = tn_spots };

static void test_fragment(void)
{
	const char v[] = "x=O:3:\"Foo\":1:{s:1:\"a\";i:1;}";
	det_hit hit;
	CHECK(run_at(v, sizeof(v) - 1, LOC_COOKIE, "data", 1, &hit));
	CHECK_INT(hit.off, 2);
	CHECK_INT(hit.len, 13); /* the object header O:3:"Foo":1:{ */
	/* the class length must match */
	const char bad[] = "O:4:\"Foo\":1:{s:1:\"a\";i:1;}";
	CHECK(!run_at(bad, sizeof(bad) - 1, LOC_COOKIE, "data", 1, &hit));
}

static void test_paranoia(void)
{
	det_hit hit;
	const char arr[] = "a:1:{s:3:\"foo\";s:3:\"bar\";}";
	CHECK(!run_at(arr, sizeof(arr) - 1, LOC_COOKIE, "prefs", 1, &hit));
	CHECK(run_at(arr, sizeof(arr) - 1, LOC_COOKIE, "prefs", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_NOTICE);
}

/* Linear time (see harness_linear_fill): a mix of the detector's pieces
 * at every paranoia level, then the runs that once were slow. */
static void test_hostile(void)
{
	static const char *const pieces[] = { "O:", "O:8:\"", "a:1:{", "s:", "\"", "'", "[", "{", "-",
					      "<", "c", "os\n", "!!", "\"@type\":\"", "a.b.", "rO0A", "\x80\x04" };
	hostile_mix(pieces, sizeof(pieces) / sizeof(pieces[0]), 12345u, LOC_HEADER, "User-Agent");
	hostile_level("O", LOC_BODY_RAW, "", 2);
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("deser");
}
