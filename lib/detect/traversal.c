/* traversal.c - placeholder until the traversal detector lands: matches nothing. */
#include "sekisho/detectors.h"

int traversal_detect(const det_input *in, det_hit *hit)
{
	(void)in;
	(void)hit;
	return 0;
}
