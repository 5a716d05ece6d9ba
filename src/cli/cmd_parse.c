/* cmd_parse.c - `sekisho parse FILE|-` (filled in with the HTTP core). */
#include <stdio.h>

#include "cli.h"

int cmd_parse(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sekisho parse: not ready\n");
	return 2;
}
