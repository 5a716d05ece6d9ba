/* harness.h - a small unit-test harness. The last line a test binary prints
 * is "<name>: N passed, N failed"; tests/run-unit adds them up.
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_INT(a, b); }
 *   int main(void) { RUN(test_something); return harness_done("http_request"); }
 *
 * Data files (tests/data/...): one value per line, '#' starts a comment
 * line, blank lines are skipped, and a value may use the escapes \n \r \t
 * \0 \\ \xHH so that control bytes and binary can be written down.
 */
#ifndef SEKISHO_HARNESS_H
#define SEKISHO_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_passed, harness_failed, harness_case_failed;
static const char *harness_case;

#define CHECK(cond) harness_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_INT(a, b) harness_check_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_MEM(p, n, lit) harness_check_mem((p), (n), (lit), sizeof(lit) - 1, #p, __FILE__, __LINE__)
/* Compare an sk_slice with a string literal. */
#define CHECK_SLICE(s, lit) CHECK_MEM((s).p, (s).len, lit)
#define RUN(fn) harness_run(fn, #fn)

static inline void harness_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		harness_case_failed = 1;
		fprintf(stderr, "  FAIL %s:%d: %s (in %s)\n", file, line, expr, harness_case);
	}
}

static inline void harness_check_int(long long a, long long b, const char *ea, const char *eb,
				     const char *file, int line)
{
	if (a != b) {
		harness_case_failed = 1;
		fprintf(stderr, "  FAIL %s:%d: %s == %s: %lld != %lld (in %s)\n", file, line, ea, eb, a, b,
			harness_case);
	}
}

static inline void harness_print_escaped(FILE *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n && i < 200; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
	if (n > 200)
		fputs("...", f);
}

static inline void harness_check_mem(const char *p, size_t n, const char *want, size_t wn,
				     const char *expr, const char *file, int line)
{
	if (n != wn || (n && (!p || memcmp(p, want, n) != 0))) {
		harness_case_failed = 1;
		fprintf(stderr, "  FAIL %s:%d: %s is \"", file, line, expr);
		harness_print_escaped(stderr, p ? p : "", p ? n : 0);
		fprintf(stderr, "\" want \"");
		harness_print_escaped(stderr, want, wn);
		fprintf(stderr, "\" (in %s)\n", harness_case);
	}
}

/* Record a failure with a free-form message (data-driven tests). */
static inline void harness_fail(const char *what, const char *p, size_t n)
{
	harness_case_failed = 1;
	fprintf(stderr, "  FAIL %s: \"", what);
	harness_print_escaped(stderr, p, n);
	fprintf(stderr, "\" (in %s)\n", harness_case);
}

static inline void harness_run(void (*fn)(void), const char *name)
{
	harness_case = name;
	harness_case_failed = 0;
	fn();
	if (harness_case_failed)
		harness_failed++;
	else
		harness_passed++;
}

/* Count one data-driven case (a line of a data file) as its own test. */
static inline void harness_count(int ok)
{
	if (ok)
		harness_passed++;
	else
		harness_failed++;
}

static inline int harness_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

/* ---- data files ---- */

typedef struct harness_line {
	char *buf;  /* decoded bytes (malloc'd, NUL-terminated for convenience) */
	size_t len;
	int lineno;
} harness_line;

static inline int harness_hex(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Call fn(line, ctx) for each value in tests/data/<rel>. Returns the number
 * of values, or -1 (and a failure) if the file cannot be read. */
static inline int harness_each_line(const char *rel, void (*fn)(const harness_line *, void *), void *ctx)
{
	char path[512];
	const char *root = getenv("SK_TESTDATA");
	snprintf(path, sizeof(path), "%s/%s", root ? root : "tests/data", rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		harness_case = rel;
		harness_fail("cannot open data file", path, strlen(path));
		harness_failed++;
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int count = 0, lineno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		harness_line hl = { malloc((size_t)n + 1), 0, lineno };
		if (!hl.buf)
			abort();
		for (ssize_t i = 0; i < n; i++) {
			char c = line[i];
			if (c == '\\' && i + 1 < n) {
				char e = line[++i];
				if (e == 'n') c = '\n';
				else if (e == 'r') c = '\r';
				else if (e == 't') c = '\t';
				else if (e == '0') c = '\0';
				else if (e == 'x' && i + 2 < n && harness_hex(line[i + 1]) >= 0 &&
					 harness_hex(line[i + 2]) >= 0) {
					c = (char)(harness_hex(line[i + 1]) * 16 + harness_hex(line[i + 2]));
					i += 2;
				} else c = e;
			}
			hl.buf[hl.len++] = c;
		}
		hl.buf[hl.len] = '\0';
		fn(&hl, ctx);
		free(hl.buf);
		count++;
	}
	free(line);
	fclose(f);
	return count;
}


/* ---- linearity without a clock threshold ----
 * A wall-clock limit in a unit test fails on a loaded machine or under
 * sanitizers, and proves nothing on a fast one. Instead: the CPU time of
 * `scan` over 1 MiB of a repeated pattern against its time over 128 KiB,
 * in the same run. A linear scan costs 8 times as much, a quadratic one 64
 * times; the bound, 20 times (plus 50 ms of timer granularity), leaves room
 * for noise. Absolute speed is measured by bench/hostile, not here. */
#include <time.h>

typedef void harness_scan_fn(const char *buf, size_t n, void *ctx);
/* Fill up to `cap` bytes of buf; returns how many it filled. */
typedef size_t harness_fill_fn(char *buf, size_t cap, const void *fill_ctx);

static inline size_t harness_fill_pattern(char *buf, size_t cap, const void *pattern)
{
	size_t pl = strlen(pattern);
	for (size_t i = 0; i < cap; i++)
		buf[i] = ((const char *)pattern)[i % pl];
	return cap;
}

static inline double harness_scan_seconds(harness_fill_fn *fill, const void *fill_ctx, harness_scan_fn *scan,
					  size_t cap, void *ctx)
{
	char *buf = malloc(cap);
	if (!buf)
		return -1;
	size_t n = fill(buf, cap, fill_ctx);
	clock_t t0 = clock();
	scan(buf, n, ctx);
	double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
	free(buf);
	return s;
}

/* The same for any input `fill` builds; `what` names it in a failure. */
static inline void harness_linear_fill(harness_fill_fn *fill, const void *fill_ctx, harness_scan_fn *scan,
				       void *ctx, const char *what)
{
	double small = harness_scan_seconds(fill, fill_ctx, scan, (size_t)1 << 17, ctx);
	double big = harness_scan_seconds(fill, fill_ctx, scan, (size_t)1 << 20, ctx);
	int ok = small >= 0 && big >= 0 && big < 20 * small + 0.05;
	if (!ok) {
		harness_fail("superlinear on a repeated pattern", what, strlen(what));
		fprintf(stderr, "    128 KiB %.3f s, 1 MiB %.3f s\n", small, big);
	}
	harness_count(ok);
}

static inline void harness_linear(harness_scan_fn *scan, const char *pattern, void *ctx)
{
	if (!*pattern) {
		harness_fail("empty pattern", pattern, 0);
		harness_count(0);
		return;
	}
	harness_linear_fill(harness_fill_pattern, pattern, scan, ctx, pattern);
}

#endif
