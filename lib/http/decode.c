/* decode.c - percent-decoding to a fixed point, and base64/hex text.
 * See include/sekisho/decode.h for the contracts. */
#include "sekisho/decode.h"
#include "sekisho/swar.h"

/* Value of the 4 hex digits at p, or -1. The caller checked the length. */
static long hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = sk_hexval((unsigned char)p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Encode code point cp (< 0x110000, surrogates allowed) as UTF-8 at out.
 * Returns the byte count (1-4). */
static size_t put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The value of a hex digit, 0xff for any other byte, as a constant
 * expression so that the compiler builds the table (as classes.c does). */
#define HX(c)                                                                                 \
	((uint8_t)((c) >= '0' && (c) <= '9' ? (c) - '0' : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : \
		   (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : 0xff))
#define HX4(c) HX(c), HX((c) + 1), HX((c) + 2), HX((c) + 3)
#define HX16(c) HX4(c), HX4((c) + 4), HX4((c) + 8), HX4((c) + 12)
#define HX64(c) HX16(c), HX16((c) + 16), HX16((c) + 32), HX16((c) + 48)
static const uint8_t hex_table[256] = { HX64(0u), HX64(64u), HX64(128u), HX64(192u) };

size_t url_decode_once(const char *in, size_t n, char *out, bool plus_as_space, uint32_t *flags)
{
	const unsigned char *u = (const unsigned char *)in;
	uint32_t f = 0;
	size_t o = 0;
	/* Invariant o <= i: every escape shrinks, so decoding in place is safe
	 * as long as each step reads its input bytes before writing. */
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c == '%') {
			/* Text in a non-Latin script is escapes back to back:
			 * each is decoded here and the loop comes straight back. */
			if (n - i >= 3) {
				unsigned hi = hex_table[u[i + 1]], lo = hex_table[u[i + 2]];
				if ((hi | lo) < 16) {
					out[o++] = (char)(hi << 4 | lo);
					i += 3;
					continue;
				}
			}
			if (n - i >= 6 && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
				long cp = hex4(in + i + 2);
				if (cp >= 0) {
					size_t used = 6;
					/* A UTF-16 surrogate pair written as two escapes. */
					if (cp >= 0xD800 && cp <= 0xDBFF && n - i >= 12 && in[i + 6] == '%' &&
					    (in[i + 7] == 'u' || in[i + 7] == 'U')) {
						long lo = hex4(in + i + 8);
						if (lo >= 0xDC00 && lo <= 0xDFFF) {
							cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
							used = 12;
						}
					}
					char tmp[4];
					size_t k = put_utf8(tmp, (unsigned long)cp);
					memcpy(out + o, tmp, k);
					o += k;
					i += used;
					f |= TF_UNICODE_ESCAPE;
					continue;
				}
			}
			/* Not an escape: keep the '%' and go on with the next byte. */
			f |= TF_INVALID_ESCAPE;
			out[o++] = '%';
			i++;
			continue;
		}
		if (c == '+' && plus_as_space) {
			out[o++] = ' ';
			i++;
			continue;
		}
		/* A run without escapes: a word at a time, then byte by byte.
		 * The word is loaded before it is stored, so in-place decoding
		 * (o <= i) stays safe. */
		out[o++] = (char)c;
		i++;
		while (i + 8 <= n) {
			uint64_t w = swar_load(u + i);
			if (swar_has_byte(w, '%') || (plus_as_space && swar_has_byte(w, '+')))
				break;
			memcpy(out + o, &w, sizeof(w));
			o += 8;
			i += 8;
		}
		while (i < n && u[i] != '%' && !(plus_as_space && u[i] == '+'))
			out[o++] = in[i++];
	}
	if (flags)
		*flags |= f;
	return o;
}

sk_slice url_decode(arena *a, sk_slice in, bool plus_as_space, size_t max_passes, uint32_t *flags)
{
	uint32_t f = 0;
	bool work = false;
	const unsigned char *u = (const unsigned char *)in.p;
	size_t i = 0;
	/* Most values have nothing to decode: look 8 bytes at a time. */
	while (i + 8 <= in.len) {
		uint64_t w = swar_load(u + i);
		if (swar_has_byte(w, '%') || (plus_as_space && swar_has_byte(w, '+')))
			break;
		i += 8;
	}
	for (; i < in.len; i++) {
		if (in.p[i] == '%' || (plus_as_space && in.p[i] == '+')) {
			work = true;
			break;
		}
	}
	if (!work) {
		if (flags)
			*flags |= value_flags(in);
		return in;
	}
	char *buf = arena_alloc(a, in.len + 1);
	if (!buf)
		return SK_SLICE_NULL;
	size_t len = url_decode_once(in.p, in.len, buf, plus_as_space, &f);
	if (max_passes == 0)
		max_passes = 1;
	for (size_t pass = 1; pass < max_passes; pass++) {
		/* Without a '%' left there is nothing a later pass could change. */
		if (!memchr(buf, '%', len))
			break;
		/* A later pass either shrinks the value (an escape decoded) or
		 * leaves it byte for byte as it was, so the length tells. */
		uint32_t later = 0;
		size_t next = url_decode_once(buf, len, buf, false, &later);
		if (next == len)
			break;
		len = next;
		f |= TF_DOUBLE_ENCODED | (later & TF_UNICODE_ESCAPE);
	}
	buf[len] = '\0';
	sk_slice out = sk_slice_make(buf, len);
	/* Only invalid escapes: the value is the input, and callers may rely
	 * on value.p == raw.p to skip inspecting the same bytes twice. */
	if (len == in.len && memcmp(buf, in.p, len) == 0)
		out = in;
	f |= value_flags(out);
	if (flags)
		*flags |= f;
	return out;
}

/* ---- text rule ---- */

/* Length of the well-formed UTF-8 sequence of U+0080 or above at s[i], or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t i)
{
	unsigned char c = s[i];
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n - i < need || s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < need; k++)
		if ((s[i + k] & 0xC0) != 0x80)
			return 0;
	return need;
}

bool decode_looks_like_text(sk_slice v)
{
	const unsigned char *s = (const unsigned char *)v.p;
	size_t bad = 0;
	for (size_t i = 0; i < v.len;) {
		unsigned char c = s[i];
		if ((c >= 0x20 && c < 0x7F) || c == '\t' || c == '\r' || c == '\n') {
			i++;
			continue;
		}
		size_t k = c >= 0x80 ? utf8_seq(s, v.len, i) : 0;
		if (k) {
			i += k;
			continue;
		}
		/* bad only grows: once over a tenth the answer is no (most
		 * decoded session ids are binary and stop here early) */
		if (++bad * 10 > v.len)
			return false;
		i++;
	}
	return v.len > 0 && bad * 10 <= v.len;
}

/* ---- base64 ---- */

#define B64_MIN_INPUT 8
#define HEX_MIN_DIGITS 12

/* The value of a base64 digit of either alphabet, as a constant
 * expression so that the compiler builds the table below (as classes.c
 * does): 0-63 for the digits common to both, B64_STD for '+' '/' and
 * B64_URL for '-' '_' (their values depend on the alphabet), B64_BAD for
 * every other byte. */
enum { B64_STD = 64, B64_URL = 65, B64_BAD = 0xff };
#define B64(c)                                                                                        \
	((uint8_t)((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 : \
		   (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : ((c) == '+' || (c) == '/') ? B64_STD :  \
		   ((c) == '-' || (c) == '_') ? B64_URL : B64_BAD))
#define B64x4(c) B64(c), B64((c) + 1), B64((c) + 2), B64((c) + 3)
#define B64x16(c) B64x4(c), B64x4((c) + 4), B64x4((c) + 8), B64x4((c) + 12)
#define B64x64(c) B64x16(c), B64x16((c) + 16), B64x16((c) + 32), B64x16((c) + 48)
static const uint8_t b64_table[256] = { B64x64(0u), B64x64(64u), B64x64(128u), B64x64(192u) };

/* A digit's value once the alphabet is known: '+' and '-' are 62, '/' and
 * '_' 63 (a value mixing both alphabets was refused before). */
static inline uint32_t digit62(unsigned char c)
{
	unsigned v = b64_table[c];
	return v < B64_STD ? v : (c == '+' || c == '-') ? 62 : 63;
}

bool decode_base64_text(arena *a, sk_slice s, sk_slice *out)
{
	if (s.len < B64_MIN_INPUT)
		return false;
	size_t n = s.len, pad = 0;
	while (n > 0 && s.p[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad && s.len % 4 != 0)
		return false;
	if (n % 4 == 1)
		return false;
	/* One table load per byte; `extra` collects which alphabet's extra
	 * digits appeared (bit 0: '+' '/', bit 1: '-' '_'). */
	const unsigned char *u = (const unsigned char *)s.p;
	unsigned extra = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned k = b64_table[u[i]];
		if (k == B64_BAD)
			return false;
		extra |= k >= B64_STD ? 1u << (k - B64_STD) : 0;
	}
	if (extra == 3) /* '+' or '/' and '-' or '_': neither alphabet */
		return false;
	size_t cap = n / 4 * 3 + 2;
	char *buf = arena_alloc(a, cap + 1);
	if (!buf)
		return false;
	/* Four digits make three bytes; a last group of two or three digits
	 * makes one or two. */
	size_t o = 0, i = 0;
	for (; i + 4 <= n; i += 4) {
		uint32_t q = digit62(u[i]) << 18 | digit62(u[i + 1]) << 12 | digit62(u[i + 2]) << 6 | digit62(u[i + 3]);
		buf[o++] = (char)(q >> 16);
		buf[o++] = (char)(q >> 8);
		buf[o++] = (char)q;
	}
	if (n - i >= 2) {
		uint32_t q = digit62(u[i]) << 18 | digit62(u[i + 1]) << 12 | (n - i == 3 ? digit62(u[i + 2]) << 6 : 0);
		buf[o++] = (char)(q >> 16);
		if (n - i == 3)
			buf[o++] = (char)(q >> 8);
	}
	/* Leftover bits of an unpadded tail are ignored, as lenient decoders do. */
	buf[o] = '\0';
	sk_slice d = sk_slice_make(buf, o);
	if (!decode_looks_like_text(d))
		return false;
	*out = d;
	return true;
}

/* ---- hex ---- */

bool decode_hex_text(arena *a, sk_slice s, sk_slice *out)
{
	if (s.len >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X'))
		s = sk_slice_make(s.p + 2, s.len - 2);
	if (s.len < HEX_MIN_DIGITS || s.len % 2 != 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (sk_hexval((unsigned char)s.p[i]) < 0)
			return false;
	char *buf = arena_alloc(a, s.len / 2 + 1);
	if (!buf)
		return false;
	for (size_t i = 0; i < s.len; i += 2)
		buf[i / 2] = (char)(sk_hexval((unsigned char)s.p[i]) * 16 + sk_hexval((unsigned char)s.p[i + 1]));
	buf[s.len / 2] = '\0';
	sk_slice d = sk_slice_make(buf, s.len / 2);
	if (!decode_looks_like_text(d))
		return false;
	*out = d;
	return true;
}
