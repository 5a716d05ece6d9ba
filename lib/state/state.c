/* state.c - the state interface: single operations as one-op batches,
 * argument checks, and the fallback wrapper. See include/sekisho/state.h. */
#include "sekisho/state.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *state_strerror(int rc)
{
	switch (rc) {
	case STATE_OK: return "ok";
	case STATE_ENOENT: return "no such ban";
	case STATE_EUNAVAILABLE: return "state backend unavailable";
	case STATE_EINVAL: return "invalid argument";
	case STATE_ENOMEM: return "out of memory";
	default: return "unknown state error";
	}
}

static bool key_ok(sk_slice key)
{
	return key.len > 0 && key.len <= STATE_KEY_MAX && key.p != NULL;
}

static bool window_ok(uint32_t window_ms)
{
	return window_ms > 0 && window_ms <= STATE_WINDOW_MAX_MS;
}

int state_op_check(const state_op *op)
{
	if (!key_ok(op->key))
		return STATE_EINVAL;
	switch (op->kind) {
	case STATE_OP_COUNT_ADD:
	case STATE_OP_COUNT_GET:
		return window_ok(op->window_ms) ? STATE_OK : STATE_EINVAL;
	case STATE_OP_DISTINCT_ADD:
		/* a member is bounded like a key: it is hashed, and the
		 * caller hashes or truncates long usernames itself */
		return key_ok(op->member) && window_ok(op->window_ms) ? STATE_OK : STATE_EINVAL;
	case STATE_OP_BAN_GET:
		return STATE_OK;
	case STATE_OP_BAN_SET:
		if (op->ttl_ms == 0 || (op->reason_in.len && !op->reason_in.p))
			return STATE_EINVAL;
		return STATE_OK;
	default:
		return STATE_EINVAL;
	}
}

void state_op_set_reason(state_op *op, const void *p, size_t len)
{
	if (len > STATE_REASON_MAX)
		len = STATE_REASON_MAX;
	if (len)
		memcpy(op->reason, p, len);
	op->reason[len] = '\0';
	op->reason_len = (uint8_t)len;
}

int state_batch(state *s, state_op *ops, size_t n, uint64_t now_ms)
{
	if (n == 0)
		return STATE_OK;
	return s->ops->batch(s, ops, n, now_ms);
}

static int count_op(state *s, int kind, sk_slice key, uint32_t n, uint32_t window_ms, uint64_t now_ms,
		    uint64_t *count)
{
	state_op op = { .kind = kind, .key = key, .n = n, .window_ms = window_ms };
	int rc = s->ops->batch(s, &op, 1, now_ms);
	if (rc == STATE_OK)
		rc = op.rc;
	if (count)
		*count = rc == STATE_OK ? op.count : 0;
	return rc;
}

int state_count_add(state *s, sk_slice key, uint32_t n, uint32_t window_ms, uint64_t now_ms,
		    uint64_t *count)
{
	return count_op(s, STATE_OP_COUNT_ADD, key, n, window_ms, now_ms, count);
}

int state_count_get(state *s, sk_slice key, uint32_t window_ms, uint64_t now_ms, uint64_t *count)
{
	return count_op(s, STATE_OP_COUNT_GET, key, 0, window_ms, now_ms, count);
}

int state_distinct_add(state *s, sk_slice key, sk_slice member, uint32_t window_ms, uint64_t now_ms,
		       uint64_t *count)
{
	state_op op = { .kind = STATE_OP_DISTINCT_ADD, .key = key, .member = member, .window_ms = window_ms };
	int rc = s->ops->batch(s, &op, 1, now_ms);
	if (rc == STATE_OK)
		rc = op.rc;
	if (count)
		*count = rc == STATE_OK ? op.count : 0;
	return rc;
}

int state_ban_set(state *s, sk_slice key, uint32_t ttl_ms, sk_slice reason, uint64_t now_ms)
{
	state_op op = { .kind = STATE_OP_BAN_SET, .key = key, .ttl_ms = ttl_ms, .reason_in = reason };
	int rc = s->ops->batch(s, &op, 1, now_ms);
	return rc == STATE_OK ? op.rc : rc;
}

int state_ban_get(state *s, sk_slice key, uint64_t now_ms, uint32_t *ttl_left_ms, char *reason,
		  size_t reason_cap)
{
	state_op op = { .kind = STATE_OP_BAN_GET, .key = key };
	int rc = s->ops->batch(s, &op, 1, now_ms);
	if (rc == STATE_OK)
		rc = op.rc;
	if (ttl_left_ms)
		*ttl_left_ms = rc == STATE_OK ? op.ttl_left_ms : 0;
	if (reason && reason_cap) {
		size_t len = rc == STATE_OK ? op.reason_len : 0;
		if (len > reason_cap - 1)
			len = reason_cap - 1;
		memcpy(reason, op.reason, len);
		reason[len] = '\0';
	}
	return rc;
}

int state_ban_del(state *s, sk_slice key)
{
	if (!key_ok(key))
		return STATE_EINVAL;
	return s->ops->ban_del(s, key);
}

long state_ban_list(state *s, uint64_t now_ms, state_ban_fn *fn, void *ctx, size_t max)
{
	if (!fn)
		return STATE_EINVAL;
	return s->ops->ban_list(s, now_ms, fn, ctx, max);
}

int state_health(state *s)
{
	return s->ops->health(s);
}

void state_get_stats(state *s, state_stats *out)
{
	memset(out, 0, sizeof(*out));
	s->ops->stats(s, out);
}

void state_free(state *s)
{
	if (s)
		s->ops->free(s);
}

/* ---- fallback wrapper ----
 * The primary decides by itself when to try the network again (the Redis
 * backend answers STATE_EUNAVAILABLE at once during its backoff), so the
 * wrapper needs no clock: it asks the primary every time and serves from
 * `local` whenever the answer is "unavailable". */

struct fallback {
	state base;
	state *primary, *local;
	void (*on_change)(void *ctx, bool degraded);
	void *ctx;
	pthread_mutex_t mu; /* guards the fields below */
	bool degraded;
	uint64_t fallback_ops, outages, unavailable;
};

static void fb_note(struct fallback *f, bool down, size_t ops)
{
	pthread_mutex_lock(&f->mu);
	if (down) {
		f->fallback_ops += ops;
		f->unavailable++;
	}
	if (down != f->degraded) {
		f->degraded = down;
		if (down)
			f->outages++;
		if (f->on_change)
			f->on_change(f->ctx, down);
	}
	pthread_mutex_unlock(&f->mu);
}

static int fb_batch(state *s, state_op *ops, size_t n, uint64_t now_ms)
{
	struct fallback *f = (struct fallback *)s;
	int rc = f->primary->ops->batch(f->primary, ops, n, now_ms);
	if (rc == STATE_EUNAVAILABLE) {
		fb_note(f, true, n);
		return f->local->ops->batch(f->local, ops, n, now_ms);
	}
	fb_note(f, false, 0);
	if (rc != STATE_OK)
		return rc;
	/* Keep local bans in step (write-through) and let bans made during
	 * an outage hold: one local pass over the ban ops, no network. */
	for (size_t i = 0; i < n; i++) {
		state_op *op = &ops[i];
		if (op->kind == STATE_OP_BAN_SET && op->rc == STATE_OK) {
			state_op copy = *op;
			(void)f->local->ops->batch(f->local, &copy, 1, now_ms);
		} else if (op->kind == STATE_OP_BAN_GET && op->rc == STATE_ENOENT) {
			(void)f->local->ops->batch(f->local, op, 1, now_ms);
		}
	}
	return STATE_OK;
}

static int fb_ban_del(state *s, sk_slice key)
{
	struct fallback *f = (struct fallback *)s;
	int lrc = f->local->ops->ban_del(f->local, key);
	int rc = f->primary->ops->ban_del(f->primary, key);
	if (rc == STATE_EUNAVAILABLE) {
		fb_note(f, true, 1);
		return lrc;
	}
	fb_note(f, false, 0);
	if (rc == STATE_ENOENT && lrc == STATE_OK)
		return STATE_OK;
	return rc;
}

static long fb_ban_list(state *s, uint64_t now_ms, state_ban_fn *fn, void *ctx, size_t max)
{
	struct fallback *f = (struct fallback *)s;
	long rc = f->primary->ops->ban_list(f->primary, now_ms, fn, ctx, max);
	if (rc == STATE_EUNAVAILABLE) {
		fb_note(f, true, 1);
		return f->local->ops->ban_list(f->local, now_ms, fn, ctx, max);
	}
	fb_note(f, false, 0);
	return rc;
}

static int fb_health(state *s)
{
	struct fallback *f = (struct fallback *)s;
	return f->primary->ops->health(f->primary);
}

static void fb_stats(state *s, state_stats *out)
{
	struct fallback *f = (struct fallback *)s;
	f->primary->ops->stats(f->primary, out);
	state_stats l;
	memset(&l, 0, sizeof(l));
	f->local->ops->stats(f->local, &l);
	out->keys = l.keys;
	out->evictions = l.evictions;
	pthread_mutex_lock(&f->mu);
	out->fallback_ops = f->fallback_ops;
	out->outages = f->outages;
	out->degraded = f->degraded;
	pthread_mutex_unlock(&f->mu);
}

static void fb_free(state *s)
{
	struct fallback *f = (struct fallback *)s;
	state_free(f->primary);
	state_free(f->local);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static const struct state_ops fallback_ops = {
	.batch = fb_batch,
	.ban_del = fb_ban_del,
	.ban_list = fb_ban_list,
	.health = fb_health,
	.stats = fb_stats,
	.free = fb_free,
};

state *state_fallback_new(state *primary, state *local, void (*on_change)(void *ctx, bool degraded),
			  void *ctx)
{
	struct fallback *f = primary && local ? calloc(1, sizeof(*f)) : NULL;
	if (!f || pthread_mutex_init(&f->mu, NULL) != 0) {
		free(f);
		state_free(primary);
		state_free(local);
		return NULL;
	}
	f->base.ops = &fallback_ops;
	f->primary = primary;
	f->local = local;
	f->on_change = on_change;
	f->ctx = ctx;
	return &f->base;
}
