/* test_ssrf.c - the ssrf detector: tests/data/ssrf/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise query_arg "url". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detector_cases.h"

static const detector_under_test D = { .name = "ssrf", .fn = ssrf_detect, .tp_loc = LOC_QUERY_ARG, .tp_name = "url",
				       .tn_loc = LOC_QUERY_ARG, .tn_name = "url" };

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
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_paranoia);
	RUN(test_hostile);
	return harness_done("ssrf");
}
