/* admin.h - internals of the admin listener shared by admin.c (framing,
 * health, metrics) and admin_bans.c (the ban API). */
#ifndef SEKISHO_PROXY_ADMIN_H
#define SEKISHO_PROXY_ADMIN_H

#include <stdbool.h>

#include "proxy.h"
#include "sekisho/http.h"

#define ADMIN_MAX_HEAD 4096      /* a request head: a few short headers */
#define ADMIN_MAX_HEADERS 32
#define ADMIN_MAX_BODY 4096      /* POST /bans: a key, a TTL and a reason */
#define ADMIN_MAX_ANSWER (8u << 20) /* GET /bans of ADMIN_MAX_LIST bans with long reasons */
#define ADMIN_MAX_CONNS 32       /* open at once; the oldest goes for a new one */
#define ADMIN_TIMEOUT_MS 5000    /* to send the request and take the answer */
#define ADMIN_MAX_LIST 10000     /* bans listed by GET /bans */

typedef struct admin_peer {
	sk_addr addr;
	bool loopback; /* 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104 */
} admin_peer;

struct admin_conn {
	int fd;
	proxy *px;
	ev_loop *loop;
	struct admin_conn *next, *prev; /* px->admin_conns, newest first */
	admin_peer peer;
	uint64_t deadline;  /* ev_now ms */
	/* request */
	size_t len;
	char buf[ADMIN_MAX_HEAD + ADMIN_MAX_BODY];
	http_req_parser rp;
	http_request req;
	http_header hdrs[ADMIN_MAX_HEADERS];
	bool head_done;
	size_t need;        /* head + body bytes, once the head is parsed */
	/* answer */
	bool answered;
	sk_buf out;
	size_t sent;
};

typedef struct admin_answer {
	int status;
	const char *ctype;
	sk_buf body;
	char headers[256]; /* extra header lines, each ending in CRLF */
} admin_answer;

/* Replace the answer with {"error": why} and `status`. */
void admin_error(admin_answer *ans, int status, const char *why);

/* The /bans endpoints (admin_bans.c). Returns false when the path is not
 * one of them; otherwise fills *ans. `body` is the request body (already
 * bounded by ADMIN_MAX_BODY). */
bool admin_bans(proxy *px, const http_request *req, sk_slice body, const admin_peer *peer, admin_answer *ans);

#endif
