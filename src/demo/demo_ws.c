/* demo_ws.c - GET /ws: a WebSocket endpoint (RFC 6455) that echoes.
 *
 * It exists so that tests can check that the proxy passes an Upgrade
 * through and then relays frames both ways. Handshake: Sec-WebSocket-Accept
 * is base64(SHA-1(key + the RFC's GUID)). Then every data frame is sent
 * back with the same opcode and FIN bit (so fragmented messages come back
 * fragmented alike), ping gets pong, close gets close.
 */
#include <openssl/evp.h>
#include <string.h>

#include "demo.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_PAYLOAD (1024u * 1024) /* per frame; more closes with 1009 */
#define WS_MAX_FRAMES 100000          /* per connection */

enum { WS_CONT = 0, WS_TEXT = 1, WS_BIN = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

static const http_header *hdr(const http_request *r, const char *name)
{
	return http_find_header(r->headers, r->nheaders, sk_slice_make(name, strlen(name)));
}

static bool hdr_has(const http_request *r, const char *name, const char *token)
{
	const http_header *h = hdr(r, name);
	return h && sk_slice_find_ci(h->value, sk_slice_make(token, strlen(token))) >= 0;
}

/* A client key is base64 of 16 bytes: 22 base64 characters and "==". */
static bool key_valid(sk_slice k)
{
	if (k.len != 24 || k.p[22] != '=' || k.p[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++) {
		unsigned char c = (unsigned char)k.p[i];
		bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
			   c == '/';
		if (!b64)
			return false;
	}
	return true;
}

static int send_frame(demo_ctx *x, unsigned first, const void *p, size_t n)
{
	unsigned char h[10];
	size_t hl;
	h[0] = (unsigned char)first;
	if (n < 126) {
		h[1] = (unsigned char)n;
		hl = 2;
	} else if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (demo_send(x, h, hl) < 0)
		return -1;
	return n ? demo_send(x, p, n) : 0;
}

static void send_close(demo_ctx *x, unsigned code)
{
	unsigned char b[2] = { (unsigned char)(code >> 8), (unsigned char)code };
	send_frame(x, 0x80 | WS_CLOSE, b, 2);
}

/* Read and unmask a payload of n bytes into c->body. */
static int read_payload(demo_conn *c, size_t n, const unsigned char mask[4])
{
	buf_reset(&c->body);
	size_t off = 0;
	while (off < n) {
		size_t piece = n - off < sizeof(c->tmp) ? n - off : sizeof(c->tmp);
		if (demo_read_exact(c, c->tmp, piece) < 0)
			return -1;
		for (size_t i = 0; i < piece; i++)
			c->tmp[i] = (char)(c->tmp[i] ^ mask[(off + i) & 3]);
		if (!buf_append(&c->body, c->tmp, piece))
			return -1;
		off += piece;
	}
	return 0;
}

/* Echo frames until close, error or the frame cap. */
static void echo_loop(demo_ctx *x)
{
	demo_conn *c = x->c;
	for (int f = 0; f < WS_MAX_FRAMES && !x->failed; f++) {
		unsigned char h[2], ext[8], mask[4];
		if (demo_read_exact(c, h, 2) < 0)
			return;
		unsigned op = h[0] & 0x0f;
		bool fin = h[0] & 0x80;
		uint64_t len = h[1] & 0x7f;
		/* No extension was negotiated, so RSV bits are errors; client
		 * frames must be masked (RFC 6455 5.1). */
		if ((h[0] & 0x70) || !(h[1] & 0x80)) {
			send_close(x, 1002);
			return;
		}
		if (len == 126 || len == 127) {
			size_t el = len == 126 ? 2 : 8;
			if (demo_read_exact(c, ext, el) < 0)
				return;
			len = 0;
			for (size_t i = 0; i < el; i++)
				len = (len << 8) | ext[i];
		}
		if (op >= 8 && (!fin || len > 125)) {
			send_close(x, 1002);
			return;
		}
		if (len > WS_MAX_PAYLOAD) {
			send_close(x, 1009);
			return;
		}
		if (demo_read_exact(c, mask, 4) < 0 || read_payload(c, (size_t)len, mask) < 0)
			return;
		switch (op) {
		case WS_CONT:
		case WS_TEXT:
		case WS_BIN:
			send_frame(x, h[0] & 0x8f, c->body.p, c->body.len);
			break;
		case WS_PING:
			send_frame(x, 0x80 | WS_PONG, c->body.p, c->body.len);
			break;
		case WS_PONG:
			break;
		case WS_CLOSE:
			/* Answer with the client's status code, then we are done. */
			send_frame(x, 0x80 | WS_CLOSE, c->body.p, c->body.len < 2 ? c->body.len : 2);
			return;
		default:
			send_close(x, 1002);
			return;
		}
	}
}

void demo_ws(demo_ctx *x)
{
	const http_request *r = x->r;
	x->close = true; /* after the handshake the connection is not HTTP any more */
	const http_header *key = hdr(r, "sec-websocket-key");
	const http_header *ver = hdr(r, "sec-websocket-version");
	if (!hdr_has(r, "upgrade", "websocket") || !hdr_has(r, "connection", "upgrade") || !key ||
	    !key_valid(key->value) || x->body.len > 0 || x->head_only) {
		static const char msg[] = "a WebSocket handshake needs Upgrade: websocket, Connection: Upgrade "
					  "and a Sec-WebSocket-Key\n";
		demo_reply(x, 400, "text/plain; charset=utf-8", NULL, msg, sizeof(msg) - 1);
		return;
	}
	if (!ver || !sk_slice_eq(ver->value, SK_LIT("13"))) {
		static const char msg[] = "Sec-WebSocket-Version 13 only\n";
		demo_reply(x, 426, "text/plain; charset=utf-8", "Sec-WebSocket-Version: 13\r\n", msg, sizeof(msg) - 1);
		return;
	}
	unsigned char cat[24 + sizeof(WS_GUID)], md[EVP_MAX_MD_SIZE], acc[32];
	unsigned mdlen = 0;
	memcpy(cat, key->value.p, 24);
	memcpy(cat + 24, WS_GUID, sizeof(WS_GUID) - 1);
	if (!EVP_Digest(cat, 24 + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20) {
		demo_reply(x, 500, "text/plain; charset=utf-8", NULL, "sha-1 failed\n", 13);
		return;
	}
	EVP_EncodeBlock(acc, md, 20); /* 28 characters and a NUL */
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 101 Switching Protocols\r\nServer: sekisho-demo\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			  (const char *)acc);
	x->status = 101;
	if (demo_send(x, head, (size_t)hl) < 0)
		return;
	demo_log(x);
	echo_loop(x);
}
