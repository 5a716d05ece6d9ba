/* fuzz_deser.c - libFuzzer target for the deser detector. The first byte picks
 * the paranoia level and the location (query argument, Content-Type header,
 * cookie, multipart file name); the rest is the value. A hit must point
 * inside the value and carry a rule and a known score. */
#include <stddef.h>
#include <stdint.h>

#include "sekisho/detectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const target_loc locs[] = { LOC_QUERY_ARG, LOC_HEADER, LOC_COOKIE, LOC_MULTIPART_FILENAME };
	if (size == 0)
		return 0;
	sk_slice v = { (const char *)data + 1, size - 1 };
	det_input in = { v, det_classes(v), SK_LIT("Content-Type"), locs[(data[0] >> 2) & 3],
			 1 + data[0] % 3 };
	det_hit hit;
	if (deser_detect(&in, &hit) == 1 &&
	    (hit.off > v.len || hit.len > v.len - hit.off || !hit.rule || hit.score < DET_SCORE_NOTICE ||
	     hit.score > DET_SCORE_CRITICAL))
		__builtin_trap();
	return 0;
}
