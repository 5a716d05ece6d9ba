/* net.h - sockets: addresses, listeners, non-blocking connects. */
#ifndef SEKISHO_SYS_NET_H
#define SEKISHO_SYS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sekisho/addr.h"

typedef struct net_endpoint {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[80]; /* as given, for messages */
} net_endpoint;

/* Parse "host:port", "[v6]:port" or ":port" (all addresses). Host names
 * are resolved once (getaddrinfo), numeric addresses need no lookup.
 * Returns 0, or -1 with a message. */
int net_parse_endpoint(const char *s, net_endpoint *out, char *errbuf, size_t errlen);

/* A non-blocking listening socket with SO_REUSEADDR and, when reuseport is
 * set, SO_REUSEPORT (one listener per worker thread, the kernel balances).
 * Returns the fd, or -1 with a message. */
int net_listen(const net_endpoint *ep, bool reuseport, int backlog, char *errbuf, size_t errlen);

/* Start a non-blocking connect. Returns the fd (connected or in progress),
 * or -1 with errno set. */
int net_connect(const net_endpoint *ep);

/* The peer address of a connected socket as an sk_addr and text. */
void net_peer(const struct sockaddr_storage *sa, sk_addr *addr, char *text, size_t textlen);

int net_set_nonblock(int fd);

#endif
