/* base32.c - RFC 4648 section 6 base32, strict.
 *
 * TOTP secrets travel as base32 (the otpauth URI, our secrets file). The
 * decoder accepts exactly one spelling per byte string, so two different
 * lines of the secrets file can never carry the same secret unnoticed and a
 * fuzzer can check decode(encode(x)) == x and encode(decode(s)) == s.
 */
#include "sekisho/totp.h"

static const char b32_alphabet[32] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Value of a base32 character, or -1. */
static int b32_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

size_t base32_encoded_len(size_t n, bool pad)
{
	if (pad)
		return (n + 4) / 5 * 8;
	return (n * 8 + 4) / 5;
}

size_t base32_encode(const uint8_t *in, size_t n, bool pad, char *out, size_t cap)
{
	if (n > (SIZE_MAX - 4) / 8 || base32_encoded_len(n, pad) > cap)
		return 0;
	size_t o = 0;
	uint32_t acc = 0; /* at most 12 pending bits: 4 left over + 8 new */
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	if (pad)
		while (o % 8)
			out[o++] = '=';
	return o;
}

long base32_decode(sk_slice in, bool pad, uint8_t *out, size_t cap, sk_error *err)
{
	size_t n = in.len;
	if (pad) {
		if (n % 8)
			return sk_fail(err, "base32: padded input must be a multiple of 8 characters", n, 400);
		/* Strip the padding; how much there may be depends on what is left. */
		size_t p = 0;
		while (p < 6 && p < n && in.p[n - 1 - p] == '=')
			p++;
		if (p != 0 && p != 1 && p != 3 && p != 4 && p != 6)
			return sk_fail(err, "base32: wrong amount of padding", n - p, 400);
		n -= p;
	}
	/* Characters first, so an error points at the offending one. */
	for (size_t i = 0; i < n; i++)
		if (b32_value((unsigned char)in.p[i]) < 0)
			return sk_fail(err, in.p[i] == '=' ? "base32: misplaced padding"
							  : "base32: character outside A-Z 2-7",
				       i, 400);
	/* 8 characters carry 5 bytes; a final group of 2, 4, 5 or 7 carries
	 * 1, 2, 3 or 4 bytes. 1, 3 or 6 characters cannot end a group. */
	size_t rem = n % 8;
	if (rem == 1 || rem == 3 || rem == 6)
		return sk_fail(err, "base32: impossible length", n, 400);
	size_t want = n / 8 * 5 + (rem * 5) / 8;
	if (want > cap)
		return sk_fail(err, "base32: decoded value too long", 0, 400);
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b32_value((unsigned char)in.p[i]);
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The bits left over are padding bits of the last character: RFC 4648
	 * section 3.5 says they are zero; refusing otherwise keeps one form. */
	if (acc != 0)
		return sk_fail(err, "base32: non-zero trailing bits", n ? n - 1 : 0, 400);
	return (long)o;
}
