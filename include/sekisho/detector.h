/* detector.h - the contract between the engine and one detector.
 *
 * A detector looks at one decoded value and says whether it is an attack of
 * its class, how sure it is, and which bytes decided. It allocates nothing,
 * keeps no state between calls and must be linear in the input length.
 * The engine (lib/detect/engine.c) chooses which values each detector sees,
 * sums scores and decides.
 */
#ifndef SEKISHO_DETECTOR_H
#define SEKISHO_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/slice.h"
#include "sekisho/target.h"

/* Scores, after the anomaly-scoring idea of the OWASP Core Rule Set: one
 * confident finding reaches the default block threshold on its own. */
enum {
	DET_SCORE_CRITICAL = 5, /* an attack beyond reasonable doubt */
	DET_SCORE_ERROR = 4,
	DET_SCORE_WARNING = 3,  /* suspicious; blocks only with other findings */
	DET_SCORE_NOTICE = 2,
};

/* Byte classes present in a value, computed once per value by the caller
 * (det_classes) so that a detector can refuse a value that lacks all of its
 * trigger bytes without scanning it. */
enum det_class {
	DC_SQUOTE = 1u << 0,    /* ' */
	DC_DQUOTE = 1u << 1,    /* " */
	DC_BACKTICK = 1u << 2,  /* ` */
	DC_LT = 1u << 3,        /* < */
	DC_GT = 1u << 4,        /* > */
	DC_SEMI = 1u << 5,      /* ; */
	DC_PIPE = 1u << 6,      /* | */
	DC_AMP = 1u << 7,       /* & */
	DC_DOLLAR = 1u << 8,    /* $ */
	DC_PAREN = 1u << 9,     /* ( ) */
	DC_BRACE = 1u << 10,    /* { } */
	DC_BRACKET = 1u << 11,  /* [ ] */
	DC_SLASH = 1u << 12,    /* / */
	DC_BACKSLASH = 1u << 13,/* \ */
	DC_DOT = 1u << 14,      /* . */
	DC_PERCENT = 1u << 15,  /* % */
	DC_HASH = 1u << 16,     /* # */
	DC_EQUALS = 1u << 17,   /* = */
	DC_DASH = 1u << 18,     /* - */
	DC_STAR = 1u << 19,     /* * */
	DC_COLON = 1u << 20,    /* : */
	DC_CTL = 1u << 21,      /* bytes < 0x20 other than space, and 0x7f */
	DC_HIGH = 1u << 22,     /* bytes >= 0x80 */
	DC_SPACE = 1u << 23,    /* space, tab */
	DC_DIGIT = 1u << 24,
	DC_ALPHA = 1u << 25,
	DC_AT = 1u << 26,       /* @ */
	DC_COMMA = 1u << 27,    /* , */
	DC_PLUS = 1u << 28,     /* + */
	DC_QUESTION = 1u << 29, /* ? */
	DC_BANG = 1u << 30,     /* ! */
	DC_OTHER = 1u << 31,    /* ~ ^ _ and the rest */
};

/* Bits 32..57 of det_classes: the ASCII letters present, ignoring case
 * (bit 32 + 0 for a or A, ... bit 32 + 25 for z or Z; the & 31 only keeps
 * the shift defined where the argument is no letter, in the unevaluated
 * arm of classes.c's table macro). A detector whose
 * keyword must appear in the value (in either case) can refuse a value
 * that lacks one of its letters before searching. */
#define DC_LETTER(ch) (UINT64_C(1) << (32 + ((((unsigned)(ch) | 0x20u) - 'a') & 31u)))

/* The letter bits of a few letters, as constant expressions: a keyword's
 * letters spelled out, e.g. DC_LETTERS4('e', 'v', 'a', 'l'). */
#define DC_LETTERS2(a, b) (DC_LETTER(a) | DC_LETTER(b))
#define DC_LETTERS3(a, b, c) (DC_LETTERS2(a, b) | DC_LETTER(c))
#define DC_LETTERS4(a, b, c, d) (DC_LETTERS2(a, b) | DC_LETTERS2(c, d))

/* May a value of classes `cl` (det_classes) hold a word made of the
 * letters `need` (DC_LETTER bits), ignoring case? False only when one of
 * them is missing from the value. */
static inline int det_has_letters(uint64_t cl, uint64_t need)
{
	return (cl & need) == need;
}

/* The letter bits (DC_LETTER) of the ASCII letters of s[0..n). Bytes
 * other than letters add nothing. */
static inline uint64_t det_letters(const char *s, size_t n)
{
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i] | 0x20u;
		if (c >= 'a' && c <= 'z')
			m |= DC_LETTER(c);
	}
	return m;
}

/* The union of the classes of every byte of `v` (bits 0..31, DC_*) and
 * the letters present (bits 32..57, DC_LETTER), in one pass. */
uint64_t det_classes(sk_slice v);

typedef struct det_input {
	sk_slice value;  /* decoded value to inspect */
	uint64_t classes; /* det_classes(value), always filled in by the caller */
	sk_slice name;   /* parameter/header name, may be empty */
	target_loc loc;  /* where the value was found */
	int paranoia;    /* 1 (default) .. 3 (most sensitive) */
} det_input;

typedef struct det_hit {
	const char *rule; /* static id and reason, e.g. "sqli.union: fingerprint s&1UE" */
	int score;        /* DET_SCORE_* */
	size_t off, len;  /* the deciding fragment within in->value */
} det_hit;

/* Inspect `in`. Return 1 and fill `hit` when the value is an attack,
 * 0 otherwise. Must not read outside in->value. */
typedef int (*detector_fn)(const det_input *in, det_hit *hit);

#endif
