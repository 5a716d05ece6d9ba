/* fuzz_sqli.c - libFuzzer target for the SQL lexer and the sqli detector.
 * The first byte picks the paranoia level and the location (a path is
 * split into segments); the rest is the value. */
#include <stddef.h>
#include <stdint.h>

#include "sekisho/detectors.h"
#include "sekisho/sql_lexer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	sk_slice v = { (const char *)data + 1, size - 1 };
	det_input in = { v, det_classes(v), SK_LIT("id"), (data[0] & 4) ? LOC_PATH : LOC_QUERY_ARG, 1 + data[0] % 3 };
	det_hit hit;
	if (sqli_detect(&in, &hit) == 1 && (hit.off > v.len || hit.len > v.len - hit.off || !hit.rule))
		__builtin_trap();
	sql_lexer lx;
	sql_token t;
	sql_lexer_init(&lx, v, (sql_ctx)(data[0] % 3));
	size_t last = 0;
	while (sql_lexer_next(&lx, &t))
		if (t.off + t.len > v.len || t.off < last)
			__builtin_trap();
		else
			last = t.off;
	return 0;
}
