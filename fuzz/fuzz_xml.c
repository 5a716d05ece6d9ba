/* fuzz_xml.c - the XML reducer on a body with no NUL after it; the first
 * byte picks a small depth limit so the limit paths are exercised too. */
#include <stdlib.h>
#include <string.h>

#include "sekisho/xml.h"

static int sink(void *ctx, const target *t) { (void)ctx; (void)t; return 0; }

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 1)
		return 0;
	http_limits lim;
	http_limits_default(&lim);
	lim.max_depth = 8 + data[0] % 64;
	lim.max_targets = 300;
	char *body = malloc(size - 1 ? size - 1 : 1); /* exact size: ASan sees over-reads */
	memcpy(body, data + 1, size - 1);
	arena *a = arena_new(1 << 20);
	sk_error err;
	xml_parse(sk_slice_make(body, size - 1), a, &lim, sink, NULL, &err);
	arena_free(a);
	free(body);
	return 0;
}
