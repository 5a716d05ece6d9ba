/* limits.c - the default limits; the reasons live in include/sekisho/limits.h. */
#include "sekisho/limits.h"

void http_limits_default(http_limits *lim)
{
	lim->max_request_line = SK_DEFAULT_MAX_REQUEST_LINE;
	lim->max_header_line = SK_DEFAULT_MAX_HEADER_LINE;
	lim->max_head = SK_DEFAULT_MAX_HEAD;
	lim->max_headers = SK_DEFAULT_MAX_HEADERS;
	lim->max_body_inspect = SK_DEFAULT_MAX_BODY_INSPECT;
	lim->max_targets = SK_DEFAULT_MAX_TARGETS;
	lim->max_depth = SK_DEFAULT_MAX_DEPTH;
	lim->max_decode_passes = SK_DEFAULT_MAX_DECODE_PASSES;
	lim->max_chunk_line = SK_DEFAULT_MAX_CHUNK_LINE;
	lim->max_parts = SK_DEFAULT_MAX_PARTS;
	lim->max_arena = SK_DEFAULT_MAX_ARENA;
}
