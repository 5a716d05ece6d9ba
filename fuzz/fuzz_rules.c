/* fuzz_rules.c - the rule-file parser and compiler: any text either
 * compiles or is refused with a message naming a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	err[0] = '\0';
	ruleset *rs = ruleset_compile((const char *)data, size, "f", err, sizeof(err));
	if (!rs && strncmp(err, "f:", 2) != 0 && strncmp(err, "rules:", 6) != 0)
		abort();
	if (rs) {
		rules_scratch *s = rules_scratch_new(rs);
		rules_scratch_free(s);
	}
	ruleset_free(rs);
	return 0;
}
