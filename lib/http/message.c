/* message.c - read a whole request (head and body) from one buffer. */
#include <string.h>

#include "sekisho/arena.h"
#include "sekisho/http.h"

static int read_chunked(const char *buf, size_t len, arena *a, const http_limits *lim, sk_slice *body,
			bool *truncated, size_t *consumed, sk_error *err)
{
	/* The de-chunked body is never longer than the chunked one. */
	size_t cap = len < lim->max_body_inspect ? len : lim->max_body_inspect;
	char *out = arena_alloc(a, cap + 1);
	if (!out)
		return sk_fail(err, "out of memory for the request body", 0, 413);
	chunked_state st = { 0 };
	size_t pos = 0, olen = 0;
	while (pos < len && !chunked_done(&st)) {
		sk_slice d;
		ssize_t c = chunked_parse(&st, buf + pos, len - pos, &d, lim, err);
		if (c < 0) {
			err->offset += pos;
			return SK_ERR;
		}
		size_t take = d.len;
		if (take > cap - olen) {
			take = cap - olen;
			*truncated = true;
		}
		memcpy(out + olen, d.p, take);
		olen += take;
		pos += (size_t)c;
		if (c == 0)
			break;
	}
	if (!chunked_done(&st))
		return sk_fail(err, "chunked body ends before its last chunk", pos, 400);
	*body = sk_slice_make(out, olen);
	*consumed = pos;
	return SK_OK;
}

int http_read_request(const char *buf, size_t len, http_request *req, http_header *hdrs, size_t max_hdrs,
		      struct arena *a, const http_limits *lim, sk_slice *body, bool *truncated, size_t *consumed,
		      sk_error *err)
{
	http_req_parser st = { 0 };
	*truncated = false;
	*body = sk_slice_make(buf, 0);
	ssize_t n = http_parse_request(&st, buf, len, req, hdrs, max_hdrs, lim, err);
	if (n == SK_AGAIN)
		return sk_fail(err, "request head is incomplete (no empty line after the headers)", len, 400);
	if (n < 0)
		return SK_ERR;
	size_t head = (size_t)n;
	if (req->chunked) {
		size_t used;
		int rc = read_chunked(buf + head, len - head, a, lim, body, truncated, &used, err);
		if (rc != SK_OK) {
			err->offset += head;
			return rc;
		}
		*consumed = head + used;
		return SK_OK;
	}
	uint64_t cl = req->has_content_length ? req->content_length : 0;
	if (cl > len - head)
		return sk_fail(err, "body shorter than Content-Length", len, 400);
	size_t blen = (size_t)cl;
	*consumed = head + blen;
	if (blen > lim->max_body_inspect) {
		blen = lim->max_body_inspect;
		*truncated = true;
	}
	*body = sk_slice_make(buf + head, blen);
	return SK_OK;
}
