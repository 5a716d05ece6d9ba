/* test_multipart.c - multipart/form-data parser.
 *
 * tests/data/multipart/bodies.txt: one case per line, "boundary|expect|body"
 * (split at the first two '|', so bodies may contain '|' but boundaries and
 * expectations may not). expect is either "OK:" followed by the targets as
 * rendered by render() below, or "ERR <status> <rule>". Every case is
 * parsed in one feed, byte at a time, split at every position into two
 * chunks, and in random chunks; all must agree. Chunks are copied into a
 * buffer that is scribbled over and freed right after each feed, so a
 * target that points into the caller's chunk shows up (ASan or garbage).
 *
 * tests/data/multipart/boundary.txt: "expect|Content-Type value", expect
 * being the boundary or "ERR <rule>".
 */
#include "sekisho/multipart.h"

#include <stdint.h>

#include "harness.h"

/* ---- collecting and rendering targets ---- */

#define MAX_T 4096

typedef struct collect {
	target t[MAX_T];
	size_t n;
	int stop_after; /* return -1 from emit after this many targets; 0 = never */
} collect;

static int on_target(void *ctx, const target *t)
{
	collect *c = ctx;
	if (c->n < MAX_T)
		c->t[c->n] = *t;
	c->n++;
	if (c->stop_after && (int)c->n >= c->stop_after)
		return -1;
	return 0;
}

typedef struct strbuf {
	char *p;
	size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static int sb_eq(const strbuf *x, const strbuf *y)
{
	return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

static void sb_str(strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static const char *short_loc(int loc)
{
	switch (loc) {
	case LOC_MULTIPART_FIELD: return "field";
	case LOC_MULTIPART_FILENAME: return "filename";
	case LOC_MULTIPART_FILE: return "file";
	case LOC_MULTIPART_HEADER: return "header";
	default: return "?";
	}
}

/* "field:name=value;file:f=..." then, on error, "ERR <status> <rule>". */
static void render(strbuf *b, const collect *c, int rc, const sk_error *err, int with_offset)
{
	sb_str(b, rc == SK_OK ? "OK:" : "");
	for (size_t i = 0; i < c->n && i < MAX_T; i++) {
		const target *t = &c->t[i];
		if (i)
			sb_str(b, ";");
		sb_str(b, short_loc(t->loc));
		sb_str(b, ":");
		sb_add(b, t->name.p, t->name.len);
		sb_str(b, "=");
		sb_add(b, t->value.p, t->value.len);
	}
	if (rc != SK_OK) {
		char tmp[300];
		if (with_offset)
			snprintf(tmp, sizeof(tmp), "ERR %d %s @%zu", err->status, err->rule, err->offset);
		else
			snprintf(tmp, sizeof(tmp), "ERR %d %s", err->status, err->rule);
		b->len = 0;
		sb_str(b, tmp);
	}
}

/* Parse `body` cut at the offsets in cuts[0..ncuts) (ascending). Returns
 * the rendering (malloc'd). Each chunk lives in its own malloc'd copy that
 * is poisoned and freed after the feed. */
static strbuf parse_split(sk_slice boundary, const char *body, size_t len, const size_t *cuts,
			 size_t ncuts, const http_limits *lim, int with_offset, collect *c, arena *a)
{
	multipart_state st;
	memset(&st, 0xA5, sizeof(st)); /* init must not rely on a zeroed struct */
	c->n = 0;
	multipart_init(&st, boundary, a, lim, on_target, c);
	sk_error err = { 0 };
	int rc = SK_OK;
	size_t at = 0;
	for (size_t k = 0; k <= ncuts && rc == SK_OK; k++) {
		size_t end = k < ncuts ? cuts[k] : len;
		size_t n = end - at;
		char *chunk = malloc(n ? n : 1);
		if (!chunk)
			abort();
		memcpy(chunk, body + at, n);
		rc = multipart_feed(&st, chunk, n, &err);
		memset(chunk, 0xEE, n);
		free(chunk);
		at = end;
	}
	if (rc == SK_OK)
		rc = multipart_finish(&st, &err);
	strbuf b = { 0 };
	render(&b, c, rc, &err, with_offset);
	return b;
}

static strbuf parse_whole(sk_slice boundary, const char *body, size_t len, const http_limits *lim,
			 int with_offset, collect *c, arena *a)
{
	return parse_split(boundary, body, len, NULL, 0, lim, with_offset, c, a);
}

/* ---- data-driven bodies ---- */

static collect g_c;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void body_case(const harness_line *l, void *ctx)
{
	int *count = ctx;
	(*count)++;
	char *bar1 = memchr(l->buf, '|', l->len);
	char *bar2 = bar1 ? memchr(bar1 + 1, '|', l->len - (size_t)(bar1 + 1 - l->buf)) : NULL;
	char name[64];
	snprintf(name, sizeof(name), "bodies.txt:%d", l->lineno);
	harness_case = name;
	harness_case_failed = 0;
	if (!bar2) {
		harness_fail("malformed data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	sk_slice boundary = sk_slice_make(l->buf, (size_t)(bar1 - l->buf));
	sk_slice expect = sk_slice_make(bar1 + 1, (size_t)(bar2 - bar1 - 1));
	const char *body = bar2 + 1;
	size_t len = l->len - (size_t)(body - l->buf);

	arena *a = arena_new(SK_DEFAULT_MAX_ARENA);
	strbuf got = parse_whole(boundary, body, len, NULL, 0, &g_c, a);
	harness_check_mem(got.p, got.len, expect.p, expect.len, "result", __FILE__, __LINE__);
	free(got.p);
	/* Reference with offsets, which must not depend on the chunking either. */
	arena_reset(a);
	strbuf ref = parse_whole(boundary, body, len, NULL, 1, &g_c, a);

	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	if (!cuts)
		abort();
	int bad = 0;
	/* byte at a time (also feeds empty chunks between: cut twice at 0) */
	size_t nc = 0;
	cuts[nc++] = 0;
	for (size_t i = 1; i < len; i++)
		cuts[nc++] = i;
	arena_reset(a);
	strbuf r = parse_split(boundary, body, len, cuts, nc, NULL, 1, &g_c, a);
	if (!sb_eq(&r, &ref)) {
		bad = 1;
		harness_fail("byte-at-a-time differs", r.p, r.len);
	}
	free(r.p);
	/* every two-chunk split */
	for (size_t i = 0; i <= len && !bad; i++) {
		arena_reset(a);
		r = parse_split(boundary, body, len, &i, 1, NULL, 1, &g_c, a);
		if (!sb_eq(&r, &ref)) {
			bad = 1;
			harness_fail("two-chunk split differs", r.p, r.len);
		}
		free(r.p);
	}
	/* random chunkings */
	for (int round = 0; round < 30 && !bad && len > 1; round++) {
		nc = 0;
		size_t at = 0;
		while (nc < len) {
			at += 1 + (size_t)(rng() % 9);
			if (at >= len)
				break;
			cuts[nc++] = at;
		}
		arena_reset(a);
		r = parse_split(boundary, body, len, cuts, nc, NULL, 1, &g_c, a);
		if (!sb_eq(&r, &ref)) {
			bad = 1;
			harness_fail("random split differs", r.p, r.len);
		}
		free(r.p);
	}
	free(cuts);
	free(ref.p);
	arena_free(a);
	harness_count(!harness_case_failed);
}

static void test_bodies_file(void)
{
	int count = 0;
	/* The per-line cases count themselves; this wrapper only checks that
	 * the file was found and not empty. */
	int n = harness_each_line("multipart/bodies.txt", body_case, &count);
	harness_case = "test_bodies_file";
	harness_case_failed = 0;
	CHECK(n > 20);
}

static void boundary_case(const harness_line *l, void *ctx)
{
	(void)ctx;
	char name[64];
	snprintf(name, sizeof(name), "boundary.txt:%d", l->lineno);
	harness_case = name;
	harness_case_failed = 0;
	char *bar = memchr(l->buf, '|', l->len);
	if (!bar) {
		harness_fail("malformed data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	sk_slice expect = sk_slice_make(l->buf, (size_t)(bar - l->buf));
	sk_slice ct = sk_slice_make(bar + 1, l->len - (size_t)(bar + 1 - l->buf));
	sk_slice b = SK_SLICE_NULL;
	sk_error err = { 0 };
	int rc = multipart_boundary(ct, &b, &err);
	strbuf sb = { 0 };
	if (rc == SK_OK)
		sb_add(&sb, b.p, b.len);
	else {
		sb_str(&sb, "ERR ");
		sb_str(&sb, err.rule);
	}
	harness_check_mem(sb.p, sb.len, expect.p, expect.len, "boundary", __FILE__, __LINE__);
	free(sb.p);
	harness_count(!harness_case_failed);
}

static void test_boundary_file(void)
{
	int n = harness_each_line("multipart/boundary.txt", boundary_case, NULL);
	harness_case = "test_boundary_file";
	harness_case_failed = 0;
	CHECK(n > 10);
}

/* ---- cases built in C ---- */

static void test_boundary_70_71(void)
{
	char ct[200], b70[72], b71[73];
	memset(b70, 'x', 70);
	b70[70] = '\0';
	memset(b71, 'y', 71);
	b71[71] = '\0';
	sk_slice b;
	sk_error err;
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b70);
	CHECK_INT(multipart_boundary(sk_slice_make(ct, strlen(ct)), &b, &err), SK_OK);
	CHECK_INT(b.len, 70);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%s\"", b71);
	CHECK_INT(multipart_boundary(sk_slice_make(ct, strlen(ct)), &b, &err), SK_ERR);
	CHECK_INT(err.status, 400);

	/* A 70-character boundary works end to end; a 71 one is refused by init. */
	char body[400];
	int n = snprintf(body, sizeof(body),
			 "--%s\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--%s--\r\n", b70, b70);
	arena *a = arena_new(1 << 20);
	strbuf r = parse_whole(sk_slice_make(b70, 70), body, (size_t)n, NULL, 0, &g_c, a);
	CHECK_MEM(r.p, r.len, "OK:field:a=v");
	free(r.p);
	r = parse_whole(sk_slice_make(b71, 71), body, (size_t)n, NULL, 0, &g_c, a);
	CHECK_MEM(r.p, r.len, "ERR 400 invalid multipart boundary");
	free(r.p);
	arena_free(a);
}

/* n parts "--B\r\nContent-Disposition: form-data; name="pI"\r\n\r\nI\r\n" + close. */
static char *many_parts(size_t n, size_t *len)
{
	strbuf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		char tmp[128];
		snprintf(tmp, sizeof(tmp), "--B\r\nContent-Disposition: form-data; name=\"p%zu\"\r\n\r\n%zu\r\n", i, i);
		sb_str(&b, tmp);
	}
	sb_str(&b, "--B--\r\n");
	*len = b.len;
	return b.p;
}

static void test_parts_limit(void)
{
	size_t len;
	char *body = many_parts(1000, &len);
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(SK_DEFAULT_MAX_ARENA);
	multipart_state st;
	sk_error err = { 0 };

	/* default limit (256): refused with 413 after 256 fields */
	multipart_init(&st, SK_LIT("B"), a, &lim, on_target, &g_c);
	g_c.n = 0;
	CHECK_INT(multipart_feed(&st, body, len, &err), SK_ERR);
	CHECK_INT(err.status, 413);
	CHECK(strcmp(err.rule, "too many multipart parts") == 0);
	CHECK_INT(g_c.n, 256);

	/* raised to 1000: all parse, in one feed and byte at a time */
	lim.max_parts = 1000;
	arena_reset(a);
	multipart_init(&st, SK_LIT("B"), a, &lim, on_target, &g_c);
	g_c.n = 0;
	CHECK_INT(multipart_feed(&st, body, len, &err), SK_OK);
	CHECK_INT(multipart_finish(&st, &err), SK_OK);
	CHECK_INT(g_c.n, 1000);
	CHECK_SLICE(g_c.t[999].name, "p999");
	CHECK_SLICE(g_c.t[999].value, "999");

	arena_reset(a);
	multipart_init(&st, SK_LIT("B"), a, &lim, on_target, &g_c);
	g_c.n = 0;
	int rc = SK_OK;
	for (size_t i = 0; i < len && rc == SK_OK; i++)
		rc = multipart_feed(&st, body + i, 1, &err);
	CHECK_INT(rc, SK_OK);
	CHECK_INT(multipart_finish(&st, &err), SK_OK);
	CHECK_INT(g_c.n, 1000);

	/* 1001 parts with the limit at 1000 */
	free(body);
	body = many_parts(1001, &len);
	arena_reset(a);
	multipart_init(&st, SK_LIT("B"), a, &lim, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, len, &err), SK_ERR);
	CHECK_INT(err.status, 413);
	free(body);
	arena_free(a);
}

static void test_large_file_truncated(void)
{
	const size_t big = 2 * 1024 * 1024;
	static const char head[] = "--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"big.bin\"\r\n"
				   "Content-Type: application/octet-stream\r\n\r\n";
	static const char tail[] = "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nok\r\n--XyZ--\r\n";
	size_t len = sizeof(head) - 1 + big + sizeof(tail) - 1;
	char *body = malloc(len);
	if (!body)
		abort();
	memcpy(body, head, sizeof(head) - 1);
	for (size_t i = 0; i < big; i++) /* text with CRs that are not delimiters */
		body[sizeof(head) - 1 + i] = (i % 64 == 63) ? '\r' : (char)('a' + i % 26);
	memcpy(body + sizeof(head) - 1 + big, tail, sizeof(tail) - 1);

	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(SK_DEFAULT_MAX_ARENA);
	multipart_state st;
	sk_error err = { 0 };
	multipart_init(&st, SK_LIT("XyZ"), a, &lim, on_target, &g_c);
	g_c.n = 0;
	/* in 4 KB chunks, as a proxy would */
	int rc = SK_OK;
	for (size_t at = 0; at < len && rc == SK_OK; at += 4096)
		rc = multipart_feed(&st, body + at, len - at < 4096 ? len - at : 4096, &err);
	CHECK_INT(rc, SK_OK);
	CHECK_INT(multipart_finish(&st, &err), SK_OK);
	CHECK_INT(g_c.n, 4);
	CHECK_INT(g_c.t[0].loc, LOC_MULTIPART_HEADER);
	CHECK_INT(g_c.t[1].loc, LOC_MULTIPART_FILENAME);
	CHECK_SLICE(g_c.t[1].value, "big.bin");
	CHECK_INT(g_c.t[2].loc, LOC_MULTIPART_FILE);
	CHECK_INT(g_c.t[2].value.len, lim.max_body_inspect);
	CHECK(g_c.t[2].flags & TF_TRUNCATED);
	CHECK(!(g_c.t[2].flags & TF_BINARY));
	CHECK(memcmp(g_c.t[2].value.p, body + sizeof(head) - 1, lim.max_body_inspect) == 0);
	CHECK_INT(g_c.t[3].loc, LOC_MULTIPART_FIELD);
	CHECK_SLICE(g_c.t[3].value, "ok");
	CHECK(!(g_c.t[3].flags & TF_TRUNCATED));
	/* scratch growth is geometric: well under 3x the kept bytes */
	CHECK(arena_used(a) < 3 * lim.max_body_inspect);
	free(body);
	arena_free(a);
}

static void test_flags(void)
{
	static const char body[] =
		"--b\r\nContent-Disposition: form-data; name=\"bin\"; filename=\"x.png\"\r\n\r\n"
		"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n"
		"--b\r\nContent-Disposition: form-data; name=\"txt\"; filename=\"\xe6\x97\xa5\xe6\x9c\xac.txt\"\r\n\r\n"
		"line1\r\nline2\r\n"
		"--b\r\nContent-Disposition: form-data; name=\"sj\"; filename=\"\x95\x5c.txt\"\r\n\r\n"
		"\x83\x5c\x83\x74\x83\x67\r\n"
		"--b\r\nContent-Disposition: form-data; name=\"plain\"\r\n\r\nabc\r\n"
		"--b--";
	arena *a = arena_new(1 << 20);
	strbuf r = parse_whole(SK_LIT("b"), body, sizeof(body) - 1, NULL, 0, &g_c, a);
	CHECK(strncmp(r.p, "OK:", 3) == 0);
	free(r.p);
	CHECK_INT(g_c.n, 7);
	/* bin: file with NULs */
	CHECK_INT(g_c.t[1].loc, LOC_MULTIPART_FILE);
	CHECK(g_c.t[1].flags & TF_BINARY);
	CHECK(g_c.t[1].flags & TF_NUL);
	/* UTF-8 filename */
	CHECK_INT(g_c.t[2].loc, LOC_MULTIPART_FILENAME);
	CHECK(g_c.t[2].flags & TF_HIGH_BYTES);
	CHECK(!(g_c.t[2].flags & TF_INVALID_UTF8));
	/* text file: CTL (CRLF) but not binary */
	CHECK(g_c.t[3].flags & TF_CTL);
	CHECK(!(g_c.t[3].flags & TF_BINARY));
	/* Shift_JIS filename with a 0x5C trail byte, and Shift_JIS content */
	CHECK_INT(g_c.t[4].loc, LOC_MULTIPART_FILENAME);
	CHECK_SLICE(g_c.t[4].value, "\x95\x5c.txt");
	CHECK(g_c.t[4].flags & TF_HIGH_BYTES);
	CHECK(g_c.t[4].flags & TF_INVALID_UTF8);
	CHECK(g_c.t[5].flags & TF_INVALID_UTF8);
	CHECK(!(g_c.t[5].flags & TF_BINARY));
	/* plain ASCII field */
	CHECK_INT(g_c.t[6].loc, LOC_MULTIPART_FIELD);
	CHECK_INT(g_c.t[6].flags, 0);
	arena_free(a);
}

static void test_filename_star(void)
{
	static const char body[] =
		"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"; "
		"filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt\r\n\r\nx\r\n"
		"--b\r\nContent-Disposition: form-data; name=\"g\"; filename*=utf-8'ja'%zz%41\r\n\r\ny\r\n--b--\r\n";
	arena *a = arena_new(1 << 20);
	strbuf r = parse_whole(SK_LIT("b"), body, sizeof(body) - 1, NULL, 0, &g_c, a);
	CHECK_MEM(r.p, r.len, "OK:filename:f=a.txt;filename:f=\xe6\x97\xa5\xe6\x9c\xac.txt;file:f=x;"
				"filename:g=%zzA;file:g=y");
	free(r.p);
	CHECK_SLICE(g_c.t[1].raw, "UTF-8''%E6%97%A5%E6%9C%AC.txt");
	CHECK(g_c.t[3].flags & TF_INVALID_ESCAPE);
	arena_free(a);
}

static void test_missing_final_keeps_targets(void)
{
	static const char body[] = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
				   "--b\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\npartial\r\n--";
	arena *a = arena_new(1 << 20);
	strbuf r = parse_whole(SK_LIT("b"), body, sizeof(body) - 1, NULL, 0, &g_c, a);
	CHECK_MEM(r.p, r.len, "ERR 400 missing final boundary");
	free(r.p);
	CHECK_INT(g_c.n, 2);
	CHECK_SLICE(g_c.t[0].value, "1");
	/* the unfinished part is still handed over, marked malformed */
	CHECK_SLICE(g_c.t[1].value, "partial\r\n--");
	CHECK(g_c.t[1].flags & TF_MALFORMED);
	arena_free(a);
}

static void test_api_edges(void)
{
	multipart_state st;
	memset(&st, 0, sizeof(st));
	sk_error err = { 0 };
	CHECK_INT(multipart_feed(&st, "x", 1, &err), SK_ERR);
	CHECK_INT(multipart_finish(&st, &err), SK_ERR);

	sk_slice b;
	CHECK_INT(multipart_boundary(SK_SLICE_NULL, &b, &err), SK_ERR);

	/* sticky error, consumer stop */
	arena *a = arena_new(1 << 20);
	static const char body[] = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nX-A: 1\r\n\r\n1\r\n--b--";
	multipart_init(&st, SK_LIT("b"), a, NULL, on_target, &g_c);
	g_c.n = 0;
	g_c.stop_after = 1;
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_ERR);
	CHECK(strcmp(err.rule, "stopped by consumer") == 0);
	g_c.stop_after = 0;
	memset(&err, 0, sizeof(err));
	CHECK_INT(multipart_feed(&st, "", 0, &err), SK_ERR);
	CHECK(err.rule && strcmp(err.rule, "stopped by consumer") == 0);
	CHECK_INT(multipart_finish(&st, &err), SK_ERR);

	/* header line limit: exactly at the limit is fine, one more is 431 */
	http_limits lim;
	http_limits_default(&lim);
	static const char cd[] = "Content-Disposition: form-data; name=\"a\"";
	lim.max_header_line = sizeof(cd) - 1;
	arena_reset(a);
	multipart_init(&st, SK_LIT("b"), a, &lim, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_OK);
	CHECK_INT(multipart_finish(&st, &err), SK_OK);
	lim.max_header_line--;
	arena_reset(a);
	multipart_init(&st, SK_LIT("b"), a, &lim, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_ERR);
	CHECK_INT(err.status, 431);

	/* headers per part: at the limit fine, past it 431 */
	http_limits_default(&lim);
	lim.max_headers = 2;
	arena_reset(a);
	multipart_init(&st, SK_LIT("b"), a, &lim, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_OK);
	CHECK_INT(multipart_finish(&st, &err), SK_OK);
	lim.max_headers = 1;
	arena_reset(a);
	multipart_init(&st, SK_LIT("b"), a, &lim, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_ERR);
	CHECK_INT(err.status, 431);
	CHECK(strcmp(err.rule, "too many headers in a multipart part") == 0);

	/* inspection limit exactly at the content length: not truncated; one
	 * byte less: truncated, whatever the chunking */
	http_limits_default(&lim);
	lim.max_body_inspect = 1;
	arena_reset(a);
	strbuf r = parse_whole(SK_LIT("b"), body, sizeof(body) - 1, &lim, 0, &g_c, a);
	CHECK_MEM(r.p, r.len, "OK:header:X-A=1;field:a=1");
	free(r.p);
	CHECK(!(g_c.t[1].flags & TF_TRUNCATED));
	lim.max_body_inspect = 0;
	for (size_t cut = 0; cut < sizeof(body) - 1; cut++) {
		arena_reset(a);
		r = parse_split(SK_LIT("b"), body, sizeof(body) - 1, &cut, 1, &lim, 0, &g_c, a);
		CHECK_MEM(r.p, r.len, "OK:header:X-A=1;field:a=");
		free(r.p);
		CHECK(g_c.t[1].flags & TF_TRUNCATED);
	}

	/* a tiny arena: 413, no crash */
	arena *tiny = arena_new(64);
	multipart_init(&st, SK_LIT("b"), tiny, NULL, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_ERR);
	CHECK_INT(err.status, 413);
	arena_free(tiny);

	/* feeding after a successful finish is a caller bug */
	arena_reset(a);
	multipart_init(&st, SK_LIT("b"), a, NULL, on_target, &g_c);
	CHECK_INT(multipart_feed(&st, body, sizeof(body) - 1, &err), SK_OK);
	CHECK_INT(multipart_finish(&st, &err), SK_OK);
	CHECK_INT(multipart_feed(&st, "x", 1, &err), SK_ERR);
	arena_free(a);
}

int main(void)
{
	RUN(test_bodies_file);
	RUN(test_boundary_file);
	RUN(test_boundary_70_71);
	RUN(test_parts_limit);
	RUN(test_large_file_truncated);
	RUN(test_flags);
	RUN(test_filename_star);
	RUN(test_missing_final_keeps_targets);
	RUN(test_api_edges);
	return harness_done("multipart");
}
