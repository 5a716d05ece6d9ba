/* fuzz_event.c - the event encoder on arbitrary bytes in every field. The
 * input is cut at 0x1f bytes into part, kind, src, request_id, host,
 * method, uri, a string field, a JSON field and details_json; the first
 * bytes pick the time, severity and buffer cap. Whatever comes in, the
 * output must be one line of valid UTF-8 JSON: a small validator of its
 * own (recursive, independent of event_json_valid) checks it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/event.h"

typedef struct { const unsigned char *p, *end; int depth; } cur;

static void ws(cur *c) { while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++; }

static int utf8(cur *c)
{
	unsigned char b = *c->p;
	int n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
	if (!n || c->end - c->p < n) return 0;
	uint32_t cp = n == 1 ? b : b & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((c->p[i] & 0xc0) != 0x80) return 0;
		cp = cp << 6 | (c->p[i] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
	c->p += n;
	return 1;
}

static int str(cur *c)
{
	if (c->p >= c->end || *c->p++ != '"') return 0;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p < 0x20) return 0;
		if (*c->p == '\\') {
			if (c->end - c->p < 2) return 0;
			unsigned char e = c->p[1];
			if (e == 'u') {
				if (c->end - c->p < 6) return 0;
				for (int i = 2; i < 6; i++) if (!strchr("0123456789abcdefABCDEF", c->p[i]) || !c->p[i]) return 0;
				c->p += 6;
			} else if (e && strchr("\"\\/bfnrt", e)) c->p += 2;
			else return 0;
		} else if (!utf8(c)) return 0;
	}
	return c->p++ < c->end;
}

static int digits(cur *c) { const unsigned char *s = c->p; while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++; return c->p > s; }

static int value(cur *c)
{
	ws(c);
	if (c->p >= c->end || ++c->depth > 100) return 0;
	int ok = 1;
	if (*c->p == '{' || *c->p == '[') {
		int obj = *c->p++ == '{';
		ws(c);
		if (c->p < c->end && *c->p == (obj ? '}' : ']')) c->p++;
		else for (;;) {
			if (obj) { ws(c); if (!str(c)) return 0; ws(c); if (c->p >= c->end || *c->p++ != ':') return 0; }
			if (!value(c)) return 0;
			ws(c);
			if (c->p >= c->end) return 0;
			if (*c->p == ',') { c->p++; continue; }
			if (*c->p++ != (obj ? '}' : ']')) return 0;
			break;
		}
	} else if (*c->p == '"') ok = str(c);
	else if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) {
		if (*c->p == '-') c->p++;
		if (c->p < c->end && *c->p == '0') c->p++; else ok = digits(c);
		if (ok && c->p < c->end && *c->p == '.') { c->p++; ok = digits(c); }
		if (ok && c->p < c->end && (*c->p == 'e' || *c->p == 'E')) { c->p++; if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++; ok = digits(c); }
	} else {
		static const char *lit[] = { "true", "false", "null" };
		ok = 0;
		for (int i = 0; i < 3 && !ok; i++) {
			size_t l = strlen(lit[i]);
			if ((size_t)(c->end - c->p) >= l && !memcmp(c->p, lit[i], l)) { c->p += l; ok = 1; }
		}
	}
	c->depth--;
	return ok;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 10) return 0;
	sk_slice f[10] = { { 0 } };
	char *part = NULL, *kind = NULL;
	size_t nf = 0, start = 10;
	for (size_t i = 10; i <= size && nf < 10; i++)
		if (i == size || data[i] == 0x1f) { f[nf++] = sk_slice_make((const char *)data + start, i - start); start = i + 1; }
	/* part and kind are C strings in the API; copies cut at a NUL. */
	part = strndup(f[0].p ? f[0].p : "", f[0].len);
	kind = strndup(f[1].p ? f[1].p : "", f[1].len);
	int64_t sec; memcpy(&sec, data, 8);
	sk_event_field fl[] = { SK_EVF_S("s", f[7]), SK_EVF_J("j", f[8]), SK_EVF_I("i", sec), SK_EVF_B("b", data[9] & 1) };
	sk_event ev = { .time = { (time_t)sec, (long)data[8] * 7919 * 1000 }, .part = nf > 0 ? part : NULL,
			.kind = nf > 1 ? kind : NULL, .severity = (sk_severity)(data[9] % 7), .src = f[2],
			.request_id = f[3], .host = f[4], .method = f[5], .uri = f[6], .fields = fl,
			.nfields = data[9] & 2 ? 4 : 0, .details_json = f[9] };
	/* Whatever the encoder's own checker accepts, this one must too. */
	if (f[9].p && event_json_valid(f[9])) {
		cur d = { (const unsigned char *)f[9].p, (const unsigned char *)f[9].p + f[9].len, 0 };
		if (!value(&d) || (ws(&d), d.p != d.end)) abort();
	}
	sk_buf b;
	buf_init(&b, data[8] & 1 ? SIZE_MAX : 64 + (size_t)data[8] * 97);
	if (event_encode(&ev, &b)) {
		if (b.len < 2 || b.p[b.len - 1] != '\n' || memchr(b.p, '\n', b.len - 1)) abort();
		cur c = { (const unsigned char *)b.p, (const unsigned char *)b.p + b.len - 1, 0 };
		if (b.p[0] != '{' || !value(&c) || c.p != c.end) abort();
		if (b.len > SK_EVENT_LINE_MAX || b.len > b.max) abort();
	} else if (b.len != 0) abort();
	buf_free(&b);
	free(part);
	free(kind);
	return 0;
}
