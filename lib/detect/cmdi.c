/* cmdi.c - placeholder until the cmdi detector lands: matches nothing. */
#include "sekisho/detectors.h"

int cmdi_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
