/* fuzz_scanner.c - libFuzzer target for the scanner detector. The first byte picks
 * the paranoia level, the location and the name; the rest is the value.
 * A hit must lie inside the value and name its rule. */
#include <stddef.h>
#include <stdint.h>

#include "sekisho/detectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const sk_slice names[4] = { SK_LIT("url"), SK_LIT("User-Agent"), SK_LIT("next"), SK_LIT("message") };
	if (size == 0)
		return 0;
	sk_slice v = { (const char *)data + 1, size - 1 };
	det_input in = { v, det_classes(v), names[data[0] >> 6], (target_loc)((data[0] >> 2) % LOC__COUNT),
			 1 + data[0] % 3 };
	det_hit hit;
	if (scanner_detect(&in, &hit) == 1 && (hit.off > v.len || hit.len > v.len - hit.off || !hit.rule || hit.score < 1))
		__builtin_trap();
	return 0;
}
