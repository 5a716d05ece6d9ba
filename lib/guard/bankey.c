/* bankey.c - operator input into ban keys, TTLs and reasons (bankey.h). */
#include "sekisho/bankey.h"

#include <stdio.h>
#include <string.h>

#include "sekisho/json.h"
#include "sekisho/urlenc.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Bytes 0x20..0x7e and UTF-8 (checked loosely here: no C0/C1 controls, no
 * DEL); names come from login forms and may be anything printable. */
static bool printable(sk_slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		/* U+0080..U+009F as UTF-8 is C2 80..C2 9F */
		if (c == 0xc2 && i + 1 < s.len && (unsigned char)s.p[i + 1] < 0xa0)
			return false;
	}
	return true;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static bool utf8_ok(sk_slice s)
{
	size_t i = 0;
	while (i < s.len) {
		unsigned char c = (unsigned char)s.p[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (i + n >= s.len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			unsigned char d = (unsigned char)s.p[i + k];
			if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xbf))
				return false;
		}
		i += n + 1;
	}
	return true;
}

static bool fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return false;
}

/* Address or CIDR text into an ip: or net: key. */
static bool parse_net(sk_slice s, bankey *out, const char **why)
{
	sk_cidr c;
	if (s.len == 0 || s.len > 64 || !cidr_parse(s, &c))
		return fail(why, "not an IP address, a /24 or /64 network, or an ip:, net: or acct: key");
	bool v4 = c.addr.v4 || memcmp(c.addr.b, v4_mapped, 12) == 0;
	if (v4 && !c.addr.v4 && c.bits < 96)
		return fail(why, "an IPv4-mapped prefix shorter than ::ffff:0:0/96 is not an IPv4 network");
	unsigned plen = v4 ? c.bits - 96 : c.bits;
	char t[48];
	if ((v4 && plen == 32) || (!v4 && plen == 128)) {
		out->kind = BANKEY_IP;
		c.bits = 128;
		addr_format(&c.addr, t, sizeof(t));
		snprintf(out->text, sizeof(out->text), "ip:%s", t);
	} else if ((v4 && plen == 24) || (!v4 && plen == 64)) {
		size_t from = v4 ? 15 : 8;
		for (size_t i = from; i < 16; i++)
			if (c.addr.b[i])
				return fail(why, v4 ? "host bits set: an IPv4 network is written like 192.0.2.0/24"
						    : "host bits set: an IPv6 network is written like 2001:db8:1:2::/64");
		out->kind = BANKEY_NET;
		addr_format(&c.addr, t, sizeof(t));
		snprintf(out->text, sizeof(out->text), "net:%s/%u", t, plen);
	} else {
		return fail(why, "only single addresses and /24 (IPv4) or /64 (IPv6) networks can be banned");
	}
	out->net = c;
	out->v4 = v4;
	out->len = strlen(out->text);
	return true;
}

bool bankey_parse(sk_slice in, bankey *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (in.len >= 5 && memcmp(in.p, "acct:", 5) == 0) {
		sk_slice name = sk_slice_make(in.p + 5, in.len - 5);
		if (name.len == 0)
			return fail(why, "acct: needs an account name");
		if (in.len >= BANKEY_MAX)
			return fail(why, "account name too long");
		if (!printable(name) || !utf8_ok(name))
			return fail(why, "account name has control bytes or invalid UTF-8");
		out->kind = BANKEY_ACCT;
		memcpy(out->text, in.p, in.len);
		out->text[in.len] = '\0';
		out->len = in.len;
		return true;
	}
	bool want_ip = false, want_net = false;
	if (in.len >= 3 && memcmp(in.p, "ip:", 3) == 0) {
		in = sk_slice_make(in.p + 3, in.len - 3);
		want_ip = true;
		if (memchr(in.p, '/', in.len))
			return fail(why, "ip: takes one address without a prefix length (use net: for a network)");
	} else if (in.len >= 4 && memcmp(in.p, "net:", 4) == 0) {
		in = sk_slice_make(in.p + 4, in.len - 4);
		want_net = true;
		if (!memchr(in.p, '/', in.len))
			return fail(why, "net: takes a network with its prefix length, like 192.0.2.0/24");
	}
	if (!parse_net(in, out, why))
		return false;
	if (want_net && out->kind != BANKEY_NET)
		return fail(why, "net: takes a /24 (IPv4) or /64 (IPv6) network");
	(void)want_ip;
	return true;
}

bool bankey_ttl_parse(sk_slice in, uint32_t *seconds, const char **why)
{
	size_t i = 0;
	while (i < in.len && in.p[i] >= '0' && in.p[i] <= '9')
		i++;
	unsigned long long n;
	/* 10 digits are more than 30 days in any unit: refuse before overflow. */
	if (i == 0 || i > 10 || !sk_slice_to_u64(sk_slice_make(in.p, i), 9999999999ULL, &n))
		return fail(why, "ttl must be a number of seconds or a duration like 90s, 15m, 1h, 7d");
	sk_slice unit = sk_slice_make(in.p + i, in.len - i);
	unsigned long long mul;
	if (unit.len == 0 || sk_slice_eq(unit, SK_LIT("s")))
		mul = 1;
	else if (sk_slice_eq(unit, SK_LIT("m")))
		mul = 60;
	else if (sk_slice_eq(unit, SK_LIT("h")))
		mul = 3600;
	else if (sk_slice_eq(unit, SK_LIT("d")))
		mul = 86400;
	else
		return fail(why, "ttl unit must be s, m, h or d");
	if (n == 0 || n > BANKEY_TTL_MAX_S / mul)
		return fail(why, "ttl must be between 1 second and 30 days");
	*seconds = (uint32_t)(n * mul);
	return true;
}

bool bankey_reason_ok(sk_slice in, const char **why)
{
	if (in.len == 0 || in.len > STATE_REASON_MAX)
		return fail(why, "reason must be 1 to 63 bytes");
	if (!printable(in) || !utf8_ok(in))
		return fail(why, "reason has control bytes or invalid UTF-8");
	return true;
}

/* ---- POST /bans bodies ---- */

enum { F_KEY = 1, F_TTL = 2, F_REASON = 4 };

struct req_ctx {
	ban_request *out;
	bool is_delete;
	unsigned seen;
	const char *why;
};

static int field(struct req_ctx *x, sk_slice name, sk_slice value, bool is_string)
{
	unsigned f = sk_slice_eq(name, SK_LIT("key"))	 ? F_KEY
		     : sk_slice_eq(name, SK_LIT("ttl"))	 ? F_TTL
		     : sk_slice_eq(name, SK_LIT("reason")) ? F_REASON
							   : 0;
	if (!f || (x->is_delete && f != F_KEY)) {
		x->why = x->is_delete ? "unknown field: the body takes only key" : "unknown field: the body takes key, ttl and reason";
		return -1;
	}
	if (x->seen & f) {
		x->why = "a field is given twice";
		return -1;
	}
	x->seen |= f;
	if (f == F_KEY) {
		if (!is_string) {
			x->why = "key must be a string";
			return -1;
		}
		return bankey_parse(value, &x->out->key, &x->why) ? 0 : -1;
	}
	if (f == F_TTL)
		return bankey_ttl_parse(value, &x->out->ttl_s, &x->why) ? 0 : -1;
	if (!is_string) {
		x->why = "reason must be a string";
		return -1;
	}
	if (!bankey_reason_ok(value, &x->why))
		return -1;
	memcpy(x->out->reason, value.p, value.len);
	x->out->reason[value.len] = '\0';
	return 0;
}

static int on_target(void *ctx, const target *t)
{
	struct req_ctx *x = ctx;
	if (t->loc != LOC_JSON && t->loc != LOC_FORM) {
		x->why = "field names are key, ttl and reason";
		return -1;
	}
	if (t->flags & (TF_MALFORMED | TF_NUL | TF_CTL | TF_INVALID_UTF8 | TF_OVERLONG_UTF8 | TF_TRUNCATED)) {
		x->why = t->flags & TF_MALFORMED ? "a field is given twice" : "control bytes or invalid UTF-8 in a field";
		return -1;
	}
	bool is_string = t->loc == LOC_FORM || (t->raw.len > 0 && t->raw.p[0] == '"');
	return field(x, t->name, t->value, is_string);
}

static bool media_type_is(sk_slice ct, sk_slice want)
{
	if (!sk_slice_prefix_ci(ct, want))
		return false;
	return ct.len == want.len || ct.p[want.len] == ';' || ct.p[want.len] == ' ' || ct.p[want.len] == '\t';
}

bool ban_request_parse(sk_slice content_type, sk_slice body, bool is_delete, arena *a, ban_request *out,
		       const char **why)
{
	memset(out, 0, sizeof(*out));
	out->ttl_s = BANKEY_TTL_DEFAULT_S;
	struct req_ctx x = { .out = out, .is_delete = is_delete, .seen = 0, .why = NULL };
	http_limits lim;
	http_limits_default(&lim);
	lim.max_targets = 16;
	lim.max_depth = 2;
	lim.max_decode_passes = 1; /* an API takes values encoded once */
	lim.max_body_inspect = body.len;
	sk_error err;
	memset(&err, 0, sizeof(err));
	content_type = sk_slice_trim_ows(content_type);
	if (media_type_is(content_type, SK_LIT("application/json"))) {
		size_t i = 0;
		while (i < body.len && (body.p[i] == ' ' || body.p[i] == '\t' || body.p[i] == '\r' || body.p[i] == '\n'))
			i++;
		if (i == body.len || body.p[i] != '{')
			return fail(why, "the body must be a JSON object");
		json_state st;
		json_init(&st, a, &lim, on_target, &x);
		if (json_feed(&st, body.p, body.len, &err) != SK_OK || json_finish(&st, &err) != SK_OK)
			return fail(why, x.why ? x.why : "malformed JSON");
	} else if (media_type_is(content_type, SK_LIT("application/x-www-form-urlencoded"))) {
		if (urlenc_parse(body, LOC_FORM, LOC_FORM_NAME, a, &lim, on_target, &x, &err) != SK_OK)
			return fail(why, x.why ? x.why : "malformed form body");
	} else {
		return fail(why, "Content-Type must be application/json or application/x-www-form-urlencoded");
	}
	if (!(x.seen & F_KEY))
		return fail(why, "key is required");
	return true;
}
