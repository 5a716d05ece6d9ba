/* ldapi.c - placeholder until the ldapi detector lands: matches nothing. */
#include "sekisho/detectors.h"

int ldapi_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
