/* test_crlf.c - the crlf detector: tests/data/crlf/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise query_arg "next" for tp.txt and form "message" for tn.txt. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detector_cases.h"

static const detector_under_test D = { .name = "crlf", .fn = crlf_detect, .tp_loc = LOC_QUERY_ARG, .tp_name = "next",
				       .tn_loc = LOC_FORM, .tn_name = "message" };

static void test_fragments(void)
{
	FRAG("/x\r\nSet-Cookie: a=b", "\r\nSet-Cookie:");
	FRAG("%250aLocation: x", "%250aLocation:");
}

static void test_paranoia(void)
{
	/* a response header after prose in a textarea: level 2 */
	cur_loc = LOC_FORM;
	cur_name = "message";
	const char v[] = "Thanks for the help\r\nSet-Cookie: a=b";
	CHECK_INT(run(v, sizeof(v) - 1, 1, NULL), 0);
	CHECK_INT(run(v, sizeof(v) - 1, 2, NULL), 1);
	/* any header shape: level 3 */
	const char w[] = "http://x/\r\nSubject: hello";
	CHECK_INT(run(w, sizeof(w) - 1, 2, NULL), 0);
	CHECK_INT(run(w, sizeof(w) - 1, 3, NULL), 1);
	cur_loc = LOC_QUERY_ARG;
	cur_name = "next";
}

static void test_hostile(void)
{
	hostile("\r\n", LOC_QUERY_ARG, "next");
	hostile("%25", LOC_QUERY_ARG, "next");
	hostile("\nabc", LOC_FORM, "message");
	hostile("\xe5\x98\x8a", LOC_FORM, "message");
	hostile("'\"<>-[]()", LOC_QUERY_ARG, "next");
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("crlf");
}
