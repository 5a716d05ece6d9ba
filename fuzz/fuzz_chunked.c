/* fuzz_chunked.c - the chunked decoder fed in pieces; the decoded bytes must
 * not depend on how the input was split. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/http.h"

static size_t run(const uint8_t *data, size_t size, size_t step, uint8_t *out, int *status)
{
	http_limits lim;
	http_limits_default(&lim);
	chunked_state st = { 0 };
	sk_error err;
	size_t fed = 0, olen = 0;
	*status = 0;
	while (fed < size && !chunked_done(&st)) {
		size_t piece = size - fed < step ? size - fed : step;
		sk_slice d;
		ssize_t c = chunked_parse(&st, (const char *)data + fed, piece, &d, &lim, &err);
		if (c < 0) {
			*status = -1;
			return olen;
		}
		if ((size_t)c > piece || d.len > piece)
			abort();
		memcpy(out + olen, d.p, d.len);
		olen += d.len;
		fed += (size_t)c;
		if (c == 0)
			break;
	}
	*status = chunked_done(&st) ? 1 : 0;
	return olen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a = malloc(size + 1), *b = malloc(size + 1);
	int sa, sb;
	size_t step = size ? (size_t)(data[0] % 7) + 1 : 1;
	size_t la = run(data, size, size ? size : 1, a, &sa);
	size_t lb = run(data, size, step, b, &sb);
	if (sa != sb || (sa >= 0 && (la != lb || memcmp(a, b, la) != 0)))
		abort();
	free(a);
	free(b);
	return 0;
}
