/* fuzz_multipart.c - multipart_boundary + multipart_feed/finish.
 * Byte 0: bit 0 takes the boundary from a Content-Type line (input up to the
 * first '\n'), else "b"; bit 1 selects tiny limits. Bytes 1-3 pick up to
 * three cut points; each chunk is fed from its own malloc'd copy, freed
 * right after, so a target pointing into the caller's chunk is caught. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/multipart.h"

static int touch(void *ctx, const target *t)
{
	size_t *sum = ctx;
	for (size_t i = 0; i < t->name.len; i++) *sum += (unsigned char)t->name.p[i];
	for (size_t i = 0; i < t->value.len; i++) *sum += (unsigned char)t->value.p[i];
	for (size_t i = 0; i < t->raw.len; i++) *sum += (unsigned char)t->raw.p[i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	unsigned mode = data[0];
	size_t cut[3] = { data[1], data[2], data[3] };
	const char *p = (const char *)data + 4;
	size_t n = size - 4;
	sk_slice b = SK_LIT("b");
	sk_error err;
	if (mode & 1) {
		const char *nl = memchr(p, '\n', n);
		size_t l = nl ? (size_t)(nl - p) : n;
		if (multipart_boundary(sk_slice_make(p, l), &b, &err) != SK_OK)
			return 0;
		char *copy = malloc(b.len); /* the boundary need not outlive init */
		memcpy(copy, b.p, b.len);
		b.p = copy;
	}
	http_limits lim;
	http_limits_default(&lim);
	if (mode & 2) {
		lim.max_header_line = 64; lim.max_headers = 4; lim.max_body_inspect = 32; lim.max_parts = 8;
	}
	arena *a = arena_new(1 << 20);
	multipart_state st;
	size_t sum = 0;
	multipart_init(&st, b, a, &lim, touch, &sum);
	if (mode & 1)
		free((void *)b.p);
	size_t at = 0;
	int rc = SK_OK;
	for (int k = 0; k < 4 && rc == SK_OK; k++) {
		size_t end = k < 3 ? at + (n - at) * cut[k] / 255 : n;
		char *chunk = malloc(end - at + 1);
		memcpy(chunk, p + at, end - at);
		rc = multipart_feed(&st, chunk, end - at, &err);
		free(chunk);
		at = end;
	}
	if (rc == SK_OK)
		multipart_finish(&st, &err);
	arena_free(a);
	return 0;
}
