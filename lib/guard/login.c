/* login.c - login protection policy (include/sekisho/login.h says what and
 * why). Pure: plans state operations, reads their results, decides. */
#include "sekisho/login.h"

#include <stdio.h>
#include <string.h>

#define MINUTE_MS 60000u
#define HOUR_MS 3600000u
/* Below this many attempts in the rest of the hour the baseline is a guess. */
#define BASELINE_MIN_ATTEMPTS 20
#define BASELINE_DEFAULT_PERCENT 20
/* A wave never needs more than this ratio: a sustained 95% failure ratio
 * stays a wave even after it has become the hour's baseline. */
#define WAVE_PERCENT_CAP 90

void login_policy_default(login_policy *p)
{
	*p = (login_policy){
		.window_ms = 10 * MINUTE_MS,
		.delay_after = 5,
		.pair_delay_after = 3,
		.net_delay_after = 30,
		.delay_base_ms = 500,
		.delay_max_ms = 10000,
		.ban_after = 20,
		.ban_ttl_ms = 15 * MINUTE_MS,
		.lock_after = 10,
		.lock_ttl_ms = 15 * MINUTE_MS,
		.accounts_per_source = 10,
		.sources_per_account = 10,
		.wave_min_failures = 30,
		.wave_percent = 50,
		.wave_factor = 3,
		.wave_delay_ms = 2000,
		.known_window_ms = 7u * 24 * HOUR_MS,
	};
}

const login_endpoint *login_match(const login_endpoint *eps, size_t n, sk_slice method, sk_slice path)
{
	for (size_t i = 0; i < n; i++) {
		const login_endpoint *e = &eps[i];
		if (sk_slice_eq(path, sk_slice_make(e->path, strlen(e->path))) &&
		    sk_slice_eq_ci(method, sk_slice_make(e->method, strlen(e->method))))
			return e;
	}
	return NULL;
}

bool login_username(const http_view *v, const login_endpoint *ep, sk_slice *out)
{
	sk_slice want = sk_slice_make(ep->username, strlen(ep->username));
	for (size_t i = 0; i < v->ntargets; i++) {
		const target *t = &v->targets[i];
		if ((t->loc == LOC_FORM || t->loc == LOC_MULTIPART_FIELD || t->loc == LOC_JSON) &&
		    sk_slice_eq(t->name, want)) {
			*out = t->value;
			return true;
		}
	}
	return false;
}

size_t login_normalise_user(sk_slice in, char out[LOGIN_USER_MAX])
{
	/* Leading spaces are dropped before they take room in out (300 spaces
	 * and "alice" is still alice, not an empty name); `end` is the length
	 * up to the last byte that is not a space, so trailing ones go too. */
	size_t o = 0, end = 0;
	for (size_t i = 0; i < in.len && o < LOGIN_USER_MAX;) {
		unsigned char c = (unsigned char)in.p[i];
		/* Full-width ASCII U+FF01..U+FF5E is EF BC 81..EF BD 9E in UTF-8;
		 * the ideographic space U+3000 is E3 80 80. */
		if (c == 0xEF && i + 2 < in.len) {
			unsigned char c1 = (unsigned char)in.p[i + 1], c2 = (unsigned char)in.p[i + 2];
			unsigned cp = 0;
			if (c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF)
				cp = 0xFF00u + (c2 - 0x80u);
			else if (c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E)
				cp = 0xFF40u + (c2 - 0x80u);
			if (cp) {
				c = (unsigned char)(cp - 0xFF01u + 0x21u);
				i += 3;
				goto ascii;
			}
		}
		if (c == 0xE3 && i + 2 < in.len && (unsigned char)in.p[i + 1] == 0x80 &&
		    (unsigned char)in.p[i + 2] == 0x80) {
			c = ' ';
			i += 3;
			goto ascii;
		}
		i++;
	ascii:;
		bool space = c == ' ' || c == '\t';
		if (space && o == 0)
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		/* Control bytes (NUL, CR, LF, an inner tab) stop here: keys and
		 * logs stay text. */
		if (c < 0x20 || c == 0x7f)
			c = '?';
		out[o++] = (char)c;
		if (!space)
			end = o;
	}
	return end;
}

/* ---- the check ---- */

static void op_set(state_op *op, int kind, sk_slice key, uint32_t n, uint32_t window)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->key = key;
	op->n = n;
	op->window_ms = window;
}

/* prefix + middle + user bytes into buf; the user part may hold any byte. */
static sk_slice mk_key(char *buf, size_t cap, const char *prefix, const char *middle, const char *user,
		       size_t ulen)
{
	int h = snprintf(buf, cap, "%s%s", prefix, middle);
	size_t o = h < 0 ? 0 : (size_t)h < cap ? (size_t)h : cap - 1;
	if (ulen > cap - 1 - o)
		ulen = cap - 1 - o;
	memcpy(buf + o, user, ulen);
	buf[o + ulen] = '\0';
	return sk_slice_make(buf, o + ulen);
}

void login_plan_check(login_attempt *la, const login_policy *p, const sk_addr *src, sk_slice user)
{
	memset(la, 0, sizeof(*la));
	la->user_len = login_normalise_user(user, la->user);
	addr_format(src, la->addr, sizeof(la->addr));
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	bool v4 = src->v4 || memcmp(src->b, mapped, 12) == 0;
	sk_addr n = *src;
	memset(n.b + (v4 ? 15 : 8), 0, v4 ? 1 : 8);
	char nt[48];
	addr_format(&n, nt, sizeof(nt));
	snprintf(la->net, sizeof(la->net), "%s/%d", nt, v4 ? 24 : 64);

	const char *u = la->user;
	size_t ul = la->user_len;
	char pair_mid[64];
	snprintf(pair_mid, sizeof(pair_mid), "%s|", la->addr);
	/* "login:" counts attempts, "lognf:" answers that were not failures. */
	static const char *const pre[2] = { "login:", "lognf:" };
	for (int i = 0; i < 2; i++) {
		char kind[16];
		snprintf(kind, sizeof(kind), "%sip:", pre[i]);
		la->k_ip[i] = mk_key(la->kb_ip[i], sizeof(la->kb_ip[i]), kind, la->addr, "", 0);
		snprintf(kind, sizeof(kind), "%snet:", pre[i]);
		la->k_net[i] = mk_key(la->kb_net[i], sizeof(la->kb_net[i]), kind, la->net, "", 0);
		snprintf(kind, sizeof(kind), "%su:", pre[i]);
		la->k_user[i] = mk_key(la->kb_user[i], sizeof(la->kb_user[i]), kind, "", u, ul);
		snprintf(kind, sizeof(kind), "%sp:", pre[i]);
		la->k_pair[i] = mk_key(la->kb_pair[i], sizeof(la->kb_pair[i]), kind, pair_mid, u, ul);
	}
	la->k_known = mk_key(la->kb_known, sizeof(la->kb_known), "logok:p:", pair_mid, u, ul);
	la->k_lock = mk_key(la->kb_lock, sizeof(la->kb_lock), "acct:", "", u, ul);

	state_op *o = la->ops;
	uint32_t w = p->window_ms;
	op_set(&o[LOGIN_OP_LOCK], STATE_OP_BAN_GET, la->k_lock, 0, 0);
	op_set(&o[LOGIN_OP_ATT_IP], STATE_OP_COUNT_ADD, la->k_ip[0], 1, w);
	op_set(&o[LOGIN_OP_NF_IP], STATE_OP_COUNT_GET, la->k_ip[1], 0, w);
	op_set(&o[LOGIN_OP_ATT_USER], STATE_OP_COUNT_ADD, la->k_user[0], 1, w);
	op_set(&o[LOGIN_OP_NF_USER], STATE_OP_COUNT_GET, la->k_user[1], 0, w);
	op_set(&o[LOGIN_OP_ATT_PAIR], STATE_OP_COUNT_ADD, la->k_pair[0], 1, w);
	op_set(&o[LOGIN_OP_NF_PAIR], STATE_OP_COUNT_GET, la->k_pair[1], 0, w);
	op_set(&o[LOGIN_OP_KNOWN], STATE_OP_COUNT_GET, la->k_known, 0, p->known_window_ms);
	op_set(&o[LOGIN_OP_ATT_NET], STATE_OP_COUNT_ADD, la->k_net[0], 1, w);
	op_set(&o[LOGIN_OP_NF_NET], STATE_OP_COUNT_GET, la->k_net[1], 0, w);
	op_set(&o[LOGIN_OP_ATT_MIN], STATE_OP_COUNT_ADD, SK_LIT("login:all"), 1, MINUTE_MS);
	op_set(&o[LOGIN_OP_NF_MIN], STATE_OP_COUNT_GET, SK_LIT("lognf:all"), 0, MINUTE_MS);
	op_set(&o[LOGIN_OP_ATT_HOUR], STATE_OP_COUNT_ADD, SK_LIT("login:all"), 1, HOUR_MS);
	op_set(&o[LOGIN_OP_NF_HOUR], STATE_OP_COUNT_GET, SK_LIT("lognf:all"), 0, HOUR_MS);
	/* Distinct sets are their own namespace: the attempt keys name them. */
	op_set(&o[LOGIN_OP_USERS_OF_IP], STATE_OP_DISTINCT_ADD, la->k_ip[0], 0, w);
	o[LOGIN_OP_USERS_OF_IP].member = ul ? sk_slice_make(u, ul) : SK_LIT("(empty)");
	op_set(&o[LOGIN_OP_IPS_OF_USER], STATE_OP_DISTINCT_ADD, la->k_user[0], 0, w);
	o[LOGIN_OP_IPS_OF_USER].member = sk_slice_make(la->addr, strlen(la->addr));
	la->nops = LOGIN_OPS_CHECK;
}

static uint64_t count_of(const state_op *op)
{
	return op->rc == STATE_OK ? op->count : 0;
}

/* Failures before this attempt: attempts (this one included) - 1 - not failed. */
static uint64_t failures(const state_op *att, const state_op *nf)
{
	uint64_t a = count_of(att), n = count_of(nf);
	return a > n + 1 ? a - n - 1 : 0;
}

static void add_ban(login_decision *d, sk_slice key, uint32_t ttl, const char *reason)
{
	if (d->nbans >= sizeof(d->bans) / sizeof(d->bans[0]))
		return;
	login_ban *b = &d->bans[d->nbans++];
	size_t klen = key.len < sizeof(b->key) - 1 ? key.len : sizeof(b->key) - 1;
	memcpy(b->key, key.p, klen);
	b->key[klen] = '\0';
	b->key_len = klen;
	b->ttl_ms = ttl;
	snprintf(b->reason, sizeof(b->reason), "%s", reason);
}

static uint32_t backoff(const login_policy *p, uint64_t excess)
{
	uint64_t d = p->delay_base_ms;
	/* d == 0 would never reach delay_max: stop rather than count to excess. */
	for (uint64_t i = 1; i < excess && d && d < p->delay_max_ms; i++)
		d *= 2;
	return (uint32_t)(d < p->delay_max_ms ? d : p->delay_max_ms);
}

void login_decide(const login_attempt *la, const login_policy *p, login_decision *d)
{
	const state_op *o = la->ops;
	memset(d, 0, sizeof(*d));
	d->fail_ip = failures(&o[LOGIN_OP_ATT_IP], &o[LOGIN_OP_NF_IP]);
	d->fail_user = failures(&o[LOGIN_OP_ATT_USER], &o[LOGIN_OP_NF_USER]);
	d->fail_pair = failures(&o[LOGIN_OP_ATT_PAIR], &o[LOGIN_OP_NF_PAIR]);
	d->fail_net = failures(&o[LOGIN_OP_ATT_NET], &o[LOGIN_OP_NF_NET]);
	d->known = count_of(&o[LOGIN_OP_KNOWN]);
	d->accounts_of_ip = count_of(&o[LOGIN_OP_USERS_OF_IP]);
	d->sources_of_user = count_of(&o[LOGIN_OP_IPS_OF_USER]);

	/* The wave: the last minute against the rest of the hour. */
	uint64_t att_min = count_of(&o[LOGIN_OP_ATT_MIN]), att_hour = count_of(&o[LOGIN_OP_ATT_HOUR]);
	uint64_t fail_min = failures(&o[LOGIN_OP_ATT_MIN], &o[LOGIN_OP_NF_MIN]);
	uint64_t fail_hour = failures(&o[LOGIN_OP_ATT_HOUR], &o[LOGIN_OP_NF_HOUR]);
	d->attempts_minute = att_min;
	d->failures_minute = fail_min;
	d->percent_minute = att_min ? (unsigned)(fail_min * 100 / att_min) : 0;
	uint64_t att_prev = att_hour > att_min ? att_hour - att_min : 0;
	uint64_t fail_prev = fail_hour > fail_min ? fail_hour - fail_min : 0;
	/* The two windows are estimated apart (state.h): never more failures
	 * than attempts, so the baseline stays a percentage. */
	if (fail_prev > att_prev)
		fail_prev = att_prev;
	d->baseline_percent = att_prev >= BASELINE_MIN_ATTEMPTS ? (unsigned)(fail_prev * 100 / att_prev)
								  : BASELINE_DEFAULT_PERCENT;
	uint64_t need = (uint64_t)d->baseline_percent * p->wave_factor;
	if (need < p->wave_percent)
		need = p->wave_percent;
	if (need > WAVE_PERCENT_CAP)
		need = WAVE_PERCENT_CAP;
	d->wave = p->wave_min_failures && fail_min >= p->wave_min_failures && d->percent_minute >= need;

	bool known = d->known > 0;
	/* "Mostly failing": legitimate shared addresses (an office NAT, a
	 * family's router) log many accounts in, but mostly successfully. */
	uint64_t att_ip = count_of(&o[LOGIN_OP_ATT_IP]), att_user = count_of(&o[LOGIN_OP_ATT_USER]);
	bool ip_mostly_failing = att_ip > 1 && d->fail_ip * 2 >= att_ip - 1;
	bool user_mostly_failing = att_user > 1 && d->fail_user * 2 >= att_user - 1;
	char ipk[80], reason[STATE_REASON_MAX + 1];
	int ipl = snprintf(ipk, sizeof(ipk), "ip:%s", la->addr);
	sk_slice ip_key = sk_slice_make(ipk, ipl > 0 ? (size_t)ipl : 0);

	if (p->ban_after && d->fail_ip >= p->ban_after) {
		snprintf(reason, sizeof(reason), "brute force: %llu failed logins", (unsigned long long)d->fail_ip);
		add_ban(d, ip_key, p->ban_ttl_ms, reason);
		d->action = LOGIN_BANNED;
		d->why = "too many failed logins from this source";
		return;
	}
	if (p->accounts_per_source && d->accounts_of_ip >= p->accounts_per_source && ip_mostly_failing) {
		snprintf(reason, sizeof(reason), "credential stuffing: %llu accounts, %llu failed",
			 (unsigned long long)d->accounts_of_ip, (unsigned long long)d->fail_ip);
		add_ban(d, ip_key, p->ban_ttl_ms, reason);
		d->action = LOGIN_BANNED;
		d->why = "one source trying many accounts";
		return;
	}
	if (o[LOGIN_OP_LOCK].rc == STATE_OK && !known) {
		d->action = LOGIN_LOCKED;
		d->why = "account locked against new sources";
		return;
	}
	bool lock_fails = p->lock_after && d->fail_user >= p->lock_after;
	bool lock_sources = p->sources_per_account && d->sources_of_user >= p->sources_per_account &&
			    user_mostly_failing;
	if (la->user_len && (lock_fails || lock_sources)) {
		if (lock_fails)
			snprintf(reason, sizeof(reason), "%llu failed logins", (unsigned long long)d->fail_user);
		else
			snprintf(reason, sizeof(reason), "tried from %llu sources, %llu failed",
				 (unsigned long long)d->sources_of_user, (unsigned long long)d->fail_user);
		add_ban(d, la->k_lock, p->lock_ttl_ms, reason);
		d->why = lock_fails ? "too many failed logins for this account" : "one account tried from many sources";
		if (!known) {
			d->action = LOGIN_LOCKED;
			return;
		}
	}
	uint64_t excess = 0;
	if (p->delay_after && d->fail_ip >= p->delay_after)
		excess = d->fail_ip - p->delay_after + 1;
	if (p->pair_delay_after && d->fail_pair >= p->pair_delay_after &&
	    d->fail_pair - p->pair_delay_after + 1 > excess)
		excess = d->fail_pair - p->pair_delay_after + 1;
	if (p->net_delay_after && d->fail_net >= p->net_delay_after && d->fail_net - p->net_delay_after + 1 > excess)
		excess = d->fail_net - p->net_delay_after + 1;
	if (excess) {
		d->action = LOGIN_DELAY;
		d->delay_ms = backoff(p, excess);
		d->why = "failed logins: progressive delay";
	}
	if (d->wave && !known && d->delay_ms < p->wave_delay_ms) {
		d->action = LOGIN_DELAY;
		d->delay_ms = p->wave_delay_ms;
		d->why = "stuffing wave: new sources slowed";
	}
}

void login_plan_record(login_attempt *la, const login_policy *p, bool success)
{
	state_op *o = la->ops;
	uint32_t w = p->window_ms;
	size_t n = 0;
	op_set(&o[n++], STATE_OP_COUNT_ADD, la->k_ip[1], 1, w);
	op_set(&o[n++], STATE_OP_COUNT_ADD, la->k_user[1], 1, w);
	op_set(&o[n++], STATE_OP_COUNT_ADD, la->k_pair[1], 1, w);
	op_set(&o[n++], STATE_OP_COUNT_ADD, la->k_net[1], 1, w);
	op_set(&o[n++], STATE_OP_COUNT_ADD, SK_LIT("lognf:all"), 1, MINUTE_MS);
	op_set(&o[n++], STATE_OP_COUNT_ADD, SK_LIT("lognf:all"), 1, HOUR_MS);
	if (success)
		op_set(&o[n++], STATE_OP_COUNT_ADD, la->k_known, 1, p->known_window_ms);
	la->nops = n;
}

/* ---- the outcome ---- */

static bool contains(sk_slice hay, const char *needle)
{
	size_t n = strlen(needle);
	return n && hay.len >= n && memmem(hay.p, hay.len, needle, n) != NULL;
}

/* Does a Set-Cookie field set `name` to a session? Not when it deletes
 * the cookie: an empty value ("name=", name=""), or Max-Age zero or
 * negative ("name=deleted; Max-Age=0", as PHP clears a session). */
static bool sets_cookie(sk_slice v, const char *name)
{
	size_t n = strlen(name);
	sk_slice t = sk_slice_trim_ows(v);
	if (t.len <= n || memcmp(t.p, name, n) != 0 || t.p[n] != '=')
		return false;
	const char *semi = memchr(t.p + n + 1, ';', t.len - n - 1);
	size_t vend = semi ? (size_t)(semi - t.p) : t.len;
	sk_slice val = sk_slice_trim_ows(sk_slice_make(t.p + n + 1, vend - n - 1));
	if (val.len == 0 || sk_slice_eq(val, SK_LIT("\"\"")))
		return false;
	while (semi) {
		const char *a = semi + 1;
		semi = memchr(a, ';', (size_t)(t.p + t.len - a));
		sk_slice attr = sk_slice_trim_ows(sk_slice_make(a, (size_t)((semi ? semi : t.p + t.len) - a)));
		if (!sk_slice_prefix_ci(attr, SK_LIT("max-age=")))
			continue;
		sk_slice age = sk_slice_trim_ows(sk_slice_make(attr.p + 8, attr.len - 8));
		unsigned long long secs;
		if ((age.len && age.p[0] == '-') || (sk_slice_to_u64(age, ~0ull, &secs) && secs == 0))
			return false;
	}
	return true;
}

login_outcome login_outcome_head(const login_endpoint *ep, int status, const http_header *hdrs, size_t n,
				 bool *need_body)
{
	*need_body = false;
	if (status >= 500 || status < 200)
		return LOGIN_OUTCOME_UNKNOWN;
	if (ep->fail_status && status == ep->fail_status)
		return LOGIN_OUTCOME_FAILURE;
	if (ep->fail_location[0] && status >= 300 && status < 400) {
		const http_header *loc = http_find_header(hdrs, n, SK_LIT("Location"));
		if (loc && contains(loc->value, ep->fail_location))
			return LOGIN_OUTCOME_FAILURE;
	}
	if (ep->success_cookie[0]) {
		bool set = false;
		for (size_t i = 0; i < n && !set; i++)
			if (sk_slice_eq_ci(hdrs[i].name, SK_LIT("Set-Cookie")) &&
			    sets_cookie(hdrs[i].value, ep->success_cookie))
				set = true;
		if (!set)
			return LOGIN_OUTCOME_FAILURE;
	}
	/* A 4xx logs nobody in (a refused CSRF token, a malformed form, the
	 * application's own throttle): counting it as a success would make
	 * its source known for the account and exempt it from the lock. */
	if (status >= 400)
		return LOGIN_OUTCOME_FAILURE;
	if (ep->fail_body[0]) {
		*need_body = true;
		return LOGIN_OUTCOME_UNKNOWN;
	}
	return LOGIN_OUTCOME_SUCCESS;
}

void login_marker_init(login_marker *m, const char *needle)
{
	memset(m, 0, sizeof(*m));
	m->needle = needle;
	m->nlen = strlen(needle);
	if (m->nlen > LOGIN_MARKER_MAX)
		m->nlen = LOGIN_MARKER_MAX;
}

void login_marker_feed(login_marker *m, const char *p, size_t n)
{
	if (m->found || !m->nlen || !n || m->scanned >= LOGIN_BODY_SCAN_MAX)
		return;
	if (n > LOGIN_BODY_SCAN_MAX - m->scanned)
		n = (size_t)(LOGIN_BODY_SCAN_MAX - m->scanned);
	m->scanned += n;
	/* Across the boundary: the kept tail plus the first nlen-1 new bytes. */
	if (m->tail_len) {
		char win[2 * LOGIN_MARKER_MAX];
		size_t take = n < m->nlen - 1 ? n : m->nlen - 1;
		memcpy(win, m->tail, m->tail_len);
		memcpy(win + m->tail_len, p, take);
		if (memmem(win, m->tail_len + take, m->needle, m->nlen)) {
			m->found = true;
			return;
		}
	}
	if (n >= m->nlen && memmem(p, n, m->needle, m->nlen)) {
		m->found = true;
		return;
	}
	/* Keep the last nlen-1 bytes of (tail + p). */
	size_t keep = m->nlen - 1;
	if (n >= keep) {
		memcpy(m->tail, p + n - keep, keep);
		m->tail_len = keep;
	} else {
		size_t from_tail = m->tail_len + n > keep ? keep - n : m->tail_len;
		memmove(m->tail, m->tail + m->tail_len - from_tail, from_tail);
		memcpy(m->tail + from_tail, p, n);
		m->tail_len = from_tail + n;
	}
}
