/* decode.h - decoding and normalisation of request values.
 *
 * Everything here is bytewise and never repairs: invalid UTF-8 and legacy
 * charsets (Shift_JIS, EUC-JP) pass through as bytes and are described by
 * TF_* flags (target.h). Decoded copies go into the caller's arena; when
 * there is nothing to decode the input slice itself is returned, so a slice
 * result may point either into the input or into the arena.
 *
 * Flags are always OR-ed into *flags (never cleared); `flags` may be NULL.
 * The order in which the request view applies these, and what each flag
 * means, is written down in docs/internals/decode.md.
 */
#ifndef SEKISHO_DECODE_H
#define SEKISHO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/slice.h"
#include "sekisho/target.h"

/* ---- percent-decoding (lib/http/decode.c) ---- */

/* One pass of percent-decoding of in[0..n) into `out`, which has room for n
 * bytes: decoded output is never longer than the input. `in` and `out` may be
 * the same buffer (decoding in place).
 * plus_as_space: '+' becomes ' ' (forms, query strings).
 * %XX is decoded to one byte. %uXXXX (IIS style, 'u' or 'U') is decoded to
 * UTF-8 and flagged TF_UNICODE_ESCAPE; a %uD800-DBFF followed by
 * %uDC00-DFFF is joined into one code point, a lone surrogate is encoded
 * as its 3 bytes (which utf8_flags then reports as invalid).
 * A '%' not followed by two hex digits (or by u and four) is kept verbatim
 * and flagged TF_INVALID_ESCAPE. Returns the output length. */
size_t url_decode_once(const char *in, size_t n, char *out, bool plus_as_space, uint32_t *flags);

/* Decode repeatedly until the value is stable or max_passes passes ran
 * (0 counts as 1). '+' is a space only in the first pass, and only the
 * first pass reports TF_INVALID_ESCAPE (a literal '%' produced by %25 is
 * not an error). Flags: TF_DOUBLE_ENCODED when a second or later pass
 * changed something; TF_UNICODE_ESCAPE from any pass; and on the final
 * value TF_NUL, TF_CTL, TF_HIGH_BYTES, TF_INVALID_UTF8, TF_OVERLONG_UTF8
 * (utf8_flags, byte_flags). Returns the input slice itself (no copy) when
 * nothing needed decoding; otherwise a NUL-terminated copy in the arena
 * (the NUL is not counted); a slice with p == NULL if the arena is
 * exhausted. */
sk_slice url_decode(arena *a, sk_slice in, bool plus_as_space, size_t max_passes, uint32_t *flags);

/* ---- byte and UTF-8 facts (lib/http/utf8.c) ---- */

/* TF_HIGH_BYTES if any byte >= 0x80; TF_INVALID_UTF8 if `s` is not valid
 * UTF-8 per RFC 3629 (also for surrogates, code points past U+10FFFF,
 * 5- and 6-byte forms, truncated sequences, and overlong forms);
 * TF_OVERLONG_UTF8 if a complete sequence encodes a code point in more
 * bytes than needed (C0 AF for '/'). Never repairs. Returns the flags. */
uint32_t utf8_flags(sk_slice s);
/* TF_NUL if a 0x00 byte is present; TF_CTL for other control bytes
 * (0x01-0x1f except tab, and 0x7f). Returns the flags. */
uint32_t byte_flags(sk_slice s);
/* utf8_flags(s) | byte_flags(s) in one pass for plain printable ASCII (the
 * usual case), the two exact scans only from the first other byte on. */
uint32_t value_flags(sk_slice s);

/* Overlong UTF-8 encodings of ASCII (2- to 6-byte forms: C0 AF -> '/',
 * E0 80 AE -> '.', F0 80 80 AF -> '/') are folded to the ASCII byte and
 * flagged TF_OVERLONG_UTF8; everything else (valid UTF-8, invalid bytes,
 * overlong forms of non-ASCII) is copied unchanged. Note that some
 * Shift_JIS and EUC-JP text contains the same byte pairs, so the folded
 * value is an extra view for detectors, not a replacement of the value.
 * Returns the input itself when there is nothing to fold; otherwise a copy
 * in the arena; p == NULL if the arena is exhausted. */
sk_slice utf8_fold_overlong(arena *a, sk_slice s, uint32_t *flags);

/* ---- paths (lib/http/path.c) ---- */

/* Normalise an already-decoded path: backslash is a separator like '/'
 * (TF_BACKSLASH), empty segments (duplicate slashes) are dropped, ';params'
 * are cut from every segment (Tomcat-style "..;x" is therefore ".."), '.'
 * segments are dropped and '..' removes the previous segment; a '..' with
 * nothing left to remove is flagged TF_PATH_TRAVERSAL and ignored (clamped
 * at the root). A path that starts with a separator stays absolute; a
 * trailing separator, or a final '.' or '..', leaves a trailing '/'.
 * Returns the input itself when it is already normal; otherwise a copy in
 * the arena (never longer than the input); p == NULL if the arena is
 * exhausted. */
sk_slice path_normalise(arena *a, sk_slice path, uint32_t *flags);

/* ---- HTML character references (lib/http/entity.c) ---- */

/* Decode HTML character references once, as an HTML5 parser does in text:
 * named references (case-sensitive; the HTML Latin-1 set, which is also
 * recognised without ';' by longest prefix as in "&notit" -> "¬it", plus
 * about 70 more that need ';' such as &colon; &Tab; &lpar; &apos;),
 * decimal &#60 and hex &#x3c, each with or without ';' and with any number
 * of leading zeros. Code points 0, surrogates and past U+10FFFF become
 * U+FFFD; 0x80-0x9F map to windows-1252 as in HTML5. Unknown references
 * are kept verbatim. When something was decoded, the byte_flags and
 * utf8_flags of the result are OR-ed into *flags. Returns the input itself
 * when it has no '&' or nothing decodes; otherwise a copy in the arena
 * (never longer than the input); p == NULL if the arena is exhausted. */
sk_slice html_entity_decode(arena *a, sk_slice s, uint32_t *flags);

/* ---- encoded text (lib/http/decode.c) ---- */

/* Treat a whole value as base64 (standard "+/" or URL-safe "-_", not mixed;
 * '=' padding optional but, when present, the length is a multiple of 4)
 * or as hex (an even number of hex digits, optional 0x prefix) and decode
 * it when the result looks like text. Minimum sizes: base64 input of at
 * least 8 characters, hex of at least 12 digits, so ordinary words and
 * short ids ("admin", "cafe", "deadbeef") are never taken for encodings.
 * "Looks like text": at most one byte in ten is not text, where text is
 * printable ASCII, tab, CR, LF and the bytes of well-formed UTF-8
 * sequences of U+0080 and above (so Japanese UTF-8 counts; random binary
 * and legacy charsets do not). Linear time.
 * Returns true and sets *out to the decoded copy in the arena (NUL-
 * terminated); false when the value is not such an encoding or the arena
 * is exhausted (*out is then untouched). */
bool decode_base64_text(arena *a, sk_slice s, sk_slice *out);
bool decode_hex_text(arena *a, sk_slice s, sk_slice *out);

/* The text rule above, exposed for callers that decode by other means. */
bool decode_looks_like_text(sk_slice s);

#endif
