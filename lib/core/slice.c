/* slice.c - helpers for sk_slice; see include/sekisho/slice.h. */
#include "sekisho/slice.h"

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

bool sk_slice_eq_ci(sk_slice a, sk_slice b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return false;
	return true;
}

bool sk_slice_prefix_ci(sk_slice s, sk_slice prefix)
{
	return s.len >= prefix.len && sk_slice_eq_ci(sk_slice_make(s.p, prefix.len), prefix);
}

long sk_slice_find_ci(sk_slice s, sk_slice needle)
{
	if (needle.len == 0)
		return 0;
	if (needle.len > s.len)
		return -1;
	/* Candidates are the bytes equal to the needle's first byte in either
	 * case; memchr finds each spelling's next one, and the two cursors
	 * only move forward, so the scan stays linear and visits candidates
	 * in order (the first match is returned, as a plain loop would). */
	unsigned char lo = lower((unsigned char)needle.p[0]);
	unsigned char up = (lo >= 'a' && lo <= 'z') ? (unsigned char)(lo - 0x20) : lo;
	size_t last = s.len - needle.len; /* the last possible start */
	sk_slice rest = sk_slice_make(needle.p + 1, needle.len - 1);
	const char *nl = memchr(s.p, lo, last + 1);
	const char *nu = up != lo ? memchr(s.p, up, last + 1) : NULL;
	while (nl || nu) {
		const char *p = (!nu || (nl && nl < nu)) ? nl : nu;
		size_t i = (size_t)(p - s.p);
		if (sk_slice_eq_ci(sk_slice_make(p + 1, rest.len), rest))
			return (long)i;
		const char *next = i < last ? memchr(p + 1, p == nl ? lo : up, last - i) : NULL;
		if (p == nl)
			nl = next;
		else
			nu = next;
	}
	return -1;
}

bool sk_slice_to_u64(sk_slice s, unsigned long long max, unsigned long long *out)
{
	if (s.len == 0)
		return false;
	unsigned long long v = 0;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < '0' || c > '9')
			return false;
		unsigned d = c - '0';
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool sk_slice_has_pair(sk_slice s, char a, char b)
{
	if (s.len < 2)
		return false;
	const char *p = s.p, *last = s.p + s.len - 1;
	while (p < last && (p = memchr(p, a, (size_t)(last - p))) != NULL) {
		if (p[1] == b)
			return true;
		p++;
	}
	return false;
}
