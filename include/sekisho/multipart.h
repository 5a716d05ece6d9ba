/* multipart.h - a streaming, strict multipart/form-data body parser.
 *
 * The caller owns a multipart_state (zeroed or not), calls multipart_init()
 * with the boundary from multipart_boundary(), then feeds the body in chunks
 * split anywhere with multipart_feed() and ends with multipart_finish(). The
 * parser keeps only a few bytes of progress between chunks and never looks
 * at a byte twice. Targets are emitted through a target_emit_fn:
 *
 *   LOC_MULTIPART_HEADER    name = part header name, value = its value
 *                           (every part header but Content-Disposition)
 *   LOC_MULTIPART_FILENAME  name = part name, value = filename as sent; a
 *                           second one with the decoded RFC 8187 filename*
 *                           (raw = the encoded form) when that is present
 *   LOC_MULTIPART_FIELD     name = part name, value = content (no filename)
 *   LOC_MULTIPART_FILE      name = part name, value = content of a file part
 *
 * Every emitted slice lives in the arena: the caller may reuse or free the
 * chunk it fed as soon as multipart_feed() returns. Contents past
 * lim->max_body_inspect are not kept (TF_TRUNCATED); the rest of the part is
 * still scanned for the next delimiter.
 *
 * A WAF must not read a body differently from the application behind it,
 * so anything two servers could split differently is an error (SK_ERR,
 * status 400 unless noted) rather than a guess: no close delimiter, a part
 * without "Content-Disposition: form-data" or without a name, duplicate
 * parameters, unterminated quoted strings, a '"' after an odd run of
 * backslashes (escape or not?), bare LF or CR in part headers, obs-fold,
 * text after a boundary on its line, Content-Transfer-Encoding other than
 * 7bit/8bit/binary, a nested multipart part. Limits: part header line
 * over lim->max_header_line or more than lim->max_headers headers in a part
 * (431), more than lim->max_parts parts or the arena full (413).
 * See docs/internals/multipart.md.
 */
#ifndef SEKISHO_MULTIPART_H
#define SEKISHO_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/limits.h"
#include "sekisho/slice.h"
#include "sekisho/status.h"
#include "sekisho/target.h"

/* RFC 2046 5.1.1: a boundary is 1 to 70 characters. */
#define MULTIPART_MAX_BOUNDARY 70

/* Parser state. Treat the fields as private; they are here so that the
 * caller can own the struct (on its stack or in its request). A zeroed
 * state that was never initialised makes multipart_feed() fail. */
typedef struct multipart_state {
	/* set by multipart_init */
	arena *a;
	target_emit_fn emit;
	void *ctx;
	size_t max_header_line, max_headers, max_inspect, max_parts;
	char delim[4 + MULTIPART_MAX_BOUNDARY]; /* "\r\n--" boundary */
	uint8_t delim_len;

	/* progress */
	uint8_t state;  /* enum mp_state in multipart.c */
	uint8_t match;  /* bytes of delim matched so far */
	size_t pos;     /* absolute body offset of the byte being looked at */
	size_t parts;   /* parts started */
	size_t headers; /* header lines of the current part */

	/* scratch: the current header line, then the current part's content */
	char *buf;
	size_t len, cap;

	/* the current part */
	sk_slice name, filename, filename_star;
	unsigned seen; /* which headers/parameters were seen (MP_SEEN_* in multipart.c) */

	sk_error err; /* the first error, returned again by later calls */
} multipart_state;

/* Extract the boundary parameter from a Content-Type field value such as
 * `multipart/form-data; boundary="abc"`. The media type must be
 * multipart/form-data; parameter names are case-insensitive and may come in
 * any order; the value may be a token or a quoted-string. RFC 2046: 1..70
 * bchars, the last not a space. On SK_OK *boundary is a view into
 * content_type (no copy). SK_ERR (status 400, rule in *err) on a missing,
 * duplicated, empty, too long or malformed boundary, or a malformed value. */
int multipart_boundary(sk_slice content_type, sk_slice *boundary, sk_error *err);

/* Prepare `st` to parse a body delimited by `boundary` (copied; it need not
 * outlive the call). Values are copied into `a`, which must outlive the
 * targets. `lim` may be NULL for the defaults; the values used are copied.
 * emit(ctx, target) receives every target; a negative return stops the
 * parser with rule "stopped by consumer". An invalid boundary is reported
 * by the first multipart_feed(). */
void multipart_init(multipart_state *st, sk_slice boundary, arena *a, const http_limits *lim,
		    target_emit_fn emit, void *ctx);

/* Feed the next `n` bytes of the body. Returns SK_OK, or SK_ERR with *err
 * filled in (err->offset counts from the start of the body). After an error
 * every later call returns the same error. */
int multipart_feed(multipart_state *st, const char *p, size_t n, sk_error *err);

/* The body ended. SK_OK if the close delimiter was seen; otherwise SK_ERR
 * "missing final boundary" (an unfinished part's content is emitted first,
 * flagged TF_MALFORMED, so that it is still inspected). */
int multipart_finish(multipart_state *st, sk_error *err);

#endif
