/* classes.c - byte-class summary of a value (see det_classes in detector.h). */
#include "sekisho/detector.h"

/* The class of one byte, as a constant expression so that the compiler
 * builds the 256-entry table below: no state, no startup work, and one
 * load per byte instead of a switch. */
#define CC(c)                                                                                                   \
	((c) == '\'' ? DC_SQUOTE : (c) == '"' ? DC_DQUOTE : (c) == '`' ? DC_BACKTICK : (c) == '<' ? DC_LT :        \
	 (c) == '>' ? DC_GT : (c) == ';' ? DC_SEMI : (c) == '|' ? DC_PIPE : (c) == '&' ? DC_AMP :                   \
	 (c) == '$' ? DC_DOLLAR : ((c) == '(' || (c) == ')') ? DC_PAREN : ((c) == '{' || (c) == '}') ? DC_BRACE : \
	 ((c) == '[' || (c) == ']') ? DC_BRACKET : (c) == '/' ? DC_SLASH : (c) == '\\' ? DC_BACKSLASH :           \
	 (c) == '.' ? DC_DOT : (c) == '%' ? DC_PERCENT : (c) == '#' ? DC_HASH : (c) == '=' ? DC_EQUALS :          \
	 (c) == '-' ? DC_DASH : (c) == '*' ? DC_STAR : (c) == ':' ? DC_COLON :                                     \
	 ((c) == ' ' || (c) == '\t') ? DC_SPACE : (c) == '@' ? DC_AT : (c) == ',' ? DC_COMMA :                    \
	 (c) == '+' ? DC_PLUS : (c) == '?' ? DC_QUESTION : (c) == '!' ? DC_BANG :                                 \
	 ((c) >= '0' && (c) <= '9') ? DC_DIGIT : (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z') ? DC_ALPHA :       \
	 ((c) < 0x20 || (c) == 0x7f) ? DC_CTL : (c) >= 0x80 ? DC_HIGH : DC_OTHER)
/* The class and, for a letter, its DC_LETTER bit. */
#define CL(c) ((uint64_t)CC(c) | ((((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z') ? DC_LETTER(c) : 0))
#define CC4(c) CL(c), CL((c) + 1), CL((c) + 2), CL((c) + 3)
#define CC16(c) CC4(c), CC4((c) + 4), CC4((c) + 8), CC4((c) + 12)
#define CC64(c) CC16(c), CC16((c) + 16), CC16((c) + 32), CC16((c) + 48)

static const uint64_t class_table[256] = { CC64(0u), CC64(64u), CC64(128u), CC64(192u) };

/* One table load per byte. */
uint64_t det_classes(sk_slice v)
{
	uint64_t m = 0;
	const unsigned char *p = (const unsigned char *)v.p;
	for (size_t i = 0; i < v.len; i++)
		m |= class_table[p[i]];
	return m;
}
