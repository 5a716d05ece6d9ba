/* request.c - strict, resumable HTTP/1.1 request-head parser.
 *
 * Every complete line is validated once: the state remembers the offset of
 * the first unvalidated byte, so feeding one byte at a time stays linear.
 * Framing headers (Content-Length, Transfer-Encoding, Host) are checked as
 * they are stored; rules that need the whole head run when the empty line
 * arrives.
 */
#include <string.h>

#include "head.h"
#include "sekisho/http.h"

/* RFC 9112 2.2: a server SHOULD ignore at least one empty line before the
 * request-line (old clients send CRLF after a POST body). A few, no more. */
#define MAX_LEADING_EMPTY_LINES 4

/* Bytes allowed in a request-target: visible ASCII except '#' (a fragment is
 * never sent, RFC 9112 3.2). Raw bytes >= 0x80, controls and spaces are not
 * allowed; browsers percent-encode them. */
static bool target_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

/* Host = uri-host [ ":" port ] (RFC 9110 7.2). uri-host is a reg-name, an
 * IPv4 address or an IP-literal in brackets. No userinfo, no spaces, no path. */
static bool host_valid(sk_slice h)
{
	if (h.len == 0)
		return false;
	size_t i = 0;
	if (h.p[0] == '[') {
		while (i < h.len && h.p[i] != ']') {
			unsigned char c = (unsigned char)h.p[i];
			if (i > 0 && !((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ||
				       c == ':' || c == '.'))
				return false;
			i++;
		}
		if (i == h.len)
			return false;
		i++;
	} else {
		while (i < h.len && h.p[i] != ':') {
			unsigned char c = (unsigned char)h.p[i];
			bool ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
				  c == '-' || c == '.' || c == '_' || c == '~' || c == '%' || c == '!' ||
				  c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
				  c == '+' || c == ',' || c == ';' || c == '=';
			if (!ok)
				return false;
			i++;
		}
		if (i == 0)
			return false;
	}
	if (i == h.len)
		return true;
	if (h.p[i] != ':')
		return false;
	i++;
	if (h.len - i > 5)
		return false;
	for (; i < h.len; i++)
		if (h.p[i] < '0' || h.p[i] > '9')
			return false;
	return true;
}

static int parse_version(const char *p, size_t n, int *version, size_t off, sk_error *err)
{
	if (n == 8 && memcmp(p, "HTTP/1.1", 8) == 0) {
		*version = 11;
		return SK_OK;
	}
	if (n == 8 && memcmp(p, "HTTP/1.0", 8) == 0) {
		*version = 10;
		return SK_OK;
	}
	if (n == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' &&
	    p[7] <= '9')
		return sk_fail(err, "HTTP version not supported", off, 505);
	return sk_fail(err, "malformed HTTP version", off, 400);
}

/* Split an absolute-form target into authority, path and query. */
static int parse_absolute_form(http_request *req, size_t off, sk_error *err)
{
	sk_slice t = req->target;
	size_t i = sk_slice_prefix_ci(t, SK_LIT("http://")) ? 7 : 8;
	size_t a = i;
	while (i < t.len && t.p[i] != '/' && t.p[i] != '?')
		i++;
	req->authority = sk_slice_make(t.p + a, i - a);
	if (req->authority.len == 0 || !host_valid(req->authority))
		return sk_fail(err, "invalid authority in absolute-form target", off + a, 400);
	req->form = HTTP_FORM_ABSOLUTE;
	req->anomalies |= HTTP_AN_ABSOLUTE_FORM;
	if (i == t.len) {
		req->path = SK_LIT("/");
		return SK_OK;
	}
	if (t.p[i] == '?') {
		req->path = SK_LIT("/");
		req->query = sk_slice_make(t.p + i + 1, t.len - i - 1);
		return SK_OK;
	}
	sk_slice rest = sk_slice_make(t.p + i, t.len - i);
	const char *q = memchr(rest.p, '?', rest.len);
	if (q) {
		req->path = sk_slice_make(rest.p, (size_t)(q - rest.p));
		req->query = sk_slice_make(q + 1, rest.len - req->path.len - 1);
	} else {
		req->path = rest;
	}
	return SK_OK;
}

static int parse_request_line(http_request *req, const char *buf, size_t pos, size_t n, sk_error *err)
{
	const unsigned char *p = (const unsigned char *)buf + pos;
	size_t i = 0;
	while (i < n && http_is_tchar(p[i]))
		i++;
	if (i == 0)
		return sk_fail(err, "missing or invalid method", pos, 400);
	if (i == n || p[i] != ' ')
		return sk_fail(err, "invalid character in method", pos + i, 400);
	req->method = sk_slice_make(buf + pos, i);
	size_t t = ++i;
	while (i < n && p[i] != ' ') {
		if (!target_char_ok(p[i]))
			return sk_fail(err, p[i] == '#' ? "fragment in request-target" :
						       "invalid character in request-target", pos + i, 400);
		i++;
	}
	if (i == t)
		return sk_fail(err, "empty request-target or extra space", pos + i, 400);
	if (i == n)
		return sk_fail(err, "missing HTTP version", pos + i, 400);
	req->target = sk_slice_make(buf + pos + t, i - t);
	if (i + 1 < n && p[i + 1] == ' ')
		return sk_fail(err, "extra space in request line", pos + i + 1, 400);
	int rc = parse_version(buf + pos + i + 1, n - i - 1, &req->version, pos + i + 1, err);
	if (rc != SK_OK)
		return rc;

	sk_slice tg = req->target;
	if (tg.p[0] == '/') {
		req->form = HTTP_FORM_ORIGIN;
		const char *q = memchr(tg.p, '?', tg.len);
		if (q) {
			req->path = sk_slice_make(tg.p, (size_t)(q - tg.p));
			req->query = sk_slice_make(q + 1, tg.len - req->path.len - 1);
		} else {
			req->path = tg;
		}
		return SK_OK;
	}
	if (tg.len == 1 && tg.p[0] == '*') {
		if (!sk_slice_eq(req->method, SK_LIT("OPTIONS")))
			return sk_fail(err, "asterisk-form target is only for OPTIONS", pos + t, 400);
		req->form = HTTP_FORM_ASTERISK;
		req->path = tg;
		return SK_OK;
	}
	if (sk_slice_prefix_ci(tg, SK_LIT("http://")) || sk_slice_prefix_ci(tg, SK_LIT("https://")))
		return parse_absolute_form(req, pos + t, err);
	if (sk_slice_eq(req->method, SK_LIT("CONNECT"))) {
		if (!host_valid(tg))
			return sk_fail(err, "invalid authority-form target", pos + t, 400);
		req->form = HTTP_FORM_AUTHORITY;
		req->authority = tg;
		return SK_OK;
	}
	return sk_fail(err, "request-target must start with '/'", pos + t, 400);
}

/* Many ranges, or overlapping ones, make a server send a resource many
 * times over (CVE-2011-3192 style amplification). Browsers and download
 * managers ask for one range, a few at most. */
#define RANGE_MAX_PARTS 8

static bool range_is_abusive(sk_slice v)
{
	size_t parts = 1;
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] == ',')
			parts++;
	if (parts > RANGE_MAX_PARTS)
		return true;
	if (parts == 1)
		return false;
	/* A few ranges: refuse overlapping ones ("0-,5-0"). Parse starts/ends. */
	const char *eq = memchr(v.p, '=', v.len);
	if (!eq)
		return false;
	unsigned long long lo[RANGE_MAX_PARTS], hi[RANGE_MAX_PARTS];
	size_t n = 0, i = (size_t)(eq - v.p) + 1;
	while (i < v.len && n < RANGE_MAX_PARTS) {
		size_t j = i;
		while (j < v.len && v.p[j] != ',')
			j++;
		sk_slice r = sk_slice_trim_ows(sk_slice_make(v.p + i, j - i));
		const char *dash = memchr(r.p, '-', r.len);
		if (!dash)
			return true;
		sk_slice a = sk_slice_make(r.p, (size_t)(dash - r.p));
		sk_slice b = sk_slice_make(dash + 1, r.len - a.len - 1);
		if (a.len == 0) { /* suffix range: last N bytes */
			lo[n] = ~0ull;
			hi[n] = ~0ull;
		} else {
			if (!sk_slice_to_u64(a, ~0ull, &lo[n]))
				return true;
			hi[n] = ~0ull;
			if (b.len && !sk_slice_to_u64(b, ~0ull, &hi[n]))
				return true;
			if (hi[n] < lo[n])
				return true;
		}
		for (size_t k = 0; k < n; k++)
			if (lo[n] != ~0ull && lo[k] != ~0ull && lo[n] <= hi[k] && lo[k] <= hi[n])
				return true;
		n++;
		i = j + 1;
	}
	return false;
}

/* Apply what one header means for framing and connection handling. */
static int note_header(http_request *req, const http_header *h, size_t off, sk_error *err)
{
	sk_slice n = h->name;
	switch (n.len) {
	case 4:
		if (sk_slice_eq_ci(n, SK_LIT("Host"))) {
			if (req->host.p)
				return sk_fail(err, "duplicate Host header", off, 400);
			if (!host_valid(h->value))
				return sk_fail(err, "invalid Host header", off, 400);
			req->host = h->value;
		}
		break;
	case 6:
		if (sk_slice_eq_ci(n, SK_LIT("Expect"))) {
			if (sk_slice_eq_ci(h->value, SK_LIT("100-continue")))
				req->expect_continue = true;
			else
				req->anomalies |= HTTP_AN_EXPECT_OTHER;
		}
		break;
	case 7:
		if (sk_slice_eq_ci(n, SK_LIT("Upgrade"))) {
			req->upgrade = h->value;
			if (head_list_has(h->value, SK_LIT("h2c")))
				req->anomalies |= HTTP_AN_UPGRADE_H2C;
		}
		break;
	case 10:
		if (sk_slice_eq_ci(n, SK_LIT("Connection"))) {
			if (head_list_has(h->value, SK_LIT("close")))
				req->keep_alive = false;
			else if (req->version == 10 && head_list_has(h->value, SK_LIT("keep-alive"))) {
				req->keep_alive = true;
				req->anomalies |= HTTP_AN_HTTP10_KEEPALIVE;
			}
			/* Naming end-to-end headers as hop-by-hop asks the next hop to
			 * strip them (e.g. X-Forwarded-For, to hide the client). One
			 * pass over the list, each item against the names. */
			static const sk_slice e2e[] = { SK_LIT("content-length"), SK_LIT("host"),
							SK_LIT("authorization"), SK_LIT("cookie"),
							SK_LIT("x-forwarded-for"), SK_LIT("x-real-ip"),
							SK_LIT("transfer-encoding") };
			sk_slice v = h->value;
			for (size_t i = 0; i < v.len;) {
				size_t j = i;
				while (j < v.len && v.p[j] != ',')
					j++;
				sk_slice item = sk_slice_trim_ows(sk_slice_make(v.p + i, j - i));
				for (size_t k = 0; k < sizeof(e2e) / sizeof(e2e[0]); k++)
					if (sk_slice_eq_ci(item, e2e[k]))
						req->anomalies |= HTTP_AN_HOP_BY_HOP_ABUSE;
				i = j + 1;
			}
		}
		break;
	case 5:
		if (sk_slice_eq_ci(n, SK_LIT("Range")) && range_is_abusive(h->value))
			req->anomalies |= HTTP_AN_MULTI_RANGE;
		break;
	case 12:
		if (sk_slice_eq_ci(n, SK_LIT("Content-Type")))
			req->content_type = h->value;
		break;
	case 16:
		if (sk_slice_eq_ci(n, SK_LIT("Content-Encoding")) && !sk_slice_eq_ci(h->value, SK_LIT("identity")))
			req->anomalies |= HTTP_AN_BODY_ENCODED;
		break;
	case 14:
		if (sk_slice_eq_ci(n, SK_LIT("Content-Length"))) {
			if (req->has_content_length)
				return sk_fail(err, "duplicate Content-Length", off, 400);
			int rc = head_content_length(h->value, &req->content_length, off, err);
			if (rc != SK_OK)
				return rc;
			req->has_content_length = true;
		}
		break;
	case 17:
		if (sk_slice_eq_ci(n, SK_LIT("Transfer-Encoding"))) {
			if (req->chunked)
				return sk_fail(err, "duplicate Transfer-Encoding", off, 400);
			if (req->version == 10)
				return sk_fail(err, "Transfer-Encoding in an HTTP/1.0 request", off, 400);
			int rc = head_transfer_encoding(h->value, off, err);
			if (rc != SK_OK)
				return rc;
			req->chunked = true;
		}
		break;
	default:
		break;
	}
	return SK_OK;
}

/* Rules that need the whole head. */
static int finish_head(http_request *req, size_t end, sk_error *err)
{
	if (req->chunked && req->has_content_length)
		return sk_fail(err, "Content-Length together with Transfer-Encoding", end, 400);
	if (req->version == 11 && !req->host.p)
		return sk_fail(err, "missing Host header", end, 400);
	if (req->form == HTTP_FORM_ABSOLUTE && req->host.p && !sk_slice_eq_ci(req->host, req->authority))
		req->anomalies |= HTTP_AN_HOST_MISMATCH;
	return SK_OK;
}

ssize_t http_parse_request(http_req_parser *st, const char *buf, size_t len, http_request *req,
			   http_header *hdrs, size_t max_hdrs, const http_limits *lim, sk_error *err)
{
	if (st->pos == 0 && st->phase == 0) {
		memset(req, 0, sizeof(*req));
		st->nheaders = 0;
	}
	req->headers = hdrs;
	size_t cap = max_hdrs < lim->max_headers ? max_hdrs : lim->max_headers;

	while (st->pos < len) {
		size_t n;
		if (st->pos > lim->max_head)
			return sk_fail(err, "request head too large", st->pos, 431);
		if (st->phase == 0) {
			/* Skip a few leading empty lines; then the request line. */
			int rc = head_next_line(buf, len, st->pos, lim->max_request_line, 414,
						"request line too long", &n, err);
			if (rc == SK_AGAIN && len > lim->max_head)
				return sk_fail(err, "request head too large", st->pos, 431);
			if (rc != SK_OK)
				return rc;
			if (n == 0) {
				if (st->pos >= 2 * MAX_LEADING_EMPTY_LINES)
					return sk_fail(err, "too many empty lines before the request", st->pos, 400);
				st->pos += 2;
				continue;
			}
			rc = parse_request_line(req, buf, st->pos, n, err);
			if (rc != SK_OK)
				return rc;
			req->keep_alive = req->version == 11;
			st->pos += n + 2;
			st->phase = 1;
			continue;
		}
		int rc = head_next_line(buf, len, st->pos, lim->max_header_line, 431, "header line too long", &n,
					err);
		if (rc == SK_AGAIN && len > lim->max_head)
			return sk_fail(err, "request head too large", st->pos, 431);
		if (rc != SK_OK)
			return rc;
		if (n == 0) {
			size_t end = st->pos + 2;
			if (end > lim->max_head)
				return sk_fail(err, "request head too large", st->pos, 431);
			req->nheaders = st->nheaders;
			rc = finish_head(req, st->pos, err);
			if (rc != SK_OK)
				return rc;
			req->head_len = end;
			return (ssize_t)end;
		}
		if (st->nheaders == cap)
			return sk_fail(err, "too many header fields", st->pos, 431);
		http_header *h = &hdrs[st->nheaders];
		rc = head_parse_field(buf, st->pos, n, h, err);
		if (rc != SK_OK)
			return rc;
		rc = note_header(req, h, st->pos, err);
		if (rc != SK_OK)
			return rc;
		st->nheaders++;
		req->nheaders = st->nheaders;
		st->pos += n + 2;
	}
	if (st->pos > lim->max_head)
		return sk_fail(err, "request head too large", st->pos, 431);
	return SK_AGAIN;
}

const http_header *http_find_header(const http_header *hdrs, size_t n, sk_slice name)
{
	for (size_t i = 0; i < n; i++)
		if (sk_slice_eq_ci(hdrs[i].name, name))
			return &hdrs[i];
	return NULL;
}
