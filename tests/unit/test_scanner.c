/* test_scanner.c - the scanner detector: tests/data/scanner/tp.txt must fire at paranoia 1,
 * tn.txt must not; focused checks below. A data line may start with
 * "@LOC[:NAME] " to set the location and name (LOC as in target_loc_name());
 * otherwise path. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detector_cases.h"

static const detector_under_test D = { .name = "scanner", .fn = scanner_detect, .tp_loc = LOC_PATH, .tp_name = "",
				       .tn_loc = LOC_PATH, .tn_name = "" };

static void test_fragments(void)
{
	FRAG("/a/.git/config", ".git");
	const char ua[] = "Mozilla/5.0 (sqlmap)";
	sk_slice v = SK_LIT(ua);
	det_input in = { v, det_classes(v), SK_LIT("User-Agent"), LOC_HEADER, 1 };
	det_hit h;
	CHECK_INT(scanner_detect(&in, &h), 1);
	CHECK_MEM(ua + h.off, h.len, "sqlmap");
	FRAG("/backup/site.tar.gz", "backup");
}

static void test_hostile(void)
{
	hostile("/.a", LOC_PATH, "");
	hostile("/phpmyadmi", LOC_PATH, "");
	hostile("/", LOC_PATH, "");
	hostile("sqlma", LOC_HEADER, "User-Agent");
	hostile(".oastif", LOC_QUERY_ARG, "q");
	hostile("'\"<>-[]()", LOC_PATH, "");
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragments);
	RUN(test_hostile);
	return harness_done("scanner");
}
