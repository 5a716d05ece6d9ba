/* fuzz_config.c - config_parse on any bytes: a config or an error that
 * names the file, a line and a column; never a crash, leak or hang. */
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
	config_free(c);
	return 0;
}
