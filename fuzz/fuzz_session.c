/* fuzz_session.c - session cookie checking. Nothing but a cookie we signed
 * may verify (the seeds include some signed with this key), and a cookie
 * signed for any user taken from the input must verify back to that user. */
#include <stdint.h>
#include <stdlib.h>

#include "sekisho/totp.h"

static const uint8_t key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(4096);
	sk_slice in = sk_slice_make((const char *)data, size), user;
	uint64_t exp;
	if (session_verify(key, sizeof(key), in, 1700000000, a, &user, &exp) == SESSION_OK &&
	    (!totp_user_name_ok(user) || exp <= 1700000000 || size > SESSION_COOKIE_MAX))
		abort();
	/* sign a prefix of the input as a user name, then verify it */
	sk_slice name = sk_slice_make(in.p, size < TOTP_USER_MAX ? size : TOTP_USER_MAX);
	uint8_t nonce[SESSION_NONCE_LEN] = { 0 };
	char c[SESSION_COOKIE_MAX];
	long n = session_sign(key, sizeof(key), name, (uint64_t)size * 1000003u + 1, nonce, c, sizeof(c));
	if (totp_user_name_ok(name) != (n > 0))
		abort();
	if (n > 0 && (session_verify(key, sizeof(key), sk_slice_make(c, (size_t)n), 0, a, &user, &exp) != SESSION_OK ||
		      !sk_slice_eq(user, name)))
		abort();
	arena_free(a);
	return 0;
}
