/* conn.c - one client connection: read and parse the request, buffer the
 * body for inspection, decide, forward to the upstream and relay the
 * response, then keep-alive (with pipelined requests) or close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gate.h"
#include "guard.h"
#include "login.h"
#include "proxy.h"
#include "tls.h"

/* Output backlog at which reading from the upstream pauses until the
 * client has drained it (a slow reader must not make us buffer a movie). */
#define OUT_HIGH_WATER (256u * 1024)
#define READ_CHUNK (64u * 1024)
#define OUT_MAX (64u * 1024 * 1024)

static void client_io(ev_loop *loop, int fd, unsigned events, void *ud);
static void upstream_io(ev_loop *loop, int fd, unsigned events, void *ud);
static void process_input(conn *c);
static void flush_out(conn *c);

static void set_deadline(conn *c, unsigned ms)
{
	conn_deadline(c, ms);
}

static void watch_client(conn *c, unsigned events)
{
	/* A TLS session may need the other direction to make progress (a
	 * handshake message to send while we want to read, or the reverse). */
	if (c->ssl && c->tls_want == TLS_WANT_WRITE)
		events |= EV_WRITE;
	if (c->ssl && c->tls_want == TLS_WANT_READ && events)
		events |= EV_READ;
	ev_mod(c->w->loop, c->fd, events);
}

/* Client I/O, plain or TLS, with the contract of recv/send. */
static ssize_t conn_recv(conn *c, void *buf, size_t n)
{
	if (!c->ssl)
		return recv(c->fd, buf, n, 0);
	return tls_recv(c->ssl, buf, n, &c->tls_want);
}

static ssize_t conn_send(conn *c, const void *buf, size_t n)
{
	if (!c->ssl)
		return send(c->fd, buf, n, MSG_NOSIGNAL);
	return tls_send(c->ssl, buf, n, &c->tls_want);
}

/* ---- lifecycle ---- */

static void conn_link(worker *w, conn *c)
{
	c->next = w->conns;
	c->prev = NULL;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

static void conn_unlink(worker *w, conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

void conn_close(conn *c)
{
	worker *w = c->w;
	if (c->up) {
		upstream_release(c->up, false);
		c->up = NULL;
	}
	ev_del(w->loop, c->fd);
	tls_session_free(c->ssl);
	close(c->fd);
	conn_unlink(w, c);
	atomic_fetch_sub(&w->px->stats.open_conns, 1);
	if (c->sh)
		shared_release(c->sh);
	arena_free(c->a);
	buf_free(&c->body);
	buf_free(&c->upreq);
	buf_free(&c->out);
	free(c->in);
	free(c->rbuf);
	free(c->hdrs);
	free(c->rhdrs);
	free(c);
}

/* A connection given up before it was linked: free what it holds (any of
 * it may be missing), release the settings, close the socket. */
static void accept_abandon(conn *c, proxy_shared *sh, int fd)
{
	if (c) {
		tls_session_free(c->ssl);
		free(c->in);
		free(c->hdrs);
		free(c->rhdrs);
		arena_free(c->a);
		free(c);
	}
	shared_release(sh);
	close(fd);
}

void conn_accept(worker *w, int lfd, bool tls)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE): try at the next readiness */
		proxy_shared *sh = shared_acquire(w->px);
		if (w->px->draining ||
		    (size_t)atomic_load(&w->px->stats.open_conns) >= sh->set.max_connections ||
		    !access_admit_peer(w, sh, &sa)) {
			accept_abandon(NULL, sh, fd);
			continue;
		}
		conn *c = calloc(1, sizeof(*c));
		if (c) {
			c->in_cap = 16384;
			c->in = malloc(c->in_cap);
			c->hdrs = calloc(sh->set.lim.max_headers, sizeof(*c->hdrs));
			c->rhdrs = calloc(sh->set.lim.max_headers, sizeof(*c->rhdrs));
			c->a = arena_new(sh->set.lim.max_arena);
		}
		if (!c || !c->in || !c->hdrs || !c->rhdrs || !c->a) {
			accept_abandon(c, sh, fd);
			continue;
		}
		c->fd = fd;
		c->w = w;
		c->sh = sh;
		c->state = CS_IDLE;
		if (tls && !(c->ssl = tls_session_new(w->px->tls, fd))) {
			accept_abandon(c, sh, fd);
			continue;
		}
		net_peer(&sa, &c->peer, c->peer_text, sizeof(c->peer_text));
		buf_init(&c->body, sh->set.lim.max_body_inspect);
		buf_init(&c->upreq, OUT_MAX);
		buf_init(&c->out, OUT_MAX);
		if (ev_add(w->loop, fd, EV_READ, client_io, c) != 0) {
			buf_free(&c->body);
			buf_free(&c->upreq);
			buf_free(&c->out);
			accept_abandon(c, sh, fd);
			continue;
		}
		conn_link(w, c);
		atomic_fetch_add(&w->px->stats.open_conns, 1);
		/* The first request gets the header timeout, not the keep-alive one. */
		set_deadline(c, sh->set.header_timeout_ms);
	}
}

/* Ready for the next request on a kept-alive connection: keep pipelined
 * bytes that followed the previous request. */
static void conn_reset_for_next(conn *c)
{
	size_t rest = c->in_len > c->req_raw_end ? c->in_len - c->req_raw_end : 0;
	if (rest)
		memmove(c->in, c->in + c->req_raw_end, rest);
	c->in_len = rest;
	c->req_raw_end = 0;
	http_req_parser_init(&c->rp);
	memset(&c->req_ch, 0, sizeof(c->req_ch));
	memset(&c->resp_p, 0, sizeof(c->resp_p));
	memset(&c->req_stream, 0, sizeof(c->req_stream));
	memset(&c->resp_body, 0, sizeof(c->resp_body));
	buf_reset(&c->body);
	buf_reset(&c->upreq);
	c->upreq_sent = 0;
	c->rlen = 0;
	c->head_len = 0;
	c->body_truncated = false;
	c->sent_continue = false;
	c->flagged = false;
	c->guard_note[0] = '\0';
	c->login_ep = NULL;
	c->login = NULL;
	c->login_marker = NULL;
	c->login_recorded = false;
	c->delayed_body = SK_SLICE_NULL;
	c->retried = false;
	c->status = 0;
	c->resp_bytes = 0;
	arena_reset(c->a);
	/* New requests run under the newest settings (after a reload). */
	proxy_shared *sh = shared_acquire(c->w->px);
	shared_release(c->sh);
	c->sh = sh;
	c->state = CS_IDLE;
	set_deadline(c, sh->set.keepalive_timeout_ms);
	watch_client(c, EV_READ);
	if (rest)
		process_input(c);
}

/* The exchange is over: keep-alive or close. */
static void exchange_done(conn *c)
{
	login_exchange_done(c);
	if (c->t_start)
		stats_latency(&c->w->px->stats, (ev_now(c->w->loop) - c->t_start) * 1000u);
	if (c->close_after || !c->req.keep_alive || c->w->px->draining) {
		conn_close(c);
		return;
	}
	conn_reset_for_next(c);
}

/* ---- output to the client ---- */

static void flush_out(conn *c)
{
	while (c->out_sent < c->out.len) {
		ssize_t n = conn_send(c, c->out.p + c->out_sent, c->out.len - c->out_sent);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				watch_client(c, EV_WRITE);
				return;
			}
			conn_close(c);
			return;
		}
		c->out_sent += (size_t)n;
		if (c->state == CS_RELAY)
			set_deadline(c, c->sh->set.response_timeout_ms);
	}
	buf_reset(&c->out);
	c->out_sent = 0;
	if (c->state == CS_RESPOND) {
		exchange_done(c);
		return;
	}
	if (c->state == CS_RELAY) {
		watch_client(c, 0);
		if (c->resp_body.done) {
			upconn *u = c->up;
			c->up = NULL;
			upstream_release(u, c->resp.keep_alive && c->resp_body.mode != BF_CLOSE);
			exchange_done(c);
			return;
		}
		if (c->paused_upstream && c->up) {
			c->paused_upstream = false;
			ev_mod(c->w->loop, c->up->fd, EV_READ);
		}
	}
}

/* ---- buffers that grow ----
 * Parsed slices point into the buffer they were parsed from. When the
 * buffer grows and moves, every slice into it is moved by the same offset
 * (the parsers themselves resume from offsets, not pointers). */

static void rebase_slice(sk_slice *s, uintptr_t old, size_t old_len, char *nbuf)
{
	uintptr_t p = (uintptr_t)s->p;
	if (s->p && p >= old && p <= old + old_len)
		s->p = nbuf + (p - old);
}

static void rebase_request(conn *c, uintptr_t old, size_t old_len)
{
	http_request *q = &c->req;
	sk_slice *fields[] = { &q->method, &q->target, &q->path, &q->query, &q->authority, &q->host, &q->upgrade,
			       &q->content_type };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		rebase_slice(fields[i], old, old_len, c->in);
	for (size_t i = 0; i < c->rp.nheaders; i++) {
		rebase_slice(&c->hdrs[i].name, old, old_len, c->in);
		rebase_slice(&c->hdrs[i].value, old, old_len, c->in);
	}
}

static void rebase_response(conn *c, uintptr_t old, size_t old_len)
{
	rebase_slice(&c->resp.reason, old, old_len, c->rbuf);
	for (size_t i = 0; i < c->resp_p.nheaders; i++) {
		rebase_slice(&c->rhdrs[i].name, old, old_len, c->rbuf);
		rebase_slice(&c->rhdrs[i].value, old, old_len, c->rbuf);
	}
}

/* ---- reading the request ---- */

static bool read_client(conn *c)
{
	for (;;) {
		if (c->in_len == c->in_cap) {
			size_t max = c->sh->set.lim.max_head + c->sh->set.lim.max_body_inspect + 65536;
			if (c->in_cap >= max)
				return true; /* full: the parsers will refuse what does not fit */
			size_t ncap = c->in_cap * 2 > max ? max : c->in_cap * 2;
			uintptr_t old = (uintptr_t)c->in;
			char *n = realloc(c->in, ncap);
			if (!n) {
				conn_close(c);
				return false;
			}
			c->in = n;
			c->in_cap = ncap;
			rebase_request(c, old, c->in_len);
		}
		ssize_t n = conn_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
		if (n > 0) {
			c->in_len += (size_t)n;
			/* Decrypted bytes may wait inside the TLS session with no
			 * socket readiness to announce them: take them now. */
			if ((size_t)n < READ_CHUNK && !(c->ssl && tls_pending(c->ssl)))
				return true;
			continue;
		}
		if (n == 0) {
			conn_close(c);
			return false;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return true;
		conn_close(c);
		return false;
	}
}

/* The trusted-proxy rule: the client address is the peer, unless the peer
 * is a configured proxy; then the right-most X-Forwarded-For entry that is
 * not itself a trusted proxy. */
static bool trusted(const proxy_settings *s, const sk_addr *a)
{
	for (size_t i = 0; i < s->ntrusted; i++)
		if (cidr_contains(&s->trusted[i], a))
			return true;
	return false;
}

static void resolve_client(conn *c)
{
	const proxy_settings *s = &c->sh->set;
	c->client = c->peer;
	memcpy(c->client_text, c->peer_text, sizeof(c->client_text));
	if (!s->ntrusted || !trusted(s, &c->peer))
		return;
	const http_header *xff = http_find_header(c->req.headers, c->req.nheaders, SK_LIT("X-Forwarded-For"));
	if (!xff) {
		const http_header *xr = http_find_header(c->req.headers, c->req.nheaders, SK_LIT("X-Real-IP"));
		sk_addr a;
		if (xr && addr_parse(sk_slice_trim_ows(xr->value), &a)) {
			c->client = a;
			addr_format(&a, c->client_text, sizeof(c->client_text));
		}
		return;
	}
	sk_slice v = xff->value;
	size_t end = v.len;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && v.p[start - 1] != ',')
			start--;
		sk_addr a;
		if (!addr_parse(sk_slice_trim_ows(sk_slice_make(v.p + start, end - start)), &a))
			return; /* garbage: keep what we have */
		c->client = a;
		addr_format(&a, c->client_text, sizeof(c->client_text));
		if (!trusted(s, &a))
			return;
		end = start ? start - 1 : 0;
	}
}

static enum proxy_mode mode_for(conn *c, sk_slice path)
{
	const proxy_settings *s = &c->sh->set;
	size_t best = 0;
	enum proxy_mode m = s->mode;
	for (size_t i = 0; i < s->npath_modes; i++) {
		size_t n = strlen(s->path_modes[i].prefix);
		if (n >= best && path.len >= n && memcmp(path.p, s->path_modes[i].prefix, n) == 0) {
			best = n;
			m = s->path_modes[i].mode;
		}
	}
	return m;
}

static void send_continue(conn *c)
{
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
	/* Tiny and first on the wire: a direct send; if it does not go out at
	 * once the client simply sends the body after its own timeout. */
	(void)!conn_send(c, msg, sizeof(msg) - 1);
	c->sent_continue = true;
}

static void start_upstream(conn *c);

/* The worker's engine scratch must belong to the engine this request runs
 * under; after a reload the first request on the new engine swaps it. */
static engine_scratch *scratch_for(conn *c)
{
	worker *w = c->w;
	if (w->sh != c->sh) {
		engine_scratch *ns = engine_scratch_new(c->sh->eng);
		if (!ns)
			return NULL;
		engine_scratch_free(w->scratch);
		shared_release(w->sh);
		atomic_fetch_add(&c->sh->refs, 1);
		w->sh = c->sh;
		w->scratch = ns;
	}
	return w->scratch;
}

/* Head and body are complete (or the body is over the limit and passes):
 * inspect and decide. */
static void inspect_and_route(conn *c, sk_slice body)
{
	proxy *px = c->w->px;
	const proxy_settings *s = &c->sh->set;
	atomic_fetch_add(&px->stats.requests, 1);
	http_view view;
	sk_error err = { 0 };
	resolve_client(c);
	guard_ban ban;
	if (guard_banned(c, &ban)) {
		guard_refuse_banned(c, &ban);
		return;
	}
	if (view_build(&view, &c->req, body, c->body_truncated, c->a, &s->lim, &err) != SK_OK) {
		engine_verdict_malformed(&c->v, &err);
		atomic_fetch_add(&px->stats.bad_requests, 1);
		c->status = err.status ? err.status : 413;
		audit_request(c, "block");
		respond_simple(c, c->status, "Request refused", err.rule, true);
		return;
	}
	if (gate_handle(c, &view))
		return;
	enum proxy_mode mode = mode_for(c, view.path_normalised);
	if (mode == MODE_OFF) {
		memset(&c->v, 0, sizeof(c->v));
	} else {
		engine_inspect(c->sh->eng, scratch_for(c), &c->req, &view, &c->client, c->a, &c->v);
	}
	if (c->v.block && mode == MODE_BLOCK) {
		atomic_fetch_add(&px->stats.blocked, 1);
		stats_count_block(&px->stats, &c->v);
		c->status = s->block_status;
		audit_request(c, "block");
		respond_block(c);
		return;
	}
	if (password_refuse(c, &view))
		return;
	if (c->v.score > 0 || c->v.nfound > 0) {
		c->flagged = true;
		atomic_fetch_add(&px->stats.flagged, 1);
	}
	int lc = s->nlogins ? login_check(c, &view, body) : LOGIN_CHECK_FORWARD;
	if (lc == LOGIN_CHECK_ANSWERED)
		return;
	atomic_fetch_add(&px->stats.passed, 1); /* forwarded now, or after its login delay */
	if (lc == LOGIN_CHECK_HELD)
		return;
	upstream_request_build(c, body, c->req_stream.mode != BF_NONE);
	start_upstream(c);
}

void login_delay_start(conn *c, unsigned ms)
{
	/* Read nothing more meanwhile: the body slice points into our buffers. */
	c->state = CS_DELAY;
	watch_client(c, 0);
	set_deadline(c, ms);
}

/* From the sweep: the delay is over. */
static void delay_done(conn *c)
{
	upstream_request_build(c, c->delayed_body, c->req_stream.mode != BF_NONE);
	start_upstream(c);
}

/* Feed new request bytes; returns when more are needed or the request was
 * handed on. */
static void process_input(conn *c)
{
	const proxy_settings *s = &c->sh->set;
	sk_error err = { 0 };
	if (c->state == CS_IDLE || c->state == CS_HEAD) {
		if (c->in_len == 0)
			return;
		if (c->state == CS_IDLE) {
			c->state = CS_HEAD;
			c->t_start = ev_now(c->w->loop);
			set_deadline(c, s->header_timeout_ms);
		}
		ssize_t n = http_parse_request(&c->rp, c->in, c->in_len, &c->req, c->hdrs, s->lim.max_headers, &s->lim,
					       &err);
		if (n == SK_AGAIN) {
			if (c->in_len >= s->lim.max_head)
				goto bad; /* the parser said so already in most cases */
			return;
		}
		if (n < 0)
			goto bad;
		c->head_len = (size_t)n;
		snprintf(c->request_id, sizeof(c->request_id), "%s%08llx", c->w->id_prefix,
			 (unsigned long long)++c->w->next_id);
		if (s->access) {
			resolve_client(c);
			if (!access_admit(c))
				return;
		}
		if (!c->ssl && s->redirect_http) {
			respond_redirect_https(c);
			return;
		}
		c->state = CS_BODY;
		set_deadline(c, s->body_timeout_ms);
		uint64_t cl = c->req.has_content_length ? c->req.content_length : 0;
		if (c->req.expect_continue && (c->req.chunked || cl > 0) && c->in_len == c->head_len) {
			if (!c->req.chunked && cl > s->lim.max_body_inspect && !s->body_over_limit_pass) {
				c->status = 413;
				respond_simple(c, 413, "Payload Too Large", "request body over the inspection limit",
					       true);
				return;
			}
			send_continue(c);
		}
	}
	if (c->state != CS_BODY)
		return;

	/* Content-Length body: wait for all of it (or the inspection limit). */
	if (!c->req.chunked) {
		uint64_t cl = c->req.has_content_length ? c->req.content_length : 0;
		size_t have = c->in_len - c->head_len;
		if (cl > s->lim.max_body_inspect) {
			if (!s->body_over_limit_pass) {
				c->status = 413;
				respond_simple(c, 413, "Payload Too Large", "request body over the inspection limit", true);
				return;
			}
			if (have < s->lim.max_body_inspect)
				return;
			/* Inspect the first part; stream the rest uninspected. The
			 * connection closes afterwards: simpler than finding the next
			 * pipelined request behind a streamed body. */
			c->body_truncated = true;
			c->req_stream.mode = BF_LENGTH;
			c->req_stream.remaining = cl - s->lim.max_body_inspect;
			c->req_raw_end = c->stream_base = c->head_len + s->lim.max_body_inspect;
			c->close_after = true;
			audit_event(c->w, "body_uninspected", "medium", "{\"reason\":\"body over the inspection limit\"}");
			inspect_and_route(c, sk_slice_make(c->in + c->head_len, s->lim.max_body_inspect));
			return;
		}
		if (have < cl)
			return;
		c->req_raw_end = c->head_len + (size_t)cl;
		inspect_and_route(c, sk_slice_make(c->in + c->head_len, (size_t)cl));
		return;
	}

	/* Chunked body: decode as it arrives into c->body. */
	size_t pos = c->req_raw_end ? c->req_raw_end : c->head_len;
	while (pos < c->in_len && !chunked_done(&c->req_ch)) {
		sk_slice d;
		ssize_t k = chunked_parse(&c->req_ch, c->in + pos, c->in_len - pos, &d, &s->lim, &err);
		if (k < 0)
			goto bad;
		if (d.len && !buf_append(&c->body, d.p, d.len)) {
			if (!s->body_over_limit_pass) {
				c->status = 413;
				respond_simple(c, 413, "Payload Too Large", "request body over the inspection limit", true);
				return;
			}
			/* Pass: what fits was inspected; the raw chunked bytes go
			 * upstream as they are, and the decoder keeps running on them
			 * only to find where the body ends. */
			pos += (size_t)k;
			while (pos < c->in_len && !chunked_done(&c->req_ch)) {
				sk_slice d2;
				ssize_t k2 = chunked_parse(&c->req_ch, c->in + pos, c->in_len - pos, &d2, &s->lim, &err);
				if (k2 < 0)
					goto bad;
				pos += (size_t)k2;
				if (k2 == 0)
					break;
			}
			c->body_truncated = true;
			c->req_stream.mode = BF_CHUNKED;
			c->close_after = true; /* simpler than finding the next request behind a stream */
			c->req_raw_end = c->stream_base = pos;
			c->in_len = pos;
			audit_event(c->w, "body_uninspected", "medium", "{\"reason\":\"chunked body over the inspection limit\"}");
			inspect_and_route(c, sk_slice_make(c->body.p ? c->body.p : "", c->body.len));
			return;
		}
		pos += (size_t)k;
		if (k == 0)
			break;
	}
	c->req_raw_end = pos;
	if (!chunked_done(&c->req_ch))
		return;
	inspect_and_route(c, sk_slice_make(c->body.p ? c->body.p : "", c->body.len));
	return;
bad:
	atomic_fetch_add(&c->w->px->stats.bad_requests, 1);
	engine_verdict_malformed(&c->v, &err);
	c->status = err.status ? err.status : 400;
	if (c->head_len == 0 && c->req.method.len == 0)
		c->req.method = SK_SLICE_NULL;
	audit_request(c, "block");
	respond_simple(c, c->status, "Bad Request", err.rule ? err.rule : "malformed request", true);
}

/* ---- tunnel (WebSocket after 101) ---- */

/* Copy what is ready in one direction of the tunnel. to_upstream: client
 * to upstream, else upstream to client. */
static void tunnel_copy(conn *c, bool to_upstream)
{
	char buf[16384];
	for (int i = 0; i < 16; i++) {
		ssize_t n = to_upstream ? conn_recv(c, buf, sizeof(buf)) : recv(c->up->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (n < 0)
			return;
		size_t off = 0;
		while (off < (size_t)n) {
			ssize_t m = to_upstream ? send(c->up->fd, buf + off, (size_t)n - off, MSG_NOSIGNAL)
						: conn_send(c, buf + off, (size_t)n - off);
			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0) {
				/* A tunnel peer that does not read: this simple tunnel
				 * gives up rather than buffering without bound. */
				conn_close(c);
				return;
			}
			off += (size_t)m;
		}
		set_deadline(c, c->sh->set.keepalive_timeout_ms);
	}
}

static void send_upstream(conn *c);

/* More of an over-limit body arrived: forward it as it is. */
static void stream_request_body(conn *c)
{
	if (c->req_stream.mode == BF_CHUNKED) {
		/* Forward raw chunked bytes up to the end of the body; the
		 * decoder only finds that end (and refuses broken framing). */
		size_t room = c->in_cap - c->stream_base;
		ssize_t n = conn_recv(c, c->in + c->stream_base, room);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		size_t pos = 0;
		while (pos < (size_t)n && !chunked_done(&c->req_ch)) {
			sk_slice d;
			sk_error err;
			ssize_t k = chunked_parse(&c->req_ch, c->in + c->stream_base + pos, (size_t)n - pos, &d,
						  &c->sh->set.lim, &err);
			if (k < 0) {
				conn_close(c); /* the head already went upstream: only a break is left */
				return;
			}
			pos += (size_t)k;
			if (k == 0)
				break;
		}
		buf_reset(&c->upreq);
		c->upreq_sent = 0;
		buf_append(&c->upreq, c->in + c->stream_base, pos);
		watch_client(c, 0);
		c->state = CS_UPSTREAM;
		send_upstream(c);
		return;
	}
	size_t room = c->in_cap - c->stream_base;
	size_t want = room < c->req_stream.remaining ? room : (size_t)c->req_stream.remaining;
	ssize_t n = conn_recv(c, c->in + c->stream_base, want);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	buf_reset(&c->upreq);
	c->upreq_sent = 0;
	buf_append(&c->upreq, c->in + c->stream_base, (size_t)n);
	c->req_stream.remaining -= (uint64_t)n;
	watch_client(c, 0);
	c->state = CS_UPSTREAM;
	send_upstream(c);
}

static void client_io(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)loop;
	(void)fd;
	conn *c = ud;
	if (c->state == CS_STREAM_REQ) {
		stream_request_body(c);
		return;
	}
	if (c->state == CS_TUNNEL) {
		tunnel_copy(c, true);
		return;
	}
	if ((events & (EV_WRITE | (c->ssl ? EV_READ : 0))) && c->out.len > c->out_sent) {
		flush_out(c);
		return;
	}
	/* TLS: writability may be what a read was waiting for. */
	if (c->ssl && (events & EV_WRITE) && c->tls_want == TLS_WANT_WRITE)
		events |= EV_READ;
	if (events & (EV_READ | EV_ERROR)) {
		if (c->state != CS_IDLE && c->state != CS_HEAD && c->state != CS_BODY) {
			/* Not reading requests now: a hang-up ends the exchange. */
			if (events & EV_ERROR)
				conn_close(c);
			return;
		}
		if (!read_client(c))
			return;
		process_input(c);
	}
}

/* ---- upstream side ---- */

static void fail_upstream(conn *c, int status, const char *why)
{
	atomic_fetch_add(&c->w->px->stats.upstream_errors, 1);
	if (c->up) {
		upstream_release(c->up, false);
		c->up = NULL;
	}
	if (c->state == CS_RELAY || c->resp_bytes) {
		conn_close(c); /* part of a response is out: the client must see a break */
		return;
	}
	c->status = status;
	char details[256];
	snprintf(details, sizeof(details), "{\"reason\":\"%s\",\"request_id\":\"%s\"}", why, c->request_id);
	audit_event(c->w, "upstream_error", "medium", details);
	respond_simple(c, status, status == 504 ? "Gateway Timeout" : "Bad Gateway", why, false);
}

static void start_upstream(conn *c)
{
	c->state = CS_UPSTREAM;
	watch_client(c, 0);
	c->up = upstream_get(c->w, c);
	if (!c->up) {
		fail_upstream(c, 502, "upstream unreachable");
		return;
	}
	/* A pooled connection is still registered (watched for EOF while idle). */
	int rc = c->up->reused ? ev_mod(c->w->loop, c->up->fd, EV_WRITE)
			       : ev_add(c->w->loop, c->up->fd, EV_WRITE, upstream_io, c->up);
	if (rc != 0) {
		fail_upstream(c, 502, "upstream registration failed");
		return;
	}
	set_deadline(c, c->up->connected ? c->sh->set.response_timeout_ms : c->sh->set.connect_timeout_ms);
}

/* Retry once on a fresh connection when a pooled one turned out closed
 * before any response byte arrived (the upstream closed it while idle). */
static bool retry_fresh(conn *c)
{
	if (c->retried || !c->up || !c->up->reused || c->rlen > 0)
		return false;
	c->retried = true;
	upstream_release(c->up, false);
	c->up = NULL;
	c->upreq_sent = 0;
	start_upstream(c);
	return true;
}

static void send_upstream(conn *c)
{
	upconn *u = c->up;
	while (c->upreq_sent < c->upreq.len) {
		ssize_t n = send(u->fd, c->upreq.p + c->upreq_sent, c->upreq.len - c->upreq_sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_mod(c->w->loop, u->fd, EV_WRITE);
			return;
		}
		if (n < 0) {
			if (!retry_fresh(c))
				fail_upstream(c, 502, "upstream closed the connection");
			return;
		}
		c->upreq_sent += (size_t)n;
	}
	/* Over-limit body passing through: wait for more from the client. */
	if ((c->req_stream.mode == BF_LENGTH && c->req_stream.remaining) ||
	    (c->req_stream.mode == BF_CHUNKED && !chunked_done(&c->req_ch))) {
		c->state = CS_STREAM_REQ;
		ev_mod(c->w->loop, u->fd, 0);
		watch_client(c, EV_READ);
		set_deadline(c, c->sh->set.body_timeout_ms);
		return;
	}
	c->state = CS_UPSTREAM;
	ev_mod(c->w->loop, u->fd, EV_READ);
	set_deadline(c, c->sh->set.response_timeout_ms);
}

/* Consume body bytes of the response per its framing; returns how many of
 * the `n` bytes belong to the body. Raw bytes are relayed unchanged, except
 * for HTTP/1.0 clients, which get chunked bodies decoded. */
static ssize_t relay_body(conn *c, const char *p, size_t n)
{
	body_framing *f = &c->resp_body;
	login_response_body(c, p, n);
	switch (f->mode) {
	case BF_NONE:
		f->done = true;
		return 0;
	case BF_LENGTH: {
		size_t take = n < f->remaining ? n : (size_t)f->remaining;
		if (!buf_append(&c->out, p, take))
			return -1;
		f->remaining -= take;
		f->done = f->remaining == 0;
		return (ssize_t)take;
	}
	case BF_CHUNKED: {
		size_t pos = 0;
		bool decode = c->req.version == 10;
		while (pos < n && !chunked_done(&f->ch)) {
			sk_slice d;
			sk_error err;
			ssize_t k = chunked_parse(&f->ch, p + pos, n - pos, &d, &c->sh->set.lim, &err);
			if (k < 0)
				return -1;
			if (decode ? !buf_append(&c->out, d.p, d.len) : !buf_append(&c->out, p + pos, (size_t)k))
				return -1;
			pos += (size_t)k;
			if (k == 0)
				break;
		}
		f->done = chunked_done(&f->ch);
		return (ssize_t)pos;
	}
	case BF_CLOSE:
		if (!buf_append(&c->out, p, n))
			return -1;
		return (ssize_t)n;
	}
	return -1;
}

static void response_head_done(conn *c)
{
	const http_response *r = &c->resp;
	c->status = r->status;
	bool head = sk_slice_eq(c->req.method, SK_LIT("HEAD"));
	memset(&c->resp_body, 0, sizeof(c->resp_body));
	if (r->status == 101) {
		c->resp_body.mode = BF_NONE;
	} else if (head || r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
		c->resp_body.mode = BF_NONE;
	} else if (r->chunked) {
		c->resp_body.mode = BF_CHUNKED;
	} else if (r->has_content_length) {
		c->resp_body.mode = BF_LENGTH;
		c->resp_body.remaining = r->content_length;
	} else {
		c->resp_body.mode = BF_CLOSE;
		c->close_after = true;
	}
	if (c->resp_body.mode == BF_CHUNKED && c->req.version == 10)
		c->close_after = true;
	response_head_rewrite(c, &c->out);
	login_response_head(c);
	if (c->flagged || c->sh->set.access_log)
		audit_request(c, c->flagged ? "flag" : "access");
}

static void read_upstream(conn *c)
{
	upconn *u = c->up;
	for (int rounds = 0; rounds < 16; rounds++) {
		if (c->out.len - c->out_sent > OUT_HIGH_WATER) {
			c->paused_upstream = true;
			ev_mod(c->w->loop, u->fd, 0);
			flush_out(c);
			return;
		}
		if (c->rlen == c->rcap) {
			size_t ncap = c->rcap ? c->rcap * 2 : 16384;
			size_t max = c->sh->set.lim.max_head + READ_CHUNK;
			if (c->state == CS_RELAY)
				ncap = READ_CHUNK; /* relaying: fixed window */
			if (ncap > max)
				ncap = max;
			if (ncap <= c->rcap) {
				fail_upstream(c, 502, "upstream response head too large");
				return;
			}
			uintptr_t old = (uintptr_t)c->rbuf;
			char *nb = realloc(c->rbuf, ncap);
			if (!nb) {
				fail_upstream(c, 502, "out of memory");
				return;
			}
			c->rbuf = nb;
			c->rcap = ncap;
			rebase_response(c, old, c->rlen);
		}
		ssize_t n = recv(u->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* EOF or error from the upstream. */
			if (c->state == CS_RELAY && c->resp_body.mode == BF_CLOSE) {
				c->resp_body.done = true;
				upstream_release(c->up, false);
				c->up = NULL;
				flush_out(c);
				return;
			}
			if (c->state == CS_UPSTREAM && retry_fresh(c))
				return;
			fail_upstream(c, 502, "upstream closed the connection early");
			return;
		}
		c->rlen += (size_t)n;
		c->resp_bytes += (uint64_t)n;
		set_deadline(c, c->sh->set.response_timeout_ms);
		size_t used = 0;
		if (c->state == CS_UPSTREAM) {
			sk_error err = { 0 };
			ssize_t h = http_parse_response(&c->resp_p, c->rbuf, c->rlen, &c->resp, c->rhdrs,
							c->sh->set.lim.max_headers, &c->sh->set.lim, &err);
			if (h == SK_AGAIN)
				continue;
			if (h < 0) {
				fail_upstream(c, 502, err.rule ? err.rule : "malformed upstream response");
				return;
			}
			if (c->resp.status >= 100 && c->resp.status < 200 && c->resp.status != 101) {
				/* Interim responses are not relayed; the final one follows. */
				memmove(c->rbuf, c->rbuf + h, c->rlen - (size_t)h);
				c->rlen -= (size_t)h;
				memset(&c->resp_p, 0, sizeof(c->resp_p));
				continue;
			}
			response_head_done(c);
			used = (size_t)h;
			if (c->resp.status == 101) {
				/* Switch to a tunnel: whatever followed goes to the client. */
				buf_append(&c->out, c->rbuf + used, c->rlen - used);
				c->rlen = 0;
				c->state = CS_TUNNEL;
				flush_out(c);
				watch_client(c, EV_READ);
				ev_mod(c->w->loop, u->fd, EV_READ);
				set_deadline(c, c->sh->set.keepalive_timeout_ms);
				return;
			}
			c->state = CS_RELAY;
		}
		if (used < c->rlen) {
			ssize_t k = relay_body(c, c->rbuf + used, c->rlen - used);
			if (k < 0) {
				fail_upstream(c, 502, "malformed upstream response body");
				return;
			}
			used += (size_t)k;
		} else if (c->resp_body.mode == BF_NONE || (c->resp_body.mode == BF_LENGTH && !c->resp_body.remaining)) {
			c->resp_body.done = true;
		}
		/* Bytes past the end of the response would be a broken upstream. */
		if (c->resp_body.done && used < c->rlen)
			c->resp.keep_alive = false;
		c->rlen = 0;
		if (c->resp_body.done) {
			flush_out(c);
			return;
		}
	}
	if (c->state == CS_RELAY)
		flush_out(c);
}

static void upstream_io(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)loop;
	(void)fd;
	upconn *u = ud;
	conn *c = u->owner;
	if (!c) {
		/* Idle pooled connection became readable: closed by the upstream. */
		upstream_release(u, false);
		return;
	}
	if (c->state == CS_TUNNEL) {
		tunnel_copy(c, false);
		return;
	}
	if (!u->connected) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			fail_upstream(c, 502, "cannot connect to the upstream");
			return;
		}
		u->connected = true;
		set_deadline(c, c->sh->set.response_timeout_ms);
	}
	if ((events & EV_WRITE) && c->upreq_sent < c->upreq.len) {
		send_upstream(c);
		return;
	}
	if (events & (EV_READ | EV_ERROR))
		read_upstream(c);
	else if (c->upreq_sent >= c->upreq.len)
		send_upstream(c);
}

/* ---- timeouts ---- */

void conn_sweep(worker *w)
{
	uint64_t now = ev_now(w->loop);
	conn *c = w->conns;
	while (c) {
		conn *next = c->next;
		if (c->deadline && now >= c->deadline && c->state == CS_DELAY) {
			c->deadline = 0;
			delay_done(c);
		} else if (c->deadline && now >= c->deadline) {
			atomic_fetch_add(&w->px->stats.timeouts, 1);
			switch (c->state) {
			case CS_HEAD:
				if (c->in_len && c->out.len == 0) {
					c->status = 408;
					respond_simple(c, 408, "Request Timeout", "request head not received in time", true);
				} else {
					conn_close(c);
				}
				break;
			case CS_STREAM_REQ:
				conn_close(c);
				break;
			case CS_BODY:
				{
					c->status = 408;
					respond_simple(c, 408, "Request Timeout", "request body not received in time", true);
				}
				break;
			case CS_UPSTREAM:
				fail_upstream(c, 504, c->up && c->up->connected ? "upstream response timeout"
										 : "upstream connect timeout");
				break;
			default:
				conn_close(c);
				break;
			}
		}
		c = next;
	}
}
