/* xml.c - XML body to targets, no entity expansion; see include/sekisho/xml.h
 * and docs/internals/json-xml.md.
 *
 * One loop over the buffer dispatches on '<'. Each construct (tag, comment,
 * PI, CDATA, DOCTYPE) is scanned once by a helper that returns the position
 * after it; open elements live on an explicit stack, so a deep document
 * costs memory bounded by lim->max_depth and never recursion.
 */
#include "sekisho/xml.h"

#include <stdint.h>
#include <string.h>

typedef struct xbuf {
	char *p;
	size_t len, cap;
} xbuf;

typedef struct xattr {
	size_t off, len; /* name in the body */
	uint32_t hash;
} xattr;

typedef struct xml_ctx {
	const char *p;
	size_t n;
	arena *a;
	const http_limits *lim;
	target_emit_fn emit;
	void *ectx;
	sk_error *err;
	size_t ntargets;

	xbuf path;      /* path of the current element */
	size_t *stack;  /* path length of each open element's parent */
	size_t depth, stack_cap;
	int root_seen, root_closed, doctype_seen;

	xbuf text;      /* decoded text run of the current element */
	size_t text_start, text_end;
	uint32_t text_flags;
	int text_open;

	xbuf tmp;       /* attribute names `path@attr`, attribute values */
	xattr *attrs;   /* attributes of the current start tag */
	size_t nattrs, attrs_cap;
} xml_ctx;

#define E_ARENA "XML exceeds the arena"

static int xfail(xml_ctx *x, const char *rule, size_t at, int status)
{
	return sk_fail(x->err, rule, at, status);
}

static int buf_put(arena *a, xbuf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len) {
		if (n > SIZE_MAX / 4 - b->len)
			return -1;
		size_t cap = b->cap ? b->cap * 2 : 64;
		if (cap < b->len + n)
			cap = b->len + n;
		char *np = arena_alloc(a, cap);
		if (!np)
			return -1;
		if (b->len)
			memcpy(np, b->p, b->len);
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int all_ws(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Names: ASCII letters, '_' and ':' to start, plus digits, '.', '-'
 * after; bytes >= 0x80 are accepted as name characters (XML allows most
 * non-ASCII letters and we do not need finer checks to find the end). */
static int name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static int name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Length of the name at `i`, 0 if none. */
static size_t name_len(const xml_ctx *x, size_t i)
{
	if (i >= x->n || !name_start((unsigned char)x->p[i]))
		return 0;
	size_t j = i + 1;
	while (j < x->n && name_char((unsigned char)x->p[j]))
		j++;
	return j - i;
}

static int starts(const xml_ctx *x, size_t i, const char *lit, size_t n)
{
	return n <= x->n - i && memcmp(x->p + i, lit, n) == 0;
}
#define STARTS(x, i, lit) starts((x), (i), (lit), sizeof(lit) - 1)

/* Position just after the first `lit` at or after `i`, or 0 if none
 * (no construct ends at offset 0, so 0 is free to mean "not found"). */
static size_t find_end(const xml_ctx *x, size_t i, const char *lit, size_t n)
{
	const char *hit = memmem(x->p + i, x->n - i, lit, n);
	return hit ? (size_t)(hit - x->p) + n : 0;
}

/* Facts about a decoded value (RFC 3629 well-formed sequences). */
static uint32_t value_flags(const char *p, size_t n)
{
	uint32_t f = 0;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			if (c == 0)
				f |= TF_NUL;
			else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				f |= TF_CTL;
			i++;
			continue;
		}
		f |= TF_HIGH_BYTES;
		size_t need;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c < 0xe0) {
			need = 1;
		} else if (c >= 0xe0 && c < 0xf0) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c < 0xf5) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else {
			f |= TF_INVALID_UTF8 | (c == 0xc0 || c == 0xc1 ? TF_OVERLONG_UTF8 : 0);
			i++;
			continue;
		}
		size_t k = 1;
		for (; k <= need && i + k < n; k++) {
			unsigned char d = (unsigned char)p[i + k];
			if (d < lo || d > hi) {
				if (k == 1 && d >= 0x80 && d < lo)
					f |= TF_OVERLONG_UTF8;
				break;
			}
			lo = 0x80;
			hi = 0xbf;
		}
		if (k <= need)
			f |= TF_INVALID_UTF8;
		i += k;
	}
	return f;
}

/* Copy name and value into the arena and hand the target out. */
static int emit(xml_ctx *x, size_t at, uint8_t loc, sk_slice name, sk_slice raw, sk_slice val,
		uint32_t flags)
{
	if (x->ntargets >= x->lim->max_targets)
		return xfail(x, "too many XML values", at, 413);
	target t = { .loc = loc, .raw = raw };
	t.name = arena_dup(x->a, name.p ? name.p : "", name.len);
	t.value = arena_dup(x->a, val.p ? val.p : "", val.len);
	if (!t.name.p || !t.value.p)
		return xfail(x, E_ARENA, at, 413);
	t.flags = flags | value_flags(val.p, val.len);
	x->ntargets++;
	if (x->emit && x->emit(x->ectx, &t) < 0)
		return xfail(x, "stopped by consumer", at, 400);
	return SK_OK;
}

static int emit_decl(xml_ctx *x, const char *kind, size_t from, size_t to)
{
	sk_slice s = sk_slice_make(x->p + from, to - from);
	return emit(x, from, LOC_XML_DECL, sk_slice_make(kind, strlen(kind)), s, s, 0);
}

/* ---- references ---- */

static int put_cp(arena *a, xbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(a, out, b, n);
}

/* Decode the reference at `i` (a '&') into `out`; returns the position
 * after it, or 0 when out of memory. Anything that is not a predefined
 * entity or a valid character reference is copied literally and flagged. */
static size_t decode_ref(xml_ctx *x, size_t i, xbuf *out, uint32_t *flags)
{
	static const struct { const char *name; size_t len; char c; } predef[] = {
		{ "amp", 3, '&' }, { "lt", 2, '<' }, { "gt", 2, '>' }, { "quot", 4, '"' }, { "apos", 4, '\'' },
	};
	size_t j = i + 1;
	if (j < x->n && x->p[j] == '#') {
		int hex = j + 1 < x->n && x->p[j + 1] == 'x';
		j += hex ? 2 : 1;
		size_t digits = 0;
		uint32_t cp = 0;
		for (; j < x->n; j++, digits++) {
			unsigned char c = (unsigned char)x->p[j];
			int d = c >= '0' && c <= '9' ? c - '0'
				: hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0)
				break;
			if (cp <= 0x10ffff) /* saturate: anything above is invalid anyway */
				cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (digits && j < x->n && x->p[j] == ';' && cp && cp <= 0x10ffff &&
		    !(cp >= 0xd800 && cp <= 0xdfff))
			return put_cp(x->a, out, cp) < 0 ? 0 : j + 1;
		*flags |= TF_INVALID_ESCAPE;
		return buf_put(x->a, out, "&", 1) < 0 ? 0 : i + 1;
	}
	size_t nl = name_len(x, j);
	if (!nl || j + nl >= x->n || x->p[j + nl] != ';') {
		*flags |= TF_INVALID_ESCAPE;
		return buf_put(x->a, out, "&", 1) < 0 ? 0 : i + 1;
	}
	for (size_t k = 0; k < sizeof(predef) / sizeof(predef[0]); k++)
		if (predef[k].len == nl && memcmp(x->p + j, predef[k].name, nl) == 0)
			return buf_put(x->a, out, &predef[k].c, 1) < 0 ? 0 : j + nl + 1;
	/* A user-defined entity: never expanded, kept as written. */
	*flags |= TF_MALFORMED;
	return buf_put(x->a, out, x->p + i, nl + 2) < 0 ? 0 : j + nl + 1;
}

/* ---- text runs ---- */

static int text_flush(xml_ctx *x)
{
	if (!x->text_open)
		return SK_OK;
	x->text_open = 0;
	if (all_ws(x->text.p, x->text.len))
		return SK_OK;
	sk_slice name = sk_slice_make(x->path.p, x->path.len);
	sk_slice raw = sk_slice_make(x->p + x->text_start, x->text_end - x->text_start);
	return emit(x, x->text_start, LOC_XML, name, raw, sk_slice_make(x->text.p, x->text.len),
		    x->text_flags);
}

static void text_touch(xml_ctx *x, size_t at)
{
	if (!x->text_open) {
		x->text_open = 1;
		x->text_start = at;
		x->text.len = 0;
		x->text_flags = 0;
	}
}

/* Character data from `i` up to the next '<'. */
static size_t text_run(xml_ctx *x, size_t i)
{
	if (x->depth == 0) {
		/* Outside the root only whitespace may appear. */
		while (i < x->n && is_ws((unsigned char)x->p[i]))
			i++;
		if (i < x->n && x->p[i] != '<')
			return xfail(x, "text outside the XML root element", i, 400), 0;
		return i;
	}
	text_touch(x, i);
	while (i < x->n && x->p[i] != '<') {
		size_t j = i;
		while (j < x->n && x->p[j] != '<' && x->p[j] != '&')
			j++;
		if (buf_put(x->a, &x->text, x->p + i, j - i) < 0)
			return xfail(x, E_ARENA, i, 413), 0;
		i = j;
		if (i < x->n && x->p[i] == '&') {
			i = decode_ref(x, i, &x->text, &x->text_flags);
			if (!i)
				return xfail(x, E_ARENA, j, 413), 0;
		}
	}
	x->text_end = i;
	return i;
}

/* ---- elements ---- */

static int push(xml_ctx *x, size_t at, size_t name_off, size_t nl)
{
	if (x->depth >= x->lim->max_depth)
		return xfail(x, "xml nesting too deep", at, 400);
	if (x->depth == x->stack_cap) {
		size_t cap = x->stack_cap ? x->stack_cap * 2 : 16;
		if (cap > x->lim->max_depth)
			cap = x->lim->max_depth;
		size_t *ns = arena_alloc(x->a, cap * sizeof(*ns));
		if (!ns)
			return xfail(x, E_ARENA, at, 413);
		if (x->depth)
			memcpy(ns, x->stack, x->depth * sizeof(*ns));
		x->stack = ns;
		x->stack_cap = cap;
	}
	x->stack[x->depth++] = x->path.len;
	if ((x->path.len && buf_put(x->a, &x->path, "/", 1) < 0) ||
	    buf_put(x->a, &x->path, x->p + name_off, nl) < 0)
		return xfail(x, E_ARENA, at, 413);
	return SK_OK;
}

static void pop(xml_ctx *x)
{
	x->path.len = x->stack[--x->depth];
	if (x->depth == 0)
		x->root_closed = 1;
}

static uint32_t name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* Remember an attribute name; error if the tag already had it. */
static int attr_seen(xml_ctx *x, size_t off, size_t nl)
{
	uint32_t h = name_hash(x->p + off, nl);
	for (size_t k = 0; k < x->nattrs; k++)
		if (x->attrs[k].hash == h && x->attrs[k].len == nl &&
		    memcmp(x->p + x->attrs[k].off, x->p + off, nl) == 0)
			return xfail(x, "duplicate XML attribute", off, 400);
	if (x->nattrs == x->attrs_cap) {
		size_t cap = x->attrs_cap ? x->attrs_cap * 2 : 16;
		xattr *na = arena_alloc(x->a, cap * sizeof(*na));
		if (!na)
			return xfail(x, E_ARENA, off, 413);
		if (x->nattrs)
			memcpy(na, x->attrs, x->nattrs * sizeof(*na));
		x->attrs = na;
		x->attrs_cap = cap;
	}
	x->attrs[x->nattrs++] = (xattr){ off, nl, h };
	return SK_OK;
}

/* One attribute at `i` (its name); returns the position after its value. */
static size_t attribute(xml_ctx *x, size_t i)
{
	size_t nl = name_len(x, i);
	if (!nl)
		return xfail(x, "bad XML attribute name", i, 400), 0;
	if (attr_seen(x, i, nl) < 0)
		return 0;
	size_t j = i + nl;
	while (j < x->n && is_ws((unsigned char)x->p[j]))
		j++;
	if (j >= x->n || x->p[j] != '=')
		return xfail(x, "expected '=' after XML attribute name", j, 400), 0;
	j++;
	while (j < x->n && is_ws((unsigned char)x->p[j]))
		j++;
	if (j >= x->n || (x->p[j] != '"' && x->p[j] != '\''))
		return xfail(x, "XML attribute value must be quoted", j, 400), 0;
	char q = x->p[j++];
	size_t vstart = j;
	uint32_t flags = 0;
	x->tmp.len = 0;
	if (buf_put(x->a, &x->tmp, x->path.p, x->path.len) < 0 || buf_put(x->a, &x->tmp, "@", 1) < 0 ||
	    buf_put(x->a, &x->tmp, x->p + i, nl) < 0)
		return xfail(x, E_ARENA, i, 413), 0;
	size_t name_end = x->tmp.len;
	while (j < x->n && x->p[j] != q) {
		if (x->p[j] == '<')
			return xfail(x, "'<' in XML attribute value", j, 400), 0;
		if (x->p[j] == '&') {
			size_t r = decode_ref(x, j, &x->tmp, &flags);
			if (!r)
				return xfail(x, E_ARENA, j, 413), 0;
			j = r;
			continue;
		}
		size_t k = j;
		while (k < x->n && x->p[k] != q && x->p[k] != '<' && x->p[k] != '&')
			k++;
		if (buf_put(x->a, &x->tmp, x->p + j, k - j) < 0)
			return xfail(x, E_ARENA, j, 413), 0;
		j = k;
	}
	if (j >= x->n)
		return xfail(x, "unterminated XML attribute value", vstart, 400), 0;
	sk_slice name = sk_slice_make(x->tmp.p, name_end);
	sk_slice val = sk_slice_make(x->tmp.p + name_end, x->tmp.len - name_end);
	if (emit(x, i, LOC_XML_ATTR, name, sk_slice_make(x->p + vstart, j - vstart), val, flags) < 0)
		return 0;
	return j + 1;
}

/* A start tag at `i` ('<'); returns the position after it. */
static size_t start_tag(xml_ctx *x, size_t i)
{
	size_t nl = name_len(x, i + 1);
	if (!nl)
		return xfail(x, "bad XML element name", i + 1, 400), 0;
	if (x->depth == 0) {
		if (x->root_closed)
			return xfail(x, "more than one XML root element", i, 400), 0;
		x->root_seen = 1;
	}
	if (text_flush(x) < 0 || push(x, i, i + 1, nl) < 0)
		return 0;
	x->nattrs = 0;
	size_t j = i + 1 + nl;
	for (;;) {
		size_t ws = j;
		while (j < x->n && is_ws((unsigned char)x->p[j]))
			j++;
		if (j >= x->n)
			return xfail(x, "unterminated XML start tag", i, 400), 0;
		if (x->p[j] == '>')
			return j + 1;
		if (x->p[j] == '/') {
			if (j + 1 >= x->n || x->p[j + 1] != '>')
				return xfail(x, "bad XML empty-element tag", j, 400), 0;
			pop(x);
			return j + 2;
		}
		if (j == ws)
			return xfail(x, "expected space before XML attribute", j, 400), 0;
		j = attribute(x, j);
		if (!j)
			return 0;
	}
}

/* An end tag at `i` ("</"); returns the position after it. */
static size_t end_tag(xml_ctx *x, size_t i)
{
	size_t nl = name_len(x, i + 2);
	if (x->depth == 0)
		return xfail(x, "XML end tag without a start tag", i, 400), 0;
	size_t parent = x->stack[x->depth - 1];
	size_t off = parent ? parent + 1 : 0;
	if (!nl || nl != x->path.len - off || memcmp(x->p + i + 2, x->path.p + off, nl) != 0)
		return xfail(x, "mismatched XML end tag", i, 400), 0;
	size_t j = i + 2 + nl;
	while (j < x->n && is_ws((unsigned char)x->p[j]))
		j++;
	if (j >= x->n || x->p[j] != '>')
		return xfail(x, "unterminated XML end tag", i, 400), 0;
	if (text_flush(x) < 0)
		return 0;
	pop(x);
	return j + 1;
}

/* ---- markup other than tags ---- */

static size_t comment(xml_ctx *x, size_t i)
{
	size_t end = find_end(x, i + 4, "-->", 3);
	if (!end)
		return xfail(x, "unterminated XML comment", i, 400), 0;
	if (!all_ws(x->p + i + 4, end - 3 - (i + 4)) && emit_decl(x, "comment", i, end) < 0)
		return 0;
	return end;
}

/* A processing instruction; `first` says whether it opens the document,
 * where the XML declaration (<?xml ...?>) is allowed and not emitted. */
static size_t pi(xml_ctx *x, size_t i, int first)
{
	size_t end = find_end(x, i + 2, "?>", 2);
	if (!end)
		return xfail(x, "unterminated XML processing instruction", i, 400), 0;
	size_t nl = name_len(x, i + 2);
	if (!nl)
		return xfail(x, "bad XML processing instruction target", i + 2, 400), 0;
	if (nl == 3 && (x->p[i + 2] | 0x20) == 'x' && (x->p[i + 3] | 0x20) == 'm' &&
	    (x->p[i + 4] | 0x20) == 'l') {
		if (!first)
			return xfail(x, "misplaced XML declaration", i, 400), 0;
		return end;
	}
	return emit_decl(x, "pi", i, end) < 0 ? 0 : end;
}

static size_t cdata(xml_ctx *x, size_t i)
{
	if (x->depth == 0)
		return xfail(x, "CDATA outside the XML root element", i, 400), 0;
	size_t from = i + 9; /* after "<![CDATA[" */
	size_t end = find_end(x, from, "]]>", 3);
	if (!end)
		return xfail(x, "unterminated CDATA section", i, 400), 0;
	text_touch(x, i);
	if (buf_put(x->a, &x->text, x->p + from, end - 3 - from) < 0)
		return xfail(x, E_ARENA, i, 413), 0;
	x->text_end = end;
	return end;
}

/* A markup declaration inside the internal subset ("<!ENTITY ...>",
 * "<!ELEMENT ...>", ...): up to '>' outside quotes. */
static size_t markup_decl(xml_ctx *x, size_t i)
{
	char q = 0;
	for (size_t j = i + 2; j < x->n; j++) {
		char c = x->p[j];
		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '>') {
			if (STARTS(x, i, "<!ENTITY") && emit_decl(x, "entity", i, j + 1) < 0)
				return 0;
			return j + 1;
		} else if (c == '<') {
			return xfail(x, "bad XML markup declaration", j, 400), 0;
		}
	}
	return xfail(x, "unterminated XML markup declaration", i, 400), 0;
}

/* <!DOCTYPE name ExternalID? [internal subset]? > */
static size_t doctype(xml_ctx *x, size_t i)
{
	if (x->root_seen || x->doctype_seen)
		return xfail(x, "misplaced XML DOCTYPE", i, 400), 0;
	x->doctype_seen = 1;
	size_t j = i + 9;
	char q = 0;
	for (; j < x->n; j++) { /* the part before '[' or '>' */
		char c = x->p[j];
		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '[' || c == '>' || c == '<') {
			break;
		}
	}
	if (j < x->n && x->p[j] == '[') {
		j++;
		for (;;) {
			while (j < x->n && is_ws((unsigned char)x->p[j]))
				j++;
			if (j >= x->n)
				return xfail(x, "unterminated XML DOCTYPE", i, 400), 0;
			if (x->p[j] == ']') {
				j++;
				break;
			}
			if (STARTS(x, j, "<!--"))
				j = comment(x, j);
			else if (STARTS(x, j, "<?"))
				j = pi(x, j, 0);
			else if (STARTS(x, j, "<!") && !STARTS(x, j, "<!["))
				j = markup_decl(x, j);
			else if (x->p[j] == '%' && name_len(x, j + 1) &&
				 j + 1 + name_len(x, j + 1) < x->n && x->p[j + 1 + name_len(x, j + 1)] == ';')
				j = j + 2 + name_len(x, j + 1); /* a parameter-entity reference */
			else
				return xfail(x, "bad XML DOCTYPE internal subset", j, 400), 0;
			if (!j)
				return 0;
		}
		while (j < x->n && is_ws((unsigned char)x->p[j]))
			j++;
	}
	if (j >= x->n || x->p[j] != '>')
		return xfail(x, "unterminated XML DOCTYPE", i, 400), 0;
	return emit_decl(x, "doctype", i, j + 1) < 0 ? 0 : j + 1;
}

int xml_parse(sk_slice body, arena *a, const http_limits *lim, target_emit_fn emit_fn, void *ctx,
	      sk_error *err)
{
	xml_ctx x = { .p = body.p, .n = body.len, .a = a, .lim = lim, .emit = emit_fn, .ectx = ctx,
		      .err = err };
	size_t i = 0;
	if (STARTS(&x, 0, "\xef\xbb\xbf")) /* a UTF-8 byte order mark */
		i = 3;
	size_t doc_start = i;
	while (i < x.n) {
		if (x.p[i] != '<') {
			i = text_run(&x, i);
		} else if (STARTS(&x, i, "</")) {
			i = end_tag(&x, i);
		} else if (STARTS(&x, i, "<?")) {
			i = pi(&x, i, i == doc_start);
		} else if (STARTS(&x, i, "<!--")) {
			i = comment(&x, i);
		} else if (STARTS(&x, i, "<![CDATA[")) {
			i = cdata(&x, i);
		} else if (STARTS(&x, i, "<!DOCTYPE")) {
			i = doctype(&x, i);
		} else if (STARTS(&x, i, "<!")) {
			return xfail(&x, "bad XML markup", i, 400);
		} else {
			i = start_tag(&x, i);
		}
		if (!i)
			return SK_ERR;
	}
	if (x.depth)
		return xfail(&x, "unclosed XML element", x.n, 400);
	if (!x.root_seen)
		return xfail(&x, "no XML root element", x.n, 400);
	return SK_OK;
}
