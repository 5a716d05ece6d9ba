/* rules.c - compile rules (Vectorscan prefilter + PCRE2) and apply them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "sekisho/rules.h"

#include <hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "rules_int.h"

/* PCRE2 limits per match so that a pathological user regex cannot stall a
 * worker (backtracking is bounded; Vectorscan itself is linear). */
#define RULE_MATCH_LIMIT 100000
#define RULE_DEPTH_LIMIT 10000

struct ruleset {
	struct rule *rules;
	size_t n;
	hs_database_t *db;   /* contains + regex rules, NULL if none */
	size_t *direct;      /* rules evaluated without the prefilter */
	size_t ndirect;
	pcre2_match_context *mctx;
};

struct rules_scratch {
	hs_scratch_t *hs;
	pcre2_match_data *md;
	unsigned char *hit; /* per rule: prefilter matched in the current value */
	size_t *hits;       /* indices set in `hit`, to clear them cheaply */
	size_t nhits;
};

/* Escape a literal for Vectorscan: every byte outside [A-Za-z0-9] as \xHH. */
static char *escape_literal(const char *s, size_t n)
{
	char *out = malloc(n * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
			out[o++] = (char)c;
		} else {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		}
	}
	out[o] = '\0';
	return out;
}

static int compile_regexes(ruleset *rs, const char *filename, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		if (r->op != OP_REGEX)
			continue;
		int ec;
		PCRE2_SIZE eo;
		r->re = pcre2_compile((PCRE2_SPTR)r->arg, r->arg_len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo,
				      NULL);
		if (!r->re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			snprintf(errbuf, errlen, "%s:%d: bad regex at offset %zu: %s", filename, r->line, (size_t)eo,
				 (const char *)msg);
			return -1;
		}
	}
	return 0;
}

/* Build the Vectorscan database of every non-negated contains/regex rule.
 * A regex Vectorscan cannot take even in prefilter mode is evaluated
 * directly with PCRE2 instead (slower, still correct). */
static int compile_prefilter(ruleset *rs, char *errbuf, size_t errlen)
{
	const char **exprs = calloc(rs->n + 1, sizeof(*exprs));
	unsigned *flags = calloc(rs->n + 1, sizeof(*flags));
	unsigned *ids = calloc(rs->n + 1, sizeof(*ids));
	char **owned = calloc(rs->n + 1, sizeof(*owned));
	int rc = -1;
	size_t m = 0;
	if (!exprs || !flags || !ids || !owned)
		goto out;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];
		if (r->negate || (r->op != OP_CONTAINS && r->op != OP_REGEX))
			continue;
		if (r->op == OP_CONTAINS) {
			owned[i] = escape_literal(r->arg, r->arg_len);
			if (!owned[i])
				goto out;
			exprs[m] = owned[i];
			flags[m] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
		} else {
			exprs[m] = r->arg;
			flags[m] = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8 | HS_FLAG_ALLOWEMPTY;
			/* Check this one alone first: a pattern Vectorscan refuses
			 * must not sink the database of all the others. */
			hs_database_t *one = NULL;
			hs_compile_error_t *ce = NULL;
			if (hs_compile(r->arg, flags[m], HS_MODE_BLOCK, NULL, &one, &ce) != HS_SUCCESS) {
				hs_free_compile_error(ce);
				continue;
			}
			hs_free_database(one);
		}
		ids[m] = (unsigned)i;
		r->prefiltered = true;
		m++;
	}
	if (m) {
		hs_compile_error_t *ce = NULL;
		if (hs_compile_multi(exprs, flags, ids, (unsigned)m, HS_MODE_BLOCK, NULL, &rs->db, &ce) != HS_SUCCESS) {
			snprintf(errbuf, errlen, "rules: cannot build the pattern database: %s",
				 ce && ce->message ? ce->message : "unknown error");
			hs_free_compile_error(ce);
			goto out;
		}
	}
	rs->direct = calloc(rs->n + 1, sizeof(*rs->direct));
	if (!rs->direct)
		goto out;
	for (size_t i = 0; i < rs->n; i++)
		if (!rs->rules[i].prefiltered)
			rs->direct[rs->ndirect++] = i;
	rc = 0;
out:
	if (rc != 0 && !errbuf[0])
		snprintf(errbuf, errlen, "rules: out of memory");
	if (owned)
		for (size_t i = 0; i < rs->n; i++)
			free(owned[i]);
	free(owned);
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

ruleset *ruleset_compile(const char *text, size_t len, const char *filename, char *errbuf, size_t errlen)
{
	errbuf[0] = '\0';
	ruleset *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		snprintf(errbuf, errlen, "rules: out of memory");
		return NULL;
	}
	if (rules_parse(text, len, filename, &rs->rules, &rs->n, errbuf, errlen) != 0 ||
	    compile_regexes(rs, filename, errbuf, errlen) != 0 || compile_prefilter(rs, errbuf, errlen) != 0) {
		ruleset_free(rs);
		return NULL;
	}
	rs->mctx = pcre2_match_context_create(NULL);
	if (!rs->mctx) {
		snprintf(errbuf, errlen, "rules: out of memory");
		ruleset_free(rs);
		return NULL;
	}
	pcre2_set_match_limit(rs->mctx, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, RULE_DEPTH_LIMIT);
	return rs;
}

void ruleset_free(ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		pcre2_code_free(rs->rules[i].re);
	rules_free_array(rs->rules, rs->n);
	hs_free_database(rs->db);
	pcre2_match_context_free(rs->mctx);
	free(rs->direct);
	free(rs);
}

size_t ruleset_count(const ruleset *rs)
{
	return rs ? rs->n : 0;
}

rules_scratch *rules_scratch_new(const ruleset *rs)
{
	rules_scratch *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->hit = calloc(rs->n + 1, 1);
	s->hits = calloc(rs->n + 1, sizeof(*s->hits));
	s->md = pcre2_match_data_create(4, NULL);
	if (!s->hit || !s->hits || !s->md || (rs->db && hs_alloc_scratch(rs->db, &s->hs) != HS_SUCCESS)) {
		rules_scratch_free(s);
		return NULL;
	}
	return s;
}

void rules_scratch_free(rules_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->hs);
	pcre2_match_data_free(s->md);
	free(s->hit);
	free(s->hits);
	free(s);
}

static bool selector_matches(const struct rule *r, const target *t)
{
	target_loc l = (target_loc)t->loc;
	bool loc_ok;
	switch (r->sel) {
	case SEL_ANY: loc_ok = l != LOC_METHOD; break;
	case SEL_PATH: loc_ok = l == LOC_PATH; break;
	case SEL_METHOD: loc_ok = l == LOC_METHOD; break;
	case SEL_QUERY: loc_ok = l == LOC_QUERY_ARG; break;
	case SEL_FORM: loc_ok = l == LOC_FORM || l == LOC_MULTIPART_FIELD; break;
	case SEL_ARGS:
		loc_ok = l == LOC_QUERY_ARG || l == LOC_FORM || l == LOC_MULTIPART_FIELD || l == LOC_JSON;
		break;
	case SEL_HEADER: loc_ok = l == LOC_HEADER; break;
	case SEL_COOKIE: loc_ok = l == LOC_COOKIE; break;
	case SEL_JSON: loc_ok = l == LOC_JSON; break;
	case SEL_XML: loc_ok = l == LOC_XML || l == LOC_XML_ATTR; break;
	case SEL_FILENAME: loc_ok = l == LOC_MULTIPART_FILENAME; break;
	case SEL_BODY: loc_ok = l == LOC_BODY_RAW || l == LOC_MULTIPART_FILE; break;
	default: loc_ok = false; break;
	}
	if (!loc_ok || !r->sel_name)
		return loc_ok;
	sk_slice want = sk_slice_make(r->sel_name, strlen(r->sel_name));
	/* Header names are case-insensitive; parameter names are not. */
	return r->sel == SEL_HEADER ? sk_slice_eq_ci(t->name, want) : sk_slice_eq(t->name, want);
}

static bool eval_string(const ruleset *rs, rules_scratch *s, const struct rule *r, sk_slice v, size_t *off,
			size_t *len)
{
	sk_slice arg = sk_slice_make(r->arg, r->arg_len);
	*off = 0;
	*len = v.len;
	switch (r->op) {
	case OP_CONTAINS: {
		long at = sk_slice_find_ci(v, arg);
		if (at < 0)
			return false;
		*off = (size_t)at;
		*len = arg.len;
		return true;
	}
	case OP_EQUALS: return sk_slice_eq_ci(v, arg);
	case OP_PREFIX: return sk_slice_prefix_ci(v, arg);
	case OP_SUFFIX:
		return v.len >= arg.len && sk_slice_eq_ci(sk_slice_make(v.p + v.len - arg.len, arg.len), arg);
	case OP_REGEX: {
		int rc = pcre2_match(r->re, (PCRE2_SPTR)(v.p ? v.p : ""), v.len, 0, 0, s->md, rs->mctx);
		if (rc < 0)
			return false; /* no match, or a limit hit: never a match */
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
		if (ov[0] <= v.len && ov[1] >= ov[0] && ov[1] <= v.len) {
			*off = ov[0];
			*len = ov[1] - ov[0];
		}
		return true;
	}
	default: return false;
	}
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		       void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	rules_scratch *s = ctx;
	if (!s->hit[id]) {
		s->hit[id] = 1;
		s->hits[s->nhits++] = id;
	}
	return 0;
}

static int record(const struct rule *r, const target *t, sk_slice frag, verdict *out)
{
	verdict_match m = { "rule", r->label, r->action == ACT_BLOCK ? r->score : 0,
			    t ? (target_loc)t->loc : LOC_METHOD, t ? t->name : SK_SLICE_NULL, frag, false };
	verdict_add(out, &m);
	return r->action == ACT_ALLOW ? RULES_ALLOW : RULES_NONE;
}

int ruleset_apply(const ruleset *rs, rules_scratch *s, const http_request *req, const http_view *v,
		  const sk_addr *client, verdict *out)
{
	(void)req;
	int result = RULES_NONE;
	for (size_t ti = 0; ti < v->ntargets; ti++) {
		const target *t = &v->targets[ti];
		if (rs->db && t->value.len < 0xffffffffu) {
			s->nhits = 0;
			hs_scan(rs->db, t->value.p ? t->value.p : "", (unsigned)t->value.len, 0, s->hs, on_hs_match, s);
			for (size_t k = 0; k < s->nhits; k++) {
				size_t idx = s->hits[k];
				s->hit[idx] = 0;
				const struct rule *r = &rs->rules[idx];
				size_t off, len;
				if (!selector_matches(r, t) || !eval_string(rs, s, r, t->value, &off, &len))
					continue;
				result |= record(r, t, sk_slice_make(t->value.p + off, len), out);
			}
		}
		for (size_t k = 0; k < rs->ndirect; k++) {
			const struct rule *r = &rs->rules[rs->direct[k]];
			if (r->sel == SEL_IP || !selector_matches(r, t))
				continue;
			size_t off, len;
			bool m = eval_string(rs, s, r, t->value, &off, &len);
			if (m != r->negate)
				result |= record(r, t, r->negate ? t->value : sk_slice_make(t->value.p + off, len), out);
		}
	}
	for (size_t k = 0; k < rs->ndirect; k++) {
		const struct rule *r = &rs->rules[rs->direct[k]];
		if (r->sel != SEL_IP || !client)
			continue;
		bool in = false;
		for (size_t c = 0; c < r->ncidrs && !in; c++)
			in = cidr_contains(&r->cidrs[c], client);
		if (in != r->negate)
			result |= record(r, NULL, SK_SLICE_NULL, out);
	}
	return result;
}
