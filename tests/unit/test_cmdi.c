/* test_cmdi.c - the cmdi detector: data files (tests/data/cmdi/tp.txt must
 * fire at paranoia 1 with a critical score, tn.txt must not), fragment
 * offsets, paranoia levels and linear time on hostile 1 MB values. */
#include <string.h>

#include "detector_cases.h"

/* tp lines fire critical in every spot a value may come from; tn lines
 * are form comments. */
static const det_spot tp_spots[] = DET_SPOTS_ANYWHERE("ip");
static const detector_under_test D = { .name = "cmdi", .fn = cmdi_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_CRITICAL, .tn_loc = LOC_FORM, .tn_name = "comment" };

/* Hostile values: 1 MB of the bytes this detector reacts to must be
 * handled in linear time (harness_linear: against 128 KB, same run). */
static void test_linear(void)
{
	static const char *const pats[] = { "'\"<>-[](){}", ";|&$(`", "$($($($(", "``````", "a;a;a;a;", "{,{,{,", "%0a%0a", "${IFS}${IFS}", "\\\\\\\\" };
	hostile_each(pats, sizeof(pats) / sizeof(pats[0]), LOC_FORM, "page", 0);
}

static void test_focus(void)
{
	det_hit h;
	/* the fragment is the command that decided */
	CHECK_INT(run_at("127.0.0.1;id", 12, LOC_QUERY_ARG, "ip", 1, &h), 1);
	CHECK_INT(h.off, 10);
	CHECK_INT(h.len, 2);
	CHECK_INT(h.score, DET_SCORE_CRITICAL);
	/* a pipeline that starts with a command is code, not an injection:
	 * silent at 1, suspicious at 2 */
	const char *pipe = "ls -la | grep foo";
	CHECK_INT(run_at(pipe, strlen(pipe), LOC_FORM, "body", 1, &h), 0);
	CHECK_INT(run_at(pipe, strlen(pipe), LOC_FORM, "body", 2, &h), 1);
	CHECK_INT(h.score, DET_SCORE_WARNING);
	/* Shift_JIS: 0x7C after a lead byte is half of a character */
	const char sj[] = "\x83\x7cid";
	CHECK_INT(run_at(sj, sizeof(sj) - 1, LOC_QUERY_ARG, "q", 3, &h), 0);
	/* path segments are where a value may land */
	const char *path = "/tools/| sysinfo/detail";
	CHECK_INT(run_at(path, strlen(path), LOC_PATH, "", 1, &h), 1);
	/* Shellshock in any header */
	const char *ss = "() { :;}; /bin/sleep 5";
	CHECK_INT(run_at(ss, strlen(ss), LOC_HEADER, "Referer", 1, &h), 1);
	CHECK_INT(h.off, 0);
}

/* The hand-kept first-letter index of the command table matches the table. */
static void test_index(void)
{
	CHECK(cmdi_index_consistent());
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_index);
	RUN(test_data);
	RUN(test_linear);
	RUN(test_short);
	RUN(test_focus);
	return harness_done("cmdi");
}
