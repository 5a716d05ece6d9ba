/* sql_kw.h - internal: the keyword hash of sql_lexer.c (FNV-1a of the
 * upper-case word over sql_keyword_hash, see sql_lexer.h), for a caller
 * that hashes a word while it scans it anyway (the pre-scan of sqli.c)
 * rather than passing over it a second time in sql_keyword_find. */
#ifndef SEKISHO_SQL_KW_H
#define SEKISHO_SQL_KW_H

#include <stddef.h>

#include "sekisho/sql_lexer.h"

/* The upper case of a byte that can be in a keyword ([A-Za-z0-9_$]; the
 * table holds nothing else), 0 for any other byte. A constant expression,
 * for tables the compiler builds. */
#define SQL_KW_UP(c)                                                                                              \
	(((c) >= 'a' && (c) <= 'z') ? (c) ^ 0x20                                                                  \
	 : (((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '$') ? (c) : 0)

/* The longest keyword: sql_keyword_find and _probe answer NULL for any
 * longer word, so a caller may skip them (and hashing) for one. */
#define SQL_KW_MAXLEN 31

/* The hash of a word: h = SQL_KW_HASH0, then h = SQL_KW_HASH(h, SQL_KW_UP(c))
 * for each byte c. */
#define SQL_KW_HASH0 2166136261u
#define SQL_KW_HASH(h, up) (((h) ^ (unsigned)(up)) * 16777619u)

/* The keyword w[0..len) (any case) given its hash h as above: the same
 * answer as sql_keyword_find(w, len) when h is right for w; NULL for a
 * word that holds a byte outside [A-Za-z0-9_$] whatever h is. */
const sql_keyword *sql_keyword_probe(unsigned h, const char *w, size_t len);

/* sql_keyword_probe, with its commonest answer inline: three slots in
 * four are empty, and a word whose first slot is empty is no keyword. */
static inline const sql_keyword *sql_keyword_at(unsigned h, const char *w, size_t len)
{
	if (sql_keyword_hash[h & (SQL_KEYWORD_HASH_SIZE - 1)] == 0)
		return NULL;
	return sql_keyword_probe(h, w, len);
}

#endif
