/* guard.c - cost of login protection and of the ban check per request.
 *
 *   guard [ITER]
 *
 * The state backend is made the way the proxy makes it: guard_open from
 * proxy settings (memory; or Redis wrapped in the in-process fallback),
 * and the ban check is the proxy's own guard_banned on a bare
 * proxy/worker/connection (src/proxy/guard.c, linked from
 * libsekisho-src.a), so nothing of the proxy is copied here.
 *
 * Per login attempt: login_plan_check + state_batch + login_decide (what
 * login_check in src/proxy/login.c runs before forwarding) for a failed
 * attempt, and the same plus login_plan_record + state_batch for a
 * successful one; round trips per attempt from state_get_stats deltas.
 * Per ordinary request: guard_banned (a 2-op BAN_GET batch: the address
 * and its /24), and with Redis the per-worker cache of 1 s (100, 500 and
 * 100k clients; and off: state.ban_cache 0). One client in 100 is banned.
 * Baselines from the same run: SipHash-1-3 of an "ip:" key and one bare
 * state_count_add (memory); a PING round trip on a plain hiredis
 * connection (Redis). Each figure is the median of 5 repetitions on one
 * backend warmed up by a sixth, as a running proxy's is. Sources are drawn from 2^24 addresses (10.0.0.0/8) and
 * users from 50 000 names, so the tables are not cache-hot.
 * Pin it yourself: taskset -c 1 build/release/bench/guard.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/proxy/guard.h"
#include "bench_util.h"
#include "sekisho/login.h"
#include "sekisho/siphash.h"
#include "sekisho/state.h"

#define REPEAT 5
#define USERS 50000
#define BAN_POOL 100000 /* clients of the ban check (cold) */
/* Clients of the ban check with the cache: the worker cache is 1024
 * sets of 4 ways, so 100 and 500 clients both fit; 100k do not. */
#define HOT_POOL 100
#define WARM_POOL 500
#define NAME_W 24       /* bytes per user name in user_names */

static volatile uint64_t sink;

/* Source number i (0..2^24-1) as 10.x.y.z, stored v4-mapped like the
 * proxy's accepted addresses. */
static sk_addr src_addr(uint32_t i)
{
	sk_addr a;
	memset(&a, 0, sizeof(a));
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = 10;
	a.b[13] = (uint8_t)(i >> 16);
	a.b[14] = (uint8_t)(i >> 8);
	a.b[15] = (uint8_t)i;
	a.v4 = true;
	return a;
}

/* Attempt i spread over the whole address pool (Knuth's multiplier). */
static uint32_t src_of(uint32_t i)
{
	return (uint32_t)(i * 2654435761u) & 0xffffff;
}

/* ---- the proxy as far as guard.c needs it ---- */

typedef struct bench_px {
	proxy px;
	worker w;
	conn c;
} bench_px;

/* A backend made by guard_open: memory (port 0) or Redis at
 * 127.0.0.1:port with a prefix of its own (`fig`), in the fallback wrapper. */
static bench_px *px_open(uint16_t port, int fig, unsigned ban_cache_ms)
{
	bench_px *b = calloc(1, sizeof(*b));
	proxy_settings *s = calloc(1, sizeof(*s));
	if (!b || !s)
		exit(1);
	s->state_max_keys = 100000; /* the state.max_keys default */
	if (port) {
		s->redis_enabled = true;
		snprintf(s->redis_host, sizeof(s->redis_host), "127.0.0.1");
		s->redis_port = port;
		snprintf(s->redis_prefix, sizeof(s->redis_prefix), "benchguard%d:", fig);
		s->redis_timeout_ms = 1000;
	}
	char err[256];
	if (guard_open(&b->px, s, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench/guard: guard_open: %s\n", err);
		exit(1);
	}
	free(s);
	b->px.ban_cache_ms = ban_cache_ms;
	b->px.workers = &b->w;
	b->px.nworkers = 1;
	b->w.px = &b->px;
	if (guard_worker_init(&b->w) != 0)
		exit(1);
	b->c.w = &b->w;
	return b;
}

static void px_close(bench_px *b)
{
	guard_worker_free(&b->w);
	guard_close(&b->px);
	free(b);
}

/* ---- login attempts ---- */

typedef struct login_result {
	double ns;             /* median per attempt */
	double rt;             /* round trips per attempt (all repetitions) */
	uint64_t actions[4];   /* login_action counts (all repetitions) */
	uint64_t bans;         /* bans and locks the decisions asked for (not set here) */
	uint64_t wave;         /* decisions taken during a declared stuffing wave */
	uint64_t op_errors;    /* ops whose rc was neither 0 nor ENOENT */
	int distinct_rc;       /* rc of the check batch's DISTINCT_ADD ops (first non-zero seen) */
	uint64_t fallback_ops; /* ops the fallback served locally (Redis down) */
	double evictions;      /* memory: entries evicted per attempt (the table is full) */
} login_result;

static const char *user_names; /* USERS names of NAME_W bytes, made before the clock */

/* Attempts of 50k users from 2^24 sources, 1 ms apart (so a run stays in
 * one 10-minute window and few sources pass a threshold). `success` adds
 * the record batch of a successful login. */
static void login_bench(uint16_t port, uint32_t iter, bool success, login_result *res)
{
	memset(res, 0, sizeof(*res));
	login_policy pol;
	login_policy_default(&pol);
	login_attempt *la = malloc(sizeof(*la));
	if (!la)
		exit(1);
	double v[REPEAT];
	bench_px *b = px_open(port, success ? 1 : 2, 0);
	state *s = b->px.state;
	/* Repetition -1 warms the backend up (its table pages, Redis's
	 * memory) and is not counted: a proxy's backend lives long. Each
	 * repetition is 8 days after the last, so no window, lock or known
	 * source carries over; the same attempts start from empty counts. */
	for (int r = -1; r < REPEAT; r++) {
		state_stats a0, a1;
		state_get_stats(s, &a0);
		uint64_t t_ms = 1700000000000ull + (uint64_t)(r + 1) * 8 * 24 * 3600 * 1000;
		login_result w;
		memset(&w, 0, sizeof(w));
		login_result *acc = r < 0 ? &w : res;
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			sk_addr src = src_addr(src_of(i));
			const char *u = user_names + (size_t)((i * 40503u) % USERS) * NAME_W;
			login_decision d;
			login_plan_check(la, &pol, &src, sk_slice_make(u, strlen(u)));
			state_batch(s, la->ops, la->nops, t_ms + i);
			login_decide(la, &pol, &d);
			acc->actions[d.action]++;
			acc->bans += d.nbans;
			acc->wave += d.wave;
			for (size_t j = 0; j < la->nops; j++) {
				int rc = la->ops[j].rc;
				if (rc != STATE_OK && rc != STATE_ENOENT) {
					acc->op_errors++;
					if (la->ops[j].kind == STATE_OP_DISTINCT_ADD && !acc->distinct_rc)
						acc->distinct_rc = rc;
				}
			}
			if (success) {
				login_plan_record(la, &pol, true);
				state_batch(s, la->ops, la->nops, t_ms + i);
			}
			sink += d.delay_ms;
		}
		double ns = (bench_now_ns() - t0) / iter;
		if (r < 0)
			continue;
		v[r] = ns;
		state_get_stats(s, &a1);
		res->rt += (double)(a1.round_trips - a0.round_trips);
		res->fallback_ops += a1.fallback_ops - a0.fallback_ops;
		res->evictions += (double)(a1.evictions - a0.evictions);
	}
	px_close(b);
	free(la);
	res->rt /= (double)iter * REPEAT;
	res->evictions /= (double)iter * REPEAT;
	res->ns = bench_median(v, REPEAT);
}

/* ---- the ban check of every request ---- */

typedef struct ban_result {
	double ns;
	double rt;         /* round trips per request */
	double banned;     /* share of requests refused */
	uint64_t fallback_ops;
} ban_result;

/* guard_banned for `iter` requests from `pool` clients, one in 100 of
 * them banned (clients 99, 199, ...: their address, by state_ban_set as
 * a ban from another proxy arrives; a pool of 1 is one unbanned client,
 * every request a cache hit). ban_cache_ms as state.ban_cache (Redis only). */
static void ban_bench(uint16_t port, uint32_t iter, uint32_t pool, unsigned ban_cache_ms, ban_result *res)
{
	memset(res, 0, sizeof(*res));
	double v[REPEAT];
	uint64_t refused = 0;
	static int fig = 100; /* a Redis prefix per figure */
	bench_px *b = px_open(port, fig++, ban_cache_ms);
	state *s = b->px.state;
	uint64_t now = guard_now_ms();
	for (uint32_t j = 99; j < pool; j += 100) {
		char k[GUARD_KEY_MAX];
		sk_addr a = src_addr(src_of(j));
		guard_key_ip(&a, k);
		if (state_ban_set(s, sk_slice_make(k, strlen(k)), 3600000, SK_LIT("bench"), now) != STATE_OK)
			exit(1);
	}
	/* Repetition -1 warms up (table pages, the worker cache). */
	for (int r = -1; r < REPEAT; r++) {
		state_stats a0, a1;
		state_get_stats(s, &a0);
		uint64_t n = 0;
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			guard_ban gb;
			/* Clients in turn over a shuffled order, so consecutive
			 * requests are from different clients; each repetition
			 * goes on where the last stopped. */
			uint64_t k = (uint64_t)(r + 1) * iter + i;
			b->c.client = src_addr(src_of((uint32_t)((k * 7919u) % pool)));
			n += guard_banned(&b->c, &gb);
		}
		double ns = (bench_now_ns() - t0) / iter;
		if (r < 0)
			continue;
		v[r] = ns;
		refused += n;
		state_get_stats(s, &a1);
		res->rt += (double)(a1.round_trips - a0.round_trips);
		res->fallback_ops += a1.fallback_ops - a0.fallback_ops;
	}
	px_close(b);
	res->rt /= (double)iter * REPEAT;
	res->banned = (double)refused / ((double)iter * REPEAT);
	res->ns = bench_median(v, REPEAT);
}

/* ---- baselines ---- */

static double siphash_key(uint32_t iter)
{
	static const uint8_t key[SIPHASH_KEY_LEN];
	double v[REPEAT];
	for (int r = 0; r < REPEAT; r++) {
		char k[GUARD_KEY_MAX];
		double t = 0;
		for (uint32_t i = 0; i < iter; i += 1000) {
			/* keys made outside the clock, 1000 at a time */
			static char ks[1000][GUARD_KEY_MAX];
			static size_t kl[1000];
			for (uint32_t j = 0; j < 1000; j++) {
				sk_addr a = src_addr(src_of(i + j));
				guard_key_ip(&a, k);
				kl[j] = strlen(k);
				memcpy(ks[j], k, kl[j] + 1);
			}
			double t0 = bench_now_ns();
			for (uint32_t j = 0; j < 1000; j++)
				sink += siphash13(key, ks[j], kl[j]);
			t += bench_now_ns() - t0;
		}
		v[r] = t / iter;
	}
	return bench_median(v, REPEAT);
}

/* One state_count_add of a key made outside the clock, on the memory
 * backend the proxy makes (100k keys, keys drawn from 50k). */
static double bare_count_add(uint32_t iter)
{
	double v[REPEAT];
	char (*ks)[24] = malloc(sizeof(*ks) * USERS);
	if (!ks)
		exit(1);
	for (uint32_t j = 0; j < USERS; j++)
		snprintf(ks[j], sizeof(ks[j]), "ip:10.%u.%u.%u", j >> 16 & 255, j >> 8 & 255, j & 255);
	bench_px *b = px_open(0, 0, 0);
	for (int r = -1; r < REPEAT; r++) {
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			uint64_t c;
			const char *k = ks[(i * 40503u) % USERS];
			state_count_add(b->px.state, sk_slice_make(k, strlen(k)), 1, 600000, 1700000000000ull + i, &c);
			sink += c;
		}
		if (r >= 0)
			v[r] = (bench_now_ns() - t0) / iter;
	}
	px_close(b);
	free(ks);
	return bench_median(v, REPEAT);
}

/* ---- output ---- */

/* Say whether DISTINCT_ADD works on this backend: a single op, and what
 * the login check batches' two distinct-set ops returned. */
static void distinct_report(uint16_t port, const login_result *lr)
{
	bench_px *b = px_open(port, 30, 0);
	uint64_t c = 0;
	int rc = state_distinct_add(b->px.state, SK_LIT("ip:10.0.0.1"), SK_LIT("user:alice"), 600000,
				    1700000000000ull, &c);
	px_close(b);
	if (rc == STATE_OK && !lr->distinct_rc)
		printf("  DISTINCT_ADD: works (single op count %llu; the check batch's 2 distinct ops all ok)\n",
		       (unsigned long long)c);
	else
		printf("  DISTINCT_ADD: FAILS: single op \"%s\", in the check batch \"%s\"; the login figures "
		       "above are without working distinct sets\n",
		       state_strerror(rc), state_strerror(lr->distinct_rc));
}

static void print_login(const char *what, const login_result *lr, double base, const char *unit, double div,
			const char *bname)
{
	printf("  %-34s %8.2f %s  (%5.1fx %s), %.2f round trips", what, lr->ns / div, unit, lr->ns / base, bname,
	       lr->rt);
	if (lr->evictions > 0)
		printf(", %.1f evictions", lr->evictions);
	if (lr->op_errors)
		printf(", %llu op errors", (unsigned long long)lr->op_errors);
	if (lr->fallback_ops)
		printf(", %llu ops served by the fallback", (unsigned long long)lr->fallback_ops);
	printf("\n");
}

static void print_actions(const login_result *lr)
{
	uint64_t n = lr->actions[0] + lr->actions[1] + lr->actions[2] + lr->actions[3];
	printf("    decisions: %.1f%% pass, %.1f%% delay, %.1f%% locked, %.1f%% banned, %.1f%% in a stuffing "
	       "wave; %llu bans/locks asked (not set)\n",
	       100.0 * (double)lr->actions[LOGIN_PASS] / (double)n, 100.0 * (double)lr->actions[LOGIN_DELAY] / (double)n,
	       100.0 * (double)lr->actions[LOGIN_LOCKED] / (double)n,
	       100.0 * (double)lr->actions[LOGIN_BANNED] / (double)n, 100.0 * (double)lr->wave / (double)n,
	       (unsigned long long)lr->bans);
}

/* The failed and the successful login figures of one backend, in µs. */
static void print_logins(const login_result *failed, const login_result *success, size_t check_ops,
			 size_t record_ops, double base, const char *bname)
{
	char what[64];
	snprintf(what, sizeof(what), "login, failed (check: %zu ops)", check_ops);
	print_login(what, failed, base, "us", 1000, bname);
	print_actions(failed);
	snprintf(what, sizeof(what), "login, success (+ record: %zu ops)", record_ops);
	print_login(what, success, base, "us", 1000, bname);
}

static void print_ban(const char *what, const ban_result *br, double base, const char *unit, double div,
		      const char *bname)
{
	printf("  %-34s %8.2f %s  (%5.1fx %s), %.3f round trips, %.1f%% refused", what, br->ns / div, unit,
	       br->ns / base, bname, br->rt, 100 * br->banned);
	if (br->fallback_ops)
		printf(", %llu ops served by the fallback", (unsigned long long)br->fallback_ops);
	printf("\n");
}

int main(int argc, char **argv)
{
	uint32_t iter = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 200000;
	if (iter < 1000)
		iter = 1000;
	signal(SIGPIPE, SIG_IGN);

	char *names = malloc((size_t)USERS * NAME_W);
	if (!names)
		return 1;
	for (uint32_t j = 0; j < USERS; j++)
		snprintf(names + (size_t)j * NAME_W, NAME_W, "user%u@shop.jp", j);
	user_names = names;

	login_policy pol;
	login_policy_default(&pol);
	login_attempt la;
	sk_addr a0 = src_addr(1);
	login_plan_check(&la, &pol, &a0, SK_LIT("alice"));
	size_t check_ops = la.nops;
	login_plan_record(&la, &pol, true);
	size_t record_ops = la.nops;

	printf("memory backend (guard_open, state.max_keys 100000; %u attempts/requests per figure, median of %d)\n",
	       iter, REPEAT);
	double h = siphash_key(iter);
	double ca = bare_count_add(iter);
	login_result lf, ls;
	login_bench(0, iter, false, &lf);
	login_bench(0, iter, true, &ls);
	ban_result bm;
	ban_bench(0, iter, BAN_POOL, 0, &bm);
	printf("  siphash13 of an ip: key (baseline)  %8.1f ns\n", h);
	printf("  bare count_add                      %8.1f ns  (%5.1fx siphash)\n", ca, ca / h);
	print_logins(&lf, &ls, check_ops, record_ops, h, "siphash");
	print_ban("ban check (2 BAN_GET), 100k clients", &bm, h, "ns", 1, "siphash");
	distinct_report(0, &lf);

	bench_redis srv;
	int started = bench_redis_start(&srv);
	if (started < 0)
		return 1;
	if (started > 0) {
		printf("redis backend: skipped (redis-server not found or did not start)\n");
		free(names);
		return 0;
	}
	uint16_t port = srv.port;
	uint32_t riter = iter / 20 < 2000 ? 2000 : iter / 20;
	printf("redis backend (redis-server on 127.0.0.1:%u, through the fallback wrapper as in the proxy; %u per "
	       "figure)\n",
	       (unsigned)port, riter);
	double ping = bench_ping_ns(port, riter, REPEAT);
	if (ping <= 0) {
		printf("  cannot talk to redis-server\n");
	} else {
		login_result rf, rs;
		login_bench(port, riter, false, &rf);
		login_bench(port, riter, true, &rs);
		ban_result off, cold, warm, hot, one;
		ban_bench(port, riter, BAN_POOL, 0, &off);
		ban_bench(port, riter, BAN_POOL, 1000, &cold);
		ban_bench(port, iter, WARM_POOL, 1000, &warm);
		ban_bench(port, iter, HOT_POOL, 1000, &hot);
		ban_bench(port, iter, 1, 1000, &one);
		printf("  PING round trip (baseline)          %8.2f us\n", ping / 1000);
		print_logins(&rf, &rs, check_ops, record_ops, ping, "PING");
		print_ban("ban check, cache off", &off, ping, "us", 1000, "PING");
		print_ban("ban check, cache 1s, 100k clients", &cold, ping, "us", 1000, "PING");
		print_ban("ban check, cache 1s, 500 clients", &warm, ping, "us", 1000, "PING");
		print_ban("ban check, cache 1s, 100 clients", &hot, ping, "ns", 1, "PING");
		print_ban("ban check, cache hit (1 client)", &one, ping, "ns", 1, "PING");
		distinct_report(port, &rf);
	}
	bench_redis_stop(&srv);
	free(names);
	return 0;
}
