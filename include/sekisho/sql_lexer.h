/* sql_lexer.h - a forgiving SQL tokenizer for injection detection.
 *
 * The lexer reads bytes that may be a fragment of SQL in the dialects a web
 * application is likely to talk to (MySQL/MariaDB, PostgreSQL, MSSQL,
 * Oracle, SQLite) and yields one token at a time. It never fails: bytes it
 * does not understand become '?' tokens. It never allocates, keeps all
 * state in the caller's sql_lexer and is linear in the input: every call
 * consumes at least one byte or reports the end.
 *
 * Whitespace is skipped, including the bytes MySQL also treats as space
 * (\v, \f, a lone 0xA0, and their percent-encoded forms) and the markers of MySQL executable comments
 * (slash-star-bang with an optional version, and the closing star-slash),
 * whose content is lexed as code. Other
 * comments are returned as 'c' tokens so that a classifier can tell a
 * trailing "--" from an inline one.
 *
 * A value can be lexed from one of three starting contexts, because an
 * injected value lands inside the application's query either as a bare
 * number/identifier or inside a quoted literal: with SQL_CTX_SQUOTE the
 * first token is the rest of a '...' literal the application opened (up to
 * the first quote that closes it), flagged SQL_T_PREFIX.
 */
#ifndef SEKISHO_SQL_LEXER_H
#define SEKISHO_SQL_LEXER_H

#include <stddef.h>

#include "sekisho/slice.h"

/* Token types (the char is also what fingerprints and docs show). */
enum {
	SQL_T_STRING = 's',   /* '..' ".." N'..' X'..' E'..' q'[..]' $$..$$ */
	SQL_T_NUMBER = '1',   /* 12 1.5e3 0x1f 0b101, and NULL TRUE FALSE */
	SQL_T_BAREWORD = 'n', /* identifier, `quoted`, [bracketed] */
	SQL_T_KEYWORD = 'k',  /* FROM WHERE ORDER BY AS ... */
	SQL_T_STATEMENT = 'E',/* SELECT INSERT UPDATE DELETE DROP EXEC ... */
	SQL_T_UNION = 'U',    /* UNION INTERSECT EXCEPT */
	SQL_T_LOGIC = '&',    /* AND OR XOR && || */
	SQL_T_OPERATOR = 'o', /* = <> != <=> < > + - * / % ^ | & ~ ! :: := LIKE IS IN NOT ... */
	SQL_T_FUNCTION = 'f', /* a name followed by '(' */
	SQL_T_VARIABLE = 'v', /* @x @@version @'x' */
	SQL_T_COMMENT = 'c',  /* -- # and slash-star comments */
	SQL_T_LPAREN = '(',
	SQL_T_RPAREN = ')',
	SQL_T_COMMA = ',',
	SQL_T_SEMICOLON = ';',
	SQL_T_DOT = '.',
	SQL_T_OTHER = '?',
};

/* Token flags. */
enum {
	SQL_T_PREFIX = 1u << 0,       /* the context's leading literal (see above) */
	SQL_T_UNTERMINATED = 1u << 1, /* string or block comment runs to the end */
	SQL_T_BLOCK = 1u << 2,        /* a slash-star comment (others run to end of line) */
	SQL_T_BLANK = 1u << 3,        /* a comment whose body is only whitespace */
	SQL_T_SYSVAR = 1u << 4,       /* @@name */
	SQL_T_KNOWN = 1u << 5,        /* a word from the keyword table */
};

/* Keyword flags (from tools/sql-keywords.txt). */
enum {
	SQL_KW_TIME = 1u << 0,   /* delays: sleep, benchmark, pg_sleep, waitfor */
	SQL_KW_ERR = 1u << 1,    /* error-based extraction: extractvalue, updatexml */
	SQL_KW_OOB = 1u << 2,    /* files, network, shell: load_file, xp_cmdshell */
	SQL_KW_DANGER = 1u << 3, /* catalogs and identity functions text never names */
	SQL_KW_CLAUSE = 1u << 4, /* WHERE ORDER GROUP HAVING LIMIT OFFSET PROCEDURE */
	SQL_KW_TYPE = 1u << 5,   /* a data type */
};

typedef struct sql_keyword {
	const char *word; /* upper case */
	unsigned char len;
	char cls;         /* token type the word takes */
	unsigned short flags;
} sql_keyword;

/* The generated keyword table (lib/detect/sql_keywords.c), sorted by word. */
extern const sql_keyword sql_keywords[];
extern const size_t sql_keywords_count;
/* Hash index over it: SQL_KEYWORD_HASH_SIZE slots holding index + 1 (0 =
 * empty); FNV-1a of the upper-case word, linear probing. */
#define SQL_KEYWORD_HASH_SIZE 2048
extern const unsigned short sql_keyword_hash[SQL_KEYWORD_HASH_SIZE];

/* Look `w` up case-insensitively; NULL if it is not a keyword. */
const sql_keyword *sql_keyword_find(const char *w, size_t len);

typedef enum sql_ctx {
	SQL_CTX_BARE = 0, /* value is code: a number, identifier or statement */
	SQL_CTX_SQUOTE,   /* value starts inside a '...' literal */
	SQL_CTX_DQUOTE,   /* value starts inside a "..." literal */
} sql_ctx;

typedef struct sql_token {
	char type;             /* SQL_T_* type char */
	unsigned char flags;   /* SQL_T_* flags */
	unsigned short kwflags;/* SQL_KW_* of a keyword, else 0 */
	size_t off, len;       /* bytes of the token within the input */
} sql_token;

typedef struct sql_lexer {
	const unsigned char *s;
	size_t len, pos;
	sql_ctx ctx;
	int started;      /* the context prefix has been produced */
	int in_exec;      /* inside a MySQL executable comment */
} sql_lexer;

/* Prepare `lx` to lex `in` (borrowed; must outlive the lexer) from `ctx`. */
void sql_lexer_init(sql_lexer *lx, sk_slice in, sql_ctx ctx);

/* Produce the next token into *t. Returns 1 with a token, 0 at the end. */
int sql_lexer_next(sql_lexer *lx, sql_token *t);

#endif
