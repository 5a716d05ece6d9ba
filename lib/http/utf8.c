/* utf8.c - facts about bytes and UTF-8, and folding of overlong forms.
 * Nothing here repairs text; see include/sekisho/decode.h. */
#include "sekisho/decode.h"
#include "sekisho/swar.h"

/* One step of a UTF-8 scan starting at a byte >= 0x80. */
typedef struct u8step {
	size_t len;        /* bytes to advance: the whole sequence, or 1 if broken */
	unsigned long cp;  /* decoded code point when complete */
	bool complete;     /* lead plus the right number of continuation bytes */
	bool overlong;     /* complete, and shorter forms exist */
	bool invalid;      /* not valid RFC 3629 UTF-8 (includes overlong) */
} u8step;

/* Smallest code point that needs a sequence of each length; below it the
 * form is overlong. Lengths 5 and 6 are the pre-RFC 3629 forms, decoded only
 * so that overlong ASCII in them (an old IIS bypass) is recognised. */
static const unsigned long min_cp[7] = { 0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000 };

static u8step u8_step(const unsigned char *s, size_t n, size_t i)
{
	u8step st = { 1, 0, false, false, true };
	unsigned char c = s[i];
	size_t len;
	if (c >= 0xC0 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF7)
		len = 4;
	else if (c >= 0xF8 && c <= 0xFB)
		len = 5;
	else if (c >= 0xFC && c <= 0xFD)
		len = 6;
	else
		return st; /* stray continuation byte, or FE/FF */
	if (n - i < len)
		return st;
	unsigned long cp = c & (0x7F >> len);
	for (size_t k = 1; k < len; k++) {
		unsigned char d = s[i + k];
		if ((d & 0xC0) != 0x80)
			return st; /* broken: resume at the byte that broke it */
		cp = (cp << 6) | (d & 0x3F);
	}
	st.len = len;
	st.cp = cp;
	st.complete = true;
	st.overlong = cp < min_cp[len];
	st.invalid = st.overlong || len > 4 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF);
	return st;
}

uint32_t utf8_flags(sk_slice v)
{
	const unsigned char *s = (const unsigned char *)v.p;
	uint32_t f = 0;
	for (size_t i = v.len ? swar_ascii_prefix(s, v.len) : 0; i < v.len;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		f |= TF_HIGH_BYTES;
		/* The common well-formed sequences without u8_step: two bytes
		 * led by C2-DF, three led by E1-EC or EE-EF (Japanese, Chinese,
		 * Korean text). Neither can be overlong (C0, C1, E0 can) or a
		 * surrogate (ED can), and both stay below U+10000. */
		if (c >= 0xC2 && c <= 0xDF && v.len - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
			i += 2;
			continue;
		}
		if (c >= 0xE1 && c <= 0xEF && c != 0xED && v.len - i >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
		    (s[i + 2] & 0xC0) == 0x80) {
			i += 3;
			continue;
		}
		u8step st = u8_step(s, v.len, i);
		if (st.invalid)
			f |= TF_INVALID_UTF8;
		if (st.overlong)
			f |= TF_OVERLONG_UTF8;
		i += st.len;
	}
	return f;
}

uint32_t value_flags(sk_slice v)
{
	/* One pass for the common case: a value that is all printable ASCII
	 * has no flag at all; otherwise the two exact scans from where the
	 * plain run ended. */
	const unsigned char *s = (const unsigned char *)v.p;
	size_t i = v.len ? swar_printable_prefix(s, v.len) : 0;
	while (i < v.len && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	if (i == v.len)
		return 0;
	sk_slice rest = sk_slice_make(v.p + i, v.len - i);
	return utf8_flags(rest) | byte_flags(rest);
}

uint32_t byte_flags(sk_slice v)
{
	uint32_t f = 0;
	const unsigned char *s = (const unsigned char *)v.p;
	for (size_t i = 0; i < v.len; i++) {
		/* Skip runs of 8 bytes with no control byte at all. */
		while (i + 8 <= v.len) {
			uint64_t w = swar_load(s + i);
			if (swar_has_less(w, 0x20) || swar_has_byte(w, 0x7f))
				break;
			i += 8;
		}
		if (i >= v.len)
			break;
		unsigned char c = s[i];
		if (c == 0)
			f |= TF_NUL;
		else if ((c < 0x20 && c != '\t') || c == 0x7F)
			f |= TF_CTL;
	}
	return f;
}

sk_slice utf8_fold_overlong(arena *a, sk_slice v, uint32_t *flags)
{
	const unsigned char *s = (const unsigned char *)v.p;
	/* First look for a foldable sequence; most values have none. */
	size_t first = v.len;
	for (size_t i = 0; i < v.len;) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		u8step st = u8_step(s, v.len, i);
		if (st.overlong && st.cp < 0x80) {
			first = i;
			break;
		}
		i += st.len;
	}
	if (first == v.len)
		return v;
	char *buf = arena_alloc(a, v.len + 1);
	if (!buf)
		return SK_SLICE_NULL;
	memcpy(buf, v.p, first);
	size_t o = first;
	for (size_t i = first; i < v.len;) {
		if (s[i] < 0x80) {
			buf[o++] = (char)s[i++];
			continue;
		}
		u8step st = u8_step(s, v.len, i);
		if (st.overlong && st.cp < 0x80) {
			buf[o++] = (char)st.cp;
		} else {
			memcpy(buf + o, s + i, st.len);
			o += st.len;
		}
		i += st.len;
	}
	buf[o] = '\0';
	if (flags)
		*flags |= TF_OVERLONG_UTF8;
	return sk_slice_make(buf, o);
}
