/* view.h - the inspection view: a request as a flat list of targets.
 *
 * Built once per request in the request's arena, after the head is parsed
 * and the body (de-chunked, capped at the inspection limit) is in memory.
 * Every part a detector may need is a target: method, path, query string
 * and each argument, each header, each cookie, each body field, file name
 * and JSON/XML leaf, and the raw body when it cannot be parsed.
 */
#ifndef SEKISHO_VIEW_H
#define SEKISHO_VIEW_H

#include "sekisho/arena.h"
#include "sekisho/http.h"
#include "sekisho/target.h"

typedef enum view_body_kind {
	BODY_NONE = 0,
	BODY_URLENCODED,
	BODY_MULTIPART,
	BODY_JSON,
	BODY_XML,
	BODY_OTHER,
} view_body_kind;

typedef struct http_view {
	target *targets;         /* in the arena */
	size_t ntargets;
	size_t cap;
	sk_slice path_normalised;/* decoded, dot segments resolved: for routing and exceptions */
	uint32_t path_flags;
	sk_slice body;           /* the body as inspected (decoded from chunked, capped) */
	view_body_kind body_kind;
	bool body_truncated;     /* the body was longer than the inspection limit */
	bool body_error;         /* the body parser refused the body; see body_err */
	sk_error body_err;
	size_t max_targets;
} http_view;

/* Build the view of `req` (a parsed head) and `body` (the decoded body
 * bytes, possibly truncated: pass body_truncated). All copies go into `a`;
 * slices also point into the request buffer and `body`, which must outlive
 * the view. A body that its parser refuses is still inspected as one
 * LOC_BODY_RAW target and the error is kept in body_err (a body the WAF
 * cannot parse is itself a finding). Returns SK_OK, or SK_ERR when a limit
 * is exceeded (too many targets: 413; arena exhausted: 413). */
int view_build(http_view *v, const http_request *req, sk_slice body, bool body_truncated, arena *a,
	       const http_limits *lim, sk_error *err);

const char *view_body_kind_name(view_body_kind k);

#endif
