/* rules_parse.c - the rule file syntax (see include/sekisho/rules.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

/* Longest accepted rule line and argument: rules are written by people. */
#define RULE_LINE_MAX 8192
#define RULES_MAX 100000

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Next token: a bare word or a quoted string (escapes \" and \\). Returns
 * a malloc'd NUL-terminated copy, or NULL at end of line / on error. */
static char *next_token(struct cursor *c, size_t *len, const char **err)
{
	skip_ws(c);
	if (c->p == c->end)
		return NULL;
	char *out = malloc((size_t)(c->end - c->p) + 1);
	if (!out) {
		*err = "out of memory";
		return NULL;
	}
	size_t n = 0;
	if (*c->p == '"') {
		c->p++;
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			out[n++] = *c->p++;
		}
		if (c->p == c->end) {
			free(out);
			*err = "unterminated quoted string";
			return NULL;
		}
		c->p++;
	} else {
		while (c->p < c->end && *c->p != ' ' && *c->p != '\t') {
			/* key="quoted value" stays one token */
			if (*c->p == '"') {
				c->p++;
				while (c->p < c->end && *c->p != '"') {
					if (*c->p == '\\' && c->p + 1 < c->end)
						c->p++;
					out[n++] = *c->p++;
				}
				if (c->p == c->end) {
					free(out);
					*err = "unterminated quoted string";
					return NULL;
				}
				c->p++;
				continue;
			}
			out[n++] = *c->p++;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static const struct {
	const char *name;
	rule_selector sel;
	bool takes_name;
} selectors[] = {
	{ "any", SEL_ANY, false },       { "path", SEL_PATH, false },     { "method", SEL_METHOD, false },
	{ "query", SEL_QUERY, true },    { "form", SEL_FORM, true },      { "args", SEL_ARGS, true },
	{ "header", SEL_HEADER, true },  { "cookie", SEL_COOKIE, true },  { "json", SEL_JSON, true },
	{ "xml", SEL_XML, true },        { "filename", SEL_FILENAME, false }, { "body", SEL_BODY, false },
	{ "ip", SEL_IP, false },
};

static const struct {
	const char *name;
	rule_op op;
} operators[] = {
	{ "contains", OP_CONTAINS }, { "equals", OP_EQUALS }, { "prefix", OP_PREFIX },
	{ "suffix", OP_SUFFIX },     { "regex", OP_REGEX },   { "ip-in", OP_IP_IN },
};

static int parse_selector(const char *tok, struct rule *r, const char **err)
{
	const char *colon = strchr(tok, ':');
	size_t n = colon ? (size_t)(colon - tok) : strlen(tok);
	for (size_t i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
		if (strlen(selectors[i].name) != n || memcmp(selectors[i].name, tok, n) != 0)
			continue;
		r->sel = selectors[i].sel;
		if (colon) {
			if (!selectors[i].takes_name || !colon[1]) {
				*err = "this selector takes no name (or the name is empty)";
				return -1;
			}
			r->sel_name = strdup(colon + 1);
			if (!r->sel_name) {
				*err = "out of memory";
				return -1;
			}
		}
		return 0;
	}
	*err = "unknown selector (any, path, method, query, form, args, header, cookie, json, xml, filename, body, ip)";
	return -1;
}

static int parse_cidrs(struct rule *r, const char **err)
{
	size_t count = 1;
	for (const char *p = r->arg; *p; p++)
		count += *p == ',';
	r->cidrs = calloc(count, sizeof(*r->cidrs));
	if (!r->cidrs) {
		*err = "out of memory";
		return -1;
	}
	const char *p = r->arg;
	while (*p) {
		const char *q = strchr(p, ',');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (!cidr_parse(sk_slice_make(p, n), &r->cidrs[r->ncidrs])) {
			*err = "ip-in takes comma-separated addresses or CIDR ranges";
			return -1;
		}
		r->ncidrs++;
		p += n + (q ? 1 : 0);
	}
	if (r->ncidrs == 0) {
		*err = "ip-in needs at least one address";
		return -1;
	}
	return 0;
}

static int parse_option(const char *tok, struct rule *r, char **msg, const char **err)
{
	if (strncmp(tok, "action=", 7) == 0) {
		const char *a = tok + 7;
		if (strcmp(a, "block") == 0)
			r->action = ACT_BLOCK;
		else if (strcmp(a, "log") == 0)
			r->action = ACT_LOG;
		else if (strcmp(a, "allow") == 0)
			r->action = ACT_ALLOW;
		else {
			*err = "action must be block, log or allow";
			return -1;
		}
		return 0;
	}
	if (strncmp(tok, "score=", 6) == 0) {
		char *end;
		long s = strtol(tok + 6, &end, 10);
		if (*end || end == tok + 6 || s < 0 || s > 100) {
			*err = "score must be a number from 0 to 100";
			return -1;
		}
		r->score = (int)s;
		return 0;
	}
	if (strncmp(tok, "msg=", 4) == 0) {
		free(*msg);
		*msg = strdup(tok + 4);
		if (!*msg) {
			*err = "out of memory";
			return -1;
		}
		return 0;
	}
	*err = "unknown option (action=, score=, msg=)";
	return -1;
}

static void rule_free(struct rule *r)
{
	free(r->sel_name);
	free(r->arg);
	free(r->label);
	free(r->cidrs);
}

/* Parse one non-empty, non-comment line into `r`. */
static int parse_line(const char *p, const char *end, int lineno, struct rule *r, const char **err)
{
	struct cursor c = { p, end };
	size_t len;
	char *tok = NULL, *msg = NULL;
	memset(r, 0, sizeof(*r));
	r->line = lineno;
	r->score = -1;

	if (!(tok = next_token(&c, &len, err)))
		goto fail;
	char *endp;
	r->id = strtoul(tok, &endp, 10);
	if (*endp || endp == tok || r->id == 0) {
		*err = "a rule starts with its numeric id";
		goto fail;
	}
	free(tok);
	if (!(tok = next_token(&c, &len, err))) {
		*err = *err ? *err : "missing selector";
		goto fail;
	}
	if (parse_selector(tok, r, err) != 0)
		goto fail;
	free(tok);
	if (!(tok = next_token(&c, &len, err))) {
		*err = *err ? *err : "missing operator";
		goto fail;
	}
	const char *opname = tok;
	if (*opname == '!') {
		r->negate = true;
		opname++;
	}
	bool found = false;
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (strcmp(operators[i].name, opname) == 0) {
			r->op = operators[i].op;
			found = true;
		}
	if (!found) {
		*err = "unknown operator (contains, equals, prefix, suffix, regex, ip-in)";
		goto fail;
	}
	if ((r->op == OP_IP_IN) != (r->sel == SEL_IP)) {
		*err = "ip-in goes with the ip selector, and the ip selector only with ip-in";
		goto fail;
	}
	free(tok);
	if (!(tok = next_token(&c, &len, err))) {
		*err = *err ? *err : "missing argument";
		goto fail;
	}
	r->arg = tok;
	r->arg_len = len;
	tok = NULL;
	if (r->arg_len == 0 && r->op != OP_EQUALS) {
		*err = "empty argument";
		goto fail;
	}
	if (r->op == OP_IP_IN && parse_cidrs(r, err) != 0)
		goto fail;
	while ((tok = next_token(&c, &len, err))) {
		if (parse_option(tok, r, &msg, err) != 0)
			goto fail;
		free(tok);
		tok = NULL;
	}
	if (*err)
		goto fail;
	if (r->score < 0)
		r->score = r->action == ACT_BLOCK ? 5 : 0;
	char label[512];
	snprintf(label, sizeof(label), "rule %lu%s%s", r->id, msg ? ": " : "", msg ? msg : "");
	r->label = strdup(label);
	free(msg);
	if (!r->label) {
		*err = "out of memory";
		return -1;
	}
	return 0;
fail:
	free(tok);
	free(msg);
	rule_free(r);
	memset(r, 0, sizeof(*r));
	return -1;
}

void rules_free_array(struct rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rule_free(&r[i]);
	free(r);
}

int rules_parse(const char *text, size_t len, const char *filename, struct rule **out, size_t *n, char *errbuf,
		size_t errlen)
{
	struct rule *rules = NULL;
	size_t count = 0, cap = 0;
	const char *p = text, *end = text + len;
	int lineno = 0;
	*out = NULL;
	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		const char *s = p;
		p = nl ? nl + 1 : end;
		if (le > s && le[-1] == '\r')
			le--;
		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		if (s == le || *s == '#')
			continue;
		const char *err = NULL;
		if (le - s > RULE_LINE_MAX)
			err = "line too long";
		else if (memchr(s, '\0', (size_t)(le - s)))
			err = "NUL byte in rule";
		else if (count == RULES_MAX)
			err = "too many rules";
		if (!err && count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct rule *nr = realloc(rules, ncap * sizeof(*nr));
			if (!nr)
				err = "out of memory";
			else {
				rules = nr;
				cap = ncap;
			}
		}
		if (!err && parse_line(s, le, lineno, &rules[count], &err) == 0) {
			for (size_t i = 0; i < count; i++)
				if (rules[i].id == rules[count].id) {
					err = "duplicate rule id";
					rule_free(&rules[count]);
					break;
				}
			if (!err) {
				count++;
				continue;
			}
		}
		snprintf(errbuf, errlen, "%s:%d: %s", filename, lineno, err ? err : "invalid rule");
		rules_free_array(rules, count);
		return -1;
	}
	*out = rules;
	*n = count;
	return 0;
}
