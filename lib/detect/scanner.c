/* scanner.c - placeholder until the scanner detector lands: matches nothing. */
#include "sekisho/detectors.h"

int scanner_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
