/* addr.c - IPv4/IPv6 text parsing, CIDR matching. */
#include "sekisho/addr.h"

#include <stdio.h>
#include <string.h>

static bool parse_v4(sk_slice s, uint8_t out[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part) {
			if (i >= s.len || s.p[i] != '.')
				return false;
			i++;
		}
		size_t start = i;
		unsigned v = 0;
		while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s.p[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s.p[start] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == s.len;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static bool parse_v6(sk_slice s, uint8_t out[16])
{
	uint16_t words[8];
	int n = 0, gap = -1;
	size_t i = 0;
	if (s.len >= 2 && s.p[0] == ':' && s.p[1] == ':') {
		gap = 0;
		i = 2;
	} else if (s.len && s.p[0] == ':') {
		return false;
	}
	while (i < s.len) {
		if (n == 8)
			return false;
		/* A trailing dotted quad takes two words. */
		size_t j = i;
		while (j < s.len && s.p[j] != ':' && s.p[j] != '.')
			j++;
		if (j < s.len && s.p[j] == '.') {
			uint8_t q[4];
			if (n > 6 || !parse_v4(sk_slice_make(s.p + i, s.len - i), q))
				return false;
			words[n++] = (uint16_t)(q[0] << 8 | q[1]);
			words[n++] = (uint16_t)(q[2] << 8 | q[3]);
			i = s.len;
			break;
		}
		if (j == i || j - i > 4)
			return false;
		unsigned w = 0;
		for (size_t k = i; k < j; k++) {
			int h = hexv(s.p[k]);
			if (h < 0)
				return false;
			w = w << 4 | (unsigned)h;
		}
		words[n++] = (uint16_t)w;
		i = j;
		if (i == s.len)
			break;
		i++; /* ':' */
		if (i < s.len && s.p[i] == ':') {
			if (gap >= 0)
				return false;
			gap = n;
			i++;
		} else if (i == s.len) {
			return false; /* trailing single ':' */
		}
	}
	if (gap < 0 && n != 8)
		return false;
	if (gap >= 0 && n == 8)
		return false;
	memset(out, 0, 16);
	int tail = gap >= 0 ? n - gap : 0;
	int head = gap >= 0 ? gap : n;
	for (int k = 0; k < head; k++) {
		out[2 * k] = (uint8_t)(words[k] >> 8);
		out[2 * k + 1] = (uint8_t)words[k];
	}
	for (int k = 0; k < tail; k++) {
		int pos = 8 - tail + k;
		out[2 * pos] = (uint8_t)(words[head + k] >> 8);
		out[2 * pos + 1] = (uint8_t)words[head + k];
	}
	return true;
}

bool addr_parse(sk_slice s, sk_addr *out)
{
	uint8_t q[4];
	memset(out, 0, sizeof(*out));
	if (parse_v4(s, q)) {
		out->b[10] = 0xff;
		out->b[11] = 0xff;
		memcpy(out->b + 12, q, 4);
		out->v4 = true;
		return true;
	}
	return s.len >= 2 && s.len <= 45 && parse_v6(s, out->b);
}

bool cidr_parse(sk_slice s, sk_cidr *out)
{
	const char *slash = memchr(s.p, '/', s.len);
	sk_slice a = slash ? sk_slice_make(s.p, (size_t)(slash - s.p)) : s;
	if (!addr_parse(a, &out->addr))
		return false;
	unsigned max = out->addr.v4 ? 32 : 128;
	unsigned long long bits = max;
	if (slash && !sk_slice_to_u64(sk_slice_make(slash + 1, s.len - a.len - 1), max, &bits))
		return false;
	out->bits = out->addr.v4 ? 96 + (unsigned)bits : (unsigned)bits;
	return true;
}

bool cidr_contains(const sk_cidr *c, const sk_addr *a)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->addr.b, a->b, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr.b[full] & mask) == (a->b[full] & mask);
}

bool addr_eq(const sk_addr *a, const sk_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

size_t addr_format(const sk_addr *a, char *buf, size_t cap)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int n;
	if (memcmp(a->b, mapped, 12) == 0) {
		n = snprintf(buf, cap, "%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
	} else {
		/* Longest run of zero words becomes "::" (RFC 5952). */
		int best = -1, bestlen = 0;
		for (int i = 0; i < 8;) {
			int j = i;
			while (j < 8 && a->b[2 * j] == 0 && a->b[2 * j + 1] == 0)
				j++;
			if (j - i > bestlen && j - i > 1) {
				best = i;
				bestlen = j - i;
			}
			i = j > i ? j : i + 1;
		}
		n = 0;
		for (int i = 0; i < 8 && (size_t)n < cap; i++) {
			if (i == best) {
				n += snprintf(buf + n, cap - (size_t)n, "::");
				i += bestlen - 1;
				continue;
			}
			n += snprintf(buf + n, cap - (size_t)n, "%s%x", (i && i != best + bestlen) ? ":" : "",
				      (unsigned)(a->b[2 * i] << 8 | a->b[2 * i + 1]));
		}
	}
	return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
}
