/* test_nosqli.c - the nosqli detector: tests/data/nosqli/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise query_arg "q". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detector_cases.h"

static const detector_under_test D = { .name = "nosqli", .fn = nosqli_detect, .tp_loc = LOC_QUERY_ARG, .tp_name = "q",
				       .tn_loc = LOC_QUERY_ARG, .tn_name = "q" };

static void test_fragments(void)
{
	FRAG("{\"user\": {\"$ne\": 1}}", "$ne\":");
	FRAG("user[$regex]=1", "[$regex]");
	FRAG("x' || 'a'=='a", "' || ");
}

static void test_hostile(void)
{
	hostile("$ne", LOC_BODY_RAW, "");
	hostile("'||", LOC_QUERY_ARG, "q");
	hostile("';", LOC_QUERY_ARG, "q");
	hostile("db.a.", LOC_QUERY_ARG, "q");
	hostile("this.", LOC_QUERY_ARG, "q");
	hostile("'\"<>-[]()", LOC_QUERY_ARG, "q");
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_hostile);
	return harness_done("nosqli");
}
