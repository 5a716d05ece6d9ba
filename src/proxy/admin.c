/* admin.c - the admin listener: GET /healthz, GET /metrics (Prometheus
 * text format) and the ban API (admin_bans.c). It runs in worker 0's event
 * loop; each admin connection is tiny and short-lived, answered once and
 * closed. Bind it to loopback (the default, admin.listen: 127.0.0.1:9090):
 * health and metrics have no authentication; the ban API takes
 * admin.token, or loopback peers only when no token is set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "events.h"
#include "proxy.h"
#include "sekisho/state.h"
#include "sekisho/detectors.h"

static const unsigned latency_le_ms[LATENCY_BUCKETS] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000 };

void stats_latency(proxy_stats *st, uint64_t us)
{
	size_t i = 0;
	while (i < LATENCY_BUCKETS && us > (uint64_t)latency_le_ms[i] * 1000u)
		i++;
	atomic_fetch_add(&st->latency[i], 1);
	atomic_fetch_add(&st->latency_sum_us, us);
	atomic_fetch_add(&st->latency_count, 1);
}

void stats_count_block(proxy_stats *st, const verdict *v)
{
	for (size_t m = 0; m < v->nmatches; m++) {
		const char *d = v->matches[m].detector;
		size_t idx = STATS_DETECTORS;
		if (strcmp(d, "protocol") == 0)
			idx = STATS_DETECTORS - 2;
		else if (strcmp(d, "rule") == 0)
			idx = STATS_DETECTORS - 1;
		else
			for (size_t i = 0; i < STATS_DETECTORS - 2 && detector_table[i].name; i++)
				if (strcmp(detector_table[i].name, d) == 0)
					idx = i;
		if (idx < STATS_DETECTORS)
			atomic_fetch_add(&st->blocks_by[idx], 1);
	}
}

static void metrics(proxy *px, sk_buf *o)
{
	proxy_stats *st = &px->stats;
	struct {
		const char *name, *help;
		atomic_ullong *v;
	} counters[] = {
		{ "sekisho_requests_total", "Requests inspected.", &st->requests },
		{ "sekisho_blocked_total", "Requests blocked by the engine.", &st->blocked },
		{ "sekisho_flagged_total", "Requests passed with findings (monitor mode or below the threshold).", &st->flagged },
		{ "sekisho_passed_total", "Requests forwarded to the upstream.", &st->passed },
		{ "sekisho_bad_requests_total", "Requests refused as malformed HTTP.", &st->bad_requests },
		{ "sekisho_upstream_errors_total", "Upstream connect, read or protocol errors.", &st->upstream_errors },
		{ "sekisho_timeouts_total", "Connections cut by a timeout.", &st->timeouts },
		{ "sekisho_bans_total", "Bans set by this proxy (login protection and the admin API).", &st->bans_set },
		{ "sekisho_banned_requests_total", "Requests refused because the source is banned.", &st->banned_refused },
		{ "sekisho_login_attempts_total", "Login attempts seen (login.endpoints).", &st->login_attempts },
		{ "sekisho_login_failures_total", "Login attempts the upstream answered as failed.", &st->login_failures },
		{ "sekisho_login_successes_total", "Login attempts the upstream answered as successful.", &st->login_successes },
		{ "sekisho_login_delayed_total", "Login attempts held back by a progressive or wave delay.", &st->login_delayed },
		{ "sekisho_login_locked_total", "Login attempts refused because the account is locked against new sources.", &st->login_locked },
		{ "sekisho_login_banned_total", "Login attempts that got their source banned.", &st->login_banned },
		{ "sekisho_state_outages_total", "Times the shared state (Redis) became unreachable.", &st->state_outages },
		{ "sekisho_totp_success_total", "Correct codes at the TOTP gate (a session cookie set).", &st->totp_success },
		{ "sekisho_totp_failure_total", "Wrong, replayed or unchecked codes at the TOTP gate.", &st->totp_failure },
		{ "sekisho_totp_lockout_total", "Code attempts refused with 429 (max_attempts reached).", &st->totp_lockout },
		{ "sekisho_password_refused_total", "New passwords refused by the password policy.", &st->password_refused },
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help,
			   counters[i].name, counters[i].name, (unsigned long long)atomic_load(counters[i].v));
	buf_printf(o, "# HELP sekisho_open_connections Client connections open now.\n"
		      "# TYPE sekisho_open_connections gauge\nsekisho_open_connections %lld\n",
		   (long long)atomic_load(&st->open_conns));
	buf_printf(o, "# HELP sekisho_login_wave 1 while a credential-stuffing wave is declared.\n"
		      "# TYPE sekisho_login_wave gauge\nsekisho_login_wave %d\n",
		   atomic_load(&st->login_wave));
	buf_printf(o, "# HELP sekisho_state_degraded 1 while Redis is unreachable and in-process state serves.\n"
		      "# TYPE sekisho_state_degraded gauge\nsekisho_state_degraded %d\n",
		   atomic_load(&st->state_degraded));
	if (px->state) {
		state_stats ss;
		state_get_stats(px->state, &ss);
		buf_printf(o, "# HELP sekisho_state_round_trips_total Round trips to the shared state backend.\n"
			      "# TYPE sekisho_state_round_trips_total counter\nsekisho_state_round_trips_total %llu\n"
			      "# HELP sekisho_state_ops_total Counter and ban operations.\n"
			      "# TYPE sekisho_state_ops_total counter\nsekisho_state_ops_total %llu\n",
			   (unsigned long long)ss.round_trips, (unsigned long long)ss.ops);
	}
	buf_printf(o, "# HELP sekisho_events_dropped_total Events dropped because the sink was backed up.\n"
		      "# TYPE sekisho_events_dropped_total counter\nsekisho_events_dropped_total %llu\n",
		   (unsigned long long)events_dropped(px->events));
	buf_puts(o, "# HELP sekisho_block_matches_total Matches in blocked requests, by detector.\n"
		    "# TYPE sekisho_block_matches_total counter\n");
	for (size_t i = 0; i < STATS_DETECTORS; i++) {
		const char *name = i == STATS_DETECTORS - 2 ? "protocol" : i == STATS_DETECTORS - 1 ? "rule" : NULL;
		if (!name) {
			size_t n = 0;
			while (detector_table[n].name)
				n++;
			if (i >= n)
				continue;
			name = detector_table[i].name;
		}
		buf_printf(o, "sekisho_block_matches_total{detector=\"%s\"} %llu\n", name,
			   (unsigned long long)atomic_load(&st->blocks_by[i]));
	}
	access_metrics(px, o);
	buf_puts(o, "# HELP sekisho_request_duration_seconds Time from the first request byte to the end of the "
		    "response.\n# TYPE sekisho_request_duration_seconds histogram\n");
	unsigned long long cum = 0;
	for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
		cum += atomic_load(&st->latency[i]);
		buf_printf(o, "sekisho_request_duration_seconds_bucket{le=\"%g\"} %llu\n", latency_le_ms[i] / 1000.0,
			   cum);
	}
	cum += atomic_load(&st->latency[LATENCY_BUCKETS]);
	buf_printf(o, "sekisho_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	buf_printf(o, "sekisho_request_duration_seconds_sum %.6f\nsekisho_request_duration_seconds_count %llu\n",
		   (double)atomic_load(&st->latency_sum_us) / 1e6, (unsigned long long)atomic_load(&st->latency_count));
}

/* ---- the admin connection: one request, one answer, close ----
 *
 * The request is parsed by the same strict HTTP/1.1 parser as client
 * requests; the body (POST /bans) is read by Content-Length up to
 * ADMIN_MAX_BODY. Everything malformed is answered 400 and closed.
 * Connections are few and local, but still bounded: ADMIN_MAX_CONNS open at
 * once (the oldest is closed for a new one) and ADMIN_TIMEOUT_MS to send
 * the request and take the answer, swept from worker 0's tick. */

static void admin_finish(struct admin_conn *a)
{
	proxy *px = a->px;
	if (a->prev)
		a->prev->next = a->next;
	else
		px->admin_conns = a->next;
	if (a->next)
		a->next->prev = a->prev;
	px->admin_nconns--;
	ev_del(a->loop, a->fd);
	close(a->fd);
	buf_free(&a->out);
	free(a);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Send what is left of a->out; close when all is sent or the peer is gone. */
static void admin_flush(struct admin_conn *a)
{
	while (a->sent < a->out.len) {
		ssize_t n = send(a->fd, a->out.p + a->sent, a->out.len - a->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_mod(a->loop, a->fd, EV_WRITE);
			return;
		}
		if (n <= 0)
			break;
		a->sent += (size_t)n;
	}
	admin_finish(a);
}

static void admin_send(struct admin_conn *a, admin_answer *ans)
{
	if (ans->body.overflow) {
		buf_reset(&ans->body);
		ans->body.overflow = false;
		ans->status = 500;
		ans->ctype = "application/json";
		buf_puts(&ans->body, "{\"error\":\"answer too large\"}\n");
	}
	buf_printf(&a->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sCache-Control: no-store\r\n"
			    "Connection: close\r\n\r\n",
		   ans->status, status_text(ans->status), ans->ctype, ans->body.len, ans->headers);
	buf_append(&a->out, ans->body.p, ans->body.len);
	a->answered = true;
	ev_mod(a->loop, a->fd, 0);
	admin_flush(a);
}

/* An error answer as JSON: {"error": why}. */
void admin_error(admin_answer *ans, int status, const char *why)
{
	buf_reset(&ans->body);
	ans->status = status;
	ans->ctype = "application/json";
	buf_puts(&ans->body, "{\"error\":");
	buf_json_str(&ans->body, sk_slice_make(why, strlen(why)));
	buf_puts(&ans->body, "}\n");
}

static void admin_route(struct admin_conn *a)
{
	admin_answer ans;
	memset(&ans, 0, sizeof(ans));
	buf_init(&ans.body, ADMIN_MAX_ANSWER);
	ans.status = 200;
	ans.ctype = "text/plain; charset=utf-8";
	const http_request *rq = &a->req;
	sk_slice body = sk_slice_make(a->buf + rq->head_len, a->need - rq->head_len);
	bool get = sk_slice_eq(rq->method, SK_LIT("GET")) || sk_slice_eq(rq->method, SK_LIT("HEAD"));
	if (sk_slice_eq(rq->path, SK_LIT("/healthz")) && get) {
		buf_puts(&ans.body, a->px->draining ? "draining\n" : "ok\n");
		if (a->px->draining)
			ans.status = 503;
	} else if (sk_slice_eq(rq->path, SK_LIT("/metrics")) && get) {
		ans.ctype = "text/plain; version=0.0.4";
		metrics(a->px, &ans.body);
	} else if (sk_slice_eq(rq->path, SK_LIT("/healthz")) || sk_slice_eq(rq->path, SK_LIT("/metrics"))) {
		admin_error(&ans, 405, "only GET");
		snprintf(ans.headers, sizeof(ans.headers), "Allow: GET, HEAD\r\n");
	} else if (!admin_bans(a->px, rq, body, &a->peer, &ans)) {
		admin_error(&ans, 404, "not found: GET /healthz, GET /metrics, GET|POST /bans, DELETE /bans/KEY, "
				       "POST /bans/delete");
	}
	if (sk_slice_eq(rq->method, SK_LIT("HEAD")))
		buf_reset(&ans.body); /* the head only (Content-Length: 0) */
	admin_send(a, &ans);
	buf_free(&ans.body);
}

static void admin_refuse(struct admin_conn *a, int status, const char *why)
{
	admin_answer ans;
	memset(&ans, 0, sizeof(ans));
	buf_init(&ans.body, 4096);
	admin_error(&ans, status, why);
	admin_send(a, &ans);
	buf_free(&ans.body);
}

/* Returns true when the connection was answered (and maybe closed). */
static bool admin_parse(struct admin_conn *a)
{
	if (!a->head_done) {
		http_limits lim;
		http_limits_default(&lim);
		lim.max_head = ADMIN_MAX_HEAD;
		lim.max_request_line = ADMIN_MAX_HEAD;
		lim.max_header_line = ADMIN_MAX_HEAD;
		lim.max_headers = ADMIN_MAX_HEADERS;
		sk_error err;
		memset(&err, 0, sizeof(err));
		ssize_t r = http_parse_request(&a->rp, a->buf, a->len, &a->req, a->hdrs, ADMIN_MAX_HEADERS, &lim, &err);
		if (r == SK_AGAIN) {
			if (a->len >= ADMIN_MAX_HEAD) {
				admin_refuse(a, 431, "request head too large");
				return true;
			}
			return false;
		}
		if (r < 0) {
			admin_refuse(a, err.status == 431 ? 431 : 400, err.rule ? err.rule : "malformed request");
			return true;
		}
		if (a->req.chunked) {
			admin_refuse(a, 411, "send the body with Content-Length");
			return true;
		}
		if (a->req.content_length > ADMIN_MAX_BODY) {
			admin_refuse(a, 413, "request body too large (4096 bytes at most)");
			return true;
		}
		a->head_done = true;
		a->need = a->req.head_len + (size_t)a->req.content_length;
		if (a->req.expect_continue && a->len < a->need)
			(void)!send(a->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (a->len < a->need)
		return false;
	admin_route(a);
	return true;
}

static void admin_conn_io(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)loop;
	(void)fd;
	struct admin_conn *a = ud;
	if (a->answered) {
		if (events & EV_ERROR)
			admin_finish(a);
		else
			admin_flush(a);
		return;
	}
	size_t room = (a->head_done ? a->need : ADMIN_MAX_HEAD) - a->len;
	if (room == 0) {
		/* Only reachable with a complete message: parse decided already. */
		admin_finish(a);
		return;
	}
	ssize_t n = recv(a->fd, a->buf + a->len, room, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		admin_finish(a);
		return;
	}
	a->len += (size_t)n;
	admin_parse(a);
}

static bool is_loopback(const sk_addr *p)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t one[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	return (memcmp(p->b, mapped, 12) == 0 && p->b[12] == 127) || memcmp(p->b, one, 16) == 0;
}

static void admin_accept(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)events;
	proxy *px = ud;
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int cfd = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		/* Full: the oldest connection (the list's tail) makes room. */
		if (px->admin_nconns >= ADMIN_MAX_CONNS) {
			struct admin_conn *old = px->admin_conns;
			while (old && old->next)
				old = old->next;
			if (old)
				admin_finish(old);
		}
		struct admin_conn *a = calloc(1, sizeof(*a));
		if (!a || ev_add(loop, cfd, EV_READ, admin_conn_io, a) != 0) {
			free(a);
			close(cfd);
			continue;
		}
		a->fd = cfd;
		a->px = px;
		a->loop = loop;
		char text[48];
		net_peer(&sa, &a->peer.addr, text, sizeof(text));
		a->peer.loopback = is_loopback(&a->peer.addr);
		a->deadline = ev_now(loop) + ADMIN_TIMEOUT_MS;
		buf_init(&a->out, ADMIN_MAX_ANSWER + 1024);
		a->next = px->admin_conns;
		if (a->next)
			a->next->prev = a;
		px->admin_conns = a;
		px->admin_nconns++;
	}
}

void admin_tick(worker *w)
{
	if (w->id != 0)
		return;
	uint64_t now = ev_now(w->loop);
	struct admin_conn *a = w->px->admin_conns;
	while (a) {
		struct admin_conn *next = a->next;
		if (now >= a->deadline)
			admin_finish(a);
		a = next;
	}
}

int admin_listen(proxy *px, char *errbuf, size_t errlen)
{
	proxy_shared *sh = atomic_load(&px->shared);
	px->admin_fd = -1;
	if (!sh->set.admin_enabled)
		return 0;
	px->admin_fd = net_listen(&sh->set.admin, false, 64, errbuf, errlen);
	return px->admin_fd < 0 ? -1 : 0;
}

void admin_attach(worker *w)
{
	if (w->id == 0 && w->px->admin_fd >= 0)
		ev_add(w->loop, w->px->admin_fd, EV_READ, admin_accept, w->px);
}

void admin_close(proxy *px)
{
	/* The loops are gone by now: close without ev_del. */
	while (px->admin_conns) {
		struct admin_conn *a = px->admin_conns;
		px->admin_conns = a->next;
		close(a->fd);
		buf_free(&a->out);
		free(a);
	}
	px->admin_nconns = 0;
	if (px->admin_fd >= 0)
		close(px->admin_fd);
	px->admin_fd = -1;
}
