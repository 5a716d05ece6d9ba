/* crlf.c - placeholder until the crlf detector lands: matches nothing. */
#include "sekisho/detectors.h"

int crlf_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
