/* test_state_redis.c - the Redis state backend against a real redis-server
 * that this test starts on 127.0.0.1 (a free port, a temp dir, no
 * persistence), stops, freezes and restarts. redis-server missing is a
 * failure: `make test` installs it (tools/packages.txt). */
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/state/distinct.h"
#include "harness.h"
#include "sekisho/state.h"

#define TIMEOUT_MS 200
#define W 1000u

static char g_dir[64];
static uint16_t g_port;
static pid_t g_pid = -1;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		abort();
	close(fd);
	return ntohs(a.sin_port);
}

/* A raw hiredis connection for inspecting the server, or NULL. */
static redisContext *raw(void)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", g_port, tv);
	if (c && c->err) {
		redisFree(c);
		return NULL;
	}
	if (c)
		redisSetTimeout(c, tv);
	return c;
}

/* Start redis-server on g_port and wait until it answers PING. */
static int redis_start(void)
{
	char port[8], log[128];
	snprintf(port, sizeof(port), "%u", (unsigned)g_port);
	snprintf(log, sizeof(log), "%s/redis.log", g_dir);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
		}
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
		       "--appendonly", "no", "--dir", g_dir, "--logfile", log, "--daemonize", "no", (char *)NULL);
		_exit(127);
	}
	g_pid = pid;
	for (int i = 0; i < 250; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			g_pid = -1;
			fprintf(stderr, "test_state_redis: redis-server %s (exit %d); install it with "
					"tools/install-deps (package redis-server)\n",
				WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "not found" : "failed to start",
				WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			return -1;
		}
		redisContext *c = raw();
		if (c) {
			redisReply *r = redisCommand(c, "PING");
			int ok = r && r->type == REDIS_REPLY_STATUS;
			if (r)
				freeReplyObject(r);
			redisFree(c);
			if (ok)
				return 0;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "test_state_redis: redis-server did not answer on port %u\n", (unsigned)g_port);
	return -1;
}

static void redis_kill(void)
{
	if (g_pid > 0) {
		kill(g_pid, SIGKILL);
		waitpid(g_pid, NULL, 0);
		g_pid = -1;
	}
}

static state *rnew(const char *prefix)
{
	char err[128];
	state *s = state_redis_new("127.0.0.1", g_port, prefix, TIMEOUT_MS, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "state_redis_new: %s\n", err);
		abort();
	}
	return s;
}

static uint64_t add(state *s, const char *k, uint32_t n, uint32_t w, uint64_t now)
{
	uint64_t c = 12345;
	CHECK_INT(state_count_add(s, sk_slice_make(k, strlen(k)), n, w, now, &c), STATE_OK);
	return c;
}

static uint64_t get(state *s, const char *k, uint32_t w, uint64_t now)
{
	uint64_t c = 12345;
	CHECK_INT(state_count_get(s, sk_slice_make(k, strlen(k)), w, now, &c), STATE_OK);
	return c;
}

static uint64_t dadd(state *s, const char *k, const char *member, uint32_t w, uint64_t now)
{
	uint64_t c = 12345;
	CHECK_INT(state_distinct_add(s, sk_slice_make(k, strlen(k)), sk_slice_make(member, strlen(member)), w, now,
				     &c),
		  STATE_OK);
	return c;
}

/* Calls of a command in INFO commandstats ("evalsha", "mget", ...). */
static long long cmd_calls(const char *cmd)
{
	redisContext *c = raw();
	if (!c)
		return -1;
	redisReply *r = redisCommand(c, "INFO commandstats");
	long long calls = 0;
	if (r && r->type == REDIS_REPLY_STRING) {
		char needle[64];
		snprintf(needle, sizeof(needle), "cmdstat_%s:calls=", cmd);
		const char *p = strstr(r->str, needle);
		if (p)
			calls = strtoll(p + strlen(needle), NULL, 10);
	}
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return calls;
}

static void raw_cmd(const char *cmd)
{
	redisContext *c = raw();
	if (!c)
		return;
	redisReply *r = redisCommand(c, cmd);
	if (r)
		freeReplyObject(r);
	redisFree(c);
}

/* ---- tests ---- */

static void test_window_boundaries(void)
{
	state *s = rnew("t1:");
	CHECK_INT(state_health(s), STATE_OK);
	CHECK_INT(add(s, "k", 1, W, 0), 1);
	CHECK_INT(add(s, "k", 1, W, 999), 2);
	CHECK_INT(get(s, "k", W, 1000), 2);
	CHECK_INT(add(s, "k", 3, W, 1250), 3 + 2);
	CHECK_INT(get(s, "k", W, 1500), 3 + 1);
	CHECK_INT(get(s, "k", W, 1999), 3 + 1);
	CHECK_INT(get(s, "k", W, 2000), 3);
	CHECK_INT(get(s, "k", W, 2999), 1);
	CHECK_INT(get(s, "k", W, 3000), 0);
	CHECK_INT(add(s, "k", 1, W, 3000), 1);
	CHECK_INT(add(s, "k", 0, W, 3000), 1);
	/* windows are separate counters */
	CHECK_INT(add(s, "k", 7, 60000, 3000), 7);
	CHECK_INT(get(s, "k", W, 3000), 1);
	CHECK_INT(get(s, "nope", W, 3000), 0);
	/* bucket keys expire two windows after their last add (Redis clock) */
	redisContext *c = raw();
	CHECK(c != NULL);
	if (c) {
		redisReply *r = redisCommand(c, "PTTL t1:c:1000:{6b}:3");
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= 2000);
		if (r)
			freeReplyObject(r);
		redisFree(c);
	}
	state_free(s);
}

/* The same sequence against Redis and memory gives the same counts. */
static void test_same_as_memory(void)
{
	state *r = rnew("t2:");
	state *m = state_memory_new(1024, NULL);
	uint64_t now = 5000;
	uint32_t x = 12345;
	int diff = 0;
	for (int i = 0; i < 2000; i++) {
		x = x * 1103515245u + 12345u;
		now += (x >> 16) % 97;
		char k[16];
		snprintf(k, sizeof(k), "k%u", (x >> 8) % 5);
		uint32_t w = (x & 1) ? 500 : 1000;
		uint64_t a = 0, b = 0;
		if ((x >> 4) % 3) {
			state_count_add(r, sk_slice_make(k, strlen(k)), (x >> 20) % 4, w, now, &a);
			state_count_add(m, sk_slice_make(k, strlen(k)), (x >> 20) % 4, w, now, &b);
		} else {
			state_count_get(r, sk_slice_make(k, strlen(k)), w, now, &a);
			state_count_get(m, sk_slice_make(k, strlen(k)), w, now, &b);
		}
		if (a != b && diff++ < 5)
			fprintf(stderr, "  step %d %s w=%u now=%llu: redis %llu memory %llu\n", i, k, w,
				(unsigned long long)now, (unsigned long long)a, (unsigned long long)b);
	}
	CHECK_INT(diff, 0);
	state_free(r);
	state_free(m);
}

static void test_bans(void)
{
	state *s = rnew("t3:");
	uint32_t left = 0;
	char why[80];
	CHECK_INT(state_ban_set(s, SK_LIT("1.2.3.4"), 300, SK_LIT("brute\0force"), 0), STATE_OK);
	CHECK_INT(state_ban_get(s, SK_LIT("1.2.3.4"), 0, &left, why, sizeof(why)), STATE_OK);
	CHECK(left > 0 && left <= 300);
	CHECK(memcmp(why, "brute\0force", 12) == 0);
	CHECK_INT(state_ban_get(s, SK_LIT("1.2.3.5"), 0, &left, why, sizeof(why)), STATE_ENOENT);
	/* the TTL runs on Redis's clock */
	sleep_ms(400);
	CHECK_INT(state_ban_get(s, SK_LIT("1.2.3.4"), 0, &left, why, sizeof(why)), STATE_ENOENT);
	/* long reasons are cut */
	char longr[300];
	memset(longr, 'r', sizeof(longr));
	CHECK_INT(state_ban_set(s, SK_LIT("x"), 10000, sk_slice_make(longr, sizeof(longr)), 0), STATE_OK);
	state_op op = { .kind = STATE_OP_BAN_GET, .key = SK_LIT("x") };
	CHECK_INT(state_batch(s, &op, 1, 0), STATE_OK);
	CHECK_INT(op.rc, STATE_OK);
	CHECK_INT(op.reason_len, STATE_REASON_MAX);
	CHECK_INT(state_ban_del(s, SK_LIT("x")), STATE_OK);
	CHECK_INT(state_ban_del(s, SK_LIT("x")), STATE_ENOENT);
	CHECK_INT(state_ban_set(s, SK_LIT("x"), 0, SK_LIT("r"), 0), STATE_EINVAL);
	state_free(s);
}

struct listed {
	int n, saw_odd;
};

static void list_fn(void *ctx, sk_slice key, uint32_t ttl, sk_slice reason)
{
	struct listed *l = ctx;
	l->n++;
	if (key.len == 4 && memcmp(key.p, "a\0\r\n", 4) == 0 && reason.len == 3 && ttl > 0)
		l->saw_odd = 1;
}

static void test_ban_list(void)
{
	state *s = rnew("t4:");
	state *other = rnew("t4x:");
	CHECK_INT(state_ban_set(other, SK_LIT("elsewhere"), 100000, SK_LIT("o"), 0), STATE_OK);
	for (int i = 0; i < 1200; i++) {
		char k[16];
		snprintf(k, sizeof(k), "b%d", i);
		CHECK_INT(state_ban_set(s, sk_slice_make(k, strlen(k)), 100000, SK_LIT("r"), 0), STATE_OK);
	}
	CHECK_INT(state_ban_set(s, sk_slice_make("a\0\r\n", 4), 100000, SK_LIT("odd"), 0), STATE_OK);
	/* a counter under the same prefix is not a ban */
	add(s, "b1", 1, W, 0);
	struct listed l = { 0 };
	CHECK_INT(state_ban_list(s, 0, list_fn, &l, 10000), 1201);
	CHECK_INT(l.n, 1201);
	CHECK(l.saw_odd);
	memset(&l, 0, sizeof(l));
	CHECK_INT(state_ban_list(s, 0, list_fn, &l, 7), 7);
	CHECK_INT(l.n, 7);
	state_free(s);
	state_free(other);
}

/* Two instances on one Redis, like two proxies. */
static void test_shared(void)
{
	state *a = rnew("t5:"), *b = rnew("t5:"), *iso = rnew("t5iso:");
	CHECK_INT(add(a, "user:alice", 1, 60000, 100), 1);
	CHECK_INT(add(b, "user:alice", 1, 60000, 101), 2);
	CHECK_INT(add(a, "user:alice", 1, 60000, 102), 3);
	CHECK_INT(get(b, "user:alice", 60000, 103), 3);
	CHECK_INT(get(iso, "user:alice", 60000, 103), 0);
	CHECK_INT(state_ban_set(a, SK_LIT("ip:5.6.7.8"), 60000, SK_LIT("stuffing"), 0), STATE_OK);
	char why[16];
	CHECK_INT(state_ban_get(b, SK_LIT("ip:5.6.7.8"), 0, NULL, why, sizeof(why)), STATE_OK);
	CHECK(strcmp(why, "stuffing") == 0);
	CHECK_INT(state_ban_get(iso, SK_LIT("ip:5.6.7.8"), 0, NULL, NULL, 0), STATE_ENOENT);
	CHECK_INT(state_ban_del(b, SK_LIT("ip:5.6.7.8")), STATE_OK);
	CHECK_INT(state_ban_get(a, SK_LIT("ip:5.6.7.8"), 0, NULL, NULL, 0), STATE_ENOENT);
	state_free(a);
	state_free(b);
	state_free(iso);
}

/* Keys with NUL, CR, LF, spaces, braces, glob characters, and the longest
 * allowed: each its own counter and ban, and the names in Redis are hex. */
static void test_odd_keys(void)
{
	state *s = rnew("t6:");
	static const char *const keys[] = { "a\0b", "a\0c", "a b", "a\r\nb", "\0", "\r\n", "*", "a}:1",
					    "a", "}{", "b:{61}", "\xff\xfe" };
	static const size_t lens[] = { 3, 3, 3, 4, 1, 2, 1, 4, 1, 2, 6, 2 };
	size_t nk = sizeof(lens) / sizeof(lens[0]);
	for (size_t i = 0; i < nk; i++) {
		uint64_t c = 0;
		CHECK_INT(state_count_add(s, sk_slice_make(keys[i], lens[i]), (uint32_t)i + 1, W, 0, &c), 0);
		CHECK_INT(c, i + 1);
		CHECK_INT(state_ban_set(s, sk_slice_make(keys[i], lens[i]), 100000, SK_LIT("odd"), 0), 0);
	}
	for (size_t i = 0; i < nk; i++) {
		uint64_t c = 0;
		CHECK_INT(state_count_get(s, sk_slice_make(keys[i], lens[i]), W, 1, &c), 0);
		CHECK_INT(c, i + 1);
	}
	CHECK_INT(state_ban_del(s, SK_LIT("a")), STATE_OK);
	CHECK_INT(state_ban_get(s, SK_LIT("b:{61}"), 0, NULL, NULL, 0), STATE_OK);
	char big[STATE_KEY_MAX + 1];
	memset(big, 'u', sizeof(big));
	uint64_t c = 0;
	CHECK_INT(state_count_add(s, sk_slice_make(big, STATE_KEY_MAX), 5, W, 0, &c), STATE_OK);
	CHECK_INT(c, 5);
	CHECK_INT(state_count_add(s, sk_slice_make(big, STATE_KEY_MAX + 1), 5, W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_ban_set(s, sk_slice_make(big, STATE_KEY_MAX), 1000, SK_LIT("long"), 0), STATE_OK);
	CHECK_INT(state_ban_get(s, sk_slice_make(big, STATE_KEY_MAX), 0, NULL, NULL, 0), STATE_OK);
	/* every name under the prefix is prefix + [bc0-9:{}a-f] */
	redisContext *rc = raw();
	CHECK(rc != NULL);
	if (rc) {
		redisReply *r = redisCommand(rc, "KEYS t6:*");
		CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 * nk - 1 + 2);
		for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *e = r->element[i];
			int ok = e->len > 3;
			for (size_t j = 3; ok && j < e->len; j++)
				ok = strchr("0123456789abcdef:{}", e->str[j]) != NULL && e->str[j] != '\0';
			if (!ok)
				harness_fail("raw key name", e->str, e->len);
		}
		if (r)
			freeReplyObject(r);
		redisFree(rc);
	}
	state_free(s);
}

/* A login attempt's batch is one round trip: the server sees the
 * commands, and our counter of exchanges moves by one. */
static void test_batch_one_round_trip(void)
{
	state *s = rnew("t7:");
	CHECK_INT(state_ban_set(s, SK_LIT("ip:9.9.9.9"), 100000, SK_LIT("ban"), 0), STATE_OK);
	state_op ops[7];
	memset(ops, 0, sizeof(ops));
	ops[0] = (state_op){ .kind = STATE_OP_BAN_GET, .key = SK_LIT("ip:9.9.9.9") };
	ops[1] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("ip:9.9.9.9"), .n = 1, .window_ms = 60000 };
	ops[2] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("user:bob"), .n = 1, .window_ms = 60000 };
	ops[3] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("ipuser:9.9.9.9 bob"), .n = 1, .window_ms = 60000 };
	ops[4] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("net:9.9.9.0/24"), .n = 1, .window_ms = 60000 };
	ops[5] = (state_op){ .kind = STATE_OP_COUNT_GET, .key = SK_LIT("global:fail"), .window_ms = 60000 };
	ops[6] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT(""), .n = 1, .window_ms = 60000 };
	state_stats before, after;
	state_get_stats(s, &before);
	raw_cmd("CONFIG RESETSTAT");
	CHECK_INT(state_batch(s, ops, 7, 1000), STATE_OK);
	state_get_stats(s, &after);
	CHECK_INT(after.round_trips - before.round_trips, 1);
	CHECK_INT(after.connects - before.connects, 0);
	CHECK_INT(cmd_calls("evalsha"), 5);
	CHECK_INT(cmd_calls("mget"), 1);
	CHECK_INT(ops[0].rc, STATE_OK);
	CHECK(strcmp(ops[0].reason, "ban") == 0);
	for (int i = 1; i <= 4; i++) {
		CHECK_INT(ops[i].rc, STATE_OK);
		CHECK_INT(ops[i].count, 1);
	}
	CHECK_INT(ops[5].rc, STATE_OK);
	CHECK_INT(ops[5].count, 0);
	CHECK_INT(ops[6].rc, STATE_EINVAL);
	/* a batch of only invalid ops does not touch the network */
	CHECK_INT(state_batch(s, &ops[6], 1, 1000), STATE_OK);
	state_get_stats(s, &before);
	CHECK_INT(before.round_trips, after.round_trips);

	/* login protection's batch with distinct sets: still one exchange */
	memset(ops, 0, sizeof(ops));
	ops[0] = (state_op){ .kind = STATE_OP_BAN_GET, .key = SK_LIT("ip:9.9.9.9") };
	ops[1] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("ip:9.9.9.9"), .n = 1, .window_ms = 60000 };
	ops[2] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("ip:9.9.9.9"), .member = SK_LIT("bob"),
			     .window_ms = 60000 };
	ops[3] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("user:bob"), .member = SK_LIT("9.9.9.9"),
			     .window_ms = 60000 };
	ops[4] = (state_op){ .kind = STATE_OP_COUNT_ADD, .key = SK_LIT("user:bob"), .n = 1, .window_ms = 60000 };
	ops[5] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("ip:9.9.9.9"), .member = SK_LIT(""),
			     .window_ms = 60000 };
	ops[6] = (state_op){ .kind = STATE_OP_DISTINCT_ADD, .key = SK_LIT("ip:9.9.9.9"), .member = SK_LIT("alice"),
			     .window_ms = 60000 };
	state_get_stats(s, &before);
	raw_cmd("CONFIG RESETSTAT");
	CHECK_INT(state_batch(s, ops, 7, 1001), STATE_OK);
	state_get_stats(s, &after);
	CHECK_INT(after.round_trips - before.round_trips, 1);
	CHECK_INT(after.connects - before.connects, 0);
	CHECK_INT(cmd_calls("evalsha"), 6);
	CHECK_INT(cmd_calls("setbit"), 3);
	CHECK_INT(ops[0].rc, STATE_OK);
	CHECK_INT(ops[1].count, 2);
	CHECK_INT(ops[2].rc, STATE_OK);
	CHECK_INT(ops[2].count, 1);
	CHECK_INT(ops[3].count, 1);
	CHECK_INT(ops[4].count, 2);
	CHECK_INT(ops[5].rc, STATE_EINVAL);
	CHECK_INT(ops[6].count, 2);
	state_free(s);
}

/* ---- distinct sets ---- */

static void test_distinct_small(void)
{
	state *s = rnew("d1:");
	for (int i = 0; i < 100; i++)
		CHECK_INT(dadd(s, "ip:1.2.3.4", "alice", 60000, 1000 + (uint64_t)i), 1);
	CHECK(distinct_bit(SK_LIT("alice")) != distinct_bit(SK_LIT("bob")));
	CHECK(distinct_bit(SK_LIT("carol")) != distinct_bit(SK_LIT("bob")));
	CHECK(distinct_bit(SK_LIT("alice")) != distinct_bit(SK_LIT("carol")));
	CHECK_INT(dadd(s, "ip:1.2.3.4", "bob", 60000, 2000), 2);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "carol", 60000, 2001), 3);
	CHECK_INT(dadd(s, "ip:1.2.3.4", "bob", 60000, 2002), 3);
	/* the bitmap in Redis: the member's bit set, at most 128 bytes, and
	 * a TTL of two windows */
	redisContext *c = raw();
	CHECK(c != NULL);
	if (c) {
		redisReply *r = redisCommand(c, "GETBIT d1:d:60000:{69703a312e322e332e34}:0 %u",
					     distinct_bit(SK_LIT("bob")));
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
		if (r)
			freeReplyObject(r);
		r = redisCommand(c, "BITCOUNT d1:d:60000:{69703a312e322e332e34}:0");
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 3);
		if (r)
			freeReplyObject(r);
		r = redisCommand(c, "STRLEN d1:d:60000:{69703a312e322e332e34}:0");
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= DISTINCT_BYTES);
		if (r)
			freeReplyObject(r);
		r = redisCommand(c, "PTTL d1:d:60000:{69703a312e322e332e34}:0");
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 60000 && r->integer <= 120000);
		if (r)
			freeReplyObject(r);
		redisFree(c);
	}
	state_free(s);
}

static void test_distinct_accuracy(void)
{
	static const unsigned sizes[] = { 200, 500 };
	for (size_t k = 0; k < 2; k++) {
		state *s = rnew("d2:");
		unsigned n = sizes[k];
		uint64_t c = 0;
		char key[16];
		snprintf(key, sizeof(key), "ip:%u", n);
		for (unsigned i = 0; i < n; i++) {
			char m[24];
			snprintf(m, sizeof(m), "user%u@example.com", i * 7919u);
			c = dadd(s, key, m, 600000, 1000 + i);
		}
		double err = ((double)c - n) / n;
		fprintf(stderr, "  redis: distinct %u members: estimate %llu (%+.1f%%)\n", n, (unsigned long long)c,
			100 * err);
		CHECK(err > -0.05 && err < 0.05);
		CHECK_INT(dadd(s, key, "user0@example.com", 600000, 5000), c);
		state_free(s);
	}
}

/* A member counts until the bucket after its own ends (as in memory). */
static void test_distinct_window(void)
{
	state *s = rnew("d3:");
	CHECK_INT(dadd(s, "k", "alice", W, 100), 1);
	CHECK_INT(dadd(s, "k", "bob", W, 999), 2);
	CHECK_INT(dadd(s, "k", "carol", W, 1000), 3);
	CHECK_INT(dadd(s, "k", "carol", W, 1999), 3);
	CHECK_INT(dadd(s, "k", "dave", W, 2000), 2);
	CHECK_INT(dadd(s, "k", "alice", W, 2500), 3);
	CHECK_INT(dadd(s, "k", "erin", W, 1999), 4); /* late: bucket 1, prev of bucket 2 */
	CHECK_INT(dadd(s, "k", "erin", W, 3000), 3);
	CHECK_INT(dadd(s, "k", "zed", W, 100000), 1);
	/* windows are separate sets; a set is not a counter */
	CHECK_INT(dadd(s, "k", "a", 60000, 100000), 1);
	CHECK_INT(get(s, "k", W, 100000), 0);
	state_free(s);
}

/* The same random sequence against Redis and memory gives the same
 * counts: one bit choice and one estimator, bitmaps byte for byte alike. */
static void test_distinct_same_as_memory(void)
{
	state *r = rnew("d4:");
	state *m = state_memory_new(1024, NULL);
	uint64_t now = 5000;
	uint32_t x = 777;
	int diff = 0;
	for (int i = 0; i < 1500; i++) {
		x = x * 1103515245u + 12345u;
		now += (x >> 16) % 37;
		char k[16], mb[16];
		snprintf(k, sizeof(k), "k%u", (x >> 8) % 3);
		snprintf(mb, sizeof(mb), "m%u", (x >> 12) % 300);
		uint32_t w = (x & 1) ? 500 : 1000;
		uint64_t a = 0, b = 0;
		state_distinct_add(r, sk_slice_make(k, strlen(k)), sk_slice_make(mb, strlen(mb)), w, now, &a);
		state_distinct_add(m, sk_slice_make(k, strlen(k)), sk_slice_make(mb, strlen(mb)), w, now, &b);
		if (a != b && diff++ < 5)
			fprintf(stderr, "  step %d %s w=%u now=%llu: redis %llu memory %llu\n", i, k, w,
				(unsigned long long)now, (unsigned long long)a, (unsigned long long)b);
	}
	CHECK_INT(diff, 0);
	state_free(r);
	state_free(m);
}

/* Two proxies on one Redis see one set; keys with odd bytes keep to
 * their own names; a prefix isolates. */
static void test_distinct_shared(void)
{
	state *a = rnew("d5:"), *b = rnew("d5:"), *iso = rnew("d5iso:");
	CHECK_INT(dadd(a, "user:alice", "1.1.1.1", 60000, 100), 1);
	CHECK_INT(dadd(b, "user:alice", "1.1.1.1", 60000, 101), 1);
	CHECK_INT(dadd(b, "user:alice", "2.2.2.2", 60000, 102), 2);
	CHECK_INT(dadd(a, "user:alice", "2.2.2.2", 60000, 103), 2);
	CHECK_INT(dadd(iso, "user:alice", "2.2.2.2", 60000, 103), 1);
	static const char *const keys[] = { "a\0b", "a\r\nb", "*", "a}:1", "}{", "d:{61}" };
	static const size_t lens[] = { 3, 4, 1, 4, 2, 6 };
	for (size_t i = 0; i < 6; i++) {
		uint64_t c = 0;
		for (size_t j = 0; j <= i; j++) {
			char mb[4] = { 'm', (char)('0' + j), 0, 0 };
			CHECK_INT(state_distinct_add(a, sk_slice_make(keys[i], lens[i]), sk_slice_make(mb, 3), W, 0, &c),
				  STATE_OK);
		}
		CHECK_INT(c, i + 1);
	}
	redisContext *rc = raw();
	if (rc) {
		redisReply *r = redisCommand(rc, "KEYS d5:*");
		CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 + 6);
		for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *e = r->element[i];
			int ok = e->len > 5 && memcmp(e->str, "d5:d:", 5) == 0;
			for (size_t j = 5; ok && j < e->len; j++)
				ok = strchr("0123456789abcdef:{}", e->str[j]) != NULL && e->str[j] != '\0';
			if (!ok)
				harness_fail("raw key name", e->str, e->len);
		}
		if (r)
			freeReplyObject(r);
		redisFree(rc);
	}
	state_free(a);
	state_free(b);
	state_free(iso);
}

static void test_distinct_args(void)
{
	state *s = rnew("d6:");
	char big[STATE_KEY_MAX + 1];
	memset(big, 'm', sizeof(big));
	state_stats before, after;
	state_get_stats(s, &before);
	uint64_t c = 7;
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), sk_slice_make(big, STATE_KEY_MAX + 1), W, 0, &c), STATE_EINVAL);
	CHECK_INT(c, 0);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT(""), W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, SK_LIT(""), SK_LIT("m"), W, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT("m"), 0, 0, &c), STATE_EINVAL);
	CHECK_INT(state_distinct_add(s, SK_LIT("k"), SK_LIT("m"), STATE_WINDOW_MAX_MS + 1, 0, &c), STATE_EINVAL);
	/* refused before the network */
	state_get_stats(s, &after);
	CHECK_INT(after.round_trips, before.round_trips);
	CHECK_INT(state_distinct_add(s, sk_slice_make(big, STATE_KEY_MAX), sk_slice_make(big, STATE_KEY_MAX),
				     STATE_WINDOW_MAX_MS, 0, &c),
		  STATE_OK);
	CHECK_INT(c, 1);
	/* a foreign value of another type under our name: the op fails as
	 * "unavailable" (the connection is reset), and nothing is invented */
	raw_cmd("RPUSH d6:d:1000:{6c6973}:0 x");
	CHECK_INT(state_distinct_add(s, SK_LIT("lis"), SK_LIT("m"), W, 0, &c), STATE_EUNAVAILABLE);
	CHECK_INT(c, 0);
	state_free(s);
}

static void *hammer(void *arg)
{
	state *s = arg;
	for (int i = 0; i < 1000; i++) {
		uint64_t c;
		if (state_count_add(s, SK_LIT("shared"), 1, 60000, 5, &c) != 0)
			harness_fail("threaded count_add", "", 0);
	}
	return NULL;
}

static void test_threads(void)
{
	state *s = rnew("t8:");
	pthread_t th[6];
	for (int i = 0; i < 6; i++)
		CHECK_INT(pthread_create(&th[i], NULL, hammer, s), 0);
	for (int i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(get(s, "shared", 60000, 5), 6000);
	state_stats st;
	state_get_stats(s, &st);
	CHECK(st.connects >= 1 && st.connects <= 4);
	state_free(s);
}

static int g_changes[16], g_nchanges;

static void on_change(void *ctx, bool degraded)
{
	(void)ctx;
	if (g_nchanges < 16)
		g_changes[g_nchanges++] = degraded;
}

/* Freeze Redis (timeout path), kill it (refused path), serve from local
 * through the fallback wrapper, restart it, and see the backend come back. */
static void test_outage(void)
{
	state *plain = rnew("t9:");
	state *fb = state_fallback_new(rnew("t9:"), state_memory_new(1024, NULL), on_change, NULL);
	CHECK(fb != NULL);
	CHECK_INT(add(fb, "c", 1, 60000, 0), 1);
	CHECK_INT(add(plain, "c", 1, 60000, 0), 2);
	CHECK_INT(state_ban_set(fb, SK_LIT("early"), 100000, SK_LIT("e"), 0), STATE_OK);

	/* 1. frozen: no reply, the call gives up after the timeout */
	kill(g_pid, SIGSTOP);
	uint64_t t0 = mono_ms();
	uint64_t c = 0;
	CHECK_INT(state_count_add(plain, SK_LIT("c"), 1, 60000, 1, &c), STATE_EUNAVAILABLE);
	uint64_t took = mono_ms() - t0;
	CHECK(took >= TIMEOUT_MS - 20 && took < 3 * TIMEOUT_MS);
	/* in backoff now: the next call fails at once */
	t0 = mono_ms();
	CHECK_INT(state_count_add(plain, SK_LIT("c"), 1, 60000, 1, &c), STATE_EUNAVAILABLE);
	CHECK(mono_ms() - t0 < 20);
	/* the wrapper's primary is frozen too: served locally, within the timeout */
	t0 = mono_ms();
	CHECK_INT(add(fb, "c", 1, 60000, 2), 1);
	CHECK(mono_ms() - t0 < 3 * TIMEOUT_MS);
	state_stats st;
	state_get_stats(fb, &st);
	CHECK(st.degraded);
	CHECK_INT(st.outages, 1);

	/* 2. killed: refused at once */
	kill(g_pid, SIGCONT);
	redis_kill();
	sleep_ms(300); /* let the backoffs pass so the next calls really connect */
	t0 = mono_ms();
	CHECK_INT(state_count_add(plain, SK_LIT("c"), 1, 60000, 3, &c), STATE_EUNAVAILABLE);
	CHECK(mono_ms() - t0 < TIMEOUT_MS);
	CHECK_INT(state_health(plain), STATE_EUNAVAILABLE);
	CHECK_INT(add(fb, "c", 1, 60000, 4), 2);
	CHECK_INT(state_ban_get(fb, SK_LIT("early"), 5, NULL, NULL, 0), STATE_OK);
	CHECK_INT(state_ban_set(fb, SK_LIT("during"), 100000, SK_LIT("d"), 5), STATE_OK);
	state_get_stats(fb, &st);
	CHECK(st.degraded);
	CHECK(st.fallback_ops >= 4);
	state_get_stats(plain, &st);
	CHECK(st.unavailable >= 3);

	/* 3. restarted (empty: no persistence): back after the backoff */
	CHECK_INT(redis_start(), 0);
	t0 = mono_ms();
	int up = 0;
	while (mono_ms() - t0 < 12000 && !up) {
		up = state_health(plain) == STATE_OK;
		if (!up)
			sleep_ms(50);
	}
	CHECK(up);
	fprintf(stderr, "  (reconnected %llu ms after the restart)\n", (unsigned long long)(mono_ms() - t0));
	CHECK_INT(add(plain, "c", 1, 60000, 6), 1);
	up = 0;
	t0 = mono_ms();
	while (mono_ms() - t0 < 12000 && !up) {
		uint64_t v = 0;
		int rc = state_count_add(fb, SK_LIT("c"), 1, 60000, 7, &v);
		state_get_stats(fb, &st);
		up = rc == STATE_OK && !st.degraded;
		if (up)
			CHECK_INT(v, 2);
		else
			sleep_ms(50);
	}
	CHECK(up);
	/* the outage ban holds (local), the early one too (write-through) */
	CHECK_INT(state_ban_get(fb, SK_LIT("during"), 8, NULL, NULL, 0), STATE_OK);
	CHECK_INT(state_ban_get(fb, SK_LIT("early"), 8, NULL, NULL, 0), STATE_OK);
	CHECK(g_nchanges >= 2);
	CHECK_INT(g_changes[0], 1);
	CHECK_INT(g_changes[g_nchanges - 1], 0);
	state_get_stats(plain, &st);
	CHECK(st.connects >= 2);
	state_free(plain);
	state_free(fb);
}

/* Redis killed: distinct sets served by the local backend through the
 * wrapper; Redis back: its sets again (empty after the restart). */
static void test_distinct_outage(void)
{
	state *fb = state_fallback_new(rnew("d7:"), state_memory_new(1024, NULL), NULL, NULL);
	CHECK(fb != NULL);
	CHECK_INT(dadd(fb, "ip:1.2.3.4", "alice", 60000, 0), 1);
	CHECK_INT(dadd(fb, "ip:1.2.3.4", "bob", 60000, 1), 2);
	redis_kill();
	uint64_t t0 = mono_ms();
	CHECK_INT(dadd(fb, "ip:1.2.3.4", "carol", 60000, 2), 1);
	CHECK_INT(dadd(fb, "ip:1.2.3.4", "alice", 60000, 3), 2);
	CHECK_INT(dadd(fb, "ip:1.2.3.4", "carol", 60000, 4), 2);
	CHECK(mono_ms() - t0 < 3 * TIMEOUT_MS);
	state_stats st;
	state_get_stats(fb, &st);
	CHECK(st.degraded);
	CHECK_INT(st.fallback_ops, 3);
	CHECK_INT(redis_start(), 0);
	int up = 0;
	t0 = mono_ms();
	while (mono_ms() - t0 < 12000 && !up) {
		uint64_t v = 0;
		int rc = state_distinct_add(fb, SK_LIT("ip:1.2.3.4"), SK_LIT("dave"), 60000, 5, &v);
		state_get_stats(fb, &st);
		up = rc == STATE_OK && !st.degraded;
		if (up)
			CHECK_INT(v, 1); /* Redis restarted empty: only dave */
		else
			sleep_ms(50);
	}
	CHECK(up);
	state_free(fb);
}

static void test_bad_args(void)
{
	char err[160];
	CHECK(state_redis_new("127.0.0.1", g_port, "bad*prefix", 100, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "prefix") != NULL);
	CHECK(state_redis_new("127.0.0.1", 0, NULL, 100, err, sizeof(err)) == NULL);
	CHECK(state_redis_new("127.0.0.1", g_port, NULL, 0, err, sizeof(err)) == NULL);
	char longp[80];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	CHECK(state_redis_new("127.0.0.1", g_port, longp, 100, err, sizeof(err)) == NULL);
	/* nobody listening: created, says so, and answers "unavailable" fast */
	uint64_t t0 = mono_ms();
	state *s = state_redis_new("127.0.0.1", free_port(), NULL, 100, err, sizeof(err));
	CHECK(s != NULL);
	CHECK(strstr(err, "cannot connect") != NULL);
	uint64_t c;
	CHECK_INT(state_count_add(s, SK_LIT("k"), 1, W, 0, &c), STATE_EUNAVAILABLE);
	CHECK_INT(state_ban_del(s, SK_LIT("k")), STATE_EUNAVAILABLE);
	CHECK(mono_ms() - t0 < 500);
	state_free(s);
	/* default prefix */
	s = rnew(NULL);
	add(s, "dflt", 1, W, 0);
	redisContext *rc = raw();
	if (rc) {
		redisReply *r = redisCommand(rc, "EXISTS sekisho:c:1000:{64666c74}:0");
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
		if (r)
			freeReplyObject(r);
		redisFree(rc);
	}
	state_free(s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(g_dir, sizeof(g_dir), "/tmp/sekisho-redis-XXXXXX");
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		return 1;
	}
	g_port = free_port();
	if (redis_start() != 0) {
		harness_case = "redis-server";
		harness_fail("cannot start redis-server", "", 0);
		harness_failed++;
		rmdir(g_dir);
		return harness_done("state_redis");
	}
	RUN(test_window_boundaries);
	RUN(test_same_as_memory);
	RUN(test_bans);
	RUN(test_ban_list);
	RUN(test_shared);
	RUN(test_odd_keys);
	RUN(test_batch_one_round_trip);
	RUN(test_threads);
	RUN(test_distinct_small);
	RUN(test_distinct_accuracy);
	RUN(test_distinct_window);
	RUN(test_distinct_same_as_memory);
	RUN(test_distinct_shared);
	RUN(test_distinct_args);
	RUN(test_distinct_outage);
	RUN(test_bad_args);
	RUN(test_outage);
	redis_kill();
	char path[128];
	snprintf(path, sizeof(path), "%s/redis.log", g_dir);
	unlink(path);
	rmdir(g_dir);
	return harness_done("state_redis");
}
