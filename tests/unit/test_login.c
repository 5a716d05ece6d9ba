/* test_login.c - the login protection policy (lib/guard/login.c): user name
 * normalisation, endpoint matching, the user name from a real request view,
 * the outcome of a response head, the streaming body marker, and the
 * check/decide/record cycle against the real in-process state backend with
 * a clock the tests advance. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/arena.h"
#include "sekisho/login.h"

/* ---- login_normalise_user from tests/data/login/normalise.txt ---- */

typedef struct norm_ctx {
	char in[1024];
	size_t inlen;
	int inline_no;
	bool have_in;
} norm_ctx;

/* A value in double quotes: the bytes between them. */
static bool unquote(const harness_line *l, sk_slice *out)
{
	if (l->len < 2 || l->buf[0] != '"' || l->buf[l->len - 1] != '"')
		return false;
	*out = sk_slice_make(l->buf + 1, l->len - 2);
	return true;
}

static void normalise_line(const harness_line *l, void *vctx)
{
	norm_ctx *x = vctx;
	sk_slice v;
	if (!unquote(l, &v) || v.len > sizeof(x->in)) {
		harness_fail("normalise.txt: a value must be in double quotes", l->buf, l->len);
		harness_count(0);
		return;
	}
	if (!x->have_in) {
		memcpy(x->in, v.p, v.len);
		x->inlen = v.len;
		x->inline_no = l->lineno;
		x->have_in = true;
		return;
	}
	x->have_in = false;
	char out[LOGIN_USER_MAX];
	size_t n = login_normalise_user(sk_slice_make(x->in, x->inlen), out);
	bool ok = n == v.len && memcmp(out, v.p, n) == 0;
	if (!ok) {
		fprintf(stderr, "  normalise.txt:%d: ", x->inline_no);
		harness_fail("normalised to", out, n);
		harness_fail("want", v.p, v.len);
	}
	harness_count(ok);
}

/* Long names: the cut at LOGIN_USER_MAX, never a byte past out[]. */
static void test_normalise_truncation(void)
{
	char in[4096];
	struct {
		char out[LOGIN_USER_MAX];
		char guard[64];
	} o;
	memset(&o, 0x5a, sizeof(o));

	memset(in, 'A', 300);
	size_t n = login_normalise_user(sk_slice_make(in, 300), o.out);
	CHECK_INT(n, LOGIN_USER_MAX);
	for (size_t i = 0; i < n; i++)
		if (o.out[i] != 'a')
			CHECK(o.out[i] == 'a');

	/* 300 full-width letters (900 bytes in) fold to 256 ASCII bytes. */
	for (size_t i = 0; i < 300; i++)
		memcpy(in + 3 * i, "\xef\xbd\x82", 3); /* U+FF42 b */
	n = login_normalise_user(sk_slice_make(in, 900), o.out);
	CHECK_INT(n, LOGIN_USER_MAX);
	CHECK(o.out[0] == 'b' && o.out[LOGIN_USER_MAX - 1] == 'b');

	/* 255 bytes, then a full-width letter: folded into the last byte. */
	memset(in, 'x', 255);
	memcpy(in + 255, "\xef\xbc\xba", 3); /* U+FF3A Z */
	n = login_normalise_user(sk_slice_make(in, 258), o.out);
	CHECK_INT(n, LOGIN_USER_MAX);
	CHECK(o.out[255] == 'z');

	/* 255 bytes then a 3-byte character that does not fold: cut after its
	 * first byte, the rest not written. */
	memcpy(in + 255, "\xe5\xb1\xb1", 3); /* 山 */
	n = login_normalise_user(sk_slice_make(in, 258), o.out);
	CHECK_INT(n, LOGIN_USER_MAX);
	CHECK((unsigned char)o.out[255] == 0xe5);

	/* Leading spaces take no room: 300 of them and "Alice" is alice (they
	 * used to fill out[] and leave an empty name, one account for all). */
	memset(in, ' ', 300);
	memcpy(in + 300, "Alice", 5);
	n = login_normalise_user(sk_slice_make(in, 305), o.out);
	CHECK_MEM(o.out, n, "alice");
	for (size_t i = 0; i < 200; i++)
		memcpy(in + 3 * i, "\xe3\x80\x80", 3);
	memcpy(in + 600, "\xef\xbd\x81" "b", 4);
	n = login_normalise_user(sk_slice_make(in, 604), o.out);
	CHECK_MEM(o.out, n, "ab");

	/* Trailing spaces cut by the limit are trimmed. */
	memcpy(in, "alice", 5);
	memset(in + 5, ' ', 400);
	in[405] = 'x';
	n = login_normalise_user(sk_slice_make(in, 406), o.out);
	CHECK_MEM(o.out, n, "alice");

	for (size_t i = 0; i < sizeof(o.guard); i++)
		if (o.guard[i] != 0x5a)
			CHECK(o.guard[i] == 0x5a);
}

/* ---- endpoints and the user name of a real request ---- */

static login_endpoint endpoint(const char *method, const char *path, const char *username)
{
	login_endpoint e;
	memset(&e, 0, sizeof(e));
	snprintf(e.method, sizeof(e.method), "%s", method);
	snprintf(e.path, sizeof(e.path), "%s", path);
	snprintf(e.username, sizeof(e.username), "%s", username);
	return e;
}

static void test_match(void)
{
	login_endpoint eps[3] = { endpoint("POST", "/login", "username"), endpoint("POST", "/api/login", "user.email"),
				  endpoint("PUT", "/session", "email") };
	CHECK(login_match(eps, 3, SK_LIT("POST"), SK_LIT("/login")) == &eps[0]);
	CHECK(login_match(eps, 3, SK_LIT("post"), SK_LIT("/login")) == &eps[0]);
	CHECK(login_match(eps, 3, SK_LIT("Post"), SK_LIT("/api/login")) == &eps[1]);
	CHECK(login_match(eps, 3, SK_LIT("PUT"), SK_LIT("/session")) == &eps[2]);
	/* exact path, exact method name */
	CHECK(login_match(eps, 3, SK_LIT("GET"), SK_LIT("/login")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POSTX"), SK_LIT("/login")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POS"), SK_LIT("/login")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POST"), SK_LIT("/login/")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POST"), SK_LIT("/Login")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POST"), SK_LIT("/logins")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POST"), SK_LIT("/api/login/x")) == NULL);
	CHECK(login_match(eps, 3, SK_LIT("POST"), SK_LIT("")) == NULL);
	CHECK(login_match(eps, 0, SK_LIT("POST"), SK_LIT("/login")) == NULL);
}

/* Parse `head` + `body` (Content-Length added) into a view, look the user
 * name up and copy it to out (NUL-terminated). False when there is none. */
static bool user_of(const char *head, const char *body, const login_endpoint *ep, char *out, size_t cap)
{
	static char raw[8192];
	int n = snprintf(raw, sizeof(raw), "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body), body);
	if (n < 0 || (size_t)n >= sizeof(raw))
		abort();
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	http_header h[64];
	http_request req;
	http_view v;
	sk_slice b;
	bool trunc, found = false;
	size_t used;
	sk_error err = { 0 };
	if (http_read_request(raw, (size_t)n, &req, h, 64, a, &lim, &b, &trunc, &used, &err) != SK_OK ||
	    view_build(&v, &req, b, trunc, a, &lim, &err) != SK_OK) {
		harness_fail("request did not parse", raw, (size_t)n);
	} else {
		sk_slice u = SK_SLICE_NULL;
		found = login_username(&v, ep, &u);
		snprintf(out, cap, "%.*s", (int)u.len, u.p ? u.p : "");
	}
	arena_free(a);
	return found;
}

#define FORM_HEAD "POST /login?username=query-is-not-it HTTP/1.1\r\nHost: shop.example.jp\r\n" \
		  "Content-Type: application/x-www-form-urlencoded\r\n"
#define MP_HEAD "POST /login HTTP/1.1\r\nHost: shop.example.jp\r\n" \
		"Content-Type: multipart/form-data; boundary=XyZ\r\n"
#define JSON_HEAD "POST /api/login HTTP/1.1\r\nHost: shop.example.jp\r\nContent-Type: application/json\r\n"

static void test_username(void)
{
	char u[512];
	login_endpoint form = endpoint("POST", "/login", "username");
	CHECK(user_of(FORM_HEAD, "csrf=abc&username=Taro%40Example.jp&password=hunter2", &form, u, sizeof(u)));
	CHECK(strcmp(u, "Taro@Example.jp") == 0);
	/* the first of repeated fields */
	CHECK(user_of(FORM_HEAD, "username=first&username=second", &form, u, sizeof(u)));
	CHECK(strcmp(u, "first") == 0);
	/* an empty field is there, and empty */
	CHECK(user_of(FORM_HEAD, "username=&password=x", &form, u, sizeof(u)));
	CHECK(strcmp(u, "") == 0);
	/* no such field: the query argument of the same name does not count */
	CHECK(!user_of(FORM_HEAD, "user=taro&password=x", &form, u, sizeof(u)));
	CHECK(!user_of(FORM_HEAD, "usernamex=taro&xusername=taro", &form, u, sizeof(u)));

	login_endpoint mp = endpoint("POST", "/login", "email");
	CHECK(user_of(MP_HEAD,
		      "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt0k3n\r\n"
		      "--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nhanako@example.jp\r\n"
		      "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--XyZ--\r\n",
		      &mp, u, sizeof(u)));
	CHECK(strcmp(u, "hanako@example.jp") == 0);
	CHECK(!user_of(MP_HEAD,
		       "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--XyZ--\r\n", &mp,
		       u, sizeof(u)));

	login_endpoint json = endpoint("POST", "/api/login", "user.email");
	CHECK(user_of(JSON_HEAD, "{\"email\":\"top@example.jp\",\"user\":{\"email\":\"taro@example.jp\",\"pw\":\"x\"}}",
		      &json, u, sizeof(u)));
	CHECK(strcmp(u, "taro@example.jp") == 0);
	/* JSON escapes are decoded */
	CHECK(user_of(JSON_HEAD, "{\"user\":{\"email\":\"\\u0074aro\\u0040example.jp\"}}", &json, u, sizeof(u)));
	CHECK(strcmp(u, "taro@example.jp") == 0);
	/* a leaf named email at the top is not user.email */
	CHECK(!user_of(JSON_HEAD, "{\"email\":\"taro@example.jp\"}", &json, u, sizeof(u)));
	login_endpoint flat = endpoint("POST", "/api/login", "login");
	CHECK(user_of(JSON_HEAD, "{\"login\":\"jiro\",\"password\":\"x\"}", &flat, u, sizeof(u)));
	CHECK(strcmp(u, "jiro") == 0);
}

/* ---- the outcome of a response head ---- */

static login_outcome outcome(const login_endpoint *ep, const char *head, bool *need_body)
{
	http_limits lim;
	http_limits_default(&lim);
	http_header h[32];
	http_response r;
	sk_error e = { 0 };
	http_req_parser st = { 0 };
	ssize_t n = http_parse_response(&st, head, strlen(head), &r, h, 32, &lim, &e);
	if (n <= 0) {
		harness_fail("response did not parse", head, strlen(head));
		*need_body = false;
		return (login_outcome)-1;
	}
	return login_outcome_head(ep, r.status, h, st.nheaders, need_body);
}

#define RESP(status_line, headers) "HTTP/1.1 " status_line "\r\n" headers "Content-Length: 0\r\n\r\n"

static void test_outcome_status(void)
{
	bool nb = true;
	login_endpoint ep = endpoint("POST", "/api/login", "user.email");
	ep.fail_status = 401;
	CHECK_INT(outcome(&ep, RESP("401 Unauthorized", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK(!nb);
	CHECK_INT(outcome(&ep, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("204 No Content", ""), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /account\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	/* 5xx: the application broke, 1xx: no answer yet -- neither */
	CHECK_INT(outcome(&ep, RESP("500 Internal Server Error", ""), &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK_INT(outcome(&ep, RESP("503 Service Unavailable", ""), &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK(!nb);
	CHECK_INT(login_outcome_head(&ep, 100, NULL, 0, &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK_INT(login_outcome_head(&ep, 101, NULL, 0, &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK_INT(login_outcome_head(&ep, 199, NULL, 0, &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK_INT(login_outcome_head(&ep, 599, NULL, 0, &nb), LOGIN_OUTCOME_UNKNOWN);
	/* A 4xx other than fail_status logs nobody in: a failure (it used to
	 * be a success, which made a source that sends a stale CSRF token
	 * "known" for the account and let it through a lock). */
	CHECK_INT(outcome(&ep, RESP("403 Forbidden", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("400 Bad Request", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("429 Too Many Requests", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK(!nb);
	/* fail_status 0 is off: a 200 is a success */
	ep.fail_status = 0;
	CHECK_INT(outcome(&ep, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_SUCCESS);
	/* a fail_status in 2xx */
	ep.fail_status = 200;
	CHECK_INT(outcome(&ep, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("303 See Other", "Location: /me\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
}

static void test_outcome_location(void)
{
	bool nb;
	login_endpoint ep = endpoint("POST", "/login", "username");
	snprintf(ep.fail_location, sizeof(ep.fail_location), "/login?error");
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /login?error=1\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("303 See Other", "Location: https://shop.example.jp/login?error\r\n"), &nb),
		  LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("302 Found", "location: /login?error\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /account\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("302 Found", ""), &nb), LOGIN_OUTCOME_SUCCESS);
	/* case matters in a URL */
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /LOGIN?ERROR\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	/* 3xx only: a 200 or 201 with such a Location is not a redirect */
	CHECK_INT(outcome(&ep, RESP("200 OK", "Location: /login?error\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("201 Created", "Location: /login?error\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK(!nb);
}

static void test_outcome_cookie(void)
{
	bool nb;
	login_endpoint ep = endpoint("POST", "/login", "username");
	snprintf(ep.success_cookie, sizeof(ep.success_cookie), "session");
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /account\r\nSet-Cookie: session=8ADE60B349C9; HttpOnly; "
						 "Path=/\r\n"),
			  &nb),
		  LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=x\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("200 OK", "set-cookie: session=x\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("200 OK", "SET-COOKIE:   session=x  \r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=x; Max-Age=3600\r\n"), &nb), LOGIN_OUTCOME_SUCCESS);
	/* not set */
	CHECK_INT(outcome(&ep, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /login\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	/* other cookies */
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: lang=ja\r\nSet-Cookie: sessionid=x\r\n"), &nb),
		  LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: xsession=x\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: Session=x\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: lang=ja; session=x\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	/* the cookie in another header is not a Set-Cookie */
	CHECK_INT(outcome(&ep, RESP("200 OK", "X-Set-Cookie: session=x\r\nCookie: session=x\r\n"), &nb),
		  LOGIN_OUTCOME_FAILURE);
	/* deleted: an empty value, "", or Max-Age 0 / negative (PHP's "deleted") */
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=; Max-Age=0\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=\"\"; Path=/\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session= ; Path=/\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=deleted; expires=Thu, 01-Jan-1970 00:00:01 "
					      "GMT; Max-Age=0; path=/\r\n"),
			  &nb),
		  LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=x; max-age=-1\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=x;Max-Age=00\r\n"), &nb), LOGIN_OUTCOME_FAILURE);
	/* a bad Max-Age is ignored (RFC 6265 5.2.2), the cookie is set */
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=x; Max-Age=soon\r\n"), &nb),
		  LOGIN_OUTCOME_SUCCESS);
	/* deleted, then set again: set */
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: session=; Max-Age=0\r\nSet-Cookie: session=new\r\n"),
			  &nb),
		  LOGIN_OUTCOME_SUCCESS);
	CHECK(!nb);
}

static void test_outcome_body(void)
{
	bool nb;
	login_endpoint ep = endpoint("POST", "/login", "username");
	snprintf(ep.fail_body, sizeof(ep.fail_body), "ログインできません");
	CHECK_INT(outcome(&ep, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK(nb);
	CHECK_INT(outcome(&ep, RESP("302 Found", "Location: /account\r\n"), &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK(nb);
	/* the head already tells: no body needed */
	CHECK_INT(outcome(&ep, RESP("500 Oops", ""), &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK(!nb);
	CHECK_INT(outcome(&ep, RESP("401 Unauthorized", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK(!nb);
	ep.fail_status = 401;
	CHECK_INT(outcome(&ep, RESP("401 Unauthorized", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK(!nb);
	snprintf(ep.success_cookie, sizeof(ep.success_cookie), "sid");
	CHECK_INT(outcome(&ep, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_FAILURE);
	CHECK(!nb);
	CHECK_INT(outcome(&ep, RESP("200 OK", "Set-Cookie: sid=1\r\n"), &nb), LOGIN_OUTCOME_UNKNOWN);
	CHECK(nb);
	/* with nothing configured, a 2xx or 3xx is a success */
	login_endpoint bare = endpoint("POST", "/login", "username");
	CHECK_INT(outcome(&bare, RESP("200 OK", ""), &nb), LOGIN_OUTCOME_SUCCESS);
	CHECK(!nb);
}

/* ---- the body marker ---- */

static bool marker_split(const char *needle, const char *body, size_t len, const size_t *cuts, size_t ncuts)
{
	login_marker m;
	login_marker_init(&m, needle);
	size_t at = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		login_marker_feed(&m, body + at, end - at);
		at = end;
	}
	return login_outcome_body(&m) == LOGIN_OUTCOME_FAILURE;
}

static void test_marker_splits(void)
{
	static const char needle[] = "ログインできません";
	static const char body[] = "<html><p class=error>ログインできません</p></html>";
	static const char miss[] = "<p>ログインでき ません</p>ログインでき<p>ログインできま</p>インできません";
	size_t len = sizeof(body) - 1, mlen = sizeof(miss) - 1;
	CHECK(marker_split(needle, body, len, NULL, 0));
	CHECK(!marker_split(needle, miss, mlen, NULL, 0));
	int bad = 0;
	/* every 2-part and 3-part split */
	for (size_t i = 0; i <= len; i++) {
		bad += !marker_split(needle, body, len, &i, 1);
		for (size_t j = i; j <= len; j++) {
			size_t c[2] = { i, j };
			bad += !marker_split(needle, body, len, c, 2);
		}
	}
	for (size_t i = 0; i <= mlen; i++)
		for (size_t j = i; j <= mlen; j++) {
			size_t c[2] = { i, j };
			bad += marker_split(needle, miss, mlen, c, 2);
		}
	CHECK_INT(bad, 0);
	/* byte by byte */
	login_marker m;
	login_marker_init(&m, needle);
	for (size_t i = 0; i < len; i++)
		login_marker_feed(&m, body + i, 1);
	CHECK(m.found);
	login_marker_init(&m, needle);
	for (size_t i = 0; i < mlen; i++)
		login_marker_feed(&m, miss + i, 1);
	CHECK(!m.found);
	/* empty chunks change nothing */
	login_marker_init(&m, "ab");
	login_marker_feed(&m, "a", 1);
	login_marker_feed(&m, NULL, 0);
	login_marker_feed(&m, "b", 1);
	CHECK(m.found);
	/* a one-byte needle */
	login_marker_init(&m, "!");
	login_marker_feed(&m, "abc", 3);
	CHECK(!m.found);
	login_marker_feed(&m, "d!", 2);
	CHECK(m.found);
	/* an empty needle never matches */
	login_marker_init(&m, "");
	login_marker_feed(&m, "anything", 8);
	CHECK(!m.found);
}

/* The marker against memmem on the whole body, for random bodies over a
 * small alphabet (many near matches) in random chunks, needles up to the
 * longest fail_body and chunks shorter than the needle. */
static void test_marker_random(void)
{
	uint64_t x = 88172645463325252ull;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
	static char body[4096];
	char needle[LOGIN_MARKER_MAX];
	int bad = 0, hits = 0;
	for (int round = 0; round < 3000; round++) {
		size_t nlen = 1 + RND() % (round % 3 == 0 ? LOGIN_MARKER_MAX - 1 : 8);
		size_t len = RND() % sizeof(body);
		int alpha = 2 + (int)(RND() % 2);
		for (size_t i = 0; i < nlen; i++)
			needle[i] = (char)('a' + RND() % (unsigned)alpha);
		needle[nlen] = '\0';
		for (size_t i = 0; i < len; i++)
			body[i] = (char)('a' + RND() % (unsigned)alpha);
		/* plant the needle in half of the rounds */
		if (round % 2 && len >= nlen) {
			size_t at = RND() % (len - nlen + 1);
			memcpy(body + at, needle, nlen);
		}
		bool want = len >= nlen && memmem(body, len, needle, nlen) != NULL;
		login_marker m;
		login_marker_init(&m, needle);
		size_t maxchunk = 1 + RND() % (round % 2 ? nlen + 1 : 600);
		for (size_t at = 0; at < len;) {
			size_t c = RND() % (maxchunk + 1);
			if (c > len - at)
				c = len - at;
			login_marker_feed(&m, body + at, c);
			at += c;
		}
		bad += m.found != want;
		hits += want;
	}
#undef RND
	CHECK_INT(bad, 0);
	CHECK(hits > 1000);
}

/* Bodies are scanned up to LOGIN_BODY_SCAN_MAX bytes: a marker ending at
 * the last byte is found, one byte later it is not. */
static void test_marker_bound(void)
{
	static const char needle[] = "Invalid password";
	size_t nlen = sizeof(needle) - 1, len = LOGIN_BODY_SCAN_MAX + 4096;
	char *body = malloc(len);
	if (!body)
		abort();
	static const size_t chunks[] = { 1 << 20, 4096, 1000, 7 };
	for (size_t ci = 0; ci < sizeof(chunks) / sizeof(chunks[0]); ci++) {
		for (int past = 0; past <= 1; past++) {
			memset(body, '.', len);
			memcpy(body + LOGIN_BODY_SCAN_MAX - nlen + (size_t)past, needle, nlen);
			login_marker m;
			login_marker_init(&m, needle);
			for (size_t at = 0; at < len; at += chunks[ci])
				login_marker_feed(&m, body + at, len - at < chunks[ci] ? len - at : chunks[ci]);
			CHECK_INT(m.found, !past);
			CHECK(m.scanned <= LOGIN_BODY_SCAN_MAX);
		}
	}
	/* found early: the rest is not looked at */
	login_marker m;
	login_marker_init(&m, needle);
	login_marker_feed(&m, needle, nlen);
	login_marker_feed(&m, body, len);
	CHECK(m.found);
	free(body);
}

/* ---- the policy against the in-process state backend ---- */

#define MIN_MS 60000u
#define HOUR_MS 3600000u
/* A start that is a multiple of every window the policy uses (a week), so
 * counts within a bucket are exact (state.h: two-bucket windows). */
#define T0 (2800ull * 7 * 24 * HOUR_MS)

typedef struct world {
	state *s;
	login_policy p;
	uint64_t now;
} world;

static world world_new(void)
{
	world w;
	w.s = state_memory_new(100000, NULL);
	if (!w.s)
		abort();
	login_policy_default(&w.p);
	w.now = T0;
	return w;
}

/* The source was refused by its ban before the login check (the proxy
 * checks every request's client against ip: bans). */
#define REFUSED_BANNED (-1)

/* One attempt the way src/proxy/login.c runs it: the check batch, the
 * decision, its bans set, and, when the attempt was forwarded and the
 * answer was not a failure, the record batch. */
static int attempt(world *w, const char *ip, const char *user, login_outcome out, login_decision *d)
{
	login_decision scratch;
	if (!d)
		d = &scratch;
	memset(d, 0, sizeof(*d));
	sk_addr a;
	if (!addr_parse(sk_slice_make(ip, strlen(ip)), &a))
		abort();
	char bk[80];
	int bl = snprintf(bk, sizeof(bk), "ip:%s", ip);
	if (state_ban_get(w->s, sk_slice_make(bk, (size_t)bl), w->now, NULL, NULL, 0) == STATE_OK)
		return REFUSED_BANNED;
	static login_attempt la;
	login_plan_check(&la, &w->p, &a, sk_slice_make(user, strlen(user)));
	CHECK_INT(la.nops, LOGIN_OPS_CHECK);
	CHECK_INT(state_batch(w->s, la.ops, la.nops, w->now), STATE_OK);
	for (size_t i = 0; i < la.nops; i++)
		if (la.ops[i].rc != STATE_OK && !(i == LOGIN_OP_LOCK && la.ops[i].rc == STATE_ENOENT))
			CHECK_INT(la.ops[i].rc, STATE_OK);
	login_decide(&la, &w->p, d);
	for (size_t i = 0; i < d->nbans; i++)
		CHECK_INT(state_ban_set(w->s, sk_slice_make(d->bans[i].key, d->bans[i].key_len), d->bans[i].ttl_ms,
					sk_slice_make(d->bans[i].reason, strlen(d->bans[i].reason)), w->now),
			  STATE_OK);
	bool forwarded = d->action == LOGIN_PASS || d->action == LOGIN_DELAY;
	if (forwarded && out != LOGIN_OUTCOME_FAILURE) {
		login_plan_record(&la, &w->p, out == LOGIN_OUTCOME_SUCCESS);
		CHECK_INT(state_batch(w->s, la.ops, la.nops, w->now), STATE_OK);
	}
	return (int)d->action;
}

static const char *ip_n(char *buf, size_t cap, int i)
{
	/* one /24 each */
	snprintf(buf, cap, "10.%d.%d.%d", 1 + i / 250, i % 250, 1 + i % 7);
	return buf;
}

static bool banned(world *w, const char *key)
{
	return state_ban_get(w->s, sk_slice_make(key, strlen(key)), w->now, NULL, NULL, 0) == STATE_OK;
}

static void test_plan_keys(void)
{
	login_policy p;
	login_policy_default(&p);
	static login_attempt la;
	sk_addr a;
	CHECK(addr_parse(SK_LIT("203.0.113.9"), &a));
	login_plan_check(&la, &p, &a, SK_LIT("  Taro@Example.JP "));
	CHECK_MEM(la.user, la.user_len, "taro@example.jp");
	CHECK(strcmp(la.addr, "203.0.113.9") == 0);
	CHECK(strcmp(la.net, "203.0.113.0/24") == 0);
	CHECK_SLICE(la.k_ip[0], "login:ip:203.0.113.9");
	CHECK_SLICE(la.k_ip[1], "lognf:ip:203.0.113.9");
	CHECK_SLICE(la.k_net[0], "login:net:203.0.113.0/24");
	CHECK_SLICE(la.k_user[0], "login:u:taro@example.jp");
	CHECK_SLICE(la.k_user[1], "lognf:u:taro@example.jp");
	CHECK_SLICE(la.k_pair[0], "login:p:203.0.113.9|taro@example.jp");
	CHECK_SLICE(la.k_known, "logok:p:203.0.113.9|taro@example.jp");
	CHECK_SLICE(la.k_lock, "acct:taro@example.jp");
	CHECK_INT(la.ops[LOGIN_OP_LOCK].kind, STATE_OP_BAN_GET);
	CHECK_INT(la.ops[LOGIN_OP_ATT_IP].kind, STATE_OP_COUNT_ADD);
	CHECK_INT(la.ops[LOGIN_OP_ATT_IP].window_ms, p.window_ms);
	CHECK_INT(la.ops[LOGIN_OP_NF_PAIR].kind, STATE_OP_COUNT_GET);
	CHECK_INT(la.ops[LOGIN_OP_KNOWN].window_ms, p.known_window_ms);
	CHECK_INT(la.ops[LOGIN_OP_ATT_MIN].window_ms, MIN_MS);
	CHECK_INT(la.ops[LOGIN_OP_ATT_HOUR].window_ms, HOUR_MS);
	CHECK_INT(la.ops[LOGIN_OP_USERS_OF_IP].kind, STATE_OP_DISTINCT_ADD);
	CHECK_SLICE(la.ops[LOGIN_OP_USERS_OF_IP].member, "taro@example.jp");
	CHECK_SLICE(la.ops[LOGIN_OP_IPS_OF_USER].member, "203.0.113.9");

	CHECK(addr_parse(SK_LIT("2001:db8:1:2:3:4:5:6"), &a));
	login_plan_check(&la, &p, &a, SK_LIT(""));
	CHECK(strcmp(la.net, "2001:db8:1:2::/64") == 0);
	CHECK_INT(la.user_len, 0);
	CHECK_SLICE(la.k_lock, "acct:");
	CHECK_SLICE(la.ops[LOGIN_OP_USERS_OF_IP].member, "(empty)");

	/* the longest name fits every key */
	char longname[600];
	memset(longname, 'q', sizeof(longname));
	CHECK(addr_parse(SK_LIT("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), &a));
	login_plan_check(&la, &p, &a, sk_slice_make(longname, sizeof(longname)));
	CHECK_INT(la.user_len, LOGIN_USER_MAX);
	CHECK_INT(la.k_pair[1].len, strlen("lognf:p:") + strlen(la.addr) + 1 + LOGIN_USER_MAX);
	CHECK_INT(la.k_known.len, strlen("logok:p:") + strlen(la.addr) + 1 + LOGIN_USER_MAX);
	CHECK_INT(la.k_lock.len, 5 + LOGIN_USER_MAX);

	login_plan_record(&la, &p, false);
	CHECK_INT(la.nops, 6);
	login_plan_record(&la, &p, true);
	CHECK_INT(la.nops, 7);
	CHECK(sk_slice_eq(la.ops[6].key, la.k_known));
	CHECK_INT(la.ops[6].window_ms, p.known_window_ms);

	/* ops that failed count as zero: pass */
	login_plan_check(&la, &p, &a, SK_LIT("taro"));
	for (size_t i = 0; i < la.nops; i++) {
		la.ops[i].rc = STATE_EUNAVAILABLE;
		la.ops[i].count = 1000;
	}
	login_decision d;
	login_decide(&la, &p, &d);
	CHECK_INT(d.action, LOGIN_PASS);
	CHECK_INT(d.nbans, 0);
	CHECK_INT(d.fail_ip, 0);
	CHECK(!d.wave);
}

/* Two typos then the right password: never slowed, and that source is
 * known for the account from then on. */
static void test_typos(void)
{
	world w = world_new();
	login_decision d;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
	w.now += 5000;
	CHECK_INT(attempt(&w, "198.51.100.7", "Taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
	CHECK_INT(d.fail_pair, 1);
	w.now += 5000;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro ", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	CHECK_INT(d.fail_pair, 2);
	CHECK_INT(d.fail_user, 2);
	CHECK_INT(d.known, 0);
	CHECK_INT(d.nbans, 0);
	CHECK(!d.wave);
	w.now += HOUR_MS;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	CHECK_INT(d.known, 1);
	/* a week later it is still known (two-bucket window: up to two) */
	w.now += 6 * 24 * HOUR_MS;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	CHECK(d.known >= 1);
	/* another account from the same source is not */
	CHECK_INT(attempt(&w, "198.51.100.7", "hanako", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	CHECK_INT(d.known, 0);
	state_free(w.s);
}

/* One source, one account: delays from the pair_delay_after-th failure on,
 * doubling, capped, then the ban at ban_after. */
static void test_brute_force_pair(void)
{
	world w = world_new();
	w.p.lock_after = 0; /* just the delays and the ban here */
	login_decision d;
	static const uint32_t want[] = { 0, 0, 0, 500, 1000, 2000, 4000, 8000, 10000, 10000, 10000 };
	for (int k = 1; k <= 20; k++) {
		int a = attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d);
		uint32_t exp = k <= 11 ? want[k - 1] : 10000;
		CHECK_INT(d.fail_pair, k - 1);
		CHECK_INT(a, exp ? LOGIN_DELAY : LOGIN_PASS);
		CHECK_INT(d.delay_ms, exp);
		CHECK_INT(d.nbans, 0);
		w.now += 1000 + d.delay_ms;
	}
	/* the 21st sees 20 failures: banned, with the reason */
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_BANNED);
	CHECK_INT(d.nbans, 1);
	CHECK_MEM(d.bans[0].key, d.bans[0].key_len, "ip:198.51.100.7");
	CHECK_INT(d.bans[0].ttl_ms, w.p.ban_ttl_ms);
	CHECK(strcmp(d.bans[0].reason, "brute force: 20 failed logins") == 0);
	CHECK(d.why != NULL);
	char reason[STATE_REASON_MAX + 1];
	CHECK_INT(state_ban_get(w.s, SK_LIT("ip:198.51.100.7"), w.now, NULL, reason, sizeof(reason)), STATE_OK);
	CHECK(strcmp(reason, "brute force: 20 failed logins") == 0);
	w.now += 1000;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), REFUSED_BANNED);
	/* another source is untouched (the account was never locked here) */
	CHECK_INT(attempt(&w, "192.0.2.1", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	/* after ban_ttl and a window the source starts over */
	w.now += w.p.ban_ttl_ms + 2 * w.p.window_ms;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
	CHECK_INT(d.fail_ip, 0);
	state_free(w.s);
}

/* One source, a new account each time: delay_after, and the ban for
 * trying accounts_per_source accounts mostly failing. */
static void test_many_accounts(void)
{
	world w = world_new();
	login_decision d;
	char u[32];
	/* The distinct count is an estimate: two names may share a bit (1 in
	 * 1024 a pair, state.h), so the ban comes at the attempt whose count
	 * reaches 10, the 10th or a later one. */
	static const uint32_t want[] = { 0, 0, 0, 0, 0, 500, 1000, 2000, 4000, 8000, 10000, 10000 };
	int n;
	for (n = 1; n <= 12; n++) {
		snprintf(u, sizeof(u), "user%d", n);
		int a = attempt(&w, "198.51.100.7", u, LOGIN_OUTCOME_FAILURE, &d);
		CHECK_INT(d.fail_pair, 0);
		CHECK_INT(d.fail_ip, n - 1);
		CHECK(d.accounts_of_ip <= (uint64_t)n && d.accounts_of_ip + 1 >= (uint64_t)n);
		if (d.accounts_of_ip >= 10)
			break;
		CHECK_INT(a, want[n - 1] ? LOGIN_DELAY : LOGIN_PASS);
		CHECK_INT(d.delay_ms, want[n - 1]);
		w.now += 10000;
	}
	CHECK(n == 10 || n == 11);
	CHECK_INT(d.action, LOGIN_BANNED);
	CHECK_INT(d.nbans, 1);
	CHECK_MEM(d.bans[0].key, d.bans[0].key_len, "ip:198.51.100.7");
	char want_reason[64];
	snprintf(want_reason, sizeof(want_reason), "credential stuffing: 10 accounts, %d failed", n - 1);
	CHECK(strcmp(d.bans[0].reason, want_reason) == 0);
	CHECK(strcmp(d.why, "one source trying many accounts") == 0);
	state_free(w.s);

	/* without that rule, the delays go on and ban_after bans */
	w = world_new();
	w.p.accounts_per_source = 0;
	for (int k = 1; k <= 20; k++) {
		snprintf(u, sizeof(u), "user%d", k);
		CHECK_INT(attempt(&w, "198.51.100.7", u, LOGIN_OUTCOME_FAILURE, &d), k > 5 ? LOGIN_DELAY : LOGIN_PASS);
		w.now += 10000;
	}
	CHECK_INT(d.delay_ms, 10000);
	CHECK_INT(attempt(&w, "198.51.100.7", "user21", LOGIN_OUTCOME_FAILURE, &d), LOGIN_BANNED);
	state_free(w.s);

	/* an office NAT logging many accounts in, mostly successfully: fine */
	w = world_new();
	for (int k = 1; k <= 30; k++) {
		snprintf(u, sizeof(u), "staff%d", k);
		login_outcome o = k % 8 == 0 ? LOGIN_OUTCOME_FAILURE : LOGIN_OUTCOME_SUCCESS;
		CHECK_INT(attempt(&w, "198.51.100.7", u, o, &d), LOGIN_PASS);
		w.now += 10000;
	}
	CHECK(d.accounts_of_ip >= 28);
	CHECK_INT(d.nbans, 0);
	state_free(w.s);
}

/* One account hammered from one source: locked at lock_after against new
 * sources; the owner's known source still gets in; the attacker is banned
 * once its failures reach ban_after, locked account or not. */
static void test_lock(void)
{
	world w = world_new();
	login_decision d;
	CHECK_INT(attempt(&w, "203.0.113.5", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	w.now += 60000;
	for (int k = 1; k <= 10; k++) {
		attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d);
		CHECK(d.action == LOGIN_PASS || d.action == LOGIN_DELAY);
		CHECK_INT(d.nbans, 0);
		w.now += 1000;
	}
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_LOCKED);
	CHECK_INT(d.fail_user, 10);
	CHECK_INT(d.nbans, 1);
	CHECK_MEM(d.bans[0].key, d.bans[0].key_len, "acct:taro");
	CHECK_INT(d.bans[0].ttl_ms, w.p.lock_ttl_ms);
	CHECK(strcmp(d.bans[0].reason, "10 failed logins") == 0);
	CHECK(banned(&w, "acct:taro"));
	w.now += 1000;
	/* a new source: refused by the lock */
	CHECK_INT(attempt(&w, "192.0.2.44", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_LOCKED);
	CHECK(strcmp(d.why, "account locked against new sources") == 0);
	/* the owner's source passes, not slowed, and logs in */
	CHECK_INT(attempt(&w, "203.0.113.5", "Taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	CHECK_INT(d.known, 1);
	CHECK_INT(d.delay_ms, 0);
	/* other accounts are not locked */
	CHECK_INT(attempt(&w, "192.0.2.44", "hanako", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	/* the attacker goes on against the lock: refused, then banned */
	for (int k = 12; k <= 20; k++) {
		w.now += 1000;
		CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_LOCKED);
	}
	w.now += 1000;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_BANNED);
	CHECK(banned(&w, "ip:198.51.100.7"));
	/* the lock ends after lock_ttl; the failures are out of the window */
	w.now += w.p.lock_ttl_ms + 2 * w.p.window_ms;
	CHECK(!banned(&w, "acct:taro"));
	CHECK_INT(attempt(&w, "192.0.2.44", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	state_free(w.s);
}

/* One account tried from sources_per_account sources, mostly failing:
 * locked before lock_after is reached. */
static void test_sources_per_account(void)
{
	world w = world_new();
	login_decision d;
	char ip[32];
	CHECK_INT(attempt(&w, "203.0.113.5", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	w.now += 60000;
	for (int k = 1; k <= 8; k++) {
		CHECK_INT(attempt(&w, ip_n(ip, sizeof(ip), k), "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
		CHECK_INT(d.sources_of_user, k + 1);
		w.now += 20000;
	}
	/* the 9th attacking source (10 with the owner's): 8 failures of 9
	 * attempts before it, under lock_after */
	CHECK_INT(attempt(&w, ip_n(ip, sizeof(ip), 9), "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_LOCKED);
	CHECK_INT(d.sources_of_user, 10);
	CHECK_INT(d.fail_user, 8);
	CHECK_INT(d.nbans, 1);
	CHECK_MEM(d.bans[0].key, d.bans[0].key_len, "acct:taro");
	CHECK(strcmp(d.bans[0].reason, "tried from 10 sources, 8 failed") == 0);
	CHECK(strcmp(d.why, "one account tried from many sources") == 0);
	CHECK_INT(attempt(&w, "203.0.113.5", "taro", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	state_free(w.s);

	/* an account used from many places, mostly successfully: not locked */
	w = world_new();
	for (int k = 1; k <= 20; k++) {
		login_outcome o = k % 3 == 0 ? LOGIN_OUTCOME_FAILURE : LOGIN_OUTCOME_SUCCESS;
		CHECK_INT(attempt(&w, ip_n(ip, sizeof(ip), k), "taro", o, &d), LOGIN_PASS);
		w.now += 20000;
	}
	CHECK_INT(d.sources_of_user, 20);
	CHECK_INT(d.nbans, 0);
	state_free(w.s);
}

/* Failures from one /24 (many hosts, one account each) slow the network. */
static void test_network(void)
{
	world w = world_new();
	login_decision d;
	char ip[32], u[32];
	for (int k = 1; k <= 30; k++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", k);
		snprintf(u, sizeof(u), "user%d", k);
		CHECK_INT(attempt(&w, ip, u, LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
		w.now += 15000; /* 4 a minute: no wave */
	}
	CHECK_INT(attempt(&w, "203.0.113.200", "someone", LOGIN_OUTCOME_FAILURE, &d), LOGIN_DELAY);
	CHECK_INT(d.fail_net, 30);
	CHECK_INT(d.delay_ms, 500);
	CHECK(!d.wave);
	/* the next /24 is another network */
	CHECK_INT(attempt(&w, "203.0.114.200", "someone", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
	state_free(w.s);
}

/* The window slides: failures a full window old stop counting. */
static void test_window_slides(void)
{
	world w = world_new();
	login_decision d;
	for (int k = 0; k < 3; k++)
		attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d);
	/* the last moment of the window: they still count */
	w.now = T0 + w.p.window_ms - 1;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_DELAY);
	CHECK_INT(d.fail_pair, 3);
	/* half a window later: the two-bucket estimate keeps about half */
	w.now = T0 + w.p.window_ms + w.p.window_ms / 2;
	attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d);
	CHECK_INT(d.fail_pair, 2);
	/* two windows on, all of them are out */
	w.now = T0 + 3 * (uint64_t)w.p.window_ms;
	CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
	CHECK_INT(d.fail_pair, 0);
	CHECK_INT(d.fail_ip, 0);
	state_free(w.s);
}

/* n attempts, each from its own source on its own account, 100 ms apart,
 * starting with source number *next. */
static void stuff(world *w, int n, login_outcome o, int *next, login_decision *last)
{
	char ip[32], u[32];
	for (int i = 0; i < n; i++, (*next)++) {
		snprintf(u, sizeof(u), "victim%d", *next);
		attempt(w, ip_n(ip, sizeof(ip), *next), u, o, last);
		w->now += 100;
	}
}

static void test_wave(void)
{
	world w = world_new();
	login_decision d;
	int next = 0;
	/* the owner of hanako logged in earlier this hour */
	CHECK_INT(attempt(&w, "203.0.113.5", "hanako", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	w.now = T0 + 10 * MIN_MS;
	/* 30 attempts, all failing, one per source: 29 failures before the
	 * 30th, under wave_min_failures */
	stuff(&w, 30, LOGIN_OUTCOME_FAILURE, &next, &d);
	CHECK_INT(d.failures_minute, 29);
	CHECK(!d.wave);
	CHECK_INT(d.action, LOGIN_PASS);
	CHECK_INT(d.baseline_percent, 20); /* too few attempts before: the default */
	/* the 31st sees 30 failures of 31 attempts (96%): a wave */
	stuff(&w, 1, LOGIN_OUTCOME_FAILURE, &next, &d);
	CHECK(d.wave);
	CHECK_INT(d.failures_minute, 30);
	CHECK_INT(d.percent_minute, 96);
	CHECK_INT(d.action, LOGIN_DELAY);
	CHECK_INT(d.delay_ms, w.p.wave_delay_ms);
	CHECK(strcmp(d.why, "stuffing wave: new sources slowed") == 0);
	CHECK_INT(d.fail_ip, 0);
	/* the known source is not slowed */
	CHECK_INT(attempt(&w, "203.0.113.5", "hanako", LOGIN_OUTCOME_SUCCESS, &d), LOGIN_PASS);
	CHECK(d.wave);
	CHECK_INT(d.known, 1);
	CHECK_INT(d.delay_ms, 0);
	/* a minute later, all quiet again: no wave */
	w.now = T0 + 30 * MIN_MS;
	stuff(&w, 1, LOGIN_OUTCOME_SUCCESS, &next, &d);
	CHECK(!d.wave);
	CHECK_INT(d.action, LOGIN_PASS);
	state_free(w.s);
}

/* The ratio: max(wave_percent, wave_factor x baseline), at most 90%. */
static void test_wave_ratio(void)
{
	/* default baseline 20% x 3 = 60%: 20 successes first, then failures;
	 * the attempt after f failures sees f / (21 + f) */
	world w = world_new();
	login_decision d;
	int next = 0;
	w.now = T0 + 10 * MIN_MS;
	stuff(&w, 20, LOGIN_OUTCOME_SUCCESS, &next, &d);
	stuff(&w, 32, LOGIN_OUTCOME_FAILURE, &next, &d);
	CHECK_INT(d.failures_minute, 31);
	CHECK_INT(d.percent_minute, 59);
	CHECK(!d.wave);
	stuff(&w, 1, LOGIN_OUTCOME_FAILURE, &next, &d);
	CHECK_INT(d.percent_minute, 60);
	CHECK(d.wave);
	state_free(w.s);

	/* wave_percent above factor x baseline decides */
	w = world_new();
	w.p.wave_percent = 70;
	next = 0;
	w.now = T0 + 10 * MIN_MS;
	stuff(&w, 20, LOGIN_OUTCOME_SUCCESS, &next, &d);
	stuff(&w, 50, LOGIN_OUTCOME_FAILURE, &next, &d); /* 49 / 70 = 70% */
	CHECK_INT(d.percent_minute, 70);
	CHECK(d.wave);
	state_free(w.s);

	/* A high baseline raises the bar: 100 attempts earlier in the hour,
	 * 75 failed -> 75% x 3, capped at 90%. 15 successes, then failures:
	 * f / (16 + f) reaches 65% at f = 30 (a wave with the default
	 * baseline), 90% only at f = 144. */
	for (int high = 0; high <= 1; high++) {
		w = world_new();
		next = 0;
		if (high) {
			stuff(&w, 25, LOGIN_OUTCOME_SUCCESS, &next, &d);
			stuff(&w, 75, LOGIN_OUTCOME_FAILURE, &next, &d);
		}
		w.now = T0 + 20 * MIN_MS;
		stuff(&w, 15, LOGIN_OUTCOME_SUCCESS, &next, &d);
		stuff(&w, 31, LOGIN_OUTCOME_FAILURE, &next, &d);
		CHECK_INT(d.failures_minute, 30);
		CHECK_INT(d.percent_minute, 65);
		CHECK_INT(d.baseline_percent, high ? 75 : 20);
		CHECK_INT(d.wave, !high);
		if (high) {
			stuff(&w, 113, LOGIN_OUTCOME_FAILURE, &next, &d);
			CHECK_INT(d.failures_minute, 143);
			CHECK_INT(d.percent_minute, 89);
			CHECK(!d.wave);
			stuff(&w, 1, LOGIN_OUTCOME_FAILURE, &next, &d);
			CHECK_INT(d.percent_minute, 90);
			CHECK(d.wave);
		}
		state_free(w.s);
	}
}

/* Zero thresholds switch their rules off. */
static void test_zero_thresholds(void)
{
	world w = world_new();
	login_policy *p = &w.p;
	p->delay_after = p->pair_delay_after = p->net_delay_after = 0;
	p->ban_after = p->lock_after = p->accounts_per_source = p->sources_per_account = 0;
	p->wave_min_failures = 0;
	login_decision d;
	char u[32], ip[32];
	for (int k = 0; k < 60; k++) {
		snprintf(u, sizeof(u), "user%d", k % 12);
		snprintf(ip, sizeof(ip), "203.0.113.%d", 1 + k % 15);
		CHECK_INT(attempt(&w, "198.51.100.7", "taro", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
		CHECK_INT(attempt(&w, "198.51.100.8", u, LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
		CHECK_INT(attempt(&w, ip, "hanako", LOGIN_OUTCOME_FAILURE, &d), LOGIN_PASS);
		CHECK_INT(d.nbans, 0);
		CHECK(!d.wave);
		w.now += 300;
	}
	CHECK(d.failures_minute > 100);
	CHECK(d.fail_user >= 59);
	state_free(w.s);

	/* a zero wave_delay: a wave is declared but nobody waits */
	w = world_new();
	w.p.wave_delay_ms = 0;
	int next = 0;
	stuff(&w, 40, LOGIN_OUTCOME_FAILURE, &next, &d);
	CHECK(d.wave);
	CHECK_INT(d.action, LOGIN_PASS);
	state_free(w.s);
}

/* No user name (or only spaces): never an account lock, but the source is
 * still counted, slowed and banned. */
static void test_empty_user(void)
{
	world w = world_new();
	login_decision d;
	char ip[32];
	for (int k = 1; k <= 20; k++) {
		int a = attempt(&w, "198.51.100.7", k % 2 ? "" : " \xe3\x80\x80 ", LOGIN_OUTCOME_FAILURE, &d);
		CHECK(a == LOGIN_PASS || a == LOGIN_DELAY);
		CHECK_INT(d.nbans, 0);
		CHECK_INT(d.fail_user, k - 1);
		w.now += 1000;
	}
	CHECK_INT(d.accounts_of_ip, 1);
	CHECK_INT(d.delay_ms, 10000);
	/* many sources, no name: no lock on "acct:" */
	for (int k = 1; k <= 12; k++) {
		attempt(&w, ip_n(ip, sizeof(ip), k), "", LOGIN_OUTCOME_FAILURE, &d);
		CHECK(d.action != LOGIN_LOCKED);
		w.now += 1000;
	}
	CHECK(!banned(&w, "acct:"));
	CHECK_INT(attempt(&w, "198.51.100.7", "", LOGIN_OUTCOME_FAILURE, &d), LOGIN_BANNED);
	state_free(w.s);
}

int main(void)
{
	norm_ctx nx = { .have_in = false };
	harness_case = "normalise.txt";
	int lines = harness_each_line("login/normalise.txt", normalise_line, &nx);
	if (lines >= 0 && (nx.have_in || lines < 40)) {
		harness_fail("normalise.txt: odd number of values or too few", "", 0);
		harness_count(0);
	}
	RUN(test_normalise_truncation);
	RUN(test_match);
	RUN(test_username);
	RUN(test_outcome_status);
	RUN(test_outcome_location);
	RUN(test_outcome_cookie);
	RUN(test_outcome_body);
	RUN(test_marker_splits);
	RUN(test_marker_random);
	RUN(test_marker_bound);
	RUN(test_plan_keys);
	RUN(test_typos);
	RUN(test_brute_force_pair);
	RUN(test_many_accounts);
	RUN(test_lock);
	RUN(test_sources_per_account);
	RUN(test_network);
	RUN(test_window_slides);
	RUN(test_wave);
	RUN(test_wave_ratio);
	RUN(test_zero_thresholds);
	RUN(test_empty_user);
	return harness_done("login");
}
