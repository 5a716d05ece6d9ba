/* corpus.c - read request records in the shared corpus schema (JSON lines:
 * id, category, expect, method, path, headers, body, body_encoding, spot,
 * raw) and turn each into the bytes of a raw HTTP request. Uses the
 * project's own streaming JSON parser. */
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/arena.h"
#include "sekisho/json.h"

#define CORPUS_MAX_REQUEST (16u * 1024 * 1024)

struct collect {
	corpus_record *r;
	sk_buf *req_headers; /* "Name: value\r\n" lines in order */
};

static void copy_field(char *dst, size_t cap, sk_slice v)
{
	size_t n = v.len < cap - 1 ? v.len : cap - 1;
	memcpy(dst, v.p, n);
	dst[n] = '\0';
}

static int collect_leaf(void *ctx, const target *t)
{
	struct collect *c = ctx;
	corpus_record *r = c->r;
	if (t->loc != LOC_JSON)
		return 0;
	sk_slice n = t->name;
	if (sk_slice_eq(n, SK_LIT("id")))
		copy_field(r->id, sizeof(r->id), t->value);
	else if (sk_slice_eq(n, SK_LIT("category")))
		copy_field(r->category, sizeof(r->category), t->value);
	else if (sk_slice_eq(n, SK_LIT("expect")))
		r->expect_block = sk_slice_eq(t->value, SK_LIT("block"));
	else if (sk_slice_eq(n, SK_LIT("spot")))
		copy_field(r->spot, sizeof(r->spot), t->value);
	else if (sk_slice_eq(n, SK_LIT("method")))
		r->method = t->value;
	else if (sk_slice_eq(n, SK_LIT("path")))
		r->path = t->value;
	else if (sk_slice_eq(n, SK_LIT("body")) && t->raw.len && t->raw.p[0] == '"')
		r->body = t->value;
	else if (sk_slice_eq(n, SK_LIT("body_encoding")))
		r->body_base64 = sk_slice_eq(t->value, SK_LIT("base64"));
	else if (sk_slice_eq(n, SK_LIT("raw")))
		r->raw = t->value;
	else if (sk_slice_prefix_ci(n, SK_LIT("headers."))) {
		buf_append(c->req_headers, n.p + 8, n.len - 8);
		buf_append(c->req_headers, ": ", 2);
		buf_append(c->req_headers, t->value.p, t->value.len);
		buf_append(c->req_headers, "\r\n", 2);
	}
	return 0;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Standard Base64 with padding, as the corpus tools write it (binary
 * upload bodies). */
static bool base64_bytes(sk_slice in, sk_buf *out)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (c == '=')
			break;
		int v = b64val(c);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			char b = (char)((acc >> bits) & 0xff);
			if (!buf_append(out, &b, 1))
				return false;
		}
	}
	return true;
}

/* The `raw` field holds one code point per byte (latin-1): map back. */
static bool latin1_bytes(sk_slice in, sk_buf *out)
{
	const unsigned char *p = (const unsigned char *)in.p;
	for (size_t i = 0; i < in.len; i++) {
		char b;
		if (p[i] < 0x80) {
			b = (char)p[i];
		} else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < in.len) {
			b = (char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3f));
			i++;
		} else {
			return false;
		}
		if (!buf_append(out, &b, 1))
			return false;
	}
	return true;
}

int corpus_parse_line(const char *line, size_t len, arena *a, corpus_record *r, sk_buf *request, char *errbuf,
		      size_t errlen)
{
	memset(r, 0, sizeof(*r));
	buf_reset(request);
	sk_buf hdrs;
	buf_init(&hdrs, CORPUS_MAX_REQUEST);
	struct collect c = { r, &hdrs };
	http_limits lim;
	http_limits_default(&lim);
	lim.max_body_inspect = CORPUS_MAX_REQUEST;
	json_state *st = arena_calloc(a, 1, sizeof(*st));
	sk_error err = { 0 };
	int rc = -1;
	if (!st) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	json_init(st, a, &lim, collect_leaf, &c);
	if (json_feed(st, line, len, &err) != SK_OK || json_finish(st, &err) != SK_OK) {
		snprintf(errbuf, errlen, "invalid JSON at byte %zu: %s", err.offset, err.rule);
		goto out;
	}
	if (r->raw.p) {
		if (!latin1_bytes(r->raw, request)) {
			snprintf(errbuf, errlen, "record %s: raw field has code points above 0xFF", r->id);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!r->method.p || !r->path.p) {
		snprintf(errbuf, errlen, "record %s: no method or path", r->id[0] ? r->id : "?");
		goto out;
	}
	buf_append(request, r->method.p, r->method.len);
	buf_append(request, " ", 1);
	buf_append(request, r->path.p, r->path.len);
	buf_puts(request, " HTTP/1.1\r\n");
	if (hdrs.len)
		buf_append(request, hdrs.p, hdrs.len);
	buf_puts(request, "\r\n");
	if (r->body.p) {
		if (r->body_base64 ? !base64_bytes(r->body, request) : !buf_append(request, r->body.p, r->body.len)) {
			snprintf(errbuf, errlen, "record %s: bad body", r->id);
			goto out;
		}
	}
	if (request->overflow) {
		snprintf(errbuf, errlen, "record %s: request too large", r->id);
		goto out;
	}
	rc = 0;
out:
	buf_free(&hdrs);
	return rc;
}
