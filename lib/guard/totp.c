/* totp.c - HOTP (RFC 4226) and TOTP (RFC 6238) codes and their checking.
 *
 * The gate's question is "did the holder of this secret type this code in
 * the last minute or so, for the first time?". totp_verify answers it with
 * a +-1 step window (clock drift and typing time) and the step counter of
 * the last accepted code, which the caller stores, so a code seen by a
 * shoulder-surfer or a proxy log cannot be used twice.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sekisho/totp.h"

const char *totp_alg_name(totp_alg alg)
{
	switch (alg) {
	case TOTP_SHA256:
		return "SHA256";
	case TOTP_SHA512:
		return "SHA512";
	case TOTP_SHA1:
	default:
		return "SHA1";
	}
}

bool totp_alg_parse(sk_slice s, totp_alg *out)
{
	if (sk_slice_eq(s, SK_LIT("SHA1")))
		*out = TOTP_SHA1;
	else if (sk_slice_eq(s, SK_LIT("SHA256")))
		*out = TOTP_SHA256;
	else if (sk_slice_eq(s, SK_LIT("SHA512")))
		*out = TOTP_SHA512;
	else
		return false;
	return true;
}

static const EVP_MD *totp_md(totp_alg alg)
{
	switch (alg) {
	case TOTP_SHA1:
		return EVP_sha1();
	case TOTP_SHA256:
		return EVP_sha256();
	case TOTP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static const uint32_t pow10_table[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					 100000000 };

int hotp_value(const totp_key *k, uint64_t counter, uint32_t *code)
{
	if (k->digits < 6 || k->digits > 8 || k->secret_len > TOTP_SECRET_MAX)
		return SK_ERR;
	const EVP_MD *md = totp_md(k->alg);
	if (!md)
		return SK_ERR;
	uint8_t msg[8];
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	if (!HMAC(md, k->secret, (int)k->secret_len, msg, sizeof(msg), mac, &maclen) || maclen < 20)
		return SK_ERR;
	/* Dynamic truncation (RFC 4226 5.3): the low nibble of the last byte
	 * picks 4 bytes; the top bit is dropped to avoid signedness trouble. */
	unsigned off = mac[maclen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	*code = bin % pow10_table[k->digits];
	OPENSSL_cleanse(mac, sizeof(mac));
	return SK_OK;
}

void totp_format(uint32_t code, unsigned digits, char out[9])
{
	if (digits > 8)
		digits = 8;
	for (unsigned i = digits; i > 0; i--) {
		out[i - 1] = (char)('0' + code % 10);
		code /= 10;
	}
	out[digits] = '\0';
}

uint64_t totp_step(uint64_t now)
{
	return now / TOTP_PERIOD;
}

/* Constant-time helpers: all-ones when the condition holds, else zero. */
static uint64_t ct_mask_gt(uint64_t a, uint64_t b)
{
	/* The borrow of b - a is 1 exactly when a > b. */
	uint64_t borrow = ((~b & a) | (~(b ^ a) & (b - a))) >> 63;
	return (uint64_t)0 - borrow;
}

int totp_verify(const totp_key *k, sk_slice code, uint64_t now, uint64_t last_used_step,
		uint64_t *matched)
{
	if (k->digits != 6 && k->digits != 8)
		return TOTP_INVALID;
	if (k->secret_len < TOTP_SECRET_MIN || k->secret_len > TOTP_SECRET_MAX)
		return TOTP_INVALID;
	/* The shape of the code is public (the user typed it), so checking it
	 * up front leaks nothing about the secret. */
	if (code.len != k->digits)
		return TOTP_WRONG;
	for (size_t i = 0; i < code.len; i++)
		if (code.p[i] < '0' || code.p[i] > '9')
			return TOTP_WRONG;

	uint64_t step = totp_step(now);
	uint64_t fresh_step = 0, fresh_hit = 0, stale_step = 0, stale_hit = 0;
	for (int d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
		/* Step 0 minus one does not exist; compute something anyway so the
		 * time taken does not depend on the branch. */
		uint64_t s = step + (uint64_t)(int64_t)d;
		uint64_t exists = (d < 0 && step == 0) ? 0 : ~(uint64_t)0;
		uint32_t v;
		if (hotp_value(k, s, &v) != SK_OK)
			return TOTP_INVALID;
		char want[9];
		totp_format(v, k->digits, want);
		uint64_t hit = CRYPTO_memcmp(want, code.p, code.len) == 0 ? ~(uint64_t)0 : 0;
		hit &= exists;
		OPENSSL_cleanse(want, sizeof(want));
		uint64_t fresh = ct_mask_gt(s, last_used_step);
		/* Prefer the latest fresh step: later iterations overwrite. */
		fresh_step = (fresh_step & ~(hit & fresh)) | (s & hit & fresh);
		fresh_hit |= hit & fresh;
		stale_step = (stale_step & ~(hit & ~fresh)) | (s & hit & ~fresh);
		stale_hit |= hit & ~fresh;
	}
	if (fresh_hit) {
		*matched = fresh_step;
		return TOTP_OK;
	}
	if (stale_hit) {
		*matched = stale_step;
		return TOTP_REPLAY;
	}
	return TOTP_WRONG;
}
