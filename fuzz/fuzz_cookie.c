/* fuzz_cookie.c - Cookie header parsing; every raw slice must lie in the
 * input and no decoded value may be longer than its raw form. */
#include <stdint.h>
#include <stdlib.h>

#include "sekisho/cookie.h"

static int emit(void *ctx, const target *t)
{
	const sk_slice *in = ctx;
	if (t->raw.len && (t->raw.p < in->p || t->raw.p + t->raw.len > in->p + in->len))
		abort();
	if (t->value.len > t->raw.len || !t->name.p)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_limits lim;
	http_limits_default(&lim);
	lim.max_targets = 64;
	arena *a = arena_new(4 * size + 4096);
	sk_slice in = sk_slice_make((const char *)data, size);
	sk_error err;
	cookie_parse(in, a, &lim, emit, &in, &err);
	arena_free(a);
	return 0;
}
