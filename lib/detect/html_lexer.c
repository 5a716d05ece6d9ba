/* html_lexer.c - HTML5-style tokenizer over a slice (see html_lexer.h).
 *
 * States follow the WHATWG tokenizer loosely: data, "inside a tag" (before
 * attribute name / after a value), an initial attribute value, and raw
 * text. Within a state the scan is a forward loop; every path advances
 * `pos`, so the whole run is linear.
 */
#include "sekisho/html_lexer.h"

#include <string.h>

enum { ST_DATA, ST_TAG, ST_VALUE, ST_RAWTEXT, ST_DONE };

static bool is_ws(unsigned char c)
{
	/* HTML whitespace: tab, LF, FF, CR, space. */
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

bool html_name_is(sk_slice name, const char *lower)
{
	size_t i = 0;
	for (; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];
		if (lower[i] == '\0')
			return false;
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (c != (unsigned char)lower[i])
			return false;
	}
	return lower[i] == '\0';
}

static char start_quote(html_start s)
{
	switch (s) {
	case HTML_START_VALUE_DQ: return '"';
	case HTML_START_VALUE_SQ: return '\'';
	case HTML_START_VALUE_BT: return '`';
	default: return 0;
	}
}

void html_lexer_init(html_lexer *lx, sk_slice in, html_start start, unsigned flags)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = in.p;
	lx->len = in.p ? in.len : 0;
	lx->flags = flags;
	if (start == HTML_START_DATA)
		lx->state = ST_DATA;
	else if (start == HTML_START_ATTRS)
		lx->state = ST_TAG;
	else {
		lx->state = ST_VALUE;
		lx->quote = start_quote(start);
	}
}

void html_lexer_rawtext(html_lexer *lx, sk_slice name)
{
	if (lx->state == ST_DATA && name.len > 0) {
		lx->state = ST_RAWTEXT;
		lx->rawtext = name;
	}
}

static void tok_reset(html_token *t, html_tok_type type, size_t off)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->off = off;
}

/* Find `needle` (n bytes) in p[from..len); returns offset or len. */
static size_t find(const char *p, size_t len, size_t from, const char *needle, size_t n)
{
	if (from >= len || len - from < n)
		return len;
	const char *r = memmem(p + from, len - from, needle, n);
	return r ? (size_t)(r - p) : len;
}

static size_t find_byte(const char *p, size_t len, size_t from, char c)
{
	if (from >= len)
		return len;
	const char *r = memchr(p + from, c, len - from);
	return r ? (size_t)(r - p) : len;
}

/* Markup that starts at p[i] == '<', or 0 when the '<' is plain text. */
static int markup_kind(const char *p, size_t len, size_t i)
{
	if (i + 1 >= len)
		return 0;
	unsigned char c = (unsigned char)p[i + 1];
	if (is_alpha(c))
		return HTML_TOK_TAG_OPEN;
	if (c == '!' || c == '?')
		return HTML_TOK_BOGUS; /* refined by the caller */
	if (c == '/') {
		if (i + 2 >= len)
			return 0; /* "</" at the end is text */
		return is_alpha((unsigned char)p[i + 2]) ? HTML_TOK_CLOSE_TAG : HTML_TOK_BOGUS;
	}
	return 0;
}

/* A tag or attribute name ends at whitespace, '/', '>' (and '=' for
 * attributes after their first byte). */
static size_t scan_name(const char *p, size_t len, size_t i, bool attr)
{
	while (i < len) {
		unsigned char c = (unsigned char)p[i];
		if (is_ws(c) || c == '/' || c == '>' || (attr && c == '='))
			break;
		i++;
	}
	return i;
}

static html_tok_type lex_markup(html_lexer *lx, html_token *t)
{
	const char *p = lx->p;
	size_t len = lx->len, i = lx->pos;
	int kind = markup_kind(p, len, i);

	if (kind == HTML_TOK_TAG_OPEN || kind == HTML_TOK_CLOSE_TAG) {
		size_t ns = i + (kind == HTML_TOK_TAG_OPEN ? 1 : 2);
		size_t ne = scan_name(p, len, ns, false);
		tok_reset(t, (html_tok_type)kind, i);
		t->name = sk_slice_make(p + ns, ne - ns);
		t->len = ne - i;
		lx->pos = ne;
		lx->state = ST_TAG;
		lx->in_end_tag = kind == HTML_TOK_CLOSE_TAG;
		return t->type;
	}

	/* "<!--" comment; "<!-->" and "<!--->" close at once. */
	if (i + 3 < len && p[i + 1] == '!' && p[i + 2] == '-' && p[i + 3] == '-') {
		size_t bs = i + 4, be, end;
		tok_reset(t, HTML_TOK_COMMENT, i);
		if (bs < len && p[bs] == '>') {
			be = bs;
			end = bs + 1;
		} else if (bs + 1 < len && p[bs] == '-' && p[bs + 1] == '>') {
			be = bs;
			end = bs + 2;
		} else {
			/* ends at "-->" or "--!>", whichever comes first */
			size_t a = find(p, len, bs, "-->", 3), b = find(p, len, bs, "--!>", 4);
			if (a <= b && a < len) {
				be = a;
				end = a + 3;
			} else if (b < len) {
				be = b;
				end = b + 4;
			} else {
				be = end = len;
				t->unterminated = true;
			}
		}
		t->value = sk_slice_make(p + bs, be - bs);
		t->len = end - i;
		lx->pos = end;
		return t->type;
	}

	if (i + 8 < len && memcmp(p + i + 1, "![CDATA[", 8) == 0) {
		size_t bs = i + 9, be = find(p, len, bs, "]]>", 3);
		tok_reset(t, HTML_TOK_CDATA, i);
		t->value = sk_slice_make(p + bs, be - bs);
		if (be == len) {
			t->unterminated = true;
			lx->pos = len;
		} else {
			lx->pos = be + 3;
		}
		t->len = lx->pos - i;
		return t->type;
	}

	/* Bogus comment: "<?", "<!" or "</" + non-letter, up to the next '>'. */
	{
		size_t bs = i + 2, be = find_byte(p, len, bs, '>');
		if (p[i + 1] == '?')
			bs = i + 1; /* the '?' belongs to the comment body */
		tok_reset(t, HTML_TOK_BOGUS, i);
		t->value = sk_slice_make(p + bs, be - bs);
		if (be == len) {
			t->unterminated = true;
			lx->pos = len;
		} else {
			lx->pos = be + 1;
		}
		t->len = lx->pos - i;
		return t->type;
	}
}

static html_tok_type lex_data(html_lexer *lx, html_token *t)
{
	const char *p = lx->p;
	size_t len = lx->len, start = lx->pos, i = start;

	while (i < len) {
		i = find_byte(p, len, i, '<');
		if (i == len || markup_kind(p, len, i))
			break;
		i++;
	}
	if (i > start) {
		tok_reset(t, HTML_TOK_TEXT, start);
		t->value = sk_slice_make(p + start, i - start);
		t->len = i - start;
		lx->pos = i;
		return t->type;
	}
	return lex_markup(lx, t);
}

/* Raw text (script, style, ...) ends at "</name" + whitespace, '/' or '>'. */
static html_tok_type lex_rawtext(html_lexer *lx, html_token *t)
{
	const char *p = lx->p;
	size_t len = lx->len, start = lx->pos, i = start, n = lx->rawtext.len;

	for (;;) {
		i = find(p, len, i, "</", 2);
		if (i == len)
			break;
		size_t ne = i + 2 + n;
		if (ne <= len && sk_slice_eq_ci(sk_slice_make(p + i + 2, n), lx->rawtext) &&
		    (ne == len || is_ws((unsigned char)p[ne]) || p[ne] == '/' || p[ne] == '>'))
			break;
		i += 2;
	}
	lx->state = ST_DATA;
	lx->rawtext = SK_SLICE_NULL;
	if (i > start) {
		tok_reset(t, HTML_TOK_TEXT, start);
		t->value = sk_slice_make(p + start, i - start);
		t->len = i - start;
		if (i == len)
			t->unterminated = true;
		lx->pos = i;
		return t->type;
	}
	return lex_data(lx, t);
}

static bool is_quote(const html_lexer *lx, unsigned char c)
{
	return c == '"' || c == '\'' || (c == '`' && (lx->flags & HTML_LEX_BACKTICK_QUOTES));
}

/* A value at p[i]: quoted up to its quote, or unquoted up to whitespace or
 * '>'. Fills value/quote/unterminated and returns the offset after it. */
static size_t scan_value(const html_lexer *lx, html_token *t, size_t i, char quote)
{
	const char *p = lx->p;
	size_t len = lx->len;
	if (quote) {
		size_t e = find_byte(p, len, i, quote);
		t->value = sk_slice_make(p + i, e - i);
		t->quote = quote;
		if (e == len) {
			t->unterminated = true;
			return len;
		}
		return e + 1;
	}
	size_t e = i;
	while (e < len && !is_ws((unsigned char)p[e]) && p[e] != '>')
		e++;
	t->value = sk_slice_make(p + i, e - i);
	return e;
}

static html_tok_type lex_tag(html_lexer *lx, html_token *t)
{
	const char *p = lx->p;
	size_t len = lx->len, i = lx->pos;

	/* before attribute name: skip whitespace and stray '/' */
	while (i < len) {
		unsigned char c = (unsigned char)p[i];
		if (is_ws(c)) {
			i++;
		} else if (c == '/') {
			if (i + 1 < len && p[i + 1] == '>') {
				tok_reset(t, HTML_TOK_TAG_END, i);
				t->self_closing = true;
				t->end_tag = lx->in_end_tag;
				t->len = 2;
				lx->pos = i + 2;
				lx->state = ST_DATA;
				return t->type;
			}
			i++;
		} else {
			break;
		}
	}
	if (i >= len) {
		tok_reset(t, HTML_TOK_TAG_END, len);
		t->unterminated = true;
		t->end_tag = lx->in_end_tag;
		lx->pos = len;
		lx->state = ST_DONE;
		return t->type;
	}
	if (p[i] == '>') {
		tok_reset(t, HTML_TOK_TAG_END, i);
		t->end_tag = lx->in_end_tag;
		t->len = 1;
		lx->pos = i + 1;
		lx->state = ST_DATA;
		return t->type;
	}

	/* attribute name; its first byte may be '=' */
	size_t ns = i, ne = scan_name(p, len, i + 1, true);
	tok_reset(t, HTML_TOK_ATTR, ns);
	t->name = sk_slice_make(p + ns, ne - ns);
	t->end_tag = lx->in_end_tag;
	size_t j = ne;
	while (j < len && is_ws((unsigned char)p[j]))
		j++;
	if (j < len && p[j] == '=') {
		j++;
		while (j < len && is_ws((unsigned char)p[j]))
			j++;
		t->has_value = true;
		if (j < len && p[j] == '>') {
			/* "x=>" : missing value */
			t->value = sk_slice_make(p + j, 0);
		} else if (j < len) {
			unsigned char q = (unsigned char)p[j];
			j = is_quote(lx, q) ? scan_value(lx, t, j + 1, (char)q) : scan_value(lx, t, j, 0);
		} else {
			t->value = sk_slice_make(p + j, 0);
		}
		ne = j;
	}
	t->len = ne - ns;
	lx->pos = ne;
	return t->type;
}

/* The value the input starts in: up to its closing quote (or, unquoted,
 * whitespace or '>'), reported as TEXT; then we are inside the tag. */
static html_tok_type lex_initial_value(html_lexer *lx, html_token *t)
{
	char quote = lx->quote;
	tok_reset(t, HTML_TOK_TEXT, 0);
	size_t e = scan_value(lx, t, 0, quote);
	t->quote = 0;
	t->len = e;
	lx->pos = e;
	lx->state = e >= lx->len ? ST_DONE : ST_TAG;
	lx->in_end_tag = false;
	return t->type;
}

html_tok_type html_lexer_next(html_lexer *lx, html_token *tok)
{
	if (lx->pos >= lx->len && lx->state != ST_TAG)
		lx->state = ST_DONE;
	switch (lx->state) {
	case ST_DATA: return lex_data(lx, tok);
	case ST_TAG: return lex_tag(lx, tok);
	case ST_VALUE: return lex_initial_value(lx, tok);
	case ST_RAWTEXT: return lex_rawtext(lx, tok);
	default: break;
	}
	tok_reset(tok, HTML_TOK_EOF, lx->len);
	return HTML_TOK_EOF;
}
