/* test_sink.c - event sinks (src/alert): files from several threads, JSON
 * escaping parsed back by python3, queue-full drops that never block,
 * webhook delivery to a real HTTP server on 127.0.0.1 (written here with
 * plain sockets), retries while it is down, flush on close, reopen. */

/* Unit tests link the src/ objects too (libsekisho-src.a); only the API in
 * sink.h is used. */
#include <pthread.h>
#include <stdatomic.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../src/alert/sink.h"

static char tmpdir[64];

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static char *path_in_tmp(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* Read a whole file into a malloc'd NUL-terminated buffer. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, r;
	char *p = malloc(cap + 1);
	while ((r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			p = realloc(p, (cap *= 2) + 1);
	}
	fclose(f);
	p[n] = '\0';
	*len = n;
	return p;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* ---- a tiny HTTP/1.1 server for the webhook ---- */

#define SRV_MAX 512

typedef struct server {
	int lfd;
	int port;
	pthread_t th;
	atomic_bool stop;
	int fail_first; /* answer 503 to this many requests first */
	bool silent;    /* accept nothing (connections wait in the backlog) */
	pthread_mutex_t mu;
	int requests;
	int nbodies;
	char *bodies[SRV_MAX];
	bool bad_request; /* a request that was not a JSON POST */
} server;

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

/* Wait until fd is readable or the server is told to stop. */
static bool wait_readable(server *sv, int fd)
{
	while (!atomic_load(&sv->stop)) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 20) > 0)
			return true;
	}
	return false;
}

static long content_length(const char *head)
{
	for (const char *p = head; *p; p++) {
		if ((p == head || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0)
			return strtol(p + 15, NULL, 10);
	}
	return -1;
}

/* Serve requests on one connection until EOF or stop. */
static void serve_conn(server *sv, int c)
{
	char buf[1 << 16];
	size_t n = 0;
	for (;;) {
		char *end = NULL;
		while (!(end = memmem(buf, n, "\r\n\r\n", 4))) {
			if (n == sizeof(buf) - 1 || !wait_readable(sv, c))
				return;
			ssize_t r = read(c, buf + n, sizeof(buf) - 1 - n);
			if (r <= 0)
				return;
			n += (size_t)r;
		}
		size_t hlen = (size_t)(end - buf) + 4;
		char head[8192];
		size_t hcopy = hlen < sizeof(head) ? hlen : sizeof(head) - 1;
		memcpy(head, buf, hcopy);
		head[hcopy] = '\0';
		long cl = content_length(head);
		if (cl < 0 || (size_t)cl > sizeof(buf) - 1 - hlen)
			return;
		while (n < hlen + (size_t)cl) {
			if (!wait_readable(sv, c))
				return;
			ssize_t r = read(c, buf + n, sizeof(buf) - 1 - n);
			if (r <= 0)
				return;
			n += (size_t)r;
		}
		pthread_mutex_lock(&sv->mu);
		int k = sv->requests++;
		bool fail = k < sv->fail_first;
		if (strncmp(head, "POST ", 5) != 0 || !strcasestr(head, "\r\nContent-Type: application/json\r\n"))
			sv->bad_request = true;
		if (!fail && sv->nbodies < SRV_MAX)
			sv->bodies[sv->nbodies++] = strndup(buf + hlen, (size_t)cl);
		pthread_mutex_unlock(&sv->mu);
		const char *resp = fail ? "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy"
					: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
		if (write(c, resp, strlen(resp)) < 0)
			return;
		size_t used = hlen + (size_t)cl;
		memmove(buf, buf + used, n - used);
		n -= used;
	}
}

static void *server_main(void *arg)
{
	server *sv = arg;
	while (!sv->silent && wait_readable(sv, sv->lfd)) {
		int c = accept4(sv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0) {
			serve_conn(sv, c);
			close(c);
		}
	}
	while (sv->silent && !atomic_load(&sv->stop))
		sleep_ms(10);
	return NULL;
}

/* Start on `port` (0: any free port). */
static bool server_start(server *sv, int port)
{
	sv->lfd = listen_on(port);
	if (sv->lfd < 0)
		return false;
	sv->port = bound_port(sv->lfd);
	atomic_store(&sv->stop, false);
	return pthread_create(&sv->th, NULL, server_main, sv) == 0;
}

static void server_stop(server *sv)
{
	atomic_store(&sv->stop, true);
	pthread_join(sv->th, NULL);
	close(sv->lfd);
}

static void server_init(server *sv)
{
	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->mu, NULL);
}

static void server_free(server *sv)
{
	for (int i = 0; i < sv->nbodies; i++)
		free(sv->bodies[i]);
	pthread_mutex_destroy(&sv->mu);
}

static int server_bodies(server *sv)
{
	pthread_mutex_lock(&sv->mu);
	int n = sv->nbodies;
	pthread_mutex_unlock(&sv->mu);
	return n;
}

/* Wait until the server holds `want` bodies, up to `ms`. */
static bool server_wait(server *sv, int want, unsigned ms)
{
	double end = now_ms() + ms;
	while (server_bodies(sv) < want) {
		if (now_ms() > end)
			return false;
		sleep_ms(5);
	}
	return true;
}

/* ---- tests ---- */

static void test_specs(void)
{
	char err[256];
	err[0] = '\0';
	CHECK(sink_open("https://127.0.0.1/x", 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "https") != NULL);
	CHECK(sink_open("events.jsonl", 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "unknown event sink") != NULL);
	CHECK(sink_open("", 0, err, sizeof(err)) == NULL);
	CHECK(sink_open("syslog:nope", 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "facility") != NULL);
	CHECK(sink_open("http://", 0, err, sizeof(err)) == NULL);
	CHECK(sink_open(tmpdir, 0, err, sizeof(err)) == NULL); /* a directory */
	/* O_NOFOLLOW: a symlink planted at the log path is refused. */
	char *target = path_in_tmp("target"), *link = path_in_tmp("link.jsonl");
	CHECK(symlink(target, link) == 0);
	CHECK(sink_open(link, 0, err, sizeof(err)) == NULL);
	CHECK(access(target, F_OK) != 0);
	/* The kinds. */
	sink *s = sink_open("stderr", 0, err, sizeof(err));
	CHECK(s && strcmp(sink_kind(s), "stderr") == 0);
	sink_close(s);
	s = sink_open("syslog:local0", 0, err, sizeof(err));
	CHECK(s && strcmp(sink_kind(s), "syslog") == 0);
	if (s) {
		CHECK(sink_emit(s, "{\"severity\":\"high\",\"test\":\"sekisho test_sink\"}", 45) == 0);
		sink_close(s);
	}
	sink_close(NULL);
}

typedef struct writer_arg {
	sink *s;
	int id, n, refused;
} writer_arg;

static void *emit_thread(void *arg)
{
	writer_arg *w = arg;
	char line[128];
	for (int i = 0; i < w->n; i++) {
		int len = snprintf(line, sizeof(line), "{\"t\":%d,\"i\":%d,\"pad\":\"%0*d\"}\n", w->id, i, i % 50, 0);
		w->refused += sink_emit(w->s, line, (size_t)len) != 0;
	}
	return NULL;
}

static void test_file_threads(void)
{
	enum { THREADS = 4, PER = 5000 };
	char err[256];
	char *path = path_in_tmp("threads.jsonl");
	sink *s = sink_open(path, THREADS * PER, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	pthread_t th[THREADS];
	writer_arg wa[THREADS];
	for (int t = 0; t < THREADS; t++) {
		wa[t] = (writer_arg){ s, t, PER, 0 };
		pthread_create(&th[t], NULL, emit_thread, &wa[t]);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	sink_stats stats;
	sink_close(s); /* flushes */
	size_t len;
	char *p = slurp(path, &len);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(count_lines(p, len), THREADS * PER);
	/* Whole lines, valid JSON, and each thread's lines in its order. */
	int next[THREADS] = { 0 };
	bool ok = true;
	for (char *line = p; line < p + len;) {
		char *nl = memchr(line, '\n', (size_t)(p + len - line));
		if (!nl || !event_json_valid(sk_slice_make(line, (size_t)(nl - line)))) {
			ok = false;
			break;
		}
		int t = -1, i = -1;
		char *q = strstr(line, "\"t\":");
		if (q)
			t = (int)strtol(q + 4, NULL, 10);
		q = strstr(line, "\"i\":");
		if (q)
			i = (int)strtol(q + 4, NULL, 10);
		if (t < 0 || t >= THREADS || i != next[t]) {
			ok = false;
			break;
		}
		next[t]++;
		line = nl + 1;
	}
	CHECK(ok);
	free(p);
	(void)stats;
}

static void test_close_flushes_and_stats(void)
{
	char err[256];
	char *path = path_in_tmp("flush.jsonl");
	sink *s = sink_open(path, 20000, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	int refused = 0;
	for (int i = 0; i < 10000; i++)
		refused += sink_emit(s, "{\"x\":1}", 7) != 0;
	sink_stats st;
	sink_get_stats(s, &st);
	CHECK_INT(st.queued, 10000 - refused);
	CHECK_INT(refused, 0);
	sink_close(s);
	size_t len;
	char *p = slurp(path, &len);
	CHECK(p && count_lines(p, len) == 10000 && len == 10000 * 8);
	free(p);
}

static void test_reopen(void)
{
	char err[256];
	char *path = path_in_tmp("rot.jsonl"), *old = path_in_tmp("rot.jsonl.1");
	sink *s = sink_open(path, 0, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(sink_emit(s, "{\"n\":1}\n", 8) == 0);
	struct stat st;
	double end = now_ms() + 2000;
	while ((stat(path, &st) != 0 || st.st_size < 8) && now_ms() < end)
		sleep_ms(2);
	CHECK(rename(path, old) == 0);
	sink_reopen(s);
	CHECK(sink_emit(s, "{\"n\":2}\n", 8) == 0);
	sink_close(s);
	size_t l1, l2;
	char *a = slurp(old, &l1), *b = slurp(path, &l2);
	CHECK(a && strcmp(a, "{\"n\":1}\n") == 0);
	CHECK(b && strcmp(b, "{\"n\":2}\n") == 0);
	free(a);
	free(b);
}

static void test_write_errors_counted(void)
{
	char err[256];
	sink *s = sink_open("/dev/full", 0, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	for (int i = 0; i < 5; i++)
		CHECK(sink_emit(s, "{}", 2) == 0);
	/* Reported once on stderr, counted, never fatal. */
	double end = now_ms() + 2000;
	sink_stats st = { 0 };
	while (now_ms() < end) {
		sink_get_stats(s, &st);
		if (st.failed == 5)
			break;
		sleep_ms(2);
	}
	CHECK_INT(st.failed, 5);
	CHECK_INT(st.written, 0);
	CHECK_INT(st.dropped, 0);
	sink_close(s);
}

/* Strings that must survive the trip through the encoder and a real JSON
 * parser: python3 decodes each line and compares the uri with the input
 * read as UTF-8 where valid and as one U+00XX per invalid byte. */
static void test_escaping_python(void)
{
	static const char *const payloads[] = {
		"plain",
		"quote\" backslash\\ slash/",
		"ctl \x01\x02\x1f\x7f \n\r\t\b\f",
		"<script>alert(1)</script>&amp;",
		"bad utf8 \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe6\x97",
		"ok utf8 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 \xe2\x80\xa8\xe2\x80\xa9",
		"O'Reilly; DROP TABLE users; --",
	};
	enum { N = sizeof(payloads) / sizeof(payloads[0]) };
	char err[256];
	char *path = path_in_tmp("esc.jsonl"), *inputs = path_in_tmp("esc.hex");
	sink *s = sink_open(path, 0, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	FILE *hex = fopen(inputs, "w");
	for (size_t i = 0; i < N; i++) {
		sk_event ev = { .part = "proxy", .kind = "detect", .severity = SK_SEV_LOW };
		ev.uri = sk_slice_make(payloads[i], strlen(payloads[i]));
		sk_event_field f[] = { SK_EVF_S("value", ev.uri) };
		ev.fields = f;
		ev.nfields = 1;
		clock_gettime(CLOCK_REALTIME, &ev.time);
		CHECK(sink_emit_event(s, &ev) == 0);
		for (const char *c = payloads[i]; *c; c++)
			fprintf(hex, "%02x", (unsigned char)*c);
		fputc('\n', hex);
	}
	fclose(hex);
	sink_close(s);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c '\n"
		 "import json, sys\n"
		 "def view(b):\n"
		 "    out, i = [], 0\n"
		 "    while i < len(b):\n"
		 "        for n in (1, 2, 3, 4):\n"
		 "            try:\n"
		 "                out.append(b[i:i + n].decode(\"utf-8\")); i += n; break\n"
		 "            except UnicodeDecodeError: pass\n"
		 "        else:\n"
		 "            out.append(chr(b[i])); i += 1\n"
		 "    return \"\".join(out)\n"
		 "lines = open(sys.argv[1], \"rb\").read().split(b\"\\n\")[:-1]\n"
		 "ins = [bytes.fromhex(h) for h in open(sys.argv[2]).read().split()]\n"
		 "ok = len(lines) == len(ins)\n"
		 "for l, b in zip(lines, ins):\n"
		 "    e = json.loads(l.decode(\"utf-8\"))\n"
		 "    ok = ok and e[\"uri\"] == view(b) and e[\"details\"][\"value\"] == view(b) and b\"<\" not in l\n"
		 "print(\"ok\" if ok else \"bad\")' %s %s",
		 path, inputs);
	FILE *py = popen(cmd, "r");
	char out[64] = "";
	CHECK(py != NULL);
	if (py) {
		if (!fgets(out, sizeof(out), py))
			out[0] = '\0';
		pclose(py);
	}
	CHECK(strcmp(out, "ok\n") == 0);
}

static void test_webhook_delivers(void)
{
	server sv;
	server_init(&sv);
	sv.fail_first = 2; /* two 503s first: retried, nothing lost */
	CHECK(server_start(&sv, 0));
	char url[128], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", sv.port);
	sink_opts o = { .queue_events = 64, .retry_first_ms = 10, .retry_max_ms = 50 };
	sink *s = sink_open_opts(url, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s) {
		server_stop(&sv);
		server_free(&sv);
		return;
	}
	for (int i = 0; i < 20; i++) {
		char id[16];
		int n = snprintf(id, sizeof(id), "r-%d", i);
		sk_event ev = { .part = "proxy", .kind = "block", .severity = SK_SEV_HIGH,
				.request_id = sk_slice_make(id, (size_t)n), .uri = SK_LIT("/x?<a>") };
		clock_gettime(CLOCK_REALTIME, &ev.time);
		CHECK(sink_emit_event(s, &ev) == 0);
	}
	sink_close(s); /* flushes within close_wait_ms */
	server_stop(&sv);
	CHECK_INT(server_bodies(&sv), 20);
	CHECK_INT(sv.requests, 22);
	CHECK(!sv.bad_request);
	bool ok = true;
	for (int i = 0; i < sv.nbodies; i++) {
		char want[32];
		snprintf(want, sizeof(want), "\"request_id\":\"r-%d\"", i);
		ok = ok && strstr(sv.bodies[i], want) && event_json_valid(sk_slice_make(sv.bodies[i], strlen(sv.bodies[i]))) &&
		     !strchr(sv.bodies[i], '\n');
	}
	CHECK(ok);
	server_free(&sv);
}

/* The writer is stuck on a receiver that accepts the connection and never
 * answers. The caller must not notice: emits return at once, the excess
 * is dropped and counted, and close is bounded. */
static void test_queue_full_never_blocks(void)
{
	server sv;
	server_init(&sv);
	sv.silent = true;
	CHECK(server_start(&sv, 0));
	char url[128], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", sv.port);
	sink_opts o = { .queue_events = 8, .close_wait_ms = 200 };
	sink *s = sink_open_opts(url, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s) {
		server_stop(&sv);
		server_free(&sv);
		return;
	}
	CHECK(sink_emit(s, "{\"first\":true}", 14) == 0);
	sleep_ms(100); /* the writer is now waiting for the silent server */
	enum { N = 20000 };
	int refused = 0;
	double worst = 0, t0 = now_ms();
	for (int i = 0; i < N; i++) {
		double a = now_ms();
		refused += sink_emit(s, "{\"k\":\"v\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", 48) != 0;
		double d = now_ms() - a;
		if (d > worst)
			worst = d;
	}
	double total = now_ms() - t0;
	printf("  queue full: %d emits in %.2f ms (%.0f ns each), worst %.3f ms, %d dropped\n", N, total,
	       total * 1e6 / N, worst, refused);
	CHECK(refused >= N - 8);
	CHECK(sink_dropped(s) >= (uint64_t)(N - 8));
	CHECK(total < 500);  /* about 2 ms on an idle machine */
	CHECK(worst < 100);  /* never waits for the writer's I/O (2 s here) */
	double c0 = now_ms();
	sink_close(s);
	double closing = now_ms() - c0;
	printf("  close with a stuck receiver: %.0f ms\n", closing);
	CHECK(closing < 4000); /* request timeout (2 s) + close_wait, bounded */
	server_stop(&sv);
	server_free(&sv);
}

/* The receiver goes away and comes back on the same port: queued events
 * are retried and delivered, the excess is dropped, and an events_dropped
 * event tells the receiver how many. */
static void test_webhook_server_down(void)
{
	server sv;
	server_init(&sv);
	CHECK(server_start(&sv, 0));
	int port = sv.port;
	char url[128], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
	sink_opts o = { .queue_events = 16, .retry_first_ms = 20, .retry_max_ms = 100, .retry_attempts = 1000,
			.close_wait_ms = 3000 };
	sink *s = sink_open_opts(url, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s) {
		server_stop(&sv);
		server_free(&sv);
		return;
	}
	CHECK(sink_emit(s, "{\"n\":0}", 7) == 0);
	CHECK(server_wait(&sv, 1, 3000));
	server_stop(&sv); /* down: connection refused from now on */
	int refused = 0;
	for (int i = 1; i <= 50; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "{\"n\":%d}", i);
		refused += sink_emit(s, line, (size_t)n) != 0;
	}
	CHECK(refused >= 50 - 17); /* 16 queued, maybe one in the writer's hands */
	sleep_ms(300);             /* several failed attempts */
	server sv2;
	server_init(&sv2);
	CHECK(server_start(&sv2, port));
	/* Everything accepted arrives, in order, then the drop report. */
	CHECK(server_wait(&sv2, 50 - refused + 1, 5000));
	sink_stats st;
	sink_get_stats(s, &st);
	sink_close(s);
	server_stop(&sv2);
	CHECK_INT(st.failed, 0);
	CHECK_INT(st.dropped, refused);
	CHECK_INT(server_bodies(&sv2), 50 - refused + 1);
	int last = 0;
	bool order = true, report = false;
	for (int i = 0; i < sv2.nbodies; i++) {
		const char *b = sv2.bodies[i];
		if (strstr(b, "\"kind\":\"events_dropped\"")) {
			char want[64];
			snprintf(want, sizeof(want), "\"dropped\":%d,", refused);
			report = strstr(b, want) && strstr(b, "\"part\":\"alert\"") && strstr(b, "\"sink\":\"webhook\"");
			continue;
		}
		int n = (int)strtol(b + 5, NULL, 10);
		order = order && n > last;
		last = n;
	}
	CHECK(order);
	CHECK(report);
	server_free(&sv);
	server_free(&sv2);
}

static void test_fanout(void)
{
	char err[256];
	const char *specs[] = { path_in_tmp("fan1.jsonl"), path_in_tmp("fan2.jsonl") };
	sinks *ss = sinks_open(specs, 2, NULL, err, sizeof(err));
	CHECK(ss && sinks_count(ss) == 2 && sinks_get(ss, 2) == NULL);
	if (!ss)
		return;
	sk_event ev = { .part = "fim", .kind = "changed", .severity = SK_SEV_CRITICAL, .uri = SK_LIT("/var/www/a.php") };
	CHECK_INT(sinks_emit_event(ss, &ev), 0);
	CHECK_INT(sinks_emit(ss, "{\"b\":2}\n", 8), 0);
	sinks_reopen(ss);
	CHECK_INT(sinks_dropped(ss), 0);
	sinks_close(ss);
	for (int i = 0; i < 2; i++) {
		size_t len;
		char *p = slurp(specs[i], &len);
		CHECK(p && count_lines(p, len) == 2 && strstr(p, "\"severity\":\"critical\"") && strstr(p, "{\"b\":2}\n"));
		free(p);
	}
	/* All or nothing. */
	const char *bad[] = { path_in_tmp("fan3.jsonl"), "nope" };
	CHECK(sinks_open(bad, 2, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "nope") != NULL);
	sinks *none = sinks_open(NULL, 0, NULL, err, sizeof(err));
	CHECK(none && sinks_emit(none, "{}", 2) == 0);
	sinks_close(none);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sekisho-test-sink-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	RUN(test_specs);
	RUN(test_file_threads);
	RUN(test_close_flushes_and_stats);
	RUN(test_reopen);
	RUN(test_write_errors_counted);
	RUN(test_escaping_python);
	RUN(test_webhook_delivers);
	RUN(test_queue_full_never_blocks);
	RUN(test_webhook_server_down);
	RUN(test_fanout);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return harness_done("sink");
}
