/* fuzz_cmdi.c - the cmdi detector on arbitrary bytes: the first byte picks the
 * location, paranoia and parameter name; a hit must point inside the value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/detectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "page", "q", "url", "settings.theme.file" };
	if (size == 0)
		return 0;
	sk_slice v = sk_slice_make((const char *)data + 1, size - 1);
	sk_slice nm = sk_slice_make(names[data[0] & 3], strlen(names[data[0] & 3]));
	det_input in = { v, det_classes(v), nm, (target_loc)((data[0] >> 2) % LOC__COUNT), 1 + (data[0] >> 6) % 3 };
	det_hit hit = { 0 };
	if (cmdi_detect(&in, &hit) && (hit.off > v.len || hit.len > v.len - hit.off || !hit.rule))
		abort();
	return 0;
}
