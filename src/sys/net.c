/* net.c - sockets: addresses, listeners, non-blocking connects. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int net_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int net_parse_endpoint(const char *s, net_endpoint *out, char *errbuf, size_t errlen)
{
	char host[256], port[16];
	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%s", s);
	const char *colon;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':') {
			snprintf(errbuf, errlen, "'%s': expected [IPv6]:port", s);
			return -1;
		}
		size_t hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			goto bad;
		size_t hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port))
		goto bad;
	snprintf(port, sizeof(port), "%s", colon + 1);
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			goto bad;
	long pn = strtol(port, NULL, 10);
	if (pn < 1 || pn > 65535)
		goto bad;
	struct addrinfo hints = { 0 }, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(errbuf, errlen, "'%s': %s", s, rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(errbuf, errlen, "'%s': expected host:port with a port from 1 to 65535", s);
	return -1;
}

int net_listen(const net_endpoint *ep, bool reuseport, int backlog, char *errbuf, size_t errlen)
{
	int fd = socket(ep->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s: socket: %s", ep->text, strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ep->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&ep->sa, ep->len) != 0 || listen(fd, backlog) != 0) {
		snprintf(errbuf, errlen, "%s: %s", ep->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int net_connect(const net_endpoint *ep)
{
	int fd = socket(ep->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&ep->sa, ep->len) != 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void net_peer(const struct sockaddr_storage *sa, sk_addr *addr, char *text, size_t textlen)
{
	memset(addr, 0, sizeof(*addr));
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		addr->b[10] = 0xff;
		addr->b[11] = 0xff;
		memcpy(addr->b + 12, &in->sin_addr, 4);
		addr->v4 = true;
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		memcpy(addr->b, &in6->sin6_addr, 16);
	}
	addr_format(addr, text, textlen);
}
