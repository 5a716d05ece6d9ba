/* test_xml.c - the XML reducer: golden files, well-formedness rules, limits,
 * no entity expansion.
 *
 * Golden format and helpers (those of test_json.c): golden.h.
 */
#include "golden.h"
#include "sekisho/xml.h"

static int collect(void *ctx, const target *t)
{
	out *o = ctx;
	out_target(o, t);
	/* name and value are NUL-terminated arena copies; raw points into the body. */
	if (t->name.p[t->name.len] != '\0' || t->value.p[t->value.len] != '\0')
		out_str(o, "!! slice not terminated\n");
	return 0;
}

static out parse(const char *doc, size_t n, const http_limits *lim)
{
	out o = { 0 };
	arena *a = arena_new(lim->max_arena);
	sk_error e = { 0 };
	/* A private copy with no NUL after it: the parser must stay in bounds. */
	char *copy = malloc(n ? n : 1);
	memcpy(copy, doc, n);
	int rc = xml_parse(sk_slice_make(copy, n), a, lim, collect, &o, &e);
	out_result(&o, rc, &e);
	free(copy);
	arena_free(a);
	return o;
}

/* ---- golden files ---- */

static void test_golden(void)
{
	golden_dir("xml", ".xml", parse, NULL);
}

/* ---- one document per line ---- */

static void test_accept_reject(void)
{
	golden_accept_reject("xml", parse, NULL, 10, 20);
}

/* Every proper prefix of a document is rejected (truncation). */
static void test_truncated(void)
{
	http_limits lim;
	http_limits_default(&lim);
	const char doc[] = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e \"v\">]><a x=\"1\"><b>t&amp;<![CDATA[c]]></b><!--c--><?p i?></a>";
	size_t n = sizeof(doc) - 1;
	out full = parse(doc, n, &lim);
	CHECK(strstr(full.p, "\nok\n") != NULL);
	free(full.p);
	for (size_t k = 0; k < n; k++) {
		out o = parse(doc, k, &lim);
		CHECK(strstr(o.p, "error\t400\t") != NULL);
		free(o.p);
	}
}

static sk_error run_err(const char *doc, size_t n, const http_limits *lim)
{
	arena *a = arena_new(lim->max_arena);
	sk_error e = { "none", 0, 0 };
	xml_parse(sk_slice_make(doc, n), a, lim, NULL, NULL, &e);
	arena_free(a);
	return e;
}

static void test_rules(void)
{
	http_limits lim;
	http_limits_default(&lim);
	ERR_IS("<a><b></a>", "mismatched XML end tag", 6, 400);
	ERR_IS("<a><b>", "unclosed XML element", 6, 400);
	ERR_IS("", "no XML root element", 0, 400);
	ERR_IS("<!-- c -->", "no XML root element", 10, 400);
	ERR_IS("<a x='1' x='2'/>", "duplicate XML attribute", 9, 400);
	ERR_IS("<a x='<'/>", "'<' in XML attribute value", 6, 400);
	ERR_IS("<a/><a/>", "more than one XML root element", 4, 400);
	ERR_IS("x<a/>", "text outside the XML root element", 0, 400);
	ERR_IS("<a/>x", "text outside the XML root element", 4, 400);
	ERR_IS("<a></b>", "mismatched XML end tag", 3, 400);
	ERR_IS("</a>", "XML end tag without a start tag", 0, 400);
	ERR_IS("<a x=1/>", "XML attribute value must be quoted", 5, 400);
	ERR_IS("<a x/>", "expected '=' after XML attribute name", 4, 400);
	ERR_IS("<a x='1'y='2'/>", "expected space before XML attribute", 8, 400);
	ERR_IS("<a><!-- x </a>", "unterminated XML comment", 3, 400);
	ERR_IS("<a><![CDATA[ x </a>", "unterminated CDATA section", 3, 400);
	ERR_IS("<![CDATA[x]]><a/>", "CDATA outside the XML root element", 0, 400);
	ERR_IS("<a/><!DOCTYPE a>", "misplaced XML DOCTYPE", 4, 400);
	ERR_IS("<!DOCTYPE a><!DOCTYPE a><a/>", "misplaced XML DOCTYPE", 12, 400);
	ERR_IS(" <?xml version='1.0'?><a/>", "misplaced XML declaration", 1, 400);
	ERR_IS("<a><!ELEMENT a ANY></a>", "bad XML markup", 3, 400);
	ERR_IS("<1a/>", "bad XML element name", 1, 400);
	ERR_IS("<!DOCTYPE a [ junk ]><a/>", "bad XML DOCTYPE internal subset", 14, 400);
	ERR_IS("<!DOCTYPE a [ <!ENTITY x 'y'> ", "unterminated XML DOCTYPE", 0, 400);
	ERR_IS("<a/>", "none", 0, 0);
}

static void refused_as_deep(const char *buf, size_t n, void *lim)
{
	sk_error e = run_err(buf, n, lim);
	CHECK(strcmp(e.rule, "xml nesting too deep") == 0);
}

/* 10,000 nested elements fail fast at the depth limit; with the limit
 * raised they parse without recursion. */
static void test_deep_nesting(void)
{
	http_limits lim;
	http_limits_default(&lim);
	size_t n = 10000;
	char *doc = malloc(n * 7 + 2);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(doc + k, 4, "<a>");
	doc[k++] = 'x';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(doc + k, 5, "</a>");
	sk_error e = run_err(doc, k, &lim);
	CHECK(strcmp(e.rule, "xml nesting too deep") == 0);
	CHECK_INT(e.offset, 64 * 3);
	CHECK_INT(e.status, 400);
	/* fast: 1 MB of nesting costs no more than a ratio of 128 KB (was an
	 * absolute 50 ms, which a loaded machine or a sanitizer can miss) */
	harness_linear(refused_as_deep, "<a>", &lim);
	lim.max_depth = n;
	/* The one text target has a 20,000-byte path: give the arena room. */
	e = run_err(doc, k, &lim);
	CHECK(strcmp(e.rule, "none") == 0);
	free(doc);
}

static void test_many_targets(void)
{
	http_limits lim;
	http_limits_default(&lim);
	size_t n = 10000;
	char *doc = malloc(n * 16 + 16);
	size_t k = (size_t)snprintf(doc, 8, "<r>");
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(doc + k, 16, "<v>%zu</v>", i % 100);
	k += (size_t)snprintf(doc + k, 8, "</r>");
	sk_error e = run_err(doc, k, &lim);
	CHECK(strcmp(e.rule, "too many XML values") == 0);
	CHECK_INT(e.status, 413);

	lim.max_targets = n;
	arena *a = arena_new(lim.max_arena);
	size_t count = 0;
	CHECK_INT(xml_parse(sk_slice_make(doc, k), a, &lim, count_targets, &count, &e), SK_OK);
	CHECK_INT(count, n);
	arena_free(a);
	free(doc);

	/* Many attributes on one element: each is a target, so the limit
	 * bounds the duplicate check too. */
	lim.max_targets = 3000;
	doc = malloc(5000 * 16 + 16);
	k = (size_t)snprintf(doc, 8, "<r");
	for (size_t i = 0; i < 5000; i++)
		k += (size_t)snprintf(doc + k, 16, " a%zu='1'", i);
	k += (size_t)snprintf(doc + k, 8, "/>");
	e = run_err(doc, k, &lim);
	CHECK(strcmp(e.rule, "too many XML values") == 0);
	free(doc);
}

static int stop_first(void *ctx, const target *t)
{
	(void)ctx;
	(void)t;
	return -1;
}

static void test_consumer_stop(void)
{
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	sk_error e = { 0 };
	CHECK_INT(xml_parse(SK_LIT("<a>x</a>"), a, &lim, stop_first, NULL, &e), SK_ERR);
	CHECK(strcmp(e.rule, "stopped by consumer") == 0);
	arena_free(a);
}

/* raw points into the body as sent; value is decoded. */
static void test_raw(void)
{
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	target t = { 0 };
	sk_error e = { 0 };
	sk_slice doc = SK_LIT("<a><b>x&lt;<![CDATA[&amp;]]>&e;</b></a>");
	CHECK_INT(xml_parse(doc, a, &lim, keep_last, &t, &e), SK_OK);
	CHECK_SLICE(t.raw, "x&lt;<![CDATA[&amp;]]>&e;");
	CHECK(t.raw.p == doc.p + 6);
	CHECK_SLICE(t.value, "x<&amp;&e;");
	CHECK_SLICE(t.name, "a/b");
	CHECK_INT(t.flags, TF_MALFORMED);
	arena_free(a);
}

static void test_small_arena(void)
{
	http_limits lim;
	http_limits_default(&lim);
	sk_slice doc = SK_LIT("<!DOCTYPE a [<!ENTITY e 'v'>]><a x='1'><b>hello world &amp; more</b><c y='&e;'/></a>");
	for (size_t cap = 16; cap < 4096; cap += 16) {
		arena *a = arena_new(cap);
		sk_error e = { 0 };
		int rc = xml_parse(doc, a, &lim, NULL, NULL, &e);
		CHECK(rc == SK_OK || (e.status == 413 && strcmp(e.rule, "XML exceeds the arena") == 0));
		arena_free(a);
	}
}

int main(void)
{
	RUN(test_golden);
	RUN(test_accept_reject);
	RUN(test_truncated);
	RUN(test_rules);
	RUN(test_deep_nesting);
	RUN(test_many_targets);
	RUN(test_consumer_stop);
	RUN(test_raw);
	RUN(test_small_arena);
	return harness_done("xml");
}
