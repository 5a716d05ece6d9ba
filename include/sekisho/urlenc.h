/* urlenc.h - application/x-www-form-urlencoded bodies and query strings.
 *
 * The parser emits targets (target.h) and allocates decoded copies in the
 * caller's arena; the target slices point into `s` or into the arena.
 */
#ifndef SEKISHO_URLENC_H
#define SEKISHO_URLENC_H

#include "sekisho/arena.h"
#include "sekisho/limits.h"
#include "sekisho/slice.h"
#include "sekisho/status.h"
#include "sekisho/target.h"

/* Parse `s` as application/x-www-form-urlencoded pairs separated by '&'
 * (';' is NOT a separator). For each pair emit a target
 *   {loc=value_loc, name=decoded name, raw=raw value,
 *    value=url_decode(raw, plus as space, lim->max_decode_passes), flags}
 * and also a target {loc=name_loc, name=decoded name, raw=raw name,
 * value=decoded name, flags of the name} when the decoded name has any byte
 * outside [A-Za-z0-9_.-] (attacks hide in names, e.g. username[$ne]).
 * A pair without '=' has an empty value; "=v" has an empty name. Empty
 * pairs ("a=1&&b=2") are skipped.
 * Errors (SK_ERR with *err filled in):
 *   more than lim->max_targets pairs: 413 "too many parameters", checked
 *     before anything is emitted (a payload must not hide behind 10,000
 *     dummies, and we do not decode them either);
 *   arena exhausted: 413 "arena exhausted";
 *   emit returned < 0: 400 "stopped by consumer".
 * Returns SK_OK or SK_ERR. */
int urlenc_parse(sk_slice s, target_loc value_loc, target_loc name_loc, arena *a, const http_limits *lim,
		 target_emit_fn emit, void *ctx, sk_error *err);

/* True if every byte of `name` is in [A-Za-z0-9_.-] (the names that need no
 * separate name target). */
bool urlenc_plain_name(sk_slice name);

#endif
