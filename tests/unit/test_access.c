/* test_access.c - address and country rules (lib/guard/access.c).
 *
 * tests/data/access/cases.txt holds the decisions (one request per line:
 * rule set, address, path, country, expected reason and description)
 * against the rule set built here. The range tables are checked against a
 * plain scan of the same CIDRs (the innermost containing block) on random
 * and edge-case lists.
 */
#include <stdint.h>

#include "harness.h"
#include "sekisho/access.h"

static sk_cidr C(const char *s)
{
	sk_cidr c;
	if (!cidr_parse(sk_slice_make(s, strlen(s)), &c)) {
		harness_fail("bad CIDR in the test", s, strlen(s));
		memset(&c, 0, sizeof(c));
	}
	return c;
}

static access_rules *case_rules(bool unknown_deny, bool global_countries)
{
	sk_cidr gdeny[] = { C("203.0.113.0/24"), C("198.51.100.7"), C("2001:db8:bad::/48"), C("203.0.113.128/25") };
	sk_country gcdeny[] = { SK_COUNTRY('C', 'N'), SK_COUNTRY('K', 'P') };
	access_spec global = { .deny = gdeny, .ndeny = 4, .countries_deny = gcdeny,
			       .ncountries_deny = global_countries ? 2 : 0 };
	sk_cidr admin_allow[] = { C("10.0.0.0/8"), C("2001:db8:1::/48") };
	sk_country jp[] = { SK_COUNTRY('J', 'P') };
	sk_country ru[] = { SK_COUNTRY('R', 'U') };
	sk_country us[] = { SK_COUNTRY('U', 'S') };
	sk_cidr partner[] = { C("192.0.2.0/24") };
	sk_cidr api_deny[] = { C("10.66.0.0/16") };
	access_spec paths[] = {
		{ .prefix = "/admin/", .allow = admin_allow, .nallow = 2, .countries_allow = jp, .ncountries_allow = 1 },
		{ .prefix = "/api/", .deny = api_deny, .ndeny = 1 },
		{ .prefix = "/admin/public/", .countries_deny = ru, .ncountries_deny = 1 },
		{ .prefix = "/jp-only/", .countries_allow = jp, .ncountries_allow = 1 },
		{ .prefix = "/partner/", .allow = partner, .nallow = 1, .countries_deny = us, .ncountries_deny = 1 },
	};
	return access_compile(&global, paths, 5, unknown_deny);
}

static access_rules *set_a, *set_b, *set_c;

static sk_slice field(char **p)
{
	char *s = *p, *bar = strstr(s, " | ");
	size_t n = bar ? (size_t)(bar - s) : strlen(s);
	*p = bar ? bar + 3 : s + n;
	while (n && s[n - 1] == ' ')
		n--;
	return sk_slice_make(s, n);
}

static void one_case(const harness_line *l, void *ctx)
{
	(void)ctx;
	char *p = l->buf;
	sk_slice set = field(&p), addr = field(&p), path = field(&p), cc = field(&p), want = field(&p),
		 desc = field(&p);
	sk_addr a;
	sk_country country = SK_COUNTRY_UNKNOWN;
	bool ok = addr_parse(addr, &a) && (sk_slice_eq(cc, SK_LIT("--")) || country_parse(cc, &country));
	access_result res;
	bool admitted = ok && access_check(sk_slice_eq(set, SK_LIT("C")) ? set_c : sk_slice_eq(set, SK_LIT("B")) ? set_b : set_a, &a, path, country, &res);
	const char *why = ok ? access_reason_name(res.reason) : "(bad case line)";
	char got[256];
	access_describe(&res, got, sizeof(got));
	bool pass = ok && sk_slice_eq(want, sk_slice_make(why, strlen(why))) &&
		    admitted == (res.reason == ACCESS_ADMITTED) && sk_slice_eq(desc, sk_slice_make(got, strlen(got)));
	if (!pass) {
		char msg[600];
		snprintf(msg, sizeof(msg), "line %d: got %s / %s", l->lineno, why, got);
		harness_fail(msg, l->buf, l->len);
	}
	harness_count(pass);
}

static void test_cases(void)
{
	set_a = case_rules(false, true);
	set_b = case_rules(true, true);
	set_c = case_rules(true, false);
	CHECK(set_a && set_b && set_c);
	if (set_a && set_b && set_c)
		CHECK(harness_each_line("access/cases.txt", one_case, NULL) > 30);
	CHECK(!access_empty(set_a));
	CHECK(access_uses_countries(set_a));
	access_free(set_a);
	access_free(set_b);
	access_free(set_c);
}

static void test_countries(void)
{
	sk_country c = 0;
	CHECK(country_parse(SK_LIT("JP"), &c) && c == SK_COUNTRY('J', 'P'));
	CHECK(country_parse(SK_LIT("jp"), &c) && c == SK_COUNTRY('J', 'P'));
	CHECK(country_parse(SK_LIT("Xk"), &c) && c == SK_COUNTRY('X', 'K'));
	CHECK(country_parse(SK_LIT("NO"), &c) && c == SK_COUNTRY('N', 'O'));
	static const char *const bad[] = { "UK", "EU", "AP", "ZZ", "J", "JPN", "", "J1", "--", "\xc3\x9f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!country_parse(sk_slice_make(bad[i], strlen(bad[i])), &c));
	/* 249 assigned codes and XK */
	int n = 0;
	for (char a = 'A'; a <= 'Z'; a++)
		for (char b = 'A'; b <= 'Z'; b++) {
			char s[2] = { a, b };
			n += country_parse(sk_slice_make(s, 2), &c);
		}
	CHECK_INT(n, 250);
	char out[3];
	country_format(SK_COUNTRY('C', 'N'), out);
	CHECK(strcmp(out, "CN") == 0);
	country_format(SK_COUNTRY_UNKNOWN, out);
	CHECK(strcmp(out, "--") == 0);
}

static void test_empty(void)
{
	access_spec none = { 0 };
	access_spec only_prefix = { .prefix = "/admin/" };
	access_rules *r = access_compile(&none, &only_prefix, 1, true);
	CHECK(r != NULL);
	CHECK(access_empty(r));
	CHECK(!access_uses_countries(r));
	sk_addr a;
	CHECK(addr_parse(SK_LIT("1.2.3.4"), &a));
	access_result res;
	CHECK(access_check(r, &a, SK_LIT("/admin/"), SK_COUNTRY_UNKNOWN, &res));
	CHECK_INT(res.reason, ACCESS_ADMITTED);
	access_free(r);
	CHECK(access_empty(NULL));
	access_free(NULL);
}

/* A NULL path applies the global rule alone (connection accept time). */
static void test_global_only(void)
{
	access_rules *r = case_rules(false, true);
	sk_addr a;
	CHECK(addr_parse(SK_LIT("5.6.7.8"), &a));
	CHECK(access_check(r, &a, SK_SLICE_NULL, SK_COUNTRY('U', 'S'), NULL));
	CHECK(!access_check(r, &a, SK_LIT("/admin/"), SK_COUNTRY('U', 'S'), NULL));
	CHECK(!access_check(r, &a, SK_SLICE_NULL, SK_COUNTRY('C', 'N'), NULL));
	access_free(r);
}

/* ---- range tables against a plain scan ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The innermost (longest) entry containing a, by scanning; -1 if none. */
static int scan(const sk_cidr *l, size_t n, const sk_addr *a)
{
	int best = -1;
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&l[i], a) && (best < 0 || l[i].bits > l[best].bits))
			best = (int)i;
	return best;
}

static void random_addr(sk_addr *a, const sk_cidr *near)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 16; i++)
		a->b[i] = (uint8_t)rnd();
	if (near) {
		/* Inside or just around a listed block: keep its first bits. */
		unsigned keep = near->bits > 0 ? near->bits - (unsigned)(rnd() % 2) : 0;
		for (unsigned bit = 0; bit < keep; bit++) {
			uint8_t m = (uint8_t)(0x80 >> (bit % 8));
			a->b[bit / 8] = (uint8_t)((a->b[bit / 8] & ~m) | (near->addr.b[bit / 8] & m));
		}
	}
}

static void compare_lists(const sk_cidr *l, size_t n, int probes)
{
	access_spec g = { .deny = l, .ndeny = n };
	access_rules *r = access_compile(&g, NULL, 0, false);
	CHECK(r != NULL);
	if (!r)
		return;
	int bad = 0;
	for (int i = 0; i < probes; i++) {
		sk_addr a;
		random_addr(&a, n && (i % 4) ? &l[rnd() % n] : NULL);
		int want = scan(l, n, &a);
		access_result res;
		bool admitted = access_check(r, &a, SK_SLICE_NULL, SK_COUNTRY_UNKNOWN, &res);
		bool ok = want < 0 ? admitted && !res.has_cidr
				   : !admitted && res.has_cidr && res.cidr.bits == l[want].bits &&
					     cidr_contains(&res.cidr, &a);
		if (!ok && bad++ < 3) {
			char t[64];
			addr_format(&a, t, sizeof(t));
			harness_fail("range table disagrees with a scan at", t, strlen(t));
		}
	}
	access_free(r);
}

static void test_tables(void)
{
	/* nested, adjacent, duplicated, host bits set, the whole space, the top */
	sk_cidr edge[] = { C("::/0"), C("10.0.0.0/8"), C("10.0.0.0/8"), C("10.1.2.3/16"), C("10.1.2.0/24"),
			   C("10.1.2.255"), C("11.0.0.0/8"), C("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			   C("ffff::/16"), C("::ffff:0:0/96"), C("0.0.0.0/0"), C("::") };
	compare_lists(edge, sizeof(edge) / sizeof(edge[0]), 20000);
	compare_lists(edge + 1, 5, 5000);
	compare_lists(edge + 7, 2, 5000);
	static sk_cidr many[6000];
	for (int round = 0; round < 4; round++) {
		size_t n = round == 0 ? 1 : round == 1 ? 17 : round == 2 ? 500 : 6000;
		for (size_t i = 0; i < n; i++) {
			sk_addr a;
			random_addr(&a, i && rnd() % 3 == 0 ? &many[rnd() % i] : NULL);
			bool v4 = rnd() % 2;
			if (v4) {
				memset(a.b, 0, 10);
				a.b[10] = a.b[11] = 0xff;
			}
			many[i].addr = a;
			many[i].bits = v4 ? 96 + (unsigned)(rnd() % 33) : (unsigned)(rnd() % 129);
		}
		compare_lists(many, n, 20000);
	}
}

static void test_describe(void)
{
	access_result res = { .reason = ACCESS_DENY_ADDRESS, .has_cidr = true, .cidr = C("2001:db8::/32") };
	char b[128];
	access_describe(&res, b, sizeof(b));
	CHECK(strcmp(b, "access.deny 2001:db8::/32") == 0);
	res.prefix = "/a/";
	access_describe(&res, b, sizeof(b));
	CHECK(strcmp(b, "access.paths[/a/].deny 2001:db8::/32") == 0);
	/* cut, and still terminated */
	CHECK_INT(access_describe(&res, b, 8), 7);
	CHECK(strcmp(b, "access.") == 0);
	CHECK(strcmp(access_reason_name(ACCESS_NOT_ALLOWED), "not_allowed") == 0);
}

int main(void)
{
	RUN(test_countries);
	RUN(test_cases);
	RUN(test_empty);
	RUN(test_global_only);
	RUN(test_tables);
	RUN(test_describe);
	return harness_done("access");
}
