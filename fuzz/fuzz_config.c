/* fuzz_config.c - config_parse on any bytes: a config or an error that
 * names the file, a line and a column; never a crash, leak or hang. The
 * access lists of a parsed config are compiled and asked once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	err[0] = '\0';
	sk_config *c = config_parse((const char *)data, size, "f", err, sizeof(err));
	if (!c && strncmp(err, "f:", 2) != 0)
		abort();
	if (c) {
		/* Whatever access lists parsed must compile and answer. */
		access_rules *r = access_compile(&c->access.global, c->access.paths, c->access.npaths,
						 c->access.unknown_country == SK_UNKNOWN_DENY);
		if (!r)
			abort();
		sk_addr a;
		memset(&a, 0, sizeof(a));
		if (size >= 16)
			memcpy(a.b, data, 16);
		access_result res;
		char d[512];
		access_check(r, &a, SK_LIT("/admin/x"), SK_COUNTRY('J', 'P'), &res);
		access_describe(&res, d, sizeof(d));
		access_free(r);
	}
	config_free(c);
	return 0;
}
