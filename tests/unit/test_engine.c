/* test_engine.c - the engine as a whole: scoring, paranoia, exceptions,
 * decoded variants, protocol findings (lib/detect/engine.c, protocol.c). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/engine.h"

static http_limits lim;

static verdict run(const char *raw, size_t len, int paranoia, const engine_exception *ex, size_t nex)
{
	engine_config cfg;
	engine_config_default(&cfg);
	cfg.paranoia = paranoia;
	cfg.exceptions = ex;
	cfg.nexceptions = nex;
	engine *e = engine_new(&cfg);
	engine_scratch *s = engine_scratch_new(e);
	arena *a = arena_new(lim.max_arena);
	http_header h[64];
	http_request req;
	http_view view;
	sk_slice body;
	bool trunc;
	size_t used;
	sk_error err = { 0 };
	verdict v;
	if (http_read_request(raw, len, &req, h, 64, a, &lim, &body, &trunc, &used, &err) != SK_OK ||
	    view_build(&view, &req, body, trunc, a, &lim, &err) != SK_OK)
		engine_verdict_malformed(&v, &err);
	else
		engine_inspect(e, s, &req, &view, NULL, a, &v);
	/* matches point into the arena: keep only what the tests read */
	for (size_t i = 0; i < v.nmatches; i++) {
		v.matches[i].fragment = SK_SLICE_NULL;
		v.matches[i].name = SK_SLICE_NULL;
	}
	arena_free(a);
	engine_scratch_free(s);
	engine_free(e);
	return v;
}

#define RUN_LIT(r, p) run((r), sizeof(r) - 1, (p), NULL, 0)

static bool has(const verdict *v, const char *detector)
{
	for (size_t i = 0; i < v->nmatches; i++)
		if (strcmp(v->matches[i].detector, detector) == 0)
			return true;
	return false;
}

static const char STRUTS[] =
	"GET /index.action HTTP/1.1\r\nHost: shop.example.jp\r\nContent-Type: %{(#_='multipart/form-data')."
	"(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#_memberAccess?(#_memberAccess=#dm):((#container="
	"#context['com.opensymphony.xwork2.ActionContext.container']).(#ognlUtil=#container.getInstance("
	"@com.opensymphony.xwork2.ognl.OgnlUtil@class)).(#context.setMemberAccess(#dm)))).(#cmd='id')."
	"(#p=new java.lang.ProcessBuilder({'/bin/bash','-c',#cmd})).(#p.start())}\r\n\r\n";

static void test_struts_every_paranoia(void)
{
	for (int p = 1; p <= 3; p++) {
		verdict v = RUN_LIT(STRUTS, p);
		CHECK(v.block);
		CHECK(has(&v, "ognl"));
	}
}

static void test_benign_passes(void)
{
	const char r[] = "POST /contact HTTP/1.1\r\nHost: shop.example.jp\r\nContent-Type: application/x-www-form-"
			 "urlencoded\r\nCookie: sid=8ADE60B349C9; lang=ja\r\nContent-Length: 87\r\n\r\n"
			 "name=%E9%AB%99%E6%A9%8B&email=taro%40example.jp&message=O%27Reilly+select+your+size+please";
	verdict v = RUN_LIT(r, 1);
	CHECK(!v.block);
	CHECK_INT(v.score, 0);
}

static void test_exception(void)
{
	const char r[] = "POST /wp-admin/post.php HTTP/1.1\r\nHost: a.jp\r\nContent-Type: application/x-www-form-"
			 "urlencoded\r\nContent-Length: 51\r\n\r\ncontent=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E";
	verdict v = RUN_LIT(r, 1);
	CHECK(v.block);
	CHECK(has(&v, "xss"));
	engine_exception ex = { "xss", "/wp-admin/", "content" };
	v = run(r, sizeof(r) - 1, 1, &ex, 1);
	CHECK(!has(&v, "xss"));
	/* an exception for another parameter does not apply */
	engine_exception other = { "xss", "/wp-admin/", "title" };
	v = run(r, sizeof(r) - 1, 1, &other, 1);
	CHECK(has(&v, "xss"));
	engine_exception elsewhere = { "xss", "/blog/", "" };
	v = run(r, sizeof(r) - 1, 1, &elsewhere, 1);
	CHECK(has(&v, "xss"));
}

static void test_base64_variant(void)
{
	/* ' OR 1=1 UNION SELECT password FROM users-- in Base64 */
	const char r[] = "GET /api?state=JyBPUiAxPTEgVU5JT04gU0VMRUNUIHBhc3N3b3JkIEZST00gdXNlcnMtLQ== HTTP/1.1\r\n"
			 "Host: a.jp\r\n\r\n";
	verdict v = RUN_LIT(r, 1);
	CHECK(v.block);
	bool decoded = false;
	for (size_t i = 0; i < v.nmatches; i++)
		decoded |= v.matches[i].decoded_variant;
	CHECK(decoded);
}

static void test_protocol(void)
{
	verdict v = RUN_LIT("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 1);
	CHECK(v.block);
	CHECK(has(&v, "protocol"));
	v = RUN_LIT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 1);
	CHECK(v.block);
	CHECK(strstr(v.matches[0].rule, "duplicate Content-Length") != NULL);
	v = RUN_LIT("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 38\r\n\r\nGET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n", 1);
	CHECK(v.block);
	v = RUN_LIT("GET /..%c0%af..%c0%afetc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 1);
	CHECK(v.block);
	/* EUC-JP text has the same bytes as overlong UTF-8 and must pass */
	v = RUN_LIT("GET /search?q=%C0%B9%B2%AC%BB%D4 HTTP/1.1\r\nHost: a\r\n\r\n", 1);
	CHECK(!v.block);
	/* short EUC-JP names whose bytes fold to valid UTF-8 ('?', '>') */
	v = RUN_LIT("GET /f?first_name=%C0%BF&last_name=%C0%BE%C2%BC HTTP/1.1\r\nHost: a\r\n\r\n", 3);
	CHECK(!v.block);
}

/* A 1 MB parameter of hostile characters is inspected in bounded time (the
 * suite's timeout would catch a superlinear detector). */
static void test_hostile_megabyte(void)
{
	size_t n = 1024 * 1024;
	char *r = malloc(n + 256);
	if (!r)
		abort();
	int h = snprintf(r, 256, "POST / HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", n);
	const char pat[] = "'\"()[]{}<--<!--<a/*";
	for (size_t i = 0; i < n; i++)
		r[h + i] = pat[i % (sizeof(pat) - 1)];
	verdict v = run(r, (size_t)h + n, 3, NULL, 0);
	CHECK(v.nfound < 1000);
	free(r);
}

int main(void)
{
	http_limits_default(&lim);
	RUN(test_struts_every_paranoia);
	RUN(test_benign_passes);
	RUN(test_exception);
	RUN(test_base64_variant);
	RUN(test_protocol);
	RUN(test_hostile_megabyte);
	return harness_done("engine");
}
