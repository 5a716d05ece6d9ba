/* test_traversal.c - the traversal detector: data files (tests/data/traversal/tp.txt must
 * fire at paranoia 1 with a critical score, tn.txt must not), fragment
 * offsets, paranoia levels and linear time on hostile 1 MB values. */
#include <string.h>

#include "detector_cases.h"

/* tp lines fire critical in every spot a value may come from; tn lines
 * are form comments. */
static const det_spot tp_spots[] = DET_SPOTS_ANYWHERE("file");
static const detector_under_test D = { .name = "traversal", .fn = traversal_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_CRITICAL, .tn_loc = LOC_FORM, .tn_name = "comment" };

/* Hostile values: 1 MB of the bytes this detector reacts to must be
 * handled in linear time (harness_linear: against 128 KB, same run). */
static void test_linear(void)
{
	static const char *const pats[] = { "'\"<>-[](){}", "../", "..\\\\", "....//", "%2e%2e%2f", "\xc0\xae\xc0\xae/", "/etc/", "=/", "etc%qfpasswd" };
	hostile_each(pats, sizeof(pats) / sizeof(pats[0]), LOC_FORM, "page", 0);
}

static void test_focus(void)
{
	det_hit h;
	const char *v = "x=../../../etc/passwd";
	CHECK_INT(run_at(v, strlen(v), LOC_QUERY_ARG, "file", 1, &h), 1);
	CHECK_INT(h.off, 2);
	/* one climb in a relative link: weak, only above paranoia 1 */
	const char *rel = "../images/a.png";
	CHECK_INT(run_at(rel, strlen(rel), LOC_FORM, "body", 1, &h), 0);
	CHECK_INT(run_at(rel, strlen(rel), LOC_FORM, "body", 2, &h), 1);
	CHECK_INT(h.score, DET_SCORE_WARNING);
	/* overlong UTF-8 dots and slash */
	const char ol[] = "\xc0\xae\xc0\xae\xc0\xaf" "etc/hosts";
	CHECK_INT(run_at(ol, sizeof(ol) - 1, LOC_QUERY_ARG, "page", 1, &h), 1);
	/* Shift_JIS 0x5C after a lead byte is no backslash */
	const char sj[] = "\x95\x5c..\x95\x5c..\x95\x5c";
	CHECK_INT(run_at(sj, sizeof(sj) - 1, LOC_QUERY_ARG, "q", 1, &h), 0);
	/* a request path into /etc is refused, /home alone is a page */
	CHECK_INT(run_at("/etc/passwd", 11, LOC_PATH, "", 1, &h), 1);
	CHECK_INT(run_at("/home/news", 10, LOC_PATH, "", 1, &h), 0);
}

/* det_classes' letter bits (DC_LETTER) gate the stem searches: letters
 * in either case count, other bytes add none. */
static void test_letters(void)
{
	uint64_t m = det_classes(SK_LIT("Web-3.x"));
	CHECK((m & DC_ALPHA) && (m & DC_DIGIT) && (m & DC_DASH) && (m & DC_DOT));
	CHECK_INT(m >> 32, (DC_LETTER('w') | DC_LETTER('e') | DC_LETTER('b') | DC_LETTER('x')) >> 32);
	CHECK_INT(det_classes(SK_LIT("0123 @[`{~\x80\xff")) >> 32, 0);
	CHECK_INT(det_letters("aZ-z", 4), DC_LETTER('a') | DC_LETTER('z'));
	CHECK(det_has_letters(det_classes(SK_LIT("EVAL(x)")), DC_LETTERS4('e', 'v', 'a', 'l')));
	CHECK(!det_has_letters(det_classes(SK_LIT("evil(x)")), DC_LETTERS4('e', 'v', 'a', 'l')));
	/* stems in upper case still reach the name scans */
	det_hit h;
	const char *up = "x/WEB-INF/WEB.XML";
	CHECK_INT(run_at(up, strlen(up), LOC_QUERY_ARG, "q", 1, &h), 1);
	const char *boot = "c:\\BOOT.INI";
	CHECK_INT(run_at(boot, strlen(boot), LOC_QUERY_ARG, "q", 1, &h), 1);
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_letters);
	RUN(test_data);
	RUN(test_linear);
	RUN(test_short);
	RUN(test_focus);
	return harness_done("traversal");
}
