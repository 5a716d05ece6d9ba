/* admin.c - the admin listener: GET /healthz and GET /metrics (Prometheus
 * text format). It runs in worker 0's event loop; each admin connection is
 * tiny and short-lived, answered once and closed. Bind it to loopback (the
 * default, admin.listen: 127.0.0.1:9090): it has no authentication. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "proxy.h"
#include "sekisho/detectors.h"

#define ADMIN_MAX_REQUEST 4096

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
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help,
			   counters[i].name, counters[i].name, (unsigned long long)atomic_load(counters[i].v));
	buf_printf(o, "# HELP sekisho_open_connections Client connections open now.\n"
		      "# TYPE sekisho_open_connections gauge\nsekisho_open_connections %lld\n",
		   (long long)atomic_load(&st->open_conns));
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

struct admin_conn {
	int fd;
	size_t len;
	char buf[ADMIN_MAX_REQUEST];
	proxy *px;
	ev_loop *loop;
};

static void admin_finish(struct admin_conn *a)
{
	ev_del(a->loop, a->fd);
	close(a->fd);
	free(a);
}

static void admin_respond(struct admin_conn *a)
{
	sk_buf body, out;
	buf_init(&body, 1u << 20);
	buf_init(&out, 1u << 20);
	int status = 200;
	const char *ctype = "text/plain; charset=utf-8";
	if (strncmp(a->buf, "GET /healthz ", 13) == 0) {
		buf_puts(&body, a->px->draining ? "draining\n" : "ok\n");
		if (a->px->draining)
			status = 503;
	} else if (strncmp(a->buf, "GET /metrics ", 13) == 0) {
		ctype = "text/plain; version=0.0.4";
		metrics(a->px, &body);
	} else {
		status = 404;
		buf_puts(&body, "not found: GET /healthz or GET /metrics\n");
	}
	buf_printf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		   status, status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "Not Found", ctype, body.len);
	buf_append(&out, body.p, body.len);
	/* Small answers to local scrapers: one blocking-free attempt, then close. */
	(void)!send(a->fd, out.p, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_free(&body);
	buf_free(&out);
	admin_finish(a);
}

static void admin_conn_io(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)loop;
	(void)fd;
	(void)events;
	struct admin_conn *a = ud;
	ssize_t n = recv(a->fd, a->buf + a->len, sizeof(a->buf) - 1 - a->len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		admin_finish(a);
		return;
	}
	a->len += (size_t)n;
	a->buf[a->len] = '\0';
	if (strstr(a->buf, "\r\n\r\n") || a->len == sizeof(a->buf) - 1)
		admin_respond(a);
}

static void admin_accept(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)events;
	proxy *px = ud;
	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct admin_conn *a = calloc(1, sizeof(*a));
		if (!a || ev_add(loop, cfd, EV_READ, admin_conn_io, a) != 0) {
			free(a);
			close(cfd);
			continue;
		}
		a->fd = cfd;
		a->px = px;
		a->loop = loop;
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
	if (px->admin_fd >= 0)
		close(px->admin_fd);
	px->admin_fd = -1;
}
