/* fuzz_gate.c - the TOTP gate's pure helpers on hostile input: the Cookie
 * header rewrite (never overruns, never keeps our cookie, is idempotent),
 * the redirect target rule (nothing accepted can leave the site or break a
 * header), path matching and CSRF tokens (nothing unsigned verifies). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/gate.h"

static const uint8_t key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sk_slice in = sk_slice_make((const char *)data, size);
	sk_slice name = SK_LIT("sekisho_gate");
	size_t cap = size + size / 2 + 1;
	char *out = malloc(cap), *again = malloc(cap);
	long n = gate_cookie_strip(in, name, out, cap);
	if (n < 0 || (size_t)n > cap)
		abort();
	long m = gate_cookie_strip(sk_slice_make(out, (size_t)n), name, again, cap);
	if (m != n || memcmp(out, again, (size_t)n) != 0)
		abort();
	free(out);
	free(again);
	if (gate_next_ok(in)) {
		if (size < 1 || data[0] != '/' || (size > 1 && (data[1] == '/' || data[1] == '\\')))
			abort();
		for (size_t i = 0; i < size; i++)
			if (data[i] <= 0x20 || data[i] >= 0x7f || data[i] == '\\')
				abort();
	}
	/* the input split at its first NUL: a prefix and a path */
	const char *z = memchr(data, 0, size);
	if (z) {
		sk_slice pre = sk_slice_make((const char *)data, (size_t)(z - (const char *)data));
		sk_slice path = sk_slice_make(z + 1, size - pre.len - 1);
		if (gate_path_under(pre, path) && (pre.len == 0 || pre.p[0] != '/' || path.len == 0))
			abort();
	}
	static const char cookie[] = "00112233445566778899aabbccddeeff";
	if (gate_csrf_verify(key, sizeof(key), SK_LIT(cookie), in, 0)) {
		char tok[GATE_CSRF_TOKEN_MAX], copy[GATE_CSRF_TOKEN_MAX + 1];
		/* only our own token for that cookie and expiry verifies */
		if (size > GATE_CSRF_TOKEN_MAX)
			abort();
		memcpy(copy, data, size);
		copy[size] = '\0';
		const char *dot = memchr(copy, '.', size);
		uint64_t exp = strtoull(copy, NULL, 10);
		long t = dot ? gate_csrf_token(key, sizeof(key), SK_LIT(cookie), exp, tok) : -1;
		if (t < 0 || (size_t)t != size || memcmp(tok, data, size) != 0)
			abort();
	}
	return 0;
}
