/* classes.c - byte-class summary of a value (see det_classes in detector.h). */
#include "sekisho/detector.h"

static unsigned char_class(unsigned char c)
{
	switch (c) {
	case '\'': return DC_SQUOTE;
	case '"': return DC_DQUOTE;
	case '`': return DC_BACKTICK;
	case '<': return DC_LT;
	case '>': return DC_GT;
	case ';': return DC_SEMI;
	case '|': return DC_PIPE;
	case '&': return DC_AMP;
	case '$': return DC_DOLLAR;
	case '(': case ')': return DC_PAREN;
	case '{': case '}': return DC_BRACE;
	case '[': case ']': return DC_BRACKET;
	case '/': return DC_SLASH;
	case '\\': return DC_BACKSLASH;
	case '.': return DC_DOT;
	case '%': return DC_PERCENT;
	case '#': return DC_HASH;
	case '=': return DC_EQUALS;
	case '-': return DC_DASH;
	case '*': return DC_STAR;
	case ':': return DC_COLON;
	case ' ': case '\t': return DC_SPACE;
	case '@': return DC_AT;
	case ',': return DC_COMMA;
	case '+': return DC_PLUS;
	case '?': return DC_QUESTION;
	case '!': return DC_BANG;
	default: break;
	}
	if (c >= '0' && c <= '9') return DC_DIGIT;
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return DC_ALPHA;
	if (c < 0x20 || c == 0x7f) return DC_CTL;
	if (c >= 0x80) return DC_HIGH;
	return DC_OTHER;
}

/* Built once into a table on first use would need a global; a switch-built
 * table at compile time is clearer as a constant generated at startup by
 * nothing: we simply compute per byte. The loop is branch-light enough for
 * the short values that dominate traffic. */
unsigned det_classes(sk_slice v)
{
	unsigned m = 0;
	const unsigned char *p = (const unsigned char *)v.p;
	for (size_t i = 0; i < v.len; i++)
		m |= char_class(p[i]);
	return m;
}
