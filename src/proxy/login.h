/* login.h - login protection hooks of the connection state machine
 * (src/proxy/login.c; the policy itself is include/sekisho/login.h). */
#ifndef SEKISHO_PROXY_LOGIN_H
#define SEKISHO_PROXY_LOGIN_H

#include "proxy.h"

enum {
	LOGIN_CHECK_FORWARD = 0, /* not a login, or allowed: forward now */
	LOGIN_CHECK_HELD,        /* delayed: conn.c forwards it when the delay is over */
	LOGIN_CHECK_ANSWERED,    /* refused with our own response */
};

/* Before forwarding a request that passed inspection. */
int login_check(conn *c, const http_view *view, sk_slice body);
/* In conn.c: hold the request for `ms` (state CS_DELAY), then forward
 * c->delayed_body. */
void login_delay_start(conn *c, unsigned ms);
/* After the upstream's response head; with each relayed body chunk; when
 * the exchange is over (records an outcome not yet recorded). */
void login_response_head(conn *c);
void login_response_body(conn *c, const char *p, size_t n);
void login_exchange_done(conn *c);

#endif
