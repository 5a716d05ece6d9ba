/* target.h - one inspectable item of a request.
 *
 * The inspection view of a request is a flat list of targets. Detectors see
 * targets and never parse HTTP themselves. Body parsers produce targets
 * through a target_emit_fn callback, so they can be fuzzed without a view.
 */
#ifndef SEKISHO_TARGET_H
#define SEKISHO_TARGET_H

#include <stdint.h>

#include "sekisho/slice.h"

/* Where a target was found. Names are stable: they appear in JSON output
 * and in rule selectors. Keep target_loc_name() in lib/http/target.c in
 * step with this list. */
typedef enum target_loc {
	LOC_METHOD = 0,
	LOC_PATH,             /* the decoded, normalised path */
	LOC_PATH_SEGMENT,     /* one decoded path segment (or ;param) */
	LOC_QUERY_STRING,     /* the whole raw query string */
	LOC_QUERY_ARG,        /* name = argument name */
	LOC_QUERY_ARG_NAME,   /* the argument name itself as a value */
	LOC_HEADER,           /* name = header field name */
	LOC_COOKIE,           /* name = cookie name */
	LOC_COOKIE_NAME,      /* the cookie name itself as a value */
	LOC_FORM,             /* urlencoded body field; name = field name */
	LOC_FORM_NAME,        /* urlencoded field name as a value */
	LOC_MULTIPART_FIELD,  /* name = part name */
	LOC_MULTIPART_FILENAME,
	LOC_MULTIPART_FILE,   /* file content (up to the inspection limit) */
	LOC_MULTIPART_HEADER, /* a part header; name = header name */
	LOC_JSON,             /* a JSON leaf; name = path like user.addr[2].city */
	LOC_JSON_KEY,         /* a JSON object key as a value */
	LOC_XML,              /* element text; name = element path */
	LOC_XML_ATTR,         /* attribute value; name = element@attr */
	LOC_XML_DECL,         /* DOCTYPE / ENTITY / processing instruction text */
	LOC_BODY_RAW,         /* a body that could not be parsed, or of an unknown type */
	LOC__COUNT
} target_loc;

/* Flags describe how a value was decoded and what looked wrong on the way.
 * They are facts for the detectors and the audit log, not verdicts. */
enum target_flag {
	TF_INVALID_ESCAPE = 1u << 0,  /* a '%' not followed by two hex digits, kept as is */
	TF_DOUBLE_ENCODED = 1u << 1,  /* decoding more than once changed the value */
	TF_UNICODE_ESCAPE = 1u << 2,  /* %uXXXX seen */
	TF_INVALID_UTF8 = 1u << 3,    /* not valid UTF-8 (legacy charsets land here too) */
	TF_OVERLONG_UTF8 = 1u << 4,   /* overlong UTF-8 form, e.g. %c0%af for '/' */
	TF_NUL = 1u << 5,             /* a NUL byte in the decoded value */
	TF_CTL = 1u << 6,             /* other control bytes (CR, LF, ...) in the decoded value */
	TF_TRUNCATED = 1u << 7,       /* value cut at an inspection limit */
	TF_PATH_TRAVERSAL = 1u << 8,  /* dot segments climbed above the root */
	TF_BACKSLASH = 1u << 9,       /* backslash treated as a path separator */
	TF_MALFORMED = 1u << 10,      /* the container was malformed around this value */
	TF_BINARY = 1u << 11,         /* content looks binary (file uploads) */
	TF_HIGH_BYTES = 1u << 12,     /* bytes >= 0x80 present (e.g. Shift_JIS, EUC-JP) */
};

typedef struct target {
	uint8_t loc;    /* target_loc */
	uint32_t flags; /* target_flag bits */
	sk_slice name;  /* parameter/header/cookie name or JSON path; may be empty */
	sk_slice raw;   /* as on the wire within its container */
	sk_slice value; /* decoded for its container (and percent-decoded to a fixed point) */
} target;

/* Called by body parsers for each target. The slices must stay valid for
 * the life of the request arena (they point into the input or the arena).
 * Return 0 to continue, or a negative value to stop the parser, which then
 * returns SK_ERR with rule "stopped by consumer". */
typedef int (*target_emit_fn)(void *ctx, const target *t);

/* Names of the flags set in `flags`, e.g. "double_encoded"; for output.
 * Fills up to `max` names and returns how many were set. */
size_t target_flag_names(uint32_t flags, const char **names, size_t max);

/* Stable lower-case name of a location, e.g. "query_arg". */
const char *target_loc_name(target_loc loc);

#endif
