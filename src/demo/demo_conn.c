/* demo_conn.c - one connection of the demo upstream: read a request head
 * with the library's strict parser, read its body (Content-Length or
 * chunked, de-chunked with chunked_parse), route it, log it, and loop while
 * the connection is kept alive. Pipelined requests work because whatever
 * follows a message stays buffered for the next one.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demo.h"

const char *demo_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

int demo_send(demo_ctx *x, const void *p, size_t n)
{
	const char *s = p;
	if (x->failed)
		return -1;
	while (n > 0) {
		ssize_t w = send(x->c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* Peer gone or send timeout: nothing more to say to it. */
			x->failed = true;
			x->close = true;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int demo_reply_head(demo_ctx *x, int status, const char *ctype, const char *extra, size_t len)
{
	sk_buf h;
	buf_init(&h, 16384);
	buf_printf(&h, "HTTP/1.1 %d %s\r\nServer: sekisho-demo\r\nContent-Length: %zu\r\n", status,
		   demo_reason(status), len);
	if (ctype)
		buf_printf(&h, "Content-Type: %s\r\n", ctype);
	if (extra)
		buf_puts(&h, extra);
	if (x->close)
		buf_puts(&h, "Connection: close\r\n");
	else if (x->r && x->r->version == 10)
		buf_puts(&h, "Connection: keep-alive\r\n");
	buf_puts(&h, "\r\n");
	x->status = status;
	int rc = h.overflow ? -1 : demo_send(x, h.p, h.len);
	buf_free(&h);
	return rc;
}

int demo_reply(demo_ctx *x, int status, const char *ctype, const char *extra, const void *body, size_t len)
{
	int rc = demo_reply_head(x, status, ctype, extra, len);
	if (rc == 0 && !x->head_only && len > 0)
		rc = demo_send(x, body, len);
	return rc;
}

/* Bytes buffered in `in` past what the current request consumed. */
static size_t buffered(const demo_conn *c)
{
	return c->in_len - c->pos;
}

/* One recv with EINTR retried. 0 on EOF, -1 on error or timeout. */
static ssize_t recv_some(demo_conn *c, void *dst, size_t n)
{
	for (int tries = 0; tries < 100; tries++) {
		ssize_t r = recv(c->fd, dst, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
	return -1;
}

int demo_read_exact(demo_conn *c, void *dst, size_t n)
{
	char *d = dst;
	size_t take = buffered(c) < n ? buffered(c) : n;
	memcpy(d, c->in + c->pos, take);
	c->pos += take;
	d += take;
	n -= take;
	while (n > 0) {
		ssize_t r = recv_some(c, d, n);
		if (r <= 0)
			return -1;
		d += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read the next request head into c->in. Returns the head length (> 0);
 * 0 when the peer closed or timed out (quietly, nothing to answer); SK_ERR
 * with *err set when the head is malformed or too large. */
static ssize_t read_head(demo_conn *c, http_request *r, const http_limits *lim, sk_error *err)
{
	http_req_parser st;
	http_req_parser_init(&st);
	/* Each pass either parses a complete head or reads at least one byte
	 * into the fixed-size buffer, so at most DEMO_MAX_HEAD + 1 passes. */
	for (size_t pass = 0; pass <= DEMO_MAX_HEAD + 1; pass++) {
		if (c->in_len > 0) {
			ssize_t h = http_parse_request(&st, c->in, c->in_len, r, c->hdrs, DEMO_MAX_HEADERS, lim, err);
			if (h > 0 || h == SK_ERR)
				return h;
		}
		if (c->in_len == sizeof(c->in))
			return sk_fail(err, "request head too large", c->in_len, 431);
		ssize_t n = recv_some(c, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n <= 0)
			return 0;
		c->in_len += (size_t)n;
	}
	return 0;
}

/* Read the body that follows the head at c->pos into c->body. Returns 0;
 * -1 when the connection failed (close quietly); or an HTTP status (400,
 * 413) to answer before closing. */
static int read_body(demo_ctx *x, const http_limits *lim, sk_error *err)
{
	demo_conn *c = x->c;
	const http_request *r = x->r;
	buf_reset(&c->body);
	bool has_body = r->chunked || (r->has_content_length && r->content_length > 0);
	if (r->has_content_length && r->content_length > DEMO_MAX_BODY)
		return 413;
	/* A client that waits for 100 Continue gets it only if nothing of the
	 * body has arrived yet. */
	if (has_body && r->expect_continue && buffered(c) == 0) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		if (demo_send(x, cont, sizeof(cont) - 1) < 0)
			return -1;
	}
	if (!r->chunked) {
		size_t n = r->has_content_length ? (size_t)r->content_length : 0;
		if (n == 0)
			return 0;
		/* In pieces of tmp: n is capped above, each piece is > 0 bytes. */
		while (n > 0) {
			size_t piece = n < sizeof(c->tmp) ? n : sizeof(c->tmp);
			if (demo_read_exact(c, c->tmp, piece) < 0)
				return -1;
			if (!buf_append(&c->body, c->tmp, piece))
				return 413;
			n -= piece;
		}
		return 0;
	}
	chunked_state cs;
	memset(&cs, 0, sizeof(cs));
	/* First what is already buffered, then reads into tmp; every pass
	 * consumes input or reads, and the body is capped, so this ends. */
	for (size_t pass = 0; pass < 4u * DEMO_MAX_BODY + DEMO_MAX_HEAD; pass++) {
		const char *in;
		size_t n;
		bool from_tmp = false;
		if (buffered(c) > 0) {
			in = c->in + c->pos;
			n = buffered(c);
		} else if (c->carry_len > 0) {
			in = c->tmp + c->carry_off;
			n = c->carry_len;
			from_tmp = true;
		} else {
			ssize_t got = recv_some(c, c->tmp, sizeof(c->tmp));
			if (got <= 0)
				return -1;
			c->carry_off = 0;
			c->carry_len = (size_t)got;
			continue;
		}
		sk_slice data;
		ssize_t used = chunked_parse(&cs, in, n, &data, lim, err);
		if (used < 0)
			return err->status ? err->status : 400;
		if (data.len > 0 && !buf_append(&c->body, data.p, data.len))
			return 413;
		if (from_tmp) {
			c->carry_off += (size_t)used;
			c->carry_len -= (size_t)used;
		} else {
			c->pos += (size_t)used;
		}
		if (chunked_done(&cs))
			return 0; /* what is left in in/tmp is the next request */
	}
	return 400;
}

/* Print a request-target for the log: printable ASCII kept, the rest as
 * \xNN, cut at 200 bytes. The log is for a person watching the terminal. */
void demo_log(demo_ctx *x)
{
	if (x->logged)
		return;
	x->logged = true;
	char t[200 * 4 + 8];
	size_t o = 0;
	sk_slice s = x->r ? x->r->target : SK_LIT("-");
	for (size_t i = 0; i < s.len && i < 200; i++) {
		unsigned char ch = (unsigned char)s.p[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			t[o++] = (char)ch;
		} else {
			snprintf(t + o, 5, "\\x%02x", ch);
			o += 4;
		}
	}
	if (s.len > 200) {
		memcpy(t + o, "...", 3);
		o += 3;
	}
	t[o] = '\0';
	int ml = x->r ? (int)(x->r->method.len < 16 ? x->r->method.len : 16) : 1;
	const char *m = x->r ? x->r->method.p : "-";
	fprintf(stderr, "demo: %.*s %s %d (%s)\n", ml, m, t, x->status, x->c->peer);
}

/* Answer a request we could not read, then close. */
static void refuse(demo_ctx *x, int status, const char *why)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%d %s: %s\n", status, demo_reason(status), why);
	x->close = true;
	x->head_only = false;
	demo_reply(x, status, "text/plain; charset=utf-8", NULL, msg, (size_t)n);
}

/* Serve one request. Returns true to keep the connection. */
static bool serve_one(demo_conn *c, const http_limits *lim)
{
	http_request r;
	sk_error err = { 0 };
	demo_ctx x = { .c = c };
	ssize_t h = read_head(c, &r, lim, &err);
	if (h == 0)
		return false;
	if (h < 0) {
		refuse(&x, err.status ? err.status : 400, err.rule ? err.rule : "malformed request");
		demo_log(&x);
		return false;
	}
	c->pos = (size_t)h;
	x.r = &r;
	x.close = !r.keep_alive;
	x.head_only = r.method.len == 4 && memcmp(r.method.p, "HEAD", 4) == 0;
	int brc = read_body(&x, lim, &err);
	if (brc < 0)
		return false;
	if (brc > 0) {
		refuse(&x, brc, brc == 413 ? "request body larger than 8 MiB" : (err.rule ? err.rule : "bad body"));
		demo_log(&x);
		return false;
	}
	x.body = sk_slice_make(c->body.p, c->body.len);
	arena_reset(c->arena);
	demo_route(&x);
	if (!x.failed)
		demo_log(&x);
	/* Keep what followed this message: it is the next request. The head
	 * slices die here, so the buffer may move. */
	memmove(c->in, c->in + c->pos, c->in_len - c->pos);
	c->in_len -= c->pos;
	c->pos = 0;
	if (c->carry_len > 0) {
		size_t room = sizeof(c->in) - c->in_len;
		size_t n = c->carry_len < room ? c->carry_len : room;
		memcpy(c->in + c->in_len, c->tmp + c->carry_off, n);
		c->in_len += n;
		c->carry_len = 0;
	}
	return !x.close && !x.failed;
}

extern atomic_int demo_active;

void *demo_conn_main(void *arg)
{
	demo_conn *c = arg;
	http_limits lim;
	http_limits_default(&lim);
	/* Our limits are generous so that the proxy's limits are the ones a
	 * test meets, not the demo's. */
	lim.max_request_line = DEMO_MAX_HEAD;
	lim.max_header_line = DEMO_MAX_HEAD;
	lim.max_head = DEMO_MAX_HEAD;
	lim.max_headers = DEMO_MAX_HEADERS;
	lim.max_body_inspect = DEMO_MAX_BODY;
	buf_init(&c->body, DEMO_MAX_BODY);
	buf_init(&c->out, DEMO_MAX_OUT);
	c->arena = arena_new(4 * DEMO_MAX_BODY);
	if (c->arena) {
		for (int i = 0; i < DEMO_MAX_REQUESTS; i++)
			if (!serve_one(c, &lim))
				break;
	}
	arena_free(c->arena);
	buf_free(&c->body);
	buf_free(&c->out);
	close(c->fd);
	free(c);
	atomic_fetch_sub(&demo_active, 1);
	return NULL;
}
