/* password.c - the password policy's set of listed passwords and its check
 * (password.h says what and why). */
#include "sekisho/password.h"

#include <stdlib.h>
#include <string.h>

struct pwlist {
	uint64_t *fp; /* sorted, distinct fingerprints */
	size_t n;
	uint8_t key[SIPHASH_KEY_LEN];
};

static const uint8_t zero_key[SIPHASH_KEY_LEN];

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0 if there is
 * none (RFC 3629 table 3-7). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

size_t password_chars(sk_slice pw)
{
	const unsigned char *p = (const unsigned char *)pw.p;
	size_t chars = 0;
	for (size_t i = 0; i < pw.len; chars++) {
		size_t k = utf8_seq(p + i, pw.len - i);
		i += k ? k : 1;
	}
	return chars;
}

/* LSD radix sort of 64-bit values, a byte per pass; `tmp` has room for n. */
static void radix_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((a[i] >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
		uint64_t *t = a;
		a = tmp;
		tmp = t;
	}
	/* Eight passes: the sorted values are back in the first array. */
}

pwlist *pwlist_build(sk_slice text, size_t min_chars, const uint8_t key[SIPHASH_KEY_LEN], pwlist_stats *st)
{
	pwlist_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (text.len > PASSWORD_LIST_MAX_BYTES)
		return NULL;
	pwlist *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	memcpy(l->key, key ? key : zero_key, SIPHASH_KEY_LEN);
	/* Lines bound the entries: one pass to count them sizes the array. */
	size_t lines = 0;
	for (const char *p = text.p, *end = text.p + text.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		lines++;
		p = nl ? nl + 1 : end;
	}
	uint64_t *fp = malloc((lines ? lines : 1) * sizeof(*fp));
	if (!fp) {
		free(l);
		return NULL;
	}
	size_t n = 0;
	for (const char *p = text.p, *end = text.p + text.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		st->lines++;
		if (len && p[len - 1] == '\r')
			len--;
		sk_slice pw = sk_slice_make(p, len);
		p = nl ? nl + 1 : end;
		if (len == 0)
			st->empty++;
		else if (len > PASSWORD_LINE_MAX)
			st->skipped_long++;
		else if (min_chars && password_chars(pw) < min_chars)
			st->skipped_short++;
		else
			fp[n++] = siphash24(l->key, pw.p, pw.len);
	}
	if (n > 1) {
		uint64_t *tmp = malloc(n * sizeof(*tmp));
		if (!tmp) {
			free(fp);
			free(l);
			return NULL;
		}
		radix_sort(fp, tmp, n);
		free(tmp);
	}
	size_t d = 0;
	for (size_t i = 0; i < n; i++)
		if (d == 0 || fp[i] != fp[d - 1])
			fp[d++] = fp[i];
	st->duplicates = n - d;
	st->kept = d;
	/* Give back what duplicates and skipped lines left unused. */
	uint64_t *shrunk = realloc(fp, (d ? d : 1) * sizeof(*fp));
	l->fp = shrunk ? shrunk : fp;
	l->n = d;
	return l;
}

bool pwlist_contains(const pwlist *l, sk_slice pw)
{
	if (!l || l->n == 0)
		return false;
	uint64_t h = siphash24(l->key, pw.p ? pw.p : "", pw.len);
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->fp[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->fp[lo] == h;
}

size_t pwlist_size(const pwlist *l)
{
	return l ? l->n : 0;
}

size_t pwlist_bytes(const pwlist *l)
{
	return l ? sizeof(*l) + (l->n ? l->n : 1) * sizeof(*l->fp) : 0;
}

void pwlist_free(pwlist *l)
{
	if (!l)
		return;
	free(l->fp);
	free(l);
}

pw_verdict password_check(const pwlist *l, size_t min_chars, sk_slice pw, size_t *chars)
{
	size_t n = password_chars(pw);
	if (chars)
		*chars = n;
	if (n < min_chars)
		return PW_TOO_SHORT;
	if (pwlist_contains(l, pw))
		return PW_LISTED;
	return PW_OK;
}

const char *password_verdict_name(pw_verdict v)
{
	switch (v) {
	case PW_OK: return "ok";
	case PW_TOO_SHORT: return "too_short";
	case PW_LISTED: return "listed";
	}
	return "?";
}
