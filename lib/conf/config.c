/* config.c - the YAML tree walked against the directive table into an
 * sk_config; defaults, value checks, cross-key checks; the reference doc.
 *
 * Order: defaults from the table (through the same setters as the file),
 * then every key of the file overrides its row, then checks that involve
 * several keys. Recursion follows the table's sections (two levels), never
 * the document's depth.
 */
#include <stdio.h>

#include "conf_int.h"
#include "sekisho/buf.h"
#include "sekisho/cookie.h"
#include "sekisho/detectors.h"

/* Memory of one config and of one parse tree. A 1 MiB document yields at
 * most 10,000 nodes and about its own size in scalar bytes. */
#define CONF_ARENA_CAP (8u * 1024 * 1024)
#define TREE_ARENA_CAP (8u * 1024 * 1024)
/* Longest string value kept (paths, URLs). */
#define CONF_MAX_STRING 4096

typedef struct cctx {
	sk_config *c;
	arena *mem;
	conf_err *e;
	const cnode *key[CONF_MAX_DIRECTIVES]; /* where each row was set, for duplicates */
	const cnode *val[CONF_MAX_DIRECTIVES]; /* and its value, for cross-key messages */
} cctx;

/* ---- messages ---- */

/* Untrusted text in a message: printable ASCII as is, the rest \xHH, cut at 60. */
static const char *show(char out[96], const char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (o + 8 >= 96 || i >= 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			snprintf(out + o, 96 - o, "\\x%02x", ch);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}

static bool fail(cctx *x, const cnode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(cctx *x, const cnode *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_errorf(x->e, n ? n->line : 1, n ? n->col : 1, "%s", msg);
	return false;
}

static const char *kind_name(const cnode *n)
{
	if (n->kind == CN_MAP)
		return "a mapping";
	if (n->kind == CN_SEQ)
		return "a list";
	return cnode_is_null(n) ? "nothing" : "a scalar";
}

/* ---- scalar helpers ---- */

static bool want_scalar(cctx *x, const conf_directive *d, const cnode *n, const char *what)
{
	if (n->kind != CN_SCALAR)
		return fail(x, n, "%s: expected %s, got %s", d->path, what, kind_name(n));
	if (cnode_is_null(n))
		return fail(x, n, "%s: expected %s, got nothing", d->path, what);
	return true;
}

static bool is_word(const cnode *n, const char *w)
{
	size_t l = strlen(w);
	return n->kind == CN_SCALAR && n->len == l && memcmp(n->s, w, l) == 0;
}

/* A C string copy of a scalar; NUL bytes and overlong values refused. */
static bool dup_str(cctx *x, const char *path, const cnode *n, size_t max, const char **out)
{
	char b[96];
	if (n->kind != CN_SCALAR || cnode_is_null(n))
		return fail(x, n, "%s: expected a string, got %s", path, kind_name(n));
	if (memchr(n->s, '\0', n->len))
		return fail(x, n, "%s: NUL bytes are not allowed in \"%s\"", path, show(b, n->s, n->len));
	if (n->len > max)
		return fail(x, n, "%s: longer than %zu bytes", path, max);
	sk_slice d = arena_dup(x->mem, n->s, n->len);
	if (!d.p)
		return fail(x, n, "out of memory");
	*out = d.p;
	return true;
}

static void human(char *out, size_t cap, conf_type t, long long v)
{
	if (t == CT_SIZE && v >= 1024 && v % (1024LL * 1024 * 1024) == 0)
		snprintf(out, cap, "%lldGiB", v / (1024LL * 1024 * 1024));
	else if (t == CT_SIZE && v >= 1024 && v % (1024LL * 1024) == 0)
		snprintf(out, cap, "%lldMiB", v / (1024LL * 1024));
	else if (t == CT_SIZE && v >= 1024 && v % 1024 == 0)
		snprintf(out, cap, "%lldKiB", v / 1024);
	else if (t == CT_MS && v && v % 3600000 == 0)
		snprintf(out, cap, "%lldh", v / 3600000);
	else if (t == CT_MS && v && v % 1000 == 0)
		snprintf(out, cap, "%llds", v / 1000);
	else if (t == CT_MS && v)
		snprintf(out, cap, "%lldms", v);
	else
		snprintf(out, cap, "%lld", v);
}

static bool parse_number(cctx *x, const conf_directive *d, const cnode *n, unsigned long long *v)
{
	char b[96];
	bool ok;
	const char *what;
	if (d->type == CT_SIZE) {
		what = "a size like 65536, \"64KiB\" or \"1MiB\"";
		if (!want_scalar(x, d, n, what))
			return false;
		ok = conf_parse_size(n->s, n->len, v);
	} else if (d->type == CT_MS) {
		what = "a duration like 30 (seconds), \"500ms\", \"30s\", \"2m\", \"1h\" or \"7d\"";
		if (!want_scalar(x, d, n, what))
			return false;
		ok = conf_parse_ms(n->s, n->len, v);
	} else {
		what = "a whole number";
		if (!want_scalar(x, d, n, what))
			return false;
		ok = conf_parse_u64(n->s, n->len, v);
	}
	if (!ok)
		return fail(x, n, "%s: expected %s, got \"%s\"", d->path, what, show(b, n->s, n->len));
	if (*v < (unsigned long long)d->min || *v > (unsigned long long)d->max) {
		char lo[32], hi[32];
		human(lo, sizeof(lo), d->type, d->min);
		human(hi, sizeof(hi), d->type, d->max);
		return fail(x, n, "%s: %s is out of range (%s to %s)", d->path, show(b, n->s, n->len), lo, hi);
	}
	return true;
}

/* ---- list helpers ---- */

/* Lists: a sequence, or (for convenience) one scalar, or nothing (empty).
 * `path` names the list in messages; `max` bounds its entries. */
static bool list_items_at(cctx *x, const char *path, long long max, const cnode *n, bool scalar_ok,
			  const cnode **first, size_t *count)
{
	if (cnode_is_null(n)) {
		*first = NULL;
		*count = 0;
		return true;
	}
	if (n->kind == CN_SCALAR && scalar_ok) {
		*first = n;
		*count = 1;
		return true;
	}
	if (n->kind != CN_SEQ)
		return fail(x, n, "%s: expected a list, got %s", path, kind_name(n));
	if (n->nchild > (size_t)max)
		return fail(x, n, "%s: more than %lld entries", path, max);
	*first = n->child;
	*count = n->nchild;
	return true;
}

static bool list_items(cctx *x, const conf_directive *d, const cnode *n, bool scalar_ok, const cnode **first,
		       size_t *count)
{
	return list_items_at(x, d->path, d->max, n, scalar_ok, first, count);
}

static void *list_alloc(cctx *x, const conf_directive *d, size_t count, size_t size)
{
	char *base = (char *)x->c;
	/* Empty lists get a non-NULL pointer too, so users can loop blindly. */
	void *p = arena_calloc(x->mem, count ? count : 1, size);
	if (p) {
		*(void **)(base + d->off) = p;
		*(size_t *)(base + d->off_n) = count;
	}
	return p;
}

/* Entries of a list of mappings: each key from `names` at most once. */
#define ITEM_MAX_FIELDS 12


static bool item_fields(cctx *x, const conf_directive *d, const cnode *item, const char *const *names,
			const cnode **vals)
{
	char b[96];
	size_t nf = 0;
	while (names[nf])
		nf++;
	const cnode *keys[ITEM_MAX_FIELDS] = { 0 };
	for (size_t i = 0; i < nf; i++)
		vals[i] = NULL;
	if (item->kind != CN_MAP)
		return fail(x, item, "%s: each entry must be a mapping like {%s: ...}, got %s", d->path, names[0],
			    kind_name(item));
	for (const cnode *k = item->child; k && k->next; k = k->next->next) {
		size_t f = 0;
		while (f < nf && !(k->kind == CN_SCALAR && is_word(k, names[f])))
			f++;
		if (f == nf) {
			char expected[128] = "";
			size_t o = 0;
			for (size_t i = 0; i < nf; i++)
				o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s", i ? ", " : "", names[i]);
			if (k->kind != CN_SCALAR)
				return fail(x, k, "%s: keys must be plain words (expected %s)", d->path, expected);
			return fail(x, k, "%s: unknown key '%s' in an entry (expected %s)", d->path,
				    show(b, k->s, k->len), expected);
		}
		if (keys[f])
			return fail(x, k, "%s: duplicate key '%s' in an entry (first at line %u)", d->path, names[f],
				    keys[f]->line);
		keys[f] = k;
		vals[f] = k->next;
	}
	return true;
}

/* ---- one setter per type ---- */

static bool set_listen_one(cctx *x, const conf_directive *d, const cnode *n, sk_listen *out)
{
	char b[96];
	unsigned port;
	if (!want_scalar(x, d, n, "\"IP:PORT\""))
		return false;
	const char *why = conf_parse_listen(n->s, n->len, &out->addr, &port);
	if (why)
		return fail(x, n, "%s: \"%s\": %s", d->path, show(b, n->s, n->len), why);
	out->port = (uint16_t)port;
	return dup_str(x, d->path, n, 64, &out->text);
}

static bool same_listen(const sk_listen *a, const sk_listen *b)
{
	return a->port == b->port && addr_eq(&a->addr, &b->addr);
}

static bool set_listens(cctx *x, const conf_directive *d, const cnode *n)
{
	const cnode *it;
	size_t count;
	if (!list_items(x, d, n, true, &it, &count))
		return false;
	sk_listen *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!set_listen_one(x, d, it, &l[i]))
			return false;
		for (size_t j = 0; j < i; j++) /* at most 64 entries */
			if (same_listen(&l[i], &l[j]))
				return fail(x, it, "%s: %s is listed twice", d->path, l[i].text);
	}
	return true;
}

static bool set_upstream(cctx *x, const conf_directive *d, const cnode *n)
{
	char b[96];
	sk_upstream *u = (sk_upstream *)((char *)x->c + d->off);
	memset(u, 0, sizeof(*u));
	if (!want_scalar(x, d, n, "\"http://HOST:PORT\""))
		return false;
	if (n->len == 0)
		return true; /* "" (the default): not set */
	sk_slice host;
	unsigned port;
	const char *why = conf_parse_upstream(n->s, n->len, &host, &port, &u->host_is_addr, &u->addr);
	if (why)
		return fail(x, n, "%s: \"%s\": %s", d->path, show(b, n->s, n->len), why);
	sk_slice h = arena_dup(x->mem, host.p, host.len);
	if (!h.p)
		return fail(x, n, "out of memory");
	u->host = h.p;
	u->port = (uint16_t)port;
	return dup_str(x, d->path, n, CONF_MAX_STRING, &u->url);
}

/* What a list of scalars holds: elements of `size` bytes, each parsed from
 * one scalar by `parse`; `want` and `bad` complete the messages "expected
 * WANT" and "\"...\" is not BAD". */
typedef struct scalar_kind {
	size_t size;
	bool (*parse)(sk_slice s, void *out);
	const char *want;
	const char *bad;
} scalar_kind;

static bool parse_cidr_item(sk_slice s, void *out)
{
	return cidr_parse(s, out);
}

static bool parse_country_item(sk_slice s, void *out)
{
	/* NO (Norway) is a YAML 1.1 boolean to some tools, not to this
	 * parser: a plain NO stays the country. */
	return country_parse(s, out);
}

static const scalar_kind KIND_CIDR = { sizeof(sk_cidr), parse_cidr_item, "a CIDR like \"10.0.0.0/8\"",
				       "an address or CIDR (\"10.0.0.0/8\", \"2001:db8::/32\")" };
static const scalar_kind KIND_COUNTRY = { sizeof(sk_country), parse_country_item, "a country code like JP",
					  "an ISO 3166-1 alpha-2 country code (JP, US, DE, ...)" };

/* A list of `k` under `path` (a key, or a field of a list entry), at most
 * `max` entries: an arena array (never NULL on success; *nout entries), or
 * NULL after fail(). */
static void *scalar_list(cctx *x, const char *path, long long max, const cnode *n, const scalar_kind *k,
			 size_t *nout)
{
	char b[96];
	const cnode *it;
	size_t count;
	if (!list_items_at(x, path, max, n, true, &it, &count))
		return NULL;
	char *l = arena_calloc(x->mem, count ? count : 1, k->size);
	if (!l) {
		fail(x, n, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (it->kind != CN_SCALAR || cnode_is_null(it)) {
			fail(x, it, "%s: expected %s, got %s", path, k->want, kind_name(it));
			return NULL;
		}
		if (!k->parse(sk_slice_make(it->s, it->len), l + i * k->size)) {
			fail(x, it, "%s: \"%s\" is not %s", path, show(b, it->s, it->len), k->bad);
			return NULL;
		}
	}
	*nout = count;
	return l;
}

/* A top-level list of `k` (CT_CIDRS, CT_COUNTRIES), stored as list_alloc does. */
static bool set_scalars(cctx *x, const conf_directive *d, const cnode *n, const scalar_kind *k)
{
	char *base = (char *)x->c;
	void *l = scalar_list(x, d->path, d->max, n, k, (size_t *)(base + d->off_n));
	if (!l)
		return false;
	*(void **)(base + d->off) = l;
	return true;
}

/* Entries of access.paths: {prefix, allow, deny, countries_allow, countries_deny}. */
static bool set_access_paths(cctx *x, const conf_directive *d, const cnode *n)
{
	static const char *const names[] = { "prefix", "allow", "deny", "countries_allow", "countries_deny", NULL };
	const cnode *it, *v[5];
	size_t count;
	if (!list_items(x, d, n, false, &it, &count))
		return false;
	access_spec *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!item_fields(x, d, it, names, v))
			return false;
		if (!v[0])
			return fail(x, it, "%s: each entry needs 'prefix' (a path prefix like /admin/)", d->path);
		if (!dup_str(x, d->path, v[0], CONF_MAX_STRING, &l[i].prefix))
			return false;
		if (l[i].prefix[0] != '/')
			return fail(x, v[0], "%s: 'prefix' is a path prefix and starts with '/'", d->path);
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[i].prefix, l[j].prefix) == 0)
				return fail(x, v[0], "%s: prefix %s is listed twice", d->path, l[i].prefix);
		char sub[64];
		snprintf(sub, sizeof(sub), "%s: allow", d->path);
		if (v[1] && !(l[i].allow = scalar_list(x, sub, 10000, v[1], &KIND_CIDR, &l[i].nallow)))
			return false;
		snprintf(sub, sizeof(sub), "%s: deny", d->path);
		if (v[2] && !(l[i].deny = scalar_list(x, sub, 10000, v[2], &KIND_CIDR, &l[i].ndeny)))
			return false;
		snprintf(sub, sizeof(sub), "%s: countries_allow", d->path);
		if (v[3] && !(l[i].countries_allow = scalar_list(x, sub, 300, v[3], &KIND_COUNTRY, &l[i].ncountries_allow)))
			return false;
		snprintf(sub, sizeof(sub), "%s: countries_deny", d->path);
		if (v[4] && !(l[i].countries_deny = scalar_list(x, sub, 300, v[4], &KIND_COUNTRY, &l[i].ncountries_deny)))
			return false;
		if (!v[1] && !v[2] && !v[3] && !v[4])
			return fail(x, it, "%s: the entry for %s has no allow, deny, countries_allow or countries_deny",
				    d->path, l[i].prefix);
	}
	return true;
}

static bool set_certs(cctx *x, const conf_directive *d, const cnode *n)
{
	static const char *const names[] = { "cert", "key", NULL };
	const cnode *it, *v[2];
	size_t count;
	if (!list_items(x, d, n, false, &it, &count))
		return false;
	sk_tls_cert *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!item_fields(x, d, it, names, v))
			return false;
		for (int f = 0; f < 2; f++) {
			if (!v[f])
				return fail(x, it, "%s: each entry needs '%s'", d->path, names[f]);
			const char **dst = f == 0 ? &l[i].cert : &l[i].key;
			if (!dup_str(x, d->path, v[f], CONF_MAX_STRING, dst))
				return false;
			if (!**dst)
				return fail(x, v[f], "%s: '%s' must not be empty", d->path, names[f]);
		}
	}
	return true;
}

/* Copy a scalar into a fixed engine_exception field. */
static bool copy_field(cctx *x, const conf_directive *d, const cnode *n, const char *name, char *dst, size_t cap)
{
	const char *s;
	if (n->kind == CN_SCALAR && n->len > cap - 1)
		return fail(x, n, "%s: '%s' is longer than %zu bytes", d->path, name, cap - 1);
	if (!dup_str(x, d->path, n, cap - 1, &s))
		return false;
	memcpy(dst, s, n->len + 1);
	return true;
}

static bool detector_name_ok(const char *s)
{
	if (strcmp(s, "*") == 0 || detector_find(s))
		return true;
	/* A user-rule id: digits. */
	size_t i = 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 && s[i] == '\0';
}

static bool set_exceptions(cctx *x, const conf_directive *d, const cnode *n)
{
	static const char *const names[] = { "detector", "path", "param", NULL };
	const cnode *it, *v[3];
	size_t count;
	if (!list_items(x, d, n, false, &it, &count))
		return false;
	engine_exception *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!item_fields(x, d, it, names, v))
			return false;
		if (!v[0])
			return fail(x, it, "%s: each entry needs 'detector' (a detector name or \"*\")", d->path);
		if (!copy_field(x, d, v[0], "detector", l[i].what, sizeof(l[i].what)))
			return false;
		if (!detector_name_ok(l[i].what)) {
			char b[96], known[512];
			size_t o = 0;
			for (const detector_def *dd = detector_table; dd->name && o < sizeof(known); dd++)
				o += (size_t)snprintf(known + o, sizeof(known) - o, "%s, ", dd->name);
			return fail(x, v[0], "%s: unknown detector '%s' (known: %s\"*\" or a rule id)", d->path,
				    show(b, v[0]->s, v[0]->len), known);
		}
		if (v[1]) {
			if (!copy_field(x, d, v[1], "path", l[i].path_prefix, sizeof(l[i].path_prefix)))
				return false;
			if (l[i].path_prefix[0] && l[i].path_prefix[0] != '/')
				return fail(x, v[1], "%s: 'path' is a path prefix and starts with '/'", d->path);
		}
		if (v[2] && !copy_field(x, d, v[2], "param", l[i].param, sizeof(l[i].param)))
			return false;
	}
	return true;
}

static bool set_paths(cctx *x, const conf_directive *d, const cnode *n)
{
	static const char *const names[] = { "prefix", "mode", NULL };
	static const char *const modes[] = { "block", "monitor", "off" };
	const cnode *it, *v[2];
	size_t count;
	if (!list_items(x, d, n, false, &it, &count))
		return false;
	sk_path_mode *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!item_fields(x, d, it, names, v))
			return false;
		if (!v[0] || !v[1])
			return fail(x, it, "%s: each entry needs 'prefix' and 'mode'", d->path);
		if (!dup_str(x, d->path, v[0], CONF_MAX_STRING, &l[i].prefix))
			return false;
		if (l[i].prefix[0] != '/')
			return fail(x, v[0], "%s: 'prefix' is a path prefix and starts with '/'", d->path);
		int m = 0;
		while (m < 3 && !is_word(v[1], modes[m]))
			m++;
		if (m == 3) {
			char b[96];
			return fail(x, v[1], "%s: mode must be block, monitor or off, not '%s'", d->path,
				    v[1]->kind == CN_SCALAR ? show(b, v[1]->s, v[1]->len) : kind_name(v[1]));
		}
		l[i].mode = (sk_mode)m;
	}
	return true;
}

static bool set_logins(cctx *x, const conf_directive *d, const cnode *n)
{
	static const char *const names[] = { "path",	 "method",	  "username",	    "fail_status",
					     "fail_location", "fail_body", "success_cookie", NULL };
	const cnode *it, *v[7];
	size_t count;
	char b[96];
	if (!list_items(x, d, n, false, &it, &count))
		return false;
	login_endpoint *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!item_fields(x, d, it, names, v))
			return false;
		if (!v[0] || !v[2])
			return fail(x, it, "%s: each entry needs 'path' and 'username' (the form field or JSON path "
					   "holding the user name)", d->path);
		if (!copy_field(x, d, v[0], "path", l[i].path, sizeof(l[i].path)))
			return false;
		if (l[i].path[0] != '/')
			return fail(x, v[0], "%s: 'path' starts with '/'", d->path);
		memcpy(l[i].method, "POST", 5);
		if (v[1] && !copy_field(x, d, v[1], "method", l[i].method, sizeof(l[i].method)))
			return false;
		for (const char *m = l[i].method; *m; m++)
			if (!(*m >= 'A' && *m <= 'Z'))
				return fail(x, v[1], "%s: 'method' is an upper-case HTTP method like POST", d->path);
		if (!copy_field(x, d, v[2], "username", l[i].username, sizeof(l[i].username)))
			return false;
		if (!l[i].username[0])
			return fail(x, v[2], "%s: 'username' is empty", d->path);
		if (v[3]) {
			unsigned long long st;
			if (v[3]->kind != CN_SCALAR || !conf_parse_u64(v[3]->s, v[3]->len, &st) || st < 200 || st > 599)
				return fail(x, v[3], "%s: 'fail_status' is an HTTP status from 200 to 599, not '%s'", d->path,
					    v[3]->kind == CN_SCALAR ? show(b, v[3]->s, v[3]->len) : kind_name(v[3]));
			l[i].fail_status = (int)st;
		}
		if (v[4] && !copy_field(x, d, v[4], "fail_location", l[i].fail_location, sizeof(l[i].fail_location)))
			return false;
		if (v[5] && !copy_field(x, d, v[5], "fail_body", l[i].fail_body, sizeof(l[i].fail_body)))
			return false;
		if (v[6] && !copy_field(x, d, v[6], "success_cookie", l[i].success_cookie, sizeof(l[i].success_cookie)))
			return false;
		if (!l[i].fail_status && !l[i].fail_location[0] && !l[i].fail_body[0] && !l[i].success_cookie[0])
			return fail(x, it, "%s: say how a failed login shows: fail_status, fail_location, fail_body or "
					   "success_cookie (at least one)", d->path);
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[j].path, l[i].path) == 0 && strcmp(l[j].method, l[i].method) == 0)
				return fail(x, v[0], "%s: %s %s is listed twice", d->path, l[i].method, l[i].path);
	}
	return true;
}

static bool set_sinks(cctx *x, const conf_directive *d, const cnode *n)
{
	char b[96];
	const cnode *it;
	size_t count;
	if (!list_items(x, d, n, true, &it, &count))
		return false;
	if (count == 0)
		return fail(x, n, "%s: at least one sink is needed (events must go somewhere)", d->path);
	sk_sink *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!dup_str(x, d->path, it, CONF_MAX_STRING, &l[i].target))
			return false;
		sk_slice s = sk_slice_make(it->s, it->len);
		if (sk_slice_eq(s, SK_LIT("stderr")))
			l[i].kind = SK_SINK_STDERR;
		else if (sk_slice_eq(s, SK_LIT("stdout")))
			l[i].kind = SK_SINK_STDOUT;
		else if (sk_slice_eq(s, SK_LIT("syslog")))
			l[i].kind = SK_SINK_SYSLOG;
		else if ((sk_slice_prefix_ci(s, SK_LIT("http://")) && s.len > 7) ||
			 (sk_slice_prefix_ci(s, SK_LIT("https://")) && s.len > 8))
			l[i].kind = SK_SINK_WEBHOOK;
		else if (memchr(s.p, '/', s.len))
			l[i].kind = SK_SINK_FILE;
		else
			return fail(x, it,
				    "%s: \"%s\" is not stderr, stdout, syslog, an http:// URL or a file path "
				    "(paths contain '/', e.g. ./events.jsonl)",
				    d->path, show(b, it->s, it->len));
	}
	return true;
}

static bool set_prefixes(cctx *x, const conf_directive *d, const cnode *n)
{
	const cnode *it;
	size_t count;
	if (!list_items(x, d, n, true, &it, &count))
		return false;
	const char **l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!dup_str(x, d->path, it, CONF_MAX_STRING, &l[i]))
			return false;
		if (l[i][0] != '/')
			return fail(x, it, "%s: a path prefix starts with '/'", d->path);
	}
	return true;
}

static bool set_pwfields(cctx *x, const conf_directive *d, const cnode *n)
{
	static const char *const names[] = { "path", "field", NULL };
	const cnode *it, *v[2];
	size_t count;
	if (!list_items(x, d, n, false, &it, &count))
		return false;
	sk_pw_endpoint *l = list_alloc(x, d, count, sizeof(*l));
	if (!l)
		return fail(x, n, "out of memory");
	for (size_t i = 0; i < count; i++, it = it->next) {
		if (!item_fields(x, d, it, names, v))
			return false;
		if (!v[0] || !v[1])
			return fail(x, it, "%s: each entry needs 'path' and 'field'", d->path);
		if (!dup_str(x, d->path, v[0], CONF_MAX_STRING, &l[i].path) ||
		    !dup_str(x, d->path, v[1], 256, &l[i].field))
			return false;
		if (l[i].path[0] != '/')
			return fail(x, v[0], "%s: 'path' starts with '/'", d->path);
		if (!l[i].field[0])
			return fail(x, v[1], "%s: 'field' must not be empty", d->path);
	}
	return true;
}

static bool header_value_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return false;
	}
	return len > 0;
}

static bool user_name_ok(const char *s, size_t len)
{
	if (len > 32 || (len && s[0] == '-'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool set_value(cctx *x, const conf_directive *d, const cnode *n)
{
	char b[96];
	char *p = (char *)x->c + d->off;
	unsigned long long v;
	switch (d->type) {
	case CT_SECTION:
		return false; /* walked by the caller */
	case CT_BOOL:
		if (is_word(n, "true"))
			*(bool *)p = true;
		else if (is_word(n, "false"))
			*(bool *)p = false;
		else
			return fail(x, n, "%s: expected true or false, got %s", d->path,
				    n->kind == CN_SCALAR && !cnode_is_null(n) ? show(b, n->s, n->len) : kind_name(n));
		return true;
	case CT_UINT:
		if (!parse_number(x, d, n, &v))
			return false;
		*(unsigned *)p = (unsigned)v;
		return true;
	case CT_INT:
		if (!parse_number(x, d, n, &v))
			return false;
		*(int *)p = (int)v;
		return true;
	case CT_COUNT:
	case CT_SIZE:
		if (!parse_number(x, d, n, &v))
			return false;
		*(size_t *)p = (size_t)v;
		return true;
	case CT_MS:
		if (!parse_number(x, d, n, &v))
			return false;
		*(unsigned *)p = (unsigned)v;
		return true;
	case CT_ENUM:
		for (int i = 0; d->choices[i]; i++) {
			if (is_word(n, d->choices[i])) {
				*(int *)p = i;
				return true;
			}
		}
		{
			char list[128] = "";
			size_t o = 0;
			for (int i = 0; d->choices[i] && o < sizeof(list); i++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", d->choices[i]);
			return fail(x, n, "%s: expected one of %s, got %s", d->path, list,
				    n->kind == CN_SCALAR && !cnode_is_null(n) ? show(b, n->s, n->len) : kind_name(n));
		}
	case CT_STRING:
		return dup_str(x, d->path, n, CONF_MAX_STRING, (const char **)p);
	case CT_USER:
		if (n->kind == CN_SCALAR && !user_name_ok(n->s, n->len))
			return fail(x, n, "%s: \"%s\" is not a user name", d->path, show(b, n->s, n->len));
		return dup_str(x, d->path, n, 32, (const char **)p);
	case CT_HEADER:
		if (n->kind == CN_SCALAR && n->plain && is_word(n, "false")) {
			*(const char **)p = NULL;
			return true;
		}
		if (n->kind == CN_SCALAR && n->plain && is_word(n, "true"))
			return fail(x, n, "%s: give the header value, or false to disable it", d->path);
		if (n->kind == CN_SCALAR && !cnode_is_null(n) && !header_value_ok(n->s, n->len))
			return fail(x, n, "%s: a header value is printable ASCII and not empty", d->path);
		return dup_str(x, d->path, n, 1024, (const char **)p);
	case CT_LISTEN: {
		bool *enabled = (bool *)((char *)x->c + d->off_n);
		if (n->kind == CN_SCALAR && !n->plain && n->len == 0) {
			*enabled = false;
			memset(p, 0, sizeof(sk_listen));
			return true;
		}
		*enabled = true;
		return set_listen_one(x, d, n, (sk_listen *)p);
	}
	case CT_LISTENS:
		return set_listens(x, d, n);
	case CT_UPSTREAM:
		return set_upstream(x, d, n);
	case CT_CIDRS:
		return set_scalars(x, d, n, &KIND_CIDR);
	case CT_CERTS:
		return set_certs(x, d, n);
	case CT_EXCEPTIONS:
		return set_exceptions(x, d, n);
	case CT_PATHS:
		return set_paths(x, d, n);
	case CT_SINKS:
		return set_sinks(x, d, n);
	case CT_LOGINS:
		return set_logins(x, d, n);
	case CT_PREFIXES:
		return set_prefixes(x, d, n);
	case CT_PWFIELDS:
		return set_pwfields(x, d, n);
	case CT_COUNTRIES:
		return set_scalars(x, d, n, &KIND_COUNTRY);
	case CT_ACCESS_PATHS:
		return set_access_paths(x, d, n);
	}
	return false;
}

/* ---- the walk ---- */

static const conf_directive *find_row(const char *path, size_t *idx)
{
	for (size_t i = 0; i < conf_ndirectives; i++) {
		if (strcmp(conf_directives[i].path, path) == 0) {
			*idx = i;
			return &conf_directives[i];
		}
	}
	return NULL;
}

/* Levenshtein distance of two short strings (both at most 64 bytes). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "did you mean": the same word in another section, or a near sibling. */
static const char *suggest(const char *prefix, const char *key, size_t klen)
{
	size_t plen = strlen(prefix);
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < conf_ndirectives; i++) {
		const char *path = conf_directives[i].path;
		const char *dot = strrchr(path, '.');
		const char *last = dot ? dot + 1 : path;
		size_t parent_len = dot ? (size_t)(dot - path) : 0;
		if (strlen(last) == klen && memcmp(last, key, klen) == 0)
			return path;
		if (parent_len != plen || memcmp(path, prefix, plen) != 0)
			continue;
		size_t ll = strlen(last);
		if (ll > 64)
			continue;
		size_t dist = edit_distance(key, klen, last, ll);
		/* One edit for short words ("foo" is not "log"), two for longer. */
		if (dist < bestd && dist <= (klen <= 4 ? 1u : 2u)) {
			bestd = dist;
			best = path;
		}
	}
	return best;
}

static bool walk_map(cctx *x, const cnode *map, const char *prefix)
{
	char b[96];
	for (const cnode *k = map->child; k && k->next; k = k->next->next) {
		const cnode *v = k->next;
		if (k->kind != CN_SCALAR)
			return fail(x, k, "keys must be plain words, not %s", kind_name(k));
		char path[160];
		const conf_directive *d = NULL;
		size_t idx = 0;
		if (k->len <= 64 && !memchr(k->s, '\0', k->len)) {
			snprintf(path, sizeof(path), "%s%s%.*s", prefix, *prefix ? "." : "", (int)k->len, k->s);
			d = find_row(path, &idx);
		}
		if (!d) {
			const char *hint = k->len <= 64 ? suggest(prefix, k->s, k->len) : NULL;
			if (hint)
				return fail(x, k, "unknown key '%s%s%s' (did you mean '%s'?)", prefix, *prefix ? "." : "",
					    show(b, k->s, k->len), hint);
			return fail(x, k, "unknown key '%s%s%s'", prefix, *prefix ? "." : "", show(b, k->s, k->len));
		}
		if (x->key[idx])
			return fail(x, k, "duplicate key '%s' (first at line %u)", d->path, x->key[idx]->line);
		x->key[idx] = k;
		x->val[idx] = v;
		if (d->type == CT_SECTION) {
			if (cnode_is_null(v))
				continue;
			if (v->kind != CN_MAP)
				return fail(x, v, "%s: expected a mapping of keys, got %s", d->path, kind_name(v));
			if (!walk_map(x, v, d->path)) /* depth bounded by the table: sections hold no sections */
				return false;
			continue;
		}
		if (!set_value(x, d, v))
			return false;
	}
	return true;
}

/* A default as a node: "[]" an empty list, "\"...\"" a quoted string, else plain. */
static bool apply_defaults(cctx *x)
{
	for (size_t i = 0; i < conf_ndirectives; i++) {
		const conf_directive *d = &conf_directives[i];
		if (!d->def)
			continue;
		cnode n = { .kind = CN_SCALAR, .plain = true, .line = 0, .col = 0, .s = d->def, .len = strlen(d->def) };
		if (strcmp(d->def, "[]") == 0) {
			n.kind = CN_SEQ;
			n.s = NULL;
			n.len = 0;
		} else if (n.len >= 2 && d->def[0] == '"' && d->def[n.len - 1] == '"') {
			n.plain = false;
			n.s++;
			n.len -= 2;
		}
		if (!set_value(x, d, &n))
			return false;
	}
	return true;
}

static const cnode *where(cctx *x, const char *path)
{
	size_t idx;
	if (!find_row(path, &idx))
		return NULL;
	return x->val[idx] ? x->val[idx] : x->key[idx];
}

/* The first of two keys the file sets (the other may be a default). */
static const cnode *where2(cctx *x, const char *path, const char *other)
{
	const cnode *n = where(x, path);
	return n ? n : where(x, other);
}

static bool check_listen_clash(cctx *x, const char *path, const sk_listen *l, size_t n, const char *other_path,
			       const sk_listen *o, size_t on)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < on; j++)
			if (same_listen(&l[i], &o[j]))
				return fail(x, where(x, path), "%s: %s is also in %s", path, l[i].text, other_path);
	return true;
}

/* `s` is 1 to `max` of A-Z a-z 0-9 and the characters of `extra`. */
static bool word_ok(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s);
	if (len < 1 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr(extra, s[i]))) /* s[i] is not NUL: strchr cannot match the terminator */
			return false;
	return true;
}

/* Checks that involve several keys. */
static bool validate(cctx *x)
{
	const sk_config *c = x->c;
	if (c->limits.max_request_line > c->limits.max_head)
		return fail(x, where2(x, "limits.max_request_line", "limits.max_head"), "limits.max_request_line (%zu) is larger than limits.max_head (%zu)",
			    c->limits.max_request_line, c->limits.max_head);
	if (c->limits.max_header_line > c->limits.max_head)
		return fail(x, where2(x, "limits.max_header_line", "limits.max_head"), "limits.max_header_line (%zu) is larger than limits.max_head (%zu)",
			    c->limits.max_header_line, c->limits.max_head);
	if (c->nlisten == 0 && c->tls.nlisten == 0)
		return fail(x, where2(x, "listen", "tls.listen"), "listen and tls.listen are both empty: nothing to listen on");
	if (c->tls.nlisten && c->tls.ncerts == 0)
		return fail(x, where2(x, "tls.listen", "tls.certificates"), "tls.listen needs at least one entry in tls.certificates");
	if (c->tls.redirect_http && c->tls.nlisten == 0)
		return fail(x, where(x, "tls.redirect_http"), "tls.redirect_http needs tls.listen (where would it redirect?)");
	if (!check_listen_clash(x, "tls.listen", c->tls.listen, c->tls.nlisten, "listen", c->listen, c->nlisten))
		return false;
	if (!c->access.geoip_db[0]) {
		/* Country lists without a database would silently never match. */
		static const char *const keys[] = { "access.countries_allow", "access.countries_deny" };
		size_t nc[] = { c->access.global.ncountries_allow, c->access.global.ncountries_deny };
		for (size_t i = 0; i < 2; i++)
			if (nc[i])
				return fail(x, where(x, keys[i]), "%s needs access.geoip_db (a MaxMind country database, .mmdb)",
					    keys[i]);
		for (size_t i = 0; i < c->access.npaths; i++)
			if (c->access.paths[i].ncountries_allow || c->access.paths[i].ncountries_deny)
				return fail(x, where(x, "access.paths"),
					    "access.paths: the entry for %s has country lists; they need access.geoip_db "
					    "(a MaxMind country database, .mmdb)", c->access.paths[i].prefix);
	}
	if (c->admin.enabled) {
		if (!check_listen_clash(x, "admin.listen", &c->admin.listen, 1, "listen", c->listen, c->nlisten) ||
		    !check_listen_clash(x, "admin.listen", &c->admin.listen, 1, "tls.listen", c->tls.listen, c->tls.nlisten))
			return false;
	}
	if (!word_ok(c->state.redis_prefix, 64, ":_.-"))
		return fail(x, where(x, "state.redis_prefix"),
			    "state.redis_prefix: 1 to 64 of A-Z a-z 0-9 : _ . - (a key prefix must not hold spaces or braces)");
	/* The token goes into an HTTP header and a shell variable: visible
	 * ASCII only, and long enough that guessing it over loopback is hopeless. */
	const char *tok = c->admin.token;
	size_t tlen = strlen(tok);
	bool tok_ok = tlen == 0 || (tlen >= 16 && tlen <= 256);
	for (size_t i = 0; tok_ok && i < tlen; i++)
		tok_ok = tok[i] > 0x20 && tok[i] < 0x7f;
	if (!tok_ok)
		return fail(x, where(x, "admin.token"),
			    "admin.token: \"\" or 16 to 256 visible ASCII characters (no spaces)");
	/* The table name reaches nft's command line: a plain identifier only. */
	if (!word_ok(c->bans.nft_table, 32, "_"))
		return fail(x, where(x, "bans.nft_table"), "bans.nft_table: 1 to 32 of A-Z a-z 0-9 _");
	if (c->totp_gate.npaths && !c->totp_gate.secrets[0])
		return fail(x, where2(x, "totp_gate.secrets", "totp_gate.paths"),
			    "totp_gate.paths needs totp_gate.secrets (the file of `sekisho totp enroll`)");
	const char *ck = c->totp_gate.cookie;
	bool ck_ok = ck[0] && strlen(ck) <= 64 && cookie_token_name(sk_slice_make(ck, strlen(ck)));
	if (!ck_ok)
		return fail(x, where(x, "totp_gate.cookie"),
			    "totp_gate.cookie: 1 to 64 token characters (letters, digits, ! # $ %% & ' * + - . ^ _ ` | ~)");
	return true;
}

static sk_config *build(const char *text, size_t len, const char *filename, char *errbuf, size_t errlen)
{
	conf_err e = { filename ? filename : "config", errbuf, errlen };
	if (errbuf && errlen)
		errbuf[0] = '\0';
	arena *mem = arena_new(CONF_ARENA_CAP);
	arena *tree = arena_new(TREE_ARENA_CAP);
	cctx xs = { 0 }, *x = &xs;
	sk_config *c = mem ? arena_calloc(mem, 1, sizeof(*c)) : NULL;
	bool ok = false;
	if (!tree || !c) {
		conf_errorf(&e, 1, 1, "out of memory");
		goto done;
	}
	c->mem = mem;
	x->c = c;
	x->mem = mem;
	x->e = &e;
	http_limits_default(&c->limits);
	if (!apply_defaults(x))
		goto done;
	cnode *root = NULL;
	if (text && !conf_tree(text, len, tree, &root, &e))
		goto done;
	if (root && root->kind != CN_MAP) {
		fail(x, root, "the config must be a mapping of keys (key: value), not %s", kind_name(root));
		goto done;
	}
	if (root && !walk_map(x, root, ""))
		goto done;
	ok = validate(x);
done:
	arena_free(tree);
	if (!ok) {
		arena_free(mem);
		return NULL;
	}
	return c;
}

sk_config *config_parse(const char *text, size_t len, const char *filename, char *errbuf, size_t errlen)
{
	return build(text ? text : "", text ? len : 0, filename, errbuf, errlen);
}

sk_config *config_default(void)
{
	return build(NULL, 0, "defaults", NULL, 0);
}

void config_free(sk_config *c)
{
	if (c)
		arena_free(c->mem);
}

void config_engine(const sk_config *c, engine_config *out)
{
	engine_config_default(out);
	out->paranoia = c->detection.paranoia;
	out->threshold = c->detection.threshold;
	out->exceptions = c->detection.exceptions;
	out->nexceptions = c->detection.nexceptions;
	out->rules = NULL;
}

/* ---- the reference ---- */

static const char *type_name(conf_type t)
{
	switch (t) {
	case CT_SECTION: return "section";
	case CT_BOOL: return "boolean";
	case CT_UINT:
	case CT_INT:
	case CT_COUNT: return "number";
	case CT_SIZE: return "size";
	case CT_MS: return "duration";
	case CT_ENUM: return "choice";
	case CT_STRING: return "string";
	case CT_USER: return "user name";
	case CT_HEADER: return "header value or false";
	case CT_LISTEN: return "IP:PORT or \"\"";
	case CT_LISTENS: return "IP:PORT or list";
	case CT_UPSTREAM: return "URL";
	case CT_CIDRS: return "list of CIDRs";
	case CT_CERTS: return "list of {cert, key}";
	case CT_EXCEPTIONS: return "list of {detector, path, param}";
	case CT_PATHS: return "list of {prefix, mode}";
	case CT_LOGINS: return "list of {path, method, username, fail_status, fail_location, fail_body, success_cookie}";
	case CT_SINKS: return "sink or list";
	case CT_PREFIXES: return "path prefix or list";
	case CT_PWFIELDS: return "list of {path, field}";
	case CT_COUNTRIES: return "list of country codes";
	case CT_ACCESS_PATHS: return "list of {prefix, allow, deny, countries_allow, countries_deny}";
	}
	return "?";
}

/* Markdown table cell: '|' would end the cell. */
static bool cell(sk_buf *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' && !buf_append(o, "\\|", 2))
			return false;
		if (*s != '|' && !buf_append(o, s, 1))
			return false;
	}
	return true;
}

bool config_doc(sk_buf *o)
{
	buf_puts(o, "# sekisho.yaml reference\n\n"
		    "Generated by `sekisho config doc` from lib/conf/directives.c; edit the table, not this page.\n\n"
		    "Every key is optional; a minimal file names only the `upstream`. Unknown keys, duplicate keys,\n"
		    "anchors/aliases, tags and several documents are errors, reported as FILE:LINE:COL by\n"
		    "`sekisho config check`. Sizes are bytes or \"64KiB\", \"1MiB\", \"8k\" (powers of 1024);\n"
		    "durations are seconds or \"500ms\", \"30s\", \"2m\", \"1h\". Limits: 1 MiB of YAML, nesting 16,\n"
		    "10,000 nodes. Relative paths are relative to the directory sekisho starts in.\n"
		    "A complete example with every default: etc/sekisho.yaml.\n");
	for (size_t i = 0; i < conf_ndirectives; i++) {
		const conf_directive *d = &conf_directives[i];
		bool top = !strchr(d->path, '.');
		if (d->type == CT_SECTION || (top && (i == 0 || strchr(conf_directives[i - 1].path, '.')))) {
			buf_printf(o, "\n## %s\n\n", d->type == CT_SECTION || i ? d->path : "top level");
			if (d->type == CT_SECTION) {
				buf_puts(o, d->doc);
				buf_puts(o, "\n\n");
			}
			buf_puts(o, "| key | type | default | range | meaning |\n|---|---|---|---|---|\n");
			if (d->type == CT_SECTION)
				continue;
		}
		char range[96] = "";
		if (d->type == CT_UINT || d->type == CT_INT || d->type == CT_COUNT || d->type == CT_SIZE ||
		    d->type == CT_MS) {
			char lo[32], hi[32];
			human(lo, sizeof(lo), d->type, d->min);
			human(hi, sizeof(hi), d->type, d->max);
			snprintf(range, sizeof(range), "%s to %s", lo, hi);
		} else if (d->type == CT_ENUM) {
			size_t off = 0;
			for (int k = 0; d->choices[k] && off < sizeof(range); k++)
				off += (size_t)snprintf(range + off, sizeof(range) - off, "%s%s", k ? " | " : "", d->choices[k]);
		} else if (d->max) {
			snprintf(range, sizeof(range), "at most %lld entries", d->max);
		}
		buf_printf(o, "| `%s` | %s | ", d->path, type_name(d->type));
		if (d->type == CT_UPSTREAM) {
			buf_puts(o, "(none: required by the proxy)");
		} else {
			buf_puts(o, "`");
			cell(o, d->def);
			buf_puts(o, "`");
		}
		buf_puts(o, " | ");
		cell(o, range);
		buf_puts(o, " | ");
		cell(o, d->doc);
		buf_puts(o, " |\n");
	}
	return !o->overflow;
}
