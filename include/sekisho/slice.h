/* slice.h - the one string type: a read-only view of bytes.
 *
 * A slice never owns its bytes and is never NUL-terminated by contract.
 * It points into a caller's buffer (the request as received) or into an
 * arena. Never call strlen() on slice data; use the len field.
 */
#ifndef SEKISHO_SLICE_H
#define SEKISHO_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct sk_slice {
	const char *p;
	size_t len;
} sk_slice;

#define SK_SLICE_NULL ((sk_slice){ NULL, 0 })
/* A slice of a string literal, without its terminating NUL. */
#define SK_LIT(s) ((sk_slice){ (s), sizeof(s) - 1 })

static inline sk_slice sk_slice_make(const char *p, size_t len)
{
	return (sk_slice){ p, len };
}

static inline bool sk_slice_eq(sk_slice a, sk_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The value of a hexadecimal digit, or -1. */
static inline int sk_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ASCII case-insensitive equality (header names, tokens). */
bool sk_slice_eq_ci(sk_slice a, sk_slice b);
/* True if `s` starts with `prefix`, ASCII case-insensitively. */
bool sk_slice_prefix_ci(sk_slice s, sk_slice prefix);
/* Find `needle` in `s` ASCII case-insensitively; returns its offset or -1. */
long sk_slice_find_ci(sk_slice s, sk_slice needle);
/* Does byte `a` stand right before byte `b` anywhere in s? (memchr hops
 * between the a's: cheap where a is rare.) */
bool sk_slice_has_pair(sk_slice s, char a, char b);
/* Strip leading and trailing spaces and tabs (optional whitespace, RFC 9110 5.6.3). */
static inline sk_slice sk_slice_trim_ows(sk_slice s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}
/* Parse a non-negative decimal with no sign, no spaces and no leading '+'.
 * Returns false on an empty string, a non-digit or overflow past `max`. */
bool sk_slice_to_u64(sk_slice s, unsigned long long max, unsigned long long *out);

#endif
