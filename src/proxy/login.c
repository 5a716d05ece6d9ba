/* login.c - login protection in the proxy: the policy of lib/guard/login.c
 * applied to live requests. Before forwarding, one state batch (one round
 * trip with Redis) counts the attempt and decides: pass, delay, refuse
 * (locked account) or ban. After the response head (or body, when only the
 * body tells), a success or an unknown outcome is recorded with a second
 * batch; a failure needs none (include/sekisho/login.h says why). */
#include "login.h"

#include <stdio.h>
#include <string.h>

#include "guard.h"

static void note(conn *c, const login_decision *d)
{
	snprintf(c->guard_note, sizeof(c->guard_note),
		 "login %s%.64s: failures source=%llu account=%llu source+account=%llu net=%llu; accounts from "
		 "source=%llu, sources of account=%llu; known source=%s; last minute %llu attempts %llu failed "
		 "(%u%%, baseline %u%%)%s",
		 c->login->user_len ? "of " : "", c->login->user_len ? c->login->user : "(no user name)",
		 (unsigned long long)d->fail_ip, (unsigned long long)d->fail_user,
		 (unsigned long long)d->fail_pair, (unsigned long long)d->fail_net,
		 (unsigned long long)d->accounts_of_ip, (unsigned long long)d->sources_of_user,
		 d->known ? "yes" : "no", (unsigned long long)d->attempts_minute, (unsigned long long)d->failures_minute,
		 d->percent_minute, d->baseline_percent, d->wave ? "; stuffing wave" : "");
	if (d->why) {
		size_t l = strlen(c->guard_note);
		snprintf(c->guard_note + l, sizeof(c->guard_note) - l, " -> %s", d->why);
	}
}

/* The wave is global: say when it starts and ends, once each. */
static void wave_transition(conn *c, const login_decision *d)
{
	proxy *px = c->w->px;
	int was = atomic_exchange(&px->stats.login_wave, d->wave ? 1 : 0);
	if (was == (d->wave ? 1 : 0))
		return;
	char details[256];
	snprintf(details, sizeof(details),
		 "{\"state\":\"%s\",\"attempts_last_minute\":%llu,\"failures_last_minute\":%llu,"
		 "\"failure_percent\":%u,\"baseline_percent\":%u}",
		 d->wave ? "start" : "end", (unsigned long long)d->attempts_minute,
		 (unsigned long long)d->failures_minute, d->percent_minute, d->baseline_percent);
	audit_event(c->w, "stuffing_wave", d->wave ? "high" : "info", details);
}

int login_check(conn *c, const http_view *view, sk_slice body)
{
	const proxy_settings *s = &c->sh->set;
	const login_endpoint *ep = login_match(s->logins, s->nlogins, c->req.method, view->path_normalised);
	if (!ep)
		return LOGIN_CHECK_FORWARD;
	proxy *px = c->w->px;
	login_attempt *la = arena_alloc(c->a, sizeof(*la));
	if (!la)
		return LOGIN_CHECK_FORWARD; /* the arena is full: forward uncounted rather than fail */
	sk_slice user = SK_SLICE_NULL;
	login_username(view, ep, &user);
	login_plan_check(la, &s->login, &c->client, user);
	state_batch(px->state, la->ops, la->nops, guard_now_ms());
	login_decision d;
	login_decide(la, &s->login, &d);
	c->login_ep = ep;
	c->login = la;
	atomic_fetch_add(&px->stats.login_attempts, 1);
	wave_transition(c, &d);
	for (size_t i = 0; i < d.nbans; i++)
		guard_ban_set(px, d.bans[i].key, d.bans[i].ttl_ms, d.bans[i].reason, "login");
	if (d.action != LOGIN_PASS || d.nbans)
		note(c, &d);

	char hdr[64];
	switch (d.action) {
	case LOGIN_PASS:
		return LOGIN_CHECK_FORWARD;
	case LOGIN_DELAY:
		atomic_fetch_add(&px->stats.login_delayed, 1);
		audit_request(c, "login_delayed");
		c->delayed_body = body;
		login_delay_start(c, d.delay_ms);
		return LOGIN_CHECK_HELD;
	case LOGIN_LOCKED: {
		atomic_fetch_add(&px->stats.login_locked, 1);
		uint32_t left = la->ops[LOGIN_OP_LOCK].rc == STATE_OK ? la->ops[LOGIN_OP_LOCK].ttl_left_ms
								      : s->login.lock_ttl_ms;
		snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", (left + 999) / 1000);
		c->status = s->login_status;
		c->login_recorded = true; /* refused here: the upstream never judged it */
		audit_request(c, "login_locked");
		respond_page(c, s->login_status, "Too Many Requests",
			     "Too many failed logins for this account. Try again later.", hdr, false);
		return LOGIN_CHECK_ANSWERED;
	}
	case LOGIN_BANNED:
		atomic_fetch_add(&px->stats.login_banned, 1);
		snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", (s->login.ban_ttl_ms + 999) / 1000);
		c->status = 403;
		c->login_recorded = true;
		audit_request(c, "login_banned");
		respond_page(c, 403, "Forbidden", "Your address is temporarily blocked. Try again later.", hdr, false);
		return LOGIN_CHECK_ANSWERED;
	}
	return LOGIN_CHECK_FORWARD;
}

static void record(conn *c, login_outcome out)
{
	if (c->login_recorded || !c->login)
		return;
	c->login_recorded = true;
	proxy *px = c->w->px;
	if (out == LOGIN_OUTCOME_FAILURE) {
		/* Already counted as an attempt: nothing to send. */
		atomic_fetch_add(&px->stats.login_failures, 1);
		return;
	}
	if (out == LOGIN_OUTCOME_SUCCESS)
		atomic_fetch_add(&px->stats.login_successes, 1);
	login_plan_record(c->login, &c->sh->set.login, out == LOGIN_OUTCOME_SUCCESS);
	state_batch(px->state, c->login->ops, c->login->nops, guard_now_ms());
}

void login_response_head(conn *c)
{
	if (!c->login || c->login_recorded)
		return;
	bool need_body = false;
	login_outcome out = login_outcome_head(c->login_ep, c->resp.status, c->resp.headers, c->resp.nheaders,
					       &need_body);
	if (need_body) {
		c->login_marker = arena_alloc(c->a, sizeof(*c->login_marker));
		if (c->login_marker) {
			login_marker_init(c->login_marker, c->login_ep->fail_body);
			return;
		}
		out = LOGIN_OUTCOME_UNKNOWN;
	}
	record(c, out);
}

void login_response_body(conn *c, const char *p, size_t n)
{
	if (c->login_marker && !c->login_recorded)
		login_marker_feed(c->login_marker, p, n);
}

void login_exchange_done(conn *c)
{
	if (!c->login || c->login_recorded)
		return;
	if (c->login_marker && c->status < 500)
		record(c, login_outcome_body(c->login_marker));
	else
		record(c, LOGIN_OUTCOME_UNKNOWN); /* no response from the upstream: our own 502/504 */
}
