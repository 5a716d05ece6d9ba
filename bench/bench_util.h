/* bench_util.h - what the benches share: a monotonic clock in ns, the
 * median of repetitions, the reader of request files, and a private redis-server on 127.0.0.1 (a free
 * port, a temp dir, no persistence) with a PING baseline.
 *
 * Every .c file in bench/ is its own program (see the Makefile), so these are
 * static inline: a bench that does not call one pays nothing and does not
 * trip -Wunused-function. */
#ifndef SEKISHO_BENCH_UTIL_H
#define SEKISHO_BENCH_UTIL_H

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of v[0..n-1] (n > 0); sorts v in place. */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_d);
	return v[n / 2];
}

/* The next request of a FILE.bin as tools/corpus_raw.py writes them (a
 * 4-byte little-endian length, then the bytes): a malloc'd copy with a NUL
 * after it and its length in *len, or NULL at the end of the file. A
 * truncated record or a failed allocation ends the program: a bench must
 * not quietly measure half a file. */
static inline char *bench_read_request(FILE *f, size_t *len)
{
	uint8_t lenb[4];
	if (fread(lenb, 1, 4, f) != 4)
		return NULL;
	size_t n = (size_t)lenb[0] | (size_t)lenb[1] << 8 | (size_t)lenb[2] << 16 | (size_t)lenb[3] << 24;
	char *buf = malloc(n + 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		fprintf(stderr, "bench: truncated request file or out of memory\n");
		exit(2);
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* ---- a private redis-server ---- */

/* A port on 127.0.0.1 that was free a moment ago; exits on failure. */
static inline uint16_t bench_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		exit(1);
	close(fd);
	return ntohs(a.sin_port);
}

/* A hiredis connection to 127.0.0.1:port that has answered one PING, or
 * NULL. The caller frees it with redisFree. */
static inline redisContext *bench_ping_conn(uint16_t port)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	redisReply *r = redisCommand(c, "PING");
	if (!r) {
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

typedef struct bench_redis {
	pid_t pid;
	uint16_t port;
	char dir[32];
} bench_redis;

/* Start redis-server on a free port with a fresh temp dir and wait (up to
 * 5 s) until it answers PING. Returns 0 when it runs (stop it with
 * bench_redis_stop); 1 when it is not installed or did not start (the dir
 * is removed again; the bench skips its Redis part); -1 when no temp dir
 * could be made (perror said why). */
static inline int bench_redis_start(bench_redis *r)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/sekisho-bench-redis-XXXXXX");
	r->pid = -1;
	if (!mkdtemp(r->dir)) {
		perror("mkdtemp");
		return -1;
	}
	r->port = bench_free_port();
	char p[8];
	snprintf(p, sizeof(p), "%u", (unsigned)r->port);
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
		       "--appendonly", "no", "--dir", r->dir, "--daemonize", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 250 && pid > 0; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		redisContext *c = bench_ping_conn(r->port);
		if (c) {
			redisFree(c);
			r->pid = pid;
			return 0;
		}
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	rmdir(r->dir);
	return 1;
}

/* Stop the server bench_redis_start started and remove its dir. */
static inline void bench_redis_stop(bench_redis *r)
{
	kill(r->pid, SIGTERM);
	waitpid(r->pid, NULL, 0);
	char path[64];
	snprintf(path, sizeof(path), "%s/dump.rdb", r->dir);
	unlink(path);
	rmdir(r->dir);
}

/* ns per bare PING round trip on a connection of its own: the median of
 * `repeat` runs of `iter` PINGs (repeat <= 16); 0 when no connection. */
static inline double bench_ping_ns(uint16_t port, uint32_t iter, int repeat)
{
	redisContext *pc = bench_ping_conn(port);
	if (!pc)
		return 0;
	double v[16];
	if (repeat > 16)
		repeat = 16;
	for (int r = 0; r < repeat; r++) {
		double t0 = bench_now_ns();
		for (uint32_t i = 0; i < iter; i++) {
			redisReply *rep = redisCommand(pc, "PING");
			if (rep)
				freeReplyObject(rep);
		}
		v[r] = (bench_now_ns() - t0) / iter;
	}
	redisFree(pc);
	return bench_median(v, (size_t)repeat);
}

#endif
