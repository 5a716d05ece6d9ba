/* nosqli.c - placeholder until the nosqli detector lands: matches nothing. */
#include "sekisho/detectors.h"

int nosqli_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
