/* jndi.c - placeholder until the jndi detector lands: matches nothing. */
#include "sekisho/detectors.h"

int jndi_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
