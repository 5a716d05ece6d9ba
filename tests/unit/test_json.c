/* test_json.c - the streaming JSON parser: golden files fed whole, byte at a
 * time and in three chunks split everywhere; strictness; limits; decoding.
 *
 * Golden format and helpers: golden.h.
 */
#include "golden.h"
#include "sekisho/json.h"

static int collect(void *ctx, const target *t)
{
	out *o = ctx;
	out_target(o, t);
	/* Slices are NUL-terminated arena copies or static text. */
	if (t->name.p[t->name.len] != '\0' || t->value.p[t->value.len] != '\0' || t->raw.p[t->raw.len] != '\0')
		out_str(o, "!! slice not terminated\n");
	return 0;
}

/* Parse `doc` fed in pieces cut at the given offsets (sorted, <= n). */
static out parse_cuts(const char *doc, size_t n, const size_t *cuts, size_t ncuts,
		      const http_limits *lim)
{
	out o = { 0 };
	arena *a = arena_new(lim->max_arena);
	json_state st;
	sk_error e = { 0 };
	json_init(&st, a, lim, collect, &o);
	size_t from = 0;
	int rc = SK_OK;
	for (size_t k = 0; k <= ncuts && rc == SK_OK; k++) {
		size_t to = k < ncuts ? cuts[k] : n;
		/* A private copy that is wiped after the call: the parser must
		 * not keep pointers into the caller's chunk. */
		char *chunk = malloc(to - from + 1);
		memcpy(chunk, doc + from, to - from);
		rc = json_feed(&st, chunk, to - from, &e);
		memset(chunk, 'X', to - from);
		free(chunk);
		from = to;
	}
	if (rc == SK_OK)
		rc = json_finish(&st, &e);
	out_result(&o, rc, &e);
	arena_free(a);
	return o;
}

static out parse_whole(const char *doc, size_t n, const http_limits *lim)
{
	return parse_cuts(doc, n, NULL, 0, lim);
}

static out parse_bytewise(const char *doc, size_t n, const http_limits *lim)
{
	size_t *cuts = malloc((n + 1) * sizeof(*cuts));
	for (size_t i = 0; i < n; i++)
		cuts[i] = i;
	out o = parse_cuts(doc, n, cuts, n, lim);
	free(cuts);
	return o;
}

/* ---- golden files ---- */

/* Fed a byte at a time, a document gives exactly the output it gives whole. */
static int same_bytewise(const char *doc, size_t n, const out *whole, const char *name, const http_limits *lim)
{
	out bw = parse_bytewise(doc, n, lim);
	int ok = bw.len == whole->len && memcmp(bw.p, whole->p, bw.len) == 0;
	if (!ok)
		fprintf(stderr, "  FAIL bytewise %s, got:\n%s", name, bw.p);
	free(bw.p);
	return ok;
}

/* So does it byte at a time, and in three chunks cut at every pair of
 * offsets (small files). */
static int same_in_pieces(const char *doc, size_t n, const out *whole, const char *name, const http_limits *lim)
{
	int ok = same_bytewise(doc, n, whole, name, lim);
	size_t step = n > 300 ? n / 97 + 1 : 1;
	for (size_t c1 = 0; c1 <= n && ok; c1 += step) {
		for (size_t c2 = c1; c2 <= n && ok; c2 += step) {
			size_t cuts[2] = { c1, c2 };
			out o = parse_cuts(doc, n, cuts, 2, lim);
			if (o.len != whole->len || memcmp(o.p, whole->p, o.len) != 0) {
				fprintf(stderr, "  FAIL split %zu,%zu %s, got:\n%s", c1, c2, name, o.p);
				ok = 0;
			}
			free(o.p);
		}
	}
	return ok;
}

static void test_golden(void)
{
	golden_dir("json", ".json", parse_whole, same_in_pieces);
}

/* ---- one document per line: accepted / rejected, whole == bytewise ---- */

static void test_accept_reject(void)
{
	golden_accept_reject("json", parse_whole, same_bytewise, 10, 30);
}

/* ---- specific rules, offsets and flags ---- */

static sk_error run_err(const char *doc, size_t n, const http_limits *lim)
{
	arena *a = arena_new(lim->max_arena);
	json_state st;
	sk_error e = { "none", 0, 0 };
	json_init(&st, a, lim, NULL, NULL);
	if (json_feed(&st, doc, n, &e) == SK_OK)
		json_finish(&st, &e);
	arena_free(a);
	return e;
}

static void test_rules(void)
{
	http_limits lim;
	http_limits_default(&lim);
	ERR_IS("", "empty JSON document", 0, 400);
	ERR_IS("  \n ", "empty JSON document", 4, 400);
	ERR_IS("[1,2,]", "trailing comma or missing JSON value", 5, 400);
	ERR_IS("{\"a\":1,}", "trailing comma in JSON object", 7, 400);
	ERR_IS("{'a':1}", "single-quoted JSON string", 1, 400);
	ERR_IS("['a']", "single-quoted JSON string", 1, 400);
	ERR_IS("[1]//x", "trailing data after JSON value", 3, 400);
	ERR_IS("[1 /*x*/]", "comment in JSON", 3, 400);
	ERR_IS("[01]", "leading zero in JSON number", 2, 400);
	ERR_IS("-01", "leading zero in JSON number", 2, 400);
	ERR_IS("[1.]", "incomplete JSON number", 3, 400);
	ERR_IS("-", "incomplete JSON number", 1, 400);
	ERR_IS("[\"a\\x\"]", "bad escape in JSON string", 4, 400);
	ERR_IS("[\"\\u12G4\"]", "bad \\u escape in JSON string", 6, 400);
	ERR_IS("[\"a\nb\"]", "control character in JSON string", 3, 400);
	ERR_IS("[\"a\tb\"]", "control character in JSON string", 3, 400);
	ERR_IS("{\"a\":1} x", "trailing data after JSON value", 8, 400);
	ERR_IS("[1] [2]", "trailing data after JSON value", 4, 400);
	ERR_IS("{\"a\":1]", "mismatched JSON bracket", 6, 400);
	ERR_IS("{\"a\" 1}", "expected ':' after JSON key", 5, 400);
	ERR_IS("{a:1}", "JSON object key must be a string", 1, 400);
	ERR_IS("[tru]", "bad JSON literal", 4, 400);
	ERR_IS("[True]", "unexpected byte in JSON", 1, 400);
	ERR_IS("[1 2]", "expected ',' or a closing bracket", 3, 400);
	ERR_IS("{\"a\":[1,{\"b\":", "truncated JSON document", 13, 400);
	ERR_IS("\"abc", "truncated JSON document", 4, 400);
	ERR_IS("\xef\xbb\xbf{}", "unexpected byte in JSON", 0, 400);
	ERR_IS("[NaN]", "unexpected byte in JSON", 1, 400);
	ERR_IS("[+1]", "unexpected byte in JSON", 1, 400);

	/* A string over max_body_inspect, and a number over it. */
	lim.max_body_inspect = 8;
	ERR_IS("[\"123456789\"]", "JSON string too long", 2, 413);
	ERR_IS("[\"12345678\"]", "none", 0, 0);
	ERR_IS("[123456789]", "JSON number too long", 9, 413);
	ERR_IS("{\"123456789\":1}", "JSON string too long", 2, 413);
	/* Escapes count as sent: 5 escapes are 10 bytes. */
	ERR_IS("[\"\\n\\n\\n\\n\\n\"]", "JSON string too long", 11, 413);
	ERR_IS("[\"\\u0041\\u0042\"]", "JSON string too long", 10, 413);
	ERR_IS("[\"\\n\\n\\n\\n\"]", "none", 0, 0);
}

/* Offsets count over all chunks. */
static void test_offset_across_chunks(void)
{
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	json_state st;
	sk_error e = { 0 };
	json_init(&st, a, &lim, NULL, NULL);
	CHECK_INT(json_feed(&st, "{\"abc\":", 7, &e), SK_OK);
	CHECK_INT(json_feed(&st, "", 0, &e), SK_OK);
	CHECK_INT(json_feed(&st, " [1,2,", 6, &e), SK_OK);
	CHECK_INT(json_feed(&st, " ]}", 3, &e), SK_ERR);
	CHECK_INT(e.offset, 14);
	/* The error is sticky. */
	sk_error e2 = { 0 };
	CHECK_INT(json_feed(&st, "1", 1, &e2), SK_ERR);
	CHECK_INT(e2.offset, 14);
	CHECK_INT(json_finish(&st, &e2), SK_ERR);
	arena_free(a);
}

/* ---- limits ---- */

static void test_deep_nesting(void)
{
	http_limits lim;
	http_limits_default(&lim);
	size_t n = 10000;
	char *doc = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		doc[i] = '[';
		doc[2 * n - 1 - i] = ']';
	}
	sk_error e = run_err(doc, 2 * n, &lim);
	CHECK(strcmp(e.rule, "json nesting too deep") == 0);
	CHECK_INT(e.offset, 64);
	CHECK_INT(e.status, 400);
	/* The error is at byte 64: the parser stopped there, whatever the
	 * length of the rest (no clock needed to see it). */
	/* Byte at a time as well. */
	out o = parse_bytewise(doc, 2 * n, &lim);
	CHECK(strstr(o.p, "error\t400\t64\tjson nesting too deep\n") != NULL);
	free(o.p);

	/* 64 levels of objects are fine, 65 are not. */
	for (size_t depth = 64; depth <= 65; depth++) {
		char *d = malloc(depth * 6 + 8);
		size_t k = 0;
		for (size_t i = 0; i < depth; i++)
			k += (size_t)snprintf(d + k, 7, "{\"a\":");
		d[k++] = '1';
		for (size_t i = 0; i < depth; i++)
			d[k++] = '}';
		sk_error de = run_err(d, k, &lim);
		CHECK(strcmp(de.rule, depth == 64 ? "none" : "json nesting too deep") == 0);
		free(d);
	}
	/* Deeply nested raising of the limit works without recursion. */
	lim.max_depth = 100000;
	e = run_err(doc, 2 * n, &lim);
	CHECK(strcmp(e.rule, "none") == 0);
	free(doc);
}

static void test_many_leaves(void)
{
	http_limits lim;
	http_limits_default(&lim);
	size_t n = 10000;
	char *doc = malloc(n * 8 + 8);
	size_t k = 0;
	doc[k++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			doc[k++] = ',';
		k += (size_t)snprintf(doc + k, 8, "%zu", i);
	}
	doc[k++] = ']';
	sk_error e = run_err(doc, k, &lim);
	CHECK(strcmp(e.rule, "too many JSON values") == 0);
	CHECK_INT(e.status, 413);

	lim.max_targets = n;
	arena *a = arena_new(lim.max_arena);
	json_state st;
	size_t count = 0;
	json_init(&st, a, &lim, count_targets, &count);
	CHECK_INT(json_feed(&st, doc, k, &e), SK_OK);
	CHECK_INT(json_finish(&st, &e), SK_OK);
	CHECK_INT(count, n);
	arena_free(a);
	free(doc);
}

/* Many distinct keys in one object, and the same key set in many sibling
 * objects: duplicate detection must stay fast and exact. */
static void test_many_keys(void)
{
	http_limits lim;
	http_limits_default(&lim);
	lim.max_targets = 100000;
	size_t n = 50000;
	char *doc = malloc(n * 16 + 8);
	size_t k = 0;
	doc[k++] = '{';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(doc + k, 16, "%s\"k%zu\":0", i ? "," : "", i);
	k += (size_t)snprintf(doc + k, 16, ",\"k777\":1}");
	arena *a = arena_new(lim.max_arena);
	json_state st;
	out o = { 0 };
	sk_error e = { 0 };
	json_init(&st, a, &lim, collect, &o);
	CHECK_INT(json_feed(&st, doc, k, &e), SK_OK);
	CHECK_INT(json_finish(&st, &e), SK_OK);
	CHECK(strstr(o.p, "json\tk777\t1\tmalformed\n") != NULL);
	CHECK(strstr(o.p, "\tmalformed") == strstr(o.p, "json\tk777\t1\tmalformed") + 11);
	free(o.p);
	arena_free(a);
	free(doc);
}

static int stop_at_second(void *ctx, const target *t)
{
	(void)t;
	return ++*(int *)ctx == 2 ? -1 : 0;
}

static void test_consumer_stop(void)
{
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	json_state st;
	int calls = 0;
	sk_error e = { 0 };
	json_init(&st, a, &lim, stop_at_second, &calls);
	CHECK_INT(json_feed(&st, "[1,2,3]", 7, &e), SK_ERR);
	CHECK(strcmp(e.rule, "stopped by consumer") == 0);
	CHECK_INT(calls, 2);
	arena_free(a);
}

/* A tiny arena: failures are errors, never crashes. */
static void test_small_arena(void)
{
	http_limits lim;
	http_limits_default(&lim);
	const char doc[] = "{\"user\":{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"tags\":[1,2,3]}}";
	for (size_t cap = 16; cap < 4096; cap += 16) {
		arena *a = arena_new(cap);
		json_state st;
		sk_error e = { 0 };
		json_init(&st, a, &lim, NULL, NULL);
		int rc = json_feed(&st, doc, sizeof(doc) - 1, &e);
		if (rc == SK_OK)
			rc = json_finish(&st, &e);
		CHECK(rc == SK_OK || (e.status == 413 && strcmp(e.rule, "JSON exceeds the arena") == 0));
		arena_free(a);
	}
}

/* raw keeps the string exactly as sent. */
static void test_raw(void)
{
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	json_state st;
	target t = { 0 };
	sk_error e = { 0 };
	json_init(&st, a, &lim, keep_last, &t);
	const char doc[] = "{\"q\":\"a\\u0041\\/\\ud83d\\ude00\"}";
	CHECK_INT(json_feed(&st, doc, sizeof(doc) - 1, &e), SK_OK);
	CHECK_INT(json_finish(&st, &e), SK_OK);
	CHECK_SLICE(t.raw, "\"a\\u0041\\/\\ud83d\\ude00\"");
	CHECK_SLICE(t.value, "aA/\xf0\x9f\x98\x80");
	CHECK_SLICE(t.name, "q");
	CHECK_INT(t.loc, LOC_JSON);
	arena_free(a);

	a = arena_new(lim.max_arena);
	json_init(&st, a, &lim, keep_last, &t);
	CHECK_INT(json_feed(&st, "[-1.5e+10", 9, &e), SK_OK);
	CHECK_INT(json_feed(&st, "]", 1, &e), SK_OK);
	CHECK_INT(json_finish(&st, &e), SK_OK);
	CHECK_SLICE(t.raw, "-1.5e+10");
	CHECK_SLICE(t.value, "-1.5e+10");
	CHECK_SLICE(t.name, "[0]");
	arena_free(a);
}

int main(void)
{
	RUN(test_golden);
	RUN(test_accept_reject);
	RUN(test_rules);
	RUN(test_offset_across_chunks);
	RUN(test_deep_nesting);
	RUN(test_many_leaves);
	RUN(test_many_keys);
	RUN(test_consumer_stop);
	RUN(test_small_arena);
	RUN(test_raw);
	return harness_done("json");
}
