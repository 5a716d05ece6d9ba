/* limits.h - every size limit of the HTTP layer, in one place, with why.
 *
 * The defaults are what the proxy and `sekisho parse` use when the config
 * file says nothing. All are runtime values in struct http_limits so that an
 * operator can raise them; the SK_DEFAULT_* names document the reasoning.
 */
#ifndef SEKISHO_LIMITS_H
#define SEKISHO_LIMITS_H

#include <stddef.h>

/* Request line: browsers cap URLs near 8 KB in practice (and nginx's default
 * large_client_header_buffers is 8 KB); longer targets are overwhelmingly
 * scanners or overflow attempts. 414 past it. */
#define SK_DEFAULT_MAX_REQUEST_LINE 8192
/* One header field line: big cookies reach 4-6 KB; 8 KB matches nginx. 431. */
#define SK_DEFAULT_MAX_HEADER_LINE 8192
/* Whole request head: 32 KB leaves room for many cookies yet bounds the
 * memory a slow client can pin per connection. 431. */
#define SK_DEFAULT_MAX_HEAD 32768
/* Header fields: real browsers send 10-25; 100 is Apache's default. 431. */
#define SK_DEFAULT_MAX_HEADERS 100
/* Request body bytes buffered for inspection (1 MiB, the default). */
#define SK_DEFAULT_MAX_BODY_INSPECT (1024 * 1024)
/* Parameters/targets per request: PHP's max_input_vars is 1000; 2000 leaves
 * room for headers, cookies and JSON leaves. Past it the request is refused
 * (413) rather than partially inspected: hiding a payload behind 10,000
 * dummy parameters must not work. */
#define SK_DEFAULT_MAX_TARGETS 2000
/* JSON/XML nesting: no legitimate form nests deeper than a few dozen. */
#define SK_DEFAULT_MAX_DEPTH 64
/* Percent-decoding passes before a value is taken as decoded. Three passes
 * reveal double- and triple-encoding; more only help an attacker burn CPU. */
#define SK_DEFAULT_MAX_DECODE_PASSES 3
/* Chunk extensions per chunk line (RFC 9112 7.1.1 allows them; nobody uses
 * long ones, and they were a smuggling vector). */
#define SK_DEFAULT_MAX_CHUNK_LINE 256
/* Multipart parts. */
#define SK_DEFAULT_MAX_PARTS 256
/* Arena cap per request: body copy plus decoded copies of every target. */
#define SK_DEFAULT_MAX_ARENA (8 * 1024 * 1024)

typedef struct http_limits {
	size_t max_request_line;
	size_t max_header_line;
	size_t max_head;
	size_t max_headers;
	size_t max_body_inspect;
	size_t max_targets;
	size_t max_depth;
	size_t max_decode_passes;
	size_t max_chunk_line;
	size_t max_parts;
	size_t max_arena;
} http_limits;

/* Fill `lim` with the SK_DEFAULT_* values. */
void http_limits_default(http_limits *lim);

#endif
