/* fuzz_login.c - the login policy (lib/guard/login.c). The first byte picks
 * what the rest drives:
 *   0  login_normalise_user: bounded, no upper case, control bytes or
 *      edge spaces left, idempotent;
 *   1  the body marker in random chunks against memmem on the scanned part;
 *   2  login_outcome_head on a parsed response head with a fuzzed endpoint;
 *   3  plan/decide with fuzzed policy, address, user and op results, then
 *      the record plan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/login.h"

typedef struct rd {
	const uint8_t *p;
	size_t n;
} rd;

static uint64_t take(rd *r, size_t bytes)
{
	uint64_t v = 0;
	for (size_t i = 0; i < bytes && r->n; i++, r->p++, r->n--)
		v = v << 8 | *r->p;
	return v;
}

/* A NUL-terminated string of up to cap-1 bytes: a length byte, then bytes
 * (NUL bytes end it early, as in a config string). */
static void take_str(rd *r, char *out, size_t cap)
{
	size_t len = (size_t)take(r, 1) % cap;
	if (len > r->n)
		len = r->n;
	memcpy(out, r->p, len);
	out[len] = '\0';
	r->p += len;
	r->n -= len;
}

static void fuzz_normalise(rd *r)
{
	char out[LOGIN_USER_MAX], again[LOGIN_USER_MAX];
	size_t n = login_normalise_user(sk_slice_make((const char *)r->p, r->n), out);
	if (n > LOGIN_USER_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if ((c >= 'A' && c <= 'Z') || c < 0x20 || c == 0x7f)
			abort();
	}
	if (n && (out[0] == ' ' || out[n - 1] == ' '))
		abort();
	size_t m = login_normalise_user(sk_slice_make(out, n), again);
	if (m != n || memcmp(out, again, n) != 0)
		abort();
}

static void fuzz_marker(rd *r)
{
	char needle[LOGIN_MARKER_MAX];
	take_str(r, needle, sizeof(needle));
	uint64_t seed = take(r, 8) | 1;
	const char *body = (const char *)r->p;
	size_t len = r->n;
	login_marker m;
	login_marker_init(&m, needle);
	for (size_t at = 0; at < len;) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		size_t c = (size_t)(seed % 64);
		if (c > len - at)
			c = len - at;
		login_marker_feed(&m, body + at, c);
		at += c;
	}
	size_t nlen = strlen(needle), scan = len < LOGIN_BODY_SCAN_MAX ? len : LOGIN_BODY_SCAN_MAX;
	bool want = nlen && scan >= nlen && memmem(body, scan, needle, nlen) != NULL;
	if (m.found != want || m.scanned > LOGIN_BODY_SCAN_MAX)
		abort();
}

static void fuzz_outcome(rd *r)
{
	login_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	ep.fail_status = (int)(take(r, 2) % 700);
	take_str(r, ep.fail_location, sizeof(ep.fail_location));
	take_str(r, ep.fail_body, sizeof(ep.fail_body));
	take_str(r, ep.success_cookie, sizeof(ep.success_cookie));
	http_limits lim;
	http_limits_default(&lim);
	lim.max_head = 4096;
	lim.max_header_line = 512;
	http_header h[64];
	http_response resp;
	sk_error e = { 0 };
	http_req_parser st = { 0 };
	if (http_parse_response(&st, (const char *)r->p, r->n, &resp, h, 64, &lim, &e) <= 0)
		return;
	bool need = true;
	login_outcome o = login_outcome_head(&ep, resp.status, h, st.nheaders, &need);
	if (o != LOGIN_OUTCOME_UNKNOWN && o != LOGIN_OUTCOME_SUCCESS && o != LOGIN_OUTCOME_FAILURE)
		abort();
	if ((resp.status < 200 || resp.status >= 500) && (o != LOGIN_OUTCOME_UNKNOWN || need))
		abort();
	if (need && (!ep.fail_body[0] || o != LOGIN_OUTCOME_UNKNOWN))
		abort();
	if (o == LOGIN_OUTCOME_SUCCESS && resp.status >= 400)
		abort();
}

static void fuzz_policy(rd *r)
{
	login_policy p;
	login_policy_default(&p);
	uint32_t *f[] = { &p.window_ms, &p.delay_after, &p.pair_delay_after, &p.net_delay_after, &p.delay_base_ms,
			  &p.delay_max_ms, &p.ban_after, &p.ban_ttl_ms, &p.lock_after, &p.lock_ttl_ms,
			  &p.accounts_per_source, &p.sources_per_account, &p.wave_min_failures, &p.wave_percent,
			  &p.wave_factor, &p.wave_delay_ms, &p.known_window_ms };
	uint32_t which = (uint32_t)take(r, 3);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (which & (1u << i))
			*f[i] = (uint32_t)take(r, 4);
	sk_addr a;
	memset(&a, 0, sizeof(a));
	a.v4 = take(r, 1) & 1;
	for (size_t i = 0; i < 16; i++)
		a.b[i] = (uint8_t)take(r, 1);
	char user[LOGIN_USER_MAX * 2];
	size_t ulen = (size_t)take(r, 2) % sizeof(user);
	if (ulen > r->n)
		ulen = r->n;
	memcpy(user, r->p, ulen);
	r->p += ulen;
	r->n -= ulen;

	static login_attempt la;
	login_plan_check(&la, &p, &a, sk_slice_make(user, ulen));
	if (la.nops != LOGIN_OPS_CHECK || la.user_len > LOGIN_USER_MAX)
		abort();
	for (size_t i = 0; i < la.nops; i++)
		if (la.ops[i].key.len == 0 || la.ops[i].key.len > STATE_KEY_MAX)
			abort();
	static const int rcs[] = { STATE_OK, STATE_ENOENT, STATE_EUNAVAILABLE, STATE_OK };
	for (size_t i = 0; i < la.nops; i++) {
		uint8_t k = (uint8_t)take(r, 1);
		la.ops[i].rc = rcs[k & 3];
		/* small counts mostly, sometimes anything */
		la.ops[i].count = k & 4 ? take(r, 8) : take(r, 1);
		la.ops[i].ttl_left_ms = (uint32_t)take(r, 1) * 1000;
	}
	login_decision d;
	login_decide(&la, &p, &d);
	if (d.action > LOGIN_BANNED || d.nbans > 2 || d.percent_minute > 100 || d.baseline_percent > 100)
		abort();
	if (d.action == LOGIN_BANNED && (d.nbans < 1 || memcmp(d.bans[d.nbans - 1].key, "ip:", 3) != 0))
		abort();
	if (d.action == LOGIN_DELAY) {
		uint32_t most = p.delay_max_ms > p.wave_delay_ms ? p.delay_max_ms : p.wave_delay_ms;
		if (d.delay_ms > most)
			abort();
	}
	if (d.action != LOGIN_PASS && !d.why)
		abort();
	for (size_t i = 0; i < d.nbans; i++)
		if (d.bans[i].key_len >= sizeof(d.bans[i].key) || strlen(d.bans[i].reason) > STATE_REASON_MAX)
			abort();
	bool success = take(r, 1) & 1;
	login_plan_record(&la, &p, success);
	if (la.nops != (success ? 7u : 6u))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	rd r = { data + 1, size - 1 };
	switch (data[0] & 3) {
	case 0:
		fuzz_normalise(&r);
		break;
	case 1:
		fuzz_marker(&r);
		break;
	case 2:
		fuzz_outcome(&r);
		break;
	default:
		fuzz_policy(&r);
		break;
	}
	return 0;
}
