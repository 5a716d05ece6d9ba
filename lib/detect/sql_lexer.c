/* sql_lexer.c - forgiving multi-dialect SQL tokenizer (see sql_lexer.h).
 *
 * One pass, no backtracking: each call to sql_lexer_next starts at lx->pos,
 * consumes one token (at least one byte) and returns it. Lookahead is
 * bounded (a few bytes, or whitespace before '(' to tell a function call
 * from a name, which the next call would skip anyway).
 */
#include "sekisho/sql_lexer.h"
#include "sql_kw.h"

#include <string.h>

static int is_space_at(const unsigned char *s, size_t len, size_t i)
{
	unsigned char c = s[i];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0)
		return 1;
	/* A lone 0xA0 (Latin-1 no-break space, which MySQL skips); inside
	 * UTF-8 it is a continuation byte and part of a word. */
	if (c == 0xa0 && (i == 0 || s[i - 1] < 0x80))
		return 1;
	return 0;
}

/* Length of a percent-encoded space ("%20", "%09", "%0a", "%0b", "%0c",
 * "%0d", "%a0") at `i`, else 0. The engine decodes values before we see
 * them, but some places pass bytes as sent (raw headers) and many
 * applications decode again; a literal "%20" is never meaningful SQL. */
static size_t pct_space(const unsigned char *s, size_t len, size_t i)
{
	if (s[i] != '%' || i + 2 >= len)
		return 0;
	unsigned char a = s[i + 1], b = (unsigned char)(s[i + 2] | 0x20);
	if (a == '2' && b == '0')
		return 3;
	if (a == '0' && (b == '9' || b == 'a' || b == 'b' || b == 'c' || b == 'd'))
		return 3;
	if ((a | 0x20) == 'a' && b == '0')
		return 3;
	return 0;
}

static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c >= 0x80;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

#define KW_UP4(c) SQL_KW_UP(c), SQL_KW_UP((c) + 1), SQL_KW_UP((c) + 2), SQL_KW_UP((c) + 3)
#define KW_UP16(c) KW_UP4(c), KW_UP4((c) + 4), KW_UP4((c) + 8), KW_UP4((c) + 12)
#define KW_UP64(c) KW_UP16(c), KW_UP16((c) + 16), KW_UP16((c) + 32), KW_UP16((c) + 48)

static const unsigned char kw_up[256] = { KW_UP64(0u), KW_UP64(64u), KW_UP64(128u), KW_UP64(192u) };

const sql_keyword *sql_keyword_probe(unsigned h, const char *w, size_t len)
{
	const unsigned char *p = (const unsigned char *)w;
	if (len == 0 || len > SQL_KW_MAXLEN)
		return NULL;
	/* The table is under a third full, so probes stop at an empty slot
	 * after a step or two. */
	for (size_t k = h & (SQL_KEYWORD_HASH_SIZE - 1), n = 0; n < SQL_KEYWORD_HASH_SIZE;
	     k = (k + 1) & (SQL_KEYWORD_HASH_SIZE - 1), n++) {
		unsigned idx = sql_keyword_hash[k];
		if (idx == 0)
			return NULL;
		const sql_keyword *kw = &sql_keywords[idx - 1];
		if (kw->len != len)
			continue;
		/* keyword bytes are upper case [A-Z0-9_$], never 0 */
		size_t i = 0;
		while (i < len && (unsigned char)kw->word[i] == kw_up[p[i]])
			i++;
		if (i == len)
			return kw;
	}
	return NULL;
}

const sql_keyword *sql_keyword_find(const char *w, size_t len)
{
	const unsigned char *p = (const unsigned char *)w;
	if (len == 0 || len > SQL_KW_MAXLEN)
		return NULL;
	unsigned h = SQL_KW_HASH0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = kw_up[p[i]];
		if (c == 0)
			return NULL; /* keywords are made of [A-Z0-9_$] */
		h = SQL_KW_HASH(h, c);
	}
	return sql_keyword_probe(h, w, len);
}

void sql_lexer_init(sql_lexer *lx, sk_slice in, sql_ctx ctx)
{
	lx->s = (const unsigned char *)in.p;
	lx->len = in.p ? in.len : 0;
	lx->pos = 0;
	lx->ctx = ctx;
	lx->started = ctx == SQL_CTX_BARE;
	lx->in_exec = 0;
}

/* A quoted run starting at `i` (the opening quote `q`). `dbl` accepts a
 * doubled quote as an escaped one, `bs` a backslash escape. Returns the
 * end (one past the closing quote, or len) and sets *unterminated. */
static size_t scan_quoted(const unsigned char *s, size_t len, size_t i, unsigned char q, int bs,
			  int *unterminated)
{
	i++;
	while (i < len) {
		unsigned char c = s[i];
		if (bs && c == '\\' && i + 1 < len) {
			i += 2;
			continue;
		}
		if (c == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i += 2;
				continue;
			}
			*unterminated = 0;
			return i + 1;
		}
		i++;
	}
	*unterminated = 1;
	return len;
}

/* Oracle q'X...X' with X one of [ ( { < or any other byte (closing with
 * itself). `i` is at the quote after q. */
static size_t scan_q_quote(const unsigned char *s, size_t len, size_t i, int *unterminated)
{
	unsigned char open = s[i + 1], close = open;
	if (open == '[') close = ']';
	else if (open == '(') close = ')';
	else if (open == '{') close = '}';
	else if (open == '<') close = '>';
	for (i += 2; i + 1 < len; i++)
		if (s[i] == close && s[i + 1] == '\'') {
			*unterminated = 0;
			return i + 2;
		}
	*unterminated = 1;
	return len;
}

/* PostgreSQL $tag$...$tag$ at `i` ('$'). Returns 0 if this is not a
 * dollar quote opener. The tag is at most 32 bytes, so the search for the
 * closer is linear with a small constant. */
static size_t scan_dollar(const unsigned char *s, size_t len, size_t i, int *unterminated)
{
	size_t j = i + 1;
	while (j < len && j - i <= 32 && s[j] != '$' && ((s[j] >= 'a' && s[j] <= 'z') ||
							  (s[j] >= 'A' && s[j] <= 'Z') || s[j] == '_' ||
							  (j > i + 1 && is_digit(s[j]))))
		j++;
	if (j >= len || s[j] != '$')
		return 0;
	size_t tag = j + 1 - i; /* includes both dollars */
	for (size_t k = j + 1; k + tag <= len; k++)
		if (s[k] == '$' && memcmp(s + k, s + i, tag) == 0) {
			*unterminated = 0;
			return k + tag;
		}
	*unterminated = 1;
	return len;
}

static void set_tok(sql_token *t, char type, size_t off, size_t end)
{
	t->type = type;
	t->flags = 0;
	t->kwflags = 0;
	t->off = off;
	t->len = end - off;
}

/* A line comment from `i` to the end of the line. */
static size_t line_comment(sql_lexer *lx, sql_token *t, size_t i, size_t body)
{
	const unsigned char *s = lx->s;
	size_t e = body, blank = 1;
	while (e < lx->len && s[e] != '\n') {
		if (!is_space_at(s, lx->len, e))
			blank = 0;
		e++;
	}
	set_tok(t, SQL_T_COMMENT, i, e);
	if (blank)
		t->flags |= SQL_T_BLANK;
	return e;
}

/* A name, keyword or function starting at `i`. */
static size_t word(sql_lexer *lx, sql_token *t, size_t i)
{
	const unsigned char *s = lx->s;
	size_t e = i;
	while (e < lx->len && is_word(s[e]))
		e++;
	set_tok(t, SQL_T_BAREWORD, i, e);
	const sql_keyword *k = sql_keyword_find((const char *)s + i, e - i);
	if (k) {
		t->type = k->cls;
		t->kwflags = k->flags;
		t->flags |= SQL_T_KNOWN;
	}
	if (t->type == SQL_T_FUNCTION || t->type == SQL_T_BAREWORD) {
		/* A known function may have space before its '(' (PostgreSQL,
		 * MSSQL, Oracle); an unknown name needs it right away. */
		size_t j = e;
		if (t->type == SQL_T_FUNCTION)
			while (j < lx->len && j - e < 64 && is_space_at(s, lx->len, j))
				j++;
		t->type = (j < lx->len && s[j] == '(') ? SQL_T_FUNCTION : SQL_T_BAREWORD;
	}
	return e;
}

static size_t number(sql_lexer *lx, sql_token *t, size_t i)
{
	const unsigned char *s = lx->s;
	size_t e = i, len = lx->len;
	if (s[i] == '0' && i + 2 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') && is_hex(s[i + 2])) {
		e = i + 2;
		while (e < len && is_hex(s[e]))
			e++;
	} else if (s[i] == '0' && i + 2 < len && (s[i + 1] == 'b' || s[i + 1] == 'B') &&
		   (s[i + 2] == '0' || s[i + 2] == '1')) {
		e = i + 2;
		while (e < len && (s[e] == '0' || s[e] == '1'))
			e++;
	} else {
		while (e < len && is_digit(s[e]))
			e++;
		if (e < len && s[e] == '.') {
			e++;
			while (e < len && is_digit(s[e]))
				e++;
		}
		if (e + 1 < len && (s[e] == 'e' || s[e] == 'E') &&
		    (is_digit(s[e + 1]) || ((s[e + 1] == '+' || s[e + 1] == '-') && e + 2 < len && is_digit(s[e + 2])))) {
			e += 2;
			while (e < len && is_digit(s[e]))
				e++;
		}
	}
	set_tok(t, SQL_T_NUMBER, i, e);
	return e;
}

static size_t variable(sql_lexer *lx, sql_token *t, size_t i)
{
	const unsigned char *s = lx->s;
	size_t e = i + 1, len = lx->len;
	int sys = 0, unterminated = 0;
	if (e < len && s[e] == '@') {
		e++;
		sys = 1;
	}
	if (e < len && (s[e] == '\'' || s[e] == '"' || s[e] == '`'))
		e = scan_quoted(s, len, e, s[e], 1, &unterminated);
	else
		while (e < len && (is_word(s[e]) || (sys && s[e] == '.')))
			e++;
	set_tok(t, SQL_T_VARIABLE, i, e);
	if (sys)
		t->flags |= SQL_T_SYSVAR;
	return e;
}

static size_t op(sql_lexer *lx, sql_token *t, size_t i)
{
	static const char *const three[] = { "<=>", "->>" };
	static const char *const two[] = { "<>", "!=", "<=", ">=", "||", "&&", "::", ":=", "<<", ">>",
					   "->", "!<", "!>", "==" };
	const unsigned char *s = lx->s;
	size_t left = lx->len - i;
	/* the second byte of every longer operator is one of > = | & : < */
	if (left < 2 || !(s[i + 1] == '>' || s[i + 1] == '=' || s[i + 1] == '|' || s[i + 1] == '&' || s[i + 1] == ':' ||
			  s[i + 1] == '<')) {
		set_tok(t, SQL_T_OPERATOR, i, i + 1);
		return i + 1;
	}
	for (size_t k = 0; k < sizeof(three) / sizeof(three[0]); k++)
		if (left >= 3 && memcmp(s + i, three[k], 3) == 0) {
			set_tok(t, SQL_T_OPERATOR, i, i + 3);
			return i + 3;
		}
	for (size_t k = 0; k < sizeof(two) / sizeof(two[0]); k++)
		if (left >= 2 && memcmp(s + i, two[k], 2) == 0) {
			int logic = (s[i] == '|' || s[i] == '&') && s[i + 1] == s[i];
			set_tok(t, logic ? SQL_T_LOGIC : SQL_T_OPERATOR, i, i + 2);
			return i + 2;
		}
	set_tok(t, SQL_T_OPERATOR, i, i + 1);
	return i + 1;
}

int sql_lexer_next(sql_lexer *lx, sql_token *t)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len, i = lx->pos;
	int unterminated = 0;

	if (!lx->started) {
		lx->started = 1;
		unsigned char q = lx->ctx == SQL_CTX_SQUOTE ? '\'' : '"';
		/* The application's literal: it ends at the first quote that is
		 * not doubled. Backslashes are not honoured here, so that a
		 * "\'" break (a lone backslash escaping nothing) still counts. */
		size_t j = 0;
		while (j < len) {
			if (s[j] == q) {
				if (j + 1 < len && s[j + 1] == q) {
					j += 2;
					continue;
				}
				break;
			}
			j++;
		}
		set_tok(t, SQL_T_STRING, 0, j);
		t->flags = SQL_T_PREFIX;
		if (j >= len)
			t->flags |= SQL_T_UNTERMINATED;
		lx->pos = j < len ? j + 1 : len;
		return 1;
	}

	for (;;) {
		for (;;) {
			size_t p;
			if (i < len && is_space_at(s, len, i))
				i++;
			else if (i < len && (p = pct_space(s, len, i)) != 0)
				i += p;
			else
				break;
		}
		if (i >= len) {
			lx->pos = len;
			return 0;
		}
		/* MySQL executable comment: its body is code; skip the markers. */
		if (s[i] == '/' && i + 2 < len && s[i + 1] == '*' && s[i + 2] == '!') {
			i += 3;
			for (int d = 0; d < 6 && i < len && is_digit(s[i]); d++)
				i++;
			lx->in_exec = 1;
			continue;
		}
		if (lx->in_exec && s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
			lx->in_exec = 0;
			i += 2;
			continue;
		}
		break;
	}

	unsigned char c = s[i];
	size_t e;
	if (c == '/' && i + 1 < len && s[i + 1] == '*') {
		e = i + 2;
		int blank = 1;
		while (e + 1 < len && !(s[e] == '*' && s[e + 1] == '/')) {
			if (!is_space_at(s, len, e))
				blank = 0;
			e++;
		}
		int unterm = e + 1 >= len;
		e = unterm ? len : e + 2;
		set_tok(t, SQL_T_COMMENT, i, e);
		t->flags = SQL_T_BLOCK | (unterm ? SQL_T_UNTERMINATED : 0) | (blank ? SQL_T_BLANK : 0);
	} else if (c == '-' && i + 1 < len && s[i + 1] == '-') {
		/* MySQL needs a space or control byte after "--"; the other
		 * dialects do not, so take every "--" as a comment. */
		e = line_comment(lx, t, i, i + 2);
	} else if (c == '#') {
		e = line_comment(lx, t, i, i + 1);
	} else if (c == '\'' || c == '"') {
		e = scan_quoted(s, len, i, c, 1, &unterminated);
		set_tok(t, SQL_T_STRING, i, e);
		if (unterminated)
			t->flags |= SQL_T_UNTERMINATED;
	} else if (c == '`') {
		e = scan_quoted(s, len, i, c, 0, &unterminated);
		set_tok(t, SQL_T_BAREWORD, i, e);
	} else if (c == '[') {
		e = i + 1;
		while (e < len && s[e] != ']' && e - i < 128)
			e++;
		if (e < len && s[e] == ']') {
			e++;
			set_tok(t, SQL_T_BAREWORD, i, e);
		} else {
			e = i + 1;
			set_tok(t, SQL_T_OTHER, i, e);
		}
	} else if ((c == 'q' || c == 'Q') && i + 2 < len && s[i + 1] == '\'' && !is_space_at(s, len, i + 2)) {
		e = scan_q_quote(s, len, i + 1, &unterminated);
		set_tok(t, SQL_T_STRING, i, e);
		if (unterminated)
			t->flags |= SQL_T_UNTERMINATED;
	} else if ((c == 'n' || c == 'N' || c == 'x' || c == 'X' || c == 'b' || c == 'B' || c == 'e' ||
		    c == 'E') &&
		   i + 1 < len && s[i + 1] == '\'') {
		e = scan_quoted(s, len, i + 1, '\'', 1, &unterminated);
		set_tok(t, SQL_T_STRING, i, e);
		if (unterminated)
			t->flags |= SQL_T_UNTERMINATED;
	} else if (c == '$' && (e = scan_dollar(s, len, i, &unterminated)) != 0) {
		set_tok(t, SQL_T_STRING, i, e);
		if (unterminated)
			t->flags |= SQL_T_UNTERMINATED;
	} else if (is_digit(c) || (c == '.' && i + 1 < len && is_digit(s[i + 1]))) {
		e = number(lx, t, i);
	} else if (is_word(c)) {
		e = word(lx, t, i);
	} else if (c == '@') {
		e = variable(lx, t, i);
	} else if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.') {
		e = i + 1;
		set_tok(t, (char)c, i, e);
	} else if (strchr("=<>!+-*/%^|&~:", c) && c) {
		e = op(lx, t, i);
	} else {
		e = i + 1;
		set_tok(t, SQL_T_OTHER, i, e);
	}
	lx->pos = e;
	return 1;
}
