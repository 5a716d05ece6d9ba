/* deser.c - placeholder until the deser detector lands: matches nothing. */
#include "sekisho/detectors.h"

int deser_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
