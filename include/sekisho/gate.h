/* gate.h - the pure pieces of the proxy's TOTP gate on admin paths
 * (src/proxy/gate.c is the glue): which paths are gated, where a login may
 * send the browser back to, our cookie taken out of a Cookie header, and
 * the CSRF token of the login form. No I/O, clocks or randomness: times,
 * keys and nonces come from the caller.
 */
#ifndef SEKISHO_GATE_H
#define SEKISHO_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/slice.h"

/* Is `path` (decoded and normalised: lib/http/path.c) under `prefix`?
 * Segment-wise and ASCII case-insensitive, so "/admin/" and "/admin" both
 * gate "/admin", "/Admin/x" and "/admin/x/y" but not "/administrator"; "/"
 * gates everything. Case-insensitive on purpose: some servers map
 * "/ADMIN/" to the same handler, and gating too much is the safe error. */
bool gate_path_under(sk_slice prefix, sk_slice path);

/* May the browser be sent to `next` after a login? Only a local path of
 * printable ASCII: it starts with one '/', not "//" or "/\" (which browsers
 * take as another host), and holds no backslash, control byte, space or
 * byte >= 0x7f (so nothing can end the Location header either), at most
 * GATE_NEXT_MAX bytes. */
#define GATE_NEXT_MAX 2048
bool gate_next_ok(sk_slice next);

/* Copy the Cookie header value `value` into `out` without the pieces named
 * `name` (compared exactly, after trimming spaces and tabs), joining the
 * rest with "; ". `cap` >= value.len + value.len / 2 + 1 is always enough
 * (each kept separator may gain a space). Returns the new
 * length (0 when nothing is left: drop the header), or -1 if `cap` is too
 * small. */
long gate_cookie_strip(sk_slice value, sk_slice name, char *out, size_t cap);

/* ---- the login form's CSRF token ----
 * The login page sets a cookie holding a random nonce (GATE_CSRF_NONCE_LEN
 * bytes, hex) and puts into the form the token
 *   EXPIRY "." hex(HMAC-SHA256(key, "sekisho-csrf-v1." EXPIRY "." COOKIE))
 * A post is accepted only with both, the token's MAC matching that cookie
 * and EXPIRY > now. A page on another site can neither read the token nor
 * (SameSite=Strict) send the cookie. */
#define GATE_CSRF_NONCE_LEN 16
#define GATE_CSRF_COOKIE_LEN (2 * GATE_CSRF_NONCE_LEN)
#define GATE_CSRF_TOKEN_MAX 96 /* 20 digits + '.' + 64 hex, with room */

/* Hex of `nonce` into out (GATE_CSRF_COOKIE_LEN characters and a NUL). */
void gate_csrf_cookie(const uint8_t nonce[GATE_CSRF_NONCE_LEN], char out[GATE_CSRF_COOKIE_LEN + 1]);
/* The token for `cookie` valid until `expiry`, NUL-terminated into out.
 * Returns its length, or -1 (HMAC failure, bad cookie). */
long gate_csrf_token(const uint8_t *key, size_t keylen, sk_slice cookie, uint64_t expiry,
		     char out[GATE_CSRF_TOKEN_MAX]);
/* True if `token` is the token of `cookie` and not expired at `now`. The
 * MAC is compared in constant time. */
bool gate_csrf_verify(const uint8_t *key, size_t keylen, sk_slice cookie, sk_slice token, uint64_t now);

/* A 32-byte key for one purpose from the master key:
 * HMAC-SHA256(master, label). The session cookie and the CSRF token use
 * different labels, so a value made for one is never valid as the other.
 * Returns false on an HMAC failure. */
#define GATE_KEY_LEN 32
bool gate_derive_key(const uint8_t *master, size_t mlen, const char *label, uint8_t out[GATE_KEY_LEN]);

#endif
