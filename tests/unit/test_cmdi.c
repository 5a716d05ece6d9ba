/* test_cmdi.c - the cmdi detector: data files (tests/data/cmdi/tp.txt must
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
	int r = cmdi_detect(&in, hit);
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
		if (run(l->buf, l->len, locs[k], "ip", 1, &h) != 1 || h.score < DET_SCORE_CRITICAL)
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
	CHECK(harness_each_line("cmdi/tp.txt", tp_line, NULL) >= 40);
	CHECK(harness_each_line("cmdi/tn.txt", tn_line, NULL) >= 40);
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
	static const char *const pats[] = { "'\"<>-[](){}", ";|&$(`", "$($($($(", "``````", "a;a;a;a;", "{,{,{,", "%0a%0a", "${IFS}${IFS}", "\\\\\\\\" };
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
	/* the fragment is the command that decided */
	CHECK_INT(run("127.0.0.1;id", 12, LOC_QUERY_ARG, "ip", 1, &h), 1);
	CHECK_INT(h.off, 10);
	CHECK_INT(h.len, 2);
	CHECK_INT(h.score, DET_SCORE_CRITICAL);
	/* a pipeline that starts with a command is code, not an injection:
	 * silent at 1, suspicious at 2 */
	const char *pipe = "ls -la | grep foo";
	CHECK_INT(run(pipe, strlen(pipe), LOC_FORM, "body", 1, &h), 0);
	CHECK_INT(run(pipe, strlen(pipe), LOC_FORM, "body", 2, &h), 1);
	CHECK_INT(h.score, DET_SCORE_WARNING);
	/* Shift_JIS: 0x7C after a lead byte is half of a character */
	const char sj[] = "\x83\x7cid";
	CHECK_INT(run(sj, sizeof(sj) - 1, LOC_QUERY_ARG, "q", 3, &h), 0);
	/* path segments are where a value may land */
	const char *path = "/tools/| sysinfo/detail";
	CHECK_INT(run(path, strlen(path), LOC_PATH, "", 1, &h), 1);
	/* Shellshock in any header */
	const char *ss = "() { :;}; /bin/sleep 5";
	CHECK_INT(run(ss, strlen(ss), LOC_HEADER, "Referer", 1, &h), 1);
	CHECK_INT(h.off, 0);
}

int main(void)
{
	RUN(test_data);
	RUN(test_linear);
	RUN(test_short);
	RUN(test_focus);
	return harness_done("cmdi");
}
