/* admin_bans.c - the ban API on the admin listener (docs/bans.md):
 *
 *   GET    /bans             {"bans":[{"key","ttl_left_s","reason"}...],"count":N}
 *   POST   /bans             body {"key","ttl","reason"} (JSON or form): set a ban
 *   DELETE /bans/KEY         lift a ban (KEY percent-encoded, or an address)
 *   POST   /bans/delete      body {"key"}: the same, for clients without DELETE
 *
 * Who may call: with admin.token set, every ban endpoint needs
 * "Authorization: Bearer TOKEN" (compared in constant time, over SHA-256
 * digests so that not even the length leaks). Without a token, only
 * loopback peers: admin.listen on a public address must not hand out the
 * ban list or the power to ban anyone.
 *
 * Bans go through guard_ban_set / guard_ban_del, so the workers' caches,
 * the events and the kernel sets (bans.nftables) follow. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "guard.h"
#include "sekisho/bankey.h"

_Static_assert(BANKEY_MAX == GUARD_KEY_MAX, "ban keys: bankey.h and guard.h must agree");

static bool sha256(const char *p, size_t n, unsigned char out[32])
{
	unsigned int len = 0;
	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

/* 0 if the caller may use the ban API, else the status to refuse with. */
static int authorize(proxy *px, const http_request *req, const admin_peer *peer, admin_answer *ans)
{
	proxy_shared *sh = shared_acquire(px);
	char token[sizeof(sh->set.admin_token)];
	snprintf(token, sizeof(token), "%s", sh->set.admin_token);
	shared_release(sh);
	if (!token[0]) {
		if (peer->loopback)
			return 0;
		admin_error(ans, 403, "the ban API answers loopback peers only unless admin.token is set");
		return 403;
	}
	const http_header *h = http_find_header(req->headers, req->nheaders, SK_LIT("Authorization"));
	sk_slice got = h ? h->value : sk_slice_make("", 0);
	bool bearer = got.len > 7 && sk_slice_prefix_ci(got, SK_LIT("Bearer "));
	got = bearer ? sk_slice_trim_ows(sk_slice_make(got.p + 7, got.len - 7)) : sk_slice_make("", 0);
	unsigned char want_d[32], got_d[32];
	bool ok = sha256(token, strlen(token), want_d) && sha256(got.p, got.len, got_d) &&
		  CRYPTO_memcmp(want_d, got_d, 32) == 0 && bearer;
	if (ok)
		return 0;
	admin_error(ans, 401, h ? "wrong token" : "this listener needs \"Authorization: Bearer TOKEN\" (admin.token)");
	snprintf(ans->headers, sizeof(ans->headers), "WWW-Authenticate: Bearer realm=\"sekisho\"\r\n");
	return 401;
}

struct list_ctx {
	sk_buf *b;
	size_t n;
};

static void list_one(void *ctx, sk_slice key, uint32_t ttl_left_ms, sk_slice reason)
{
	struct list_ctx *l = ctx;
	buf_puts(l->b, l->n++ ? ",\n{\"key\":" : "\n{\"key\":");
	buf_json_str(l->b, key);
	buf_printf(l->b, ",\"ttl_left_s\":%u,\"reason\":", (unsigned)((ttl_left_ms + 999u) / 1000u));
	buf_json_str(l->b, reason);
	buf_puts(l->b, "}");
}

static void ban_list(proxy *px, admin_answer *ans)
{
	ans->ctype = "application/json";
	struct list_ctx l = { &ans->body, 0 };
	buf_puts(&ans->body, "{\"bans\":[");
	long n = state_ban_list(px->state, guard_now_ms(), list_one, &l, ADMIN_MAX_LIST);
	if (n < 0) {
		admin_error(ans, 503, state_strerror((int)n));
		return;
	}
	buf_printf(&ans->body, "\n],\"count\":%ld,\"max\":%u,\"backend\":\"%s\"}\n", n, ADMIN_MAX_LIST,
		   px->state_shared ? "redis" : "memory");
}

static void ban_json(sk_buf *b, const char *field, const char *key, uint32_t ttl_s, const char *reason)
{
	buf_printf(b, "{\"%s\":", field);
	buf_json_str(b, sk_slice_make(key, strlen(key)));
	if (ttl_s)
		buf_printf(b, ",\"ttl_s\":%u", (unsigned)ttl_s);
	if (reason) {
		buf_puts(b, ",\"reason\":");
		buf_json_str(b, sk_slice_make(reason, strlen(reason)));
	}
	buf_puts(b, "}\n");
}

static void ban_add(proxy *px, const http_request *req, sk_slice body, admin_answer *ans)
{
	arena *a = arena_new(64 * 1024);
	ban_request br;
	const char *why = "out of memory";
	bool ok = a && ban_request_parse(req->content_type, body, false, a, &br, &why);
	arena_free(a);
	if (!ok) {
		admin_error(ans, 400, why);
		return;
	}
	const char *reason = br.reason[0] ? br.reason : "set by an operator";
	int rc = guard_ban_set(px, br.key.text, br.ttl_s * 1000u, reason, "admin");
	if (rc != STATE_OK && rc != STATE_EUNAVAILABLE) {
		admin_error(ans, 503, state_strerror(rc));
		return;
	}
	ans->status = 201;
	ans->ctype = "application/json";
	ban_json(&ans->body, "key", br.key.text, br.ttl_s, reason);
}

static void ban_del(proxy *px, sk_slice key_text, admin_answer *ans)
{
	bankey k;
	const char *why;
	if (!bankey_parse(key_text, &k, &why)) {
		admin_error(ans, 400, why);
		return;
	}
	int rc = guard_ban_del(px, k.text, "admin");
	if (rc == STATE_ENOENT) {
		admin_error(ans, 404, "no such ban");
		return;
	}
	if (rc != STATE_OK) {
		admin_error(ans, 503, state_strerror(rc));
		return;
	}
	ans->ctype = "application/json";
	ban_json(&ans->body, "deleted", k.text, 0, NULL);
}

/* Percent-decode a path segment strictly (%XX only) into out[cap]. */
static bool path_decode(sk_slice in, char *out, size_t cap, size_t *outlen)
{
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		int c = (unsigned char)in.p[i];
		if (c == '%') {
			if (i + 2 >= in.len)
				return false;
			int hi = sk_hexval((unsigned char)in.p[i + 1]), lo = sk_hexval((unsigned char)in.p[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = hi * 16 + lo;
			i += 2;
		}
		if (n + 1 >= cap)
			return false;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	*outlen = n;
	return true;
}

bool admin_bans(proxy *px, const http_request *req, sk_slice body, const admin_peer *peer, admin_answer *ans)
{
	sk_slice path = req->path;
	bool root = sk_slice_eq(path, SK_LIT("/bans"));
	bool del_post = sk_slice_eq(path, SK_LIT("/bans/delete"));
	bool under = path.len > 6 && memcmp(path.p, "/bans/", 6) == 0;
	if (!root && !under)
		return false;
	if (authorize(px, req, peer, ans) != 0)
		return true;
	sk_slice m = req->method;
	bool get = sk_slice_eq(m, SK_LIT("GET")) || sk_slice_eq(m, SK_LIT("HEAD"));
	if (root && get) {
		ban_list(px, ans);
	} else if (root && sk_slice_eq(m, SK_LIT("POST"))) {
		ban_add(px, req, body, ans);
	} else if (del_post && sk_slice_eq(m, SK_LIT("POST"))) {
		arena *a = arena_new(64 * 1024);
		ban_request br;
		const char *why = "out of memory";
		bool ok = a && ban_request_parse(req->content_type, body, true, a, &br, &why);
		arena_free(a);
		if (ok)
			ban_del(px, sk_slice_make(br.key.text, br.key.len), ans);
		else
			admin_error(ans, 400, why);
	} else if (under && !del_post && sk_slice_eq(m, SK_LIT("DELETE"))) {
		char key[BANKEY_MAX * 3];
		size_t klen;
		if (!path_decode(sk_slice_make(path.p + 6, path.len - 6), key, sizeof(key), &klen) ||
		    memchr(key, '\0', klen))
			admin_error(ans, 400, "bad percent-encoding in the key");
		else
			ban_del(px, sk_slice_make(key, klen), ans);
	} else {
		admin_error(ans, 405, root ? "GET or POST" : del_post ? "POST" : "DELETE");
		snprintf(ans->headers, sizeof(ans->headers), "Allow: %s\r\n",
			 root ? "GET, HEAD, POST" : del_post ? "POST" : "DELETE");
	}
	return true;
}
