/* buf.h - a growable byte buffer with a hard cap (curl's dynbuf idea).
 *
 * Appends past `max` fail and set `overflow`; the buffer never grows beyond
 * it. Used for output (JSON, reports, events) and for accumulating bytes.
 */
#ifndef SEKISHO_BUF_H
#define SEKISHO_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "sekisho/slice.h"

typedef struct sk_buf {
	char *p;       /* NUL-terminated after every successful append */
	size_t len;
	size_t cap;    /* allocated */
	size_t max;    /* hard cap on len */
	bool overflow; /* an append did not fit (or malloc failed) */
} sk_buf;

void buf_init(sk_buf *b, size_t max);
void buf_free(sk_buf *b);
void buf_reset(sk_buf *b);
bool buf_append(sk_buf *b, const void *p, size_t n);
bool buf_puts(sk_buf *b, const char *s);
bool buf_printf(sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `s` as a JSON string with quotes. Escapes '"', '\\', control
 * bytes, and also '<', '>', '&' and U+2028/2029 as \uXXXX, so the output is
 * safe inside HTML <script> and logs. Bytes that are not valid UTF-8 are
 * written as \u00XX of the byte (Latin-1 view) so the output is always
 * valid UTF-8 JSON and no byte is lost. */
bool buf_json_str(sk_buf *b, sk_slice s);

#endif
