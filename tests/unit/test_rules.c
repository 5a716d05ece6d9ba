/* test_rules.c - rule syntax, compilation and matching (lib/detect/rules*.c),
 * through the engine as a user runs them. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/engine.h"
#include "sekisho/rules.h"

static http_limits lim;
/* Verdict labels point into the ruleset: it lives until the next inspection. */
static ruleset *last_rules;

struct run {
	arena *a;
	http_header hdrs[64];
	http_request req;
	http_view view;
	verdict v;
};

/* Inspect `raw` with the rules in `rules_text`; returns the verdict. */
static int inspect(struct run *r, const char *rules_text, const char *raw, const char *client)
{
	char err[256];
	ruleset_free(last_rules);
	ruleset *rs = last_rules = ruleset_compile(rules_text, strlen(rules_text), "t.rules", err, sizeof(err));
	if (!rs) {
		fprintf(stderr, "  compile: %s\n", err);
		return -1;
	}
	engine_config cfg;
	engine_config_default(&cfg);
	cfg.rules = rs;
	engine *e = engine_new(&cfg);
	engine_scratch *s = engine_scratch_new(e);
	r->a = arena_new(lim.max_arena);
	sk_slice body;
	bool trunc;
	size_t used;
	sk_error perr;
	int rc = -1;
	if (http_read_request(raw, strlen(raw), &r->req, r->hdrs, 64, r->a, &lim, &body, &trunc, &used, &perr) ==
		    SK_OK &&
	    view_build(&r->view, &r->req, body, trunc, r->a, &lim, &perr) == SK_OK) {
		sk_addr addr;
		bool have = client && addr_parse(sk_slice_make(client, strlen(client)), &addr);
		engine_inspect(e, s, &r->req, &r->view, have ? &addr : NULL, r->a, &r->v);
		rc = 0;
	}
	engine_scratch_free(s);
	engine_free(e);
	arena_free(r->a);
	return rc;
}

static bool has_rule(const verdict *v, const char *label_prefix)
{
	for (size_t i = 0; i < v->nmatches; i++)
		if (strncmp(v->matches[i].rule, label_prefix, strlen(label_prefix)) == 0)
			return true;
	return false;
}

static const char GET_ID[] = "GET /item?id=12x&q=hello HTTP/1.1\r\nHost: a.jp\r\nUser-Agent: curl/8\r\n\r\n";

static void test_contains_and_selectors(void)
{
	struct run r;
	CHECK_INT(inspect(&r, "1 query:id contains 2X msg=\"found\"\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 1: found"));
	CHECK(r.v.block);
	CHECK_INT(r.v.score, 5);
	/* the selector name must match: q does not contain 2x */
	CHECK_INT(inspect(&r, "2 query:q contains 2x\n", GET_ID, NULL), 0);
	CHECK(!has_rule(&r.v, "rule 2"));
	/* header names are case-insensitive */
	CHECK_INT(inspect(&r, "3 header:user-agent prefix CURL/ action=log\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 3"));
	CHECK(!r.v.block);
	CHECK_INT(inspect(&r, "4 path equals /ITEM score=2\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 4"));
	CHECK_INT(r.v.score, 2);
	CHECK_INT(inspect(&r, "5 any suffix llo\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 5"));
}

static void test_regex_and_negation(void)
{
	struct run r;
	/* virtual patch: id must be numeric */
	CHECK_INT(inspect(&r, "10 query:id !regex \"^[0-9]{1,9}$\" msg=\"id must be numeric\"\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 10: id must be numeric"));
	const char ok[] = "GET /item?id=12 HTTP/1.1\r\nHost: a.jp\r\n\r\n";
	CHECK_INT(inspect(&r, "10 query:id !regex \"^[0-9]{1,9}$\"\n", ok, NULL), 0);
	CHECK(!has_rule(&r.v, "rule 10"));
	/* a regex Vectorscan cannot take (backreference) still works via PCRE2 */
	CHECK_INT(inspect(&r, "11 query:q regex \"(l)\\\\1\"\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 11"));
	CHECK_INT(inspect(&r, "12 query:q regex \"(?i)HELLO\"\n", GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 12"));
	CHECK_INT(inspect(&r, "13 query:q regex \"HELLO\"\n", GET_ID, NULL), 0);
	CHECK(!has_rule(&r.v, "rule 13"));
}

static void test_ip_and_allow(void)
{
	struct run r;
	const char *rules = "20 ip ip-in 192.0.2.0/24,2001:db8::/32 msg=\"deny list\"\n";
	CHECK_INT(inspect(&r, rules, GET_ID, "192.0.2.77"), 0);
	CHECK(has_rule(&r.v, "rule 20"));
	CHECK_INT(inspect(&r, rules, GET_ID, "2001:db8::1"), 0);
	CHECK(has_rule(&r.v, "rule 20"));
	CHECK_INT(inspect(&r, rules, GET_ID, "198.51.100.1"), 0);
	CHECK(!has_rule(&r.v, "rule 20"));
	CHECK_INT(inspect(&r, rules, GET_ID, NULL), 0);
	CHECK(!has_rule(&r.v, "rule 20"));
	/* allow wins over a block */
	const char attack[] = "GET /health?x=%27%20union%20select%20password%20from%20users-- HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_INT(inspect(&r, "21 query:x contains union\n22 path prefix /health action=allow\n", attack, NULL), 0);
	CHECK(r.v.allowed);
	CHECK(!r.v.block);
}

/* Hundreds of rules compile and match like one. */
static void test_many_rules(void)
{
	size_t cap = 600 * 64;
	char *text = malloc(cap);
	size_t o = 0;
	for (int i = 1; i <= 500; i++)
		o += (size_t)snprintf(text + o, cap - o, "%d query:q contains needle%d\n", i, i);
	o += (size_t)snprintf(text + o, cap - o, "999 query:q regex \"hel+o$\"\n");
	struct run r;
	CHECK_INT(inspect(&r, text, GET_ID, NULL), 0);
	CHECK(has_rule(&r.v, "rule 999"));
	CHECK_INT(r.v.nfound, 1);
	free(text);
}

static void bad_rule(const harness_line *l, void *ctx)
{
	(void)ctx;
	char *tab = memchr(l->buf, '\t', l->len);
	if (!tab) {
		harness_count(0);
		return;
	}
	*tab = '\0';
	char err[256] = "";
	ruleset *rs = ruleset_compile(tab + 1, strlen(tab + 1), "bad.rules", err, sizeof(err));
	int ok = rs == NULL && strstr(err, l->buf) && strncmp(err, "bad.rules:1: ", 13) == 0;
	if (!ok)
		harness_fail(err[0] ? err : "accepted a bad rule", tab + 1, strlen(tab + 1));
	ruleset_free(rs);
	harness_count(ok);
}

static void test_bad_rules(void)
{
	CHECK(harness_each_line("rules/bad.txt", bad_rule, NULL) >= 10);
	char err[256];
	const char dup[] = "# two rules\n7 path contains a\n\n7 path contains b\n";
	CHECK(ruleset_compile(dup, sizeof(dup) - 1, "d.rules", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "d.rules:4: duplicate rule id") != NULL);
	ruleset *empty = ruleset_compile("", 0, "e.rules", err, sizeof(err));
	CHECK(empty != NULL);
	CHECK_INT(ruleset_count(empty), 0);
	ruleset_free(empty);
}

static void test_addr(void)
{
	sk_addr a, b;
	sk_cidr c;
	CHECK(addr_parse(SK_LIT("127.0.0.1"), &a));
	CHECK(!addr_parse(SK_LIT("127.0.0.01"), &a));
	CHECK(!addr_parse(SK_LIT("256.0.0.1"), &a));
	CHECK(!addr_parse(SK_LIT("1.2.3"), &a));
	CHECK(addr_parse(SK_LIT("::1"), &a));
	CHECK(addr_parse(SK_LIT("::ffff:10.1.2.3"), &a));
	CHECK(addr_parse(SK_LIT("10.1.2.3"), &b));
	CHECK(addr_eq(&a, &b));
	CHECK(!addr_parse(SK_LIT("1::2::3"), &a));
	CHECK(!addr_parse(SK_LIT(":1"), &a));
	CHECK(addr_parse(SK_LIT("2001:db8:0:0:0:0:0:1"), &a));
	char buf[64];
	addr_format(&a, buf, sizeof(buf));
	CHECK(strcmp(buf, "2001:db8::1") == 0);
	CHECK(cidr_parse(SK_LIT("10.0.0.0/8"), &c));
	CHECK(cidr_contains(&c, &b));
	CHECK(cidr_parse(SK_LIT("10.1.2.0/25"), &c));
	CHECK(cidr_contains(&c, &b));
	CHECK(cidr_parse(SK_LIT("10.1.2.128/25"), &c));
	CHECK(!cidr_contains(&c, &b));
	CHECK(!cidr_parse(SK_LIT("10.0.0.0/33"), &c));
	CHECK(cidr_parse(SK_LIT("::/0"), &c));
	CHECK(cidr_contains(&c, &b));
}

int main(void)
{
	http_limits_default(&lim);
	RUN(test_contains_and_selectors);
	RUN(test_regex_and_negation);
	RUN(test_ip_and_allow);
	RUN(test_many_rules);
	RUN(test_bad_rules);
	RUN(test_addr);
	ruleset_free(last_rules);
	return harness_done("rules");
}
