/* gate.c - pure helpers of the TOTP gate (gate.h says what and why). */
#include "sekisho/gate.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool gate_path_under(sk_slice prefix, sk_slice path)
{
	size_t n = prefix.len;
	/* "/admin/" and "/admin" mean the same; "/" stays "/". */
	while (n > 1 && prefix.p[n - 1] == '/')
		n--;
	if (n == 0 || prefix.p[0] != '/')
		return false;
	if (n == 1)
		return path.len >= 1 && path.p[0] == '/';
	if (path.len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(path.p[i]) != lower(prefix.p[i]))
			return false;
	return path.len == n || path.p[n] == '/';
}

bool gate_next_ok(sk_slice next)
{
	if (next.len == 0 || next.len > GATE_NEXT_MAX || next.p[0] != '/')
		return false;
	if (next.len > 1 && (next.p[1] == '/' || next.p[1] == '\\'))
		return false;
	for (size_t i = 0; i < next.len; i++) {
		unsigned char c = (unsigned char)next.p[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
	}
	return true;
}

long gate_cookie_strip(sk_slice value, sk_slice name, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	while (i < value.len) {
		const char *semi = memchr(value.p + i, ';', value.len - i);
		size_t j = semi ? (size_t)(semi - value.p) : value.len;
		sk_slice piece = sk_slice_trim_ows(sk_slice_make(value.p + i, j - i));
		i = j + 1;
		if (piece.len == 0)
			continue;
		const char *eq = memchr(piece.p, '=', piece.len);
		sk_slice pname = sk_slice_trim_ows(sk_slice_make(piece.p, eq ? (size_t)(eq - piece.p) : piece.len));
		if (sk_slice_eq(pname, name))
			continue;
		size_t need = (o ? 2 : 0) + piece.len;
		if (need > cap - o)
			return -1;
		if (o) {
			out[o++] = ';';
			out[o++] = ' ';
		}
		memcpy(out + o, piece.p, piece.len);
		o += piece.len;
	}
	return (long)o;
}

static const char hexdig[] = "0123456789abcdef";

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void gate_csrf_cookie(const uint8_t nonce[GATE_CSRF_NONCE_LEN], char out[GATE_CSRF_COOKIE_LEN + 1])
{
	hex(nonce, GATE_CSRF_NONCE_LEN, out);
}

static bool cookie_ok(sk_slice c)
{
	if (c.len != GATE_CSRF_COOKIE_LEN)
		return false;
	for (size_t i = 0; i < c.len; i++)
		if (!memchr(hexdig, c.p[i], 16))
			return false;
	return true;
}

/* hex(HMAC(key, "sekisho-csrf-v1." expiry "." cookie)) into out (65 bytes). */
static bool csrf_mac(const uint8_t *key, size_t keylen, sk_slice cookie, uint64_t expiry, char out[65])
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "sekisho-csrf-v1.%llu.%.*s", (unsigned long long)expiry,
			 (int)cookie.len, cookie.p);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return false;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, (size_t)n, mac, &mlen) || mlen != 32)
		return false;
	hex(mac, 32, out);
	return true;
}

long gate_csrf_token(const uint8_t *key, size_t keylen, sk_slice cookie, uint64_t expiry,
		     char out[GATE_CSRF_TOKEN_MAX])
{
	char mac[65];
	if (!cookie_ok(cookie) || !csrf_mac(key, keylen, cookie, expiry, mac))
		return -1;
	int n = snprintf(out, GATE_CSRF_TOKEN_MAX, "%llu.%s", (unsigned long long)expiry, mac);
	return n < 0 || n >= GATE_CSRF_TOKEN_MAX ? -1 : n;
}

bool gate_csrf_verify(const uint8_t *key, size_t keylen, sk_slice cookie, sk_slice token, uint64_t now)
{
	if (!cookie_ok(cookie) || token.len > GATE_CSRF_TOKEN_MAX)
		return false;
	const char *dot = memchr(token.p, '.', token.len);
	if (!dot)
		return false;
	size_t dlen = (size_t)(dot - token.p);
	/* The expiry in its one canonical form: 1..20 digits, no leading zero. */
	if (dlen == 0 || dlen > 20 || (dlen > 1 && token.p[0] == '0'))
		return false;
	uint64_t expiry = 0;
	for (size_t i = 0; i < dlen; i++) {
		unsigned d = (unsigned)(token.p[i] - '0');
		if (d > 9 || expiry > (UINT64_MAX - d) / 10)
			return false;
		expiry = expiry * 10 + d;
	}
	char mac[65];
	if (token.len - dlen - 1 != 64 || !csrf_mac(key, keylen, cookie, expiry, mac))
		return false;
	bool same = CRYPTO_memcmp(mac, dot + 1, 64) == 0;
	return same && expiry > now;
}

bool gate_derive_key(const uint8_t *master, size_t mlen, const char *label, uint8_t out[GATE_KEY_LEN])
{
	unsigned int n = 0;
	return HMAC(EVP_sha256(), master, (int)mlen, (const unsigned char *)label, strlen(label), out, &n) &&
	       n == GATE_KEY_LEN;
}
