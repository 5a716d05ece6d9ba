/* tls.h - TLS termination for client connections (OpenSSL). */
#ifndef SEKISHO_PROXY_TLS_H
#define SEKISHO_PROXY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct ssl_st;

typedef struct tls_cert_paths {
	char cert[512];
	char key[512];
} tls_cert_paths;

/* Load the certificates (the first is the default; the others are chosen by
 * SNI against their names). TLS 1.2 and 1.3 only, forward-secret AEAD
 * ciphers, no renegotiation, no compression. NULL with a message. */
struct tls_server *tls_server_new(const tls_cert_paths *certs, size_t n, char *errbuf, size_t errlen);
void tls_server_free(struct tls_server *ts);

/* A server-side session on a connected, non-blocking socket. */
struct ssl_st *tls_session_new(struct tls_server *ts, int fd);
void tls_session_free(struct ssl_st *ssl);

enum { TLS_WANT_READ = 1, TLS_WANT_WRITE = 2 };

/* Read/write through TLS with the contract of recv/send on a non-blocking
 * socket: >0 bytes, 0 on orderly close (read), -1 with errno EAGAIN (and
 * *want telling which readiness to wait for) or another errno on failure. */
ssize_t tls_recv(struct ssl_st *ssl, void *buf, size_t n, unsigned *want);
ssize_t tls_send(struct ssl_st *ssl, const void *buf, size_t n, unsigned *want);
/* Bytes already decrypted and waiting inside the session. */
size_t tls_pending(struct ssl_st *ssl);
/* The negotiated protocol ("TLSv1.3") or "" before the handshake. */
const char *tls_version(struct ssl_st *ssl);

#endif
