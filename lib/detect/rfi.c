/* rfi.c - placeholder until the rfi detector lands: matches nothing. */
#include "sekisho/detectors.h"

int rfi_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
