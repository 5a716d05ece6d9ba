/* test_gate.c - pure helpers of the TOTP gate (lib/guard/gate.c): gated
 * path matching, the no-open-redirect rule, our cookie stripped from a
 * Cookie header, the CSRF token and key derivation. */
#include <string.h>

#include "harness.h"
#include "sekisho/gate.h"

static sk_slice S(const char *s)
{
	return sk_slice_make(s, strlen(s));
}

static void test_path_under(void)
{
	CHECK(gate_path_under(S("/admin/"), S("/admin")));
	CHECK(gate_path_under(S("/admin/"), S("/admin/")));
	CHECK(gate_path_under(S("/admin/"), S("/admin/users/1")));
	CHECK(gate_path_under(S("/admin"), S("/admin/x")));
	CHECK(gate_path_under(S("/admin"), S("/ADMIN/x")));
	CHECK(gate_path_under(S("/Admin/"), S("/aDmIn")));
	CHECK(!gate_path_under(S("/admin/"), S("/administrator")));
	CHECK(!gate_path_under(S("/admin"), S("/adm")));
	CHECK(!gate_path_under(S("/admin"), S("/")));
	CHECK(!gate_path_under(S("/admin"), S("/public/admin")));
	CHECK(gate_path_under(S("/"), S("/")));
	CHECK(gate_path_under(S("/"), S("/anything")));
	CHECK(gate_path_under(S("/a/b/"), S("/a/b/c")));
	CHECK(!gate_path_under(S("/a/b/"), S("/a/bc")));
	CHECK(!gate_path_under(S(""), S("/x")));
	CHECK(!gate_path_under(S("admin"), S("admin")));
}

static void test_next(void)
{
	CHECK(gate_next_ok(S("/")));
	CHECK(gate_next_ok(S("/admin/")));
	CHECK(gate_next_ok(S("/admin/x?y=1&z=%2F%2Fevil")));
	CHECK(!gate_next_ok(S("")));
	CHECK(!gate_next_ok(S("//evil.example/")));
	CHECK(!gate_next_ok(S("/\\evil.example/")));
	CHECK(!gate_next_ok(S("https://evil.example/")));
	CHECK(!gate_next_ok(S("evil.example")));
	CHECK(!gate_next_ok(S("/a\\b")));
	CHECK(!gate_next_ok(S("/a\r\nSet-Cookie: x=1")));
	CHECK(!gate_next_ok(S("/a b")));
	CHECK(!gate_next_ok(S("/a\tb")));
	CHECK(!gate_next_ok(S("/\xe9\x96\xa2")));
	CHECK(!gate_next_ok(sk_slice_make("/a\0b", 4)));
	char big[GATE_NEXT_MAX + 2];
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	CHECK(gate_next_ok(sk_slice_make(big, GATE_NEXT_MAX)));
	CHECK(!gate_next_ok(sk_slice_make(big, GATE_NEXT_MAX + 1)));
}

static void strip_case(const char *in, const char *name, const char *want)
{
	char out[256];
	long n = gate_cookie_strip(S(in), S(name), out, sizeof(out));
	CHECK(n >= 0);
	if (n >= 0 && ((size_t)n != strlen(want) || memcmp(out, want, (size_t)n) != 0))
		harness_fail("strip", in, strlen(in));
}

static void test_cookie_strip(void)
{
	strip_case("sekisho_gate=abc", "sekisho_gate", "");
	strip_case("a=1; sekisho_gate=abc; b=2", "sekisho_gate", "a=1; b=2");
	strip_case("sekisho_gate=abc;b=2", "sekisho_gate", "b=2");
	strip_case("a=1;sekisho_gate=x;sekisho_gate=y", "sekisho_gate", "a=1");
	strip_case(" a=1 ;  sekisho_gate = x ; b ", "sekisho_gate", "a=1; b");
	strip_case("sekisho_gatex=1; xsekisho_gate=2", "sekisho_gate", "sekisho_gatex=1; xsekisho_gate=2");
	strip_case("a=1;;", "sekisho_gate", "a=1");
	strip_case("sekisho_gate", "sekisho_gate", "");
	strip_case("", "sekisho_gate", "");
	/* "; " joins: the output may grow by one byte per separator, and a
	 * small cap is refused, not overrun */
	char out[16];
	CHECK_INT(gate_cookie_strip(S("a=1;b=2;c"), S("x"), out, 9 + 9 / 2 + 1), 11);
	CHECK_INT(gate_cookie_strip(S("a=1;b=2"), S("x"), out, 7), -1);
}

static void test_csrf(void)
{
	uint8_t key[GATE_KEY_LEN], other[GATE_KEY_LEN];
	static const uint8_t master[32] = { 1, 2, 3, 4, 5 };
	CHECK(gate_derive_key(master, sizeof(master), "sekisho gate csrf", key));
	CHECK(gate_derive_key(master, sizeof(master), "sekisho gate session", other));
	CHECK(memcmp(key, other, GATE_KEY_LEN) != 0);
	uint8_t nonce[GATE_CSRF_NONCE_LEN] = { 0xde, 0xad, 0xbe, 0xef };
	char cookie[GATE_CSRF_COOKIE_LEN + 1], cookie2[GATE_CSRF_COOKIE_LEN + 1];
	gate_csrf_cookie(nonce, cookie);
	CHECK_INT(strlen(cookie), GATE_CSRF_COOKIE_LEN);
	CHECK(strncmp(cookie, "deadbeef0000", 12) == 0);
	nonce[15] = 1;
	gate_csrf_cookie(nonce, cookie2);
	char tok[GATE_CSRF_TOKEN_MAX];
	long n = gate_csrf_token(key, sizeof(key), S(cookie), 1000, tok);
	CHECK(n > 0 && (size_t)n == strlen(tok));
	CHECK(strncmp(tok, "1000.", 5) == 0);
	CHECK(gate_csrf_verify(key, sizeof(key), S(cookie), S(tok), 999));
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), S(tok), 1000));  /* expired */
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie2), S(tok), 999));  /* other cookie */
	CHECK(!gate_csrf_verify(other, sizeof(other), S(cookie), S(tok), 999)); /* other key */
	/* a later expiry with the old MAC */
	char forged[GATE_CSRF_TOKEN_MAX];
	memcpy(forged, tok, sizeof(forged));
	forged[0] = '9';
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), S(forged), 999));
	/* a leading zero is not the canonical form */
	char lead[GATE_CSRF_TOKEN_MAX + 1] = "0";
	memcpy(lead + 1, tok, strlen(tok) + 1);
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), S(lead), 999));
	/* a flipped MAC digit, truncated, empty, garbage */
	tok[n - 1] = tok[n - 1] == '0' ? '1' : '0';
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), S(tok), 999));
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), sk_slice_make(tok, (size_t)n - 1), 999));
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), S(""), 0));
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie), S("."), 0));
	CHECK(!gate_csrf_verify(key, sizeof(key), S(""), S("1000.x"), 0));
	/* cookies must be hex of the nonce length */
	CHECK(gate_csrf_token(key, sizeof(key), S("short"), 1000, tok) < 0);
	CHECK(gate_csrf_token(key, sizeof(key), S("DEADBEEF00000000000000000000000Z"), 1000, tok) < 0);
	/* overflowing expiry refused */
	CHECK(!gate_csrf_verify(key, sizeof(key), S(cookie),
				S("99999999999999999999.0000000000000000000000000000000000000000000000000000000000000000"), 0));
}

int main(void)
{
	RUN(test_path_under);
	RUN(test_next);
	RUN(test_cookie_strip);
	RUN(test_csrf);
	return harness_done("gate");
}
