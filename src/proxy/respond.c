/* respond.c - what the proxy writes itself: its own responses (block page,
 * errors), the request it sends upstream, and the response head it relays. */
#include <stdio.h>
#include <string.h>

#include "proxy.h"

/* Hop-by-hop fields (RFC 9110 7.6.1) and the ones we set ourselves: never
 * copied from one side to the other. */
static bool hop_by_hop(sk_slice name)
{
	static const sk_slice hop[] = {
		SK_LIT("Connection"), SK_LIT("Keep-Alive"), SK_LIT("Proxy-Connection"), SK_LIT("TE"),
		SK_LIT("Trailer"),    SK_LIT("Transfer-Encoding"), SK_LIT("Upgrade"), SK_LIT("Proxy-Authorization"),
		SK_LIT("Proxy-Authenticate"),
	};
	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (sk_slice_eq_ci(name, hop[i]))
			return true;
	return false;
}

/* Headers named in a Connection header are hop-by-hop too. */
static bool named_in_connection(const http_header *hdrs, size_t n, sk_slice name)
{
	for (size_t i = 0; i < n; i++) {
		if (!sk_slice_eq_ci(hdrs[i].name, SK_LIT("Connection")))
			continue;
		sk_slice v = hdrs[i].value;
		size_t p = 0;
		while (p < v.len) {
			size_t q = p;
			while (q < v.len && v.p[q] != ',')
				q++;
			if (sk_slice_eq_ci(sk_slice_trim_ows(sk_slice_make(v.p + p, q - p)), name))
				return true;
			p = q + 1;
		}
	}
	return false;
}

static const char *reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Content";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* HTML-escape into o (the reason strings are ours, but be safe). */
static void html_escape(sk_buf *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_puts(o, "&lt;"); break;
		case '>': buf_puts(o, "&gt;"); break;
		case '&': buf_puts(o, "&amp;"); break;
		case '"': buf_puts(o, "&quot;"); break;
		case '\'': buf_puts(o, "&#39;"); break;
		default: buf_append(o, s, 1); break;
		}
	}
}

/* extra: further header lines, each ending in CRLF, written by us (never
 * client bytes); "" for none. */
static void write_response(conn *c, int status, const char *extra, const char *body, size_t blen, bool close_after)
{
	respond_body(c, status, "text/html; charset=utf-8", extra, body, blen, close_after);
}

void respond_body(conn *c, int status, const char *content_type, const char *extra, const char *body, size_t blen,
		  bool close_after)
{
	c->close_after = c->close_after || close_after;
	buf_reset(&c->out);
	c->out_sent = 0;
	buf_printf(&c->out,
		   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Request-Id: %s\r\n%s%s\r\n",
		   status, reason_of(status), content_type, blen, c->request_id, extra,
		   c->close_after ? "Connection: close\r\n" : "");
	buf_append(&c->out, body, blen);
	c->state = CS_RESPOND;
	/* A client that does not read our answer is cut like a slow body. */
	conn_deadline(c, c->sh->set.body_timeout_ms);
	ev_mod(c->w->loop, c->fd, EV_WRITE);
}

void respond_simple(conn *c, int status, const char *reason, const char *detail, bool close_after)
{
	respond_page(c, status, reason, detail, "", close_after);
}

void respond_page(conn *c, int status, const char *reason, const char *detail, const char *extra_headers,
		  bool close_after)
{
	sk_buf b;
	buf_init(&b, 4096);
	buf_printf(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%d %s</title></head><body>"
		       "<h1>%d %s</h1><p>", status, reason, status, reason);
	html_escape(&b, detail ? detail : "");
	buf_puts(&b, "</p><p>request id: ");
	html_escape(&b, c->request_id);
	buf_puts(&b, "</p></body></html>\n");
	write_response(c, status, extra_headers, b.p ? b.p : "", b.len, close_after);
	buf_free(&b);
}

void respond_redirect_https(conn *c)
{
	/* Host was validated by the parser (no spaces, no CR/LF). */
	sk_slice host = c->req.host.len ? c->req.host : SK_LIT("localhost");
	const char *colon = memchr(host.p, ':', host.len);
	if (colon && host.p[0] != '[')
		host.len = (size_t)(colon - host.p); /* drop the plain port */
	c->close_after = true;
	buf_reset(&c->out);
	c->out_sent = 0;
	buf_printf(&c->out, "HTTP/1.1 301 Moved Permanently\r\nLocation: https://%.*s%.*s\r\nContent-Length: 0\r\n"
			   "X-Request-Id: %s\r\nConnection: close\r\n\r\n",
		   (int)host.len, host.p, (int)c->req.target.len, c->req.target.p, c->request_id);
	c->status = 301;
	c->state = CS_RESPOND;
	conn_deadline(c, c->sh->set.body_timeout_ms);
	ev_mod(c->w->loop, c->fd, EV_WRITE);
}

void respond_block(conn *c)
{
	static const char page_head[] =
		"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>Request blocked</title>"
		"</head><body><h1>アクセスが拒否されました / Request blocked</h1>"
		"<p>このリクエストはセキュリティ上の理由でブロックされました。"
		"This request was blocked for security reasons.</p><p>request id: ";
	sk_buf b;
	buf_init(&b, 4096);
	buf_puts(&b, page_head);
	html_escape(&b, c->request_id);
	buf_puts(&b, "</p></body></html>\n");
	/* The body was read in full, so the connection can stay open. */
	write_response(c, c->sh->set.block_status, "", b.p ? b.p : "", b.len, c->req_stream.mode != BF_NONE);
	buf_free(&b);
}

static bool has_header(const http_header *h, size_t n, const char *name)
{
	return http_find_header(h, n, sk_slice_make(name, strlen(name))) != NULL;
}

void response_head_rewrite(conn *c, sk_buf *o)
{
	const http_response *r = &c->resp;
	const proxy_settings *s = &c->sh->set;
	bool upgrade = r->status == 101;
	buf_reset(o);
	c->out_sent = 0;
	buf_printf(o, "HTTP/1.1 %d %.*s\r\n", r->status, (int)r->reason.len, r->reason.p ? r->reason.p : "");
	for (size_t i = 0; i < r->nheaders; i++) {
		const http_header *h = &r->headers[i];
		bool keep_te = sk_slice_eq_ci(h->name, SK_LIT("Transfer-Encoding")) && c->resp_body.mode == BF_CHUNKED &&
			       c->req.version == 11;
		bool keep_upgrade = upgrade && (sk_slice_eq_ci(h->name, SK_LIT("Upgrade")) ||
						sk_slice_eq_ci(h->name, SK_LIT("Connection")));
		if (!keep_te && !keep_upgrade &&
		    (hop_by_hop(h->name) || named_in_connection(r->headers, r->nheaders, h->name)))
			continue;
		buf_append(o, h->name.p, h->name.len);
		buf_append(o, ": ", 2);
		buf_append(o, h->value.p, h->value.len);
		buf_append(o, "\r\n", 2);
	}
	/* Security headers the application did not set itself. */
	if (!upgrade) {
		if (s->hdr_nosniff && !has_header(r->headers, r->nheaders, "X-Content-Type-Options"))
			buf_puts(o, "X-Content-Type-Options: nosniff\r\n");
		if (s->hdr_frame_options[0] && !has_header(r->headers, r->nheaders, "X-Frame-Options"))
			buf_printf(o, "X-Frame-Options: %s\r\n", s->hdr_frame_options);
		if (s->hdr_referrer_policy[0] && !has_header(r->headers, r->nheaders, "Referrer-Policy"))
			buf_printf(o, "Referrer-Policy: %s\r\n", s->hdr_referrer_policy);
		/* HSTS only over TLS (RFC 6797 8.1: ignored, and misleading, on http). */
		if (c->ssl && s->hdr_hsts[0] && !has_header(r->headers, r->nheaders, "Strict-Transport-Security"))
			buf_printf(o, "Strict-Transport-Security: %s\r\n", s->hdr_hsts);
		/* The same id as in the audit log and upstream: one handle for an
		 * operator chasing a report. */
		buf_printf(o, "X-Request-Id: %s\r\n", c->request_id);
		if (c->close_after || !c->req.keep_alive)
			buf_puts(o, "Connection: close\r\n");
		else if (c->req.version == 10)
			buf_puts(o, "Connection: keep-alive\r\n");
	}
	buf_append(o, "\r\n", 2);
}

static void add_forwarded(conn *c, sk_buf *o)
{
	const proxy_settings *s = &c->sh->set;
	const http_header *xff = http_find_header(c->req.headers, c->req.nheaders, SK_LIT("X-Forwarded-For"));
	bool peer_trusted = false;
	for (size_t i = 0; i < s->ntrusted; i++)
		if (cidr_contains(&s->trusted[i], &c->peer))
			peer_trusted = true;
	/* From a trusted proxy the chain is kept and extended; from anyone else
	 * it is replaced, so a client cannot forge its address upstream. */
	if (xff && peer_trusted)
		buf_printf(o, "X-Forwarded-For: %.*s, %s\r\n", (int)xff->value.len, xff->value.p, c->peer_text);
	else
		buf_printf(o, "X-Forwarded-For: %s\r\n", c->peer_text);
	buf_printf(o, "X-Real-IP: %s\r\nX-Forwarded-Proto: %s\r\nX-Request-Id: %s\r\n", c->client_text,
		   c->ssl ? "https" : "http", c->request_id);
}

void upstream_request_build(conn *c, sk_slice body, bool stream_rest)
{
	sk_buf *o = &c->upreq;
	const http_request *q = &c->req;
	buf_reset(o);
	c->upreq_sent = 0;
	bool websocket = q->upgrade.len && sk_slice_eq_ci(sk_slice_trim_ows(q->upgrade), SK_LIT("websocket"));
	/* Origin-form target for the upstream, whatever form the client used. */
	buf_append(o, q->method.p, q->method.len);
	buf_append(o, " ", 1);
	if (q->form == HTTP_FORM_ORIGIN || q->form == HTTP_FORM_ASTERISK) {
		buf_append(o, q->target.p, q->target.len);
	} else {
		buf_append(o, q->path.p, q->path.len);
		if (q->query.len) {
			buf_append(o, "?", 1);
			buf_append(o, q->query.p, q->query.len);
		}
	}
	buf_puts(o, " HTTP/1.1\r\n");
	bool have_host = false;
	for (size_t i = 0; i < q->nheaders; i++) {
		const http_header *h = &q->headers[i];
		sk_slice n = h->name;
		if (hop_by_hop(n) || named_in_connection(q->headers, q->nheaders, n))
			continue;
		if (sk_slice_eq_ci(n, SK_LIT("Content-Length")) || sk_slice_eq_ci(n, SK_LIT("Expect")) ||
		    sk_slice_eq_ci(n, SK_LIT("X-Forwarded-For")) || sk_slice_eq_ci(n, SK_LIT("X-Real-IP")) ||
		    sk_slice_eq_ci(n, SK_LIT("X-Forwarded-Proto")) || sk_slice_eq_ci(n, SK_LIT("X-Request-Id")))
			continue;
		/* A login response is searched for its failure text: ask for it
		 * uncompressed. */
		if (c->login_ep && c->login_ep->fail_body[0] && sk_slice_eq_ci(n, SK_LIT("Accept-Encoding")))
			continue;
		if (sk_slice_eq_ci(n, SK_LIT("Host")))
			have_host = true;
		buf_append(o, n.p, n.len);
		buf_append(o, ": ", 2);
		buf_append(o, h->value.p, h->value.len);
		buf_append(o, "\r\n", 2);
	}
	if (!have_host)
		buf_printf(o, "Host: %s\r\n", c->sh->set.upstream_host);
	add_forwarded(c, o);
	if (websocket)
		buf_puts(o, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
	else
		buf_puts(o, "Connection: keep-alive\r\n");
	/* The body goes upstream with a Content-Length, whatever framing the
	 * client used: one framing, ours, so the upstream cannot be desynced. */
	if (stream_rest && c->req_stream.mode == BF_CHUNKED) {
		/* An over-limit chunked body passes as it came: the raw chunked
		 * bytes received so far (validated), the rest streamed after. */
		buf_puts(o, "Transfer-Encoding: chunked\r\n\r\n");
		buf_append(o, c->in + c->head_len, c->stream_base - c->head_len);
		/* The view was built from the decoded copy (c->body), so the raw
		 * bytes after the head are free again: stream into that space. */
		c->stream_base = c->head_len;
		c->in_len = c->head_len;
	} else if (stream_rest) {
		buf_printf(o, "Content-Length: %llu\r\n\r\n", (unsigned long long)q->content_length);
		buf_append(o, body.p, body.len);
		size_t extra = c->in_len > c->stream_base ? c->in_len - c->stream_base : 0;
		if (extra > c->req_stream.remaining)
			extra = (size_t)c->req_stream.remaining;
		buf_append(o, c->in + c->stream_base, extra);
		c->req_stream.remaining -= extra;
		c->in_len = c->stream_base;
	} else if (body.len || q->has_content_length || q->chunked) {
		buf_printf(o, "Content-Length: %zu\r\n\r\n", body.len);
		buf_append(o, body.p, body.len);
	} else {
		buf_puts(o, "\r\n");
	}
}
