/* ssrf.c - placeholder until the ssrf detector lands: matches nothing. */
#include "sekisho/detectors.h"

int ssrf_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
