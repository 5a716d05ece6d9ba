/* guard.h - bans and login protection in the proxy: the glue between
 * connections, the policy in lib/guard (pure) and the state backend
 * (include/sekisho/state.h; in-process or Redis).
 *
 * Every request's client address is checked against the bans; with Redis a
 * worker keeps the answers in a small cache (state.ban_cache) so that a
 * request costs at most one round trip and usually none. Bans this process
 * sets or lifts invalidate every worker's cache at once (a generation
 * counter); bans another proxy sets are seen within state.ban_cache.
 *
 * Ban keys are text so that `sekisho ban list` reads well:
 *   "ip:203.0.113.7"     one address
 *   "net:203.0.113.0/24" an IPv4 /24 or an IPv6 /64
 *   "acct:alice"         an account locked against new sources
 */
#ifndef SEKISHO_PROXY_GUARD_H
#define SEKISHO_PROXY_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy.h"
#include "sekisho/state.h"

#define GUARD_KEY_MAX 80 /* "net:" + an IPv6 /64 in text, or "ip:" + an address */

/* Create the state backend from the settings (memory, or Redis with the
 * memory fallback). 0, or -1 with a message. */
int guard_open(proxy *px, const proxy_settings *s, char *errbuf, size_t errlen);
void guard_close(proxy *px);
/* Per-worker parts (the ban cache). */
int guard_worker_init(worker *w);
void guard_worker_free(worker *w);

/* Milliseconds since the epoch: the clock every proxy sharing Redis agrees on. */
uint64_t guard_now_ms(void);

/* "ip:ADDR" and "net:PREFIX/LEN" for an address. */
void guard_key_ip(const sk_addr *a, char out[GUARD_KEY_MAX]);
void guard_key_net(const sk_addr *a, char out[GUARD_KEY_MAX]);

typedef struct guard_ban {
	char key[GUARD_KEY_MAX];
	uint32_t ttl_left_ms;
	char reason[STATE_REASON_MAX + 1];
} guard_ban;

/* Is c->client banned (its address or its /24 or /64)? Fills *out when it is. */
bool guard_banned(conn *c, guard_ban *out);

/* Set or lift a ban through the proxy (so the caches and events follow).
 * `source` says who: "login", "admin", ... Returns a STATE_* code. */
int guard_ban_set(proxy *px, const char *key, uint32_t ttl_ms, const char *reason, const char *source);
int guard_ban_del(proxy *px, const char *key, const char *source);

/* Refuse the request of a banned client: 403 with Retry-After, an event. */
void guard_refuse_banned(conn *c, const guard_ban *b);

#endif
