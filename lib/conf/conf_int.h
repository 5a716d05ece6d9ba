/* conf_int.h - internals of lib/conf shared by its files: the bounded YAML
 * tree (tree.c), the directive table (directives.c) and the value parsers
 * (value.c) that config.c wires together. */
#ifndef SEKISHO_CONF_INT_H
#define SEKISHO_CONF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "sekisho/arena.h"
#include "sekisho/config.h"

/* ---- the YAML document as a small tree (tree.c) ---- */

enum { CN_SCALAR, CN_SEQ, CN_MAP };

typedef struct cnode {
	int kind;
	bool plain;            /* unquoted scalar: only then are true/false/null words */
	unsigned line, col;    /* 1-based position of the node's start */
	const char *s;         /* scalar bytes, NUL-terminated copy (may contain NUL: checked by users) */
	size_t len;
	struct cnode *child;   /* first child; a map's children alternate key, value */
	struct cnode *last;
	struct cnode *next;    /* next sibling */
	size_t nchild;
} cnode;

/* Errors: "FILE:LINE:COL: message" into the caller's buffer. */
typedef struct conf_err {
	const char *filename;
	char *buf;
	size_t cap;
} conf_err;

void conf_errorf(conf_err *e, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parse `text` into a tree allocated from `a`. *root is NULL for an empty
 * stream or a document that is only a null. Returns false with an error. */
bool conf_tree(const char *text, size_t len, arena *a, cnode **root, conf_err *e);

static inline bool cnode_is_null(const cnode *n)
{
	if (n->kind != CN_SCALAR || !n->plain)
		return false;
	return n->len == 0 || (n->len == 1 && n->s[0] == '~') ||
	       (n->len == 4 && (memcmp(n->s, "null", 4) == 0 || memcmp(n->s, "Null", 4) == 0 ||
				memcmp(n->s, "NULL", 4) == 0));
}

/* ---- the directive table (directives.c) ---- */

typedef enum conf_type {
	CT_SECTION,    /* a mapping of further keys */
	CT_BOOL,       /* true | false */
	CT_UINT,       /* unsigned: decimal number */
	CT_INT,        /* int: decimal number */
	CT_COUNT,      /* size_t: decimal number */
	CT_SIZE,       /* size_t bytes: 1048576, "64KiB", "1MiB", "8k" */
	CT_MS,         /* unsigned milliseconds: 30 (seconds), "500ms", "30s", "2m", "1h" */
	CT_ENUM,       /* int: index into `choices` */
	CT_STRING,     /* const char *: any text without NUL */
	CT_USER,       /* const char *: "" or a user name */
	CT_HEADER,     /* const char *: a header value, or false for NULL */
	CT_LISTEN,     /* sk_listen + bool enabled at `off_n`: "" disables */
	CT_LISTENS,    /* sk_listen array: one "host:port" or a list */
	CT_UPSTREAM,   /* sk_upstream */
	CT_CIDRS,      /* sk_cidr array */
	CT_CERTS,      /* sk_tls_cert array of {cert, key} */
	CT_EXCEPTIONS, /* engine_exception array of {detector, path, param} */
	CT_PATHS,      /* sk_path_mode array of {prefix, mode} */
	CT_SINKS,      /* sk_sink array: one sink or a list */
	CT_LOGINS,     /* login_endpoint array of {path, method, username, fail_*, success_cookie} */
	CT_PREFIXES,   /* const char * array of path prefixes: one or a list */
	CT_PWFIELDS,   /* sk_pw_endpoint array of {path, field} */
	CT_COUNTRIES,  /* sk_country array: ISO 3166-1 alpha-2 codes */
	CT_ACCESS_PATHS, /* access_spec array of {prefix, allow, deny, countries_allow, countries_deny} */
} conf_type;

typedef struct conf_directive {
	const char *path;            /* "limits.max_head" */
	conf_type type;
	const char *def;             /* default, as YAML text ("[]" for an empty list); NULL for sections */
	long long min, max;          /* numbers (in ms / bytes for durations / sizes); lists: max entries */
	size_t off;                  /* offset of the value in sk_config */
	size_t off_n;                /* lists: offset of the count; CT_LISTEN: of the enabled flag */
	const char *const *choices;  /* CT_ENUM: NULL-terminated */
	const char *doc;
} conf_directive;

/* Upper bound on the table's rows (config.c keeps per-row state in arrays). */
#define CONF_MAX_DIRECTIVES 256

extern const conf_directive conf_directives[];
extern const size_t conf_ndirectives;

/* ---- value parsers (value.c): scalar text -> value; false on bad syntax ---- */

bool conf_parse_u64(const char *s, size_t len, unsigned long long *out);
/* Duration in ms; a bare number is seconds. */
bool conf_parse_ms(const char *s, size_t len, unsigned long long *out);
/* Size in bytes; k/K/KiB, m/M/MiB, g/G/GiB are powers of 1024. */
bool conf_parse_size(const char *s, size_t len, unsigned long long *out);
/* "a.b.c.d:port" or "[v6]:port". Returns NULL or a static reason. */
const char *conf_parse_listen(const char *s, size_t len, sk_addr *addr, unsigned *port);
/* "http://host[:port][/]". Returns NULL or a static reason; host is a view into s. */
const char *conf_parse_upstream(const char *s, size_t len, sk_slice *host, unsigned *port, bool *is_addr,
				sk_addr *addr);

#endif
