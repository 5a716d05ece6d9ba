/* golden.h - golden files of the JSON and XML parsers (test_json.c,
 * test_xml.c): targets written as text, one document per file compared
 * with its .out file.
 *
 * Golden format (tests/data/<kind>/NAME.<ext> -> NAME.out), described in
 * docs/internals/json-xml.md: one line per target,
 * `loc<TAB>name<TAB>value[<TAB>flags]`, then a last line `ok` or
 * `error<TAB>status<TAB>offset<TAB>rule`. In name and value, '\' is
 * written `\\`, tab/LF/CR/NUL as `\t \n \r \0`, other bytes below 0x20
 * and 0x7f as `\xHH`, and bytes >= 0x80 literally when the field is
 * well-formed UTF-8, else as `\xHH`. flags is a comma list of short names
 * (utf8, overlong, nul, ctl, high, malformed, escape), omitted when none
 * is set. Run with SK_GOLDEN_WRITE=1 to write .out files.
 */
#ifndef SEKISHO_GOLDEN_H
#define SEKISHO_GOLDEN_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/limits.h"
#include "sekisho/status.h"
#include "sekisho/target.h"

/* ---- collecting targets as golden text ---- */

typedef struct out {
	char *p;
	size_t len, cap;
} out;

static void out_put(out *o, const char *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			abort();
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_str(out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/* Well-formed UTF-8 (RFC 3629), as a plain second opinion for the
 * golden format; the parser's own flags are what is under test. */
static int utf8_ok(sk_slice s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0;
	while (i < s.len) {
		unsigned c = p[i], need, lo = 0x80, hi = 0xbf;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) need = 1;
		else if (c >= 0xe0 && c <= 0xef) { need = 2; lo = c == 0xe0 ? 0xa0 : 0x80; hi = c == 0xed ? 0x9f : 0xbf; }
		else if (c >= 0xf0 && c <= 0xf4) { need = 3; lo = c == 0xf0 ? 0x90 : 0x80; hi = c == 0xf4 ? 0x8f : 0xbf; }
		else return 0;
		for (unsigned k = 1; k <= need; k++, lo = 0x80, hi = 0xbf)
			if (i + k >= s.len || p[i + k] < lo || p[i + k] > hi)
				return 0;
		i += need + 1;
	}
	return 1;
}

static void out_esc(out *o, sk_slice s)
{
	int esc_high = !utf8_ok(s);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		char tmp[8];
		if (c == '\\')
			out_str(o, "\\\\");
		else if (c == '\t')
			out_str(o, "\\t");
		else if (c == '\n')
			out_str(o, "\\n");
		else if (c == '\r')
			out_str(o, "\\r");
		else if (c == 0)
			out_str(o, "\\0");
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && esc_high)) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			out_str(o, tmp);
		} else
			out_put(o, (const char *)&c, 1);
	}
}

static void out_flags(out *o, uint32_t f)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ TF_INVALID_UTF8, "utf8" }, { TF_OVERLONG_UTF8, "overlong" }, { TF_NUL, "nul" },
		{ TF_CTL, "ctl" }, { TF_HIGH_BYTES, "high" }, { TF_MALFORMED, "malformed" },
		{ TF_INVALID_ESCAPE, "escape" },
	};
	int first = 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & names[i].bit))
			continue;
		out_str(o, first ? "\t" : ",");
		out_str(o, names[i].name);
		first = 0;
	}
}

/* A consumer that counts targets into a size_t. */
static inline int count_targets(void *ctx, const target *t)
{
	(void)t;
	(*(size_t *)ctx)++;
	return 0;
}

/* A consumer that keeps the last target in a target. */
static inline int keep_last(void *ctx, const target *t)
{
	*(target *)ctx = *t;
	return 0;
}

/* One target as a golden line (without the slice checks of the caller). */
static void out_target(out *o, const target *t)
{
	out_str(o, target_loc_name((target_loc)t->loc));
	out_str(o, "\t");
	out_esc(o, t->name);
	out_str(o, "\t");
	out_esc(o, t->value);
	out_flags(o, t->flags);
	out_str(o, "\n");
}

static void out_result(out *o, int rc, const sk_error *e)
{
	char tmp[64];
	if (rc == SK_OK) {
		out_str(o, "ok\n");
		return;
	}
	snprintf(tmp, sizeof(tmp), "error\t%d\t%zu\t", e->status, e->offset);
	out_str(o, tmp);
	out_str(o, e->rule);
	out_str(o, "\n");
}

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0, r;
	do {
		if (len + 4096 > cap) {
			cap = (len + 4096) * 2;
			buf = realloc(buf, cap);
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
	} while (r > 0);
	fclose(f);
	buf[len] = '\0';
	*n = len;
	return buf;
}

static const char *data_root(void)
{
	const char *r = getenv("SK_TESTDATA");
	return r ? r : "tests/data";
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The output of a whole document. */
typedef out golden_parse_fn(const char *doc, size_t n, const http_limits *lim);
/* More checks of one document given its whole output; 1 if they pass. */
typedef int golden_again_fn(const char *doc, size_t n, const out *whole, const char *name, const http_limits *lim);

/* dir/name parsed whole must give its .out file exactly (one harness
 * case); then `again`, if set, is a second case. */
static void golden_one(const char *dir, const char *name, size_t ext_len, golden_parse_fn *parse,
		       golden_again_fn *again, const http_limits *lim)
{
	char path[600], opath[600];
	size_t n, en;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(opath, sizeof(opath), "%.*s.out", (int)(strlen(path) - ext_len), path);
	char *doc = read_file(path, &n);
	harness_case = name;
	harness_case_failed = 0;
	if (!doc) {
		harness_fail("cannot read", path, strlen(path));
		harness_count(0);
		return;
	}
	out whole = parse(doc, n, lim);
	if (getenv("SK_GOLDEN_WRITE")) {
		FILE *f = fopen(opath, "wb");
		fwrite(whole.p, 1, whole.len, f);
		fclose(f);
	}
	char *want = read_file(opath, &en);
	if (!want || en != whole.len || memcmp(want, whole.p, en) != 0) {
		fprintf(stderr, "  FAIL golden %s, got:\n%s", name, whole.p);
		harness_case_failed = 1;
	}
	harness_count(!harness_case_failed);
	if (again) {
		harness_case_failed = 0;
		int ok = again(doc, n, &whole, name, lim);
		harness_count(ok && !harness_case_failed);
	}
	free(whole.p);
	free(want);
	free(doc);
}

/* Every file of tests/data/<kind> ending in ext, in name order; at least 10. */
static void golden_dir(const char *kind, const char *ext, golden_parse_fn *parse, golden_again_fn *again)
{
	char dir[512];
	http_limits lim;
	http_limits_default(&lim);
	snprintf(dir, sizeof(dir), "%s/%s", data_root(), kind);
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	char *names[256];
	size_t nn = 0, el = strlen(ext);
	struct dirent *de;
	while ((de = readdir(d)) && nn < 256) {
		size_t l = strlen(de->d_name);
		if (l > el && strcmp(de->d_name + l - el, ext) == 0)
			names[nn++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), cmp_name);
	CHECK(nn >= 10);
	const char *saved = harness_case;
	for (size_t i = 0; i < nn; i++) {
		golden_one(dir, names[i], el, parse, again, &lim);
		free(names[i]);
	}
	harness_case = saved;
	harness_case_failed = 0;
}

/* The output ends in `ok`: the document was accepted. */
static int out_ok(const out *o)
{
	return o->len >= 3 && strcmp(o->p + o->len - 3, "ok\n") == 0 && (o->len == 3 || o->p[o->len - 4] == '\n');
}

typedef struct golden_lines {
	golden_parse_fn *parse;
	golden_again_fn *again; /* NULL or more checks of each line */
	const char *what;       /* names a failing case */
	int want_ok;
} golden_lines;

static void golden_line(const harness_line *l, void *ctx)
{
	const golden_lines *g = ctx;
	http_limits lim;
	http_limits_default(&lim);
	out o = g->parse(l->buf, l->len, &lim);
	int ok = out_ok(&o);
	char what[64];
	snprintf(what, sizeof(what), "line %d %s", l->lineno, g->want_ok ? "should parse" : "should fail");
	int again = !g->again || g->again(l->buf, l->len, &o, what, &lim);
	if (ok != g->want_ok || !again) {
		harness_case = g->what;
		harness_fail(what, l->buf, l->len);
		fprintf(stderr, "    got:\n%s", o.p);
	}
	harness_count(ok == g->want_ok && again);
	free(o.p);
}

/* One document per line: tests/data/<kind>/accept.txt must parse (more
 * than min_accept lines), reject.txt must fail (more than min_reject). */
static void golden_accept_reject(const char *kind, golden_parse_fn *parse, golden_again_fn *again, int min_accept,
				 int min_reject)
{
	char path[128], what[64];
	snprintf(what, sizeof(what), "%s data line", kind);
	golden_lines yes = { parse, again, what, 1 }, no = { parse, again, what, 0 };
	snprintf(path, sizeof(path), "%s/accept.txt", kind);
	CHECK(harness_each_line(path, golden_line, &yes) > min_accept);
	snprintf(path, sizeof(path), "%s/reject.txt", kind);
	CHECK(harness_each_line(path, golden_line, &no) > min_reject);
}

/* `doc` (a literal) is refused with this rule, offset and status: by the
 * test's own run_err(doc, n, lim), with a `lim` in scope. */
#define ERR_IS(doc, rule_, off_, status_)                                                   \
	do {                                                                                \
		sk_error e_ = run_err(doc, sizeof(doc) - 1, &lim);                          \
		CHECK(strcmp(e_.rule, rule_) == 0);                                         \
		if (strcmp(e_.rule, rule_) != 0)                                            \
			fprintf(stderr, "    got rule \"%s\" for %s\n", e_.rule, doc);       \
		CHECK_INT(e_.offset, off_);                                                 \
		CHECK_INT(e_.status, status_);                                              \
	} while (0)

#endif
