/* xml.h - reduce an XML body to inspection targets, without expanding any
 * entity.
 *
 * The body is buffered by the caller, so the parser takes it whole. It uses
 * no recursion (an explicit element stack bounded by lim->max_depth) and
 * runs in time linear in the body (duplicate-attribute checks cost at most
 * lim->max_targets squared hash compares, independent of the body size).
 *
 * Targets (see docs/internals/json-xml.md):
 *   LOC_XML       one per text run of an element that is not all whitespace.
 *                 A run is the element's character data, references and
 *                 CDATA sections between two tags (comments and PIs inside
 *                 do not split it). name = element path `a/b/c` (prefixes
 *                 kept, `soap:Envelope/soap:Body`), value = the text with the
 *                 five predefined entities and character references decoded
 *                 and CDATA content taken literally.
 *   LOC_XML_ATTR  name = `a/b@attr`, value = the decoded attribute value.
 *   LOC_XML_DECL  name = "doctype" (the whole `<!DOCTYPE ...>` including
 *                 its internal subset; emitted after the "entity" targets of
 *                 that subset), "entity" (each `<!ENTITY ...>`), "pi"
 *                 (`<?target ...?>`, except the XML declaration itself) or
 *                 "comment" (`<!--...-->`, only when it holds more than
 *                 whitespace); value = the literal markup text.
 * A reference to any entity other than amp, lt, gt, quot and apos (`&xxe;`)
 * stays literal in the value and sets TF_MALFORMED: together with the
 * LOC_XML_DECL targets this is what an XXE detector looks for. A '&' that
 * starts no well-formed reference, or a character reference to a code
 * point XML forbids (0, surrogates, > 0x10FFFF), stays literal and sets
 * TF_INVALID_ESCAPE. Values also carry TF_HIGH_BYTES, TF_INVALID_UTF8,
 * TF_OVERLONG_UTF8, TF_NUL and TF_CTL (control bytes other than tab, LF
 * and CR) as found after decoding.
 *
 * Ownership: name and value are copied into the arena; raw points into
 * `body` (the markup or text as sent), so the body must outlive the targets.
 */
#ifndef SEKISHO_XML_H
#define SEKISHO_XML_H

#include "sekisho/arena.h"
#include "sekisho/limits.h"
#include "sekisho/slice.h"
#include "sekisho/status.h"
#include "sekisho/target.h"

/* Parse the whole document in `body` and call `emit` for each target.
 * Returns SK_OK, or SK_ERR with `err` filled in (offset into body):
 * 400 for a document that is not well-formed (mismatched or unclosed
 * tags, no or several root elements, duplicate attributes, '<' in an
 * attribute value, text outside the root, a misplaced DOCTYPE or XML
 * declaration, nesting deeper than lim->max_depth), 413 for more than
 * lim->max_targets targets or an exhausted arena, and 400 with rule
 * "stopped by consumer" when `emit` returns a negative value. */
int xml_parse(sk_slice body, arena *a, const http_limits *lim, target_emit_fn emit, void *ctx,
	      sk_error *err);

#endif
