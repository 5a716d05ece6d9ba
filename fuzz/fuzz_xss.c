/* fuzz_xss.c - libFuzzer target for the xss detector. The first byte picks
 * the paranoia level and the location (a header gets the percent-decoded
 * view); the rest is the value. A hit must point inside the value. */
#include <stddef.h>
#include <stdint.h>

#include "sekisho/detectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	sk_slice v = { (const char *)data + 1, size - 1 };
	det_input in = { v, det_classes(v), SK_LIT("q"), (data[0] & 4) ? LOC_HEADER : LOC_QUERY_ARG,
			 1 + data[0] % 3 };
	det_hit hit;
	if (xss_detect(&in, &hit) == 1 && (hit.off > v.len || hit.len > v.len - hit.off || !hit.rule))
		__builtin_trap();
	return 0;
}
