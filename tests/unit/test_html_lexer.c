/* test_html_lexer.c - the HTML tokenizer: token sequences for each kind of
 * markup, every attribute quoting form, start contexts, raw text, and
 * cut-off input. Tokens are printed into a compact golden string. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sekisho/html_lexer.h"

/* Tokenize `in` from `start` and write "T(text) <name a=[v]q > </x > C(..) B(..) D(..)". */
static const char *lex(const char *in, html_start start, unsigned flags, int rawtext_script)
{
	static char out[2048];
	size_t o = 0;
	html_lexer lx;
	html_token t;
	html_lexer_init(&lx, sk_slice_make(in, strlen(in)), start, flags); /* checksrc: literal */
	out[0] = '\0';
	while (html_lexer_next(&lx, &t) != HTML_TOK_EOF && o < sizeof(out) - 200) {
		int n = 0;
		switch (t.type) {
		case HTML_TOK_TEXT: n = snprintf(out + o, sizeof(out) - o, "T(%.*s)", (int)t.value.len, t.value.p); break;
		case HTML_TOK_TAG_OPEN: n = snprintf(out + o, sizeof(out) - o, "<%.*s", (int)t.name.len, t.name.p); break;
		case HTML_TOK_CLOSE_TAG: n = snprintf(out + o, sizeof(out) - o, "</%.*s", (int)t.name.len, t.name.p); break;
		case HTML_TOK_ATTR:
			n = t.has_value ? snprintf(out + o, sizeof(out) - o, " %.*s=[%.*s]%c", (int)t.name.len, t.name.p,
						   (int)t.value.len, t.value.p, t.quote ? t.quote : '_')
					: snprintf(out + o, sizeof(out) - o, " %.*s", (int)t.name.len, t.name.p);
			break;
		case HTML_TOK_TAG_END:
			n = snprintf(out + o, sizeof(out) - o, "%s", t.unterminated ? " EOF" : t.self_closing ? " />" : " >");
			if (rawtext_script && !t.end_tag && !t.unterminated)
				html_lexer_rawtext(&lx, SK_LIT("script"));
			break;
		case HTML_TOK_COMMENT: n = snprintf(out + o, sizeof(out) - o, "C(%.*s)", (int)t.value.len, t.value.p); break;
		case HTML_TOK_BOGUS: n = snprintf(out + o, sizeof(out) - o, "B(%.*s)", (int)t.value.len, t.value.p); break;
		case HTML_TOK_CDATA: n = snprintf(out + o, sizeof(out) - o, "D(%.*s)", (int)t.value.len, t.value.p); break;
		default: break;
		}
		if (n > 0)
			o += (size_t)n;
	}
	return out;
}

#define LEX(in, want) CHECK_MEM(lex(in, HTML_START_DATA, 0, 0), strlen(lex(in, HTML_START_DATA, 0, 0)), want) /* checksrc: literal */
#define LEXS(in, st, fl, want) CHECK_MEM(lex(in, st, fl, 0), strlen(lex(in, st, fl, 0)), want) /* checksrc: literal */

static void test_text_and_tags(void)
{
	LEX("hello", "T(hello)");
	LEX("a <b> c", "T(a )<b >T( c)");
	LEX("x < y and y > z", "T(x < y and y > z)");
	LEX("<3 and 1<2", "T(<3 and 1<2)");
	LEX("<p>x</p>", "<p >T(x)</p >");
	LEX("<br/>", "<br />");
	LEX("<ScRiPt>", "<ScRiPt >");
	LEX("</>", "B()"); /* browsers drop it; reported as an empty bogus comment */
	LEX("a</", "T(a</)");
}

static void test_attributes(void)
{
	LEX("<a href=\"x y\" b='z' c=w d>", "<a href=[x y]\" b=[z]' c=[w]_ d >");
	LEX("<svg/onload=alert(1)>", "<svg onload=[alert(1)]_ >");
	LEX("<x 1=\"1\"onxxx=1>", "<x 1=[1]\" onxxx=[1]_ >");
	LEX("<a b = \"c\" >", "<a b=[c]\" >");
	LEX("<a =b>", "<a =b >");
	LEX("<img src=x onerror=alert(1)//", "<img src=[x]_ onerror=[alert(1)//]_ EOF");
	LEX("<a b=\"unterminated", "<a b=[unterminated]\" EOF");
	LEX("<a b=>", "<a b=[]_ >");
	LEX("<a/b/c>", "<a b c >");
	LEX("</a x=1>", "</a x=[1]_ >");
	/* backticks are value characters for HTML5, quotes for old IE */
	LEXS("<img src=`x`onerror=1>", HTML_START_DATA, 0, "<img src=[`x`onerror=1]_ >");
	LEXS("<img src=`x`onerror=1>", HTML_START_DATA, HTML_LEX_BACKTICK_QUOTES, "<img src=[x]` onerror=[1]_ >");
}

static void test_comments(void)
{
	LEX("<!-- a -->b", "C( a )T(b)");
	LEX("<!-->x", "C()T(x)");
	LEX("<!--->x", "C()T(x)");
	LEX("<!--a--!>b", "C(a)T(b)");
	LEX("<!--<img src=\"--><x>", "C(<img src=\")<x >");
	LEX("<!-- open", "C( open)");
	LEX("<?xml version=\"1.0\"?><r/>", "B(?xml version=\"1.0\"?)<r />");
	LEX("<!DOCTYPE html>", "B(DOCTYPE html)");
	LEX("</3>", "B(3)");
	LEX("<![CDATA[a <b> c]]>d", "D(a <b> c)T(d)");
}

static void test_start_contexts(void)
{
	LEXS("x\" onmouseover=alert(1) y=\"", HTML_START_VALUE_DQ, 0, "T(x) onmouseover=[alert(1)]_ y=[]\" EOF");
	LEXS("x' autofocus onfocus=f() '", HTML_START_VALUE_SQ, 0, "T(x) autofocus onfocus=[f()]_ ' EOF");
	LEXS("x onmouseover=alert(1)", HTML_START_VALUE_UNQ, 0, "T(x) onmouseover=[alert(1)]_ EOF");
	LEXS("\"><svg onload=1>", HTML_START_VALUE_DQ, 0, "T() ><svg onload=[1]_ >");
	LEXS("style=x:y onclick=z", HTML_START_ATTRS, 0, " style=[x:y]_ onclick=[z]_ EOF");
	LEXS("no quote here", HTML_START_VALUE_DQ, 0, "T(no quote here)");
	LEXS("a`b", HTML_START_VALUE_BT, HTML_LEX_BACKTICK_QUOTES, "T(a) b EOF");
}

static void test_rawtext(void)
{
	CHECK_MEM(lex("<script>if (a<b) x='</p>';</script>y", HTML_START_DATA, 0, 1),
		  strlen(lex("<script>if (a<b) x='</p>';</script>y", HTML_START_DATA, 0, 1)), /* checksrc: literal */
		  "<script >T(if (a<b) x='</p>';)</script >T(y)");
	CHECK_MEM(lex("<script>a</SCRIPT >", HTML_START_DATA, 0, 1),
		  strlen(lex("<script>a</SCRIPT >", HTML_START_DATA, 0, 1)), "<script >T(a)</SCRIPT >"); /* checksrc: literal */
	CHECK_MEM(lex("<script>a</scripts>", HTML_START_DATA, 0, 1),
		  strlen(lex("<script>a</scripts>", HTML_START_DATA, 0, 1)), "<script >T(a</scripts>)"); /* checksrc: literal */
}

static void test_names(void)
{
	CHECK(html_name_is(SK_LIT("SCRIPT"), "script"));
	CHECK(html_name_is(SK_LIT("sCrIpT"), "script"));
	CHECK(!html_name_is(SK_LIT("scr\0ipt"), "script"));
	CHECK(!html_name_is(SK_LIT("scripts"), "script"));
	CHECK(!html_name_is(SK_LIT("scrip"), "script"));
}

static void test_offsets(void)
{
	const char *in = "ab<x y=\"z\">";
	html_lexer lx;
	html_token t;
	html_lexer_init(&lx, sk_slice_make(in, strlen(in)), HTML_START_DATA, 0); /* checksrc: literal */
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_TEXT);
	CHECK_INT(t.off, 0);
	CHECK_INT(t.len, 2);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_TAG_OPEN);
	CHECK_INT(t.off, 2);
	CHECK_INT(t.len, 2);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_ATTR);
	CHECK_INT(t.off, 5);
	CHECK_INT(t.len, 5);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_TAG_END);
	CHECK_INT(t.off, 10);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_EOF);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_EOF);
	html_lexer_init(&lx, SK_SLICE_NULL, HTML_START_ATTRS, 0);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_TAG_END);
	CHECK_INT(html_lexer_next(&lx, &t), HTML_TOK_EOF);
}

int main(void)
{
	RUN(test_text_and_tags);
	RUN(test_attributes);
	RUN(test_comments);
	RUN(test_start_contexts);
	RUN(test_rawtext);
	RUN(test_names);
	RUN(test_offsets);
	return harness_done("html_lexer");
}
