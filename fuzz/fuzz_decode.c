/* fuzz_decode.c - every decoder of decode.h on the same input, with the
 * contracts checked: outputs never longer than inputs, in-place decoding
 * equal to copying, path normalisation idempotent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/decode.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(16 * size + 4096);
	sk_slice in = sk_slice_make((const char *)data, size);
	uint32_t f = 0, g = 0;
	char *buf = malloc(size + 1), *copy = malloc(size + 1);
	memcpy(buf, data, size);
	size_t n1 = url_decode_once(buf, size, buf, true, &f);
	size_t n2 = url_decode_once(in.p, size, copy, true, &g);
	CHECK(n1 == n2 && n1 <= size && f == g && memcmp(buf, copy, n1) == 0);
	sk_slice u = url_decode(a, in, size && (data[0] & 1), 3, &f);
	CHECK((u.p || !size) && u.len <= size);
	sk_slice p = path_normalise(a, u, &f);
	CHECK((p.p || !u.len) && p.len <= u.len);
	sk_slice p2 = path_normalise(a, p, &f);
	CHECK(p2.p == p.p && p2.len == p.len);
	CHECK(utf8_fold_overlong(a, in, &f).len <= size);
	sk_slice h = html_entity_decode(a, in, &f);
	CHECK((h.p || !size) && h.len <= size);
	sk_slice t;
	if (decode_base64_text(a, in, &t))
		CHECK(t.len <= size && decode_looks_like_text(t));
	if (decode_hex_text(a, in, &t))
		CHECK(t.len <= size / 2);
	(void)(utf8_flags(in) | byte_flags(in));
	free(buf);
	free(copy);
	arena_free(a);
	return 0;
}
