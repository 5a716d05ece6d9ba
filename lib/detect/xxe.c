/* xxe.c - placeholder until the xxe detector lands: matches nothing. */
#include "sekisho/detectors.h"

int xxe_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
