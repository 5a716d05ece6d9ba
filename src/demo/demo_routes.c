/* demo_routes.c - what the demo upstream serves: a tiny shop (home page,
 * search, login, account) and endpoints for tests (echo, headers, slow,
 * chunked, big, close, healthz). Each endpoint is one row of `routes`, so
 * --help and docs/demo.md list the same things.
 *
 * The shop is vulnerable-looking but safe: search echoes the query
 * HTML-escaped, so an XSS attempt shows up as text whether or not the
 * proxy blocked it; nothing is ever executed or queried.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "demo.h"
#include "sekisho/decode.h"

#define HTML "text/html; charset=utf-8"
#define TEXT "text/plain; charset=utf-8"
#define JSON "application/json"

/* ---- sessions: the ids /login hands out, checked by /account ---- */

#define SESSIONS_MAX 1024
#define SESSION_HEX 32

static pthread_mutex_t sess_mu = PTHREAD_MUTEX_INITIALIZER;
static char sessions[SESSIONS_MAX][SESSION_HEX + 1];
static unsigned sess_next; /* ring: the oldest session is forgotten first */

/* A new random session id (32 hex digits) in out[33]. False if the
 * kernel has no randomness for us. */
static bool session_new(char out[SESSION_HEX + 1])
{
	unsigned char raw[SESSION_HEX / 2];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return false;
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[SESSION_HEX] = '\0';
	pthread_mutex_lock(&sess_mu);
	memcpy(sessions[sess_next], out, SESSION_HEX + 1);
	sess_next = (sess_next + 1) % SESSIONS_MAX;
	pthread_mutex_unlock(&sess_mu);
	return true;
}

static bool session_valid(sk_slice id)
{
	if (id.len != SESSION_HEX)
		return false;
	bool ok = false;
	pthread_mutex_lock(&sess_mu);
	for (size_t i = 0; i < SESSIONS_MAX && !ok; i++)
		ok = memcmp(sessions[i], id.p, SESSION_HEX) == 0;
	pthread_mutex_unlock(&sess_mu);
	return ok;
}

/* The value of cookie `name` in any Cookie header, or an empty slice. */
static sk_slice cookie_value(const http_request *r, sk_slice name)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		if (!sk_slice_eq_ci(r->headers[i].name, SK_LIT("cookie")))
			continue;
		sk_slice v = r->headers[i].value;
		size_t k = 0;
		while (k < v.len) {
			size_t end = k;
			while (end < v.len && v.p[end] != ';')
				end++;
			sk_slice pair = sk_slice_trim_ows(sk_slice_make(v.p + k, end - k));
			if (pair.len > name.len && memcmp(pair.p, name.p, name.len) == 0 && pair.p[name.len] == '=')
				return sk_slice_make(pair.p + name.len + 1, pair.len - name.len - 1);
			k = end + 1;
		}
	}
	return SK_SLICE_NULL;
}

/* ---- small helpers ---- */

bool demo_arg(demo_conn *c, sk_slice qs, const char *name, sk_slice *out)
{
	size_t nl = strlen(name);
	size_t k = 0;
	*out = SK_SLICE_NULL;
	while (k < qs.len) {
		size_t end = k;
		while (end < qs.len && qs.p[end] != '&')
			end++;
		if (end - k >= nl && memcmp(qs.p + k, name, nl) == 0 && (end - k == nl || qs.p[k + nl] == '=')) {
			size_t vs = end - k == nl ? end : k + nl + 1;
			uint32_t flags = 0;
			sk_slice v = url_decode(c->arena, sk_slice_make(qs.p + vs, end - vs), true, 1, &flags);
			if (!v.p)
				return false;
			*out = v;
			return true;
		}
		k = end + 1;
	}
	return false;
}

/* A number argument in [0, max]; `def` when absent. False when present
 * but not a number in range. */
static bool num_arg(demo_ctx *x, const char *name, unsigned long long max, unsigned long long def,
		    unsigned long long *out)
{
	sk_slice v;
	*out = def;
	if (!demo_arg(x->c, x->r->query, name, &v))
		return true;
	return sk_slice_to_u64(v, max, out);
}

/* Append s HTML-escaped (text and quoted attribute values). */
static void html_escape(sk_buf *o, sk_slice s)
{
	size_t run = 0;
	for (size_t i = 0; i < s.len; i++) {
		const char *e = NULL;
		switch (s.p[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: break;
		}
		if (e) {
			buf_append(o, s.p + run, i - run);
			buf_puts(o, e);
			run = i + 1;
		}
	}
	buf_append(o, s.p + run, s.len - run);
}

static int reply_buf(demo_ctx *x, int status, const char *ctype, const char *extra)
{
	sk_buf *o = &x->c->out;
	if (o->overflow)
		return demo_reply(x, 500, TEXT, NULL, "response too large\n", 19);
	return demo_reply(x, status, ctype, extra, o->p, o->len);
}

/* ---- the shop ---- */

static const char page_top[] =
	"<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<title>関所ショップ</title>\n"
	"<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.6}"
	"header{border-bottom:2px solid #8b0000}h1{color:#8b0000}.error{color:#b00;font-weight:bold}"
	"form{margin:1em 0}code{background:#eee}</style>\n</head>\n<body>\n"
	"<header><h1><a href=\"/\" style=\"color:inherit;text-decoration:none\">関所ショップ</a></h1>"
	"<p>sekisho のデモ用ショップです（実際には何も売っていません）。</p></header>\n";

static const char page_bottom[] = "</body>\n</html>\n";

static const char search_form[] =
	"<h2>商品検索</h2>\n<form action=\"/search\" method=\"get\">\n"
	"<input name=\"q\" placeholder=\"例: 抹茶\"> <button type=\"submit\">検索</button>\n</form>\n";

static void login_form(sk_buf *o, bool failed)
{
	buf_puts(o, "<h2>ログイン</h2>\n");
	if (failed)
		buf_puts(o, "<p class=\"error\">ログインに失敗しました。ユーザー名またはパスワードが違います。</p>\n");
	buf_puts(o, "<form action=\"/login\" method=\"post\">\n"
		    "<label>ユーザー名 <input name=\"username\" autocomplete=\"username\"></label><br>\n"
		    "<label>パスワード <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label><br>\n"
		    "<button type=\"submit\">ログイン</button>\n</form>\n");
}

static const struct product {
	const char *name;
	unsigned price;
} products[] = {
	{ "抹茶 (宇治, 30g)", 1200 },   { "煎茶 (静岡, 100g)", 900 },
	{ "羊羹 (小豆)", 650 },         { "手ぬぐい (関所柄)", 1100 },
	{ "扇子 (京都)", 2400 },        { "湯呑み (有田焼)", 3200 },
};

static void route_home(demo_ctx *x)
{
	sk_buf *o = &x->c->out;
	buf_puts(o, page_top);
	buf_puts(o, search_form);
	login_form(o, false);
	buf_puts(o, "<h2>試してみよう</h2>\n<ul>\n"
		    "<li><a href=\"/search?q=%E6%8A%B9%E8%8C%B6\">普通の検索: 抹茶</a></li>\n"
		    "<li><a href=\"/search?q=%27%20OR%201%3D1--\">SQL インジェクション: ' OR 1=1--</a></li>\n"
		    "<li><a href=\"/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E\">XSS: &lt;script&gt;alert(1)&lt;/script&gt;</a></li>\n"
		    "</ul>\n<p>プロキシ (sekisho proxy) 越しに開くと、攻撃はここまで届きません。</p>\n");
	buf_puts(o, page_bottom);
	reply_buf(x, 200, HTML, NULL);
}

static void route_search(demo_ctx *x)
{
	sk_buf *o = &x->c->out;
	sk_slice q;
	demo_arg(x->c, x->r->query, "q", &q);
	buf_puts(o, page_top);
	buf_puts(o, search_form);
	buf_puts(o, "<h2>「");
	html_escape(o, q);
	buf_puts(o, "」の検索結果</h2>\n<ul>\n");
	size_t hits = 0;
	for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
		const char *n = products[i].name;
		if (q.len > 0 && !memmem(n, strlen(n), q.p, q.len))
			continue;
		buf_printf(o, "<li>%s — %u円</li>\n", n, products[i].price);
		hits++;
	}
	buf_puts(o, "</ul>\n");
	if (hits == 0)
		buf_puts(o, "<p>該当する商品はありません。</p>\n");
	buf_puts(o, page_bottom);
	reply_buf(x, 200, HTML, NULL);
}

static void login_page(demo_ctx *x, bool failed)
{
	sk_buf *o = &x->c->out;
	buf_puts(o, page_top);
	login_form(o, failed);
	buf_puts(o, page_bottom);
	reply_buf(x, 200, HTML, NULL);
}

static void route_login_get(demo_ctx *x)
{
	login_page(x, false);
}

static void route_login_post(demo_ctx *x)
{
	sk_slice user, pass;
	bool have = demo_arg(x->c, x->body, "username", &user) && demo_arg(x->c, x->body, "password", &pass);
	if (have && sk_slice_eq(user, SK_LIT("taro")) && sk_slice_eq(pass, SK_LIT("correct-horse"))) {
		char id[SESSION_HEX + 1];
		if (!session_new(id)) {
			demo_reply(x, 500, TEXT, NULL, "no randomness\n", 14);
			return;
		}
		char extra[160];
		snprintf(extra, sizeof(extra),
			 "Location: /account\r\nSet-Cookie: session=%s; HttpOnly; Path=/\r\n"
			 "Cache-Control: no-store\r\n",
			 id);
		static const char moved[] = "ログインしました: /account\n";
		demo_reply(x, 302, TEXT, extra, moved, sizeof(moved) - 1);
		return;
	}
	login_page(x, true);
}

static void route_account(demo_ctx *x)
{
	if (!session_valid(cookie_value(x->r, SK_LIT("session")))) {
		static const char go[] = "ログインしてください: /\n";
		demo_reply(x, 302, TEXT, "Location: /\r\n", go, sizeof(go) - 1);
		return;
	}
	sk_buf *o = &x->c->out;
	buf_puts(o, page_top);
	buf_puts(o, "<h2>マイページ</h2>\n<p>ようこそ、taro さん。</p>\n"
		    "<h3>注文履歴</h3>\n<ul>\n<li>2024-04-01 抹茶 (宇治, 30g) — 1200円</li>\n"
		    "<li>2024-05-12 手ぬぐい (関所柄) — 1100円</li>\n</ul>\n"
		    "<p>登録カード: **** **** **** 4242</p>\n");
	buf_puts(o, page_bottom);
	reply_buf(x, 200, HTML, "Cache-Control: private, no-store\r\n");
}

/* ---- test endpoints ---- */

static void route_echo(demo_ctx *x)
{
	sk_buf *o = &x->c->out;
	const http_request *r = x->r;
	buf_puts(o, "{\"method\":");
	buf_json_str(o, r->method);
	buf_puts(o, ",\"content_type\":");
	if (http_find_header(r->headers, r->nheaders, SK_LIT("content-type")))
		buf_json_str(o, r->content_type);
	else
		buf_puts(o, "null");
	buf_printf(o, ",\"chunked\":%s,\"length\":%zu,\"body\":", r->chunked ? "true" : "false", x->body.len);
	buf_json_str(o, x->body);
	/* The JSON string shows text; base64 gives tests the exact bytes. */
	size_t b64len = 4 * ((x->body.len + 2) / 3);
	unsigned char *b64 = arena_alloc(x->c->arena, b64len + 1);
	buf_puts(o, ",\"body_base64\":\"");
	if (b64) {
		EVP_EncodeBlock(b64, (const unsigned char *)x->body.p, (int)x->body.len);
		buf_append(o, b64, b64len);
	}
	buf_puts(o, "\"}\n");
	reply_buf(x, 200, JSON, NULL);
}

static void route_headers(demo_ctx *x)
{
	sk_buf *o = &x->c->out;
	const http_request *r = x->r;
	buf_puts(o, "{\"method\":");
	buf_json_str(o, r->method);
	buf_puts(o, ",\"target\":");
	buf_json_str(o, r->target);
	buf_printf(o, ",\"version\":\"HTTP/1.%d\",\"peer\":", r->version == 11 ? 1 : 0);
	buf_json_str(o, sk_slice_make(x->c->peer, strlen(x->c->peer)));
	buf_puts(o, ",\"headers\":[");
	for (size_t i = 0; i < r->nheaders; i++) {
		buf_puts(o, i ? ",\n  [" : "\n  [");
		buf_json_str(o, r->headers[i].name);
		buf_puts(o, ",");
		buf_json_str(o, r->headers[i].value);
		buf_puts(o, "]");
	}
	buf_puts(o, "]}\n");
	reply_buf(x, 200, JSON, NULL);
}

static void sleep_ms(unsigned long long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
	/* nanosleep returns the remainder when a signal interrupts it. */
	for (int i = 0; i < 1000 && nanosleep(&ts, &ts) != 0; i++)
		;
}

static void bad_arg(demo_ctx *x, const char *msg)
{
	demo_reply(x, 400, TEXT, NULL, msg, strlen(msg));
}

static void route_slow(demo_ctx *x)
{
	unsigned long long ms;
	if (!num_arg(x, "ms", 60000, 1000, &ms)) {
		bad_arg(x, "ms must be a number from 0 to 60000\n");
		return;
	}
	sleep_ms(ms);
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "slept %llu ms\n", ms);
	demo_reply(x, 200, TEXT, NULL, msg, (size_t)n);
}

static void route_chunked(demo_ctx *x)
{
	unsigned long long n, ms;
	if (!num_arg(x, "n", 10000, 3, &n) || !num_arg(x, "ms", 1000, 0, &ms) || n * ms > 60000) {
		bad_arg(x, "n must be 0..10000, ms 0..1000, n*ms at most 60000\n");
		return;
	}
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nServer: sekisho-demo\r\nContent-Type: " TEXT
			  "\r\nTransfer-Encoding: chunked\r\n%s\r\n",
			  x->close ? "Connection: close\r\n" : (x->r->version == 10 ? "Connection: keep-alive\r\n" : ""));
	x->status = 200;
	if (x->r->version == 10) {
		/* HTTP/1.0 has no chunked coding: answer framed by close. */
		hl = snprintf(head, sizeof(head),
			      "HTTP/1.0 200 OK\r\nServer: sekisho-demo\r\nContent-Type: " TEXT
			      "\r\nConnection: close\r\n\r\n");
		x->close = true;
	}
	if (demo_send(x, head, (size_t)hl) < 0 || x->head_only)
		return;
	/* One send per chunk so that each reaches the wire on its own. */
	for (unsigned long long i = 0; i < n; i++) {
		char chunk[64], line[32];
		int ll = snprintf(line, sizeof(line), "chunk %llu\n", i);
		int cl = x->r->version == 10 ? snprintf(chunk, sizeof(chunk), "%s", line)
					     : snprintf(chunk, sizeof(chunk), "%x\r\n%s\r\n", ll, line);
		if (demo_send(x, chunk, (size_t)cl) < 0)
			return;
		if (ms)
			sleep_ms(ms);
	}
	if (x->r->version != 10)
		demo_send(x, "0\r\n\r\n", 5);
}

/* The /big body: "0123456789abcdef" repeated, so a test can rebuild it. */
static void route_big(demo_ctx *x)
{
	unsigned long long kb;
	if (!num_arg(x, "kb", 65536, 1, &kb)) {
		bad_arg(x, "kb must be 0..65536\n");
		return;
	}
	static const char pat[] = "0123456789abcdef";
	char block[16384];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = pat[i % 16];
	size_t total = (size_t)kb * 1024;
	if (demo_reply_head(x, 200, "application/octet-stream", NULL, total) < 0 || x->head_only)
		return;
	/* total is a multiple of 16 and of 1024; block holds whole patterns. */
	while (total > 0) {
		size_t n = total < sizeof(block) ? total : sizeof(block);
		if (demo_send(x, block, n) < 0)
			return;
		total -= n;
	}
}

static void route_close(demo_ctx *x)
{
	static const char bye[] = "closing the connection\n";
	x->close = true;
	demo_reply(x, 200, TEXT, NULL, bye, sizeof(bye) - 1);
}

static void route_healthz(demo_ctx *x)
{
	demo_reply(x, 200, TEXT, NULL, "ok", 2);
}

/* ---- the table ---- */

typedef struct demo_route_row {
	const char *method; /* GET rows also answer HEAD */
	const char *path;
	void (*fn)(demo_ctx *x);
	const char *doc;
} demo_route_row;

static const demo_route_row routes[] = {
	{ "GET", "/", route_home, "home page (HTML): search and login forms" },
	{ "GET", "/search", route_search, "?q=...: the query echoed HTML-escaped, matching products" },
	{ "GET", "/login", route_login_get, "the login page" },
	{ "POST", "/login", route_login_post,
	  "form username, password: taro/correct-horse -> 302 /account + session cookie; "
	  "else 200 with \"ログインに失敗しました\"" },
	{ "GET", "/account", route_account, "200 with a valid session cookie, else 302 to /" },
	{ "POST", "/api/echo", route_echo, "the request body and Content-Type as JSON (chunked decoded)" },
	{ "GET", "/api/headers", route_headers, "the request headers received, as JSON" },
	{ "GET", "/slow", route_slow, "?ms=N (0..60000, default 1000): sleep, then answer" },
	{ "GET", "/chunked", route_chunked, "?n=N[&ms=M]: N chunks (Transfer-Encoding: chunked), M ms apart" },
	{ "GET", "/big", route_big, "?kb=N (0..65536): N KiB of \"0123456789abcdef\" repeated" },
	{ "GET", "/close", route_close, "answers with Connection: close, then closes" },
	{ "GET", "/ws", demo_ws, "WebSocket (RFC 6455): echoes text and binary frames" },
	{ "GET", "/healthz", route_healthz, "200 \"ok\"" },
};

void demo_routes_help(FILE *f)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		fprintf(f, "  %-4s %-12s %s\n", routes[i].method, routes[i].path, routes[i].doc);
	fprintf(f, "  anything else: 404\n");
}

void demo_route(demo_ctx *x)
{
	const http_request *r = x->r;
	buf_reset(&x->c->out);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const demo_route_row *row = &routes[i];
		size_t ml = strlen(row->method), pl = strlen(row->path);
		bool method_ok = (r->method.len == ml && memcmp(r->method.p, row->method, ml) == 0) ||
				 (x->head_only && strcmp(row->method, "GET") == 0);
		if (method_ok && r->path.len == pl && memcmp(r->path.p, row->path, pl) == 0) {
			row->fn(x);
			return;
		}
	}
	static const char nf[] = "404 Not Found\n";
	demo_reply(x, 404, TEXT, NULL, nf, sizeof(nf) - 1);
}
