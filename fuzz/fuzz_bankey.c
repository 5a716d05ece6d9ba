/* fuzz_bankey.c - ban keys, TTLs and POST /bans bodies from operator input.
 * The first byte picks the parser. An accepted key must be canonical: it
 * parses again to the same text and kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/bankey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	sk_slice in = sk_slice_make((const char *)data + 1, size - 1);
	const char *why = NULL;
	switch (data[0] % 4) {
	case 0: {
		bankey k, again;
		if (bankey_parse(in, &k, &why)) {
			if (k.len != strlen(k.text) || k.len >= BANKEY_MAX)
				abort();
			if (!bankey_parse(sk_slice_make(k.text, k.len), &again, &why) || strcmp(again.text, k.text) != 0 ||
			    again.kind != k.kind)
				abort();
		} else if (!why) {
			abort();
		}
		break;
	}
	case 1: {
		uint32_t s;
		if (bankey_ttl_parse(in, &s, &why) && (s == 0 || s > BANKEY_TTL_MAX_S))
			abort();
		break;
	}
	default: {
		arena *a = arena_new(64 * 1024);
		ban_request r;
		const char *ct = data[0] % 4 == 2 ? "application/json" : "application/x-www-form-urlencoded";
		if (ban_request_parse(sk_slice_make(ct, strlen(ct)), in, data[0] & 4, a, &r, &why)) {
			if (r.ttl_s == 0 || r.ttl_s > BANKEY_TTL_MAX_S || strlen(r.reason) > STATE_REASON_MAX ||
			    r.key.len == 0)
				abort();
		} else if (!why) {
			abort();
		}
		arena_free(a);
		break;
	}
	}
	return 0;
}
