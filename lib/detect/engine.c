/* engine.c - run detectors over the inspection view and decide. */
#include "sekisho/engine.h"

#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "sekisho/decode.h"
#include "sekisho/detectors.h"
#include "sekisho/rules.h"
#include "sekisho/siphash.h"

#define LOCBIT(l) (1u << (l))

/* Where each detector looks. Most attacks can sit in any value the
 * application reads, so the default is every value; a few detectors only
 * make sense in some places (scanner fingerprints live in the path and
 * headers), and file contents are only checked by detectors of document
 * formats, not by SQL or shell lexers that would read any CSV as code. */
#define LOCS_VALUES                                                                                             \
	(LOCBIT(LOC_PATH) | LOCBIT(LOC_PATH_SEGMENT) | LOCBIT(LOC_QUERY_STRING) | LOCBIT(LOC_QUERY_ARG) |          \
	 LOCBIT(LOC_QUERY_ARG_NAME) | LOCBIT(LOC_HEADER) | LOCBIT(LOC_COOKIE) | LOCBIT(LOC_COOKIE_NAME) |          \
	 LOCBIT(LOC_FORM) | LOCBIT(LOC_FORM_NAME) | LOCBIT(LOC_MULTIPART_FIELD) | LOCBIT(LOC_MULTIPART_FILENAME) | \
	 LOCBIT(LOC_MULTIPART_HEADER) | LOCBIT(LOC_JSON) | LOCBIT(LOC_JSON_KEY) | LOCBIT(LOC_XML) |               \
	 LOCBIT(LOC_XML_ATTR) | LOCBIT(LOC_XML_DECL) | LOCBIT(LOC_BODY_RAW))
#define LOCS_DOCUMENTS (LOCS_VALUES | LOCBIT(LOC_MULTIPART_FILE))

struct detector_policy {
	const char *name;
	unsigned locs;
};

static const struct detector_policy policies[] = {
	{ "scanner", LOCBIT(LOC_PATH) | LOCBIT(LOC_HEADER) },
	{ "xxe", LOCS_DOCUMENTS },
	{ "deser", LOCS_DOCUMENTS },
	{ "ognl", LOCS_DOCUMENTS },
	{ "jndi", LOCS_DOCUMENTS },
};

struct engine {
	engine_config cfg;
	engine_exception *exceptions;
	unsigned locs[32]; /* per detector_table row */
	size_t ndetectors;
};

/* The clean-value cache (engine_config.cache): 2-way set-associative
 * tables of 64-bit SipHash tags of (location, paranoia, name, value) on
 * which every applicable detector, decoded variants included, found
 * nothing. Only short values in places where values repeat from request
 * to request are worth a slot. Measured on the benign corpus with a cold
 * cache: header values hit 96% (User-Agent, Accept, ... are the same on
 * every request of a browser), paths 84%, multipart part headers 95%,
 * JSON keys 99%. Argument, field and cookie names repeat by nature.
 * Argument and field values are left out: they are the part of real
 * traffic that varies, and would push the header entries out.
 *
 * Cookie values have a table of their own. A browser sends the same
 * cookies with every request of a visit (pages and the assets they load):
 * consent and analytics cookies for months, a session id for the session.
 * They are also the dearest values of a typical request (a JSON-like
 * consent cookie passes the first test of most detectors). There are many
 * more of them than header values (ten or so per visitor): in a shared
 * table they would push out the header entries that hit on every request
 * of every visitor. Callgrind, instructions per request for view + engine
 * with the cache warm over the set (tools/visits.py makes the visits):
 * page views, each from a new visitor, 90k -> 77k; five page views per
 * visitor 91k -> 48k; the browser mix 75k -> 71k.
 *
 * A false hit needs a 64-bit tag collision under a secret key: about
 * 2^-50 per lookup with full tables, and nothing an attacker can aim at
 * without the key. */
#define CACHE_SETS 2048        /* 32 KB: headers, paths, names */
#define CACHE_COOKIE_SETS 8192 /* 128 KB: cookie values of about a thousand visitors */
#define CACHE_MAX_VALUE 512
#define CACHE_LOCS                                                                                       \
	(LOCBIT(LOC_PATH) | LOCBIT(LOC_HEADER) | LOCBIT(LOC_COOKIE_NAME) | LOCBIT(LOC_QUERY_ARG_NAME) |     \
	 LOCBIT(LOC_FORM_NAME) | LOCBIT(LOC_JSON_KEY) | LOCBIT(LOC_MULTIPART_HEADER) | LOCBIT(LOC_COOKIE))

struct engine_scratch {
	rules_scratch *rules;
	/* CACHE_SETS sets of two tags, then CACHE_COOKIE_SETS for cookie
	 * values; 0 is an empty slot; NULL: no cache */
	uint64_t (*clean)[2];
};

engine_scratch *engine_scratch_new(const engine *e)
{
	engine_scratch *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (e->cfg.rules && !(s->rules = rules_scratch_new(e->cfg.rules))) {
		free(s);
		return NULL;
	}
	if (e->cfg.cache && !(s->clean = calloc(CACHE_SETS + CACHE_COOKIE_SETS, sizeof(*s->clean)))) {
		rules_scratch_free(s->rules);
		free(s);
		return NULL;
	}
	return s;
}

void engine_scratch_free(engine_scratch *s)
{
	if (!s)
		return;
	rules_scratch_free(s->rules);
	free(s->clean);
	free(s);
}

/* The tag of a target: SipHash-1-3 over one word of loc, paranoia and
 * the name's length, the name padded with zeros to whole words, then the
 * value (an injective encoding: the length fixes where the name ends).
 * Whole words keep SipHash on its word loop instead of filling partial
 * words byte by byte. Never 0, which marks an empty slot. */
static uint64_t cache_tag(const engine *e, const target *t)
{
	uint64_t nl = t->name.len;
	uint64_t head = (uint64_t)t->loc | (uint64_t)(uint8_t)e->cfg.paranoia << 8 | (nl & 0xffffffffu) << 16;
	uint64_t h = siphash13_3(e->cfg.cache_key, head, t->name.p, t->name.len, t->value.p, t->value.len);
	return h ? h : 1;
}

/* The set of a tag: cookie values in their own table. */
static uint64_t *cache_set(const engine_scratch *s, const target *t, uint64_t tag)
{
	if (t->loc == LOC_COOKIE)
		return s->clean[CACHE_SETS + tag % CACHE_COOKIE_SETS];
	return s->clean[tag % CACHE_SETS];
}

static bool cache_has(const uint64_t *set, uint64_t tag)
{
	return set[0] == tag || set[1] == tag;
}

/* Insert as the newest of its set; the older of the two is dropped. */
static void cache_put(uint64_t *set, uint64_t tag)
{
	set[1] = set[0];
	set[0] = tag;
}

void engine_config_default(engine_config *c)
{
	memset(c, 0, sizeof(*c));
	c->paranoia = 1;
	c->threshold = DET_SCORE_CRITICAL;
}

engine *engine_new(const engine_config *c)
{
	engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *c;
	if (e->cfg.paranoia < 1)
		e->cfg.paranoia = 1;
	if (e->cfg.paranoia > 3)
		e->cfg.paranoia = 3;
	if (e->cfg.threshold < 1)
		e->cfg.threshold = DET_SCORE_CRITICAL;
	if (c->nexceptions) {
		e->exceptions = calloc(c->nexceptions, sizeof(*e->exceptions));
		if (!e->exceptions) {
			free(e);
			return NULL;
		}
		memcpy(e->exceptions, c->exceptions, c->nexceptions * sizeof(*e->exceptions));
	}
	e->cfg.exceptions = e->exceptions;
	for (const detector_def *d = detector_table; d->name && e->ndetectors < 32; d++) {
		unsigned locs = LOCS_VALUES;
		for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
			if (strcmp(policies[i].name, d->name) == 0)
				locs = policies[i].locs;
		e->locs[e->ndetectors++] = locs;
	}
	return e;
}

void engine_free(engine *e)
{
	if (!e)
		return;
	free(e->exceptions);
	free(e);
}

const engine_config *engine_get_config(const engine *e)
{
	return &e->cfg;
}

static bool name_eq(sk_slice name, const char *s)
{
	size_t n = strlen(s);
	return name.len == n && memcmp(name.p, s, n) == 0;
}

/* Is `what` (a detector name or rule id) excepted for this target? */
static bool excepted(const engine *e, const http_view *v, const char *what, sk_slice name)
{
	for (size_t i = 0; i < e->cfg.nexceptions; i++) {
		const engine_exception *x = &e->exceptions[i];
		if (strcmp(x->what, what) != 0 && strcmp(x->what, "*") != 0)
			continue;
		size_t pl = strlen(x->path_prefix);
		if (pl && (v->path_normalised.len < pl || memcmp(v->path_normalised.p, x->path_prefix, pl) != 0))
			continue;
		if (x->param[0] && !name_eq(name, x->param))
			continue;
		return true;
	}
	return false;
}

void verdict_add(verdict *out, const verdict_match *m)
{
	out->score += m->score;
	out->nfound++;
	if (out->nmatches < VERDICT_MAX_MATCHES)
		out->matches[out->nmatches++] = *m;
}

/* Run every applicable detector on one value. `hit_mask` collects which
 * detectors fired anywhere, so the whole query string is only used to find
 * what the single arguments did not show. Returns how many detectors
 * fired, counting those an exception then removed. */
static unsigned inspect_value(const engine *e, const http_view *v, const target *t, sk_slice value,
			  bool decoded_variant, unsigned skip_mask, unsigned *hit_mask, verdict *out)
{
	det_input in = { value, det_classes(value), t->name, (target_loc)t->loc, e->cfg.paranoia };
	unsigned fired = 0;
	for (size_t i = 0; i < e->ndetectors; i++) {
		if (!(e->locs[i] & LOCBIT(t->loc)) || (skip_mask & (1u << i)))
			continue;
		det_hit hit = { 0 };
		const detector_def *d = &detector_table[i];
		if (!d->fn(&in, &hit) || hit.score <= 0)
			continue;
		fired++;
		if (e->cfg.nexceptions && excepted(e, v, d->name, t->name))
			continue;
		size_t off = hit.off <= value.len ? hit.off : value.len;
		size_t len = hit.len <= value.len - off ? hit.len : value.len - off;
		verdict_match m = { d->name, hit.rule ? hit.rule : d->name, hit.score, (target_loc)t->loc, t->name,
				    sk_slice_make(value.p + off, len), decoded_variant };
		verdict_add(out, &m);
		/* Only a critical finding makes the whole-query check of this
		 * detector redundant; a weak one must not hide a stronger one. */
		if (hit.score >= DET_SCORE_CRITICAL)
			*hit_mask |= 1u << i;
	}
	return fired;
}

/* Values that are Base64 or hex of text are inspected decoded as well:
 * payloads are smuggled that way through fields the application decodes. */
static unsigned inspect_decoded_variants(const engine *e, const http_view *v, const target *t, arena *a,
					 unsigned *hit_mask, verdict *out)
{
	if (t->value.len < 8 || t->loc == LOC_MULTIPART_FILE || t->loc == LOC_BODY_RAW)
		return 0;
	sk_slice dec;
	if (decode_base64_text(a, t->value, &dec) || decode_hex_text(a, t->value, &dec))
		return inspect_value(e, v, t, dec, true, 0, hit_mask, out);
	return 0;
}

/* Inspect one target and its decoded variants, through the clean-value
 * cache where it applies. */
static void inspect_target(const engine *e, engine_scratch *s, const http_view *v, const target *t, arena *a,
			   unsigned *hit_mask, verdict *out)
{
	bool cacheable = s && s->clean && t->value.len <= CACHE_MAX_VALUE && (CACHE_LOCS & LOCBIT(t->loc));
	uint64_t tag = 0, *set = NULL;
	if (cacheable) {
		tag = cache_tag(e, t);
		set = cache_set(s, t, tag);
		if (cache_has(set, tag))
			return;
	}
	/* A variant skipped for want of arena was not inspected: the value is
	 * then not known to be clean. Decoding needs less than the value's
	 * length. */
	size_t room = arena_cap(a) > arena_used(a) ? arena_cap(a) - arena_used(a) : 0;
	unsigned fired = inspect_value(e, v, t, t->value, false, 0, hit_mask, out);
	fired += inspect_decoded_variants(e, v, t, a, hit_mask, out);
	if (cacheable && !fired && room > t->value.len + 64)
		cache_put(set, tag);
}

void engine_inspect(const engine *e, engine_scratch *s, const http_request *req, const http_view *v,
		    const sk_addr *client, arena *a, verdict *out)
{
	memset(out, 0, sizeof(*out));
	protocol_findings(req, v, e->cfg.paranoia, a, out);

	unsigned hit_mask = 0;
	const target *query_string = NULL;
	for (size_t i = 0; i < v->ntargets; i++) {
		const target *t = &v->targets[i];
		if (t->loc == LOC_METHOD)
			continue;
		if (t->loc == LOC_QUERY_STRING) {
			query_string = t;
			continue;
		}
		if (t->loc == LOC_MULTIPART_FILE && (t->flags & TF_BINARY))
			continue;
		inspect_target(e, s, v, t, a, &hit_mask, out);
	}
	/* The whole query string catches what splitting hides (e.g. a payload
	 * spread over several arguments), minus what was already found. */
	if (query_string)
		inspect_value(e, v, query_string, query_string->value, false, hit_mask, &hit_mask, out);

	if (e->cfg.rules && s && s->rules &&
	    ruleset_apply(e->cfg.rules, s->rules, req, v, client, out) == RULES_ALLOW)
		out->allowed = true;
	out->block = !out->allowed && out->score >= e->cfg.threshold;
}

void engine_verdict_malformed(verdict *out, const sk_error *err)
{
	memset(out, 0, sizeof(*out));
	verdict_match m = { "protocol", err->rule ? err->rule : "malformed request", DET_SCORE_CRITICAL,
			    LOC_METHOD, SK_SLICE_NULL, SK_SLICE_NULL, false };
	verdict_add(out, &m);
	out->block = true;
}
