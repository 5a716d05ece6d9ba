/* demo.c - `sekisho demo [--listen ADDR:PORT]`: the bundled demo upstream.
 *
 * A tiny Japanese shop (関所ショップ) plus endpoints that integration tests
 * use to see what the proxy forwarded. `make run` starts it behind the
 * proxy. Exit 0 on SIGINT/SIGTERM, 2 on a usage error or when the address
 * cannot be listened on (port taken). See docs/demo.md.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "demo.h"

#define DEMO_DEFAULT_LISTEN "127.0.0.1:8081"
#define DEMO_THREAD_STACK (512u * 1024)

atomic_int demo_active;
static volatile sig_atomic_t demo_stop;

static void on_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sekisho demo [--listen ADDR:PORT]\n\n"
		   "Run the bundled demo upstream (a tiny shop, 関所ショップ) that `make run`\n"
		   "puts behind the proxy and the integration tests talk to.\n"
		   "  --listen ADDR:PORT  address to listen on (default " DEMO_DEFAULT_LISTEN
		   "; [::1]:PORT for IPv6;\n"
		   "                      port 0 picks a free port, printed on stderr)\n\n"
		   "Endpoints:\n");
	demo_routes_help(f);
	fprintf(f, "\nOne line per request on stderr: method, target, status, peer.\n");
}

/* Split "host:port" or "[v6]:port" into NUL-terminated parts. */
static int split_listen(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon[1] == '\0')
		return -1;
	const char *h = s;
	size_t hl = (size_t)(colon - s);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	size_t pl = strlen(colon + 1);
	if (hl == 0 || hl >= hcap || pl >= pcap)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, pl + 1);
	for (size_t i = 0; i < pl; i++)
		if (port[i] < '0' || port[i] > '9')
			return -1;
	return 0;
}

/* Open the listening socket. Returns the fd, or -1 after printing why. */
static int listen_on(const char *addr)
{
	char host[256], port[16];
	if (split_listen(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		fprintf(stderr, "sekisho demo: --listen wants ADDR:PORT, got '%s'\n", addr);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		fprintf(stderr, "sekisho demo: cannot resolve '%s': %s\n", addr, gai_strerror(gai));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "sekisho demo: cannot listen on %s: %s%s\n", addr, strerror(errno),
			errno == EADDRINUSE ? " (is another server, or another demo, running there?)" : "");
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);
	char nhost[NI_MAXHOST] = "?", nport[NI_MAXSERV] = "?";
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, nhost, sizeof(nhost), nport, sizeof(nport),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	fprintf(stderr, "sekisho demo: 関所ショップ listening on http://%s%s%s:%s/\n", ss.ss_family == AF_INET6 ? "[" : "",
		nhost, ss.ss_family == AF_INET6 ? "]" : "", nport);
	return fd;
}

static void peer_name(const struct sockaddr_storage *ss, socklen_t sl, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN], p[8];
	if (getnameinfo((const struct sockaddr *)ss, sl, h, sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, cap, "?");
	else
		snprintf(out, cap, "%s:%s", h, p);
}

/* Hand a connection to its own thread, or answer 503 when at the cap. */
static void start_conn(int fd, const struct sockaddr_storage *ss, socklen_t sl, pthread_attr_t *attr)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n"
				   "Connection: close\r\n\r\nbusy\n";
	if (atomic_fetch_add(&demo_active, 1) >= DEMO_MAX_CONNS) {
		atomic_fetch_sub(&demo_active, 1);
		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	struct timeval tv = { .tv_sec = DEMO_IO_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	demo_conn *c = calloc(1, sizeof(*c));
	pthread_t t;
	if (c) {
		c->fd = fd;
		peer_name(ss, sl, c->peer, sizeof(c->peer));
	}
	/* Connection threads inherit a mask without SIGINT/SIGTERM, so the
	 * signal always lands in the accept loop and interrupts accept(). */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	int rc = c ? pthread_create(&t, attr, demo_conn_main, c) : -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(c);
		close(fd);
		atomic_fetch_sub(&demo_active, 1);
		fprintf(stderr, "demo: out of memory or threads, connection dropped\n");
	}
}

int cmd_demo(int argc, char **argv)
{
	const char *addr = DEMO_DEFAULT_LISTEN;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			addr = argv[++i];
		} else if (strncmp(argv[i], "--listen=", 9) == 0) {
			addr = argv[i] + 9;
		} else {
			fprintf(stderr, "sekisho demo: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* No SA_RESTART: accept() must return EINTR so that we stop. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int lfd = listen_on(addr);
	if (lfd < 0)
		return 2;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, DEMO_THREAD_STACK);
	while (!demo_stop) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				usleep(10000); /* out of descriptors: let connections finish */
				continue;
			}
			fprintf(stderr, "sekisho demo: accept: %s\n", strerror(errno));
			break;
		}
		start_conn(fd, &ss, sl, &attr);
	}
	pthread_attr_destroy(&attr);
	close(lfd);
	fprintf(stderr, "sekisho demo: stopped\n");
	/* Connection threads are detached; exiting the process ends them. */
	return 0;
}
