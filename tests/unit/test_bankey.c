/* test_bankey.c - operator input into ban keys (lib/guard/bankey.c): the
 * canonical spellings and the refusals from tests/data/bankey/, TTLs,
 * reasons, and the bodies of POST /bans in JSON and form encoding. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sekisho/bankey.h"

static void one_valid(const harness_line *l, void *ctx)
{
	(void)ctx;
	const char *sep = strstr(l->buf, " => ");
	if (!sep) {
		harness_fail("line without ' => '", l->buf, l->len);
		harness_count(0);
		return;
	}
	size_t in_len = (size_t)(sep - l->buf);
	const char *want = sep + 4;
	size_t want_len = l->len - in_len - 4;
	bankey k;
	const char *why = NULL;
	bool ok = bankey_parse(sk_slice_make(l->buf, in_len), &k, &why);
	bool good = ok && k.len == want_len && memcmp(k.text, want, want_len) == 0 && strlen(k.text) == k.len;
	if (!good)
		harness_fail(ok ? "wrong canonical key for" : why, l->buf, l->len);
	harness_count(good);
	/* The canonical key parses to itself. */
	if (ok) {
		bankey again;
		bool same = bankey_parse(sk_slice_make(k.text, k.len), &again, &why) &&
			    strcmp(again.text, k.text) == 0 && again.kind == k.kind;
		if (!same)
			harness_fail("canonical key does not parse to itself", k.text, k.len);
		harness_count(same);
	}
}

static void one_invalid(const harness_line *l, void *ctx)
{
	(void)ctx;
	bankey k;
	const char *why = NULL;
	bool ok = bankey_parse(sk_slice_make(l->buf, l->len), &k, &why);
	if (ok)
		harness_fail("accepted", l->buf, l->len);
	harness_count(!ok && why && why[0]);
}

static void test_data_files(void)
{
	CHECK(harness_each_line("bankey/valid.txt", one_valid, NULL) >= 20);
	CHECK(harness_each_line("bankey/invalid.txt", one_invalid, NULL) >= 30);
}

static void test_kinds_and_prefixes(void)
{
	bankey k;
	const char *why;
	CHECK(bankey_parse(SK_LIT("192.0.2.7"), &k, &why));
	CHECK_INT(k.kind, BANKEY_IP);
	CHECK(k.v4);
	CHECK_INT(k.net.bits, 128);
	CHECK_INT(k.net.addr.b[15], 7);
	CHECK(bankey_parse(SK_LIT("192.0.2.0/24"), &k, &why));
	CHECK_INT(k.kind, BANKEY_NET);
	CHECK(k.v4);
	CHECK_INT(k.net.bits, 120);
	CHECK(bankey_parse(SK_LIT("2001:db8:1:2::/64"), &k, &why));
	CHECK_INT(k.kind, BANKEY_NET);
	CHECK(!k.v4);
	CHECK_INT(k.net.bits, 64);
	CHECK(bankey_parse(SK_LIT("acct:bob"), &k, &why));
	CHECK_INT(k.kind, BANKEY_ACCT);
	/* the longest account that fits, and one byte more */
	char buf[BANKEY_MAX + 1];
	memcpy(buf, "acct:", 5);
	memset(buf + 5, 'x', sizeof(buf) - 5);
	CHECK(bankey_parse(sk_slice_make(buf, BANKEY_MAX - 1), &k, &why));
	CHECK_INT(k.len, BANKEY_MAX - 1);
	CHECK(!bankey_parse(sk_slice_make(buf, BANKEY_MAX), &k, &why));
	/* the longest IPv6 network key fits */
	CHECK(bankey_parse(SK_LIT("ffff:ffff:ffff:ffff::/64"), &k, &why));
	CHECK(strcmp(k.text, "net:ffff:ffff:ffff:ffff::/64") == 0);
}

static void test_ttl(void)
{
	uint32_t s = 0;
	const char *why;
	CHECK(bankey_ttl_parse(SK_LIT("3600"), &s, &why) && s == 3600);
	CHECK(bankey_ttl_parse(SK_LIT("90s"), &s, &why) && s == 90);
	CHECK(bankey_ttl_parse(SK_LIT("15m"), &s, &why) && s == 900);
	CHECK(bankey_ttl_parse(SK_LIT("1h"), &s, &why) && s == 3600);
	CHECK(bankey_ttl_parse(SK_LIT("30d"), &s, &why) && s == BANKEY_TTL_MAX_S);
	CHECK(bankey_ttl_parse(SK_LIT("1"), &s, &why) && s == 1);
	CHECK(!bankey_ttl_parse(SK_LIT("31d"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("2592001"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("0"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("0s"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT(""), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("h"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("-1"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("1.5h"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("1 h"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("1w"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("99999999999999999999"), &s, &why));
	CHECK(!bankey_ttl_parse(SK_LIT("4294967296"), &s, &why));
}

static void test_reason(void)
{
	const char *why;
	CHECK(bankey_reason_ok(SK_LIT("brute force on /login"), &why));
	CHECK(!bankey_reason_ok(SK_LIT("\xe7\xb7\x8f\xe5"), &why));
	CHECK(bankey_reason_ok(SK_LIT("\xe7\xb7\x8f\xe5\x8f\x96"), &why));
	CHECK(!bankey_reason_ok(SK_LIT(""), &why));
	CHECK(!bankey_reason_ok(SK_LIT("a\r\nX-Injected: 1"), &why));
	char r[STATE_REASON_MAX + 1];
	memset(r, 'r', sizeof(r));
	CHECK(bankey_reason_ok(sk_slice_make(r, STATE_REASON_MAX), &why));
	CHECK(!bankey_reason_ok(sk_slice_make(r, STATE_REASON_MAX + 1), &why));
}

static bool req(const char *ct, const char *body, bool del, ban_request *out, const char **why)
{
	arena *a = arena_new(64 * 1024);
	bool ok = ban_request_parse(sk_slice_make(ct, strlen(ct)), sk_slice_make(body, strlen(body)), del, a, out,
				    why);
	arena_free(a);
	return ok;
}

static void test_request_bodies(void)
{
	ban_request r;
	const char *why = NULL;
	const char *json = "application/json";
	const char *form = "application/x-www-form-urlencoded";
	CHECK(req(json, "{\"key\":\"127.0.0.9\",\"ttl\":\"2m\",\"reason\":\"manual\"}", false, &r, &why));
	CHECK(strcmp(r.key.text, "ip:127.0.0.9") == 0 && r.ttl_s == 120 && strcmp(r.reason, "manual") == 0);
	CHECK(req("application/json; charset=utf-8", " {\"ttl\": 45, \"key\": \"net:10.1.2.0/24\"}\n", false, &r,
		  &why));
	CHECK(strcmp(r.key.text, "net:10.1.2.0/24") == 0 && r.ttl_s == 45 && r.reason[0] == '\0');
	CHECK(req(json, "{\"key\":\"acct:alice\"}", false, &r, &why));
	CHECK(r.ttl_s == BANKEY_TTL_DEFAULT_S);
	CHECK(req(form, "key=10.0.0.0%2F24&ttl=1h&reason=scan+from+here", false, &r, &why));
	CHECK(strcmp(r.key.text, "net:10.0.0.0/24") == 0 && r.ttl_s == 3600 && strcmp(r.reason, "scan from here") == 0);
	CHECK(req(json, "{\"key\":\"ip:10.0.0.1\"}", true, &r, &why));

	/* refused */
	CHECK(!req(json, "{}", false, &r, &why) && strstr(why, "required"));
	CHECK(!req(json, "[{\"key\":\"10.0.0.1\"}]", false, &r, &why));
	CHECK(!req(json, "\"10.0.0.1\"", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\"", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\"} x", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"key\":\"10.0.0.2\"}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"extra\":1}", false, &r, &why) && strstr(why, "unknown"));
	CHECK(!req(json, "{\"key\":{\"a\":\"10.0.0.1\"}}", false, &r, &why));
	CHECK(!req(json, "{\"key\":10}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"reason\":true}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"reason\":\"a\\nb\"}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\\u0000\"}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"ttl\":-5}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"ttl\":1e3}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1/8\"}", false, &r, &why));
	CHECK(!req(json, "{\"key\":\"10.0.0.1\",\"ttl\":60}", true, &r, &why));
	CHECK(!req(json, "{\"k$ey\":\"10.0.0.1\"}", false, &r, &why));
	CHECK(!req(form, "key=10.0.0.1&key=10.0.0.2", false, &r, &why));
	CHECK(!req(form, "key=10.0.0.1&reason=a%0Db", false, &r, &why));
	CHECK(!req(form, "key=10.0.0.1%252F", false, &r, &why));
	CHECK(!req(form, "key[x]=10.0.0.1", false, &r, &why));
	CHECK(!req("text/plain", "key=10.0.0.1", false, &r, &why) && strstr(why, "Content-Type"));
	CHECK(!req("application/jsonx", "{\"key\":\"10.0.0.1\"}", false, &r, &why));
	CHECK(!req("", "{\"key\":\"10.0.0.1\"}", false, &r, &why));
	CHECK(!req(json, "", false, &r, &why));
}

int main(void)
{
	RUN(test_data_files);
	RUN(test_kinds_and_prefixes);
	RUN(test_ttl);
	RUN(test_reason);
	RUN(test_request_bodies);
	return harness_done("bankey");
}
