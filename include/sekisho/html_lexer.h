/* html_lexer.h - a small HTML5-style tokenizer over one slice.
 *
 * It splits bytes into the tokens a browser's tokenizer would see (WHATWG
 * HTML "tokenization", simplified): text, start tags with their attributes,
 * end tags, comments, bogus comments (<? ...>, <!x ...>, </9 ...>) and
 * CDATA sections. It never allocates and never copies: every name and
 * value is a view into the input, raw (character references are NOT
 * decoded; the caller decides whether and how). The state is a small
 * caller-owned struct; each html_lexer_next() call consumes at least one
 * byte or reports end of input, so a full run is linear in the input.
 *
 * Differences from a browser, on purpose, because the input is a fragment
 * that will be pasted into some page: a tag cut off by the end of the input
 * is still reported (its attributes, then a TAG_END with `unterminated`),
 * and the lexer can start inside a tag or inside an attribute value
 * (html_start) to see what a value does when pasted there.
 */
#ifndef SEKISHO_HTML_LEXER_H
#define SEKISHO_HTML_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "sekisho/slice.h"

typedef enum html_tok_type {
	HTML_TOK_EOF = 0,  /* no more input */
	HTML_TOK_TEXT,     /* value: character data (also raw text, see html_lexer_rawtext) */
	HTML_TOK_TAG_OPEN, /* "<name": name; attributes and a TAG_END follow */
	HTML_TOK_ATTR,     /* name, value (raw), quote, has_value; end_tag if inside "</x ...>" */
	HTML_TOK_TAG_END,  /* ">" or "/>" (self_closing), or end of input inside a tag (unterminated) */
	HTML_TOK_CLOSE_TAG,/* "</name": name; attributes (ignored by browsers) and a TAG_END follow */
	HTML_TOK_COMMENT,  /* "<!-- value -->" */
	HTML_TOK_BOGUS,    /* "<?value>", "<!value>", "</value>" with a non-letter after "</" */
	HTML_TOK_CDATA,    /* "<![CDATA[value]]>" */
} html_tok_type;

/* Where the first byte of the input sits. */
typedef enum html_start {
	HTML_START_DATA = 0, /* page text (the usual case) */
	HTML_START_ATTRS,    /* inside a start tag, before an attribute name */
	HTML_START_VALUE_DQ, /* inside a "double-quoted" attribute value */
	HTML_START_VALUE_SQ, /* inside a 'single-quoted' attribute value */
	HTML_START_VALUE_BT, /* inside a `backtick-quoted` value (legacy IE) */
	HTML_START_VALUE_UNQ,/* inside an unquoted attribute value */
} html_start;

/* Flags for html_lexer_init. */
enum {
	/* Treat ` as an attribute-value quote, the way old Internet Explorer did. */
	HTML_LEX_BACKTICK_QUOTES = 1u << 0,
};

typedef struct html_token {
	html_tok_type type;
	sk_slice name;     /* tag or attribute name, as written (case kept) */
	sk_slice value;    /* attribute value, text, comment body; raw */
	size_t off, len;   /* span of the whole token in the input */
	char quote;        /* attribute value quote: '"', '\'', '`' or 0 (unquoted/none) */
	bool has_value;    /* attribute had "=" */
	bool self_closing; /* TAG_END was "/>" */
	bool end_tag;      /* ATTR or TAG_END belongs to an end tag "</x ...>" */
	bool unterminated; /* the token ran into the end of the input */
} html_token;

/* Caller-owned state; fill it with html_lexer_init, do not touch fields. */
typedef struct html_lexer {
	const char *p;
	size_t len, pos;
	int state;
	unsigned flags;
	bool in_end_tag;
	char quote;       /* quote of the initial attribute value (HTML_START_VALUE_*) */
	sk_slice rawtext; /* end-tag name that ends raw text, when in raw text */
} html_lexer;

/* Start tokenizing `in` (borrowed; must outlive the lexer) in the context
 * `start`, with HTML_LEX_* `flags`. */
void html_lexer_init(html_lexer *lx, sk_slice in, html_start start, unsigned flags);

/* Produce the next token into *tok and return its type; HTML_TOK_EOF (and
 * a zeroed token at the end offset) once the input is used up. */
html_tok_type html_lexer_next(html_lexer *lx, html_token *tok);

/* Call right after the TAG_END of a start tag whose content is raw text
 * (script, style, textarea, title, xmp, ...): everything up to the next
 * "</name" becomes one TEXT token. `name` must stay valid meanwhile. */
void html_lexer_rawtext(html_lexer *lx, sk_slice name);

/* ASCII case-insensitive comparison of a token name with a lower-case
 * literal name; false if the name holds NUL or other bytes. */
bool html_name_is(sk_slice name, const char *lower);

#endif
