/* test_sqli.c - the SQL lexer and the sqli detector.
 *
 * Data: tests/data/sqli/tp.txt (must fire at paranoia 1) and tn.txt (must
 * not fire at paranoia 1), one harness case per line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sekisho/detectors.h"
#include "sekisho/sql_lexer.h"

static int detect(const char *p, size_t n, int paranoia, target_loc loc, det_hit *hit)
{
	sk_slice v = { p, n };
	det_input in = { v, det_classes(v), SK_LIT("q"), loc, paranoia };
	memset(hit, 0, sizeof(*hit));
	return sqli_detect(&in, hit);
}

static int detect_str(const char *s, int paranoia, det_hit *hit)
{
	return detect(s, strlen(s), paranoia, LOC_QUERY_ARG, hit);
}

static void each_tp(const harness_line *l, void *ctx)
{
	(void)ctx;
	det_hit hit;
	int r = detect(l->buf, l->len, 1, LOC_QUERY_ARG, &hit);
	int ok = r == 1 && hit.score == DET_SCORE_CRITICAL && hit.rule && hit.off + hit.len <= l->len;
	/* the same payload must be caught wherever it sits */
	det_hit h2;
	ok = ok && detect(l->buf, l->len, 1, LOC_HEADER, &h2) == 1 && detect(l->buf, l->len, 1, LOC_JSON, &h2) == 1;
	if (!ok) {
		harness_case = "tp.txt";
		harness_fail("did not fire", l->buf, l->len);
	}
	harness_count(ok);
}

static void each_tn(const harness_line *l, void *ctx)
{
	(void)ctx;
	det_hit hit;
	int r = detect(l->buf, l->len, 1, LOC_FORM, &hit);
	if (r) {
		harness_case = "tn.txt";
		fprintf(stderr, "  rule %s off %zu len %zu\n", hit.rule, hit.off, hit.len);
		harness_fail("fired", l->buf, l->len);
	}
	harness_count(!r);
}

/* Lex `s` in `ctx` and return the token types as a string. */
static const char *types(const char *s, sql_ctx ctx, char *out, size_t cap)
{
	sql_lexer lx;
	sql_token t;
	size_t n = 0;
	sql_lexer_init(&lx, sk_slice_make(s, strlen(s)), ctx);
	while (n + 1 < cap && sql_lexer_next(&lx, &t))
		out[n++] = t.type;
	out[n] = '\0';
	return out;
}

static void test_lexer_types(void)
{
	char b[64];
	CHECK(strcmp(types("SELECT a FROM t WHERE b=1", SQL_CTX_BARE, b, sizeof b), "Enknkno1") == 0);
	CHECK(strcmp(types("x' or 1=1-- ", SQL_CTX_SQUOTE, b, sizeof b), "s&1o1c") == 0);
	CHECK(strcmp(types("a\" union select 1#", SQL_CTX_DQUOTE, b, sizeof b), "sUE1c") == 0);
	CHECK(strcmp(types("N'x' X'41' 0x41 b'01' E'\\n' q'[it's]' $$a'b$$ $t$x$t$", SQL_CTX_BARE, b, sizeof b),
		     "ss1sssss") == 0);
	CHECK(strcmp(types("`t` [col] @x @@version", SQL_CTX_BARE, b, sizeof b), "nnvv") == 0);
	CHECK(strcmp(types("a||b&&c<=>d::e:=f<>g", SQL_CTX_BARE, b, sizeof b), "n&n&nonononon") == 0);
	CHECK(strcmp(types("/*!50000UNION*/ /*!SELECT*/ 1", SQL_CTX_BARE, b, sizeof b), "UE1") == 0);
	CHECK(strcmp(types("a/**/b -- x\n#y\nc", SQL_CTX_BARE, b, sizeof b), "ncnccn") == 0);
	CHECK(strcmp(types("sleep (5) foo(1) foo (1)", SQL_CTX_BARE, b, sizeof b), "f(1)f(1)n(1)") == 0);
	CHECK(strcmp(types("1%20or%0b1\xa0=1", SQL_CTX_BARE, b, sizeof b), "1&1o1") == 0);
	CHECK(strcmp(types("it''s' x", SQL_CTX_SQUOTE, b, sizeof b), "sn") == 0);
}

static void test_keyword_table(void)
{
	for (size_t i = 1; i < sql_keywords_count; i++)
		CHECK(strcmp(sql_keywords[i - 1].word, sql_keywords[i].word) < 0);
	CHECK(sql_keyword_find("union", 5) != NULL);
	CHECK(sql_keyword_find("xp_cmdshell", 11) != NULL);
	CHECK(sql_keyword_find("unionx", 6) == NULL);
	CHECK(sql_keyword_find("", 0) == NULL);
}

static void test_fragment(void)
{
	det_hit hit;
	const char *v = "abc' union select 1,2--";
	CHECK_INT(detect_str(v, 1, &hit), 1);
	CHECK(hit.rule && strncmp(hit.rule, "sqli.union", 10) == 0);
	CHECK_MEM(v + hit.off, hit.len, "union select 1");
	v = "1 or 1=1";
	CHECK_INT(detect_str(v, 1, &hit), 1);
	CHECK(strncmp(hit.rule, "sqli.tautology", 14) == 0);
	CHECK_MEM(v + hit.off, hit.len, "or 1=1");
	/* a path is read segment by segment; offsets are within the path */
	v = "/item/1 or 1=1--/reviews";
	CHECK_INT(detect(v, strlen(v), 1, LOC_PATH, &hit), 1);
	CHECK_MEM(v + hit.off, hit.len, "or 1=1--");
}

static void test_paranoia(void)
{
	det_hit hit;
	/* a plain statement is code in a Q&A post at levels 1 and 2, suspicious at 3 */
	const char *v = "SELECT id, name FROM users WHERE id = 1";
	CHECK_INT(detect_str(v, 1, &hit), 0);
	CHECK_INT(detect_str(v, 2, &hit), 0);
	CHECK_INT(detect_str(v, 3, &hit), 1);
	CHECK(hit.score < DET_SCORE_CRITICAL);
	/* a comparison after a quote that does not reach the end */
	v = "x' and 'a'='a' foo";
	CHECK_INT(detect_str(v, 1, &hit), 0);
	CHECK_INT(detect_str(v, 2, &hit), 1);
}

/* Hostile values are analysed in linear time: harness_linear compares
 * 1 MB with 128 KB in the same run. */
static void scan_p3(const char *buf, size_t n, void *ctx)
{
	(void)ctx;
	det_hit hit;
	(void)detect(buf, n, 3, LOC_QUERY_ARG, &hit);
}

static void test_hostile_linear(void)
{
	static const char *const pats[] = { "'\"(-[<`/*#@$", "(", "'", "or 1=(", "$a$" };
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++)
		harness_linear(scan_p3, pats[k], NULL);
}

int main(void)
{
	RUN(test_lexer_types);
	RUN(test_keyword_table);
	RUN(test_fragment);
	RUN(test_paranoia);
	RUN(test_hostile_linear);
	harness_each_line("sqli/tp.txt", each_tp, NULL);
	harness_each_line("sqli/tn.txt", each_tn, NULL);
	return harness_done("sqli");
}
