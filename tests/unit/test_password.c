/* test_password.c - the password policy (lib/guard/password.c): character
 * counting (tests/data/password/chars.txt), the list's parsing rules, the
 * set against a large generated list, and the verdicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/password.h"

static sk_slice S(const char *s)
{
	return sk_slice_make(s, strlen(s));
}

static void chars_case(const harness_line *l, void *ctx)
{
	(void)ctx;
	const char *colon = memchr(l->buf, ':', l->len);
	if (!colon) {
		harness_fail("no ':' in line", l->buf, l->len);
		harness_count(0);
		return;
	}
	size_t want = (size_t)strtoul(l->buf, NULL, 10);
	size_t vlen = l->len - (size_t)(colon + 1 - l->buf);
	size_t got = password_chars(sk_slice_make(colon + 1, vlen));
	if (got != want) {
		char what[64];
		snprintf(what, sizeof(what), "chars %zu, want %zu", got, want);
		harness_fail(what, colon + 1, vlen);
	}
	harness_count(got == want);
}

static void test_chars(void)
{
	CHECK(harness_each_line("password/chars.txt", chars_case, NULL) > 10);
}

static void test_list_rules(void)
{
	static const char text[] = "123456\npassword\r\n\n#hashtag\npassword\nabc\n"
				   "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89\nlast-no-lf";
	pwlist_stats st;
	uint8_t key[SIPHASH_KEY_LEN] = { 1, 2, 3 };
	pwlist *l = pwlist_build(sk_slice_make(text, sizeof(text) - 1), 4, key, &st);
	CHECK(l != NULL);
	if (!l)
		return;
	CHECK_INT(st.lines, 8);
	CHECK_INT(st.empty, 1);
	CHECK_INT(st.duplicates, 1);
	CHECK_INT(st.skipped_short, 1); /* "abc" */
	CHECK_INT(st.skipped_long, 0);
	CHECK_INT(st.kept, 5);
	CHECK_INT(pwlist_size(l), 5);
	CHECK(pwlist_contains(l, S("123456")));
	CHECK(pwlist_contains(l, S("password")));    /* CR dropped */
	CHECK(!pwlist_contains(l, S("password\r")));
	CHECK(pwlist_contains(l, S("#hashtag")));    /* not a comment */
	CHECK(pwlist_contains(l, S("last-no-lf")));
	CHECK(pwlist_contains(l, S("\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89")));
	CHECK(!pwlist_contains(l, S("Password")));  /* byte for byte */
	CHECK(!pwlist_contains(l, S("abc")));       /* left out: too short anyway */
	CHECK(!pwlist_contains(l, S("")));
	CHECK(!pwlist_contains(l, S("12345")));
	pwlist_free(l);
}

static void test_long_lines_and_empty(void)
{
	char *text = malloc(PASSWORD_LINE_MAX + 16);
	memset(text, 'x', PASSWORD_LINE_MAX + 1);
	memcpy(text + PASSWORD_LINE_MAX + 1, "\nok-pass\n", 9);
	pwlist_stats st;
	pwlist *l = pwlist_build(sk_slice_make(text, PASSWORD_LINE_MAX + 10), 0, NULL, &st);
	CHECK(l != NULL);
	CHECK_INT(st.skipped_long, 1);
	CHECK_INT(st.kept, 1);
	CHECK(l && pwlist_contains(l, S("ok-pass")));
	CHECK(l && !pwlist_contains(l, sk_slice_make(text, PASSWORD_LINE_MAX + 1)));
	pwlist_free(l);
	free(text);
	/* an empty list works and contains nothing */
	l = pwlist_build(SK_SLICE_NULL, 8, NULL, &st);
	CHECK(l != NULL);
	CHECK_INT(st.lines, 0);
	CHECK(l && !pwlist_contains(l, S("")));
	CHECK_INT(pwlist_size(l), 0);
	pwlist_free(l);
	pwlist_free(NULL);
	CHECK(!pwlist_contains(NULL, S("x")));
}

/* 200,000 generated passwords: every one is found after the radix sort,
 * 200,000 others are not, and memory is 8 bytes per entry. */
static void test_large_list(void)
{
	enum { N = 200000 };
	char *text = malloc((size_t)N * 16);
	size_t o = 0;
	for (unsigned i = 0; i < N; i++)
		o += (size_t)snprintf(text + o, 16, "pw%08u\n", i * 7u);
	uint8_t key[SIPHASH_KEY_LEN] = { 9, 8, 7, 6 };
	pwlist_stats st;
	pwlist *l = pwlist_build(sk_slice_make(text, o), 8, key, &st);
	CHECK(l != NULL);
	if (!l) {
		free(text);
		return;
	}
	CHECK_INT(st.kept, N);
	CHECK(pwlist_bytes(l) <= (size_t)N * 8 + 64);
	int missing = 0, false_pos = 0;
	for (unsigned i = 0; i < N; i++) {
		char pw[16];
		snprintf(pw, sizeof(pw), "pw%08u", i * 7u);
		missing += !pwlist_contains(l, S(pw));
		snprintf(pw, sizeof(pw), "pw%08u", i * 7u + 1);
		false_pos += pwlist_contains(l, S(pw));
	}
	CHECK_INT(missing, 0);
	CHECK_INT(false_pos, 0);
	pwlist_free(l);
	free(text);
}

static void test_check(void)
{
	static const char text[] = "correct horse\nhunter2hunter2\n";
	pwlist *l = pwlist_build(sk_slice_make(text, sizeof(text) - 1), 0, NULL, NULL);
	size_t n = 0;
	CHECK_INT(password_check(l, 12, S("short"), &n), PW_TOO_SHORT);
	CHECK_INT(n, 5);
	CHECK_INT(password_check(l, 12, S("hunter2hunter2"), &n), PW_LISTED);
	CHECK_INT(password_check(l, 12, S("a good long passphrase"), &n), PW_OK);
	CHECK_INT(n, 22);
	/* 12 Japanese characters are 36 bytes but 12 characters: long enough;
	 * 11 are too short although 33 bytes */
	CHECK_INT(password_check(l, 12,
				 S("\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80"
				   "\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80"),
				 &n),
		  PW_OK);
	CHECK_INT(password_check(l, 12,
				 S("\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80"
				   "\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2\xe6\x89\x80\xe9\x96\xa2"),
				 &n),
		  PW_TOO_SHORT);
	CHECK_INT(n, 11);
	/* no list: length only */
	CHECK_INT(password_check(NULL, 4, S("hunter2hunter2"), NULL), PW_OK);
	CHECK(strcmp(password_verdict_name(PW_LISTED), "listed") == 0);
	CHECK(strcmp(password_verdict_name(PW_TOO_SHORT), "too_short") == 0);
	pwlist_free(l);
}

/* Two keys give two different sets that answer the same. */
static void test_keys(void)
{
	static const char text[] = "alpha123\nbeta4567\n";
	uint8_t k1[SIPHASH_KEY_LEN] = { 1 }, k2[SIPHASH_KEY_LEN] = { 2 };
	pwlist *a = pwlist_build(sk_slice_make(text, sizeof(text) - 1), 0, k1, NULL);
	pwlist *b = pwlist_build(sk_slice_make(text, sizeof(text) - 1), 0, k2, NULL);
	CHECK(a && b && pwlist_contains(a, S("alpha123")) && pwlist_contains(b, S("alpha123")));
	CHECK(a && b && !pwlist_contains(a, S("gamma")) && !pwlist_contains(b, S("gamma")));
	pwlist_free(a);
	pwlist_free(b);
}

int main(void)
{
	RUN(test_chars);
	RUN(test_list_rules);
	RUN(test_long_lines_and_empty);
	RUN(test_large_list);
	RUN(test_check);
	RUN(test_keys);
	return harness_done("password");
}
