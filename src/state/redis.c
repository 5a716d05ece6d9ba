/* redis.c - the Redis state backend (hiredis); see include/sekisho/state.h.
 *
 * Several proxies point at one Redis and so share counters and bans.
 *
 * Keys. A key's bytes are hex-encoded inside the Redis key name, after a
 * configured prefix:
 *   <prefix>c:<window_ms>:{<hex key>}:<bucket>   one counter bucket
 *   <prefix>d:<window_ms>:{<hex key>}:<bucket>   one distinct-set bitmap
 *   <prefix>b:{<hex key>}                        one ban; value = reason
 * Hex keeps every key byte (NUL, CR, LF, space, ':', '*', '{') out of the
 * name's structure, so a username cannot reach another key, and the braces
 * are a Redis Cluster hash tag: both buckets of a counter live in one slot.
 *
 * Commands. Everything is sent with redisAppendCommandArgv (binary-safe,
 * length-prefixed RESP; no format strings) and a batch is one pipeline:
 * all commands written, then all replies read, one round trip.
 *   COUNT_ADD  EVALSHA <add> 2 <cur bucket> <prev bucket> n 2*window
 *              (INCRBY + PEXPIRE + GET in one atomic script)
 *   COUNT_GET  MGET <cur bucket> <prev bucket>
 *   BAN_GET    EVALSHA <ban> 1 <ban key>   (GET + PTTL atomically)
 *   BAN_SET    SET <ban key> <reason> PX ttl
 *   DISTINCT_ADD  EVALSHA <distinct> 2 <cur bitmap> <prev bitmap> bit 2*window
 *              (SETBIT + PEXPIRE + GET + GET in one atomic script)
 * The scripts are loaded with SCRIPT LOAD on every (re)connect. The window
 * arithmetic (bucket weighting) is done here with window_estimate, the same
 * code as the memory backend, on the raw bucket counts Redis returns; the
 * distinct estimate likewise with distinct_estimate on the raw bitmaps,
 * and the member's bit is chosen by distinct_bit (lib/state/distinct.c).
 *
 * Failure. Connect and every reply have `timeout_ms` (SO_RCVTIMEO and
 * SO_SNDTIMEO through redisSetTimeout; a batch reads its replies in order,
 * so it is bounded by a few timeouts). Any I/O or protocol error drops the
 * connection and puts the whole backend in backoff: calls answer
 * STATE_EUNAVAILABLE at once, without touching the network, until the
 * backoff ends (100 ms doubling to 5 s); then the next call reconnects.
 * Each outage bumps a generation number so that pooled connections opened
 * before it are reopened instead of failing one after another.
 *
 * Threads. A small pool of connections, each behind its own mutex; a call
 * takes a free one (trylock round-robin) or waits for one.
 *
 * The process must ignore SIGPIPE (the proxy does): hiredis writes with
 * write(2) and a Redis that died can raise it.
 */
#include "sekisho/state.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/state/distinct.h"

#define RS_CONNS 4
#define RS_PREFIX_MAX 64
#define RS_HOST_MAX 255
#define RS_BACKOFF_MIN_MS 100
#define RS_BACKOFF_MAX_MS 5000
/* SCAN calls per ban_list (COUNT 512 each): bounds an admin listing. */
#define RS_SCAN_ROUNDS 2000
/* Longest Redis key name we build: prefix, tags, hex key, two numbers. */
#define RS_NAME_MAX (RS_PREFIX_MAX + 2 * STATE_KEY_MAX + 64)

static const char ADD_LUA[] =
	"local c = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"local p = redis.call('GET', KEYS[2])\n"
	"return {c, tonumber(p or '0') or 0}\n";
/* Both bitmaps come back as they are (a missing prev as ""): up to
 * 2 x 128 bytes of reply, OR and estimate done by the caller. */
static const char DISTINCT_LUA[] =
	"redis.call('SETBIT', KEYS[1], ARGV[1], 1)\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]) or ''}\n";
static const char BAN_LUA[] =
	"local v = redis.call('GET', KEYS[1])\n"
	"if not v then return false end\n"
	"return {v, redis.call('PTTL', KEYS[1])}\n";

struct conn {
	pthread_mutex_t mu;
	redisContext *c;  /* NULL when not connected */
	atomic_bool open; /* c != NULL, readable without the lock */
	uint64_t gen;     /* backend generation it was opened in */
	char sha_add[41], sha_ban[41], sha_distinct[41];
};

struct rstate {
	state base;
	char host[RS_HOST_MAX + 1];
	uint16_t port;
	char prefix[RS_PREFIX_MAX + 1];
	size_t plen;
	struct timeval tv;
	struct conn conns[RS_CONNS];
	atomic_uint next;
	pthread_mutex_t hmu; /* guards down_until, backoff_ms, gen */
	uint64_t down_until; /* monotonic ms; calls before it fail fast */
	uint32_t backoff_ms;
	uint64_t gen;
	atomic_uint_fast64_t ops, round_trips, unavailable, connects;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void errf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *buf, size_t len, const char *fmt, ...)
{
	if (!buf || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- health: backoff and generations ---- */

static bool in_backoff(struct rstate *r, uint64_t *gen)
{
	pthread_mutex_lock(&r->hmu);
	bool down = r->down_until && mono_ms() < r->down_until;
	*gen = r->gen;
	pthread_mutex_unlock(&r->hmu);
	return down;
}

static void mark_down(struct rstate *r)
{
	pthread_mutex_lock(&r->hmu);
	uint64_t now = mono_ms();
	/* Several threads failing in the same outage move it on once. */
	if (!r->down_until || now >= r->down_until) {
		r->down_until = now + r->backoff_ms;
		r->backoff_ms = r->backoff_ms >= RS_BACKOFF_MAX_MS / 2 ? RS_BACKOFF_MAX_MS : r->backoff_ms * 2;
		r->gen++;
	}
	pthread_mutex_unlock(&r->hmu);
}

static void mark_up(struct rstate *r)
{
	pthread_mutex_lock(&r->hmu);
	r->down_until = 0;
	r->backoff_ms = RS_BACKOFF_MIN_MS;
	pthread_mutex_unlock(&r->hmu);
}

static void conn_drop(struct conn *c)
{
	if (c->c)
		redisFree(c->c);
	c->c = NULL;
	atomic_store(&c->open, false);
}

/* Read one reply; NULL on I/O error (the connection is then unusable). */
static redisReply *get_reply(struct conn *c)
{
	void *rep = NULL;
	if (redisGetReply(c->c, &rep) != REDIS_OK)
		return NULL;
	return rep;
}

static bool load_script(redisReply *rep, char sha[41])
{
	if (!rep || rep->type != REDIS_REPLY_STRING || rep->len != 40)
		return false;
	memcpy(sha, rep->str, 40);
	sha[40] = '\0';
	return true;
}

/* Connect `c` and load the scripts: one round trip after the connect. */
static bool conn_open(struct rstate *r, struct conn *c, uint64_t gen)
{
	conn_drop(c);
	c->c = redisConnectWithTimeout(r->host, r->port, r->tv);
	if (!c->c || c->c->err || redisSetTimeout(c->c, r->tv) != REDIS_OK) {
		conn_drop(c);
		return false;
	}
	const char *argv[3] = { "SCRIPT", "LOAD", ADD_LUA };
	size_t lens[3] = { 6, 4, sizeof(ADD_LUA) - 1 };
	redisAppendCommandArgv(c->c, 3, argv, lens);
	argv[2] = BAN_LUA;
	lens[2] = sizeof(BAN_LUA) - 1;
	redisAppendCommandArgv(c->c, 3, argv, lens);
	argv[2] = DISTINCT_LUA;
	lens[2] = sizeof(DISTINCT_LUA) - 1;
	redisAppendCommandArgv(c->c, 3, argv, lens);
	atomic_fetch_add(&r->round_trips, 1);
	redisReply *a = get_reply(c);
	redisReply *b = a ? get_reply(c) : NULL;
	redisReply *d = b ? get_reply(c) : NULL;
	bool ok = load_script(a, c->sha_add) && load_script(b, c->sha_ban) && load_script(d, c->sha_distinct);
	if (a)
		freeReplyObject(a);
	if (b)
		freeReplyObject(b);
	if (d)
		freeReplyObject(d);
	if (!ok) {
		conn_drop(c);
		return false;
	}
	c->gen = gen;
	atomic_store(&c->open, true);
	atomic_fetch_add(&r->connects, 1);
	return true;
}

/* A locked, connected connection, or NULL (backend unavailable; counted). */
static struct conn *conn_get(struct rstate *r)
{
	uint64_t gen;
	if (in_backoff(r, &gen)) {
		atomic_fetch_add(&r->unavailable, 1);
		return NULL;
	}
	unsigned start = atomic_fetch_add(&r->next, 1);
	struct conn *c = NULL;
	/* A free connection that is open, else any free one, else wait: a
	 * lone thread keeps reusing one connection. (Reading t->c unlocked
	 * is only a hint; it is checked again under the lock below.) */
	for (unsigned pass = 0; pass < 2 && !c; pass++)
		for (unsigned i = 0; i < RS_CONNS && !c; i++) {
			struct conn *t = &r->conns[(start + i) % RS_CONNS];
			if ((pass == 1 || atomic_load(&t->open)) && pthread_mutex_trylock(&t->mu) == 0)
				c = t;
		}
	if (!c) {
		c = &r->conns[start % RS_CONNS];
		pthread_mutex_lock(&c->mu);
	}
	if (c->c && c->gen == gen && !c->c->err)
		return c;
	if (conn_open(r, c, gen)) {
		mark_up(r);
		return c;
	}
	mark_down(r);
	pthread_mutex_unlock(&c->mu);
	atomic_fetch_add(&r->unavailable, 1);
	return NULL;
}

/* Give the connection back; `broken` drops it and starts a backoff. */
static void conn_put(struct rstate *r, struct conn *c, bool broken)
{
	if (broken) {
		conn_drop(c);
		mark_down(r);
		atomic_fetch_add(&r->unavailable, 1);
	}
	pthread_mutex_unlock(&c->mu);
}

/* ---- key names ---- */

static size_t hex_into(char *out, const char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[(unsigned char)p[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)p[i] & 15];
	}
	return 2 * n;
}

/* "<prefix><kind>:<window>:{<hex>}:<bucket>" for a counter (kind 'c') or
 * a distinct set ('d'); "<prefix>b:{<hex>}" for a ban ('b', window and
 * bucket unused). */
static size_t key_name(const struct rstate *r, char *out, char kind, sk_slice key, uint32_t window,
		       uint64_t bucket)
{
	size_t n = 0;
	memcpy(out, r->prefix, r->plen);
	n += r->plen;
	if (kind != 'b')
		n += (size_t)snprintf(out + n, RS_NAME_MAX - n, "%c:%" PRIu32 ":{", kind, window);
	else {
		memcpy(out + n, "b:{", 3);
		n += 3;
	}
	n += hex_into(out + n, key.p, key.len);
	out[n++] = '}';
	if (kind != 'b')
		n += (size_t)snprintf(out + n, RS_NAME_MAX - n, ":%" PRIu64, bucket);
	return n;
}

static int unhex1(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The key bytes of a ban key name, into out (STATE_KEY_MAX); length or -1. */
static long key_from_ban_name(const struct rstate *r, const char *name, size_t len, char *out)
{
	size_t head = r->plen + 3;
	if (len < head + 1 || memcmp(name, r->prefix, r->plen) != 0 || memcmp(name + r->plen, "b:{", 3) != 0 ||
	    name[len - 1] != '}')
		return -1;
	size_t hex = len - head - 1;
	if (hex == 0 || hex % 2 || hex / 2 > STATE_KEY_MAX)
		return -1;
	for (size_t i = 0; i < hex / 2; i++) {
		int hi = unhex1(name[head + 2 * i]), lo = unhex1(name[head + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (char)(hi << 4 | lo);
	}
	return (long)(hex / 2);
}

/* ---- batches ---- */

/* Append the command for one checked op. */
static void append_op(struct rstate *r, struct conn *c, const state_op *op, uint64_t now)
{
	char k1[RS_NAME_MAX], k2[RS_NAME_MAX], a1[24], a2[24];
	const char *argv[7];
	size_t lens[7];
	int argc = 0;
#define ARG(p, n) (argv[argc] = (p), lens[argc] = (n), argc++)
	if (op->kind != STATE_OP_BAN_GET && op->kind != STATE_OP_BAN_SET) {
		/* Two buckets of a counter or of a distinct set. */
		bool distinct = op->kind == STATE_OP_DISTINCT_ADD;
		uint64_t b = window_bucket(now, op->window_ms);
		size_t n1 = key_name(r, k1, distinct ? 'd' : 'c', op->key, op->window_ms, b);
		/* b = 0: a name never written */
		size_t n2 = key_name(r, k2, distinct ? 'd' : 'c', op->key, op->window_ms, b - 1);
		if (op->kind == STATE_OP_COUNT_GET) {
			ARG("MGET", 4);
			ARG(k1, n1);
			ARG(k2, n2);
		} else {
			/* INCRBY n or SETBIT bit, then the same PEXPIRE and reads */
			uint32_t v = distinct ? distinct_bit(op->member) : op->n;
			int l1 = snprintf(a1, sizeof(a1), "%" PRIu32, v);
			int l2 = snprintf(a2, sizeof(a2), "%" PRIu64, 2 * (uint64_t)op->window_ms);
			ARG("EVALSHA", 7);
			ARG(distinct ? c->sha_distinct : c->sha_add, 40);
			ARG("2", 1);
			ARG(k1, n1);
			ARG(k2, n2);
			ARG(a1, (size_t)l1);
			ARG(a2, (size_t)l2);
		}
	} else {
		size_t n1 = key_name(r, k1, 'b', op->key, 0, 0);
		if (op->kind == STATE_OP_BAN_GET) {
			ARG("EVALSHA", 7);
			ARG(c->sha_ban, 40);
			ARG("1", 1);
			ARG(k1, n1);
		} else {
			size_t rl = op->reason_in.len > STATE_REASON_MAX ? STATE_REASON_MAX : op->reason_in.len;
			int l1 = snprintf(a1, sizeof(a1), "%" PRIu32, op->ttl_ms);
			ARG("SET", 3);
			ARG(k1, n1);
			ARG(rl ? op->reason_in.p : "", rl);
			ARG("PX", 2);
			ARG(a1, (size_t)l1);
		}
	}
#undef ARG
	redisAppendCommandArgv(c->c, argc, argv, lens);
}

/* A non-negative integer from an integer or bulk-string reply element. */
static bool reply_u64(const redisReply *e, uint64_t *out)
{
	if (e->type == REDIS_REPLY_NIL) {
		*out = 0;
		return true;
	}
	if (e->type == REDIS_REPLY_INTEGER) {
		*out = e->integer > 0 ? (uint64_t)e->integer : 0;
		return true;
	}
	unsigned long long v;
	if (e->type != REDIS_REPLY_STRING || !sk_slice_to_u64(sk_slice_make(e->str, e->len), UINT64_MAX, &v))
		return false;
	*out = v;
	return true;
}

/* Fill op's outputs from its reply. false = protocol error (drop conn). */
static bool read_op(state_op *op, const redisReply *rep, uint64_t now)
{
	if (rep->type == REDIS_REPLY_ERROR) {
		/* NOSCRIPT (scripts flushed), OOM, a foreign key of another
		 * type: nothing sane to do but reconnect later. */
		return false;
	}
	switch (op->kind) {
	case STATE_OP_COUNT_ADD:
	case STATE_OP_COUNT_GET: {
		uint64_t cur, prev;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 || !reply_u64(rep->element[0], &cur) ||
		    !reply_u64(rep->element[1], &prev))
			return false;
		uint64_t b = window_bucket(now, op->window_ms);
		op->count = window_estimate(cur, prev, now - b * op->window_ms, op->window_ms);
		op->rc = STATE_OK;
		return true;
	}
	case STATE_OP_DISTINCT_ADD:
		/* Strings only: a foreign key of another type under our name
		 * is an error reply (handled above), never a bitmap. */
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_STRING)
			return false;
		op->count = distinct_estimate((const uint8_t *)rep->element[0]->str, rep->element[0]->len,
					      (const uint8_t *)rep->element[1]->str, rep->element[1]->len);
		op->rc = STATE_OK;
		return true;
	case STATE_OP_BAN_GET:
		if (rep->type == REDIS_REPLY_NIL) {
			op->ttl_left_ms = 0;
			state_op_set_reason(op, NULL, 0);
			op->rc = STATE_ENOENT;
			return true;
		}
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_INTEGER)
			return false;
		if (rep->element[1]->integer < 0) {
			/* -1: no TTL (set by hand); -2: gone. Bans always have
			 * a TTL here, so neither is one of ours. */
			op->ttl_left_ms = 0;
			state_op_set_reason(op, NULL, 0);
			op->rc = STATE_ENOENT;
			return true;
		}
		op->ttl_left_ms = rep->element[1]->integer > UINT32_MAX ? UINT32_MAX
									 : (uint32_t)rep->element[1]->integer;
		state_op_set_reason(op, rep->element[0]->str, rep->element[0]->len);
		op->rc = STATE_OK;
		return true;
	case STATE_OP_BAN_SET:
		if (rep->type != REDIS_REPLY_STATUS)
			return false;
		op->rc = STATE_OK;
		return true;
	default:
		return false;
	}
}

static int fail_all(state_op *ops, size_t n, int rc)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].rc == STATE_OK)
			ops[i].rc = rc;
	return rc;
}

static int rs_batch(state *s, state_op *ops, size_t n, uint64_t now_ms)
{
	struct rstate *r = (struct rstate *)s;
	size_t valid = 0;
	for (size_t i = 0; i < n; i++) {
		ops[i].rc = state_op_check(&ops[i]);
		valid += ops[i].rc == STATE_OK;
	}
	atomic_fetch_add(&r->ops, n);
	if (!valid)
		return STATE_OK;
	struct conn *c = conn_get(r);
	if (!c)
		return fail_all(ops, n, STATE_EUNAVAILABLE);
	for (size_t i = 0; i < n; i++)
		if (ops[i].rc == STATE_OK)
			append_op(r, c, &ops[i], now_ms);
	atomic_fetch_add(&r->round_trips, 1);
	/* Read every reply even after a bad one, so that the connection stays
	 * in step; an I/O error ends the loop (the connection is gone). */
	bool broken = false;
	for (size_t i = 0; i < n; i++) {
		if (ops[i].rc != STATE_OK)
			continue;
		redisReply *rep = broken ? NULL : get_reply(c);
		if (!rep) {
			broken = true;
			continue;
		}
		if (!read_op(&ops[i], rep, now_ms))
			broken = true;
		freeReplyObject(rep);
	}
	conn_put(r, c, broken);
	if (broken)
		return fail_all(ops, n, STATE_EUNAVAILABLE);
	return STATE_OK;
}

static int rs_ban_del(state *s, sk_slice key)
{
	struct rstate *r = (struct rstate *)s;
	char k[RS_NAME_MAX];
	size_t kn = key_name(r, k, 'b', key, 0, 0);
	atomic_fetch_add(&r->ops, 1);
	struct conn *c = conn_get(r);
	if (!c)
		return STATE_EUNAVAILABLE;
	const char *argv[2] = { "DEL", k };
	size_t lens[2] = { 3, kn };
	redisAppendCommandArgv(c->c, 2, argv, lens);
	atomic_fetch_add(&r->round_trips, 1);
	redisReply *rep = get_reply(c);
	bool ok = rep && rep->type == REDIS_REPLY_INTEGER;
	int rc = ok && rep->integer > 0 ? STATE_OK : STATE_ENOENT;
	if (rep)
		freeReplyObject(rep);
	conn_put(r, c, !ok);
	return ok ? rc : STATE_EUNAVAILABLE;
}

/* One SCAN page's keys, then their bans in one pipeline. Returns false on
 * a broken connection. */
static bool list_page(struct rstate *r, struct conn *c, const redisReply *keys, uint64_t now,
		      state_ban_fn *fn, void *ctx, size_t max, long *count)
{
	(void)now;
	size_t sent = 0;
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		if (k->type != REDIS_REPLY_STRING)
			return false;
		const char *argv[4] = { "EVALSHA", c->sha_ban, "1", k->str };
		size_t lens[4] = { 7, 40, 1, k->len };
		redisAppendCommandArgv(c->c, 4, argv, lens);
		sent++;
	}
	if (!sent)
		return true;
	atomic_fetch_add(&r->round_trips, 1);
	bool ok = true;
	char kb[STATE_KEY_MAX];
	for (size_t i = 0; i < sent; i++) {
		redisReply *rep = get_reply(c);
		if (!rep)
			return false;
		const redisReply *k = keys->element[i];
		long kl = key_from_ban_name(r, k->str, k->len, kb);
		if (rep->type == REDIS_REPLY_ERROR)
			ok = false;
		else if (ok && kl > 0 && (size_t)*count < max && rep->type == REDIS_REPLY_ARRAY &&
			 rep->elements == 2 && rep->element[0]->type == REDIS_REPLY_STRING &&
			 rep->element[1]->type == REDIS_REPLY_INTEGER && rep->element[1]->integer > 0) {
			long long t = rep->element[1]->integer;
			size_t rl = rep->element[0]->len > STATE_REASON_MAX ? STATE_REASON_MAX : rep->element[0]->len;
			fn(ctx, sk_slice_make(kb, (size_t)kl), t > UINT32_MAX ? UINT32_MAX : (uint32_t)t,
			   sk_slice_make(rep->element[0]->str, rl));
			(*count)++;
		}
		freeReplyObject(rep);
	}
	return ok;
}

static long rs_ban_list(state *s, uint64_t now_ms, state_ban_fn *fn, void *ctx, size_t max)
{
	struct rstate *r = (struct rstate *)s;
	atomic_fetch_add(&r->ops, 1);
	struct conn *c = conn_get(r);
	if (!c)
		return STATE_EUNAVAILABLE;
	char pattern[RS_PREFIX_MAX + 8];
	int pl = snprintf(pattern, sizeof(pattern), "%sb:{*", r->prefix);
	char cursor[24] = "0";
	long count = 0;
	bool broken = false;
	for (int round = 0; round < RS_SCAN_ROUNDS && (size_t)count < max; round++) {
		const char *argv[6] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "512" };
		size_t lens[6] = { 4, strlen(cursor), 5, (size_t)pl, 5, 3 };
		redisAppendCommandArgv(c->c, 6, argv, lens);
		atomic_fetch_add(&r->round_trips, 1);
		redisReply *rep = get_reply(c);
		if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING || rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			if (rep)
				freeReplyObject(rep);
			broken = true;
			break;
		}
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
		cursor[rep->element[0]->len] = '\0';
		if (!list_page(r, c, rep->element[1], now_ms, fn, ctx, max, &count))
			broken = true;
		freeReplyObject(rep);
		if (broken || strcmp(cursor, "0") == 0)
			break;
	}
	conn_put(r, c, broken);
	return broken ? STATE_EUNAVAILABLE : count;
}

static int rs_health(state *s)
{
	struct rstate *r = (struct rstate *)s;
	struct conn *c = conn_get(r);
	if (!c)
		return STATE_EUNAVAILABLE;
	const char *argv[1] = { "PING" };
	size_t lens[1] = { 4 };
	redisAppendCommandArgv(c->c, 1, argv, lens);
	atomic_fetch_add(&r->round_trips, 1);
	redisReply *rep = get_reply(c);
	bool ok = rep && rep->type == REDIS_REPLY_STATUS;
	if (rep)
		freeReplyObject(rep);
	conn_put(r, c, !ok);
	return ok ? STATE_OK : STATE_EUNAVAILABLE;
}

static void rs_stats(state *s, state_stats *out)
{
	struct rstate *r = (struct rstate *)s;
	out->ops = atomic_load(&r->ops);
	out->round_trips = atomic_load(&r->round_trips);
	out->unavailable = atomic_load(&r->unavailable);
	out->connects = atomic_load(&r->connects);
}

static void rs_free(state *s)
{
	struct rstate *r = (struct rstate *)s;
	for (int i = 0; i < RS_CONNS; i++) {
		conn_drop(&r->conns[i]);
		pthread_mutex_destroy(&r->conns[i].mu);
	}
	pthread_mutex_destroy(&r->hmu);
	free(r);
}

static const struct state_ops redis_ops = {
	.batch = rs_batch,
	.ban_del = rs_ban_del,
	.ban_list = rs_ban_list,
	.health = rs_health,
	.stats = rs_stats,
	.free = rs_free,
};

static bool prefix_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

state *state_redis_new(const char *host, uint16_t port, const char *prefix, unsigned timeout_ms,
		       char *errbuf, size_t errlen)
{
	errf(errbuf, errlen, "%s", "");
	if (!prefix)
		prefix = "sekisho:";
	size_t hl = host ? strnlen(host, RS_HOST_MAX + 1) : 0;
	size_t pl = strnlen(prefix, RS_PREFIX_MAX + 1);
	if (hl == 0 || hl > RS_HOST_MAX || port == 0) {
		errf(errbuf, errlen, "redis: bad host or port");
		return NULL;
	}
	if (pl > RS_PREFIX_MAX || !prefix_ok(prefix, pl)) {
		errf(errbuf, errlen, "redis: key prefix must be up to %d bytes of [A-Za-z0-9:_.-]", RS_PREFIX_MAX);
		return NULL;
	}
	if (timeout_ms == 0 || timeout_ms > 60000) {
		errf(errbuf, errlen, "redis: timeout must be 1..60000 ms");
		return NULL;
	}
	struct rstate *r = calloc(1, sizeof(*r));
	if (!r) {
		errf(errbuf, errlen, "redis: out of memory");
		return NULL;
	}
	r->base.ops = &redis_ops;
	memcpy(r->host, host, hl);
	r->port = port;
	memcpy(r->prefix, prefix, pl);
	r->plen = pl;
	r->tv.tv_sec = (time_t)(timeout_ms / 1000);
	r->tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	r->backoff_ms = RS_BACKOFF_MIN_MS;
	pthread_mutex_init(&r->hmu, NULL);
	for (int i = 0; i < RS_CONNS; i++)
		pthread_mutex_init(&r->conns[i].mu, NULL);
	/* Try one connection now so a wrong address shows at start-up; a
	 * failure only starts the backoff. */
	struct conn *c = conn_get(r);
	if (c)
		pthread_mutex_unlock(&c->mu);
	else
		errf(errbuf, errlen, "redis: cannot connect to %s:%u (will retry)", r->host, (unsigned)port);
	return &r->base;
}
