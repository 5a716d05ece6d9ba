/* http.h - strict HTTP/1.1 message parsing (RFC 9110, RFC 9112).
 *
 * The parsers are zero-copy: every slice points into the caller's buffer,
 * which they never modify. They are incremental: feed the same buffer again
 * as more bytes arrive (appended; the buffer must not move) and they resume
 * where they stopped, so a client sending one byte at a time costs linear
 * work. They are strict where leniency lets two parsers disagree about where
 * a message ends (request smuggling): no bare LF, no obs-fold, no whitespace
 * before a colon, one Content-Length at most, Transfer-Encoding only as a
 * lone "chunked", never both.
 */
#ifndef SEKISHO_HTTP_H
#define SEKISHO_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sekisho/limits.h"
#include "sekisho/slice.h"
#include "sekisho/status.h"

typedef struct http_header {
	sk_slice name;
	sk_slice value; /* without leading and trailing whitespace */
} http_header;

typedef enum http_target_form {
	HTTP_FORM_ORIGIN = 0, /* /path?query */
	HTTP_FORM_ABSOLUTE,   /* http://host/path?query */
	HTTP_FORM_AUTHORITY,  /* host:port (CONNECT only) */
	HTTP_FORM_ASTERISK,   /* * (OPTIONS only) */
} http_target_form;

/* Request facts that are not errors but that a policy may refuse. */
enum http_anomaly {
	HTTP_AN_ABSOLUTE_FORM = 1u << 0,   /* absolute-form target (proxies, or an attempt to confuse) */
	HTTP_AN_HOST_MISMATCH = 1u << 1,   /* absolute-form authority differs from Host */
	HTTP_AN_UPGRADE_H2C = 1u << 2,     /* Upgrade: h2c (smuggling past the proxy) */
	HTTP_AN_HTTP10_KEEPALIVE = 1u << 3,
	HTTP_AN_EXPECT_OTHER = 1u << 4,    /* Expect other than 100-continue */
	HTTP_AN_HOP_BY_HOP_ABUSE = 1u << 5,/* Connection names an end-to-end header to strip */
	HTTP_AN_MULTI_RANGE = 1u << 6,     /* Range with many or overlapping ranges */
	HTTP_AN_BODY_ENCODED = 1u << 7,    /* Content-Encoding on the request body: cannot be inspected */
};

typedef struct http_request {
	sk_slice method;
	sk_slice target;     /* the request-target as sent */
	sk_slice path;       /* the raw (still percent-encoded) path; "*" for asterisk-form */
	sk_slice query;      /* raw query without '?'; empty if none */
	sk_slice authority;  /* host[:port] of absolute- or authority-form */
	http_target_form form;
	int version;         /* 10 or 11 */
	http_header *headers;
	size_t nheaders;

	/* Derived while parsing the head. */
	sk_slice host;       /* Host header value */
	bool has_content_length;
	uint64_t content_length;
	bool chunked;        /* Transfer-Encoding: chunked */
	bool keep_alive;     /* connection persists after this message */
	bool expect_continue;
	sk_slice upgrade;    /* Upgrade header value, e.g. "websocket" */
	sk_slice content_type;
	unsigned anomalies;  /* http_anomaly bits */
	size_t head_len;     /* bytes of the head including the final CRLF */
} http_request;

/* Resumable parser state. Zero-initialise (or http_req_parser_init) before the
 * first call for a message; it records how far the buffer was validated. */
typedef struct http_req_parser {
	size_t pos;      /* bytes of complete lines already validated */
	size_t nheaders; /* headers stored so far */
	int phase;       /* 0 request line, 1 header lines */
} http_req_parser;

static inline void http_req_parser_init(http_req_parser *p)
{
	p->pos = 0;
	p->nheaders = 0;
	p->phase = 0;
}

/* Parse a request head from buf[0..len). `hdrs` is caller storage for up to
 * `max_hdrs` headers (the limit is min(max_hdrs, lim->max_headers)).
 * Returns the head length (> 0) when the head is complete and valid;
 * SK_AGAIN when more bytes are needed (everything so far is valid);
 * SK_ERR with `err` naming the rule broken, its byte offset and the status to
 * answer (400, 413, 414, 431, 501, 505). `req` is fully valid only on success. */
ssize_t http_parse_request(http_req_parser *st, const char *buf, size_t len, http_request *req,
			   http_header *hdrs, size_t max_hdrs, const http_limits *lim, sk_error *err);

/* Find a header by name (case-insensitive); returns the first match or NULL. */
const http_header *http_find_header(const http_header *hdrs, size_t n, sk_slice name);

/* True if `c` is a tchar (RFC 9110 5.6.2). */
bool http_is_tchar(unsigned char c);

/* ---- chunked transfer coding (RFC 9112 7.1) ---- */

typedef struct chunked_state {
	int state;
	uint64_t remaining;  /* bytes left in the current chunk */
	uint64_t total;      /* data bytes seen */
	size_t line_len;     /* length of the current size or trailer line */
	size_t trailer_len;  /* total trailer bytes */
	unsigned digits;
	char trailer_name[24]; /* start of the current trailer field name, lower-cased */
	unsigned trailer_name_len;
	bool done;
} chunked_state;

/* Consume bytes of a chunked body from in[0..n). Returns the number of
 * bytes consumed (0 <= r <= n) or SK_ERR. When a span of body data is found
 * the call stops after it and `*data` points at it inside `in` (data->len > 0);
 * otherwise data->len is 0. Call again with the rest until all bytes are
 * consumed or chunked_done(). Bytes after the final CRLF are not consumed:
 * they belong to the next message. Never modifies `in`. */
ssize_t chunked_parse(chunked_state *st, const char *in, size_t n, sk_slice *data, const http_limits *lim,
		      sk_error *err);

static inline bool chunked_done(const chunked_state *st)
{
	return st->done;
}

/* ---- response head (from the upstream) ---- */

typedef struct http_response {
	int version; /* 10 or 11 */
	int status;  /* 100..599 */
	sk_slice reason;
	http_header *headers;
	size_t nheaders;
	bool has_content_length;
	uint64_t content_length;
	bool chunked;
	bool keep_alive;
	size_t head_len;
} http_response;

/* Parse a response head; same contract as http_parse_request. The upstream
 * is more trusted than clients but still bounded: the same framing rules
 * apply so that a compromised upstream cannot desynchronise the pool. */
ssize_t http_parse_response(http_req_parser *st, const char *buf, size_t len, http_response *resp,
			    http_header *hdrs, size_t max_hdrs, const http_limits *lim, sk_error *err);

/* ---- a whole message held in one buffer (check, parse, tests) ---- */

struct arena;

/* Parse the request at the start of buf[0..len): head, then the body framed
 * by Content-Length or chunked coding. The body is a slice into `buf` when
 * it is contiguous (Content-Length) or a de-chunked copy in `a`. A body
 * longer than lim->max_body_inspect is cut there and *truncated set.
 * *consumed is the message length (the next pipelined request starts
 * there). SK_OK, or SK_ERR: malformed head, truncated head or body ("need
 * more" is an error here: the buffer is all there is). */
int http_read_request(const char *buf, size_t len, http_request *req, http_header *hdrs, size_t max_hdrs,
		      struct arena *a, const http_limits *lim, sk_slice *body, bool *truncated, size_t *consumed,
		      sk_error *err);

#endif
