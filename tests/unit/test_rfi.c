/* test_rfi.c - the rfi detector: data files (tests/data/rfi/tp.txt must
 * fire at paranoia 1 with a critical score, tn.txt must not), fragment
 * offsets, paranoia levels and linear time on hostile 1 MB values. */
#include <string.h>

#include "detector_cases.h"

/* tp lines fire critical in every spot a value may come from; tn lines
 * are form comments. */
static const det_spot tp_spots[] = DET_SPOTS_ANYWHERE("page");
static const detector_under_test D = { .name = "rfi", .fn = rfi_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_CRITICAL, .tn_loc = LOC_FORM, .tn_name = "comment" };

/* Hostile values: 1 MB of the bytes this detector reacts to must be
 * handled in linear time (harness_linear: against 128 KB, same run). */
static void test_linear(void)
{
	static const char *const pats[] = { "'\"<>-[](){}", "http://", "//a/", "\\\\\\\\a\\\\", "=http://a/b?", "%00", "????" };
	hostile_each(pats, sizeof(pats) / sizeof(pats[0]), LOC_FORM, "page", 0);
}

static void test_focus(void)
{
	det_hit h;
	const char *u = "http://evil.example/shell.txt?";
	/* suffix shapes decide anywhere; a plain URL only in an include name */
	CHECK_INT(run_at(u, strlen(u), LOC_QUERY_ARG, "url", 1, &h), 1);
	CHECK_INT(h.off, 0);
	const char *plain = "http://evil.example/shell.txt";
	CHECK_INT(run_at(plain, strlen(plain), LOC_QUERY_ARG, "page", 1, &h), 1);
	CHECK_INT(run_at(plain, strlen(plain), LOC_QUERY_ARG, "url", 1, &h), 0);
	CHECK_INT(run_at(plain, strlen(plain), LOC_JSON, "settings.theme.url", 1, &h), 1);
	const char *site = "https://www.example.jp/";
	CHECK_INT(run_at(site, strlen(site), LOC_QUERY_ARG, "website", 3, &h), 0);
	const char *pub = "/index.php?page=http://evil.example/x.txt";
	CHECK_INT(run_at(pub, strlen(pub), LOC_QUERY_STRING, "", 1, &h), 1);
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_linear);
	RUN(test_short);
	RUN(test_focus);
	return harness_done("rfi");
}
