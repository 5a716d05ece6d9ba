/* test_cookie.c - the Cookie header to targets. Cases in
 * tests/data/cookie/cases.txt (format at its top) plus hostile sizes. */
#include "harness.h"

#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/decode.h"
#include "sekisho/cookie.h"

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
	put(c, t->loc == LOC_COOKIE ? "C " : t->loc == LOC_COOKIE_NAME ? "N " : "? ", 2);
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
	int rc = cookie_parse(in, A, &LIM, emit, &c, &err);
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

/* "a=1; a=1; ..." with n cookies, in a malloc'd buffer. */
static sk_slice many_cookies(size_t n)
{
	char *p = malloc(n * 5);
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * 5, "a=1; ", 5);
	return sk_slice_make(p, n * 5 - 2);
}

static int count_only(void *ctx, const target *t)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void test_too_many(void)
{
	sk_slice s = many_cookies(10000);
	size_t n = 0;
	sk_error err = { 0 };
	CHECK_INT(cookie_parse(s, A, &LIM, count_only, &n, &err), SK_ERR);
	CHECK_INT(err.status, 413);
	CHECK(err.rule && strcmp(err.rule, "too many cookies") == 0);
	CHECK_INT(n, 0);
	free((void *)s.p);
	s = many_cookies(LIM.max_targets);
	CHECK_INT(cookie_parse(s, A, &LIM, count_only, &n, &err), SK_OK);
	CHECK_INT(n, LIM.max_targets);
	free((void *)s.p);
	/* separators and blanks alone are not cookies */
	char *semis = malloc(100000);
	for (size_t i = 0; i < 100000; i++)
		semis[i] = (i % 2) ? ' ' : ';';
	n = 0;
	CHECK_INT(cookie_parse(sk_slice_make(semis, 100000), A, &LIM, count_only, &n, &err), SK_OK);
	CHECK_INT(n, 0);
	free(semis);
}

static int keep_first(void *ctx, const target *t)
{
	target *k = ctx;
	if (!k->name.p)
		*k = *t;
	return 0;
}

static void test_big_value(void)
{
	size_t n = 1024 * 1024;
	char *p = malloc(n);
	memcpy(p, "big=\"", 5);
	/* "%2541" repeated: double-encoded 'A's */
	for (size_t i = 5; i < n - 1; i++)
		p[i] = "%2541"[(i - 5) % 5];
	p[n - 1] = '"';
	arena *big = arena_new(4 * 1024 * 1024);
	target first = { 0 };
	sk_error err = { 0 };
	CHECK_INT(cookie_parse(sk_slice_make(p, n), big, &LIM, keep_first, &first, &err), SK_OK);
	CHECK_SLICE(first.name, "big");
	CHECK_INT(first.raw.len, n - 4);
	CHECK(first.value.len < n - 6);
	CHECK(first.flags & TF_DOUBLE_ENCODED);
	arena *tiny = arena_new(1024);
	first = (target){ 0 };
	CHECK_INT(cookie_parse(sk_slice_make(p, n), tiny, &LIM, keep_first, &first, &err), SK_ERR);
	CHECK_INT(err.status, 413);
	arena_free(tiny);
	arena_free(big);
	free(p);
}

static void test_misc(void)
{
	collect c = { .stop_after = 1, .input = SK_LIT("a=1; b=2") };
	sk_error err = { 0 };
	CHECK_INT(cookie_parse(c.input, A, &LIM, emit, &c, &err), SK_ERR);
	CHECK_INT(c.count, 1);
	CHECK(err.rule && strcmp(err.rule, "stopped by consumer") == 0);
	/* raw keeps the quotes, value does not */
	target first = { 0 };
	CHECK_INT(cookie_parse(SK_LIT(" q = \"v\" "), A, &LIM, keep_first, &first, &err), SK_OK);
	CHECK_SLICE(first.raw, "\"v\"");
	CHECK_SLICE(first.value, "v");
	CHECK_SLICE(first.name, "q");
	/* a tab around the separator is trimmed like a space (data files
	 * cannot hold a tab in a field) */
	c = (collect){ .input = SK_LIT("a=b;\tc=d\t") };
	CHECK_INT(cookie_parse(c.input, A, &LIM, emit, &c, &err), SK_OK);
	CHECK_MEM(c.buf, c.len, "C a=b | C c=d");
	CHECK_INT(first.loc, LOC_COOKIE);
	CHECK_INT(cookie_parse(sk_slice_make(NULL, 0), A, &LIM, keep_first, &first, &err), SK_OK);
	CHECK(cookie_token_name(SK_LIT("__Host-sid")));
	CHECK(cookie_token_name(SK_LIT("")));
	CHECK(!cookie_token_name(SK_LIT("a b")));
	CHECK(!cookie_token_name(SK_LIT("a\0b")));
	CHECK(!cookie_token_name(SK_LIT("a\"")));
}

int main(void)
{
	A = arena_new(64 * 1024 * 1024);
	http_limits_default(&LIM);
	harness_each_line("cookie/cases.txt", data_case, NULL);
	RUN(test_too_many);
	RUN(test_big_value);
	RUN(test_misc);
	arena_free(A);
	return harness_done("cookie");
}
