/* test_urlenc.c - urlencoded pairs to targets. Cases in
 * tests/data/urlenc/cases.txt (format at its top) plus hostile sizes. */
#include "harness.h"

#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/decode.h"
#include "sekisho/urlenc.h"

static arena *A;
static http_limits LIM;

static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
	{ "INVALID_ESCAPE", TF_INVALID_ESCAPE }, { "DOUBLE_ENCODED", TF_DOUBLE_ENCODED },
	{ "UNICODE_ESCAPE", TF_UNICODE_ESCAPE }, { "INVALID_UTF8", TF_INVALID_UTF8 },
	{ "OVERLONG_UTF8", TF_OVERLONG_UTF8 },	 { "NUL", TF_NUL },
	{ "CTL", TF_CTL },			 { "TRUNCATED", TF_TRUNCATED },
	{ "PATH_TRAVERSAL", TF_PATH_TRAVERSAL }, { "BACKSLASH", TF_BACKSLASH },
	{ "MALFORMED", TF_MALFORMED },		 { "BINARY", TF_BINARY },
	{ "HIGH_BYTES", TF_HIGH_BYTES },
};

/* Targets serialised as in the data file. */
typedef struct collect {
	char buf[4096];
	size_t len;
	size_t count;
	size_t stop_after; /* emit returns -1 after this many (0 = never) */
	sk_slice input;    /* every slice must point into it or the arena */
} collect;

static void put(collect *c, const char *p, size_t n)
{
	if (c->len + n < sizeof(c->buf)) {
		memcpy(c->buf + c->len, p, n);
		c->len += n;
	}
}

static int emit(void *ctx, const target *t)
{
	collect *c = ctx;
	if (c->count)
		put(c, " | ", 3);
	c->count++;
	put(c, t->loc == LOC_FORM ? "V " : t->loc == LOC_FORM_NAME ? "N " : "? ", 2);
	put(c, t->name.p, t->name.len);
	put(c, "=", 1);
	put(c, t->value.p, t->value.len);
	if (!sk_slice_eq(t->raw, t->value)) {
		put(c, " [", 2);
		put(c, t->raw.p, t->raw.len);
		put(c, "]", 1);
	}
	/* raw is always a view of the input */
	if (t->raw.len && (t->raw.p < c->input.p || t->raw.p + t->raw.len > c->input.p + c->input.len))
		put(c, " RAW-OUTSIDE-INPUT", 18);
	if (t->flags) {
		put(c, " {", 2);
		bool first = true;
		for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++) {
			if (!(t->flags & flag_names[k].bit))
				continue;
			if (!first)
				put(c, ",", 1);
			first = false;
			put(c, flag_names[k].name, strlen(flag_names[k].name));
		}
		put(c, "}", 1);
	}
	return (c->stop_after && c->count >= c->stop_after) ? -1 : 0;
}

static void data_case(const harness_line *l, void *ctx)
{
	const char *tab = memchr(l->buf, '\t', l->len);
	if (!tab) {
		fprintf(stderr, "  FAIL cases.txt:%d: no tab\n", l->lineno);
		harness_count(0);
		return;
	}
	sk_slice in = sk_slice_make(l->buf, (size_t)(tab - l->buf));
	sk_slice want = sk_slice_make(tab + 1, l->len - in.len - 1);
	collect c = { .input = in };
	sk_error err = { 0 };
	int rc = urlenc_parse(in, LOC_FORM, LOC_FORM_NAME, A, &LIM, emit, &c, &err);
	if (rc != SK_OK) {
		char tmp[128];
		int n = snprintf(tmp, sizeof(tmp), "ERR %d %s", err.status, err.rule);
		c.len = 0;
		put(&c, tmp, (size_t)n);
	} else if (c.count == 0) {
		put(&c, "(none)", 6);
	}
	bool ok = sk_slice_eq(sk_slice_make(c.buf, c.len), want);
	if (!ok) {
		fprintf(stderr, "  FAIL cases.txt:%d:\n    got  \"", l->lineno);
		harness_print_escaped(stderr, c.buf, c.len);
		fprintf(stderr, "\"\n    want \"");
		harness_print_escaped(stderr, want.p, want.len);
		fprintf(stderr, "\"\n");
	}
	harness_count(ok);
}

/* "a=1&a=1&..." with n pairs, in a malloc'd buffer. */
static sk_slice many_pairs(size_t n)
{
	char *p = malloc(n * 4);
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * 4, "a=1&", 4);
	return sk_slice_make(p, n * 4 - 1);
}

static int count_only(void *ctx, const target *t)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void test_too_many(void)
{
	/* 10,000 dummies are refused before anything is emitted. */
	sk_slice s = many_pairs(10000);
	size_t n = 0;
	sk_error err = { 0 };
	CHECK_INT(urlenc_parse(s, LOC_QUERY_ARG, LOC_QUERY_ARG_NAME, A, &LIM, count_only, &n, &err), SK_ERR);
	CHECK_INT(err.status, 413);
	CHECK(err.rule && strcmp(err.rule, "too many parameters") == 0);
	CHECK_INT(err.offset, LIM.max_targets * 4);
	CHECK_INT(n, 0);
	free((void *)s.p);
	/* exactly the limit passes; empty pairs do not count */
	s = many_pairs(LIM.max_targets);
	CHECK_INT(urlenc_parse(s, LOC_FORM, LOC_FORM_NAME, A, &LIM, count_only, &n, &err), SK_OK);
	CHECK_INT(n, LIM.max_targets);
	free((void *)s.p);
	char *amps = malloc(100000);
	memset(amps, '&', 100000);
	n = 0;
	CHECK_INT(urlenc_parse(sk_slice_make(amps, 100000), LOC_FORM, LOC_FORM_NAME, A, &LIM, count_only, &n,
			       &err),
		  SK_OK);
	CHECK_INT(n, 0);
	free(amps);
}

static int keep_last(void *ctx, const target *t)
{
	*(target *)ctx = *t;
	return 0;
}

static void test_big_value(void)
{
	/* A 1 MB value decodes in one target. */
	size_t n = 1024 * 1024;
	char *p = malloc(n);
	memcpy(p, "big=", 4);
	for (size_t i = 4; i < n; i++)
		p[i] = (i % 3 == 0) ? '+' : 'x';
	arena *big = arena_new(4 * 1024 * 1024);
	target last = { 0 };
	sk_error err = { 0 };
	CHECK_INT(urlenc_parse(sk_slice_make(p, n), LOC_FORM, LOC_FORM_NAME, big, &LIM, keep_last, &last, &err),
		  SK_OK);
	CHECK_INT(last.value.len, n - 4);
	CHECK_SLICE(last.name, "big");
	CHECK(last.value.p && last.value.p[n - 5] != '+');
	/* a small arena runs out: 413, not a crash */
	arena *tiny = arena_new(1024);
	CHECK_INT(urlenc_parse(sk_slice_make(p, n), LOC_FORM, LOC_FORM_NAME, tiny, &LIM, keep_last, &last, &err),
		  SK_ERR);
	CHECK_INT(err.status, 413);
	CHECK(err.rule && strcmp(err.rule, "arena exhausted") == 0);
	arena_free(tiny);
	arena_free(big);
	free(p);
}

static void test_stop(void)
{
	collect c = { .stop_after = 2, .input = SK_LIT("a=1&b=2&c=3") };
	sk_error err = { 0 };
	CHECK_INT(urlenc_parse(c.input, LOC_FORM, LOC_FORM_NAME, A, &LIM, emit, &c, &err), SK_ERR);
	CHECK_INT(c.count, 2);
	CHECK(err.rule && strcmp(err.rule, "stopped by consumer") == 0);
	/* the locations given by the caller are used */
	target last = { 0 };
	CHECK_INT(urlenc_parse(SK_LIT("q=1"), LOC_QUERY_ARG, LOC_QUERY_ARG_NAME, A, &LIM, keep_last, &last, &err),
		  SK_OK);
	CHECK_INT(last.loc, LOC_QUERY_ARG);
	CHECK_INT(urlenc_parse(SK_LIT("q[]=1"), LOC_QUERY_ARG, LOC_QUERY_ARG_NAME, A, &LIM, keep_last, &last,
			       &err),
		  SK_OK);
	CHECK_INT(last.loc, LOC_QUERY_ARG_NAME);
	/* empty input */
	CHECK_INT(urlenc_parse(sk_slice_make(NULL, 0), LOC_FORM, LOC_FORM_NAME, A, &LIM, keep_last, &last, &err),
		  SK_OK);
	CHECK(urlenc_plain_name(SK_LIT("user_name.1-x")));
	CHECK(!urlenc_plain_name(SK_LIT("a[b]")));
}

int main(void)
{
	A = arena_new(64 * 1024 * 1024);
	http_limits_default(&LIM);
	harness_each_line("urlenc/cases.txt", data_case, NULL);
	RUN(test_too_many);
	RUN(test_big_value);
	RUN(test_stop);
	arena_free(A);
	return harness_done("urlenc");
}
