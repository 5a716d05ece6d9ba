/* json.c - streaming strict JSON parser producing targets; see
 * include/sekisho/json.h and docs/internals/json-xml.md.
 *
 * One byte loop with a switch over states. A byte that ends a number is
 * looked at again in the next state without being consumed, so numbers
 * need no lookahead across chunks. Strings, numbers, the path and the key
 * set live in arena buffers that grow by doubling, so memory stays linear
 * in the input and no chunk buffer is referenced after json_feed returns.
 */
#include "sekisho/json.h"

#include <stdio.h>
#include <string.h>

enum jstate {
	J_VALUE = 0,  /* a value is expected (top level, after ':' or ',') */
	J_ARR_FIRST,  /* after '[': a value or ']' */
	J_OBJ_FIRST,  /* after '{': a key or '}' */
	J_OBJ_KEY,    /* after ',' in an object: a key */
	J_COLON,      /* after a key */
	J_AFTER,      /* after a value inside a container: ',' or a closer */
	J_DONE,       /* the top-level value is complete: whitespace only */
	J_STRING,     /* inside a string (key or value) */
	J_ESC,        /* after a backslash */
	J_UHEX,       /* inside \uXXXX */
	J_NUM,        /* inside a number; sub = enum jnum */
	J_LIT,        /* inside true/false/null; sub = bytes matched */
};

/* Number grammar (RFC 8259 section 6). */
enum jnum {
	N_MINUS,  /* after '-': a digit must follow */
	N_ZERO,   /* a leading 0: no more integer digits */
	N_INT,
	N_DOT,    /* after '.': a digit must follow */
	N_FRAC,
	N_E,      /* after 'e': sign or digit */
	N_ESIGN,  /* after the exponent sign: a digit */
	N_EXP,
};

struct json_frame {
	uint8_t is_obj;
	uint32_t flags;   /* TF_* inherited by everything inside */
	size_t base;      /* path length of the container itself */
	size_t index;     /* arrays: index of the next element */
	size_t key_base;  /* objects: first key entry of this object */
	size_t kb_base;   /* objects: keybytes length at open */
};

struct json_keyent {
	uint64_t hash;
	size_t off, len;  /* key bytes in st->keybytes */
	uint32_t next;    /* next entry in the chain + 1, 0 = end */
};

static const char *const lit_text[3] = { "true", "false", "null" };
static const uint8_t lit_len[3] = { 4, 5, 4 };

/* Duplicate search gives up after this many same-bucket entries of one
 * object, so crafted hash collisions cannot make parsing quadratic. */
#define JSON_DUP_PROBES 64

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Record the first error; every later call reports it again. */
static int jfail(json_state *st, sk_error *err, const char *rule, size_t at, int status)
{
	st->failed = 1;
	st->err.rule = rule;
	st->err.offset = at;
	st->err.status = status;
	if (err)
		*err = st->err;
	return SK_ERR;
}

/* Make room for `more` bytes; doubles so total copying stays linear. */
static int buf_reserve(arena *a, json_buf *b, size_t more)
{
	if (more <= b->cap - b->len)
		return 0;
	if (more > SIZE_MAX / 4 - b->len)
		return -1;
	size_t cap = b->cap ? b->cap * 2 : 64;
	if (cap < b->len + more)
		cap = b->len + more;
	char *np = arena_alloc(a, cap);
	if (!np)
		return -1;
	if (b->len)
		memcpy(np, b->p, b->len);
	b->p = np;
	b->cap = cap;
	return 0;
}

static int buf_put(arena *a, json_buf *b, const void *p, size_t n)
{
	if (buf_reserve(a, b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int buf_byte(arena *a, json_buf *b, char c)
{
	return buf_put(a, b, &c, 1);
}

void json_init(json_state *st, arena *a, const http_limits *lim, target_emit_fn emit, void *ctx)
{
	memset(st, 0, sizeof(*st));
	st->a = a;
	st->lim = lim;
	st->emit = emit;
	st->ctx = ctx;
	st->state = J_VALUE;
}

/* ---- emitting ---- */

#define E_ARENA "JSON exceeds the arena"

/* Emit one target; raw/val point into json_bufs or static text and are
 * copied here. val == NULL means value = raw. */
static int emit_target(json_state *st, sk_error *err, size_t at, uint8_t loc, size_t name_len,
		       sk_slice raw, const json_buf *val, int copy_raw, uint32_t flags)
{
	if (st->ntargets >= st->lim->max_targets)
		return jfail(st, err, "too many JSON values", at, 413);
	target t = { .loc = loc, .flags = flags };
	t.name = arena_dup(st->a, st->path.len ? st->path.p : "", name_len);
	t.raw = copy_raw ? arena_dup(st->a, raw.p, raw.len) : raw;
	t.value = val ? arena_dup(st->a, val->len ? val->p : "", val->len) : t.raw;
	if (!t.name.p || !t.raw.p || !t.value.p)
		return jfail(st, err, E_ARENA, at, 413);
	st->ntargets++;
	if (st->emit && st->emit(st->ctx, &t) < 0)
		return jfail(st, err, "stopped by consumer", at, 400);
	return SK_OK;
}

static json_frame *top(json_state *st)
{
	return st->depth ? &st->frames[st->depth - 1] : NULL;
}

/* Flags every value at this position inherits. */
static uint32_t inherited(json_state *st)
{
	json_frame *f = top(st);
	return (f ? f->flags : 0) | st->mflags;
}

/* A value (or container) is complete. */
static void after_value(json_state *st)
{
	st->mflags = 0;
	st->state = st->depth ? J_AFTER : J_DONE;
}

/* ---- keys: path segments and duplicates ---- */

static int key_is_plain(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Does the key need the bracket form in a path? */
static int key_needs_brackets(const char *k, size_t n)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (k[i] == '.' || k[i] == '[' || k[i] == ']' || k[i] == '"')
			return 1;
	return 0;
}

/* Append the key's path segment after the object's own path. */
static int path_add_key(json_state *st, const json_frame *f, const char *k, size_t n)
{
	arena *a = st->a;
	st->path.len = f->base;
	if (!key_needs_brackets(k, n)) {
		if (f->base && buf_byte(a, &st->path, '.') < 0)
			return -1;
		return buf_put(a, &st->path, k, n);
	}
	if (buf_put(a, &st->path, "[\"", 2) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((k[i] == '"' || k[i] == '\\') && buf_byte(a, &st->path, '\\') < 0)
			return -1;
		if (buf_byte(a, &st->path, k[i]) < 0)
			return -1;
	}
	return buf_put(a, &st->path, "\"]", 2);
}

static int path_add_index(json_state *st, json_frame *f)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "[%zu]", f->index++);
	st->path.len = f->base;
	return buf_put(st->a, &st->path, tmp, (size_t)n);
}

/* FNV-1a; collisions only cost probes, which are capped. */
static uint64_t key_hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Rebuild every chain into a table of `nb` buckets, oldest entry first so
 * that each chain stays newest-first. */
static int keys_rehash(json_state *st, size_t nb)
{
	uint32_t *b = arena_calloc(st->a, nb, sizeof(*b));
	if (!b)
		return -1;
	for (size_t i = 0; i < st->nkeys; i++) {
		json_keyent *e = &st->keys[i];
		size_t slot = (size_t)(e->hash & (nb - 1));
		e->next = b[slot];
		b[slot] = (uint32_t)(i + 1);
	}
	st->buckets = b;
	st->nbuckets = nb;
	return 0;
}

/* Add the key to the current object's set. Returns 1 if it was already
 * there, 0 if new, -1 when out of memory. */
static int keys_add(json_state *st, const json_frame *f, const char *k, size_t n)
{
	uint64_t h = key_hash(k, n);
	if (st->nbuckets) {
		uint32_t idx = st->buckets[h & (st->nbuckets - 1)];
		for (int probes = 0; idx && probes < JSON_DUP_PROBES; probes++) {
			const json_keyent *e = &st->keys[idx - 1];
			/* Chains are newest first: older entries belong to enclosing objects. */
			if (idx - 1 < f->key_base)
				break;
			if (e->hash == h && e->len == n &&
			    (n == 0 || memcmp(st->keybytes.p + e->off, k, n) == 0))
				return 1;
			idx = e->next;
		}
	}
	if (st->nkeys >= UINT32_MAX - 1)
		return -1;
	if (st->nkeys == st->keys_cap) {
		size_t cap = st->keys_cap ? st->keys_cap * 2 : 32;
		json_keyent *nk = arena_calloc(st->a, cap, sizeof(*nk));
		if (!nk)
			return -1;
		if (st->nkeys)
			memcpy(nk, st->keys, st->nkeys * sizeof(*nk));
		st->keys = nk;
		st->keys_cap = cap;
	}
	if (st->nkeys + 1 > st->nbuckets && keys_rehash(st, st->nbuckets ? st->nbuckets * 2 : 64) < 0)
		return -1;
	size_t off = st->keybytes.len;
	if (buf_put(st->a, &st->keybytes, k, n) < 0)
		return -1;
	json_keyent *e = &st->keys[st->nkeys];
	e->hash = h;
	e->off = off;
	e->len = n;
	size_t slot = (size_t)(h & (st->nbuckets - 1));
	e->next = st->buckets[slot];
	st->buckets[slot] = (uint32_t)(st->nkeys + 1);
	st->nkeys++;
	return 0;
}

/* Forget the keys of the object being closed. They are the newest
 * entries, so each is the head of its chain. */
static void keys_drop(json_state *st, const json_frame *f)
{
	while (st->nkeys > f->key_base) {
		json_keyent *e = &st->keys[--st->nkeys];
		st->buckets[e->hash & (st->nbuckets - 1)] = e->next;
	}
	st->keybytes.len = f->kb_base;
}

/* ---- containers ---- */

static int push(json_state *st, sk_error *err, size_t at, int is_obj)
{
	if (st->depth >= st->lim->max_depth)
		return jfail(st, err, "json nesting too deep", at, 400);
	if (st->depth == st->frames_cap) {
		size_t cap = st->frames_cap ? st->frames_cap * 2 : 16;
		if (cap > st->lim->max_depth)
			cap = st->lim->max_depth;
		json_frame *nf = arena_alloc(st->a, cap * sizeof(*nf));
		if (!nf)
			return jfail(st, err, E_ARENA, at, 413);
		if (st->depth)
			memcpy(nf, st->frames, st->depth * sizeof(*nf));
		st->frames = nf;
		st->frames_cap = cap;
	}
	uint32_t flags = inherited(st);
	json_frame *f = &st->frames[st->depth++];
	f->is_obj = (uint8_t)is_obj;
	f->flags = flags;
	f->base = st->path.len;
	f->index = 0;
	f->key_base = st->nkeys;
	f->kb_base = st->keybytes.len;
	st->mflags = 0;
	st->state = is_obj ? J_OBJ_FIRST : J_ARR_FIRST;
	return SK_OK;
}

static int pop(json_state *st, sk_error *err, size_t at, unsigned char c)
{
	json_frame *f = top(st);
	if (f->is_obj != (c == '}'))
		return jfail(st, err, "mismatched JSON bracket", at, 400);
	if (f->is_obj)
		keys_drop(st, f);
	st->depth--;
	after_value(st);
	return SK_OK;
}

/* ---- strings ---- */

static void str_begin(json_state *st, int is_key)
{
	st->is_key = (uint8_t)is_key;
	st->raw.len = 0;
	st->val.len = 0;
	st->sflags = 0;
	st->u8need = 0;
	st->hi_sur = 0;
	st->state = J_STRING;
}

/* Append a code point as UTF-8; surrogates come out as WTF-8. */
static int put_cp(json_state *st, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp == 0)
		st->sflags |= TF_NUL;
	else if (cp < 0x20 || cp == 0x7f)
		st->sflags |= TF_CTL;
	if (cp >= 0x80)
		st->sflags |= TF_HIGH_BYTES;
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
	return buf_put(st->a, &st->val, b, n);
}

/* A high surrogate that no low one followed: keep it, as WTF-8, flagged. */
static int flush_hi(json_state *st)
{
	if (!st->hi_sur)
		return 0;
	uint32_t cp = st->hi_sur;
	st->hi_sur = 0;
	st->sflags |= TF_INVALID_UTF8;
	return put_cp(st, cp);
}

static int put_escape_cp(json_state *st, uint32_t cp)
{
	if (st->hi_sur && cp >= 0xdc00 && cp <= 0xdfff) {
		uint32_t full = 0x10000 + ((st->hi_sur - 0xd800) << 10) + (cp - 0xdc00);
		st->hi_sur = 0;
		return put_cp(st, full);
	}
	if (flush_hi(st) < 0)
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		st->hi_sur = cp;
		return 0;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		st->sflags |= TF_INVALID_UTF8;
	return put_cp(st, cp);
}

/* A UTF-8 sequence was cut short or had a bad byte. */
static void u8_bad(json_state *st)
{
	st->sflags |= TF_INVALID_UTF8;
	st->u8need = 0;
}

/* Validate one byte >= 0x80 as sent (RFC 3629 table of well-formed
 * sequences). Invalid bytes are kept and flagged, not rejected. */
static void u8_step(json_state *st, unsigned char c)
{
	st->sflags |= TF_HIGH_BYTES;
	if (st->u8need) {
		if (c >= st->u8lo && c <= st->u8hi) {
			st->u8need--;
			st->u8lo = 0x80;
			st->u8hi = 0xbf;
			return;
		}
		/* E0 80..9F and F0 80..8F are overlong forms. */
		if (c >= 0x80 && c < st->u8lo && (st->u8lo == 0xa0 || st->u8lo == 0x90))
			st->sflags |= TF_OVERLONG_UTF8;
		u8_bad(st);
		if (c < 0xc0)
			return;
	}
	st->u8lo = 0x80;
	st->u8hi = 0xbf;
	if (c < 0xc0) {
		u8_bad(st);
	} else if (c < 0xc2) {
		st->sflags |= TF_OVERLONG_UTF8;
		u8_bad(st);
	} else if (c < 0xe0) {
		st->u8need = 1;
	} else if (c < 0xf0) {
		st->u8need = 2;
		if (c == 0xe0)
			st->u8lo = 0xa0;
		else if (c == 0xed)
			st->u8hi = 0x9f; /* D800-DFFF are not characters */
	} else if (c < 0xf5) {
		st->u8need = 3;
		if (c == 0xf0)
			st->u8lo = 0x90;
		else if (c == 0xf4)
			st->u8hi = 0x8f;
	} else {
		u8_bad(st);
	}
}

/* The closing quote was read. */
static int str_end(json_state *st, sk_error *err, size_t at)
{
	if (flush_hi(st) < 0)
		return jfail(st, err, E_ARENA, at, 413);
	if (st->u8need)
		u8_bad(st);
	sk_slice raw = sk_slice_make(st->raw.p, st->raw.len);
	if (!st->is_key) {
		if (emit_target(st, err, at, LOC_JSON, st->path.len, raw, &st->val, 1,
				st->sflags | inherited(st)) < 0)
			return SK_ERR;
		after_value(st);
		return SK_OK;
	}
	json_frame *f = top(st);
	int dup = keys_add(st, f, st->val.p ? st->val.p : "", st->val.len);
	if (dup < 0)
		return jfail(st, err, E_ARENA, at, 413);
	st->mflags = dup ? TF_MALFORMED : 0;
	uint32_t flags = st->sflags | inherited(st);
	if (!key_is_plain(st->val.p, st->val.len) &&
	    emit_target(st, err, at, LOC_JSON_KEY, f->base, raw, &st->val, 1, flags) < 0)
		return SK_ERR;
	if (path_add_key(st, f, st->val.p ? st->val.p : "", st->val.len) < 0)
		return jfail(st, err, E_ARENA, at, 413);
	st->state = J_COLON;
	return SK_OK;
}

/* ---- values ---- */

static int num_can_end(uint8_t sub)
{
	return sub == N_ZERO || sub == N_INT || sub == N_FRAC || sub == N_EXP;
}

static int num_end(json_state *st, sk_error *err, size_t at)
{
	if (!num_can_end(st->sub))
		return jfail(st, err, "incomplete JSON number", at, 400);
	sk_slice raw = sk_slice_make(st->raw.p, st->raw.len);
	if (emit_target(st, err, at, LOC_JSON, st->path.len, raw, NULL, 1, inherited(st)) < 0)
		return SK_ERR;
	after_value(st);
	return SK_OK;
}

/* Start a value at byte `c`. */
static int value_begin(json_state *st, sk_error *err, size_t at, unsigned char c)
{
	json_frame *f = top(st);
	if (f && !f->is_obj && path_add_index(st, f) < 0)
		return jfail(st, err, E_ARENA, at, 413);
	switch (c) {
	case '{':
	case '[':
		return push(st, err, at, c == '{');
	case '"':
		str_begin(st, 0);
		break;
	case 't':
	case 'f':
	case 'n':
		st->lit = c == 't' ? 0 : c == 'f' ? 1 : 2;
		st->sub = 1;
		st->state = J_LIT;
		return SK_OK;
	case '-':
		st->sub = N_MINUS;
		st->state = J_NUM;
		st->raw.len = 0;
		break;
	default:
		if (c >= '0' && c <= '9') {
			st->sub = c == '0' ? N_ZERO : N_INT;
			st->state = J_NUM;
			st->raw.len = 0;
			break;
		}
		if (c == '\'')
			return jfail(st, err, "single-quoted JSON string", at, 400);
		if (c == '/')
			return jfail(st, err, "comment in JSON", at, 400);
		if (f && (c == ']' || c == '}'))
			return jfail(st, err, "trailing comma or missing JSON value", at, 400);
		return jfail(st, err, "unexpected byte in JSON", at, 400);
	}
	if (buf_byte(st->a, &st->raw, (char)c) < 0)
		return jfail(st, err, E_ARENA, at, 413);
	return SK_OK;
}

/* One byte of a number; returns 1 if `c` is not part of it (not consumed). */
static int num_step(json_state *st, sk_error *err, size_t at, unsigned char c, int *done)
{
	int digit = c >= '0' && c <= '9';
	uint8_t s = st->sub;
	*done = 0;
	if (digit) {
		if (s == N_ZERO)
			return jfail(st, err, "leading zero in JSON number", at, 400);
		st->sub = s == N_MINUS ? (c == '0' ? N_ZERO : N_INT)
			: s == N_DOT ? N_FRAC
			: (s == N_E || s == N_ESIGN) ? N_EXP : s;
	} else if (c == '.' && (s == N_ZERO || s == N_INT)) {
		st->sub = N_DOT;
	} else if ((c == 'e' || c == 'E') && (s == N_ZERO || s == N_INT || s == N_FRAC)) {
		st->sub = N_E;
	} else if ((c == '+' || c == '-') && s == N_E) {
		st->sub = N_ESIGN;
	} else {
		*done = 1;
		return num_end(st, err, at);
	}
	if (st->raw.len >= st->lim->max_body_inspect)
		return jfail(st, err, "JSON number too long", at, 413);
	if (buf_byte(st->a, &st->raw, (char)c) < 0)
		return jfail(st, err, E_ARENA, at, 413);
	return SK_OK;
}

/* Bytes of a string up to the next quote, backslash or control byte. */
static size_t str_run(json_state *st, const char *p, size_t i, size_t n)
{
	size_t j = i;
	while (j < n) {
		unsigned char c = (unsigned char)p[j];
		if (c < 0x80) {
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			if (st->u8need)
				u8_bad(st);
			if (c == 0x7f)
				st->sflags |= TF_CTL;
		} else {
			u8_step(st, c);
		}
		j++;
	}
	return j;
}

int json_feed(json_state *st, const char *p, size_t n, sk_error *err)
{
	if (st->failed) {
		if (err)
			*err = st->err;
		return SK_ERR;
	}
	arena *a = st->a;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t at = st->off + i;
		switch ((enum jstate)st->state) {
		case J_VALUE:
		case J_ARR_FIRST:
			if (is_ws(c))
				break;
			if (c == ']' && st->state == J_ARR_FIRST) {
				if (pop(st, err, at, c) < 0)
					return SK_ERR;
				break;
			}
			if (value_begin(st, err, at, c) < 0)
				return SK_ERR;
			break;
		case J_OBJ_FIRST:
		case J_OBJ_KEY:
			if (is_ws(c))
				break;
			if (c == '"') {
				str_begin(st, 1);
				if (buf_byte(a, &st->raw, '"') < 0)
					return jfail(st, err, E_ARENA, at, 413);
				break;
			}
			if (c == '}' && st->state == J_OBJ_FIRST) {
				if (pop(st, err, at, c) < 0)
					return SK_ERR;
				break;
			}
			return jfail(st, err,
				     c == '}' ? "trailing comma in JSON object"
				     : c == '\'' ? "single-quoted JSON string"
				     : c == '/' ? "comment in JSON" : "JSON object key must be a string",
				     at, 400);
		case J_COLON:
			if (is_ws(c))
				break;
			if (c != ':')
				return jfail(st, err, "expected ':' after JSON key", at, 400);
			st->state = J_VALUE;
			break;
		case J_AFTER:
			if (is_ws(c))
				break;
			if (c == ',') {
				st->state = top(st)->is_obj ? J_OBJ_KEY : J_VALUE;
				break;
			}
			if (c == ']' || c == '}') {
				if (pop(st, err, at, c) < 0)
					return SK_ERR;
				break;
			}
			return jfail(st, err, c == '/' ? "comment in JSON" : "expected ',' or a closing bracket",
				     at, 400);
		case J_DONE:
			if (!is_ws(c))
				return jfail(st, err, "trailing data after JSON value", at, 400);
			break;
		case J_STRING: {
			if (st->hi_sur && c != '\\' && flush_hi(st) < 0)
				return jfail(st, err, E_ARENA, at, 413);
			size_t j = str_run(st, p, i, n);
			if (j > i) {
				if (buf_put(a, &st->raw, p + i, j - i) < 0 || buf_put(a, &st->val, p + i, j - i) < 0)
					return jfail(st, err, E_ARENA, at, 413);
				if (st->raw.len - 1 > st->lim->max_body_inspect)
					return jfail(st, err, "JSON string too long", at, 413);
				i = j;
				continue;
			}
			if (c < 0x20)
				return jfail(st, err, "control character in JSON string", at, 400);
			if (st->u8need)
				u8_bad(st);
			if (buf_byte(a, &st->raw, (char)c) < 0)
				return jfail(st, err, E_ARENA, at, 413);
			if (c == '\\') {
				st->state = J_ESC;
				break;
			}
			if (str_end(st, err, at) < 0) /* the closing quote */
				return SK_ERR;
			break;
		}
		case J_ESC: {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			if (buf_byte(a, &st->raw, (char)c) < 0)
				return jfail(st, err, E_ARENA, at, 413);
			if (st->raw.len - 1 > st->lim->max_body_inspect)
				return jfail(st, err, "JSON string too long", at, 413);
			if (c == 'u') {
				st->uhex = 0;
				st->ucp = 0;
				st->state = J_UHEX;
				break;
			}
			const char *hit = c ? memchr(from, c, sizeof(from) - 1) : NULL;
			if (!hit)
				return jfail(st, err, "bad escape in JSON string", at, 400);
			if (put_escape_cp(st, (unsigned char)to[hit - from]) < 0)
				return jfail(st, err, E_ARENA, at, 413);
			st->state = J_STRING;
			break;
		}
		case J_UHEX: {
			int h = sk_hexval(c);
			if (h < 0)
				return jfail(st, err, "bad \\u escape in JSON string", at, 400);
			if (buf_byte(a, &st->raw, (char)c) < 0)
				return jfail(st, err, E_ARENA, at, 413);
			if (st->raw.len - 1 > st->lim->max_body_inspect)
				return jfail(st, err, "JSON string too long", at, 413);
			st->ucp = st->ucp * 16 + (uint32_t)h;
			if (++st->uhex == 4) {
				if (put_escape_cp(st, st->ucp) < 0)
					return jfail(st, err, E_ARENA, at, 413);
				st->state = J_STRING;
			}
			break;
		}
		case J_NUM: {
			int done;
			if (num_step(st, err, at, c, &done) < 0)
				return SK_ERR;
			if (done)
				continue; /* look at `c` again in the new state */
			break;
		}
		case J_LIT:
			if (c != (unsigned char)lit_text[st->lit][st->sub])
				return jfail(st, err, "bad JSON literal", at, 400);
			if (++st->sub == lit_len[st->lit]) {
				sk_slice raw = sk_slice_make(lit_text[st->lit], lit_len[st->lit]);
				if (emit_target(st, err, at, LOC_JSON, st->path.len, raw, NULL, 0,
						inherited(st)) < 0)
					return SK_ERR;
				after_value(st);
			}
			break;
		}
		i++;
	}
	st->off += n;
	return SK_OK;
}

int json_finish(json_state *st, sk_error *err)
{
	if (st->failed) {
		if (err)
			*err = st->err;
		return SK_ERR;
	}
	if (st->state == J_NUM && st->depth == 0 && num_end(st, err, st->off) < 0)
		return SK_ERR;
	if (st->state == J_DONE)
		return SK_OK;
	if (st->state == J_VALUE && st->depth == 0)
		return jfail(st, err, "empty JSON document", st->off, 400);
	return jfail(st, err, "truncated JSON document", st->off, 400);
}
