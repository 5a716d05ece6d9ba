/* demo.h - internals of `sekisho demo`, the bundled demo upstream.
 *
 * A deliberately small HTTP/1.1 server: blocking sockets, a thread per
 * connection, everything bounded. It is what `make run` puts behind the
 * proxy and what the integration tests talk to through it, so it answers
 * predictably and reports exactly what it received (see docs/demo.md).
 *
 *   demo.c         command line, listening socket, accept loop, threads
 *   demo_conn.c    one connection: read requests (head, body), keep-alive,
 *                  write responses, the log line
 *   demo_routes.c  the route table and the shop and test endpoints
 *   demo_ws.c      GET /ws: WebSocket handshake and echo
 */
#ifndef SEKISHO_DEMO_H
#define SEKISHO_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "sekisho/arena.h"
#include "sekisho/buf.h"
#include "sekisho/http.h"

/* Bounds (the task's numbers): a test upstream must survive whatever a
 * broken proxy or a test sends it, yet never be the limit being tested. */
#define DEMO_MAX_CONNS 256              /* concurrent connections */
#define DEMO_MAX_HEAD (64u * 1024)      /* request head bytes */
#define DEMO_MAX_HEADERS 256            /* header fields per request */
#define DEMO_MAX_BODY (8u * 1024 * 1024) /* request body bytes (after de-chunking) */
#define DEMO_MAX_OUT (64u * 1024 * 1024) /* one generated response body (echo JSON) */
#define DEMO_IO_TIMEOUT_S 120           /* idle keep-alive or stalled peer */
#define DEMO_MAX_REQUESTS 100000        /* requests per connection */

typedef struct demo_conn {
	int fd;
	char peer[64];          /* "127.0.0.1:40000", for the log */
	char in[DEMO_MAX_HEAD]; /* the head, then whatever followed it */
	size_t in_len;          /* bytes in `in` */
	size_t pos;             /* bytes of `in` consumed by the current request */
	char tmp[16384];        /* reads past `in` (chunked bodies, frames) */
	size_t carry_off;       /* bytes of tmp read past the current message: */
	size_t carry_len;       /*   they start the next request */
	http_header hdrs[DEMO_MAX_HEADERS];
	sk_buf body;            /* the current request body, de-chunked */
	sk_buf out;             /* response head and generated bodies */
	arena *arena;           /* decoded values of the current request */
} demo_conn;

/* One request being answered. */
typedef struct demo_ctx {
	demo_conn *c;
	const http_request *r;
	sk_slice body;  /* de-chunked request body */
	bool head_only; /* HEAD: write the head of the GET answer only */
	bool close;     /* close the connection after this response */
	bool failed;    /* a write failed: the connection is gone */
	int status;     /* for the log line */
	bool logged;    /* the log line was written */
} demo_ctx;

/* ---- demo_conn.c ---- */

/* Serve one accepted connection until it closes; owns and frees `c`
 * (closing c->fd). Thread entry point. */
void *demo_conn_main(void *c);

/* Write all of p[0..n) to the connection (bounded by the send timeout).
 * Returns 0, or -1 and sets x->failed. */
int demo_send(demo_ctx *x, const void *p, size_t n);

/* Read exactly n bytes of what follows the current request head (bytes
 * already buffered first). Returns 0, or -1 on EOF, error or timeout. */
int demo_read_exact(demo_conn *c, void *dst, size_t n);

/* Answer with a complete response: status line, Server, Content-Length,
 * Content-Type (if ctype), `extra` header lines (each ending in CRLF, or
 * NULL), Connection: close when x->close, then the body (not for HEAD).
 * Returns 0 or -1 (x->failed). */
int demo_reply(demo_ctx *x, int status, const char *ctype, const char *extra, const void *body, size_t len);

/* The head of demo_reply only, announcing Content-Length: len; the
 * caller sends the body (unless x->head_only). Returns 0 or -1. */
int demo_reply_head(demo_ctx *x, int status, const char *ctype, const char *extra, size_t len);

/* Write the request's log line to stderr (once): method, target, status,
 * peer. */
void demo_log(demo_ctx *x);

/* Reason phrase for a status code ("Unknown" for codes not used here). */
const char *demo_reason(int status);

/* ---- demo_routes.c ---- */

/* Find the route for the request and run it. Always answers (404 at
 * worst) unless the connection failed. */
void demo_route(demo_ctx *x);

/* Print the endpoints, one per line, for --help. */
void demo_routes_help(FILE *f);

/* Decoded value of the first `name` argument in a query string or
 * urlencoded body (plus as space, one decoding pass). False if absent;
 * *out is then empty. Decoded copies live in c->arena. */
bool demo_arg(demo_conn *c, sk_slice qs, const char *name, sk_slice *out);

/* ---- demo_ws.c ---- */

/* GET /ws: validate the handshake, answer 101, then echo frames until the
 * client closes. Always leaves x->close set. */
void demo_ws(demo_ctx *x);

#endif
