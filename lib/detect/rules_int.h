/* rules_int.h - internal: the parsed form of a rule (rules_parse.c) that
 * rules.c compiles and applies. */
#ifndef SEKISHO_RULES_INT_H
#define SEKISHO_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sekisho/addr.h"

typedef enum rule_selector {
	SEL_ANY, SEL_PATH, SEL_METHOD, SEL_QUERY, SEL_FORM, SEL_ARGS, SEL_HEADER,
	SEL_COOKIE, SEL_JSON, SEL_XML, SEL_FILENAME, SEL_BODY, SEL_IP,
} rule_selector;

typedef enum rule_op { OP_CONTAINS, OP_EQUALS, OP_PREFIX, OP_SUFFIX, OP_REGEX, OP_IP_IN } rule_op;
typedef enum rule_action { ACT_BLOCK, ACT_LOG, ACT_ALLOW } rule_action;

struct rule {
	unsigned long id;
	int line;
	rule_selector sel;
	char *sel_name;      /* NULL: every value of the selector */
	rule_op op;
	bool negate;
	char *arg;           /* NUL-terminated; may contain NULs via escapes? no: text only */
	size_t arg_len;
	rule_action action;
	int score;
	char *label;         /* "rule ID: msg", shown in verdicts */
	sk_cidr *cidrs;
	size_t ncidrs;
	void *re;            /* pcre2_code * for OP_REGEX */
	bool prefiltered;    /* in the Vectorscan database */
};

/* Parse rule text into a malloc'd array. Returns 0, or -1 with
 * "FILE:LINE: message" in errbuf. */
int rules_parse(const char *text, size_t len, const char *filename, struct rule **out, size_t *n, char *errbuf,
		size_t errlen);
void rules_free_array(struct rule *r, size_t n);

#endif
