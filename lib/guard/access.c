/* access.c - address and country allow/deny rules (include/sekisho/access.h).
 *
 * A CIDR list compiles into disjoint ranges over the 128-bit address space
 * (IPv4 lives at ::ffff:0:0/96, see addr.h). CIDR blocks are laminar: two
 * blocks are either disjoint or one contains the other. So a sweep over the
 * blocks sorted by start (outer before inner) with a stack of open blocks
 * cuts the space into at most 2n-1 ranges, each covered by exactly one
 * innermost block; a lookup is a binary search over the ranges and answers
 * with that block. The part of the ranges inside ::ffff:0:0/96 is kept
 * again as 32-bit keys, so the common IPv4 lookup searches a compact array
 * (a 5,000-entry list: 40 KB of keys instead of 160 KB).
 */
#include "sekisho/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* ---- countries ---- */

/* ISO 3166-1 alpha-2, the 249 assigned codes, and XK (Kosovo: user-assigned
 * in the standard, but MaxMind databases return it). */
static const char iso3166[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ "
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR "
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
	"HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP "
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY "
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM "
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

#define COUNTRY_BITS (26 * 26)
#define COUNTRY_BYTES ((COUNTRY_BITS + 7) / 8)

static int country_index(sk_country c)
{
	unsigned a = (unsigned)c >> 8, b = (unsigned)c & 0xff;
	if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
		return -1;
	return (int)((a - 'A') * 26 + (b - 'A'));
}

static char upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

bool country_parse(sk_slice s, sk_country *out)
{
	if (s.len != 2)
		return false;
	char a = upper(s.p[0]), b = upper(s.p[1]);
	for (size_t i = 0; i + 1 < sizeof(iso3166); i += 3) {
		if (iso3166[i] == a && iso3166[i + 1] == b) {
			*out = SK_COUNTRY(a, b);
			return true;
		}
	}
	return false;
}

void country_format(sk_country c, char out[3])
{
	if (country_index(c) < 0) {
		memcpy(out, "--", 3);
		return;
	}
	out[0] = (char)(c >> 8);
	out[1] = (char)(c & 0xff);
	out[2] = '\0';
}

/* ---- CIDR tables ---- */

typedef struct range {
	u128 lo, hi;
	uint32_t idx; /* into cidr_table.cidrs: the innermost block covering [lo, hi] */
} range;

typedef struct cidr_table {
	range *r;        /* sorted by lo, disjoint */
	u128 *lo;        /* r[i].lo: the search keys, apart from the rest */
	size_t n;
	uint32_t *lo4, *hi4, *idx4; /* the ranges clipped to ::ffff:0:0/96, as IPv4 */
	size_t n4;
	sk_cidr *cidrs;  /* sorted, duplicates removed, host bits cleared */
	size_t ncidrs;
} cidr_table;

#define V4_LO ((u128)0xffff << 32)
#define V4_HI (V4_LO | 0xffffffffu)

/* An address as the tables search it. */
typedef struct addr_key {
	u128 v;
	uint32_t v4;  /* low 32 bits, valid when mapped */
	bool mapped;  /* inside ::ffff:0:0/96 */
} addr_key;

static u128 addr_u128(const sk_addr *a)
{
	uint64_t hi, lo;
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	hi = __builtin_bswap64(hi);
	lo = __builtin_bswap64(lo);
#endif
	return (u128)hi << 64 | lo;
}

static u128 cidr_mask(unsigned bits)
{
	return bits == 0 ? 0 : ~(u128)0 << (128 - bits);
}

static u128 cidr_lo(const sk_cidr *c)
{
	return addr_u128(&c->addr) & cidr_mask(c->bits);
}

static u128 cidr_hi(const sk_cidr *c)
{
	return cidr_lo(c) | ~cidr_mask(c->bits);
}

static int cidr_order(const void *pa, const void *pb)
{
	const sk_cidr *a = pa, *b = pb;
	u128 la = cidr_lo(a), lb = cidr_lo(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	/* Same start: the wider block first, so it is open when the inner comes. */
	return a->bits < b->bits ? -1 : a->bits > b->bits ? 1 : 0;
}

static void emit(cidr_table *t, u128 lo, u128 hi, uint32_t idx)
{
	if (lo > hi)
		return;
	if (t->n && t->r[t->n - 1].idx == idx && t->r[t->n - 1].hi + 1 == lo) {
		t->r[t->n - 1].hi = hi;
		return;
	}
	t->r[t->n++] = (range){ lo, hi, idx };
}

static bool table_build(cidr_table *t, const sk_cidr *in, size_t n)
{
	memset(t, 0, sizeof(*t));
	if (n == 0)
		return true;
	t->cidrs = malloc(n * sizeof(*t->cidrs));
	t->r = malloc((2 * n) * sizeof(*t->r));
	if (!t->cidrs || !t->r)
		return false;
	for (size_t i = 0; i < n; i++) {
		t->cidrs[i] = in[i];
		if (t->cidrs[i].bits > 128)
			t->cidrs[i].bits = 128;
		/* Clear host bits: "10.1.2.3/8" covers 10.0.0.0/8. */
		u128 lo = cidr_lo(&t->cidrs[i]);
		for (int k = 15; k >= 0; k--, lo >>= 8)
			t->cidrs[i].addr.b[k] = (uint8_t)lo;
	}
	qsort(t->cidrs, n, sizeof(*t->cidrs), cidr_order);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || cidr_order(&t->cidrs[m - 1], &t->cidrs[i]) != 0)
			t->cidrs[m++] = t->cidrs[i];
	t->ncidrs = m;

	/* The sweep. `cursor` is the first address not yet given to a range;
	 * `done` is set once a range reached the top of the space (cursor
	 * would wrap). The stack holds nested open blocks: at most 129. */
	uint32_t stack[130];
	size_t depth = 0;
	u128 cursor = 0;
	bool done = false;
	for (size_t i = 0; i < m; i++) {
		u128 lo = cidr_lo(&t->cidrs[i]);
		while (depth && cidr_hi(&t->cidrs[stack[depth - 1]]) < lo) {
			u128 hi = cidr_hi(&t->cidrs[stack[depth - 1]]);
			emit(t, cursor, hi, stack[depth - 1]);
			cursor = hi + 1; /* hi < lo: no wrap */
			depth--;
		}
		if (depth && lo > cursor)
			emit(t, cursor, lo - 1, stack[depth - 1]);
		cursor = lo;
		stack[depth++] = (uint32_t)i;
	}
	while (depth) {
		u128 hi = cidr_hi(&t->cidrs[stack[depth - 1]]);
		if (!done)
			emit(t, cursor, hi, stack[depth - 1]);
		if (hi == ~(u128)0)
			done = true;
		cursor = hi + 1;
		depth--;
	}

	/* The search keys, and the IPv4 view. */
	t->lo = malloc(t->n * sizeof(*t->lo));
	t->lo4 = malloc(t->n * sizeof(*t->lo4));
	t->hi4 = malloc(t->n * sizeof(*t->hi4));
	t->idx4 = malloc(t->n * sizeof(*t->idx4));
	if (!t->lo || !t->lo4 || !t->hi4 || !t->idx4)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		const range *r = &t->r[i];
		t->lo[i] = r->lo;
		if (r->hi < V4_LO || r->lo > V4_HI)
			continue;
		t->lo4[t->n4] = (uint32_t)((r->lo > V4_LO ? r->lo : V4_LO) - V4_LO);
		t->hi4[t->n4] = (uint32_t)((r->hi < V4_HI ? r->hi : V4_HI) - V4_LO);
		t->idx4[t->n4++] = r->idx;
	}
	return true;
}

static void table_free(cidr_table *t)
{
	free(t->r);
	free(t->lo);
	free(t->lo4);
	free(t->hi4);
	free(t->idx4);
	free(t->cidrs);
}

/* The innermost block containing `a`, or NULL. Each search counts the keys
 * <= a (the answer is the range before that point); the halving loop has
 * no data-dependent branch but the compare, which compilers turn into a
 * conditional move. */
static const sk_cidr *table_find(const cidr_table *t, const addr_key *a)
{
	if (a->mapped) {
		const uint32_t *k = t->lo4;
		size_t base = 0, len = t->n4;
		while (len > 1) {
			size_t half = len / 2;
			base = k[base + half - 1] <= a->v4 ? base + half : base;
			len -= half;
		}
		size_t i = base + (len == 1 && k[base] <= a->v4); /* keys <= a */
		if (i == 0 || a->v4 > t->hi4[i - 1])
			return NULL;
		return &t->cidrs[t->idx4[i - 1]];
	}
	const u128 *k = t->lo;
	size_t base = 0, len = t->n;
	while (len > 1) {
		size_t half = len / 2;
		base = k[base + half - 1] <= a->v ? base + half : base;
		len -= half;
	}
	size_t i = base + (len == 1 && k[base] <= a->v);
	if (i == 0 || a->v > t->r[i - 1].hi)
		return NULL;
	return &t->cidrs[t->r[i - 1].idx];
}

/* ---- rules ---- */

typedef struct rule {
	char *prefix; /* NULL for the global rule */
	size_t prefix_len;
	cidr_table allow, deny;
	uint8_t callow[COUNTRY_BYTES], cdeny[COUNTRY_BYTES];
	bool has_callow, has_cdeny;
} rule;

struct access_rules {
	rule global;
	rule *paths; /* longest prefix first */
	size_t npaths;
	bool unknown_deny;
	bool uses_countries;
	bool empty;
};

static bool rule_empty(const rule *r)
{
	return !r->allow.ncidrs && !r->deny.ncidrs && !r->has_callow && !r->has_cdeny;
}

static void set_countries(uint8_t map[COUNTRY_BYTES], bool *has, const sk_country *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int k = country_index(c[i]);
		if (k >= 0) {
			map[k / 8] |= (uint8_t)(1u << (k % 8));
			*has = true;
		}
	}
}

static bool in_countries(const uint8_t map[COUNTRY_BYTES], sk_country c)
{
	int k = country_index(c);
	return k >= 0 && (map[k / 8] >> (k % 8) & 1);
}

static bool rule_build(rule *r, const access_spec *s)
{
	memset(r, 0, sizeof(*r));
	if (s->prefix && s->prefix[0]) {
		r->prefix_len = strlen(s->prefix);
		r->prefix = malloc(r->prefix_len + 1);
		if (!r->prefix)
			return false;
		memcpy(r->prefix, s->prefix, r->prefix_len + 1);
	}
	set_countries(r->callow, &r->has_callow, s->countries_allow, s->ncountries_allow);
	set_countries(r->cdeny, &r->has_cdeny, s->countries_deny, s->ncountries_deny);
	return table_build(&r->allow, s->allow, s->nallow) && table_build(&r->deny, s->deny, s->ndeny);
}

static void rule_free(rule *r)
{
	free(r->prefix);
	table_free(&r->allow);
	table_free(&r->deny);
}

static int longest_first(const void *pa, const void *pb)
{
	const rule *a = pa, *b = pb;
	return a->prefix_len > b->prefix_len ? -1 : a->prefix_len < b->prefix_len ? 1 : 0;
}

access_rules *access_compile(const access_spec *global, const access_spec *paths, size_t npaths,
			     bool unknown_deny)
{
	access_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->unknown_deny = unknown_deny;
	bool ok = rule_build(&r->global, global);
	r->paths = calloc(npaths ? npaths : 1, sizeof(*r->paths));
	ok = ok && r->paths;
	for (size_t i = 0; ok && i < npaths; i++) {
		ok = rule_build(&r->paths[r->npaths], &paths[i]);
		r->npaths++;
		/* A rule for "/" or "" says nothing more than the global one but
		 * is kept: its lists still apply to every path. */
	}
	if (!ok) {
		access_free(r);
		return NULL;
	}
	/* Stable enough: with equal lengths (the same prefix twice) the first
	 * one found wins, as with detection.paths; keep file order by using an
	 * insertion sort (a few hundred entries at most). */
	for (size_t i = 1; i < r->npaths; i++) {
		rule cur = r->paths[i];
		size_t j = i;
		while (j > 0 && longest_first(&r->paths[j - 1], &cur) > 0) {
			r->paths[j] = r->paths[j - 1];
			j--;
		}
		r->paths[j] = cur;
	}
	r->empty = rule_empty(&r->global);
	r->uses_countries = r->global.has_callow || r->global.has_cdeny;
	for (size_t i = 0; i < r->npaths; i++) {
		r->empty = r->empty && rule_empty(&r->paths[i]);
		r->uses_countries = r->uses_countries || r->paths[i].has_callow || r->paths[i].has_cdeny;
	}
	return r;
}

void access_free(access_rules *r)
{
	if (!r)
		return;
	rule_free(&r->global);
	for (size_t i = 0; i < r->npaths; i++)
		rule_free(&r->paths[i]);
	free(r->paths);
	free(r);
}

bool access_empty(const access_rules *r)
{
	return !r || r->empty;
}

bool access_uses_countries(const access_rules *r)
{
	return r && r->uses_countries;
}

/* One rule, in the order of the header's precedence list. */
static bool rule_admits(const rule *r, const addr_key *a, sk_country country, bool unknown_deny,
			access_result *res)
{
	const sk_cidr *hit = r->deny.n ? table_find(&r->deny, a) : NULL;
	if (hit) {
		res->reason = ACCESS_DENY_ADDRESS;
		res->has_cidr = true;
		res->cidr = *hit;
		return false;
	}
	hit = r->allow.n ? table_find(&r->allow, a) : NULL;
	if (hit) {
		res->has_cidr = true;
		res->cidr = *hit;
		return true;
	}
	bool known = country_index(country) >= 0;
	if (known && r->has_cdeny && in_countries(r->cdeny, country)) {
		res->reason = ACCESS_DENY_COUNTRY;
		return false;
	}
	if (!known && unknown_deny && (r->has_cdeny || r->has_callow)) {
		res->reason = ACCESS_DENY_UNKNOWN;
		return false;
	}
	if (r->has_callow && (known ? in_countries(r->callow, country) : !unknown_deny))
		return true;
	if (r->has_callow || r->allow.ncidrs) {
		res->reason = ACCESS_NOT_ALLOWED;
		return false;
	}
	return true;
}

static bool prefix_match(const rule *r, sk_slice path)
{
	if (path.len < r->prefix_len)
		return false;
	for (size_t i = 0; i < r->prefix_len; i++)
		if (upper(path.p[i]) != upper(r->prefix[i]))
			return false;
	return true;
}

bool access_check(const access_rules *r, const sk_addr *a, sk_slice path, sk_country country,
		  access_result *out)
{
	access_result tmp = { .reason = ACCESS_ADMITTED };
	access_result *res = out ? out : &tmp;
	memset(res, 0, sizeof(*res));
	res->country = country;
	if (access_empty(r))
		return true;
	addr_key k = { .v = addr_u128(a) };
	k.mapped = k.v >= V4_LO && k.v <= V4_HI;
	k.v4 = (uint32_t)k.v;
	if (!rule_admits(&r->global, &k, country, r->unknown_deny, res))
		return false;
	if (!path.p)
		return true;
	for (size_t i = 0; i < r->npaths; i++) {
		const rule *p = &r->paths[i];
		if (!prefix_match(p, path))
			continue;
		/* The global rule admitted; what the path rule says now decides. */
		memset(res, 0, sizeof(*res));
		res->country = country;
		res->prefix = p->prefix ? p->prefix : "";
		return rule_admits(p, &k, country, r->unknown_deny, res);
	}
	return true;
}

const char *access_reason_name(access_reason why)
{
	switch (why) {
	case ACCESS_ADMITTED: return "admitted";
	case ACCESS_DENY_ADDRESS: return "deny_address";
	case ACCESS_DENY_COUNTRY: return "deny_country";
	case ACCESS_DENY_UNKNOWN: return "unknown_country";
	case ACCESS_NOT_ALLOWED: return "not_allowed";
	case ACCESS_NREASONS: break;
	}
	return "?";
}

size_t access_describe(const access_result *res, char *buf, size_t cap)
{
	if (!cap)
		return 0;
	char scope[300], what[96] = "", cc[3];
	if (res->prefix)
		snprintf(scope, sizeof(scope), "access.paths[%.256s].", res->prefix);
	else
		snprintf(scope, sizeof(scope), "access.");
	if (res->has_cidr) {
		char t[64];
		addr_format(&res->cidr.addr, t, sizeof(t));
		/* Bits over the 128-bit form; IPv4 blocks are written as IPv4. */
		unsigned bits = res->cidr.bits;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (bits >= 96 && memcmp(res->cidr.addr.b, mapped, 12) == 0)
			bits -= 96;
		snprintf(what, sizeof(what), " %s/%u", t, bits);
	}
	country_format(res->country, cc);
	int n;
	switch (res->reason) {
	case ACCESS_DENY_ADDRESS:
		n = snprintf(buf, cap, "%sdeny%s", scope, what);
		break;
	case ACCESS_DENY_COUNTRY:
		n = snprintf(buf, cap, "%scountries_deny %s", scope, cc);
		break;
	case ACCESS_DENY_UNKNOWN:
		n = snprintf(buf, cap, "%scountries_* (unknown country, access.unknown_country: deny)", scope);
		break;
	case ACCESS_NOT_ALLOWED:
		n = snprintf(buf, cap, "%sallow,countries_allow (no match)", scope);
		break;
	default:
		n = res->has_cidr ? snprintf(buf, cap, "%sallow%s", scope, what) : snprintf(buf, cap, "admitted");
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
