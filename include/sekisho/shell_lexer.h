/* shell_lexer.h - read words of POSIX shell and cmd.exe text the way the
 * shell would after quote removal, for the cmdi detector.
 *
 * Attackers hide command names with quoting and expansion tricks that the
 * shell undoes: w'h'o'am'i, c""at, \c\a\t, who$@ami, wh``oami, who$()ami,
 * cat${IFS}/etc/passwd, ping%CommonProgramFiles:~10,-18%127.0.0.1,
 * @^p^o^w^e^r^shell. shell_word_read() undoes them and reports, in flags,
 * which tricks were needed, because needing one is itself evidence.
 *
 * Pure functions, no allocation: the unquoted text goes into a fixed
 * buffer inside shell_word (longer words are truncated and flagged). All
 * scanning is bounded by the `limit` the caller passes, so a caller that
 * reads a bounded window per command position stays linear overall.
 */
#ifndef SEKISHO_SHELL_LEXER_H
#define SEKISHO_SHELL_LEXER_H

#include <stddef.h>

#include "sekisho/slice.h"

enum shell_word_flag {
	SHW_QUOTED = 1u << 0,   /* some part was inside '..', ".." or $'..' */
	SHW_SPLIT = 1u << 1,    /* quoting, backslash or an empty expansion between letters */
	SHW_VAR = 1u << 2,      /* $VAR, ${VAR} or %VAR% */
	SHW_PARAM_OP = 1u << 3, /* ${x:0:1}, ${x//a/b}, ${x%..}: parameter expansion with an operator */
	SHW_ANSIC = 1u << 4,    /* $'..' with \x or octal escapes */
	SHW_GLOB = 1u << 5,     /* unquoted ? * or [ */
	SHW_SUBST = 1u << 6,    /* a $(..) or `..` glued inside the word */
	SHW_IFS = 1u << 7,      /* the word ended at ${IFS}, $IFS or %VAR:~n,m% used as a blank */
	SHW_TRUNC = 1u << 8,    /* the word was longer than the text buffer */
	SHW_SHELL0 = 1u << 9,   /* the word is $0 (the running shell) */
	SHW_CARET = 1u << 10,   /* cmd.exe ^ escapes were removed */
	SHW_UNCLOSED = 1u << 11 /* a quote was still open at the limit */
};

#define SHELL_WORD_MAX 64

typedef struct shell_word {
	size_t start;  /* offset of the first byte of the word in the value */
	size_t end;    /* offset just past the word */
	unsigned flags; /* SHW_* */
	size_t len;    /* bytes in text */
	char text[SHELL_WORD_MAX]; /* the word after quote removal (not NUL-terminated) */
} shell_word;

/* Skip blanks at `pos` (space, tab, line continuations, ${IFS}, $IFS,
 * $IFS$9, %VAR:~n,m%) up to `limit`. Sets *ifs to 1 if an IFS-style blank
 * was skipped (leaves it untouched otherwise). Returns the new position. */
size_t shell_skip_blanks(sk_slice v, size_t pos, size_t limit, int *ifs);

/* Read one word starting exactly at `pos` (call shell_skip_blanks first).
 * Stops before an unquoted blank, ; | & < > ( ) newline NUL, or a backtick
 * at the start of the word, or at `limit`. Fills *w (w->len == 0 and
 * w->end == pos when no word starts here). Returns w->end. */
size_t shell_word_read(sk_slice v, size_t pos, size_t limit, shell_word *w);

/* If the word at `pos` is made of plain bytes only (no quote, escape,
 * expansion or glob, and no leading @), so that shell_word_read would
 * read exactly the bytes [pos, end) with no flag but SHW_TRUNC, return
 * end (> pos). Return 0 otherwise, and for no word at all. A cheap first
 * look for a caller that wants the word's text only to compare it. */
size_t shell_word_plain(sk_slice v, size_t pos, size_t limit);

/* True if byte i of v is a Shift_JIS second byte (it follows a lead byte
 * 0x81-0x9F or 0xE0-0xFC), so that 0x5C and 0x7C there are not \ and |. */
int shell_sjis_trail(sk_slice v, size_t i);

#endif
