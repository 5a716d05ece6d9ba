/* rules.h - user rules and virtual patches.
 *
 * One rule per line; '#' starts a comment:
 *
 *   ID  SELECTOR  [!]OPERATOR  ARGUMENT  [action=block|log|allow] [score=N] [msg="text"]
 *
 *   900100 header:Content-Type contains "%{"   msg="Struts2 OGNL in Content-Type"
 *   900101 path prefix /wp-admin/install.php   msg="installer must not be reachable"
 *   900102 query:id !regex "^[0-9]{1,9}$"      msg="id must be numeric"
 *   900103 ip ip-in 192.0.2.0/24,2001:db8::/32 action=block
 *   900104 path prefix /healthz                action=allow
 *
 * SELECTOR: any | path | method | query[:NAME] | form[:NAME] | args[:NAME]
 *   (query, form, multipart and JSON values) | header[:NAME] | cookie[:NAME]
 *   | json[:PATH] | xml[:NAME] | filename | body | ip (the client address).
 * OPERATOR: contains, equals, prefix, suffix (ASCII case-insensitive), regex
 *   (PCRE2 syntax, case-sensitive unless (?i)), ip-in (comma-separated
 *   CIDRs). A leading '!' negates: the rule matches a selected value that
 *   does NOT match (a value must be present).
 * ARGUMENT: a bare word, or a double-quoted string with \" and \\ escapes.
 * action=block (default) adds `score` (default 5) to the request's score;
 * log records the match with score 0; allow makes the request pass whatever
 * else matched. Rules see the decoded values of the inspection view.
 *
 * The ruleset compiles once and is immutable; Vectorscan scans each value
 * once for all contains/regex rules (regexes in prefilter mode) and PCRE2
 * confirms, so hundreds of rules cost about one pass per value. Each worker
 * thread needs its own rules_scratch.
 */
#ifndef SEKISHO_RULES_H
#define SEKISHO_RULES_H

#include <stddef.h>

#include "sekisho/addr.h"
#include "sekisho/http.h"
#include "sekisho/view.h"

struct verdict;
typedef struct ruleset ruleset;
typedef struct rules_scratch rules_scratch;

/* Compile rules from `text`. On error returns NULL and writes
 * "FILENAME:LINE: message" into errbuf. An empty text gives an empty
 * ruleset. */
ruleset *ruleset_compile(const char *text, size_t len, const char *filename, char *errbuf, size_t errlen);
void ruleset_free(ruleset *rs);
size_t ruleset_count(const ruleset *rs);

rules_scratch *rules_scratch_new(const ruleset *rs);
void rules_scratch_free(rules_scratch *s);

enum { RULES_NONE = 0, RULES_ALLOW = 1 };

/* Apply the rules to a request. Matches are added to `out`. `client` may be
 * NULL (ip rules then never match). Returns RULES_ALLOW when an allow rule
 * matched, else RULES_NONE. */
int ruleset_apply(const ruleset *rs, rules_scratch *s, const http_request *req, const http_view *v,
		  const sk_addr *client, struct verdict *out);

#endif
