/* guard.c - the state backend in the proxy and the ban check of every
 * request (guard.h says what and why). */
#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "nft.h"
#include "sekisho/siphash.h"

/* 1024 sets of 4 ways, about 190 bytes an entry: 780 KB per worker. */
#define BAN_CACHE_SETS 1024
#define BAN_CACHE_WAYS 4

typedef struct ban_cache_entry {
	sk_addr addr;
	bool used;
	bool banned;
	unsigned gen;        /* px->ban_gen when filled; older entries are stale */
	uint64_t until_ms;   /* wall clock: the answer holds until then */
	uint64_t ban_end_ms; /* banned: when the ban itself ends (Retry-After) */
	guard_ban ban;
} ban_cache_entry;

struct ban_cache {
	uint8_t key[SIPHASH_KEY_LEN];
	ban_cache_entry slot[BAN_CACHE_SETS][BAN_CACHE_WAYS];
};

uint64_t guard_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void guard_key_ip(const sk_addr *a, char out[GUARD_KEY_MAX])
{
	char t[48];
	addr_format(a, t, sizeof(t));
	snprintf(out, GUARD_KEY_MAX, "ip:%s", t);
}

void guard_key_net(const sk_addr *a, char out[GUARD_KEY_MAX])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	sk_addr n = *a;
	bool v4 = a->v4 || memcmp(a->b, mapped, 12) == 0;
	/* IPv4: the /24; IPv6: the /64 (one customer's allocation). */
	memset(n.b + (v4 ? 15 : 8), 0, v4 ? 1 : 8);
	char t[48];
	addr_format(&n, t, sizeof(t));
	snprintf(out, GUARD_KEY_MAX, "net:%s/%d", t, v4 ? 24 : 64);
}

static void on_state_change(void *ctx, bool degraded)
{
	proxy *px = ctx;
	atomic_store(&px->stats.state_degraded, degraded ? 1 : 0);
	if (degraded)
		atomic_fetch_add(&px->stats.state_outages, 1);
	/* Called with the fallback's lock held: only queue an event. */
	audit_event(&px->workers[0], degraded ? "state_degraded" : "state_restored", degraded ? "high" : "info",
		    degraded ? "{\"backend\":\"redis\",\"action\":\"serving from in-process state; reconnecting\"}"
			     : "{\"backend\":\"redis\"}");
}

int guard_open(proxy *px, const proxy_settings *s, char *errbuf, size_t errlen)
{
	uint8_t hk[SIPHASH_KEY_LEN];
	if (getrandom(hk, sizeof(hk), 0) != (ssize_t)sizeof(hk)) {
		snprintf(errbuf, errlen, "getrandom failed");
		return -1;
	}
	state *local = state_memory_new(s->state_max_keys, hk);
	if (!local) {
		snprintf(errbuf, errlen, "state: out of memory for %zu keys", s->state_max_keys);
		return -1;
	}
	if (!s->redis_enabled) {
		px->state = local;
		return 0;
	}
	state *redis = state_redis_new(s->redis_host, s->redis_port, s->redis_prefix, s->redis_timeout_ms, errbuf,
				       errlen);
	if (!redis) {
		state_free(local);
		return -1;
	}
	px->state_shared = true;
	px->state = state_fallback_new(redis, local, on_state_change, px);
	if (!px->state) {
		snprintf(errbuf, errlen, "state: out of memory");
		return -1;
	}
	/* Say at once if Redis is not there; the proxy serves anyway. */
	if (state_health(px->state) != STATE_OK) {
		fprintf(stderr, "sekisho proxy: Redis at %s:%u is not answering; serving from in-process state "
				"and retrying\n",
			s->redis_host, (unsigned)s->redis_port);
		atomic_store(&px->stats.state_degraded, 1);
	}
	return 0;
}

void guard_close(proxy *px)
{
	state_free(px->state);
	px->state = NULL;
}

int guard_worker_init(worker *w)
{
	w->bans = calloc(1, sizeof(*w->bans));
	if (!w->bans)
		return -1;
	if (getrandom(w->bans->key, sizeof(w->bans->key), 0) != (ssize_t)sizeof(w->bans->key))
		memset(w->bans->key, w->id + 1, sizeof(w->bans->key));
	return 0;
}

void guard_worker_free(worker *w)
{
	free(w->bans);
	w->bans = NULL;
}

/* Ask the backend about the address and its network: one batch. */
static bool lookup(proxy *px, const sk_addr *a, uint64_t now, guard_ban *out)
{
	char kip[GUARD_KEY_MAX], knet[GUARD_KEY_MAX];
	guard_key_ip(a, kip);
	guard_key_net(a, knet);
	state_op ops[2];
	memset(ops, 0, sizeof(ops));
	ops[0].kind = STATE_OP_BAN_GET;
	ops[0].key = sk_slice_make(kip, strlen(kip));
	ops[1].kind = STATE_OP_BAN_GET;
	ops[1].key = sk_slice_make(knet, strlen(knet));
	state_batch(px->state, ops, 2, now);
	for (int i = 0; i < 2; i++) {
		if (ops[i].rc == STATE_OK) {
			snprintf(out->key, sizeof(out->key), "%s", i == 0 ? kip : knet);
			out->ttl_left_ms = ops[i].ttl_left_ms;
			snprintf(out->reason, sizeof(out->reason), "%s", ops[i].reason);
			return true;
		}
	}
	/* Unavailable counts as not banned: the fallback already asked the
	 * local backend, and a broken store must not lock everyone out. */
	return false;
}

bool guard_banned(conn *c, guard_ban *out)
{
	proxy *px = c->w->px;
	uint64_t now = guard_now_ms();
	if (!px->state_shared)
		return lookup(px, &c->client, now, out);
	struct ban_cache *bc = c->w->bans;
	uint64_t h = siphash24(bc->key, c->client.b, sizeof(c->client.b));
	/* Set-associative: a few busy clients that share a set do not push
	 * each other out (a direct-mapped table sent 38% of 500 clients'
	 * requests to Redis in bench/guard). The way to refill is a free or
	 * stale one, else the one whose answer ends first. */
	ban_cache_entry *set = bc->slot[h % BAN_CACHE_SETS], *e = NULL, *victim = &set[0];
	unsigned gen = atomic_load(&px->ban_gen);
	for (int i = 0; i < BAN_CACHE_WAYS; i++) {
		ban_cache_entry *x = &set[i];
		bool live = x->used && x->gen == gen && now < x->until_ms;
		if (live && memcmp(x->addr.b, c->client.b, 16) == 0) {
			e = x;
			break;
		}
		if (!live)
			victim = x;
		else if (victim->used && victim->gen == gen && now < victim->until_ms && x->until_ms < victim->until_ms)
			victim = x;
	}
	if (e) {
		if (!e->banned)
			return false;
		*out = e->ban;
		out->ttl_left_ms = (uint32_t)(e->ban_end_ms > now ? e->ban_end_ms - now : 1);
		return true;
	}
	e = victim;
	bool banned = lookup(px, &c->client, now, out);
	e->used = true;
	e->addr = c->client;
	e->gen = gen;
	e->banned = banned;
	if (banned) {
		/* Held no longer than a "not banned" answer: a ban lifted on
		 * another proxy must end here within state.ban_cache too. */
		e->ban = *out;
		e->ban_end_ms = now + out->ttl_left_ms;
		e->until_ms = now + (out->ttl_left_ms < px->ban_cache_ms ? out->ttl_left_ms : px->ban_cache_ms);
	} else {
		e->until_ms = now + px->ban_cache_ms;
	}
	return banned;
}

static void ban_event(proxy *px, const char *kind, const char *key, uint32_t ttl_ms, const char *reason,
		      const char *source)
{
	sk_buf d;
	buf_init(&d, 1024);
	buf_puts(&d, "{\"key\":");
	buf_json_str(&d, sk_slice_make(key, strlen(key)));
	if (ttl_ms)
		buf_printf(&d, ",\"ttl_s\":%u", (ttl_ms + 999) / 1000);
	if (reason) {
		buf_puts(&d, ",\"reason\":");
		buf_json_str(&d, sk_slice_make(reason, strlen(reason)));
	}
	buf_puts(&d, ",\"by\":");
	buf_json_str(&d, sk_slice_make(source, strlen(source)));
	buf_puts(&d, "}");
	audit_event(&px->workers[0], kind, strcmp(kind, "ban") == 0 ? "high" : "info", d.overflow ? "{}" : d.p);
	buf_free(&d);
}

int guard_ban_set(proxy *px, const char *key, uint32_t ttl_ms, const char *reason, const char *source)
{
	int rc = state_ban_set(px->state, sk_slice_make(key, strlen(key)), ttl_ms,
			       sk_slice_make(reason, strlen(reason)), guard_now_ms());
	/* Through the fallback a ban lands in local state even when Redis is
	 * down, so it holds here either way. */
	atomic_fetch_add(&px->ban_gen, 1);
	if (rc == STATE_OK || rc == STATE_EUNAVAILABLE) {
		atomic_fetch_add(&px->stats.bans_set, 1);
		ban_event(px, "ban", key, ttl_ms, reason, source);
		nft_ban(px, key, ttl_ms); /* bans.nftables: the kernel drops it too */
	}
	return rc;
}

int guard_ban_del(proxy *px, const char *key, const char *source)
{
	int rc = state_ban_del(px->state, sk_slice_make(key, strlen(key)));
	atomic_fetch_add(&px->ban_gen, 1);
	if (rc == STATE_OK)
		ban_event(px, "unban", key, 0, NULL, source);
	nft_unban(px, key); /* also when expired here: the kernel's copy goes */
	return rc;
}

void guard_refuse_banned(conn *c, const guard_ban *b)
{
	proxy *px = c->w->px;
	atomic_fetch_add(&px->stats.banned_refused, 1);
	unsigned retry = (b->ttl_left_ms + 999) / 1000;
	char hdr[64];
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", retry ? retry : 1);
	c->status = 403;
	memset(&c->v, 0, sizeof(c->v));
	snprintf(c->guard_note, sizeof(c->guard_note), "banned (%s: %s)", b->key, b->reason);
	audit_request(c, "banned");
	respond_page(c, 403, "Forbidden", "Your address is temporarily blocked. Try again later.", hdr, false);
}
