/* audit.c - the proxy's audit log: one JSON event per blocked or flagged
 * request (and per request when the access log is on), with the full
 * request header set, because attacks hide in headers that access logs
 * never record (CVE-2017-5638 sat in Content-Type). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "proxy.h"

/* Cap per event: a request with huge headers still gets one bounded line. */
#define AUDIT_MAX (256u * 1024)
#define AUDIT_VALUE_MAX 4096

static void json_time(sk_buf *o)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	buf_printf(o, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		   tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void json_capped(sk_buf *o, sk_slice s)
{
	if (s.len > AUDIT_VALUE_MAX)
		s.len = AUDIT_VALUE_MAX;
	buf_json_str(o, s);
}

void audit_request(conn *c, const char *kind)
{
	sk_buf o;
	buf_init(&o, AUDIT_MAX);
	const char *sev = strcmp(kind, "block") == 0 ? "high" : strcmp(kind, "flag") == 0 ? "medium" : "info";
	buf_puts(&o, "{\"time\":");
	json_time(&o);
	buf_printf(&o, ",\"part\":\"proxy\",\"kind\":\"%s\",\"severity\":\"%s\",\"src\":\"%s\",\"peer\":\"%s\","
		       "\"request_id\":\"%s\",\"method\":",
		   kind, sev, c->client_text[0] ? c->client_text : c->peer_text, c->peer_text, c->request_id);
	json_capped(&o, c->req.method);
	buf_puts(&o, ",\"uri\":");
	json_capped(&o, c->req.target);
	buf_puts(&o, ",\"host\":");
	json_capped(&o, c->req.host);
	buf_printf(&o, ",\"status\":%d,\"duration_ms\":%llu,\"verdict\":", c->status,
		   (unsigned long long)(ev_now(c->w->loop) - c->t_start));
	verdict_json(&o, &c->v);
	buf_puts(&o, ",\"headers\":[");
	for (size_t i = 0; i < c->req.nheaders; i++) {
		buf_puts(&o, i ? ",[" : "[");
		json_capped(&o, c->req.headers[i].name);
		buf_puts(&o, ",");
		json_capped(&o, c->req.headers[i].value);
		buf_puts(&o, "]");
	}
	buf_printf(&o, "],\"body_bytes\":%zu}\n",
		   c->req.chunked ? c->body.len : (size_t)(c->req.has_content_length ? c->req.content_length : 0));
	if (!o.overflow)
		events_emit(c->w->px->events, o.p, o.len);
	buf_free(&o);
}

void audit_event(worker *w, const char *kind, const char *severity, const char *details_json)
{
	sk_buf o;
	buf_init(&o, 16384);
	buf_puts(&o, "{\"time\":");
	json_time(&o);
	buf_printf(&o, ",\"part\":\"proxy\",\"kind\":\"%s\",\"severity\":\"%s\",\"details\":%s}\n", kind, severity,
		   details_json ? details_json : "{}");
	if (!o.overflow)
		events_emit(w->px->events, o.p, o.len);
	buf_free(&o);
}
