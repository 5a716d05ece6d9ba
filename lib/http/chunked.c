/* chunked.c - streaming decoder of the chunked transfer coding (RFC 9112 7.1).
 *
 * A byte-at-a-time state machine: it never rescans and never copies. Data
 * spans are handed back as slices into the caller's input. Everything that
 * parsers are known to disagree on is an error: sizes with signs, spaces,
 * "0x" or more than 16 hex digits, a bare LF, data not followed by CRLF,
 * control bytes in extensions or trailers.
 */
#include <string.h>

#include "sekisho/http.h"

enum {
	CS_SIZE = 0,  /* hex digits of the chunk size */
	CS_EXT,       /* chunk extensions up to CR */
	CS_SIZE_LF,   /* LF after the size line's CR */
	CS_DATA,
	CS_DATA_CR,
	CS_DATA_LF,
	CS_TRAILER,   /* start of a trailer line (or the final empty line) */
	CS_TRAILER_LINE,
	CS_TRAILER_LF,
	CS_END_LF,
	CS_DONE,
};

/* Largest chunk size accepted: 2^60 bytes keeps every sum far from overflow. */
#define CHUNK_SIZE_MAX (1ull << 60)
#define TRAILER_MAX 8192

/* Fields a trailer must not carry (RFC 9110 6.5.1): whoever merges
 * trailers into the header section would reframe or reroute the message. */
static bool trailer_forbidden(const char *name, unsigned len)
{
	static const char *const forbidden[] = {
		"content-length", "transfer-encoding", "host", "content-type", "content-encoding",
		"content-range", "authorization", "cookie", "set-cookie", "expect", "connection",
		"upgrade", "te", "trailer", "range", "x-forwarded-for", "forwarded",
	};
	for (size_t k = 0; k < sizeof(forbidden) / sizeof(forbidden[0]); k++)
		if (strlen(forbidden[k]) == len && memcmp(forbidden[k], name, len) == 0)
			return true;
	return false;
}

ssize_t chunked_parse(chunked_state *st, const char *in, size_t n, sk_slice *data, const http_limits *lim,
		      sk_error *err)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;
	data->p = in;
	data->len = 0;
	while (i < n) {
		unsigned char c = p[i];
		switch (st->state) {
		case CS_SIZE: {
			int v = sk_hexval(c);
			if (v >= 0) {
				if (++st->digits > 16 || st->remaining > (CHUNK_SIZE_MAX >> 4))
					return sk_fail(err, "chunk size too large", i, 413);
				st->remaining = (st->remaining << 4) | (uint64_t)v;
				break;
			}
			if (st->digits == 0)
				return sk_fail(err, "invalid chunk size", i, 400);
			/* RFC 9112 allows whitespace before ';' (BWS), but parsers
			 * disagree on "5 ;" and it has no legitimate sender:
			 * refused like any other ambiguity. */
			if (c == '\r')
				st->state = CS_SIZE_LF;
			else if (c == ';')
				st->state = CS_EXT;
			else if (c == ' ' || c == '\t')
				return sk_fail(err, "whitespace after chunk size", i, 400);
			else
				return sk_fail(err, "invalid character after chunk size", i, 400);
			break;
		}
		case CS_EXT:
			if (c == '\r')
				st->state = CS_SIZE_LF;
			else if ((c < 0x20 && c != '\t') || c == 0x7f)
				return sk_fail(err, "control character in chunk extension", i, 400);
			break;
		case CS_SIZE_LF:
			if (c != '\n')
				return sk_fail(err, "chunk size line not ended by CRLF", i, 400);
			st->line_len = 0;
			st->digits = 0;
			if (st->remaining == 0) {
				st->state = CS_TRAILER;
			} else {
				if (lim && st->total > UINT64_MAX - st->remaining)
					return sk_fail(err, "chunked body too large", i, 413);
				st->state = CS_DATA;
			}
			i++;
			continue;
		case CS_DATA: {
			size_t avail = n - i;
			size_t take = st->remaining < avail ? (size_t)st->remaining : avail;
			data->p = in + i;
			data->len = take;
			st->remaining -= take;
			st->total += take;
			if (st->remaining == 0)
				st->state = CS_DATA_CR;
			return (ssize_t)(i + take);
		}
		case CS_DATA_CR:
			if (c != '\r')
				return sk_fail(err, "chunk data not followed by CRLF", i, 400);
			st->state = CS_DATA_LF;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				return sk_fail(err, "chunk data not followed by CRLF", i, 400);
			st->state = CS_SIZE;
			break;
		case CS_TRAILER:
			if (c == '\r') {
				st->state = CS_END_LF;
				break;
			}
			if (c == ' ' || c == '\t')
				return sk_fail(err, "obs-fold in trailer", i, 400);
			st->state = CS_TRAILER_LINE;
			continue; /* the byte starts the line */
		case CS_TRAILER_LINE:
			if (c == '\r') {
				st->state = CS_TRAILER_LF;
				st->trailer_name_len = 0;
			} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
				return sk_fail(err, "control character in trailer", i, 400);
			} else if (st->trailer_name_len != ~0u) {
				if (c == ':') {
					if (trailer_forbidden(st->trailer_name, st->trailer_name_len))
						return sk_fail(err, "framing or routing field in trailer", i, 400);
					st->trailer_name_len = ~0u; /* name done for this line */
				} else if (st->trailer_name_len < sizeof(st->trailer_name)) {
					st->trailer_name[st->trailer_name_len++] =
						(char)((c >= 'A' && c <= 'Z') ? c | 0x20 : c);
				}
			}
			if (++st->trailer_len > TRAILER_MAX)
				return sk_fail(err, "trailer section too large", i, 431);
			break;
		case CS_TRAILER_LF:
			if (c != '\n')
				return sk_fail(err, "bare CR in trailer", i, 400);
			st->state = CS_TRAILER;
			st->trailer_name_len = 0;
			break;
		case CS_END_LF:
			if (c != '\n')
				return sk_fail(err, "chunked body not ended by CRLF", i, 400);
			st->state = CS_DONE;
			st->done = true;
			return (ssize_t)(i + 1);
		case CS_DONE:
			return (ssize_t)i;
		default:
			return sk_fail(err, "chunked decoder in an invalid state", i, 500);
		}
		if (st->state == CS_SIZE || st->state == CS_EXT) {
			if (++st->line_len > (lim ? lim->max_chunk_line : SK_DEFAULT_MAX_CHUNK_LINE))
				return sk_fail(err, "chunk size line too long", i, 400);
		}
		i++;
	}
	return (ssize_t)i;
}
