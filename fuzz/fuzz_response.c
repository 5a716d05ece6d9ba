/* fuzz_response.c - the response-head parser. */
#include <stdint.h>
#include <stdlib.h>

#include "sekisho/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_limits lim;
	http_limits_default(&lim);
	lim.max_head = 4096;
	lim.max_header_line = 512;
	http_header h[64];
	http_response r;
	sk_error e = { 0 };
	http_req_parser st = { 0 };
	ssize_t n = http_parse_response(&st, (const char *)data, size, &r, h, 64, &lim, &e);
	if (n > 0 && ((size_t)n > size || r.status < 100 || r.status > 599))
		abort();
	return 0;
}
