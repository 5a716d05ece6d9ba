/* event.c - the event record as one JSON line (see include/sekisho/event.h
 * and docs/events.md). Pure: bytes in, bytes out into the caller's sk_buf. */
#include "sekisho/event.h"

#include <stdint.h>
#include <string.h>

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *event_severity_name(sk_severity s)
{
	if ((unsigned)s >= sizeof(sev_names) / sizeof(sev_names[0]))
		return sev_names[0];
	return sev_names[s];
}

bool event_severity_parse(sk_slice s, sk_severity *out)
{
	for (size_t i = 0; i < sizeof(sev_names) / sizeof(sev_names[0]); i++) {
		if (sk_slice_eq_ci(s, sk_slice_make(sev_names[i], strlen(sev_names[i])))) {
			*out = (sk_severity)i;
			return true;
		}
	}
	return false;
}

/* ---- time ---- */

/* Days since 1970-01-01 -> civil date, proleptic Gregorian. The 400-year
 * era arithmetic is the well-known days-to-civil derivation (eras of
 * 146097 days, years starting in March so the leap day comes last). */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z as Unix seconds. */
#define TIME_MIN (-62167219200LL)
#define TIME_MAX 253402300799LL

static void put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void event_format_time(struct timespec t, char out[25])
{
	long long s = (long long)t.tv_sec;
	long ns = t.tv_nsec;
	if (ns < 0 || ns > 999999999L)
		ns = ns < 0 ? 0 : 999999999L;
	if (s < TIME_MIN) {
		s = TIME_MIN;
		ns = 0;
	} else if (s > TIME_MAX) {
		s = TIME_MAX;
		ns = 999999999L;
	}
	long long days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	unsigned sod = (unsigned)(s - days * 86400);
	long long y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, sod / 3600, 2);
	put_digits(out + 14, sod / 60 % 60, 2);
	put_digits(out + 17, sod % 60, 2);
	put_digits(out + 20, (unsigned)(ns / 1000000), 3);
}

/* ---- strict JSON check ---- */

/* Length of a valid UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF) at p[0..n), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string starting at p[i] == '"'. Returns the index after the closing
 * quote, or 0 if malformed. */
static size_t scan_string(const unsigned char *p, size_t n, size_t i)
{
	i++;
	while (i < n) {
		unsigned char c = p[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			c = p[i + 1];
			if (c == 'u') {
				if (n - i < 6)
					return 0;
				for (size_t k = 2; k < 6; k++)
					if (!is_hex(p[i + k]))
						return 0;
				i += 6;
			} else if (memchr("\"\\/bfnrt", c, 8)) {
				i += 2;
			} else
				return 0;
		} else if (c >= 0x80) {
			size_t l = utf8_len(p + i, n - i);
			if (!l)
				return 0;
			i += l;
		} else
			i++;
	}
	return 0;
}

/* A number (RFC 8259 section 6) at p[i]. Returns the index after it, or 0. */
static size_t scan_number(const unsigned char *p, size_t n, size_t i)
{
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (p[i] >= '1' && p[i] <= '9')
		while (i < n && is_digit(p[i]))
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		i++;
		if (i >= n || !is_digit(p[i]))
			return 0;
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || !is_digit(p[i]))
			return 0;
		while (i < n && is_digit(p[i]))
			i++;
	}
	return i;
}

static size_t scan_literal(const unsigned char *p, size_t n, size_t i)
{
	static const char *const lits[] = { "true", "false", "null" };
	for (size_t k = 0; k < 3; k++) {
		size_t l = strlen(lits[k]);
		if (n - i >= l && memcmp(p + i, lits[k], l) == 0)
			return i + l;
	}
	return 0;
}

/* Grammar states of the iterative checker. */
enum jv { JV_VALUE, JV_VALUE_OR_END, JV_KEY, JV_KEY_OR_END, JV_AFTER };

bool event_json_valid(sk_slice s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t n = s.len, i = 0, depth = 0;
	bool is_obj[SK_EVENT_JSON_DEPTH];
	enum jv st = JV_VALUE;
	if (!p)
		return false;
	/* Every turn of the loop consumes at least one byte or returns. */
	for (;;) {
		while (i < n && is_ws(p[i]))
			i++;
		if (st == JV_AFTER && depth == 0)
			return i == n;
		if (i >= n)
			return false;
		unsigned char c = p[i];
		if (st == JV_AFTER) {
			if (c == ',') {
				i++;
				st = is_obj[depth - 1] ? JV_KEY : JV_VALUE;
			} else if (c == (is_obj[depth - 1] ? '}' : ']')) {
				i++;
				depth--;
			} else
				return false;
		} else if (st == JV_KEY || st == JV_KEY_OR_END) {
			if (st == JV_KEY_OR_END && c == '}') {
				i++;
				depth--;
				st = JV_AFTER;
				continue;
			}
			if (c != '"' || !(i = scan_string(p, n, i)))
				return false;
			while (i < n && is_ws(p[i]))
				i++;
			if (i >= n || p[i] != ':')
				return false;
			i++;
			st = JV_VALUE;
		} else {
			if (st == JV_VALUE_OR_END && c == ']') {
				i++;
				depth--;
				st = JV_AFTER;
				continue;
			}
			if (c == '{' || c == '[') {
				if (depth == SK_EVENT_JSON_DEPTH)
					return false;
				is_obj[depth++] = c == '{';
				i++;
				st = c == '{' ? JV_KEY_OR_END : JV_VALUE_OR_END;
				continue;
			}
			if (c == '"')
				i = scan_string(p, n, i);
			else if (c == '-' || is_digit(c))
				i = scan_number(p, n, i);
			else
				i = scan_literal(p, n, i);
			if (!i)
				return false;
			st = JV_AFTER;
		}
	}
}

/* ---- encoding ---- */

static bool put_lit(sk_buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* Append checked JSON text so that the line keeps the guarantees of
 * buf_json_str. In valid JSON, '\n' '\r' '\t' can only be whitespace
 * between tokens (a space does as well) and '<' '>' '&' and U+2028/2029
 * can only sit inside strings, where an escape means the same. */
static bool put_json_clean(sk_buf *b, sk_slice j)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)j.p;
	size_t run = 0, i = 0;
	while (i < j.len) {
		unsigned char c = p[i];
		char esc[6];
		size_t elen = 0, adv = 1;
		if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = ' ';
			elen = 1;
		} else if (c == '<' || c == '>' || c == '&') {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		} else if (c == 0xe2 && j.len - i >= 3 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			memcpy(esc, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			elen = 6;
			adv = 3;
		}
		if (!elen) {
			run++;
			i++;
			continue;
		}
		if (run && !buf_append(b, j.p + i - run, run))
			return false;
		run = 0;
		if (!buf_append(b, esc, elen))
			return false;
		i += adv;
	}
	return !run || buf_append(b, j.p + i - run, run);
}

static sk_slice trim_ws(sk_slice s)
{
	while (s.len && is_ws((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_ws((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Cut `s` to at most `max` bytes without splitting a UTF-8 sequence. */
static sk_slice cut_utf8(sk_slice s, size_t max, bool *truncated)
{
	if (s.len <= max)
		return s;
	*truncated = true;
	size_t cut = max;
	/* Back off over at most 3 continuation bytes to the lead byte. */
	for (int k = 0; k < 3 && cut > 0 && ((unsigned char)s.p[cut] & 0xc0) == 0x80; k++)
		cut--;
	if (cut > 0 && ((unsigned char)s.p[cut] & 0xc0) == 0x80)
		cut = max; /* not UTF-8 anyway: any cut is as good */
	s.len = cut;
	return s;
}

static bool put_member(sk_buf *b, const char *key, sk_slice v, bool *truncated)
{
	if (!v.p || !v.len)
		return true;
	return put_lit(b, ",\"") && put_lit(b, key) && put_lit(b, "\":") &&
	       buf_json_str(b, cut_utf8(v, SK_EVENT_FIELD_MAX, truncated));
}

static sk_slice cstr(const char *s)
{
	if (!s)
		s = "unknown";
	return sk_slice_make(s, strnlen(s, SK_EVENT_FIELD_MAX + 1));
}

/* The details members (fields, then details_json's members), without the
 * braces. Sets *invalid when a pre-encoded piece was rejected. */
static bool put_details_body(sk_buf *b, const sk_event *ev, bool *invalid, bool *any)
{
	for (size_t i = 0; i < ev->nfields && ev->fields; i++) {
		const sk_event_field *f = &ev->fields[i];
		if (!f->key)
			continue;
		if ((*any && !put_lit(b, ",")) || !buf_json_str(b, sk_slice_make(f->key, strnlen(f->key, 256))) ||
		    !put_lit(b, ":"))
			return false;
		*any = true;
		bool ok;
		switch (f->type) {
		case SK_EVF_INT:
			ok = buf_printf(b, "%lld", f->num);
			break;
		case SK_EVF_BOOL:
			ok = put_lit(b, f->num ? "true" : "false");
			break;
		case SK_EVF_JSON:
			if (f->str.p && event_json_valid(f->str)) {
				ok = put_json_clean(b, trim_ws(f->str));
			} else {
				*invalid = true;
				ok = put_lit(b, "null");
			}
			break;
		case SK_EVF_STR:
		default:
			ok = buf_json_str(b, f->str.p ? f->str : SK_LIT(""));
			break;
		}
		if (!ok)
			return false;
	}
	sk_slice dj = trim_ws(ev->details_json);
	if (dj.p && dj.len) {
		if (dj.p[0] != '{' || !event_json_valid(dj)) {
			*invalid = true;
			return true;
		}
		/* Valid object: its members are what lies between the braces. */
		sk_slice inner = trim_ws(sk_slice_make(dj.p + 1, dj.len - 2));
		if (inner.len) {
			if (*any && !put_lit(b, ","))
				return false;
			*any = true;
			if (!put_json_clean(b, inner))
				return false;
		}
	}
	return true;
}

static bool has_details(const sk_event *ev)
{
	return (ev->fields && ev->nfields) || (ev->details_json.p && ev->details_json.len);
}

bool event_encode(const sk_event *ev, sk_buf *out)
{
	static const char dropped[] = ",\"details_dropped\":\"too large\"";
	const size_t start = out->len, saved_max = out->max;
	const bool saved_overflow = out->overflow;
	size_t lim = saved_max;
	if (lim - start > SK_EVENT_LINE_MAX)
		lim = start + SK_EVENT_LINE_MAX;
	/* The closing "}\n" and the fallback must always fit after the
	 * details; reserve room for them while writing the rest. */
	const size_t tail = 2 + sizeof(dropped) - 1;
	if (lim < start || lim - start <= tail)
		return false;
	out->max = lim - tail;

	char ts[25];
	bool truncated = false, invalid = false, ok;
	event_format_time(ev->time, ts);
	ok = put_lit(out, "{\"time\":\"") && buf_append(out, ts, 24) && put_lit(out, "\",\"part\":") &&
	     buf_json_str(out, cut_utf8(cstr(ev->part), SK_EVENT_FIELD_MAX, &truncated)) &&
	     put_lit(out, ",\"kind\":") &&
	     buf_json_str(out, cut_utf8(cstr(ev->kind), SK_EVENT_FIELD_MAX, &truncated)) &&
	     put_lit(out, ",\"severity\":\"") && put_lit(out, event_severity_name(ev->severity)) &&
	     put_lit(out, "\"") && put_member(out, "src", ev->src, &truncated) &&
	     put_member(out, "request_id", ev->request_id, &truncated) &&
	     put_member(out, "host", ev->host, &truncated) && put_member(out, "method", ev->method, &truncated) &&
	     put_member(out, "uri", ev->uri, &truncated) && (!truncated || put_lit(out, ",\"truncated\":true"));
	if (!ok) {
		/* Even the fixed fields do not fit: leave the buffer as it was. */
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
		out->overflow = saved_overflow;
		out->max = saved_max;
		return false;
	}

	if (has_details(ev)) {
		size_t mark = out->len;
		bool any = false;
		ok = put_lit(out, ",\"details\":{") && put_details_body(out, ev, &invalid, &any) &&
		     (!invalid || put_lit(out, any ? ",\"details_invalid\":true" : "\"details_invalid\":true")) &&
		     put_lit(out, "}");
		if (!ok) {
			out->len = mark;
			out->p[mark] = '\0';
			out->overflow = saved_overflow;
		}
	}
	out->max = lim;
	ok = ok || put_lit(out, dropped);
	ok = ok && put_lit(out, "}\n");
	out->max = saved_max;
	if (!ok) {
		/* Only malloc can fail here: the tail was reserved. */
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
		out->overflow = true;
	}
	return ok;
}
