/* test_traversal.c - the traversal detector: data files (tests/data/traversal/tp.txt must
 * fire at paranoia 1 with a critical score, tn.txt must not), fragment
 * offsets, paranoia levels and linear time on hostile 1 MB values. */
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

static det_input mk(const char *p, size_t n, target_loc loc, const char *name, int paranoia)
{
	sk_slice v = sk_slice_make(p, n);
	det_input in = { v, det_classes(v), sk_slice_make(name, strlen(name)), loc, paranoia };
	return in;
}

static int run(const char *p, size_t n, target_loc loc, const char *name, int paranoia, det_hit *hit)
{
	det_input in = mk(p, n, loc, name, paranoia);
	memset(hit, 0, sizeof(*hit));
	int r = traversal_detect(&in, hit);
	if (r && (hit->off > n || hit->len > n - hit->off || !hit->rule))
		return -1; /* a fragment outside the value is a bug */
	return r;
}

static void tp_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	/* the same payload must be caught in every spot */
	static const target_loc locs[] = { LOC_QUERY_ARG, LOC_FORM, LOC_JSON, LOC_COOKIE, LOC_HEADER };
	int ok = 1;
	for (size_t k = 0; k < sizeof(locs) / sizeof(locs[0]); k++) {
		det_hit h;
		if (run(l->buf, l->len, locs[k], "file", 1, &h) != 1 || h.score < DET_SCORE_CRITICAL)
			ok = 0;
	}
	if (!ok)
		harness_fail("tp line did not fire", l->buf, l->len);
	harness_count(ok);
}

static void tn_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	det_hit h;
	int r = run(l->buf, l->len, LOC_FORM, "comment", 1, &h);
	if (r != 0) {
		harness_fail(h.rule ? h.rule : "tn line fired", l->buf, l->len);
		fprintf(stderr, "    fragment at %zu len %zu\n", h.off, h.len);
	}
	harness_count(r == 0);
}

static void test_data(void)
{
	CHECK(harness_each_line("traversal/tp.txt", tp_line, NULL) >= 40);
	CHECK(harness_each_line("traversal/tn.txt", tn_line, NULL) >= 40);
}

/* Hostile values: 1 MB of the bytes this detector reacts to must be
 * handled in linear time (harness_linear: against 128 KB, same run). */
static void scan_all_levels(const char *buf, size_t n, void *ctx)
{
	(void)ctx;
	for (int par = 1; par <= 3; par++) {
		det_hit h;
		CHECK(run(buf, n, LOC_FORM, "page", par, &h) >= 0);
	}
}

static void test_linear(void)
{
	static const char *const pats[] = { "'\"<>-[](){}", "../", "..\\\\", "....//", "%2e%2e%2f", "\xc0\xae\xc0\xae/", "/etc/", "=/", "etc%qfpasswd" };
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++)
		harness_linear(scan_all_levels, pats[k], NULL);
}

static void test_short(void)
{
	det_hit h;
	CHECK_INT(run("", 0, LOC_QUERY_ARG, "q", 1, &h), 0);
	CHECK_INT(run("a", 1, LOC_QUERY_ARG, "q", 1, &h), 0);
	CHECK_INT(run("hello world", 11, LOC_QUERY_ARG, "q", 3, &h), 0);
	CHECK_INT(run("12345", 5, LOC_QUERY_ARG, "q", 3, &h), 0);
}

static void test_focus(void)
{
	det_hit h;
	const char *v = "x=../../../etc/passwd";
	CHECK_INT(run(v, strlen(v), LOC_QUERY_ARG, "file", 1, &h), 1);
	CHECK_INT(h.off, 2);
	/* one climb in a relative link: weak, only above paranoia 1 */
	const char *rel = "../images/a.png";
	CHECK_INT(run(rel, strlen(rel), LOC_FORM, "body", 1, &h), 0);
	CHECK_INT(run(rel, strlen(rel), LOC_FORM, "body", 2, &h), 1);
	CHECK_INT(h.score, DET_SCORE_WARNING);
	/* overlong UTF-8 dots and slash */
	const char ol[] = "\xc0\xae\xc0\xae\xc0\xaf" "etc/hosts";
	CHECK_INT(run(ol, sizeof(ol) - 1, LOC_QUERY_ARG, "page", 1, &h), 1);
	/* Shift_JIS 0x5C after a lead byte is no backslash */
	const char sj[] = "\x95\x5c..\x95\x5c..\x95\x5c";
	CHECK_INT(run(sj, sizeof(sj) - 1, LOC_QUERY_ARG, "q", 1, &h), 0);
	/* a request path into /etc is refused, /home alone is a page */
	CHECK_INT(run("/etc/passwd", 11, LOC_PATH, "", 1, &h), 1);
	CHECK_INT(run("/home/news", 10, LOC_PATH, "", 1, &h), 0);
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
	CHECK_INT(run(up, strlen(up), LOC_QUERY_ARG, "q", 1, &h), 1);
	const char *boot = "c:\\BOOT.INI";
	CHECK_INT(run(boot, strlen(boot), LOC_QUERY_ARG, "q", 1, &h), 1);
}

int main(void)
{
	RUN(test_letters);
	RUN(test_data);
	RUN(test_linear);
	RUN(test_short);
	RUN(test_focus);
	return harness_done("traversal");
}
