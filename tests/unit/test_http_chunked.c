/* test_http_chunked.c - the chunked decoder and the response-head parser. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/http.h"

static http_limits lim;

struct run {
	char data[4096];
	size_t dlen;
	size_t consumed;
	int status; /* 1 ok, 2 again, else HTTP status */
};

/* Decode `in` handed over in pieces of `step` bytes. */
static void decode(const char *in, size_t n, size_t step, struct run *r)
{
	chunked_state st = { 0 };
	sk_error err = { 0 };
	r->dlen = 0;
	r->consumed = 0;
	r->status = 2;
	size_t fed = 0;
	while (fed < n && !chunked_done(&st)) {
		size_t piece = n - fed < step ? n - fed : step;
		size_t off = 0;
		while (off < piece && !chunked_done(&st)) {
			sk_slice d;
			ssize_t c = chunked_parse(&st, in + fed + off, piece - off, &d, &lim, &err);
			if (c < 0) {
				r->status = err.status;
				return;
			}
			if (d.len && r->dlen + d.len <= sizeof(r->data)) {
				memcpy(r->data + r->dlen, d.p, d.len);
				r->dlen += d.len;
			}
			if (c == 0)
				break;
			off += (size_t)c;
		}
		fed += off;
		if (off < piece && !chunked_done(&st))
			break;
	}
	r->consumed = fed;
	if (chunked_done(&st))
		r->status = 1;
}

static void one_case(const harness_line *l, void *ctx)
{
	(void)ctx;
	char *f[4] = { l->buf, NULL, NULL, NULL };
	size_t flen[4];
	int nf = 1;
	char *p = l->buf, *end = l->buf + l->len;
	while (nf < 4 && (p = memchr(p, '\t', (size_t)(end - p)))) {
		*p++ = '\0';
		f[nf++] = p;
	}
	for (int i = 0; i < nf; i++)
		flen[i] = (size_t)((i + 1 < nf ? f[i + 1] - 1 : end) - f[i]);
	int want = strcmp(f[0], "ok") == 0 ? 1 : strcmp(f[0], "again") == 0 ? 2 : (int)strtol(f[0], NULL, 10);
	int ok = 1;
	for (size_t step = 1; step <= flen[1] + 1; step = step < 4 ? step + 1 : step * 3) {
		struct run r;
		decode(f[1], flen[1], step, &r);
		if (r.status != want)
			ok = 0;
		if (want <= 2 && nf > 2 && (r.dlen != flen[2] || memcmp(r.data, f[2], r.dlen) != 0))
			ok = 0;
		if (want == 1 && flen[1] - r.consumed != (nf > 3 ? flen[3] : 0))
			ok = 0;
		if (!ok) {
			char what[128];
			snprintf(what, sizeof(what), "line %d step %zu: status %d want %d, %zu data bytes", l->lineno,
				 step, r.status, want, r.dlen);
			harness_fail(what, f[1], flen[1]);
			break;
		}
	}
	harness_count(ok);
}

static void test_data_file(void)
{
	CHECK(harness_each_line("http/chunked.txt", one_case, NULL) > 20);
}

static void test_truncated_is_again_not_done(void)
{
	const char body[] = "100\r\nabc";
	chunked_state st = { 0 };
	sk_slice d;
	sk_error err;
	/* The size line and the first data span come back from one call. */
	ssize_t c = chunked_parse(&st, body, sizeof(body) - 1, &d, &lim, &err);
	CHECK_INT(c, 8);
	CHECK_INT(d.len, 3);
	CHECK_SLICE(d, "abc");
	CHECK(!chunked_done(&st));
	CHECK_INT(st.remaining, 0x100 - 3);
}

static void test_long_extension(void)
{
	char body[1024];
	memcpy(body, "5;", 2);
	memset(body + 2, 'x', 900);
	chunked_state st = { 0 };
	sk_slice d;
	sk_error err = { 0 };
	CHECK_INT(chunked_parse(&st, body, 902, &d, &lim, &err), SK_ERR);
	CHECK_INT(err.status, 400);
}

static void test_response(void)
{
	const char r[] = "HTTP/1.1 302 Found\r\nLocation: /login?err=1\r\nSet-Cookie: s=1; HttpOnly\r\n"
			 "Content-Length: 0\r\n\r\n";
	http_header h[32];
	http_response resp;
	http_req_parser st = { 0 };
	sk_error err;
	ssize_t n = http_parse_response(&st, r, sizeof(r) - 1, &resp, h, 32, &lim, &err);
	CHECK_INT(n, sizeof(r) - 1);
	CHECK_INT(resp.status, 302);
	CHECK_SLICE(resp.reason, "Found");
	CHECK_INT(resp.nheaders, 3);
	CHECK(resp.has_content_length);
	CHECK(resp.keep_alive);

	const char c[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 10\r\n\r\n";
	http_req_parser st2 = { 0 };
	CHECK(http_parse_response(&st2, c, sizeof(c) - 1, &resp, h, 32, &lim, &err) > 0);
	CHECK(resp.chunked);
	CHECK(!resp.has_content_length);

	const char bad[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
	http_req_parser st3 = { 0 };
	CHECK_INT(http_parse_response(&st3, bad, sizeof(bad) - 1, &resp, h, 32, &lim, &err), SK_ERR);
	CHECK_INT(err.status, 502);

	const char junk[] = "HTTP/1.1 2OO OK\r\n\r\n";
	http_req_parser st4 = { 0 };
	CHECK_INT(http_parse_response(&st4, junk, sizeof(junk) - 1, &resp, h, 32, &lim, &err), SK_ERR);

	/* Byte at a time gives the same head. */
	http_req_parser st5 = { 0 };
	ssize_t got = SK_AGAIN;
	for (size_t i = 1; i <= sizeof(r) - 1 && got == SK_AGAIN; i++)
		got = http_parse_response(&st5, r, i, &resp, h, 32, &lim, &err);
	CHECK_INT(got, sizeof(r) - 1);
	CHECK_INT(resp.nheaders, 3);
}

int main(void)
{
	http_limits_default(&lim);
	RUN(test_data_file);
	RUN(test_truncated_is_again_not_done);
	RUN(test_long_extension);
	RUN(test_response);
	return harness_done("http_chunked");
}
