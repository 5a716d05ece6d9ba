/* xss.c - placeholder until the xss detector lands: matches nothing. */
#include "sekisho/detectors.h"

int xss_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
