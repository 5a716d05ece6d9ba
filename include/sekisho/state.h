/* state.h - counters and bans behind one small interface.
 *
 * Login protection counts failures in sliding windows (per address, per
 * account, per address+account, per /24 or /64, globally) and bans sources
 * for a while. Those counters and bans live in a `state` backend:
 *
 *   state_memory_new   in-process (the default): a bounded hash table with
 *                      TTL expiry and CLOCK eviction; lib/state/memory.c
 *   state_redis_new    Redis through hiredis, so several proxies share
 *                      counters and bans; src/state/redis.c (does I/O)
 *   state_fallback_new a wrapper that serves from a local backend while the
 *                      primary (Redis) is down and says so (flag, counter,
 *                      callback); lib/state/state.c
 *
 * Every backend is thread-safe: the proxy's workers share one instance.
 *
 * Keys are arbitrary bytes (IP addresses, normalised usernames, NUL, CR,
 * LF and spaces included) of 1..STATE_KEY_MAX bytes; a longer key is
 * refused with STATE_EINVAL (the caller hashes or truncates long usernames
 * itself, so it decides what collides). Counter keys and ban keys are two
 * separate namespaces, and a counter key is told apart by its window too:
 * ("ip:1.2.3.4", 60000) and ("ip:1.2.3.4", 3600000) are two counters.
 *
 * Sliding windows use the two-bucket approximation: time is cut into fixed
 * buckets of window_ms; the count at `now` is the current bucket plus the
 * previous bucket weighted by the part of it still inside the window
 * ending at `now`, rounded up (window_estimate). It needs two integers per
 * key, is exact when events are spread evenly, and never forgets an event
 * before it is a full window old.
 *
 * Time: every call takes `now_ms` from the caller, milliseconds on a clock
 * all sharers agree on (wall-clock ms since the epoch for Redis shared by
 * several proxies). lib/ reads no clocks.
 *
 * Return codes: 0 (STATE_OK) or one of the negative STATE_E* below.
 */
#ifndef SEKISHO_STATE_H
#define SEKISHO_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/siphash.h"
#include "sekisho/slice.h"

enum {
	STATE_OK = 0,
	/* No such ban (state_ban_get / STATE_OP_BAN_GET / state_ban_del).
	 * Not an error: the key is simply not banned. */
	STATE_ENOENT = -1,
	/* The backend cannot answer now: Redis refused, timed out, broke the
	 * connection or is in its reconnect backoff. Nothing was stored. The
	 * call returned within the configured timeout. */
	STATE_EUNAVAILABLE = -2,
	/* A bad argument: empty key or key over STATE_KEY_MAX, window_ms 0 or
	 * over STATE_WINDOW_MAX_MS, ttl_ms 0, unknown op kind. */
	STATE_EINVAL = -3,
	/* Out of memory (malloc failed); nothing was stored. */
	STATE_ENOMEM = -4,
};

/* Longest key in bytes. Usernames past 256 bytes are not real; an
 * address+account key is a 16-byte address plus the username. */
#define STATE_KEY_MAX 512
/* Longest ban reason kept; longer reasons are cut to this length. */
#define STATE_REASON_MAX 63
/* Longest window: a week. Twice it still fits in 32 bits (bucket TTLs). */
#define STATE_WINDOW_MAX_MS (7u * 24 * 3600 * 1000)

typedef struct state state;

/* Static text for a return code ("ok", "no such ban", ...). */
const char *state_strerror(int rc);

/* ---- single operations ---- */

/* Add `n` to the sliding-window counter (key, window_ms) at `now_ms` and
 * return in *count the count in the window after the add. n may be 0
 * (then it is a read that also refreshes the key's lifetime). Counts
 * saturate instead of wrapping. */
int state_count_add(state *s, sk_slice key, uint32_t n, uint32_t window_ms, uint64_t now_ms,
		    uint64_t *count);
/* The count in the window ending at `now_ms`; 0 for an unknown key. */
int state_count_get(state *s, sk_slice key, uint32_t window_ms, uint64_t now_ms, uint64_t *count);

/* Ban `key` for `ttl_ms` from `now_ms` with a short `reason` (bytes,
 * cut to STATE_REASON_MAX). Setting an existing ban replaces it. */
int state_ban_set(state *s, sk_slice key, uint32_t ttl_ms, sk_slice reason, uint64_t now_ms);
/* 0 if `key` is banned at `now_ms`: *ttl_left_ms (if not NULL) gets the
 * remaining time and `reason` (if reason_cap > 0) the reason, cut to
 * reason_cap - 1 bytes and NUL-terminated. STATE_ENOENT if not banned. */
int state_ban_get(state *s, sk_slice key, uint64_t now_ms, uint32_t *ttl_left_ms, char *reason,
		  size_t reason_cap);
/* Lift a ban. 0 if one was lifted, STATE_ENOENT if there was none. */
int state_ban_del(state *s, sk_slice key);
/* Call fn for each live ban, at most `max` of them, in no set order.
 * Returns the number of bans reported (>= 0) or a STATE_E* code. The
 * slices are valid only during the call; fn must not call into `s`. */
typedef void state_ban_fn(void *ctx, sk_slice key, uint32_t ttl_left_ms, sk_slice reason);
long state_ban_list(state *s, uint64_t now_ms, state_ban_fn *fn, void *ctx, size_t max);

/* Distinct members in a sliding window: "how many different accounts has
 * this address tried", "from how many addresses was this account tried".
 * Add `member` to the set (key, window_ms) and return in *count the
 * estimated number of distinct members in the window ending at `now_ms`.
 *
 * Linear counting (Whang, Vander-Zanden, Taylor 1990): each bucket of the
 * window is a bitmap of STATE_DISTINCT_BITS bits; a member sets the bit its
 * SipHash (fixed key, so every proxy sharing Redis picks the same bit)
 * selects; the estimate is -m ln(zero bits / m) over the OR of the current
 * and previous bucket, rounded to nearest. Within 2-3% up to a few hundred
 * members; saturates at STATE_DISTINCT_MAX. A member already in the window
 * never raises the count, so one user retrying one account stays at 1.
 * Small counts are exact up to about 30 members unless two members share
 * a bit (1 in 1024 for each pair: 10 members read as 9 about 4% of the
 * time). Bitmaps cannot be weighted like the counters' previous bucket,
 * so a member counts from its add to the end of the bucket after its own:
 * at least one full window, less than two.
 * The distinct sets are a third namespace, apart from counters and bans
 * (lib/state/distinct.c holds the bit choice and the estimator). */
#define STATE_DISTINCT_BITS 1024
#define STATE_DISTINCT_MAX 5000
int state_distinct_add(state *s, sk_slice key, sk_slice member, uint32_t window_ms, uint64_t now_ms,
		       uint64_t *count);

/* ---- batches: what the proxy calls once per login attempt ----
 *
 * A batch runs several operations at the same `now_ms`. The Redis backend
 * sends them all in one pipeline: one round trip for the whole batch. A
 * typical login attempt is BAN_GET(ip), COUNT_ADD(ip), COUNT_ADD(user),
 * COUNT_ADD(ip+user), COUNT_ADD(/24), COUNT_ADD(global) -- one round trip
 * -- and, rarely, a BAN_SET after the thresholds are evaluated.
 *
 * The caller fills the inputs of each op (zero the struct first); the
 * backend fills the outputs. Operations are not atomic as a group (each
 * one is atomic by itself). */
enum state_op_kind {
	STATE_OP_COUNT_ADD = 1, /* in: key, n, window_ms   out: count */
	STATE_OP_COUNT_GET,     /* in: key, window_ms      out: count */
	STATE_OP_BAN_GET,       /* in: key                 out: rc 0/ENOENT, ttl_left_ms, reason */
	STATE_OP_BAN_SET,       /* in: key, ttl_ms, reason_in */
	STATE_OP_DISTINCT_ADD,  /* in: key, member, window_ms  out: count */
};

typedef struct state_op {
	/* inputs */
	int kind;         /* enum state_op_kind */
	sk_slice key;
	uint32_t n;         /* COUNT_ADD: amount to add */
	uint32_t window_ms; /* COUNT_*: window length */
	uint32_t ttl_ms;    /* BAN_SET: ban length */
	sk_slice reason_in; /* BAN_SET: reason */
	sk_slice member;    /* DISTINCT_ADD: the member to add (1..STATE_KEY_MAX bytes) */
	/* outputs */
	int rc;               /* STATE_OK, STATE_ENOENT (BAN_GET) or a STATE_E* error */
	uint64_t count;       /* COUNT_*: count in the window (after the add) */
	uint32_t ttl_left_ms; /* BAN_GET */
	uint8_t reason_len;   /* BAN_GET: bytes in reason */
	char reason[STATE_REASON_MAX + 1]; /* BAN_GET: reason, NUL-terminated */
} state_op;

/* Run `n` operations. Returns 0 when every op ran (each op's own rc may
 * still be STATE_ENOENT or STATE_EINVAL), or STATE_EUNAVAILABLE /
 * STATE_ENOMEM when the batch as a whole failed; then every op's rc says
 * so too. n == 0 is a no-op. */
int state_batch(state *s, state_op *ops, size_t n, uint64_t now_ms);

/* ---- health and numbers for metrics ---- */

typedef struct state_stats {
	uint64_t ops;          /* operations run (batch members count one each) */
	uint64_t round_trips;  /* Redis: request/response exchanges with the server */
	uint64_t unavailable;  /* calls that returned STATE_EUNAVAILABLE */
	uint64_t connects;     /* Redis: successful connects (the first included) */
	uint64_t keys;         /* memory: live counter + ban + distinct-set entries */
	uint64_t evictions;    /* memory: unexpired entries dropped because the table was full */
	uint64_t fallback_ops; /* fallback: operations served by the local backend */
	uint64_t outages;      /* fallback: times the primary went down */
	bool degraded;         /* fallback: the primary is down now */
} state_stats;

/* 0 if the backend can serve now, else STATE_EUNAVAILABLE. For Redis this
 * may reconnect (when the backoff allows) and sends a PING. The fallback
 * wrapper reports its primary's health. */
int state_health(state *s);
/* Fill *out with the backend's counters (zeros for what it lacks). */
void state_get_stats(state *s, state_stats *out);
/* Free the backend (and, for the fallback wrapper, both wrapped ones).
 * NULL is allowed. No call may be running on it. */
void state_free(state *s);

/* ---- backends ---- */

/* In-process backend with room for `max_keys` counters and, separately,
 * `max_keys` bans and `max_keys` distinct sets (>= 16 each). When a table
 * is full the CLOCK hand first drops expired entries, then the least
 * recently used ones, so an attacker with many addresses cannot grow
 * memory past the bound (about max_keys * (3 * 120 bytes + 256 bytes of
 * bitmaps + key bytes) with all three tables full; a table's entries and
 * a set's bitmaps take memory only once used). `hash_key` is a
 * secret SipHash key so chains cannot be made long on purpose (fill it
 * from getrandom); NULL means an all-zero key, for tests and fuzzing
 * only. Returns NULL on a bad size or no memory. */
state *state_memory_new(size_t max_keys, const uint8_t hash_key[SIPHASH_KEY_LEN]);

/* Redis backend (src/state/redis.c). Connects to host:port with
 * `timeout_ms` for connect and for every reply; keys are named
 * "<prefix>c:<window>:{<hex key>}:<bucket>" (counters),
 * "<prefix>d:<window>:{<hex key>}:<bucket>" (distinct-set bitmaps) and
 * "<prefix>b:{<hex key>}" (bans) so no key byte can reach another name. `prefix` is up to 64 bytes of
 * [A-Za-z0-9:_.-] (NULL means "sekisho:"). A failed connect at creation
 * is not fatal: the backend starts in backoff and connects on a later
 * call. Returns NULL with a message in errbuf only on bad arguments or
 * no memory. */
state *state_redis_new(const char *host, uint16_t port, const char *prefix, unsigned timeout_ms,
		       char *errbuf, size_t errlen);

/* Serve from `primary` and, whenever it returns STATE_EUNAVAILABLE, from
 * `local` instead (same call, no retry of the primary). Bans set through
 * the wrapper are written to `local` too, and a ban lookup that the
 * primary answers "not banned" also asks `local`, so bans made during
 * an outage hold. `on_change` (may be NULL) is called with degraded =
 * true when the primary goes down and false when it answers again,
 * from the calling thread, with an internal lock held: it must not call
 * into the wrapper (emit an event, bump a metric). Takes ownership of
 * both backends, also on failure (NULL). */
state *state_fallback_new(state *primary, state *local, void (*on_change)(void *ctx, bool degraded),
			  void *ctx);

/* ---- for backend implementations only ----
 * A backend embeds `state` as its first member and fills in the ops. The
 * single operations above are one-op batches. */
struct state_ops {
	int (*batch)(state *s, state_op *ops, size_t n, uint64_t now_ms);
	int (*ban_del)(state *s, sk_slice key);
	long (*ban_list)(state *s, uint64_t now_ms, state_ban_fn *fn, void *ctx, size_t max);
	int (*health)(state *s);
	void (*stats)(state *s, state_stats *out);
	void (*free)(state *s);
};

struct state {
	const struct state_ops *ops;
};

/* Check one op's inputs; STATE_OK or STATE_EINVAL. */
int state_op_check(const state_op *op);
/* Copy a reason into op->reason (cut to STATE_REASON_MAX, NUL-terminated). */
void state_op_set_reason(state_op *op, const void *p, size_t len);

/* ---- window math (lib/state/window.c), pure ---- */

/* The bucket that `now_ms` falls in; it started at bucket * window_ms. */
static inline uint64_t window_bucket(uint64_t now_ms, uint32_t window_ms)
{
	return now_ms / window_ms;
}

/* Count in the window of `window_ms` ending `elapsed_ms` into the current
 * bucket: cur + ceil(prev * (window_ms - elapsed_ms) / window_ms),
 * saturating at UINT64_MAX (prev is taken as at most UINT32_MAX, which
 * keeps the product in 64 bits). elapsed_ms >= window_ms counts prev as 0. */
uint64_t window_estimate(uint64_t cur, uint64_t prev, uint64_t elapsed_ms, uint32_t window_ms);

/* Add with saturation (counts, deadlines). */
static inline uint64_t window_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

#endif
