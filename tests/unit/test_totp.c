/* test_totp.c - base32, HOTP/TOTP, the secrets file and the session cookie.
 *
 * Data files under tests/data/totp/: the RFC 4226 Appendix D and RFC 6238
 * Appendix B vectors, the RFC 4648 base32 vectors, strings the strict
 * base32 decoder refuses and secrets files the store parser refuses (with
 * the line and column each error must name). Each line is one case.
 */
#include <stdint.h>

#include "harness.h"
#include "sekisho/totp.h"

/* RFC 6238 Appendix B seeds: "1234567890" repeated to the hash's size. */
static void rfc_key(totp_key *k, totp_alg alg, unsigned digits)
{
	static const char seed[] = "1234567890123456789012345678901234567890123456789012345678901234";
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	k->digits = digits;
	k->secret_len = alg == TOTP_SHA1 ? 20 : alg == TOTP_SHA256 ? 32 : 64;
	memcpy(k->secret, seed, k->secret_len);
}

static void code_of(const totp_key *k, uint64_t step, char out[9])
{
	uint32_t v = 0;
	CHECK_INT(hotp_value(k, step, &v), SK_OK);
	totp_format(v, k->digits, out);
}

/* ---- data-driven vectors ---- */

static void rfc4226_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	char *sp = strchr(l->buf, ' ');
	unsigned long long counter;
	if (!sp || !sk_slice_to_u64(sk_slice_make(l->buf, (size_t)(sp - l->buf)), UINT64_MAX, &counter)) {
		harness_fail("bad data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	totp_key k;
	rfc_key(&k, TOTP_SHA1, 6);
	char got[9];
	code_of(&k, counter, got);
	int ok = strcmp(got, sp + 1) == 0;
	if (!ok)
		harness_fail("rfc4226 vector", l->buf, l->len);
	harness_count(ok);
}

static void rfc6238_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	char *s1 = strchr(l->buf, ' ');
	char *s2 = s1 ? strchr(s1 + 1, ' ') : NULL;
	unsigned long long t;
	totp_alg alg;
	if (!s2 || !sk_slice_to_u64(sk_slice_make(l->buf, (size_t)(s1 - l->buf)), UINT64_MAX, &t) ||
	    !totp_alg_parse(sk_slice_make(s1 + 1, (size_t)(s2 - s1 - 1)), &alg)) {
		harness_fail("bad data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	totp_key k;
	rfc_key(&k, alg, 8);
	char got[9];
	code_of(&k, totp_step(t), got);
	int ok = strcmp(got, s2 + 1) == 0;
	/* The same code passes totp_verify at that time, fresh. */
	uint64_t m = 0;
	ok = ok && totp_verify(&k, sk_slice_make(s2 + 1, strlen(s2 + 1)), t, 0, &m) == TOTP_OK &&
	     m == totp_step(t);
	if (!ok)
		harness_fail("rfc6238 vector", l->buf, l->len);
	harness_count(ok);
}

static void base32_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	const char *bar = memchr(l->buf, '|', l->len);
	if (!bar) {
		harness_fail("bad data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	size_t rn = (size_t)(bar - l->buf);
	const char *enc = bar + 1;
	size_t en = l->len - rn - 1;
	size_t un = en;
	while (un && enc[un - 1] == '=')
		un--;
	char out[64];
	uint8_t dec[64];
	sk_error e;
	int ok = base32_encoded_len(rn, true) == en && base32_encoded_len(rn, false) == un;
	/* padded and unpadded encodings */
	size_t n = base32_encode((const uint8_t *)l->buf, rn, true, out, sizeof(out));
	ok = ok && n == en && memcmp(out, enc, n) == 0;
	n = base32_encode((const uint8_t *)l->buf, rn, false, out, sizeof(out));
	ok = ok && n == un && memcmp(out, enc, n) == 0;
	/* and back, both ways */
	long d = base32_decode(sk_slice_make(enc, en), true, dec, sizeof(dec), &e);
	ok = ok && d == (long)rn && memcmp(dec, l->buf, rn) == 0;
	d = base32_decode(sk_slice_make(enc, un), false, dec, sizeof(dec), &e);
	ok = ok && d == (long)rn && memcmp(dec, l->buf, rn) == 0;
	/* a capacity one short fails cleanly */
	if (rn > 0) {
		ok = ok && base32_decode(sk_slice_make(enc, un), false, dec, rn - 1, &e) == SK_ERR;
		ok = ok && base32_encode((const uint8_t *)l->buf, rn, false, out, un - 1) == 0;
	}
	if (!ok)
		harness_fail("base32 vector", l->buf, l->len);
	harness_count(ok);
}

static void base32_bad_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	if (l->len < 2 || l->buf[1] != '|') {
		harness_fail("bad data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	bool pad = l->buf[0] == 'p';
	uint8_t dec[64];
	sk_error e = { NULL, 0, 0 };
	long d = base32_decode(sk_slice_make(l->buf + 2, l->len - 2), pad, dec, sizeof(dec), &e);
	int ok = d == SK_ERR && e.rule != NULL && e.offset <= l->len - 2;
	if (!ok)
		harness_fail("base32 accepted a bad string", l->buf, l->len);
	harness_count(ok);
}

static void store_bad_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	const char *bar = memchr(l->buf, '|', l->len);
	char *sp = strchr(l->buf, ' ');
	unsigned long long wl, wc;
	if (!bar || !sp || sp > bar || !sk_slice_to_u64(sk_slice_make(l->buf, (size_t)(sp - l->buf)), 1000, &wl) ||
	    !sk_slice_to_u64(sk_slice_make(sp + 1, (size_t)(bar - sp - 1)), 1000, &wc)) {
		harness_fail("bad data line", l->buf, l->len);
		harness_count(0);
		return;
	}
	size_t off = (size_t)(bar - l->buf) + 1;
	arena *a = arena_new(1 << 20);
	totp_store s = { NULL, 0, 0 };
	totp_store_error e = { NULL, 0, 0 };
	int rc = totp_store_parse(sk_slice_make(l->buf + off, l->len - off), a, &s, &e);
	int ok = rc == SK_ERR && e.rule && e.line == wl && e.col == wc;
	if (!ok) {
		fprintf(stderr, "  got rc %d line %zu col %zu (%s), want %llu:%llu\n", rc, e.line, e.col,
			e.rule ? e.rule : "-", wl, wc);
		harness_fail("store error", l->buf, l->len);
	}
	harness_count(ok);
	arena_free(a);
}

/* ---- HOTP/TOTP edges ---- */

static void test_format(void)
{
	char b[9];
	totp_format(7, 6, b);
	CHECK(strcmp(b, "000007") == 0);
	totp_format(7081804, 8, b);
	CHECK(strcmp(b, "07081804") == 0);
	totp_format(0, 6, b);
	CHECK(strcmp(b, "000000") == 0);
	totp_alg alg;
	CHECK(totp_alg_parse(SK_LIT("SHA256"), &alg) && alg == TOTP_SHA256);
	CHECK(!totp_alg_parse(SK_LIT("sha256"), &alg));
	CHECK(!totp_alg_parse(SK_LIT("SHA2"), &alg));
	CHECK(strcmp(totp_alg_name(TOTP_SHA512), "SHA512") == 0);
	CHECK_INT(totp_step(59), 1);
	CHECK_INT(totp_step(60), 2);
}

/* At both ends of a step, the codes of the step before, the step and the
 * step after pass; two steps away they do not. */
static void test_window(void)
{
	for (int alg = TOTP_SHA1; alg <= TOTP_SHA512; alg++) {
		totp_key k;
		rfc_key(&k, (totp_alg)alg, alg == TOTP_SHA256 ? 8 : 6);
		const uint64_t s = 55555555;
		for (uint64_t now = s * 30; now < s * 30 + 30; now += 29) {
			for (int d = -3; d <= 3; d++) {
				char c[9];
				code_of(&k, s + (uint64_t)(int64_t)d, c);
				uint64_t m = 0;
				int rc = totp_verify(&k, sk_slice_make(c, k.digits), now, 0, &m);
				if (d >= -1 && d <= 1) {
					CHECK_INT(rc, TOTP_OK);
					CHECK_INT(m, s + (uint64_t)(int64_t)d);
				} else {
					CHECK_INT(rc, TOTP_WRONG);
				}
			}
		}
		/* one second before the step starts, the step after is two away */
		char c[9];
		uint64_t m;
		code_of(&k, s + 1, c);
		CHECK_INT(totp_verify(&k, sk_slice_make(c, k.digits), s * 30 - 1, 0, &m), TOTP_WRONG);
		code_of(&k, s - 1, c);
		CHECK_INT(totp_verify(&k, sk_slice_make(c, k.digits), s * 30 + 30, 0, &m), TOTP_WRONG);
		CHECK_INT(totp_verify(&k, sk_slice_make(c, k.digits), s * 30 + 29, 0, &m), TOTP_OK);
	}
}

/* A used step and everything before it are refused; later ones pass. */
static void test_replay(void)
{
	totp_key k;
	rfc_key(&k, TOTP_SHA1, 6);
	const uint64_t s = 57000000, now = s * 30 + 10;
	char cur[9], prev[9], next[9];
	code_of(&k, s, cur);
	code_of(&k, s - 1, prev);
	code_of(&k, s + 1, next);
	uint64_t m = 0;
	/* first use */
	CHECK_INT(totp_verify(&k, sk_slice_make(cur, 6), now, s - 1, &m), TOTP_OK);
	CHECK_INT(m, s);
	/* the same code again, with last_used_step = s as the caller stored */
	m = 0;
	CHECK_INT(totp_verify(&k, sk_slice_make(cur, 6), now, s, &m), TOTP_REPLAY);
	CHECK_INT(m, s);
	/* and on the next step, while it is still in the window */
	CHECK_INT(totp_verify(&k, sk_slice_make(cur, 6), now + 30, s, &m), TOTP_REPLAY);
	/* an older code after a newer one was used */
	CHECK_INT(totp_verify(&k, sk_slice_make(prev, 6), now, s, &m), TOTP_REPLAY);
	/* the next step's code is still fresh */
	CHECK_INT(totp_verify(&k, sk_slice_make(next, 6), now, s, &m), TOTP_OK);
	CHECK_INT(m, s + 1);
	/* after the future step was used, the current one is stale */
	CHECK_INT(totp_verify(&k, sk_slice_make(cur, 6), now, s + 1, &m), TOTP_REPLAY);
	/* a wrong code is wrong, not a replay, whatever last_used_step is */
	CHECK_INT(totp_verify(&k, SK_LIT("000000"), now, s + 1, &m) == TOTP_WRONG ||
			  strcmp(cur, "000000") == 0, 1);
	/* at the very start of time there is no step -1 */
	code_of(&k, 0, cur);
	CHECK_INT(totp_verify(&k, sk_slice_make(cur, 6), 0, 0, &m), TOTP_REPLAY);
	code_of(&k, 1, cur);
	CHECK_INT(totp_verify(&k, sk_slice_make(cur, 6), 0, 0, &m), TOTP_OK);
	CHECK_INT(m, 1);
}

static void test_code_shape(void)
{
	totp_key k;
	rfc_key(&k, TOTP_SHA1, 6);
	char c[9];
	uint64_t m;
	const uint64_t now = 1111111111;
	code_of(&k, totp_step(now), c);
	CHECK_INT(totp_verify(&k, sk_slice_make(c, 6), now, 0, &m), TOTP_OK);
	CHECK_INT(totp_verify(&k, sk_slice_make(c, 5), now, 0, &m), TOTP_WRONG);
	char longer[10];
	memcpy(longer, c, 6);
	longer[6] = '0';
	CHECK_INT(totp_verify(&k, sk_slice_make(longer, 7), now, 0, &m), TOTP_WRONG);
	char sp[7];
	memcpy(sp, c, 6);
	sp[5] = ' ';
	CHECK_INT(totp_verify(&k, sk_slice_make(sp, 6), now, 0, &m), TOTP_WRONG);
	CHECK_INT(totp_verify(&k, SK_SLICE_NULL, now, 0, &m), TOTP_WRONG);
	/* an 8-digit key does not take the 6-digit code */
	totp_key k8;
	rfc_key(&k8, TOTP_SHA1, 8);
	CHECK_INT(totp_verify(&k8, sk_slice_make(c, 6), now, 0, &m), TOTP_WRONG);
	/* unusable keys */
	k.digits = 7;
	CHECK_INT(totp_verify(&k, sk_slice_make(c, 7), now, 0, &m), TOTP_INVALID);
	k.digits = 6;
	k.secret_len = 15;
	CHECK_INT(totp_verify(&k, sk_slice_make(c, 6), now, 0, &m), TOTP_INVALID);
	k.secret_len = 65;
	CHECK_INT(totp_verify(&k, sk_slice_make(c, 6), now, 0, &m), TOTP_INVALID);
	uint32_t v;
	k.secret_len = 20;
	k.digits = 9;
	CHECK_INT(hotp_value(&k, 0, &v), SK_ERR);
}

/* ---- the secrets file ---- */

static const char good_store[] =
	"# sekisho TOTP secrets\n"
	"\n"
	"alice:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ:SHA1:6:0\n"
	"bob.smith@example-1_x:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA:SHA256:8:57412345\n"
	"# another comment\n"
	"carol:AAAAAAAAAAAAAAAAAAAAAAAAAA:SHA512:6:18446744073709551615";

static void test_store_parse(void)
{
	arena *a = arena_new(1 << 20);
	totp_store s;
	totp_store_error e = { NULL, 0, 0 };
	CHECK_INT(totp_store_parse(SK_LIT(good_store), a, &s, &e), SK_OK);
	CHECK_INT(s.n, 3);
	if (s.n == 3) {
		CHECK_SLICE(s.users[0].name, "alice");
		CHECK_INT(s.users[0].key.secret_len, 20);
		CHECK_MEM((const char *)s.users[0].key.secret, 20, "12345678901234567890");
		CHECK_INT(s.users[0].key.alg, TOTP_SHA1);
		CHECK_INT(s.users[0].key.digits, 6);
		CHECK_INT(s.users[0].line, 3);
		CHECK_SLICE(s.users[1].name, "bob.smith@example-1_x");
		CHECK_INT(s.users[1].key.secret_len, 32);
		CHECK_INT(s.users[1].key.alg, TOTP_SHA256);
		CHECK_INT(s.users[1].key.digits, 8);
		CHECK_INT(s.users[1].last_used_step, 57412345);
		CHECK_INT(s.users[2].key.secret_len, 16);
		CHECK(s.users[2].last_used_step == UINT64_MAX);
		CHECK_INT(s.users[2].line, 6);
		CHECK_INT(totp_store_find(&s, SK_LIT("carol")), 2);
		CHECK_INT(totp_store_find(&s, SK_LIT("caro")), -1);
		CHECK_INT(totp_store_find(&s, SK_LIT("Alice")), -1);
	}
	/* empty and comment-only files are empty stores */
	CHECK_INT(totp_store_parse(SK_LIT(""), a, &s, &e), SK_OK);
	CHECK_INT(s.n, 0);
	CHECK_INT(totp_store_parse(SK_LIT("# x\n\n"), a, &s, &e), SK_OK);
	CHECK_INT(s.n, 0);
	arena_free(a);
}

static void test_store_limits(void)
{
	arena *a = arena_new(16 << 20);
	totp_store s;
	totp_store_error e = { NULL, 0, 0 };
	/* a line of 513 bytes, on line 2 */
	char big[700];
	memcpy(big, "# ok\n", 5);
	memset(big + 5, '#', 513);
	CHECK_INT(totp_store_parse(sk_slice_make(big, 5 + 513), a, &s, &e), SK_ERR);
	CHECK_INT(e.line, 2);
	CHECK(e.rule && strstr(e.rule, "512"));
	/* 512 is fine */
	CHECK_INT(totp_store_parse(sk_slice_make(big, 5 + 512), a, &s, &e), SK_OK);
	/* over 1 MiB */
	size_t n = TOTP_STORE_MAX_BYTES + 1;
	char *huge = malloc(n);
	if (huge) {
		memset(huge, '\n', n);
		CHECK_INT(totp_store_parse(sk_slice_make(huge, n), a, &s, &e), SK_ERR);
		CHECK_INT(totp_store_parse(sk_slice_make(huge, n - 1), a, &s, &e), SK_OK);
		free(huge);
	}
	/* 10000 users pass, 10001 do not (line 10001) */
	size_t per = 43, cnt = TOTP_STORE_MAX_USERS + 1;
	char *many = malloc(per * cnt);
	if (many) {
		for (size_t i = 0; i < cnt; i++) {
			char line[64];
			snprintf(line, sizeof(line), "u%05zu:AAAAAAAAAAAAAAAAAAAAAAAAAA:SHA1:6:0\n", i);
			memcpy(many + i * per, line, per);
		}
		arena_reset(a);
		CHECK_INT(totp_store_parse(sk_slice_make(many, per * (cnt - 1)), a, &s, &e), SK_OK);
		CHECK_INT(s.n, TOTP_STORE_MAX_USERS);
		arena_reset(a);
		CHECK_INT(totp_store_parse(sk_slice_make(many, per * cnt), a, &s, &e), SK_ERR);
		CHECK_INT(e.line, cnt);
		free(many);
	}
	arena_free(a);
}

static void test_store_roundtrip(void)
{
	arena *a = arena_new(1 << 20);
	totp_store s, s2;
	totp_store_error e;
	CHECK_INT(totp_store_parse(SK_LIT(good_store), a, &s, &e), SK_OK);
	/* add one, refuse a duplicate, replace with force */
	totp_user u;
	memset(&u, 0, sizeof(u));
	u.name = SK_LIT("dave");
	u.key.alg = TOTP_SHA1;
	u.key.digits = 6;
	u.key.secret_len = 20;
	memset(u.key.secret, 0x5a, 20);
	CHECK_INT(totp_store_put(&s, a, &u, false), 3);
	CHECK_INT(totp_store_put(&s, a, &u, false), SK_ERR);
	u.last_used_step = 99;
	CHECK_INT(totp_store_put(&s, a, &u, true), 3);
	CHECK_INT(s.users[3].last_used_step, 99);
	CHECK_INT(s.n, 4);
	/* invalid users */
	u.name = SK_LIT("da:ve");
	CHECK_INT(totp_store_put(&s, a, &u, true), SK_ERR);
	u.name = SK_LIT("eve");
	u.key.secret_len = 10;
	CHECK_INT(totp_store_put(&s, a, &u, true), SK_ERR);
	u.key.secret_len = 20;
	u.key.digits = 7;
	CHECK_INT(totp_store_put(&s, a, &u, true), SK_ERR);

	size_t cap = totp_store_serialised_max(&s);
	char *out = malloc(cap);
	long n = out ? totp_store_serialise(&s, out, cap) : -1;
	CHECK(n > 0);
	if (n > 0) {
		CHECK(memchr(out, '\r', (size_t)n) == NULL);
		CHECK_INT(totp_store_parse(sk_slice_make(out, (size_t)n), a, &s2, &e), SK_OK);
		CHECK_INT(s2.n, s.n);
		for (size_t i = 0; i < s.n && i < s2.n; i++) {
			CHECK(sk_slice_eq(s.users[i].name, s2.users[i].name));
			CHECK_INT(s.users[i].key.secret_len, s2.users[i].key.secret_len);
			CHECK(memcmp(s.users[i].key.secret, s2.users[i].key.secret, s.users[i].key.secret_len) == 0);
			CHECK_INT(s.users[i].key.alg, s2.users[i].key.alg);
			CHECK_INT(s.users[i].key.digits, s2.users[i].key.digits);
			CHECK(s.users[i].last_used_step == s2.users[i].last_used_step);
		}
		/* too small a buffer fails, never truncates */
		CHECK_INT(totp_store_serialise(&s, out, (size_t)n - 1), SK_ERR);
		CHECK_INT(totp_store_serialise(&s, out, (size_t)n), n);
	}
	free(out);
	CHECK(totp_user_name_ok(SK_LIT("a")));
	CHECK(!totp_user_name_ok(SK_LIT("")));
	CHECK(!totp_user_name_ok(SK_LIT("a b")));
	CHECK(!totp_user_name_ok(SK_LIT("\xe5\xa4\xaa")));
	arena_free(a);
}

/* ---- session cookies ---- */

static const uint8_t skey[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t nonce[16] = "NNNNNNNNNNNNNNNN";

static void test_session_valid(void)
{
	char c[SESSION_COOKIE_MAX];
	long n = session_sign(skey, 32, SK_LIT("alice"), 2000000000, nonce, c, sizeof(c));
	CHECK(n > 0);
	if (n <= 0)
		return;
	arena *a = arena_new(4096);
	sk_slice user = SK_SLICE_NULL;
	uint64_t exp = 0;
	CHECK_INT(session_verify(skey, 32, sk_slice_make(c, (size_t)n), 1999999999, a, &user, &exp), SESSION_OK);
	CHECK_SLICE(user, "alice");
	CHECK(exp == 2000000000);
	/* fields: base64url(user).expiry.base64url(nonce).base64url(mac) */
	CHECK(memcmp(c, "YWxpY2U.2000000000.Tk5OTk5OTk5OTk5OTk5OTg.", 42) == 0);
	CHECK_INT(n, 42 + 43);
	/* no arena: the verdict only */
	CHECK_INT(session_verify(skey, 32, sk_slice_make(c, (size_t)n), 0, NULL, NULL, NULL), SESSION_OK);
	/* the longest user fits */
	char lu[TOTP_USER_MAX];
	memset(lu, 'x', sizeof(lu));
	n = session_sign(skey, 32, sk_slice_make(lu, sizeof(lu)), UINT64_MAX, nonce, c, sizeof(c));
	CHECK(n > 0 && n <= SESSION_COOKIE_MAX);
	CHECK_INT(session_verify(skey, 32, sk_slice_make(c, (size_t)n), UINT64_MAX - 1, a, &user, &exp), SESSION_OK);
	CHECK_INT(user.len, TOTP_USER_MAX);
	/* bad users and small buffers are refused when signing */
	CHECK_INT(session_sign(skey, 32, SK_LIT("a.b c"), 1, nonce, c, sizeof(c)), SESSION_MALFORMED);
	CHECK_INT(session_sign(skey, 32, SK_LIT(""), 1, nonce, c, sizeof(c)), SESSION_MALFORMED);
	CHECK_INT(session_sign(skey, 32, SK_LIT("alice"), 1, nonce, c, 20), SESSION_MALFORMED);
	arena_free(a);
}

static void test_session_expired_and_keys(void)
{
	char c[SESSION_COOKIE_MAX];
	long n = session_sign(skey, 32, SK_LIT("alice"), 1000, nonce, c, sizeof(c));
	CHECK(n > 0);
	sk_slice v = sk_slice_make(c, n > 0 ? (size_t)n : 0);
	CHECK_INT(session_verify(skey, 32, v, 999, NULL, NULL, NULL), SESSION_OK);
	CHECK_INT(session_verify(skey, 32, v, 1000, NULL, NULL, NULL), SESSION_EXPIRED);
	CHECK_INT(session_verify(skey, 32, v, 5000000000ULL, NULL, NULL, NULL), SESSION_EXPIRED);
	/* a different key of the same length, and one differing in the last byte */
	uint8_t k2[32];
	memcpy(k2, skey, 32);
	k2[31] ^= 1;
	CHECK_INT(session_verify(k2, 32, v, 999, NULL, NULL, NULL), SESSION_BAD_MAC);
	/* a longer key that starts with ours (not with a zero byte: HMAC pads
	 * short keys with zeros, so K and K||0 are the same HMAC key) */
	uint8_t k3[33];
	memcpy(k3, skey, 32);
	k3[32] = 1;
	CHECK_INT(session_verify(k3, 33, v, 999, NULL, NULL, NULL), SESSION_BAD_MAC);
	/* short keys are refused both ways */
	CHECK_INT(session_sign(skey, 31, SK_LIT("alice"), 1000, nonce, c, sizeof(c)), SESSION_BAD_KEY);
	CHECK_INT(session_verify(skey, 31, v, 999, NULL, NULL, NULL), SESSION_BAD_KEY);
	CHECK_INT(session_verify(NULL, 32, v, 999, NULL, NULL, NULL), SESSION_BAD_KEY);
	CHECK(strstr(session_strerror(SESSION_EXPIRED), "expired") != NULL);
}

/* Every byte changed to every other cookie character, every truncation,
 * extensions and oversize: nothing but the original verifies. */
static void test_session_tamper(void)
{
	static const char alt[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
	char c[SESSION_COOKIE_MAX + 8];
	long n = session_sign(skey, 32, SK_LIT("admin"), 2000000000, nonce, c, sizeof(c));
	CHECK(n > 0);
	if (n <= 0)
		return;
	size_t len = (size_t)n;
	size_t tried = 0, accepted = 0;
	for (size_t i = 0; i < len; i++) {
		char orig = c[i];
		for (size_t j = 0; j < sizeof(alt) - 1; j++) {
			if (alt[j] == orig)
				continue;
			c[i] = alt[j];
			tried++;
			if (session_verify(skey, 32, sk_slice_make(c, len), 0, NULL, NULL, NULL) != SESSION_BAD_MAC &&
			    session_verify(skey, 32, sk_slice_make(c, len), 0, NULL, NULL, NULL) != SESSION_MALFORMED)
				accepted++;
		}
		c[i] = orig;
	}
	CHECK(tried > 1000);
	CHECK_INT(accepted, 0);
	for (size_t k = 0; k < len; k++)
		CHECK(session_verify(skey, 32, sk_slice_make(c, k), 0, NULL, NULL, NULL) != SESSION_OK);
	c[len] = 'A';
	CHECK(session_verify(skey, 32, sk_slice_make(c, len + 1), 0, NULL, NULL, NULL) != SESSION_OK);
	c[len] = '.';
	CHECK(session_verify(skey, 32, sk_slice_make(c, len + 1), 0, NULL, NULL, NULL) != SESSION_OK);
	CHECK_INT(session_verify(skey, 32, sk_slice_make(c, len), 0, NULL, NULL, NULL), SESSION_OK);

	/* whole fields swapped for other valid encodings: the MAC catches it */
	char other[SESSION_COOKIE_MAX];
	long on = session_sign(skey, 32, SK_LIT("admin"), 2000000001, nonce, other, sizeof(other));
	CHECK(on == n);
	/* expiry from the other, MAC from ours */
	char mix[SESSION_COOKIE_MAX];
	memcpy(mix, other, (size_t)n);
	memcpy(mix + n - 43, c + n - 43, 43);
	CHECK_INT(session_verify(skey, 32, sk_slice_make(mix, (size_t)n), 0, NULL, NULL, NULL), SESSION_BAD_MAC);
	/* user changed to another valid name of the same length ("root!" is
	 * not valid; "admio" is) */
	char u2[SESSION_COOKIE_MAX];
	long un = session_sign(skey, 32, SK_LIT("admio"), 2000000000, nonce, u2, sizeof(u2));
	CHECK(un == n);
	memcpy(u2 + n - 43, c + n - 43, 43);
	CHECK_INT(session_verify(skey, 32, sk_slice_make(u2, (size_t)n), 0, NULL, NULL, NULL), SESSION_BAD_MAC);
	/* nonce changed */
	uint8_t n2[16];
	memcpy(n2, nonce, 16);
	n2[15] ^= 0x80;
	long nn = session_sign(skey, 32, SK_LIT("admin"), 2000000000, n2, u2, sizeof(u2));
	CHECK(nn == n);
	memcpy(u2 + n - 43, c + n - 43, 43);
	CHECK_INT(session_verify(skey, 32, sk_slice_make(u2, (size_t)n), 0, NULL, NULL, NULL), SESSION_BAD_MAC);

	/* oversized: a cookie longer than the cap is refused before any work */
	char big[SESSION_COOKIE_MAX + 1];
	memset(big, 'A', sizeof(big));
	CHECK_INT(session_verify(skey, 32, sk_slice_make(big, sizeof(big)), 0, NULL, NULL, NULL), SESSION_MALFORMED);
	CHECK_INT(session_verify(skey, 32, SK_SLICE_NULL, 0, NULL, NULL, NULL), SESSION_MALFORMED);
	CHECK_INT(session_verify(skey, 32, SK_LIT("..."), 0, NULL, NULL, NULL), SESSION_MALFORMED);
	CHECK_INT(session_verify(skey, 32, SK_LIT("a.1.b.c.d"), 0, NULL, NULL, NULL), SESSION_MALFORMED);
}

int main(void)
{
	harness_case = "rfc4226";
	harness_each_line("totp/rfc4226.txt", rfc4226_line, NULL);
	harness_case = "rfc6238";
	harness_each_line("totp/rfc6238.txt", rfc6238_line, NULL);
	harness_case = "base32";
	harness_each_line("totp/base32.txt", base32_line, NULL);
	harness_case = "base32_bad";
	harness_each_line("totp/base32_bad.txt", base32_bad_line, NULL);
	harness_case = "store_bad";
	harness_each_line("totp/store_bad.txt", store_bad_line, NULL);
	RUN(test_format);
	RUN(test_window);
	RUN(test_replay);
	RUN(test_code_shape);
	RUN(test_store_parse);
	RUN(test_store_limits);
	RUN(test_store_roundtrip);
	RUN(test_session_valid);
	RUN(test_session_expired_and_keys);
	RUN(test_session_tamper);
	return harness_done("totp");
}
