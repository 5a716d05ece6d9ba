/* tls.c - TLS termination with OpenSSL. */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_MAX_CERTS 16

struct tls_server {
	SSL_CTX *ctx[TLS_MAX_CERTS]; /* ctx[0] is the default and carries the SNI callback */
	X509 *leaf[TLS_MAX_CERTS];
	size_t n;
};

/* TLS 1.2 suites: ECDHE only (forward secrecy), AEAD only. TLS 1.3 keeps
 * OpenSSL's defaults, which are all AEAD. */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

static void ssl_error(char *errbuf, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char msg[256];
	ERR_error_string_n(e, msg, sizeof(msg));
	snprintf(errbuf, errlen, "%s %s: %s", what, path, e ? msg : "failed");
	ERR_clear_error();
}

static int sni_select(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	struct tls_server *ts = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (!name)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 1; i < ts->n; i++)
		if (X509_check_host(ts->leaf[i], name, strlen(name), 0, NULL) == 1) {
			SSL_set_SSL_CTX(ssl, ts->ctx[i]);
			break;
		}
	return SSL_TLSEXT_ERR_OK; /* unknown names get the default certificate */
}

static SSL_CTX *ctx_new(const tls_cert_paths *c, X509 **leaf, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_error(errbuf, errlen, "TLS", "context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
		ssl_error(errbuf, errlen, "TLS certificate", c->cert);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error(errbuf, errlen, "TLS private key", c->key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	*leaf = SSL_CTX_get0_certificate(ctx);
	return ctx;
}

struct tls_server *tls_server_new(const tls_cert_paths *certs, size_t n, char *errbuf, size_t errlen)
{
	if (n == 0 || n > TLS_MAX_CERTS) {
		snprintf(errbuf, errlen, "TLS needs 1 to %d certificates", TLS_MAX_CERTS);
		return NULL;
	}
	struct tls_server *ts = calloc(1, sizeof(*ts));
	if (!ts) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ts->ctx[i] = ctx_new(&certs[i], &ts->leaf[i], errbuf, errlen);
		if (!ts->ctx[i]) {
			tls_server_free(ts);
			return NULL;
		}
		ts->n++;
	}
	SSL_CTX_set_tlsext_servername_callback(ts->ctx[0], sni_select);
	SSL_CTX_set_tlsext_servername_arg(ts->ctx[0], ts);
	return ts;
}

void tls_server_free(struct tls_server *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n; i++)
		SSL_CTX_free(ts->ctx[i]);
	free(ts);
}

SSL *tls_session_new(struct tls_server *ts, int fd)
{
	SSL *ssl = SSL_new(ts->ctx[0]);
	if (!ssl)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

void tls_session_free(SSL *ssl)
{
	if (!ssl)
		return;
	/* A quiet shutdown: a close_notify is sent if possible, never waited for. */
	SSL_set_quiet_shutdown(ssl, 0);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
}

static ssize_t map_error(SSL *ssl, int r, unsigned *want)
{
	int e = SSL_get_error(ssl, r);
	*want = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = TLS_WANT_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = TLS_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		errno = ECONNRESET;
		return -1;
	}
}

ssize_t tls_recv(SSL *ssl, void *buf, size_t n, unsigned *want)
{
	if (n > 0x7fffffff)
		n = 0x7fffffff;
	int r = SSL_read(ssl, buf, (int)n);
	if (r > 0) {
		*want = 0;
		return r;
	}
	return map_error(ssl, r, want);
}

ssize_t tls_send(SSL *ssl, const void *buf, size_t n, unsigned *want)
{
	if (n > 0x7fffffff)
		n = 0x7fffffff;
	int r = SSL_write(ssl, buf, (int)n);
	if (r > 0) {
		*want = 0;
		return r;
	}
	ssize_t m = map_error(ssl, r, want);
	if (m == 0) {
		errno = EPIPE;
		return -1;
	}
	return m;
}

size_t tls_pending(SSL *ssl)
{
	return (size_t)SSL_pending(ssl);
}

const char *tls_version(SSL *ssl)
{
	return SSL_is_init_finished(ssl) ? SSL_get_version(ssl) : "";
}
