/* response.c - response-head parser for what the upstream sends back.
 *
 * Same resumable contract and line rules as the request parser. The framing
 * rules matter here too: a response whose length two parsers read
 * differently would desynchronise a pooled upstream connection.
 */
#include <string.h>

#include "head.h"
#include "sekisho/http.h"

static int parse_status_line(http_response *r, const char *buf, size_t pos, size_t n, sk_error *err)
{
	const char *p = buf + pos;
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return sk_fail(err, "malformed status line", pos, 502);
	r->version = p[7] == '1' ? 11 : 10;
	if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return sk_fail(err, "malformed status code", pos + 9, 502);
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (n == 12) {
		r->reason = sk_slice_make(p + 12, 0);
		return SK_OK;
	}
	if (p[12] != ' ')
		return sk_fail(err, "malformed status line", pos + 12, 502);
	for (size_t i = 13; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return sk_fail(err, "control character in reason phrase", pos + i, 502);
	}
	r->reason = sk_slice_make(p + 13, n - 13);
	return SK_OK;
}

static int note_header(http_response *r, const http_header *h, size_t off, bool *seen_te, sk_error *err)
{
	if (sk_slice_eq_ci(h->name, SK_LIT("Content-Length"))) {
		uint64_t v;
		int rc = head_content_length(h->value, &v, off, err);
		if (rc != SK_OK)
			return rc;
		/* Identical duplicates are tolerated from upstreams (RFC 9110 8.6). */
		if (r->has_content_length && v != r->content_length)
			return sk_fail(err, "conflicting Content-Length in response", off, 502);
		r->has_content_length = true;
		r->content_length = v;
	} else if (sk_slice_eq_ci(h->name, SK_LIT("Transfer-Encoding"))) {
		if (*seen_te)
			return sk_fail(err, "duplicate Transfer-Encoding in response", off, 502);
		*seen_te = true;
		/* Upstreams may legally layer codings; the last one must be chunked
		 * for us to frame the body, otherwise it is read until close. */
		sk_slice v = h->value;
		size_t last = v.len;
		while (last > 0 && v.p[last - 1] != ',')
			last--;
		r->chunked = sk_slice_eq_ci(sk_slice_trim_ows(sk_slice_make(v.p + last, v.len - last)),
					    SK_LIT("chunked"));
		if (!r->chunked)
			r->keep_alive = false;
	} else if (sk_slice_eq_ci(h->name, SK_LIT("Connection"))) {
		if (head_list_has(h->value, SK_LIT("close")))
			r->keep_alive = false;
		else if (r->version == 10 && head_list_has(h->value, SK_LIT("keep-alive")))
			r->keep_alive = true;
	}
	return SK_OK;
}

ssize_t http_parse_response(http_req_parser *st, const char *buf, size_t len, http_response *r,
			    http_header *hdrs, size_t max_hdrs, const http_limits *lim, sk_error *err)
{
	if (st->pos == 0 && st->phase == 0) {
		memset(r, 0, sizeof(*r));
		st->nheaders = 0;
	}
	r->headers = hdrs;
	size_t cap = max_hdrs < lim->max_headers ? max_hdrs : lim->max_headers;
	bool seen_te = r->chunked || (st->phase == 1 && http_find_header(hdrs, st->nheaders,
									  SK_LIT("Transfer-Encoding")));
	while (st->pos < len) {
		size_t n;
		int rc = head_next_line(buf, len, st->pos, lim->max_header_line, 502, "response line too long", &n,
					err);
		if (rc == SK_AGAIN && len > lim->max_head)
			return sk_fail(err, "response head too large", st->pos, 502);
		if (rc != SK_OK) {
			if (rc == SK_ERR)
				err->status = 502;
			return rc;
		}
		if (st->phase == 0) {
			rc = parse_status_line(r, buf, st->pos, n, err);
			if (rc != SK_OK)
				return rc;
			r->keep_alive = r->version == 11;
			st->phase = 1;
			st->pos += n + 2;
			continue;
		}
		if (n == 0) {
			if (r->chunked && r->has_content_length)
				r->has_content_length = false; /* RFC 9112 6.3: TE overrides CL */
			r->nheaders = st->nheaders;
			r->head_len = st->pos + 2;
			return (ssize_t)r->head_len;
		}
		if (st->nheaders == cap)
			return sk_fail(err, "too many header fields in response", st->pos, 502);
		http_header *h = &hdrs[st->nheaders];
		rc = head_parse_field(buf, st->pos, n, h, err);
		if (rc != SK_OK) {
			err->status = 502;
			return rc;
		}
		rc = note_header(r, h, st->pos, &seen_te, err);
		if (rc != SK_OK)
			return rc;
		st->nheaders++;
		r->nheaders = st->nheaders;
		st->pos += n + 2;
		if (st->pos > lim->max_head)
			return sk_fail(err, "response head too large", st->pos, 502);
	}
	return SK_AGAIN;
}
