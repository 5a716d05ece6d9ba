/* ssti.c - placeholder until the ssti detector lands: matches nothing. */
#include "sekisho/detectors.h"

int ssti_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
