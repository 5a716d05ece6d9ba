/* ognl.c - placeholder until the ognl detector lands: matches nothing. */
#include "sekisho/detectors.h"

int ognl_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
