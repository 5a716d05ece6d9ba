/* buf.c - capped growable buffer and JSON string escaping. */
#include "sekisho/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(sk_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->overflow = false;
}

void buf_free(sk_buf *b)
{
	free(b->p);
	buf_init(b, b->max);
}

void buf_reset(sk_buf *b)
{
	b->len = 0;
	b->overflow = false;
	if (b->p)
		b->p[0] = '\0';
}

static bool reserve(sk_buf *b, size_t n)
{
	if (n > b->max - b->len) {
		b->overflow = true;
		return false;
	}
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->overflow = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

bool buf_append(sk_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return false;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

bool buf_puts(sk_buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

bool buf_printf(sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0; /* overlong, or a surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

bool buf_json_str(sk_buf *b, sk_slice s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s.p;
	if (!buf_append(b, "\"", 1))
		return false;
	size_t i = 0, run = 0;
	while (i < s.len) {
		unsigned char c = p[i];
		char esc[8];
		size_t elen = 0;
		size_t seq = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
			if (c == '\n')
				memcpy(esc, "\\n", elen = 2);
			else if (c == '\r')
				memcpy(esc, "\\r", elen = 2);
			else if (c == '\t')
				memcpy(esc, "\\t", elen = 2);
			else {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				elen = 6;
			}
		} else if (c >= 0x80) {
			seq = utf8_seq(p + i, s.len - i);
			if (seq == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				memcpy(esc, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", elen = 6);
			} else if (seq == 0) {
				seq = 1;
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				elen = 6;
			}
		}
		if (elen) {
			if (run && !buf_append(b, s.p + i - run, run))
				return false;
			run = 0;
			if (!buf_append(b, esc, elen))
				return false;
			i += seq;
		} else {
			run += seq;
			i += seq;
		}
	}
	if (run && !buf_append(b, s.p + i - run, run))
		return false;
	return buf_append(b, "\"", 1);
}
