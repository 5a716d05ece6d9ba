/* fuzz_totp_store.c - the TOTP secrets file parser; whatever it accepts must
 * serialise and parse back to the same users (and the same bytes). */
#include <stdint.h>
#include <stdlib.h>

#include "sekisho/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(8 * size + 65536);
	totp_store s, s2;
	totp_store_error e;
	if (totp_store_parse(sk_slice_make((const char *)data, size), a, &s, &e) == SK_OK) {
		size_t cap = totp_store_serialised_max(&s);
		char *out = malloc(cap), *out2 = malloc(cap);
		long n = totp_store_serialise(&s, out, cap);
		if (n < 0 || totp_store_parse(sk_slice_make(out, (size_t)n), a, &s2, &e) != SK_OK || s2.n != s.n)
			abort();
		for (size_t i = 0; i < s.n; i++)
			if (!sk_slice_eq(s.users[i].name, s2.users[i].name) ||
			    s.users[i].key.secret_len != s2.users[i].key.secret_len ||
			    memcmp(s.users[i].key.secret, s2.users[i].key.secret, s.users[i].key.secret_len) ||
			    s.users[i].last_used_step != s2.users[i].last_used_step)
				abort();
		if (totp_store_serialise(&s2, out2, cap) != n || memcmp(out, out2, (size_t)n))
			abort();
		free(out);
		free(out2);
	} else if (!e.rule || e.line == 0 || e.col == 0) {
		abort();
	}
	arena_free(a);
	return 0;
}
