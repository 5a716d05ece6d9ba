/* head.h - internal: helpers shared by the request and response parsers. */
#ifndef SEKISHO_HTTP_HEAD_H
#define SEKISHO_HTTP_HEAD_H

#include "sekisho/http.h"

/* Find the line starting at buf[pos]. On SK_OK, *line_len is its length
 * without the CRLF. SK_AGAIN if no LF yet (and no error so far); SK_ERR on
 * bare LF, bare CR or a line longer than max_line (answered with
 * too_long_status and too_long_rule). */
int head_next_line(const char *buf, size_t len, size_t pos, size_t max_line, int too_long_status,
		   const char *too_long_rule, size_t *line_len, sk_error *err);

/* Parse one header field line (without CRLF) into `h`. */
int head_parse_field(const char *buf, size_t pos, size_t line_len, http_header *h, sk_error *err);

int head_content_length(sk_slice v, uint64_t *out, size_t off, sk_error *err);
int head_transfer_encoding(sk_slice v, size_t off, sk_error *err);
bool head_list_has(sk_slice v, sk_slice token);

#endif
