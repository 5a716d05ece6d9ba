/* session.c - the signed session cookie of the TOTP gate.
 *
 *   value = B64(user) "." EXPIRY "." B64(nonce) "." B64(mac)
 *   mac   = HMAC-SHA256(key, "sekisho-session-v1." B64(user) "." EXPIRY "." B64(nonce))
 *
 * B64 is base64url without padding (RFC 4648 section 5), EXPIRY a unix time
 * in decimal. The MAC covers the exact bytes of every field and the dots
 * between them, and a version label so a MAC made for another purpose with
 * the same key can never pass. The server keeps no session table: the
 * cookie is its own proof, valid until its expiry. Every field has one
 * accepted encoding, so a cookie cannot be altered into another value that
 * still verifies.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sekisho/totp.h"

#define SESSION_MAC_LEN 32
#define SESSION_LABEL "sekisho-session-v1."

static const char b64url_alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Encode without padding; `out` must hold (n * 4 + 2) / 3 characters. */
static size_t b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url_alphabet[(acc >> bits) & 63];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits)
		out[o++] = b64url_alphabet[(acc << (6 - bits)) & 63];
	return o;
}

/* Strict decode: a length of 1 mod 4 and non-zero unused bits are refused.
 * Returns the number of bytes, or -1 (also when more than `cap`). */
static long b64url_decode(sk_slice in, uint8_t *out, size_t cap)
{
	if (in.len % 4 == 1 || in.len / 4 * 3 + (in.len % 4 ? in.len % 4 - 1 : 0) > cap)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < in.len; i++) {
		int v = b64url_value((unsigned char)in.p[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc ? -1 : (long)o;
}

/* HMAC-SHA256 of label || msg. */
static bool session_mac(const uint8_t *key, size_t keylen, const char *msg, size_t n,
			uint8_t mac[SESSION_MAC_LEN])
{
	char buf[sizeof(SESSION_LABEL) - 1 + SESSION_COOKIE_MAX];
	if (n > SESSION_COOKIE_MAX)
		return false;
	memcpy(buf, SESSION_LABEL, sizeof(SESSION_LABEL) - 1);
	memcpy(buf + sizeof(SESSION_LABEL) - 1, msg, n);
	unsigned int len = 0;
	bool ok = HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)buf,
		       sizeof(SESSION_LABEL) - 1 + n, mac, &len) != NULL &&
		  len == SESSION_MAC_LEN;
	return ok;
}

long session_sign(const uint8_t *key, size_t keylen, sk_slice user, uint64_t expiry,
		  const uint8_t nonce[SESSION_NONCE_LEN], char *out, size_t cap)
{
	if (!key || keylen < SESSION_KEY_MIN || keylen > SESSION_KEY_MAX)
		return SESSION_BAD_KEY;
	if (!totp_user_name_ok(user))
		return SESSION_MALFORMED;
	char buf[SESSION_COOKIE_MAX];
	size_t o = b64url_encode((const uint8_t *)user.p, user.len, buf);
	buf[o++] = '.';
	char num[24];
	size_t nn = 0;
	do {
		num[sizeof(num) - 1 - nn++] = (char)('0' + expiry % 10);
		expiry /= 10;
	} while (expiry);
	memcpy(buf + o, num + sizeof(num) - nn, nn);
	o += nn;
	buf[o++] = '.';
	o += b64url_encode(nonce, SESSION_NONCE_LEN, buf + o);
	uint8_t mac[SESSION_MAC_LEN];
	if (!session_mac(key, keylen, buf, o, mac))
		return SESSION_BAD_KEY;
	buf[o++] = '.';
	o += b64url_encode(mac, sizeof(mac), buf + o);
	/* 86 + 1 + 20 + 1 + 22 + 1 + 43 = 174 < SESSION_COOKIE_MAX: no overflow. */
	if (o > cap)
		return SESSION_MALFORMED;
	memcpy(out, buf, o);
	return (long)o;
}

int session_verify(const uint8_t *key, size_t keylen, sk_slice cookie, uint64_t now, arena *a,
		   sk_slice *user, uint64_t *expiry)
{
	if (!key || keylen < SESSION_KEY_MIN || keylen > SESSION_KEY_MAX)
		return SESSION_BAD_KEY;
	if (cookie.len > SESSION_COOKIE_MAX || cookie.len == 0)
		return SESSION_MALFORMED;
	/* Split at the dots: exactly four fields. */
	sk_slice f[4];
	size_t nf = 0, from = 0;
	for (size_t i = 0; i <= cookie.len; i++) {
		if (i == cookie.len || cookie.p[i] == '.') {
			if (nf == 4)
				return SESSION_MALFORMED;
			f[nf++] = sk_slice_make(cookie.p + from, i - from);
			from = i + 1;
		}
	}
	if (nf != 4)
		return SESSION_MALFORMED;

	/* The MAC first: nothing in an unsigned cookie is worth reading. */
	uint8_t got[SESSION_MAC_LEN + 3];
	if (b64url_decode(f[3], got, sizeof(got)) != SESSION_MAC_LEN)
		return SESSION_MALFORMED;
	uint8_t want[SESSION_MAC_LEN];
	size_t signed_len = (size_t)(f[3].p - cookie.p) - 1;
	if (!session_mac(key, keylen, cookie.p, signed_len, want))
		return SESSION_BAD_KEY;
	int diff = CRYPTO_memcmp(got, want, SESSION_MAC_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	if (diff != 0)
		return SESSION_BAD_MAC;

	/* Signed by us, so well formed unless the key leaked; parse strictly
	 * anyway so a bug in a future signer cannot widen what is accepted. */
	uint8_t name[TOTP_USER_MAX + 3];
	long nlen = b64url_decode(f[0], name, sizeof(name));
	if (nlen <= 0 || !totp_user_name_ok(sk_slice_make((const char *)name, (size_t)nlen)))
		return SESSION_MALFORMED;
	unsigned long long exp;
	if (f[1].len == 0 || f[1].len > 20 || (f[1].len > 1 && f[1].p[0] == '0') ||
	    !sk_slice_to_u64(f[1], UINT64_MAX, &exp))
		return SESSION_MALFORMED;
	uint8_t nonce[SESSION_NONCE_LEN + 3];
	if (b64url_decode(f[2], nonce, sizeof(nonce)) != SESSION_NONCE_LEN)
		return SESSION_MALFORMED;
	if (exp <= now)
		return SESSION_EXPIRED;
	if (user) {
		sk_slice u = SK_SLICE_NULL;
		if (a) {
			u = arena_dup(a, name, (size_t)nlen);
			if (!u.p)
				return SESSION_MALFORMED;
		}
		*user = u;
	}
	if (expiry)
		*expiry = exp;
	return SESSION_OK;
}

const char *session_strerror(int code)
{
	switch (code) {
	case SESSION_OK:
		return "ok";
	case SESSION_MALFORMED:
		return "malformed session cookie";
	case SESSION_BAD_MAC:
		return "session cookie signature does not match";
	case SESSION_EXPIRED:
		return "session cookie expired";
	case SESSION_BAD_KEY:
		return "session key must be 32 to 128 bytes";
	}
	return "unknown session error";
}
