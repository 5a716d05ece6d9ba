/* sqli.c - placeholder until the sqli detector lands: matches nothing. */
#include "sekisho/detectors.h"

int sqli_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
