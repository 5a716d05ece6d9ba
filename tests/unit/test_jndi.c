/* test_jndi.c - the Log4Shell detector: data files, folding, offsets,
 * paranoia and linear time on hostile values. */
#include <string.h>

#include "detector_cases.h"

/* Every attack line fires critical in every client spot, no plain line anywhere. */
static const det_spot tp_spots[] = DET_SPOTS_CLIENT;
static const det_spot tn_spots[] = DET_SPOTS_PLAIN;
static const detector_under_test D = { .name = "jndi", .fn = jndi_detect, .tp_spots = tp_spots,
				       .tp_score = DET_SCORE_CRITICAL, .tn_spots = tn_spots };

static void test_fragment(void)
{
	const char v[] = "ua ${jndi:ldap://a/b} x";
	det_hit hit;
	CHECK(run_at(v, sizeof(v) - 1, LOC_HEADER, "User-Agent", 1, &hit));
	CHECK_INT(hit.off, 3);
	CHECK_INT(hit.len, 18);
	const char w[] = "${${lower:j}ndi:rmi://h/x}";
	CHECK(run_at(w, sizeof(w) - 1, LOC_HEADER, "X-Api-Version", 1, &hit));
	CHECK_INT(hit.off, 0);
	CHECK_INT(hit.len, sizeof(w) - 1);
}

static void test_paranoia(void)
{
	const char env[] = "${env:AWS_SECRET_ACCESS_KEY}";
	det_hit hit;
	CHECK(!run_at(env, sizeof(env) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK(run_at(env, sizeof(env) - 1, LOC_QUERY_ARG, "q", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_NOTICE);
	const char low[] = "${lower:abc}";
	CHECK(run_at(low, sizeof(low) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
	const char sh[] = "${HOME:-/root}";
	CHECK(!run_at(sh, sizeof(sh) - 1, LOC_QUERY_ARG, "q", 3, &hit));
}

/* Nesting beyond the stack is itself the finding; deep nesting within it
 * still folds. */
static void test_nesting(void)
{
	char buf[4096];
	size_t n = 0;
	for (int i = 0; i < 20; i++) {
		memcpy(buf + n, "${::-", 5);
		n += 5;
	}
	memcpy(buf + n, "j", 1);
	n += 1;
	for (int i = 0; i < 20; i++)
		buf[n++] = '}';
	memcpy(buf + n, "ndi:ldap://x/a}", 15);
	n += 15;
	memmove(buf + 2, buf, n);
	buf[0] = '$';
	buf[1] = '{';
	n += 2;
	det_hit hit;
	CHECK(run_at(buf, n, LOC_HEADER, "User-Agent", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_CRITICAL);
	n = 0;
	for (int i = 0; i < 200; i++) {
		memcpy(buf + n, "${", 2);
		n += 2;
	}
	CHECK(run_at(buf, n, LOC_HEADER, "User-Agent", 1, &hit));
	CHECK_MEM(hit.rule, 12, "jndi.nesting");
}

/* Linear time (see harness_linear_fill): a mix of the detector's pieces
 * at every paranoia level, then the runs that once were slow. */
static void test_hostile(void)
{
	static const char *const pieces[] = { "${", "${::-", "}", "'", "\"", "[", "(", "-", "<", ":-",
					      "${lower:", "%7B", "$%7B" };
	hostile_mix(pieces, sizeof(pieces) / sizeof(pieces[0]), 12345u, LOC_HEADER, "User-Agent");
	hostile_level("${", LOC_HEADER, "User-Agent", 1);
}

int main(void)
{
	DETECTOR_TEST_INIT(D);
	RUN(test_data);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_nesting);
	RUN(test_hostile);
	return harness_done("jndi");
}
