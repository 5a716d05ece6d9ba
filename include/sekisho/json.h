/* json.h - a streaming, strict (RFC 8259) JSON parser that turns a document
 * into inspection targets.
 *
 * The body may arrive in chunks split at any byte; the parser keeps its
 * place in a caller-owned json_state and never rescans. Nesting is tracked
 * on an explicit stack bounded by lim->max_depth (no recursion).
 *
 * Targets (see docs/internals/json-xml.md):
 *   LOC_JSON      one per leaf (string, number, true, false, null).
 *                 name  = path: `user.address[2].city`, `[0].x` for a
 *                         top-level array, "" for a top-level scalar. A key
 *                         that is empty or contains '.', '[', ']' or '"' is
 *                         written `a["k.y"]`, with '"' and '\' inside the
 *                         brackets escaped by a backslash.
 *                 raw   = the JSON text of the leaf: a string with its
 *                         quotes and escapes as sent, or the literal.
 *                 value = the decoded string, or the literal text.
 *   LOC_JSON_KEY  for each key with a byte outside [A-Za-z0-9_-] (NoSQL
 *                 operators such as `$ne` hide in keys).
 *                 name = path of the object, raw = the key's JSON text,
 *                 value = the decoded key.
 * Flags: TF_INVALID_UTF8 (bad UTF-8 as sent, or a lone surrogate escape,
 * which is written as WTF-8), TF_OVERLONG_UTF8, TF_HIGH_BYTES, TF_NUL
 * (\u0000), TF_CTL (other control characters after decoding, e.g. \n), and
 * TF_MALFORMED on everything under the second and later occurrence of a
 * key in one object (parsers disagree on which duplicate wins).
 * Empty objects and arrays produce no target.
 *
 * Every emitted slice is copied into the arena (or is a static literal),
 * so the caller may reuse its chunk buffers at once.
 */
#ifndef SEKISHO_JSON_H
#define SEKISHO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/limits.h"
#include "sekisho/status.h"
#include "sekisho/target.h"

/* Private to json.c; declared here only so json_state can be caller-owned. */
typedef struct json_frame json_frame;
typedef struct json_keyent json_keyent;

/* A byte buffer that grows inside the arena (old copies are abandoned). */
typedef struct json_buf {
	char *p;
	size_t len, cap;
} json_buf;

/* The parser state. Caller-owned (stack or arena), set up by json_init;
 * all fields are private. Everything it points to lives in the arena. */
typedef struct json_state {
	arena *a;
	const http_limits *lim;
	target_emit_fn emit;
	void *ctx;

	uint8_t state;     /* where we are in the grammar (json.c, enum jstate) */
	uint8_t sub;       /* number sub-state or literal index */
	uint8_t lit;       /* which literal (true/false/null) */
	uint8_t is_key;    /* the string being read is an object key */
	uint8_t failed;    /* a previous call failed; `err` says why */
	uint8_t u8need;    /* UTF-8 continuation bytes still expected */
	uint8_t u8lo, u8hi;/* allowed range of the next continuation byte */
	uint8_t uhex;      /* hex digits read of a \uXXXX escape */
	uint32_t ucp;      /* code point of the \uXXXX escape being read */
	uint32_t hi_sur;   /* a high surrogate waiting for its low half, or 0 */
	uint32_t sflags;   /* TF_* of the string being read */
	uint32_t mflags;   /* TF_* the next value inherits (duplicate key) */

	size_t off;        /* bytes consumed before the current chunk */
	size_t ntargets;   /* targets emitted so far */

	json_frame *frames;/* open containers, frames[0] outermost */
	size_t depth, frames_cap;
	json_buf path;     /* path of the current value */
	json_buf raw;      /* JSON text of the current string or number */
	json_buf val;      /* decoded current string */

	/* Keys of the open objects, for duplicate detection: a stack of
	 * entries with a chained hash index (newest first in each chain). */
	json_keyent *keys;
	size_t nkeys, keys_cap;
	uint32_t *buckets; /* entry index + 1, 0 = empty */
	size_t nbuckets;
	json_buf keybytes;

	sk_error err;
} json_state;

/* Prepare `st` for a new document. `a`, `lim` and `ctx` must outlive the
 * parse; `emit` is called for each target (see target_emit_fn). No memory
 * is allocated until the first byte is fed. */
void json_init(json_state *st, arena *a, const http_limits *lim, target_emit_fn emit, void *ctx);

/* Feed the next `n` bytes of the document (any split is fine, n may be 0).
 * Returns SK_OK when all bytes were consumed (the document may still be
 * incomplete), or SK_ERR with `err` filled in: status 400 for a syntax
 * error or nesting deeper than lim->max_depth, 413 for more than
 * lim->max_targets targets, a string or number longer than
 * lim->max_body_inspect, or an exhausted arena. err->offset counts bytes
 * over all chunks. After SK_ERR every later call returns the same error. */
int json_feed(json_state *st, const char *p, size_t n, sk_error *err);

/* End of input. Returns SK_OK if a complete document was seen, SK_ERR
 * (400) if the input was empty or truncated, or if a feed had failed. */
int json_finish(json_state *st, sk_error *err);

#endif
