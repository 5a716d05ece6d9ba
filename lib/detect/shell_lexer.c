/* shell_lexer.c - quote removal for shell and cmd.exe words; see
 * include/sekisho/shell_lexer.h. */
#include "sekisho/shell_lexer.h"

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

int shell_sjis_trail(sk_slice v, size_t i)
{
	if (i == 0 || i >= v.len)
		return 0;
	unsigned char p = (unsigned char)v.p[i - 1];
	return (p >= 0x81 && p <= 0x9f) || (p >= 0xe0 && p <= 0xfc);
}

/* Length of an IFS-style blank at pos, or 0: ${IFS}, $IFS (not followed by
 * an identifier byte), an optional trailing $9-style positional, and the
 * cmd.exe substring expansion %NAME:~n,m% that attackers use for a space. */
static size_t ifs_len(sk_slice v, size_t pos, size_t limit)
{
	const char *p = v.p;
	size_t n = 0;
	if (pos + 6 <= limit && p[pos] == '$' && p[pos + 1] == '{' && p[pos + 2] == 'I' && p[pos + 3] == 'F' &&
	    p[pos + 4] == 'S') {
		/* ${IFS} or ${IFS%??} and the like: up to the closing brace */
		size_t i = pos + 5;
		while (i < limit && i < pos + 16 && p[i] != '}')
			i++;
		if (i < limit && p[i] == '}')
			n = i + 1 - pos;
	} else if (pos + 4 <= limit && p[pos] == '$' && p[pos + 1] == 'I' && p[pos + 2] == 'F' && p[pos + 3] == 'S' &&
		   (pos + 4 == limit || !is_ident((unsigned char)p[pos + 4]))) {
		n = 4;
	} else if (p[pos] == '%' && pos + 1 < limit && is_alpha((unsigned char)p[pos + 1])) {
		size_t i = pos + 1;
		while (i < limit && i < pos + 40 && (is_ident((unsigned char)p[i])))
			i++;
		if (i + 2 < limit && p[i] == ':' && p[i + 1] == '~') {
			i += 2;
			while (i < limit && i < pos + 60 && (is_digit((unsigned char)p[i]) || p[i] == ',' || p[i] == '-'))
				i++;
			if (i < limit && p[i] == '%')
				return i + 1 - pos;
		}
		return 0;
	}
	if (n && pos + n + 1 < limit && p[pos + n] == '$' && is_digit((unsigned char)p[pos + n + 1]))
		n += 2;
	return n;
}

size_t shell_skip_blanks(sk_slice v, size_t pos, size_t limit, int *ifs)
{
	if (limit > v.len)
		limit = v.len;
	while (pos < limit) {
		unsigned char c = (unsigned char)v.p[pos];
		if (c == ' ' || c == '\t') {
			pos++;
			continue;
		}
		if (c == '\\' && pos + 1 < limit && v.p[pos + 1] == '\n') {
			pos += 2;
			continue;
		}
		if (c == '%' && pos + 2 < limit && v.p[pos + 1] == '2' && v.p[pos + 2] == '0') {
			pos += 3; /* a header or raw body keeps %20 as sent */
			continue;
		}
		if (c == '%' && pos + 2 < limit && v.p[pos + 1] == '0' && v.p[pos + 2] == '9') {
			pos += 3;
			continue;
		}
		size_t n = ifs_len(v, pos, limit);
		if (n) {
			*ifs = 1;
			pos += n;
			continue;
		}
		break;
	}
	return pos;
}

static void put(shell_word *w, unsigned char c)
{
	if (w->len < SHELL_WORD_MAX)
		w->text[w->len++] = (char)c;
	else
		w->flags |= SHW_TRUNC;
}

/* Skip a $(...) that starts at pos ('$' at pos). Bounded depth counter,
 * no recursion. Returns the position after ')' or limit. */
static size_t skip_dollar_paren(const char *p, size_t pos, size_t limit)
{
	int depth = 0;
	for (size_t i = pos + 1; i < limit; i++) {
		if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && --depth == 0)
			return i + 1;
	}
	return limit;
}

/* Parameter expansion ${...} at pos: flag operators, return end. */
static size_t read_brace_param(const char *p, size_t pos, size_t limit, shell_word *w)
{
	size_t i = pos + 2;
	size_t name_end;
	while (i < limit && is_ident((unsigned char)p[i]))
		i++;
	name_end = i;
	while (i < limit && i < pos + 200 && p[i] != '}')
		i++;
	if (i > name_end)
		w->flags |= SHW_PARAM_OP;
	w->flags |= SHW_VAR;
	put(w, '$');
	return i < limit ? i + 1 : limit;
}

/* The bytes shell_word_read copies into the word as they are (the
 * default arm of its switch): all but blanks, the bytes that end a word,
 * quotes, escapes, expansions and globs. A constant expression, so that
 * the compiler builds the table. */
#define WP(c)                                                                                                     \
	(!((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == ';' || (c) == '&' || (c) == '<' ||   \
	   (c) == '>' || (c) == '(' || (c) == ')' || (c) == '\0' || (c) == '|' || (c) == '\'' || (c) == '"' ||       \
	   (c) == '\\' || (c) == '^' || (c) == '`' || (c) == '$' || (c) == '%' || (c) == '?' || (c) == '*' ||      \
	   (c) == '['))
#define WP4(c) WP(c), WP((c) + 1), WP((c) + 2), WP((c) + 3)
#define WP16(c) WP4(c), WP4((c) + 4), WP4((c) + 8), WP4((c) + 12)
#define WP64(c) WP16(c), WP16((c) + 16), WP16((c) + 32), WP16((c) + 48)

static const unsigned char word_plain[256] = { WP64(0u), WP64(64u), WP64(128u), WP64(192u) };

size_t shell_word_plain(sk_slice v, size_t pos, size_t limit)
{
	if (limit > v.len)
		limit = v.len;
	const char *p = v.p;
	size_t i = pos;
	/* a leading @ is dropped from the word: not its own bytes */
	if (i >= limit || !word_plain[(unsigned char)p[i]] || p[i] == '@')
		return 0;
	while (i + 4 <= limit && (word_plain[(unsigned char)p[i]] & word_plain[(unsigned char)p[i + 1]] &
				  word_plain[(unsigned char)p[i + 2]] & word_plain[(unsigned char)p[i + 3]]))
		i += 4;
	while (i < limit && word_plain[(unsigned char)p[i]])
		i++;
	if (i == limit)
		return i;
	switch (p[i]) {
	case ' ': case '\t': case '\n': case '\r': case ';': case '&': case '<': case '>':
	case '(': case ')': case '\0':
		return i;
	case '|':
		return shell_sjis_trail(v, i) ? 0 : i;
	default:
		return 0;
	}
}

size_t shell_word_read(sk_slice v, size_t pos, size_t limit, shell_word *w)
{
	const char *p = v.p;
	size_t i = pos;
	if (limit > v.len)
		limit = v.len;
	w->start = pos;
	w->flags = 0;
	w->len = 0;
	/* cmd.exe: a leading @ only silences echo */
	if (i < limit && p[i] == '@')
		i++;
	while (i < limit) {
		unsigned char c = (unsigned char)p[i];
		if (word_plain[c]) {
			/* a run of plain bytes goes in as one copy, as put() would
			 * one by one (truncated and flagged past the buffer) */
			size_t j = i + 1;
			while (j < limit && word_plain[(unsigned char)p[j]])
				j++;
			size_t n = j - i, room = SHELL_WORD_MAX - w->len;
			if (n > room) {
				n = room;
				w->flags |= SHW_TRUNC;
			}
			memcpy(w->text + w->len, p + i, n);
			w->len += n;
			i = j;
			continue;
		}
		int mid = w->len > 0; /* something already in the word */
		switch (c) {
		case ' ': case '\t': case '\n': case '\r': case ';': case '&': case '<': case '>':
		case '(': case ')': case '\0':
			goto done;
		case '|':
			if (shell_sjis_trail(v, i)) {
				put(w, c);
				i++;
				continue;
			}
			goto done;
		case '\'': {
			size_t j = i + 1;
			while (j < limit && p[j] != '\'')
				put(w, (unsigned char)p[j++]);
			if (j >= limit)
				w->flags |= SHW_UNCLOSED;
			w->flags |= SHW_QUOTED;
			if (mid || (j + 1 < limit && is_alpha((unsigned char)p[j + 1])))
				w->flags |= SHW_SPLIT;
			i = j < limit ? j + 1 : limit;
			continue;
		}
		case '"': {
			size_t j = i + 1;
			while (j < limit && p[j] != '"') {
				if (p[j] == '\\' && j + 1 < limit && !shell_sjis_trail(v, j))
					j++;
				put(w, (unsigned char)p[j++]);
			}
			if (j >= limit)
				w->flags |= SHW_UNCLOSED;
			w->flags |= SHW_QUOTED;
			if (mid || (j + 1 < limit && is_alpha((unsigned char)p[j + 1])))
				w->flags |= SHW_SPLIT;
			i = j < limit ? j + 1 : limit;
			continue;
		}
		case '\\':
			if (shell_sjis_trail(v, i)) {
				put(w, c);
				i++;
				continue;
			}
			if (i + 1 < limit) {
				unsigned char n = (unsigned char)p[i + 1];
				if (n == '\n') {
					i += 2; /* line continuation */
					continue;
				}
				if (n == '`') /* \` : a nested substitution, seen by the caller */
					goto done;
				if (mid && n == 'n' &&
				    (i + 2 >= limit || !(is_alpha((unsigned char)p[i + 2]) || is_digit((unsigned char)p[i + 2]))))
					goto done; /* a written-out \n after a word: id\n */
				if (is_alpha(n))
					w->flags |= SHW_SPLIT;
				put(w, n);
				i += 2;
			} else {
				i++;
			}
			continue;
		case '^': /* cmd.exe escape */
			w->flags |= SHW_CARET;
			if (i + 1 < limit)
				put(w, (unsigned char)p[i + 1]);
			i = i + 1 < limit ? i + 2 : limit;
			continue;
		case '`':
			if (!mid)
				goto done;
			if (i + 1 < limit && p[i + 1] == '`') {
				w->flags |= SHW_SPLIT;
				i += 2;
				continue;
			}
			{
				/* a substitution glued into a word: skip it, the caller
				 * inspects its content on its own */
				size_t j = i + 1;
				while (j < limit && p[j] != '`')
					j++;
				w->flags |= SHW_SUBST | SHW_SPLIT;
				i = j < limit ? j + 1 : limit;
			}
			continue;
		case '$': {
			if (ifs_len(v, i, limit)) {
				w->flags |= SHW_IFS;
				goto done;
			}
			unsigned char n = i + 1 < limit ? (unsigned char)p[i + 1] : 0;
			if (n == '(') {
				if (i + 2 < limit && p[i + 2] == ')')
					w->flags |= SHW_SPLIT;
				else
					w->flags |= SHW_SUBST | (mid ? SHW_SPLIT : 0);
				i = skip_dollar_paren(p, i, limit);
				continue;
			}
			if (n == '{') {
				i = read_brace_param(p, i, limit, w);
				continue;
			}
			if (n == '\'') {
				/* ANSI-C quoting: decode \xHH and \NNN */
				size_t j = i + 2;
				w->flags |= SHW_QUOTED;
				while (j < limit && p[j] != '\'') {
					if (p[j] == '\\' && j + 1 < limit) {
						unsigned char e = (unsigned char)p[j + 1];
						if (e == 'x' && j + 3 < limit && is_hex((unsigned char)p[j + 2])) {
							int val = sk_hexval((unsigned char)p[j + 2]);
							size_t k = j + 3;
							if (k < limit && is_hex((unsigned char)p[k]))
								val = val * 16 + sk_hexval((unsigned char)p[k++]);
							put(w, (unsigned char)val);
							w->flags |= SHW_ANSIC;
							j = k;
							continue;
						}
						if (e >= '0' && e <= '7') {
							int val = 0;
							size_t k = j + 1;
							while (k < limit && k < j + 4 && p[k] >= '0' && p[k] <= '7')
								val = val * 8 + (p[k++] - '0');
							put(w, (unsigned char)(val & 0xff));
							w->flags |= SHW_ANSIC;
							j = k;
							continue;
						}
						put(w, e);
						j += 2;
						continue;
					}
					put(w, (unsigned char)p[j++]);
				}
				i = j < limit ? j + 1 : limit;
				continue;
			}
			if (n == '"') { /* $"..." locale string: same as "..." */
				i++;
				continue;
			}
			if (n == '@' || n == '*' || n == '#' || n == '?' || n == '!' || n == '-' || (is_digit(n) && n != '0')) {
				/* positional and special parameters expand to nothing
				 * in an injected command: who$@ami */
				w->flags |= SHW_SPLIT;
				i += 2;
				continue;
			}
			if (n == '0' && !mid && (i + 2 >= limit || !is_ident((unsigned char)p[i + 2]))) {
				w->flags |= SHW_SHELL0;
				put(w, '$');
				put(w, '0');
				i += 2;
				continue;
			}
			if (is_alpha(n) || n == '_') {
				size_t j = i + 1;
				while (j < limit && is_ident((unsigned char)p[j]))
					j++;
				w->flags |= SHW_VAR;
				put(w, '$');
				i = j;
				continue;
			}
			put(w, c);
			i++;
			continue;
		}
		case '%': {
			if (i + 2 < limit && p[i + 1] == '2' && p[i + 2] == '0')
				goto done;
			if (i + 2 < limit && p[i + 1] == '0' && (p[i + 2] == '9' || (p[i + 2] | 0x20) == 'a' || (p[i + 2] | 0x20) == 'd'))
				goto done;
			if (ifs_len(v, i, limit)) {
				w->flags |= SHW_IFS;
				goto done;
			}
			/* %NAME% */
			size_t j = i + 1;
			while (j < limit && j < i + 40 && (is_ident((unsigned char)p[j])))
				j++;
			if (j > i + 1 && j < limit && p[j] == '%') {
				w->flags |= SHW_VAR;
				for (size_t k = i; k <= j; k++)
					put(w, (unsigned char)p[k]);
				i = j + 1;
				continue;
			}
			put(w, c);
			i++;
			continue;
		}
		case '?': case '*': case '[':
			w->flags |= SHW_GLOB;
			put(w, c);
			i++;
			continue;
		default:
			put(w, c);
			i++;
			continue;
		}
	}
done:
	w->end = i;
	return i;
}
