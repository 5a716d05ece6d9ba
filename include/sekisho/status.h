/* status.h - return conventions shared by every parser.
 *
 * Parsers return the number of bytes consumed (>= 0 where a value is
 * expected), SK_AGAIN when they need more input, or SK_ERR with a
 * filled-in sk_error. The rule strings are static and name the rule that
 * the input broke, so an operator can read them in a log.
 */
#ifndef SEKISHO_STATUS_H
#define SEKISHO_STATUS_H

#include <stddef.h>

enum {
	SK_OK = 0,
	SK_ERR = -1,   /* malformed or over a limit; see sk_error */
	SK_AGAIN = -2, /* incomplete: call again with more bytes */
};

typedef struct sk_error {
	const char *rule; /* static text, e.g. "obs-fold is not allowed" */
	size_t offset;    /* byte offset in the input where the rule broke */
	int status;       /* suggested HTTP status: 400, 413, 414, 431, 501 */
} sk_error;

static inline int sk_fail(sk_error *err, const char *rule, size_t offset, int status)
{
	if (err) {
		err->rule = rule;
		err->offset = offset;
		err->status = status;
	}
	return SK_ERR;
}

#endif
