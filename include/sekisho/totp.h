/* totp.h - the pure pieces of the TOTP gate on admin paths.
 *
 * Four small modules, all without I/O, clocks or randomness (the caller
 * supplies the time, the keys and the nonces):
 *
 *   base32_   RFC 4648 base32, strict (lib/guard/base32.c)
 *   totp_     HOTP (RFC 4226) and TOTP (RFC 6238) codes and verification
 *             with a +-1 step window and replay refusal (lib/guard/totp.c)
 *   totp_store_  the secrets file: one line per user
 *             `user:BASE32SECRET:ALGORITHM:DIGITS:LAST_USED_STEP`
 *             parsed and written on buffers (lib/guard/totp_store.c)
 *   session_  a signed session cookie `user.expiry.nonce.mac`
 *             (HMAC-SHA256, base64url) (lib/guard/session.c)
 *
 * HMACs come from OpenSSL's libcrypto. Secrets are compared in constant
 * time; see docs/totp.md for the threat model.
 */
#ifndef SEKISHO_TOTP_H
#define SEKISHO_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/slice.h"
#include "sekisho/status.h"

/* ---- base32 (RFC 4648 section 6) ---- */

/* Characters needed to encode `n` bytes: padded to a multiple of 8 when
 * `pad`, else the shortest form. */
size_t base32_encoded_len(size_t n, bool pad);

/* Encode `n` bytes of `in` with the alphabet A-Z2-7 into `out` (capacity
 * `cap`; no NUL is written). Returns the number of characters written, or
 * 0 if `cap` is too small (encoding zero bytes also returns 0). */
size_t base32_encode(const uint8_t *in, size_t n, bool pad, char *out, size_t cap);

/* Decode `in` strictly: upper-case alphabet only, no spaces; when `pad` the
 * input must be a multiple of 8 characters with exactly the padding RFC
 * 4648 prescribes, else '=' is refused; lengths that no byte string encodes
 * to (1, 3 or 6 trailing characters) and non-zero unused bits in the last
 * character are refused, so every byte string has one accepted form.
 * Writes at most `cap` bytes to `out`. Returns the number of bytes (>= 0),
 * or SK_ERR with `err` (offset = index of the offending character). */
long base32_decode(sk_slice in, bool pad, uint8_t *out, size_t cap, sk_error *err);

/* ---- HOTP / TOTP ---- */

typedef enum totp_alg {
	TOTP_SHA1 = 0, /* the default; the only one many authenticator apps honour */
	TOTP_SHA256,
	TOTP_SHA512,
} totp_alg;

/* RFC 4226 R6: at least 128 bits; 160 is recommended (what enroll makes).
 * 64 bytes is the HMAC-SHA512 block size; longer keys add nothing. */
#define TOTP_SECRET_MIN 16
#define TOTP_SECRET_MAX 64
/* RFC 6238's recommended time step. */
#define TOTP_PERIOD 30
/* The accepted steps are the current one and one on either side. */
#define TOTP_WINDOW 1

typedef struct totp_key {
	uint8_t secret[TOTP_SECRET_MAX];
	size_t secret_len; /* TOTP_SECRET_MIN..TOTP_SECRET_MAX for verification */
	totp_alg alg;
	unsigned digits;   /* 6 or 8 */
} totp_key;

/* "SHA1", "SHA256", "SHA512" (the otpauth URI and store spelling). */
const char *totp_alg_name(totp_alg alg);
/* Parse one of the names above, exactly (upper case). */
bool totp_alg_parse(sk_slice s, totp_alg *out);

/* RFC 4226 HOTP value of `counter`: HMAC(secret, counter as 8 bytes
 * big-endian), dynamic truncation, modulo 10^digits. The secret may be any
 * length here (the RFC vectors use 20, 32 and 64 bytes); digits 6..8.
 * Returns 0 and the value in *code, or SK_ERR for bad digits or an HMAC
 * failure. */
int hotp_value(const totp_key *k, uint64_t counter, uint32_t *code);

/* Write `code` as exactly `digits` decimal characters with leading zeros,
 * plus a NUL, into `out` (at least 9 bytes). */
void totp_format(uint32_t code, unsigned digits, char out[9]);

/* The TOTP step of unix time `now`: now / TOTP_PERIOD. */
uint64_t totp_step(uint64_t now);

enum {
	TOTP_OK = 0,         /* the code matched a fresh step: *matched holds it */
	TOTP_WRONG = -1,     /* no step in the window produced this code */
	TOTP_REPLAY = -2,    /* it matched, but only a step <= last_used_step */
	TOTP_INVALID = -3,   /* the key is unusable (secret length, digits) */
};

/* Check `code` (exactly k->digits ASCII digits, nothing else) against the
 * steps totp_step(now) - 1, + 0, + 1. Every candidate is computed and
 * compared in constant time, whatever the input. A step is fresh when it is
 * greater than `last_used_step` (0 means never used: step 0 is 1970). On
 * TOTP_OK *matched is the step to store as the new last_used_step, so the
 * same code (or an older one) is refused next time. On TOTP_REPLAY,
 * *matched is the step that matched. */
int totp_verify(const totp_key *k, sk_slice code, uint64_t now, uint64_t last_used_step,
		uint64_t *matched);

/* ---- the secrets file ---- */

/* Usernames: 1..64 bytes of A-Z a-z 0-9 . _ @ - (no ':' which splits the
 * line, no '.' trouble in cookies since those are base64url-encoded). */
#define TOTP_USER_MAX 64
#define TOTP_STORE_MAX_BYTES (1024u * 1024)
#define TOTP_STORE_MAX_LINE 512
#define TOTP_STORE_MAX_USERS 10000

typedef struct totp_user {
	sk_slice name;          /* in the arena, NUL-terminated */
	totp_key key;
	uint64_t last_used_step;
	size_t line;            /* 1-based line it came from (0 if added) */
} totp_user;

typedef struct totp_store {
	totp_user *users;       /* in the arena, in file order */
	size_t n;
	size_t cap;
} totp_store;

typedef struct totp_store_error {
	const char *rule;       /* static text */
	size_t line;            /* 1-based */
	size_t col;             /* 1-based byte column */
} totp_store_error;

/* True if `name` is a valid username (charset and length above). */
bool totp_user_name_ok(sk_slice name);

/* Parse the whole file `text` (at most TOTP_STORE_MAX_BYTES). Blank lines
 * and lines starting with '#' are skipped; every other line must be
 *   user:SECRET:ALG:DIGITS:LAST_USED_STEP
 * with SECRET unpadded strict base32 of TOTP_SECRET_MIN..MAX bytes, ALG one
 * of SHA1 SHA256 SHA512, DIGITS 6 or 8, LAST_USED_STEP a decimal without
 * leading zeros. Lines end in LF (a CR is refused); the last one may lack
 * it. A user may appear once. Everything is copied into `a`; `text` may be
 * freed afterwards. Returns SK_OK with *out filled, or SK_ERR with `err`
 * (line and column of the first problem). */
int totp_store_parse(sk_slice text, arena *a, totp_store *out, totp_store_error *err);

/* Index of the user `name`, or -1. */
long totp_store_find(const totp_store *s, sk_slice name);

/* Add `u` (its name is copied into `a`), or replace the user of the same
 * name when `replace`. Returns the index, or SK_ERR if the user exists and
 * !replace, the name or key is invalid, the store is full or `a` is. */
long totp_store_put(totp_store *s, arena *a, const totp_user *u, bool replace);

/* Write the store in the format above, one header comment line first, into
 * `out` (capacity `cap`). Returns the number of bytes, or SK_ERR if it
 * does not fit. The output contains the secrets: write it only to a 0600
 * file. totp_store_parse() reads it back to the same store. */
long totp_store_serialise(const totp_store *s, char *out, size_t cap);

/* A capacity that is always enough for totp_store_serialise(s). */
size_t totp_store_serialised_max(const totp_store *s);

/* ---- signed session cookie ---- */

/* The server key: HMAC-SHA256 wants at least its output size. */
#define SESSION_KEY_MIN 32
#define SESSION_KEY_MAX 128
#define SESSION_NONCE_LEN 16
/* base64url(64-byte user) + 20 digits + base64url(16) + base64url(32) + 3
 * dots = 86 + 20 + 22 + 43 + 3 = 174; 256 leaves room and bounds work. */
#define SESSION_COOKIE_MAX 256

enum {
	SESSION_OK = 0,
	SESSION_MALFORMED = -1, /* not our format, too long, or bad encoding */
	SESSION_BAD_MAC = -2,   /* well formed but not signed by this key */
	SESSION_EXPIRED = -3,   /* signed by us, expiry <= now */
	SESSION_BAD_KEY = -4,   /* the key given is shorter than SESSION_KEY_MIN */
};

/* Make a cookie value for `user` (totp_user_name_ok) valid until unix time
 * `expiry`, with `nonce` fresh random bytes from the caller, signed with
 * `key` (SESSION_KEY_MIN..SESSION_KEY_MAX bytes). The MAC is
 * HMAC-SHA256(key, "sekisho-session-v1." || user.expiry.nonce) so it covers
 * every field and the separators. Writes the value (no NUL) to `out`
 * (`cap` >= SESSION_COOKIE_MAX is always enough). Returns its length, or a
 * negative SESSION_* code (SESSION_MALFORMED for a bad user or small cap). */
long session_sign(const uint8_t *key, size_t keylen, sk_slice user, uint64_t expiry,
		  const uint8_t nonce[SESSION_NONCE_LEN], char *out, size_t cap);

/* Check a cookie value: length <= SESSION_COOKIE_MAX, four '.'-separated
 * fields in canonical encoding, MAC compared in constant time, then the
 * expiry (> now). On SESSION_OK, *user (decoded into `a`) and *expiry are
 * set; otherwise they are untouched. `a` may be NULL when the caller only
 * wants the verdict. */
int session_verify(const uint8_t *key, size_t keylen, sk_slice cookie, uint64_t now, arena *a,
		   sk_slice *user, uint64_t *expiry);

/* A static string for a SESSION_* code. */
const char *session_strerror(int code);

#endif
