/* fuzz_request.c - the request-head parser, whole and resumed at a split
 * point chosen from the input; both runs must agree. */
#include <stdint.h>
#include <stdlib.h>

#include "sekisho/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_limits lim;
	http_limits_default(&lim);
	lim.max_head = 4096; /* small limits reach the limit paths quickly */
	lim.max_header_line = 512;
	lim.max_request_line = 512;
	http_header h1[64], h2[64];
	http_request r1, r2;
	sk_error e1 = { 0 }, e2 = { 0 };
	http_req_parser s1 = { 0 }, s2 = { 0 };
	ssize_t a = http_parse_request(&s1, (const char *)data, size, &r1, h1, 64, &lim, &e1);
	size_t split = size ? data[0] % (size + 1) : 0;
	ssize_t b = http_parse_request(&s2, (const char *)data, split, &r2, h2, 64, &lim, &e2);
	if (b == SK_AGAIN)
		b = http_parse_request(&s2, (const char *)data, size, &r2, h2, 64, &lim, &e2);
	if ((a > 0) != (b > 0) || (a > 0 && a != b))
		abort();
	if (a > 0 && (size_t)a > size)
		abort();
	return 0;
}
