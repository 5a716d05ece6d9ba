/* sqli.c - SQL injection detector: token-sequence classifier over
 * sql_lexer.c (see docs/internals/sqli.md).
 *
 * An injected value lands in the application's query either inside a
 * quoted literal (string context) or as bare code (a number, an identifier
 * in ORDER BY, or a whole statement). The value is lexed once per context
 * that its bytes allow: bare always, '...' if it holds a single quote,
 * "..." if it holds a double quote. In a quote context the first token is
 * the rest of the application's literal; what follows the quote that
 * closes it is the "break". Each token stream is folded (whitespace and
 * inline comments dropped, at most SQLI_MAX_TOK tokens kept) and checked
 * against a short list of structural rules; each rule names the shape that
 * decided in hit->rule ("s" string, "&" AND/OR, "o" operator, "1" number,
 * "U" UNION, "E" statement, "c" comment, "f" function, "v" variable).
 *
 * The guiding principle for false positives: a quote alone, or a keyword
 * alone, is never an attack. A rule fires at paranoia 1 only when the bytes
 * after the break (or the whole bare value) form SQL that completes a query
 * and does something: a tautology that runs to the end or to a comment, a
 * UNION SELECT, a stacked statement, a delay, an error or out-of-band
 * function, a subquery, a comment that cuts the rest of the query off.
 */
#include "sekisho/detectors.h"
#include "sekisho/sql_lexer.h"
#include "sql_kw.h"

#include <string.h>

/* Tokens kept per context. Real payloads are short; a literal prefix of
 * any length is one token. Past the cap the stream is cut, which bounds
 * the work per value (the lexer stops too). */
#define SQLI_MAX_TOK 256
/* Balanced-parenthesis skips look this far at most, so that rules stay
 * O(tokens) even on "((((((" values. */
#define SQLI_MAX_SPAN SQLI_MAX_TOK

#define NONE ((size_t)-1)

typedef struct sqli_stream {
	const unsigned char *s; /* the value */
	sql_token t[SQLI_MAX_TOK];
	size_t n;
	sql_ctx ctx;
	size_t brk;  /* index of the first token after the break */
	int broken;  /* the value leaves its context and continues as SQL */
	int lead_word; /* bare context that starts with a name, not a number */
} sqli_stream;

typedef struct sqli_found {
	const char *rule;
	int score;
	int level;      /* lowest paranoia level at which this counts */
	size_t from, to; /* token range (inclusive) */
	int paranoia;   /* the level asked for: rules above it do not count */
} sqli_found;

/* Is finding (score, level) better than the one held? Rules that count at
 * this paranoia beat those that do not; then the higher score wins (a
 * weaker rule must never hide a critical one); then the lower level. */
static bool sqli_better(const sqli_found *best, int score, int level, int paranoia)
{
	if (!best->rule)
		return true;
	bool now = level <= paranoia, held = best->level <= paranoia;
	if (now != held)
		return now;
	if (score != best->score)
		return score > best->score;
	return level < best->level;
}

static char ty(const sqli_stream *q, size_t i)
{
	return i < q->n ? q->t[i].type : 0;
}

static int text_is(const sqli_stream *q, size_t i, const char *w)
{
	if (i >= q->n)
		return 0;
	size_t wl = strlen(w); /* checksrc: w is our own literal */
	if (q->t[i].len != wl)
		return 0;
	const unsigned char *p = q->s + q->t[i].off;
	for (size_t k = 0; k < wl; k++) {
		unsigned char c = p[k];
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 32);
		if (c != (unsigned char)w[k])
			return 0;
	}
	return 1;
}

static unsigned kwf(const sqli_stream *q, size_t i)
{
	return i < q->n ? q->t[i].kwflags : 0;
}

/* Index after the ')' matching the '(' at `i`, or NONE. */
static size_t skip_parens(const sqli_stream *q, size_t i)
{
	int depth = 0;
	for (size_t k = i; k < q->n && k - i < SQLI_MAX_SPAN; k++) {
		if (q->t[k].type == '(')
			depth++;
		else if (q->t[k].type == ')' && --depth == 0)
			return k + 1;
	}
	return NONE;
}

static int unary(const sqli_stream *q, size_t i)
{
	return ty(q, i) == 'o' && (text_is(q, i, "-") || text_is(q, i, "+") || text_is(q, i, "~") ||
				   text_is(q, i, "!") || text_is(q, i, "NOT"));
}

/* One operand at `i`: a literal, variable, (qualified) name, function call
 * or parenthesised group, after unary operators. Returns the index after
 * it or NONE. *lit is set when the operand is not a bare name. */
static size_t operand(const sqli_stream *q, size_t i, int *lit)
{
	for (int k = 0; k < 4 && unary(q, i); k++)
		i++;
	switch (ty(q, i)) {
	case '1': case 's': case 'v':
		*lit = 1;
		return i + 1;
	case 'n':
		i++;
		for (int k = 0; k < 4 && ty(q, i) == '.' && (ty(q, i + 1) == 'n' || ty(q, i + 1) == 'k'); k++)
			i += 2;
		if (ty(q, i) == '.' && ty(q, i + 1) == 'f') {
			*lit = 1;
			return skip_parens(q, i + 2);
		}
		return i;
	case 'f':
		*lit = 1;
		return skip_parens(q, i + 1);
	case '(': {
		*lit = 1;
		size_t e = skip_parens(q, i);
		if (e != NONE)
			return e;
		/* "('1'='1": the query closes the parenthesis; take the
		 * first simple operand inside and the closers that follow. */
		int open = 0;
		while (ty(q, i) == '(' && open < 8) {
			i++;
			open++;
		}
		char t = ty(q, i);
		if (t != '1' && t != 's' && t != 'v' && t != 'n')
			return NONE;
		i++;
		while (open-- > 0 && ty(q, i) == ')')
			i++;
		return i;
	}
	default:
		return NONE;
	}
}

/* An expression: operand (operator operand)*. Returns the index after it
 * or NONE; *ops counts the operators, *lit as for operand(). */
static size_t expr(const sqli_stream *q, size_t i, int *ops, int *lit)
{
	*ops = 0;
	i = operand(q, i, lit);
	for (int k = 0; k < 8 && i != NONE && ty(q, i) == 'o'; k++) {
		/* "IS NOT NULL", "NOT LIKE", "= -1": operand() eats the unary
		 * ones, the second word operator is skipped here. */
		size_t j = i + 1;
		if (ty(q, j) == 'o' && !unary(q, j))
			j++;
		j = operand(q, j, lit);
		if (j == NONE)
			break;
		(*ops)++;
		i = j;
	}
	return i;
}

/* Does the injected part end at `k`: the end of the value, a comment, a
 * statement or clause boundary, or the next condition? */
static int at_end(const sqli_stream *q, size_t k)
{
	if (k == NONE)
		return 0;
	if (k >= q->n)
		return 1;
	char t = q->t[k].type;
	if (t == 'c' || t == ';' || t == '&' || t == ')' || t == 'U')
		return 1;
	if ((kwf(q, k) & SQL_KW_CLAUSE) || text_is(q, k, "INTO"))
		return 1;
	/* A last word of only non-ASCII bytes: the "--" a word processor
	 * turned into a dash, pasted with the payload. */
	if (k + 1 == q->n && t == 'n') {
		for (size_t b = 0; b < q->t[k].len; b++)
			if (q->s[q->t[k].off + b] < 0x80)
				return 0;
		return 1;
	}
	return 0;
}

/* A plausible start of a select list at `j`. */
static int select_ok(const sqli_stream *q, size_t j)
{
	for (int k = 0; k < 3 && ty(q, j) == 'k' &&
			(text_is(q, j, "DISTINCT") || text_is(q, j, "ALL") || text_is(q, j, "TOP") ||
			 text_is(q, j, "DISTINCTROW") || text_is(q, j, "SQL_NO_CACHE"));
	     k++)
		j++;
	switch (ty(q, j)) {
	case '1': case 's': case 'v': case 'f': case '(':
		return 1;
	case 'o':
		return text_is(q, j, "*");
	case 'k':
		return text_is(q, j, "CASE");
	case 'n': {
		char nt = ty(q, j + 1);
		if (nt == ',' || nt == 'o' || nt == 0 || nt == 'c' || nt == ';' || nt == ')')
			return 1;
		if (nt == '.' && (ty(q, j + 2) == 'n' || text_is(q, j + 2, "*")))
			return 1;
		if (text_is(q, j + 1, "FROM")) {
			/* "select x from users where", not "select items from two lists" */
			char t2 = ty(q, j + 2), t3 = ty(q, j + 3);
			return (t2 == 'n' || t2 == 'k' || t2 == '(') && t3 != 'n';
		}
		return text_is(q, j + 1, "INTO") || text_is(q, j + 1, "AS");
	}
	default:
		return 0;
	}
}

/* A select list that reads from somewhere or selects a variable/function. */
static int select_strong(const sqli_stream *q, size_t j)
{
	if (!select_ok(q, j))
		return 0;
	if (ty(q, j) == 'v' || ty(q, j) == 'f')
		return 1;
	for (size_t k = j; k < q->n && k - j < 40; k++) {
		if (text_is(q, k, "FROM"))
			return 1;
		if (ty(q, k) == ';')
			break;
	}
	return 0;
}

/* A statement at `i` that continues the way real SQL does. */
static int stmt_ok(const sqli_stream *q, size_t i)
{
	if (ty(q, i) != 'E')
		return 0;
	if (text_is(q, i, "SELECT"))
		return select_ok(q, i + 1);
	if (text_is(q, i, "INSERT"))
		return text_is(q, i + 1, "INTO");
	if (text_is(q, i, "DELETE"))
		return text_is(q, i + 1, "FROM");
	if (text_is(q, i, "UPDATE"))
		return ty(q, i + 1) == 'n' && text_is(q, i + 2, "SET");
	if (text_is(q, i, "DROP") || text_is(q, i, "CREATE") || text_is(q, i, "ALTER") ||
	    text_is(q, i, "TRUNCATE"))
		return text_is(q, i + 1, "TABLE") || text_is(q, i + 1, "DATABASE") || text_is(q, i + 1, "USER") ||
		       text_is(q, i + 1, "PROCEDURE") || text_is(q, i + 1, "FUNCTION") ||
		       text_is(q, i + 1, "VIEW") || text_is(q, i + 1, "SCHEMA") || text_is(q, i + 1, "TRIGGER") ||
		       text_is(q, i + 1, "LOGIN") || text_is(q, i + 1, "INDEX");
	if (text_is(q, i, "EXEC") || text_is(q, i, "EXECUTE")) {
		/* EXEC proc, EXEC master..xp_x 'arg', EXEC(@s); not "Execute the plan" */
		char t = ty(q, i + 1), t2 = ty(q, i + 2);
		if (t == 'n')
			return t2 == 0 || t2 == 's' || t2 == 'v' || t2 == '.' || t2 == ';' || t2 == 'c' || t2 == '1';
		return (t == '(' && (t2 == 'v' || t2 == 's')) || t == 'v' || t == 's' ||
		       (t == 'k' && (kwf(q, i + 1) & SQL_KW_OOB));
	}
	if (text_is(q, i, "DECLARE"))
		return ty(q, i + 1) == 'v';
	if (text_is(q, i, "WAITFOR"))
		return text_is(q, i + 1, "DELAY") || text_is(q, i + 1, "TIME");
	if (text_is(q, i, "SHUTDOWN"))
		return at_end(q, i + 1);
	if (text_is(q, i, "LOAD"))
		return text_is(q, i + 1, "DATA") || text_is(q, i + 1, "XML");
	if (text_is(q, i, "GRANT") || text_is(q, i, "REVOKE"))
		return ty(q, i + 1) == 'k' || ty(q, i + 1) == 'E';
	if (text_is(q, i, "CALL"))
		return ty(q, i + 1) == 'f';
	return 0;
}

/* Tokens that can stand before a function call inside SQL (rather than in
 * prose "need sleep(8h)" or code "time.sleep(5)"). */
static int sql_before(const sqli_stream *q, size_t i)
{
	if (i == 0)
		return 1;
	char p = q->t[i - 1].type;
	if (p == 's')
		return (q->t[i - 1].flags & SQL_T_PREFIX) != 0;
	return p == '&' || p == 'o' || p == '(' || p == ',' || p == 'E' || p == 'k' || p == ';' || p == ')' ||
	       p == 'U' || p == 'c';
}

static void found(sqli_found *best, const char *rule, int score, int level, size_t from, size_t to)
{
	if (!sqli_better(best, score, level, best->paranoia))
		return;
	best->rule = rule;
	best->score = score;
	best->level = level;
	best->from = from;
	best->to = to;
}

/* The rules that look at the break (the first token after the context's
 * literal, or the start of a bare value). */
static void check_break(const sqli_stream *q, sqli_found *f)
{
	size_t i = q->brk;
	int ops, lit = 0, quoted = q->ctx != SQL_CTX_BARE;
	if (!q->broken)
		return;
	if (ty(q, i) == ';' && ty(q, i + 1) == '&')
		i++; /* "; or '1'='1" */
	char b = ty(q, i);
	if (b == '&') {
		size_t j = i + 1;
		size_t e = expr(q, j, &ops, &lit);
		if (e == NONE || ops == 0 || !at_end(q, e)) {
			/* "') or ('1'='1": the parentheses close in the query */
			for (int k = 0; k < 8 && ty(q, j) == '('; k++)
				j++;
			lit = 0;
			e = expr(q, j, &ops, &lit);
		}
		const sql_token *last = &q->t[q->n - 1];
		if (e != NONE && ops >= 1 && at_end(q, e) && (lit || !q->lead_word))
			found(f, quoted ? "sqli.tautology: s&vov (quote, AND/OR, comparison to the end)"
					: "sqli.tautology: 1&vov (number, AND/OR, comparison to the end)",
			      DET_SCORE_CRITICAL, 1, i, e == NONE || e >= q->n ? q->n - 1 : e);
		else if (e != NONE && ops == 0 && lit && (ty(q, e) == 'c' || ty(q, e) == ';'))
			found(f, "sqli.tautology: s&1c (quote, AND/OR, constant, comment)", DET_SCORE_CRITICAL, 1, i, e);
		else if (quoted && j == q->n - 1 && last->type == 's' && (last->flags & SQL_T_UNTERMINATED) &&
			 !memchr(q->s, ' ', q->t[0].len))
			/* admin' or '1 : the application's closing quote ends it */
			found(f, "sqli.tautology: s&s (quote, AND/OR, string the query closes)", DET_SCORE_CRITICAL, 1,
			      i, j);
		else if (e != NONE && ops == 0 && at_end(q, e) && ty(q, j) == 'f' && (q->t[j].flags & SQL_T_KNOWN))
			found(f, "sqli.boolean: &f() (AND/OR, SQL function call)", DET_SCORE_CRITICAL, 1, i,
			      e >= q->n ? q->n - 1 : e);
		else if (e != NONE && ops >= 1 && lit)
			found(f, "sqli.boolean: s&vo (quote, AND/OR, comparison)", DET_SCORE_WARNING, 2, i, e >= q->n ? q->n - 1 : e);
	} else if (b == 'c' && quoted && i + 1 == q->n &&
		   ((q->t[i].flags & SQL_T_BLANK) || (q->t[i].flags & SQL_T_UNTERMINATED))) {
		found(f, "sqli.comment: sc (quote closed, rest of the query commented out)", DET_SCORE_CRITICAL, 1,
		      i > 0 ? i - 1 : i, i);
	} else if (b == 'k' && (text_is(q, i, "ORDER") || text_is(q, i, "GROUP")) && text_is(q, i + 1, "BY")) {
		size_t j = i + 2, e = NONE;
		int num = 0;
		for (int k = 0; k < SQLI_MAX_TOK; k++) {
			num |= ty(q, j) == '1';
			e = expr(q, j, &ops, &lit);
			if (e == NONE && k > 0 && ty(q, j) == 'c')
				e = j; /* "GROUP BY 1,2,--" */
			if (e == NONE || ty(q, e) != ',')
				break;
			j = e + 1;
		}
		if (e != NONE && at_end(q, e) && (num || (quoted && e < q->n)))
			found(f, "sqli.orderby: sk1c (ORDER/GROUP BY column number)", DET_SCORE_CRITICAL, 1, i,
			      e >= q->n ? q->n - 1 : e);
	} else if (b == 'k' && (text_is(q, i, "HAVING") || text_is(q, i, "WHERE"))) {
		size_t e = expr(q, i + 1, &ops, &lit);
		if (e != NONE && ops >= 1 && at_end(q, e))
			found(f, "sqli.tautology: skvov (HAVING/WHERE condition)", DET_SCORE_CRITICAL, 1, i,
			      e >= q->n ? q->n - 1 : e);
	} else if (b == 'E' && quoted && stmt_ok(q, i)) {
		found(f, "sqli.stacked: sE (statement right after the quote)", DET_SCORE_CRITICAL, 1, i, i + 1);
	} else if (b == 'U' && (text_is(q, i + 1, "SELECT") ||
			       ((text_is(q, i + 1, "ALL") || text_is(q, i + 1, "DISTINCT")) &&
				text_is(q, i + 2, "SELECT")))) {
		size_t j = text_is(q, i + 1, "SELECT") ? i + 1 : i + 2;
		if (at_end(q, j + 1))
			found(f, "sqli.union: sUE (UNION SELECT after a break)", DET_SCORE_CRITICAL, 1, i, j);
	} else if (b == 'k' && text_is(q, i, "AS") && ty(q, i + 1) == 'n' && text_is(q, i + 2, "WHERE")) {
		size_t e = expr(q, i + 3, &ops, &lit);
		if (e != NONE && ops >= 1 && at_end(q, e))
			found(f, "sqli.tautology: sknkvov (alias and WHERE condition)", DET_SCORE_CRITICAL, 1, i,
			      e >= q->n ? q->n - 1 : e);
	}
}

/* Rules over every position of the stream. */
static void check_all(const sqli_stream *q, sqli_found *f)
{
	int ops, lit;
	for (size_t i = 0; i < q->n; i++) {
		const sql_token *t = &q->t[i];
		switch (t->type) {
		case 'U': {
			size_t j = i + 1;
			if (text_is(q, j, "ALL") || text_is(q, j, "DISTINCT"))
				j++;
			for (int k = 0; k < 4 && ty(q, j) == '('; k++)
				j++;
			if (text_is(q, j, "SELECT") && select_ok(q, j + 1))
				found(f, "sqli.union: UE (UNION SELECT)", DET_SCORE_CRITICAL, 1, i, j + 1 < q->n ? j + 1 : j);
			break;
		}
		case 'f':
			if ((t->kwflags & SQL_KW_TIME) && ty(q, i + 1) == '(') {
				char a = ty(q, i + 2);
				char a2 = ty(q, i + 3);
				int arg = ((a == '1' || a == 'v' || a == 's') && (a2 == ')' || a2 == ',' || a2 == 'o')) ||
					  a == '(' || (a == 'o' && a2 == '1');
				if (arg && ((t->kwflags & SQL_KW_DANGER) || sql_before(q, i)))
					found(f, "sqli.time: f(1 (delay function call)", DET_SCORE_CRITICAL, 1, i, i + 2);
				else if (arg && i > 1 && ty(q, i - 1) == '.' && text_is(q, i - 2, "DBMS_LOCK"))
					found(f, "sqli.time: n.f( (DBMS_LOCK.SLEEP)", DET_SCORE_CRITICAL, 1, i - 2, i + 1);
			} else if ((t->kwflags & SQL_KW_ERR) && (t->kwflags & SQL_KW_DANGER) && ty(q, i + 1) == '(' &&
				   (i == 0 || ty(q, i - 1) != 'n')) {
				found(f, "sqli.error: f( (error-based extraction function)", DET_SCORE_CRITICAL, 1, i, i + 1);
			} else if ((t->kwflags & SQL_KW_OOB) && ty(q, i + 1) == '(' && (i == 0 || ty(q, i - 1) != 'n')) {
				found(f, "sqli.oob: f( (file, network or shell function)", DET_SCORE_CRITICAL, 1, i, i + 1);
			} else if ((text_is(q, i, "CAST") || text_is(q, i, "CONVERT")) && ty(q, i + 1) == '(') {
				/* error-based: a catalog or identity value forced into a number */
				size_t e = skip_parens(q, i + 1);
				e = e == NONE ? q->n : e;
				for (size_t k = i + 2; k < e; k++)
					if ((q->t[k].kwflags & SQL_KW_DANGER) || (q->t[k].flags & SQL_T_SYSVAR) ||
					    (ty(q, k) == '(' && text_is(q, k + 1, "SELECT") && select_strong(q, k + 2))) {
						found(f, "sqli.error: f(..k (CAST/CONVERT of a subquery or system value)",
						      DET_SCORE_CRITICAL, 1, i, k);
						break;
					}
			} else if (q->broken && (text_is(q, i, "IF") || text_is(q, i, "IIF")) && ty(q, i + 1) == '(' &&
				   ty(q, i + 2) != 'n' && !text_is(q, 0, "=")) {
				/* IF(1=1,...), IF(ASCII(...)>100,...); not a spreadsheet
				 * formula "=IF(A1>100, ...)" */
				size_t e = expr(q, i + 2, &ops, &lit);
				if (e != NONE && ops >= 1 && ty(q, e) == ',')
					found(f, "sqli.blind: f(vo, (IF(condition, ...))", DET_SCORE_CRITICAL, 1, i, e);
			}
			break;
		case 'E':
			if (text_is(q, i, "WAITFOR") && (text_is(q, i + 1, "DELAY") || text_is(q, i + 1, "TIME")) &&
			    ty(q, i + 2) == 's') {
				found(f, "sqli.time: Eks (WAITFOR DELAY)", DET_SCORE_CRITICAL, 1, i, i + 2);
			} else if (text_is(q, i, "DECLARE") && ty(q, i + 1) == 'v' &&
				   (kwf(q, i + 2) & SQL_KW_TYPE || text_is(q, i + 2, "CURSOR") || text_is(q, i + 2, "TABLE"))) {
				found(f, "sqli.stacked: Evk (DECLARE @variable type)", DET_SCORE_CRITICAL, 1, i, i + 2);
			} else if ((text_is(q, i, "EXEC") || text_is(q, i, "EXECUTE")) &&
				   ((ty(q, i + 1) == '(' && (ty(q, i + 2) == 'v' || ty(q, i + 2) == 's')) ||
				    (text_is(q, i + 1, "IMMEDIATE") && ty(q, i + 2) != 'n' && ty(q, i + 2) != 0) ||
				    (ty(q, i + 1) == 'n' && ty(q, i + 2) == '.' && ty(q, i + 3) == '.'))) {
				found(f, "sqli.stacked: E(v (EXEC of a variable or master..proc)", DET_SCORE_CRITICAL, 1, i, i + 2);
			} else if (text_is(q, i, "SELECT") && select_ok(q, i + 1)) {
				/* A statement that names the catalog, a system variable
				 * or an identity function is reconnaissance. */
				int danger = 0;
				size_t k;
				for (k = i + 1; k < q->n && k - i < 48 && ty(q, k) != ';'; k++)
					if ((q->t[k].kwflags & SQL_KW_DANGER) || (q->t[k].flags & SQL_T_SYSVAR)) {
						danger = 1;
						break;
					}
				if (danger)
					found(f, "sqli.statement: E..k (SELECT naming catalogs or system functions)",
					      DET_SCORE_CRITICAL, 1, i, k);
				else if (i > 0 && ty(q, i - 1) == '(' && select_strong(q, i + 1))
					found(f, "sqli.subquery: (E (subquery)", DET_SCORE_CRITICAL, q->broken ? 1 : 2, i - 1, i + 1);
				else if (select_strong(q, i + 1))
					found(f, "sqli.statement: E (SELECT statement)", DET_SCORE_WARNING, 3, i, i + 1);
			} else if (stmt_ok(q, i) && !text_is(q, i, "SELECT")) {
				found(f, "sqli.statement: E (data-changing statement)", DET_SCORE_WARNING, 3, i, i + 1);
			}
			break;
		case ';':
			if (stmt_ok(q, i + 1) && (q->broken || i == 0))
				found(f, "sqli.stacked: ;E (statement after a break)", DET_SCORE_CRITICAL, 1, i, i + 1);
			break;
		case 'k':
			if (text_is(q, i, "PROCEDURE") && text_is(q, i + 1, "ANALYSE"))
				found(f, "sqli.recon: kk (PROCEDURE ANALYSE)", DET_SCORE_CRITICAL, 1, i, i + 1);
			else if (text_is(q, i, "INTO") && (text_is(q, i + 1, "OUTFILE") || text_is(q, i + 1, "DUMPFILE")))
				found(f, "sqli.oob: kk (INTO OUTFILE/DUMPFILE)", DET_SCORE_CRITICAL, 1, i, i + 1);
			else if (text_is(q, i, "PROGRAM") && i > 0 && (text_is(q, i - 1, "TO") || text_is(q, i - 1, "FROM")) &&
				 ty(q, i + 1) == 's')
				found(f, "sqli.oob: kks (COPY ... TO/FROM PROGRAM)", DET_SCORE_CRITICAL, 1, i - 1, i + 1);
			else if (q->broken && text_is(q, i, "DUPLICATE") && text_is(q, i + 1, "KEY") &&
				 text_is(q, i + 2, "UPDATE"))
				found(f, "sqli.stacked: kkE (ON DUPLICATE KEY UPDATE after a break)", DET_SCORE_CRITICAL, 1,
				      i, i + 2);
			else if (text_is(q, i, "CASE") && text_is(q, i + 1, "WHEN")) {
				size_t e = expr(q, i + 2, &ops, &lit);
				for (size_t k = i + 2; e != NONE && ops == 0 && k < e; k++)
					ops = ty(q, k) == 'o'; /* WHEN (1=1) THEN */
				if (e != NONE && ops >= 1 && text_is(q, e, "THEN"))
					found(f, "sqli.blind: kkvok (CASE WHEN condition THEN)", DET_SCORE_CRITICAL, 1, i, e);
			} else if ((t->kwflags & SQL_KW_OOB) && (t->kwflags & SQL_KW_DANGER) &&
				   ((i > 0 && (ty(q, i - 1) == '.' || ty(q, i - 1) == 'E')) ||
				    ty(q, i + 1) == '.' || ty(q, i + 1) == 's' || ty(q, i + 1) == '(')) {
				found(f, "sqli.oob: k (shell, file or network procedure)", DET_SCORE_CRITICAL, 1, i, i);
			} else if ((t->kwflags & SQL_KW_DANGER) && ty(q, i + 1) == '.' && ty(q, i + 2) == 'f') {
				found(f, "sqli.oob: k.f (system package call)", DET_SCORE_CRITICAL, 1, i, i + 2);
			} else if ((t->kwflags & SQL_KW_DANGER) && q->broken && i > q->brk) {
				found(f, "sqli.catalog: k (system catalog after a break)", DET_SCORE_CRITICAL, 1, i, i);
			}
			break;
		case 'v':
			if ((t->flags & SQL_T_SYSVAR) && t->len > 2 && sql_before(q, i) && (i == 0 || ty(q, i - 1) != 'c'))
				found(f, "sqli.sysvar: v (@@system variable in an expression)", DET_SCORE_CRITICAL, 1, i, i);
			break;
		default:
			break;
		}
	}
}

/* Lex `v` in `ctx` into q, folding whitespace and inline comments. */
static void fill(sqli_stream *q, sk_slice v, sql_ctx ctx)
{
	sql_lexer lx;
	sql_token t;
	sql_lexer_init(&lx, v, ctx);
	q->s = (const unsigned char *)v.p;
	q->n = 0;
	q->ctx = ctx;
	while (q->n < SQLI_MAX_TOK && sql_lexer_next(&lx, &t)) {
		/* An inline block comment is whitespace; only a trailing one
		 * (which cuts the rest of the query) is kept. */
		if (q->n > 0 && q->t[q->n - 1].type == 'c' && (q->t[q->n - 1].flags & SQL_T_BLOCK) &&
		    !(q->t[q->n - 1].flags & SQL_T_UNTERMINATED))
			q->n--;
		/* "+union+select+": a '+' glued to a keyword is a query-string
		 * space that was not decoded, not an addition. */
		if (q->n > 0 && q->t[q->n - 1].type == 'o' && q->t[q->n - 1].len == 1 &&
		    q->s[q->t[q->n - 1].off] == '+' && q->t[q->n - 1].off + 1 == t.off) {
			char pt = q->n > 1 ? q->t[q->n - 2].type : 0;
			int kw_next = t.type == 'U' || t.type == 'E' || t.type == '&' || t.type == 'k';
			int kw_prev = pt == 'U' || pt == 'E' || pt == '&' || pt == 'k';
			if (kw_next || (kw_prev && q->t[q->n - 2].off + q->t[q->n - 2].len == q->t[q->n - 1].off))
				q->n--;
		}
		q->t[q->n++] = t;
	}
	/* Where does the value leave its context? */
	size_t i = 0;
	q->lead_word = 0;
	if (ctx != SQL_CTX_BARE) {
		i = 1;
	} else {
		/* numeric or identifier context: "1 or 1=1", "id desc" */
		while (i < 3 && unary(q, i))
			i++;
		if (ty(q, i) == '1' || ty(q, i) == 'n' || ty(q, i) == 's') {
			q->lead_word = ty(q, i) == 'n';
			i++;
		} else {
			i = 0;
		}
	}
	int closers = 0;
	while (i < q->n && ty(q, i) == ')') {
		i++;
		closers = 1;
	}
	q->brk = i;
	char b = ty(q, i);
	if (ctx != SQL_CTX_BARE)
		q->broken = b == '&' || b == 'o' || b == ';' || b == 'U' || b == 'c' || b == ',' || b == 'k' ||
			    (closers && b != 'n' && b != 0) || (b == 'E' && stmt_ok(q, i));
	else
		q->broken = b == '&' || b == ';' || b == 'U' || (closers && b != 'n' && b != 0) ||
			    ((kwf(q, i) & SQL_KW_CLAUSE) != 0) || (b == 'o' && !unary(q, i)) ||
			    (b == '(' && text_is(q, i + 1, "SELECT") && select_strong(q, i + 2)) ||
			    (text_is(q, i, "AS") && ty(q, i + 1) == 'n' && text_is(q, i + 2, "WHERE"));
}

/* The pre-scan (sqli_maybe) classes of a byte, after sql_lexer.c:
 * SQ_W a byte of a word (its is_word: letters, digits, _ $ and bytes >=
 * 0x80), SQ_L an ASCII letter (every keyword starts with one), SQ_G a
 * byte that no token but a word or an unterminated literal ends with
 * ([A-Za-z_]), SQ_GN those of them that also end no hex number "0x1f" and
 * no encoded space "%0a".."%0d" ([g-zG-Z_]); bits 8-15 the byte's upper
 * case for the keyword hash (SQL_KW_UP). A constant expression, so that
 * the compiler builds the table (as in classes.c). */
enum { SQ_W = 1, SQ_L = 2, SQ_G = 4, SQ_GN = 8 };
#define SQ_LETTER(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define SQ_HEXLETTER(c) (((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define SQ(c)                                                                                                     \
	(((SQ_LETTER(c) || ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '$' || (c) >= 0x80) ? SQ_W : 0) |      \
	 (SQ_LETTER(c) ? SQ_L : 0) | ((SQ_LETTER(c) || (c) == '_') ? SQ_G : 0) |                                     \
	 (((SQ_LETTER(c) && !SQ_HEXLETTER(c)) || (c) == '_') ? SQ_GN : 0) | (SQL_KW_UP(c) << 8))
#define SQ4(c) SQ(c), SQ((c) + 1), SQ((c) + 2), SQ((c) + 3)
#define SQ16(c) SQ4(c), SQ4((c) + 4), SQ4((c) + 8), SQ4((c) + 12)
#define SQ64(c) SQ16(c), SQ16((c) + 16), SQ16((c) + 32), SQ16((c) + 48)

static const unsigned short sq_class[256] = { SQ64(0u), SQ64(64u), SQ64(128u), SQ64(192u) };

/* Is the two-byte sequence `a` `b` in s[0..n)? Searches for `b`, the
 * rarer byte of "0x" and slash-star (sk_slice_has_pair searches for `a`). */
static int has_pair_b(const unsigned char *s, size_t n, unsigned char a, unsigned char b)
{
	const unsigned char *p = s + 1, *end = s + n;
	while (p < end && (p = memchr(p, b, (size_t)(end - p))) != NULL) {
		if (p[-1] == a)
			return 1;
		p++;
	}
	return 0;
}

/* Can a token of keyword `k` (NULL: no keyword) be one that a rule acts
 * on? The rules (see check_break and check_all) act at an AND/OR/XOR
 * ('&'), at a statement
 * ('E': SELECT, also after UNION), at a clause keyword (ORDER GROUP
 * HAVING WHERE PROCEDURE), INTO, PROGRAM, DUPLICATE, CASE or a catalog
 * keyword (SQL_KW_DANGER), and at a function call ('f', only with a '('
 * in the value) that delays, raises an error, reaches out (SQL_KW_TIME,
 * _ERR, _OOB), casts or branches (CAST CONVERT IF IIF). Any other keyword
 * only shapes what those rules accept around them. */
static inline int sqli_trigger(const sql_keyword *k, int paren)
{
	if (!k)
		return 0;
	switch (k->cls) {
	case SQL_T_LOGIC:
	case SQL_T_STATEMENT:
		return 1;
	case SQL_T_KEYWORD:
		return (k->flags & (SQL_KW_DANGER | SQL_KW_CLAUSE)) ||
		       (k->len == 4 && (memcmp(k->word, "INTO", 4) == 0 || memcmp(k->word, "CASE", 4) == 0)) ||
		       (k->len == 7 && memcmp(k->word, "PROGRAM", 7) == 0) ||
		       (k->len == 9 && memcmp(k->word, "DUPLICATE", 9) == 0);
	case SQL_T_FUNCTION:
		return paren && ((k->flags & (SQL_KW_TIME | SQL_KW_ERR | SQL_KW_OOB)) ||
				 (k->len == 4 && memcmp(k->word, "CAST", 4) == 0) ||
				 (k->len == 7 && memcmp(k->word, "CONVERT", 7) == 0) ||
				 (k->len == 2 && memcmp(k->word, "IF", 2) == 0) ||
				 (k->len == 3 && memcmp(k->word, "IIF", 3) == 0));
	default:
		return 0;
	}
}

/* A necessary condition for any finding in any context, cheaper than
 * lexing: every rule acts at one of the tokens below (the break token of
 * check_break, the token at i of check_all), so a value in which the
 * lexer can produce none of them has no finding. Returns 0 only then.
 *   - "&&" "||" (the '&' operators), "@@" (a system variable);
 *   - a comment ("#", "--", slash-star) in a value with a quote: the
 *     "sc" rule, the only one acting at a comment, needs a quoted context;
 *   - a keyword that sqli_trigger accepts. The lexer's words run to the
 *     end of their run of is_word bytes, so a keyword token is the whole
 *     rest of such a run from where the word starts; and a word starts at
 *     a letter whose previous byte ends a token. Tokens end in [A-Za-z_]
 *     only as words and variables (which run on) or unterminated literals
 *     (to the end), save hex numbers and "%0a".."%0d" spaces, which end in
 *     a-f/A-F: so every letter after a byte other than [A-Za-z_] (a digit,
 *     '$', a lone 0xA0 space, punctuation) is looked up, and after a-f/A-F
 *     too when the value holds "0x", "0X" or "%0".
 * Every condition holds of the value if it holds of a '/'-segment of it
 * ('/' is no word byte), so this also covers sqli_detect's path loop. */
static int sqli_maybe(sk_slice v, uint64_t cl)
{
	const unsigned char *s = (const unsigned char *)v.p;
	size_t n = v.len;
	if ((cl & DC_AMP) && sk_slice_has_pair(v, '&', '&'))
		return 1;
	if ((cl & DC_PIPE) && sk_slice_has_pair(v, '|', '|'))
		return 1;
	if ((cl & DC_AT) && sk_slice_has_pair(v, '@', '@'))
		return 1;
	if ((cl & (DC_SQUOTE | DC_DQUOTE)) &&
	    ((cl & DC_HASH) || ((cl & DC_DASH) && sk_slice_has_pair(v, '-', '-')) || ((cl & DC_STAR) && has_pair_b(s, n, '/', '*'))))
		return 1;
	if (!(cl & DC_ALPHA))
		return 0;
	/* the glue bit; shifted right by `sh` it lands on SQ_L */
	unsigned glue = SQ_G, sh = 1;
	if (((cl & DC_DIGIT) && (cl & DC_LETTER('x')) && (has_pair_b(s, n, '0', 'x') || has_pair_b(s, n, '0', 'X'))) ||
	    ((cl & DC_PERCENT) && sk_slice_has_pair(v, '%', '0')))
		glue = SQ_GN, sh = 2;
	int paren = (cl & DC_PAREN) != 0;
	size_t i = 0;
	while (i < n) {
		unsigned c = sq_class[s[i]];
		if (!(c & SQ_W)) {
			i++;
			continue;
		}
		/* One run of word bytes from a to i, hashed on the way. Its
		 * candidates (letters after a byte without the glue bit; the
		 * byte before the run is no word byte) name words that end
		 * where the run ends. While every byte has the glue bit, a is
		 * the only one. */
		size_t a = i;
		unsigned h = SQL_KW_HASH0;
		while (c & glue) {
			h = SQL_KW_HASH(h, c >> 8);
			if (++i == n)
				break;
			c = sq_class[s[i]];
		}
		/* a word byte without the glue bit (a digit, '$', a high byte;
		 * a-f/A-F after "0x" or "%0"): "1union", "x64". The rest of
		 * the run is not hashed: only a run of at most SQL_KW_MAXLEN
		 * bytes can be a keyword, and such a short one is hashed
		 * again below; long mixed runs are tokens ("wr8SvpNc..."). */
		int mixed = i < n && (c & SQ_W);
		while (mixed && i < n && (sq_class[s[i]] & SQ_W))
			i++;
		unsigned prev = sq_class[s[a]];
		if ((prev & SQ_L) &&
		    sqli_trigger(!mixed ? sql_keyword_at(h, (const char *)s + a, i - a)
				 : i - a <= SQL_KW_MAXLEN ? sql_keyword_find((const char *)s + a, i - a)
							  : NULL,
				 paren))
			return 1;
		/* A run that starts with a letter is one word if a token starts
		 * there, and the only tokens that start before it and end inside
		 * it are a dollar quote (ends in '$'), an exponent after a '.'
		 * ("1.e5union") and a "%a0" space: without those, a is the only
		 * candidate ("Win64", "wr8SvpNc..."). */
		if ((prev & SQ_L) && !(cl & DC_DOLLAR) &&
		    !(a > 0 && (s[a - 1] == '%' || (s[a - 1] == '.' && (s[a] | 0x20) == 'e'))))
			continue;
		/* A candidate names the word from it to i, so one more than
		 * SQL_KW_MAXLEN bytes before i names no keyword. */
		size_t j = a + 1;
		if (i - j > SQL_KW_MAXLEN) {
			j = i - SQL_KW_MAXLEN;
			prev = sq_class[s[j - 1]];
		}
		for (; mixed && j < i; j++) {
			c = sq_class[s[j]];
			if ((c & ~(prev >> sh) & SQ_L) &&
			    sqli_trigger(sql_keyword_find((const char *)s + j, i - j), paren))
				return 1;
			prev = c;
		}
	}
	return 0;
}

/* Bytes that can separate SQL words in a bare value. */
#define SQLI_SEPARATORS                                                                                   \
	(DC_SPACE | DC_PAREN | DC_SLASH | DC_SEMI | DC_CTL | DC_HIGH | DC_PLUS | DC_AT | DC_BACKTICK |        \
	 DC_BRACKET | DC_HASH | DC_DASH | DC_PIPE | DC_AMP | DC_PERCENT)

static int sqli_one(const det_input *in, unsigned cl, det_hit *hit)
{
	if (in->value.len == 0)
		return 0;

	static const sql_ctx order[] = { SQL_CTX_SQUOTE, SQL_CTX_DQUOTE, SQL_CTX_BARE };
	sqli_stream q;
	sqli_found best = { 0 };
	for (size_t c = 0; c < sizeof(order) / sizeof(order[0]); c++) {
		sql_ctx ctx = order[c];
		if ((ctx == SQL_CTX_SQUOTE && !(cl & DC_SQUOTE)) || (ctx == SQL_CTX_DQUOTE && !(cl & DC_DQUOTE)) ||
		    (ctx == SQL_CTX_BARE && !(cl & (DC_ALPHA | DC_PIPE | DC_AMP))))
			continue;
		fill(&q, in->value, ctx);
		sqli_found f = { 0 };
		f.paranoia = in->paranoia;
		check_break(&q, &f);
		check_all(&q, &f);
		if (f.rule && f.level <= in->paranoia) {
			if (sqli_better(&best, f.score, f.level, in->paranoia)) {
				best = f;
				size_t a = q.t[f.from].off;
				size_t to = f.to < q.n ? f.to : q.n - 1;
				size_t z = q.t[to].off + q.t[to].len;
				best.from = a;
				best.to = z > a ? z : a;
			}
			if (best.score == DET_SCORE_CRITICAL)
				break;
		}
	}
	if (!best.rule)
		return 0;
	hit->rule = best.rule;
	hit->score = best.score;
	hit->off = best.from;
	hit->len = best.to - best.from;
	return 1;
}

int sqli_detect(const det_input *in, det_hit *hit)
{
	unsigned cl = in->classes;
	/* Every rule needs a quote to break out of, or a keyword with a
	 * separator, or "||"/"&&" with a comparison ("1 || 1=1"). */
	if (!(cl & (DC_SQUOTE | DC_DQUOTE)) && !((cl & DC_ALPHA) && (cl & SQLI_SEPARATORS)) &&
	    !((cl & (DC_PIPE | DC_AMP)) && (cl & (DC_EQUALS | DC_LT | DC_GT))))
		return 0;
	if (!sqli_maybe(in->value, in->classes))
		return 0;
	if (sqli_one(in, cl, hit))
		return 1;
	if (in->loc != LOC_PATH || !(cl & DC_SLASH))
		return 0;
	/* A whole path: the application reads its segments one by one
	 * (/item/<id>/reviews), so each segment is a value of its own. */
	const char *p = in->value.p;
	size_t n = in->value.len, a = 0;
	while (a <= n) {
		const char *slash = a < n ? memchr(p + a, '/', n - a) : NULL;
		size_t z = slash ? (size_t)(slash - p) : n;
		if (z > a) {
			det_input seg = *in;
			seg.value = sk_slice_make(p + a, z - a);
			seg.classes = det_classes(seg.value);
			if (sqli_one(&seg, seg.classes, hit)) {
				hit->off += a;
				return 1;
			}
		}
		a = z + 1;
	}
	return 0;
}
