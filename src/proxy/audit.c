/* audit.c - the proxy's audit log: one event per blocked or flagged request
 * (and per request when the access log is on), in the one event schema of
 * lib/event. The details carry the verdict and the full request header set,
 * because attacks hide in headers access logs never record (CVE-2017-5638
 * sat in Content-Type). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "proxy.h"
#include "sekisho/event.h"

/* Request events per worker per second. Past it, events are counted, not
 * written, and one summary per second says how many were suppressed: a
 * flood of attacks (850,000 blocked requests a minute measured on one core)
 * must not turn into a gigabyte of log a minute. Blocking is unaffected. */
#define AUDIT_EVENTS_PER_SECOND 200

/* Header values above this are cut in the log: enough to see an attack,
 * bounded so one request cannot flood the log. */
#define AUDIT_VALUE_MAX 4096
#define AUDIT_DETAILS_MAX (192u * 1024)

static sk_slice capped(sk_slice s)
{
	if (s.len > AUDIT_VALUE_MAX)
		s.len = AUDIT_VALUE_MAX;
	return s;
}

static sk_severity severity_of(const char *kind)
{
	if (strcmp(kind, "block") == 0)
		return SK_SEV_HIGH;
	if (strcmp(kind, "flag") == 0 || strcmp(kind, "banned") == 0 || strncmp(kind, "login_", 6) == 0)
		return SK_SEV_MEDIUM;
	/* the TOTP gate and the password policy (gate.c, password.c) */
	if (strcmp(kind, "totp_error") == 0)
		return SK_SEV_HIGH;
	if (strcmp(kind, "totp_failure") == 0 || strcmp(kind, "totp_lockout") == 0 ||
	    strcmp(kind, "totp_session_refused") == 0 || strcmp(kind, "password_refused") == 0)
		return SK_SEV_MEDIUM;
	return SK_SEV_INFO;
}

static void emit(worker *w, const sk_event *ev)
{
	sk_buf line;
	buf_init(&line, SK_EVENT_LINE_MAX);
	if (event_encode(ev, &line))
		events_emit(w->px->events, line.p, line.len);
	buf_free(&line);
}

static void emit(worker *w, const sk_event *ev);

/* True if this request's event may be written now. Also called from the
 * worker's tick with count = false, so a summary of suppressed events is
 * written even when this worker sees no further request. */
static bool audit_budget_at(worker *w, bool count)
{
	uint64_t second = ev_now(w->loop) / 1000u;
	if (second != w->audit_second) {
		if (w->audit_suppressed) {
			char details[128];
			snprintf(details, sizeof(details), "{\"suppressed\":%llu,\"limit_per_second\":%d}",
				 (unsigned long long)w->audit_suppressed, AUDIT_EVENTS_PER_SECOND);
			sk_event ev;
			memset(&ev, 0, sizeof(ev));
			clock_gettime(CLOCK_REALTIME, &ev.time);
			ev.part = "proxy";
			ev.kind = "events_suppressed";
			ev.severity = SK_SEV_MEDIUM;
			ev.details_json = sk_slice_make(details, strlen(details));
			emit(w, &ev);
		}
		w->audit_second = second;
		w->audit_in_second = 0;
		w->audit_suppressed = 0;
	}
	if (!count)
		return true;
	if (w->audit_in_second >= AUDIT_EVENTS_PER_SECOND) {
		w->audit_suppressed++;
		return false;
	}
	w->audit_in_second++;
	return true;
}

static bool audit_budget(worker *w)
{
	return audit_budget_at(w, true);
}

void audit_tick(worker *w)
{
	if (w->audit_suppressed)
		audit_budget_at(w, false);
}

void audit_request(conn *c, const char *kind)
{
	if (!audit_budget(c->w))
		return;
	sk_buf d;
	buf_init(&d, AUDIT_DETAILS_MAX);
	buf_printf(&d, "{\"peer\":\"%s\",\"status\":%d,\"duration_ms\":%llu,\"verdict\":", c->peer_text, c->status,
		   (unsigned long long)(ev_now(c->w->loop) - c->t_start));
	verdict_json(&d, &c->v);
	if (c->guard_note[0]) {
		buf_puts(&d, ",\"guard\":");
		buf_json_str(&d, sk_slice_make(c->guard_note, strlen(c->guard_note)));
	}
	buf_puts(&d, ",\"headers\":[");
	for (size_t i = 0; i < c->req.nheaders; i++) {
		buf_puts(&d, i ? ",[" : "[");
		buf_json_str(&d, capped(c->req.headers[i].name));
		buf_puts(&d, ",");
		buf_json_str(&d, capped(c->req.headers[i].value));
		buf_puts(&d, "]");
	}
	buf_printf(&d, "],\"body_bytes\":%zu}",
		   c->req.chunked ? c->body.len : (size_t)(c->req.has_content_length ? c->req.content_length : 0));

	sk_event ev;
	memset(&ev, 0, sizeof(ev));
	clock_gettime(CLOCK_REALTIME, &ev.time);
	ev.part = "proxy";
	ev.kind = kind;
	ev.severity = severity_of(kind);
	ev.src = sk_slice_make(c->client_text[0] ? c->client_text : c->peer_text,
			       strlen(c->client_text[0] ? c->client_text : c->peer_text));
	ev.request_id = sk_slice_make(c->request_id, strlen(c->request_id));
	ev.host = capped(c->req.host);
	ev.method = capped(c->req.method);
	ev.uri = capped(c->req.target);
	/* An overflowing details object is left out; the event itself stays. */
	ev.details_json = d.overflow ? SK_SLICE_NULL : sk_slice_make(d.p, d.len);
	emit(c->w, &ev);
	buf_free(&d);
}

void audit_event(worker *w, const char *kind, const char *severity, const char *details_json)
{
	sk_event ev;
	memset(&ev, 0, sizeof(ev));
	clock_gettime(CLOCK_REALTIME, &ev.time);
	ev.part = "proxy";
	ev.kind = kind;
	if (!event_severity_parse(sk_slice_make(severity, strlen(severity)), &ev.severity))
		ev.severity = SK_SEV_INFO;
	if (details_json)
		ev.details_json = sk_slice_make(details_json, strlen(details_json));
	emit(w, &ev);
}

void audit_access(worker *w, conn *c, const char *addr_text, const access_result *res, const char *stage)
{
	if (!audit_budget(w))
		return;
	char rule[384], cc[3];
	access_describe(res, rule, sizeof(rule));
	country_format(res->country, cc);
	sk_buf d;
	buf_init(&d, 2048);
	buf_puts(&d, "{\"rule\":");
	buf_json_str(&d, sk_slice_make(rule, strlen(rule)));
	buf_printf(&d, ",\"reason\":\"%s\",\"address\":", access_reason_name(res->reason));
	buf_json_str(&d, sk_slice_make(addr_text, strlen(addr_text)));
	if (res->country)
		buf_printf(&d, ",\"country\":\"%s\"", cc);
	else
		buf_puts(&d, ",\"country\":null");
	buf_printf(&d, ",\"stage\":\"%s\"", stage);
	if (c)
		buf_printf(&d, ",\"peer\":\"%s\",\"status\":%d", c->peer_text, c->status);
	buf_puts(&d, "}");

	sk_event ev;
	memset(&ev, 0, sizeof(ev));
	clock_gettime(CLOCK_REALTIME, &ev.time);
	ev.part = "proxy";
	ev.kind = "access_denied";
	ev.severity = SK_SEV_MEDIUM;
	ev.src = sk_slice_make(addr_text, strlen(addr_text));
	if (c) {
		ev.request_id = sk_slice_make(c->request_id, strlen(c->request_id));
		ev.host = capped(c->req.host);
		ev.method = capped(c->req.method);
		ev.uri = capped(c->req.target);
	}
	ev.details_json = d.overflow ? SK_SLICE_NULL : sk_slice_make(d.p, d.len);
	emit(w, &ev);
	buf_free(&d);
}
