/* cookie.h - the Cookie request header.
 *
 * The parser emits targets (target.h) and allocates decoded copies in the
 * caller's arena; the target slices point into the header value or into the
 * arena.
 */
#ifndef SEKISHO_COOKIE_H
#define SEKISHO_COOKIE_H

#include "sekisho/arena.h"
#include "sekisho/limits.h"
#include "sekisho/slice.h"
#include "sekisho/status.h"
#include "sekisho/target.h"

/* Parse one Cookie header value. Pieces are separated by ';' only (also
 * inside quotes, as browsers do; ',' is part of a value). Each piece is
 * trimmed of spaces and tabs, split at its first '=' and name and value
 * trimmed again, so "a = b", "a=b;c=d", trailing ';' and empty values all
 * work. A piece without '=' is a name with an empty value. A value in
 * double quotes has them removed in `value`; `raw` keeps them.
 * For each piece emit {loc=LOC_COOKIE, name=url_decode(name), raw=raw value,
 * value=url_decode(raw without quotes, '+' kept, lim->max_decode_passes)}
 * and a {loc=LOC_COOKIE_NAME, name, raw=raw name, value=decoded name}
 * target when the decoded name has bytes outside the RFC 6265 token set
 * (RFC 9110 tchar). Empty pieces are skipped.
 * Errors (SK_ERR with *err filled in): more than lim->max_targets cookies:
 * 413 "too many cookies" before anything is emitted; arena exhausted: 413
 * "arena exhausted"; emit returned < 0: 400 "stopped by consumer".
 * Returns SK_OK or SK_ERR. */
int cookie_parse(sk_slice header_value, arena *a, const http_limits *lim, target_emit_fn emit, void *ctx,
		 sk_error *err);

/* True if every byte of `name` is an RFC 9110 tchar (true when empty). */
bool cookie_token_name(sk_slice name);

#endif
