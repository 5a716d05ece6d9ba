/* test_http_request.c - the strict request-head parser (lib/http/request.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "sekisho/http.h"

#define MAXH 128

static http_limits lim;

static ssize_t parse_whole(const char *buf, size_t len, http_request *req, http_header *h, sk_error *err)
{
	http_req_parser st = { 0 };
	return http_parse_request(&st, buf, len, req, h, MAXH, &lim, err);
}

/* Feed the same buffer growing by one byte at a time, as a slow client would. */
static ssize_t parse_bytewise(const char *buf, size_t len, http_request *req, http_header *h, sk_error *err)
{
	http_req_parser st = { 0 };
	ssize_t r = SK_AGAIN;
	for (size_t i = 1; i <= len; i++) {
		r = http_parse_request(&st, buf, i, req, h, MAXH, &lim, err);
		if (r != SK_AGAIN)
			return r;
	}
	return r;
}

/* Place the input right before a PROT_NONE page so any over-read faults. */
static char *guarded_copy(const char *p, size_t n, void **map, size_t *maplen)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (n + pg - 1) / pg + 1;
	*maplen = (pages + 1) * pg;
	char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	mprotect(m + pages * pg, pg, PROT_NONE);
	char *dst = m + pages * pg - n;
	memcpy(dst, p, n);
	*map = m;
	return dst;
}

static int outcome(ssize_t r, const sk_error *err)
{
	if (r > 0)
		return 1;
	if (r == SK_AGAIN)
		return 2;
	return err->status;
}

static void one_case(const harness_line *l, void *ctx)
{
	(void)ctx;
	char *tab = memchr(l->buf, '\t', l->len);
	if (!tab) {
		harness_fail("bad data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	*tab = '\0';
	int want = strcmp(l->buf, "ok") == 0 ? 1 : strcmp(l->buf, "again") == 0 ? 2 : (int)strtol(l->buf, NULL, 10);
	const char *req_bytes = tab + 1;
	size_t n = l->len - (size_t)(req_bytes - l->buf);
	void *map;
	size_t maplen;
	char *g = guarded_copy(req_bytes, n, &map, &maplen);
	http_header h[MAXH];
	http_request req;
	sk_error e1 = { 0 }, e2 = { 0 };
	int got = outcome(parse_whole(g, n, &req, h, &e1), &e1);
	int got2 = outcome(parse_bytewise(g, n, &req, h, &e2), &e2);
	int ok = got == want && got2 == want;
	if (!ok) {
		char what[160];
		snprintf(what, sizeof(what), "line %d: want %d, got %d whole / %d bytewise (%s)", l->lineno, want, got,
			 got2, e1.rule ? e1.rule : "-");
		harness_fail(what, req_bytes, n);
	}
	if (got >= 400 && (!e1.rule || e1.offset > n)) {
		harness_fail("error without rule or with offset past input", req_bytes, n);
		ok = 0;
	}
	munmap(map, maplen);
	harness_count(ok);
}

static void test_data_file(void)
{
	CHECK(harness_each_line("http/requests.txt", one_case, NULL) > 50);
}

static void test_fields_and_slices(void)
{
	const char r[] = "POST /a/b?x=1&y=%27 HTTP/1.1\r\nHost: shop.example.jp\r\nContent-Type:  text/plain ; x \r\n"
			 "Content-Length: 5\r\nConnection: close\r\nExpect: 100-continue\r\n\r\nhello";
	http_header h[MAXH];
	http_request req;
	sk_error err;
	ssize_t n = parse_whole(r, sizeof(r) - 1, &req, h, &err);
	CHECK_INT(n, sizeof(r) - 1 - 5);
	CHECK_SLICE(req.method, "POST");
	CHECK_SLICE(req.target, "/a/b?x=1&y=%27");
	CHECK_SLICE(req.path, "/a/b");
	CHECK_SLICE(req.query, "x=1&y=%27");
	CHECK_SLICE(req.host, "shop.example.jp");
	CHECK_SLICE(req.content_type, "text/plain ; x");
	CHECK_INT(req.version, 11);
	CHECK(req.has_content_length);
	CHECK_INT(req.content_length, 5);
	CHECK(!req.keep_alive);
	CHECK(req.expect_continue);
	CHECK_INT(req.nheaders, 5);
	CHECK_SLICE(req.headers[1].name, "Content-Type");
}

static void test_absolute_form(void)
{
	const char r[] = "GET http://evil.example/x?q=1 HTTP/1.1\r\nHost: shop.example.jp\r\n\r\n";
	http_header h[MAXH];
	http_request req;
	sk_error err;
	CHECK(parse_whole(r, sizeof(r) - 1, &req, h, &err) > 0);
	CHECK_SLICE(req.authority, "evil.example");
	CHECK_SLICE(req.path, "/x");
	CHECK_SLICE(req.query, "q=1");
	CHECK(req.anomalies & HTTP_AN_HOST_MISMATCH);
}

static void test_anomalies(void)
{
	const char r[] = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings, X-Forwarded-For\r\n\r\n";
	http_header h[MAXH];
	http_request req;
	sk_error err;
	CHECK(parse_whole(r, sizeof(r) - 1, &req, h, &err) > 0);
	CHECK(req.anomalies & HTTP_AN_UPGRADE_H2C);
	CHECK(req.anomalies & HTTP_AN_HOP_BY_HOP_ABUSE);
	const char rr[] = "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-10,5-20\r\nContent-Encoding: gzip\r\n\r\n";
	CHECK(parse_whole(rr, sizeof(rr) - 1, &req, h, &err) > 0);
	CHECK(req.anomalies & HTTP_AN_MULTI_RANGE);
	CHECK(req.anomalies & HTTP_AN_BODY_ENCODED);
	const char ok_range[] = "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-99, 200-299\r\n\r\n";
	CHECK(parse_whole(ok_range, sizeof(ok_range) - 1, &req, h, &err) > 0);
	CHECK(!(req.anomalies & HTTP_AN_MULTI_RANGE));
	const char r10[] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
	CHECK(parse_whole(r10, sizeof(r10) - 1, &req, h, &err) > 0);
	CHECK(req.keep_alive);
}

/* A 1 MB header line must fail fast with 431, bytewise too, and never read past the input. */
static void test_huge_line(void)
{
	size_t n = 1024 * 1024;
	char *buf = malloc(n);
	if (!buf)
		abort();
	memcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ", 33);
	memset(buf + 33, 'A', n - 33);
	http_header h[MAXH];
	http_request req;
	sk_error err = { 0 };
	CHECK_INT(parse_whole(buf, n, &req, h, &err), SK_ERR);
	CHECK_INT(err.status, 431);
	/* 1 MB request line: 414 */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', n - 5);
	CHECK_INT(parse_whole(buf, n, &req, h, &err), SK_ERR);
	CHECK_INT(err.status, 414);
	free(buf);
}

static void test_too_many_headers(void)
{
	char buf[8192];
	size_t o = 0;
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 150; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "X-%d: v\r\n", i);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\r\n");
	http_header h[MAXH];
	http_request req;
	sk_error err = { 0 };
	CHECK_INT(parse_whole(buf, o, &req, h, &err), SK_ERR);
	CHECK_INT(err.status, 431);
}

static void test_head_size_limit(void)
{
	/* Many legal lines, each under the line limit, past the head limit. */
	size_t n = 40 * 1024;
	char *buf = malloc(n);
	if (!buf)
		abort();
	size_t o = (size_t)snprintf(buf, n, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; o + 1100 < n; i++) {
		o += (size_t)snprintf(buf + o, n - o, "X-%d: ", i);
		memset(buf + o, 'v', 1000);
		o += 1000;
		memcpy(buf + o, "\r\n", 2);
		o += 2;
	}
	http_header h[MAXH];
	http_request req;
	sk_error err = { 0 };
	CHECK_INT(parse_whole(buf, o, &req, h, &err), SK_ERR);
	CHECK_INT(err.status, 431);
	free(buf);
}

static void test_pipelined(void)
{
	const char r[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
	http_header h[MAXH];
	http_request req;
	sk_error err;
	ssize_t n = parse_whole(r, sizeof(r) - 1, &req, h, &err);
	CHECK_INT(n, 28);
	CHECK_SLICE(req.path, "/1");
	ssize_t n2 = parse_whole(r + n, sizeof(r) - 1 - (size_t)n, &req, h, &err);
	CHECK_INT(n2, 28);
	CHECK_SLICE(req.path, "/2");
}

int main(void)
{
	http_limits_default(&lim);
	RUN(test_data_file);
	RUN(test_fields_and_slices);
	RUN(test_absolute_form);
	RUN(test_anomalies);
	RUN(test_huge_line);
	RUN(test_too_many_headers);
	RUN(test_head_size_limit);
	RUN(test_pipelined);
	return harness_done("http_request");
}
