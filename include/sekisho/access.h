/* access.h - who may reach the site: address (CIDR) and country allow and
 * deny lists, globally and per path prefix. Pure: the caller looks up the
 * client's country (src/sys/geoip.c) and hands it in; nothing here does I/O.
 *
 * Rules compile once into an immutable access_rules (STYLE.md practice 5):
 * every CIDR list becomes a sorted array of disjoint address ranges, each
 * labelled with the most specific entry that covers it, so a lookup is a
 * binary search (O(log n), about 13 steps for 5,000 entries) that still
 * says which entry matched. Country lists are 26x26-bit maps.
 *
 * Precedence, within one rule (the global one, or one access.paths entry):
 *   1. the address is in `deny`                      -> denied
 *   2. the address is in `allow`                     -> admitted by this rule
 *   3. the country is in `countries_deny`            -> denied
 *      (an unknown country counts as denied here when unknown_country is
 *      deny and the rule has any country list)
 *   4. `allow` or `countries_allow` is not empty and the address matched
 *      neither (an unknown country passes countries_allow only when
 *      unknown_country is allow)                     -> denied
 *   5. otherwise                                     -> admitted
 * Addresses are more specific than countries, so an address entry beats a
 * country entry, and a deny beats an allow of the same kind.
 * A request must be admitted by the global rule AND by the access.paths
 * rule with the longest prefix matching its path (if any): a path rule can
 * narrow access, never widen what the global rule refused.
 */
#ifndef SEKISHO_ACCESS_H
#define SEKISHO_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/addr.h"
#include "sekisho/slice.h"

/* An ISO 3166-1 alpha-2 code as two upper-case ASCII letters, 'J' << 8 |
 * 'P'. 0 means unknown (not in the database, or no database). */
typedef uint16_t sk_country;
#define SK_COUNTRY(a, b) ((sk_country)((unsigned)(a) << 8 | (unsigned)(b)))
#define SK_COUNTRY_UNKNOWN ((sk_country)0)

/* Parse an assigned ISO 3166-1 alpha-2 code (the 249 of the standard, plus
 * XK, Kosovo, which MaxMind databases use), in either case: "jp" -> JP.
 * False for anything else ("UK", "EU", "J", "JPN"). */
bool country_parse(sk_slice s, sk_country *out);
/* Two letters and a NUL into out; "--" for unknown. */
void country_format(sk_country c, char out[3]);

/* One rule as the configuration gives it; compiled by access_compile, which
 * copies everything (the spec may be freed afterwards). */
typedef struct access_spec {
	const char *prefix;           /* path prefix ("/admin/"); NULL or "" for the global rule */
	const sk_cidr *allow;
	size_t nallow;
	const sk_cidr *deny;
	size_t ndeny;
	const sk_country *countries_allow;
	size_t ncountries_allow;
	const sk_country *countries_deny;
	size_t ncountries_deny;
} access_spec;

typedef struct access_rules access_rules;

/* Compile the global rule and the path rules. unknown_deny: how an address
 * the database does not know fares in country checks (see the top). Returns
 * NULL when out of memory. */
access_rules *access_compile(const access_spec *global, const access_spec *paths, size_t npaths,
			     bool unknown_deny);
void access_free(access_rules *r);
/* No list anywhere: every request is admitted (callers skip the check). */
bool access_empty(const access_rules *r);
/* Some rule has a country list: the caller must look the country up. */
bool access_uses_countries(const access_rules *r);

typedef enum access_reason {
	ACCESS_ADMITTED = 0,
	ACCESS_DENY_ADDRESS,  /* in a deny list */
	ACCESS_DENY_COUNTRY,  /* country in a countries_deny list */
	ACCESS_DENY_UNKNOWN,  /* unknown country, unknown_country: deny */
	ACCESS_NOT_ALLOWED,   /* allow lists set, the address matched none */
	ACCESS_NREASONS
} access_reason;

typedef struct access_result {
	access_reason reason;
	const char *prefix;   /* the deciding rule: NULL = global, else its access.paths prefix
	                       * (points into the rules; valid while they live) */
	bool has_cidr;        /* `cidr` is the entry that decided: the deny entry
	                       * that refused, or the allow entry that admitted */
	sk_cidr cidr;
	sk_country country;   /* as handed in */
} access_result;

/* Judge one client. `path` is the normalised request path (decoded, dot
 * segments resolved: what the upstream will route on); prefixes match it
 * ASCII case-insensitively, so /Admin/ cannot slip past a rule for /admin/.
 * A path with p == NULL applies the global rule alone (the path is not
 * known yet, e.g. when a connection is accepted). `country` is the
 * client's country or SK_COUNTRY_UNKNOWN. Returns true when admitted; `out`
 * (may be NULL) says why either way. */
bool access_check(const access_rules *r, const sk_addr *a, sk_slice path, sk_country country,
		  access_result *out);

/* "deny_address", "deny_country", "unknown_country", "not_allowed" ("admitted"). */
const char *access_reason_name(access_reason why);
/* The deciding rule as a config key with its entry, for events and logs:
 *   access.deny 203.0.113.0/24
 *   access.paths[/admin/].countries_deny CN
 *   access.paths[/admin/].allow,countries_allow (no match)
 *   access.unknown_country deny
 * NUL-terminated, cut to `cap`; returns the length written. */
size_t access_describe(const access_result *res, char *buf, size_t cap);

#endif
