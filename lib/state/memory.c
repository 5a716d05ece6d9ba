/* memory.c - the in-process state backend; see include/sekisho/state.h.
 *
 * Three fixed-size tables, for counters, bans and distinct sets, so a
 * flood of new counter or set keys (an attacker with many addresses) can
 * never push bans out, nor one kind of key the other. Each table is an
 * array of `cap` entries allocated at creation, chained from a
 * power-of-two bucket array by SipHash-1-3 of the key under a secret key,
 * with a free list threaded through the same `next` field. Slots never
 * used yet are handed out in order after the free list (`fresh`), so an
 * idle table costs its bucket array and the pages the allocator maps, not
 * `cap` written entries.
 *
 * A distinct set's two bitmaps (2 x DISTINCT_BYTES) live in the same
 * allocation as its key, right after the key bytes: 256 bytes more per
 * live set, nothing for counters and bans, and one free on removal.
 *
 * Expiry is lazy: an expired entry is dropped when it is looked up or
 * when the CLOCK hand passes it. When a table is full, the hand sweeps
 * the array: an expired entry is taken at once; an entry used since the
 * hand last passed (ref bit set) gets its bit cleared and is skipped;
 * the first entry with a clear bit is evicted. Two sweeps at most, and
 * each access sets one bit, so insertion is O(1) amortised.
 *
 * One mutex per instance: operations are a few hundred nanoseconds, so
 * the workers rarely meet on it.
 */
#include "sekisho/state.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "distinct.h"

#define NIL UINT32_MAX
/* Table sizes stay below NIL so indices fit in 32 bits. */
#define MEM_MIN_KEYS 16
#define MEM_MAX_KEYS (1u << 28)

struct entry {
	uint64_t hash;
	uint64_t expires; /* first ms at which the entry is dead */
	char *key;        /* malloc'd, klen bytes (distinct sets: then the bitmaps) */
	uint32_t next;    /* chain link, or free-list link when unused */
	uint32_t window;  /* counters, distinct sets: window_ms; bans: 0 */
	uint16_t klen;
	uint8_t used, ref;
	union {
		struct {
			uint64_t bucket;    /* bucket index of `cur` */
			uint32_t cur, prev; /* saturating counts */
		} c;
		struct {
			uint8_t rlen;
			char reason[STATE_REASON_MAX];
		} b;
		struct {
			uint64_t bucket; /* bucket index of the current bitmap */
		} d;
	} u;
};

struct table {
	struct entry *e;
	uint32_t *heads; /* nbuckets chain heads */
	uint32_t cap, nbuckets, live, free_head, fresh, hand;
	uint64_t evictions;
};

struct memstate {
	state base;
	pthread_mutex_t mu;
	uint8_t hkey[SIPHASH_KEY_LEN];
	struct table counters, bans, distinct;
	uint64_t ops;
};

static int table_init(struct table *t, uint32_t cap)
{
	uint32_t nb = 1;
	while (nb < cap)
		nb <<= 1;
	t->e = calloc(cap, sizeof(*t->e));
	t->heads = malloc((size_t)nb * sizeof(*t->heads));
	if (!t->e || !t->heads)
		return STATE_ENOMEM;
	for (uint32_t i = 0; i < nb; i++)
		t->heads[i] = NIL;
	t->cap = cap;
	t->nbuckets = nb;
	t->free_head = NIL;
	t->fresh = 0;
	t->live = 0;
	t->hand = 0;
	t->evictions = 0;
	return STATE_OK;
}

static void table_destroy(struct table *t)
{
	if (t->e)
		for (uint32_t i = 0; i < t->cap; i++)
			free(t->e[i].key);
	free(t->e);
	free(t->heads);
}

static uint64_t key_hash(const struct memstate *m, sk_slice key, uint32_t window)
{
	siphash_state h;
	siphash_init(&h, m->hkey, 1, 3);
	siphash_update(&h, key.p, key.len);
	uint8_t w[4] = { (uint8_t)window, (uint8_t)(window >> 8), (uint8_t)(window >> 16),
			 (uint8_t)(window >> 24) };
	siphash_update(&h, w, sizeof(w));
	return siphash_final(&h);
}

/* Unlink entry `i` from its chain and put it on the free list. */
static void table_remove(struct table *t, uint32_t i)
{
	struct entry *e = &t->e[i];
	uint32_t *link = &t->heads[e->hash & (t->nbuckets - 1)];
	/* The entry is on this chain, so the walk ends at it; chains are
	 * bounded by `cap`. */
	while (*link != i && *link != NIL)
		link = &t->e[*link].next;
	if (*link == i)
		*link = e->next;
	free(e->key);
	e->key = NULL;
	e->used = 0;
	e->next = t->free_head;
	t->free_head = i;
	t->live--;
}

static uint32_t table_find(const struct table *t, uint64_t hash, sk_slice key, uint32_t window)
{
	for (uint32_t i = t->heads[hash & (t->nbuckets - 1)]; i != NIL; i = t->e[i].next) {
		const struct entry *e = &t->e[i];
		if (e->hash == hash && e->window == window && e->klen == key.len &&
		    memcmp(e->key, key.p, key.len) == 0)
			return i;
	}
	return NIL;
}

/* Free one slot when the table is full: CLOCK sweep (see top). */
static void table_make_room(struct table *t, uint64_t now)
{
	for (uint64_t step = 0; step < 2 * (uint64_t)t->cap + 1; step++) {
		uint32_t i = t->hand;
		t->hand = i + 1 < t->cap ? i + 1 : 0;
		struct entry *e = &t->e[i];
		if (!e->used)
			return; /* not full after all */
		if (e->expires <= now) {
			table_remove(t, i);
			return;
		}
		if (e->ref) {
			e->ref = 0;
			continue;
		}
		table_remove(t, i);
		t->evictions++;
		return;
	}
}

/* A new entry for (key, window), linked in; NIL if out of memory. The key
 * copy is followed by `extra` zero bytes. The caller fills the value and
 * `expires`. */
static uint32_t table_insert(struct table *t, uint64_t hash, sk_slice key, uint32_t window, uint64_t now,
			     size_t extra)
{
	if (t->free_head == NIL && t->fresh == t->cap)
		table_make_room(t, now);
	if (t->free_head == NIL && t->fresh == t->cap)
		return NIL; /* unreachable: two sweeps always free a slot */
	char *copy = malloc(key.len + extra);
	if (!copy)
		return NIL;
	memcpy(copy, key.p, key.len);
	memset(copy + key.len, 0, extra);
	uint32_t i;
	if (t->free_head != NIL) {
		i = t->free_head;
		t->free_head = t->e[i].next;
	} else {
		i = t->fresh++;
	}
	struct entry *e = &t->e[i];
	memset(e, 0, sizeof(*e));
	e->hash = hash;
	e->key = copy;
	e->klen = (uint16_t)key.len;
	e->window = window;
	e->used = 1;
	e->ref = 1;
	uint32_t *head = &t->heads[hash & (t->nbuckets - 1)];
	e->next = *head;
	*head = i;
	t->live++;
	return i;
}

/* Counters: the entry for bucket `b` holds cur for bucket c.bucket and
 * prev for the one before. Moving it to a later bucket shifts or clears. */
static void counter_advance(struct entry *e, uint64_t b)
{
	if (b == e->u.c.bucket)
		return;
	if (b == e->u.c.bucket + 1) {
		e->u.c.prev = e->u.c.cur;
	} else {
		e->u.c.prev = 0;
	}
	e->u.c.cur = 0;
	e->u.c.bucket = b;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int mem_count(struct memstate *m, state_op *op, uint64_t now)
{
	struct table *t = &m->counters;
	uint32_t w = op->window_ms;
	uint64_t b = window_bucket(now, w);
	uint64_t elapsed = now - b * w;
	uint64_t hash = key_hash(m, op->key, w);
	uint32_t i = table_find(t, hash, op->key, w);
	/* Dead once both buckets are out of the window. Judged by bucket
	 * numbers, not by `expires`, which saturates at the end of time. */
	if (i != NIL && b > t->e[i].u.c.bucket && b - t->e[i].u.c.bucket >= 2) {
		table_remove(t, i);
		i = NIL;
	}
	if (op->kind == STATE_OP_COUNT_GET) {
		op->count = 0;
		if (i == NIL)
			return STATE_OK;
		struct entry *e = &t->e[i];
		e->ref = 1;
		if (b < e->u.c.bucket) /* a caller with an older clock: as of the entry's bucket start */
			op->count = window_sat_add(e->u.c.cur, e->u.c.prev);
		else if (b == e->u.c.bucket)
			op->count = window_estimate(e->u.c.cur, e->u.c.prev, elapsed, w);
		else if (b == e->u.c.bucket + 1)
			op->count = window_estimate(0, e->u.c.cur, elapsed, w);
		return STATE_OK;
	}
	if (i == NIL) {
		i = table_insert(t, hash, op->key, w, now, 0);
		if (i == NIL)
			return STATE_ENOMEM;
		t->e[i].u.c.bucket = b;
	}
	struct entry *e = &t->e[i];
	e->ref = 1;
	if (b < e->u.c.bucket && e->u.c.bucket - b == 1) {
		/* Slightly late event (another worker's older `now`): it
		 * belongs to the previous bucket. */
		e->u.c.prev = sat32((uint64_t)e->u.c.prev + op->n);
		op->count = window_sat_add(e->u.c.cur, e->u.c.prev);
		return STATE_OK;
	}
	if (b < e->u.c.bucket) {
		/* Older than both buckets: outside any window we still hold. */
		op->count = window_sat_add(e->u.c.cur, e->u.c.prev);
		return STATE_OK;
	}
	counter_advance(e, b);
	e->u.c.cur = sat32((uint64_t)e->u.c.cur + op->n);
	/* For the CLOCK hand: dead at the start of bucket b + 2. */
	e->expires = window_sat_add(b * w, 2 * (uint64_t)w);
	op->count = window_estimate(e->u.c.cur, e->u.c.prev, elapsed, w);
	return STATE_OK;
}

static int mem_ban(struct memstate *m, state_op *op, uint64_t now)
{
	struct table *t = &m->bans;
	uint64_t hash = key_hash(m, op->key, 0);
	uint32_t i = table_find(t, hash, op->key, 0);
	if (i != NIL && t->e[i].expires <= now) {
		table_remove(t, i);
		i = NIL;
	}
	if (op->kind == STATE_OP_BAN_GET) {
		if (i == NIL) {
			op->ttl_left_ms = 0;
			state_op_set_reason(op, NULL, 0);
			return STATE_ENOENT;
		}
		struct entry *e = &t->e[i];
		e->ref = 1;
		op->ttl_left_ms = sat32(e->expires - now);
		state_op_set_reason(op, e->u.b.reason, e->u.b.rlen);
		return STATE_OK;
	}
	if (i == NIL) {
		i = table_insert(t, hash, op->key, 0, now, 0);
		if (i == NIL)
			return STATE_ENOMEM;
	}
	struct entry *e = &t->e[i];
	e->ref = 1;
	e->expires = window_sat_add(now, op->ttl_ms);
	size_t rlen = op->reason_in.len > STATE_REASON_MAX ? STATE_REASON_MAX : op->reason_in.len;
	if (rlen)
		memcpy(e->u.b.reason, op->reason_in.p, rlen);
	e->u.b.rlen = (uint8_t)rlen;
	return STATE_OK;
}

/* Distinct sets: the entry's key is followed by the bitmap of bucket
 * d.bucket (cur) and the one of the bucket before (prev). */
static uint8_t *distinct_bits(struct entry *e)
{
	return (uint8_t *)e->key + e->klen;
}

static void distinct_advance(struct entry *e, uint64_t b)
{
	uint8_t *cur = distinct_bits(e), *prev = cur + DISTINCT_BYTES;
	if (b == e->u.d.bucket)
		return;
	if (b == e->u.d.bucket + 1)
		memcpy(prev, cur, DISTINCT_BYTES);
	else
		memset(prev, 0, DISTINCT_BYTES);
	memset(cur, 0, DISTINCT_BYTES);
	e->u.d.bucket = b;
}

static int mem_distinct(struct memstate *m, state_op *op, uint64_t now)
{
	struct table *t = &m->distinct;
	uint32_t w = op->window_ms;
	uint64_t b = window_bucket(now, w);
	uint64_t hash = key_hash(m, op->key, w);
	uint32_t i = table_find(t, hash, op->key, w);
	if (i == NIL) {
		i = table_insert(t, hash, op->key, w, now, 2 * DISTINCT_BYTES);
		if (i == NIL)
			return STATE_ENOMEM;
		t->e[i].u.d.bucket = b;
	}
	struct entry *e = &t->e[i];
	e->ref = 1;
	uint8_t *cur = distinct_bits(e), *prev = cur + DISTINCT_BYTES;
	uint32_t bit = distinct_bit(op->member);
	if (b < e->u.d.bucket) {
		/* Another worker's older `now`: one bucket late, the member
		 * belongs to prev; older still, outside both bitmaps, it is
		 * not recorded. Either way, report what the set holds. */
		if (e->u.d.bucket - b == 1)
			distinct_set(prev, bit);
	} else {
		/* Two or more buckets on, advance clears both bitmaps, so a
		 * dead entry needs no removal first. */
		distinct_advance(e, b);
		distinct_set(cur, bit);
		/* For the CLOCK hand: dead at the start of bucket b + 2. */
		e->expires = window_sat_add(b * w, 2 * (uint64_t)w);
	}
	op->count = distinct_estimate(cur, DISTINCT_BYTES, prev, DISTINCT_BYTES);
	return STATE_OK;
}

static int mem_batch(state *s, state_op *ops, size_t n, uint64_t now_ms)
{
	struct memstate *m = (struct memstate *)s;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < n; i++) {
		state_op *op = &ops[i];
		op->rc = state_op_check(op);
		if (op->rc != STATE_OK)
			continue;
		if (op->kind == STATE_OP_COUNT_ADD || op->kind == STATE_OP_COUNT_GET)
			op->rc = mem_count(m, op, now_ms);
		else if (op->kind == STATE_OP_DISTINCT_ADD)
			op->rc = mem_distinct(m, op, now_ms);
		else
			op->rc = mem_ban(m, op, now_ms);
	}
	m->ops += n;
	pthread_mutex_unlock(&m->mu);
	return STATE_OK;
}

static int mem_ban_del(state *s, sk_slice key)
{
	struct memstate *m = (struct memstate *)s;
	pthread_mutex_lock(&m->mu);
	uint32_t i = table_find(&m->bans, key_hash(m, key, 0), key, 0);
	if (i != NIL)
		table_remove(&m->bans, i);
	m->ops++;
	pthread_mutex_unlock(&m->mu);
	/* An expired ban that was still in the table counts as lifted: the
	 * caller cannot tell the two apart anyway. */
	return i != NIL ? STATE_OK : STATE_ENOENT;
}

static long mem_ban_list(state *s, uint64_t now_ms, state_ban_fn *fn, void *ctx, size_t max)
{
	struct memstate *m = (struct memstate *)s;
	long count = 0;
	pthread_mutex_lock(&m->mu);
	struct table *t = &m->bans;
	for (uint32_t i = 0; i < t->cap && (size_t)count < max; i++) {
		struct entry *e = &t->e[i];
		if (!e->used || e->expires <= now_ms)
			continue;
		fn(ctx, sk_slice_make(e->key, e->klen), sat32(e->expires - now_ms),
		   sk_slice_make(e->u.b.reason, e->u.b.rlen));
		count++;
	}
	m->ops++;
	pthread_mutex_unlock(&m->mu);
	return count;
}

static int mem_health(state *s)
{
	(void)s;
	return STATE_OK;
}

static void mem_stats(state *s, state_stats *out)
{
	struct memstate *m = (struct memstate *)s;
	pthread_mutex_lock(&m->mu);
	out->ops = m->ops;
	out->keys = (uint64_t)m->counters.live + m->bans.live + m->distinct.live;
	out->evictions = m->counters.evictions + m->bans.evictions + m->distinct.evictions;
	pthread_mutex_unlock(&m->mu);
}

static void mem_free(state *s)
{
	struct memstate *m = (struct memstate *)s;
	table_destroy(&m->counters);
	table_destroy(&m->bans);
	table_destroy(&m->distinct);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct state_ops memory_ops = {
	.batch = mem_batch,
	.ban_del = mem_ban_del,
	.ban_list = mem_ban_list,
	.health = mem_health,
	.stats = mem_stats,
	.free = mem_free,
};

state *state_memory_new(size_t max_keys, const uint8_t hash_key[SIPHASH_KEY_LEN])
{
	if (max_keys < MEM_MIN_KEYS || max_keys > MEM_MAX_KEYS)
		return NULL;
	struct memstate *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->base.ops = &memory_ops;
	if (hash_key)
		memcpy(m->hkey, hash_key, SIPHASH_KEY_LEN);
	if (table_init(&m->counters, (uint32_t)max_keys) != STATE_OK ||
	    table_init(&m->bans, (uint32_t)max_keys) != STATE_OK ||
	    table_init(&m->distinct, (uint32_t)max_keys) != STATE_OK) {
		mem_free(&m->base);
		return NULL;
	}
	return &m->base;
}
