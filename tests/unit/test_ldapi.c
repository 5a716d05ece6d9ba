/* test_ldapi.c - the ldapi detector: tests/data/ldapi/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise form "user". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detector_cases.h"

static const detector_under_test D = { .name = "ldapi", .fn = ldapi_detect, .tp_loc = LOC_FORM, .tp_name = "user",
				       .tn_loc = LOC_FORM, .tn_name = "user" };

static void test_fragments(void)
{
	FRAG("admin)(|(uid=*))", ")(|(uid=*");
	FRAG("*)(&", "*)");
}

static void test_paranoia(void)
{
	const char v[] = "@query_arg:uid admin*";
	CHECK_INT(run(v, sizeof(v) - 1, 1, NULL), 0);
	CHECK_INT(run(v, sizeof(v) - 1, 2, NULL), 1);
}

static void test_hostile(void)
{
	hostile("(", LOC_FORM, "user");
	hostile(")(", LOC_FORM, "user");
	hostile(")(&|!", LOC_FORM, "user");
	hostile("(a=", LOC_FORM, "user");
	hostile("\\28", LOC_FORM, "user");
	hostile("'\"<>-[]()", LOC_FORM, "user");
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("ldapi");
}
