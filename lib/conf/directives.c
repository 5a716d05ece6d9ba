/* directives.c - every config key, one row each (STYLE.md practice 10).
 *
 * To add a key: add a field to sk_config (include/sekisho/config.h) and a
 * row here; parsing, the default, range checks and `sekisho config doc`
 * (docs/config.md) follow from the row. Rows of a section come after the
 * section's own row. Defaults are written as YAML and go through the same
 * parser as the file, so the documented default is the applied one.
 */
#include <stddef.h>

#include "conf_int.h"

#define OFF(f) offsetof(sk_config, f)
#define KiB 1024LL
#define MiB (1024LL * 1024)
#define GiB (1024LL * 1024 * 1024)
#define SEC 1000LL
#define HOUR (3600LL * 1000)

static const char *const modes[] = { "block", "monitor", NULL };
static const char *const body_policies[] = { "reject", "pass", NULL };
static const char *const unknown_choices[] = { "allow", "deny", NULL };

const conf_directive conf_directives[] = {
	{ "listen", CT_LISTENS, "0.0.0.0:8080", 0, 64, OFF(listen), OFF(nlisten), NULL,
	  "Plain-HTTP listeners: one \"IP:PORT\" or a list ([::]:8080 for IPv6). [] for none (then tls.listen is needed)." },
	{ "upstream", CT_UPSTREAM, "\"\"", 0, 0, OFF(upstream), 0, NULL,
	  "The application: \"http://HOST:PORT\" (a DNS name or an IP). Required by the proxy. https upstreams come later." },
	{ "workers", CT_UINT, "0", 0, 1024, OFF(workers), 0, NULL,
	  "Worker threads; 0 = one per core." },
	{ "user", CT_USER, "\"\"", 0, 0, OFF(user), 0, NULL,
	  "Drop privileges to this user after binding when started as root; \"\" = nobody." },

	{ "tls", CT_SECTION, NULL, 0, 0, 0, 0, NULL, "TLS termination." },
	{ "tls.listen", CT_LISTENS, "[]", 0, 64, OFF(tls.listen), OFF(tls.nlisten), NULL,
	  "HTTPS listeners, like listen. Needs at least one certificate." },
	{ "tls.certificates", CT_CERTS, "[]", 0, 256, OFF(tls.certs), OFF(tls.ncerts), NULL,
	  "List of {cert: PATH, key: PATH} (PEM). The first is the default; the others are chosen by SNI." },
	{ "tls.redirect_http", CT_BOOL, "false", 0, 0, OFF(tls.redirect_http), 0, NULL,
	  "Plain listeners answer every request with 301 to https. Needs tls.listen." },

	{ "limits", CT_SECTION, NULL, 0, 0, 0, 0, NULL, "Request size limits (include/sekisho/limits.h says why each default)." },
	{ "limits.max_request_line", CT_SIZE, "8192", 256, MiB, OFF(limits.max_request_line), 0, NULL,
	  "Longest request line (414 past it). At most limits.max_head." },
	{ "limits.max_header_line", CT_SIZE, "8192", 256, MiB, OFF(limits.max_header_line), 0, NULL,
	  "Longest header field line (431 past it). At most limits.max_head." },
	{ "limits.max_head", CT_SIZE, "32768", KiB, 16 * MiB, OFF(limits.max_head), 0, NULL,
	  "Whole request head (431 past it)." },
	{ "limits.max_headers", CT_COUNT, "100", 1, 10000, OFF(limits.max_headers), 0, NULL,
	  "Header fields per request (431 past it)." },
	{ "limits.max_body_inspect", CT_SIZE, "1MiB", KiB, GiB, OFF(limits.max_body_inspect), 0, NULL,
	  "Request body bytes buffered and inspected." },
	{ "limits.body_over_limit", CT_ENUM, "reject", 0, 0, OFF(body_over_limit), 0, body_policies,
	  "A larger body: reject (413) or pass (forward the rest uninspected, with an event)." },
	{ "limits.max_targets", CT_COUNT, "2000", 10, 100000, OFF(limits.max_targets), 0, NULL,
	  "Inspected values per request (arguments, headers, cookies, fields); more is refused with 413." },
	{ "limits.max_connections", CT_COUNT, "10000", 1, 1000000, OFF(max_connections), 0, NULL,
	  "Open client connections, all workers together." },

	{ "timeouts", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Durations: a number of seconds or \"500ms\", \"30s\", \"2m\", \"1h\"." },
	{ "timeouts.header", CT_MS, "10s", 100, HOUR, OFF(timeouts.header), 0, NULL,
	  "Time to receive the whole request head (slowloris)." },
	{ "timeouts.body", CT_MS, "30s", 100, HOUR, OFF(timeouts.body), 0, NULL,
	  "Time to receive the whole request body." },
	{ "timeouts.upstream_connect", CT_MS, "3s", 100, HOUR, OFF(timeouts.upstream_connect), 0, NULL,
	  "Time to connect to the upstream (502 past it)." },
	{ "timeouts.upstream_response", CT_MS, "30s", 100, HOUR, OFF(timeouts.upstream_response), 0, NULL,
	  "Time for the upstream to send its response head (504 past it)." },
	{ "timeouts.keepalive", CT_MS, "60s", 0, HOUR, OFF(timeouts.keepalive), 0, NULL,
	  "Idle time of a client connection between requests; 0 = no keep-alive." },

	{ "detection", CT_SECTION, NULL, 0, 0, 0, 0, NULL, "The detection engine." },
	{ "detection.mode", CT_ENUM, "block", 0, 0, OFF(detection.mode), 0, modes,
	  "block: refuse requests that reach the threshold; monitor: only log them." },
	{ "detection.paranoia", CT_INT, "1", 1, 3, OFF(detection.paranoia), 0, NULL,
	  "1 to 3: higher levels switch on more sensitive (and more false-positive prone) checks." },
	{ "detection.threshold", CT_INT, "5", 1, 1000, OFF(detection.threshold), 0, NULL,
	  "Anomaly score at which a request is blocked." },
	{ "detection.block_status", CT_INT, "403", 400, 599, OFF(detection.block_status), 0, NULL,
	  "HTTP status of a blocked request." },
	{ "detection.rules", CT_STRING, "\"\"", 0, 0, OFF(detection.rules), 0, NULL,
	  "Path of a rules file (user rules and virtual patches, docs/rules.md); \"\" = none." },
	{ "detection.exceptions", CT_EXCEPTIONS, "[]", 0, 1000, OFF(detection.exceptions), OFF(detection.nexceptions),
	  NULL,
	  "List of {detector: NAME or \"*\", path: PREFIX, param: NAME}: the detector is not applied to that "
	  "parameter under that path prefix (path and param are optional)." },
	{ "detection.paths", CT_PATHS, "[]", 0, 1000, OFF(detection.paths), OFF(detection.npaths), NULL,
	  "List of {prefix: /api/, mode: block|monitor|off}: a different mode under a path prefix (the longest "
	  "prefix wins)." },

	{ "trusted_proxies", CT_CIDRS, "[]", 0, 1024, OFF(trusted_proxies), OFF(ntrusted_proxies), NULL,
	  "CIDRs (\"10.0.0.0/8\", \"2001:db8::/32\") whose X-Forwarded-For / X-Real-IP are believed." },

	{ "access", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Who may connect: address and country allow/deny lists, for the whole site and per path prefix. "
	  "Within one rule: an address in deny is refused; else an address in allow is admitted; else a country "
	  "in countries_deny is refused; else, when allow or countries_allow is not empty, only what they list "
	  "(either one) is admitted. Addresses beat countries, deny beats allow. A request must pass the global "
	  "rule and the longest matching access.paths rule. Denied requests get access.status and an "
	  "access_denied event." },
	{ "access.allow", CT_CIDRS, "[]", 0, 10000, OFF(access.global.allow), OFF(access.global.nallow), NULL,
	  "CIDRs admitted. Not empty: only these (and countries_allow) reach the site." },
	{ "access.deny", CT_CIDRS, "[]", 0, 10000, OFF(access.global.deny), OFF(access.global.ndeny), NULL,
	  "CIDRs refused, even when allow or countries_allow lists them too." },
	{ "access.countries_allow", CT_COUNTRIES, "[]", 0, 300, OFF(access.global.countries_allow),
	  OFF(access.global.ncountries_allow), NULL,
	  "ISO 3166-1 alpha-2 codes (JP, US) admitted. Not empty: only these countries (and allow). Needs "
	  "access.geoip_db." },
	{ "access.countries_deny", CT_COUNTRIES, "[]", 0, 300, OFF(access.global.countries_deny),
	  OFF(access.global.ncountries_deny), NULL,
	  "Country codes refused, unless the address is in allow. Needs access.geoip_db." },
	{ "access.unknown_country", CT_ENUM, "allow", 0, 0, OFF(access.unknown_country), 0, unknown_choices,
	  "An address the database does not know (private ranges, loopback): allow = it passes country lists; "
	  "deny = it is refused wherever a country list applies (unless an allow CIDR lists it)." },
	{ "access.geoip_db", CT_STRING, "\"\"", 0, 0, OFF(access.geoip_db), 0, NULL,
	  "Path of a MaxMind-format country database (.mmdb: GeoLite2-Country, GeoIP2-Country, DB-IP); read at "
	  "start and on SIGHUP (a bad file keeps the running one). \"\" = none." },
	{ "access.status", CT_INT, "403", 400, 599, OFF(access.status), 0, NULL,
	  "HTTP status of a denied request." },
	{ "access.at_accept", CT_BOOL, "false", 0, 0, OFF(access.at_accept), 0, NULL,
	  "Close connections the global rule refuses as soon as they are accepted, without an HTTP answer "
	  "(cheaper under a flood). Ignored when trusted_proxies is set (the client is then known only from "
	  "the request)." },
	{ "access.paths", CT_ACCESS_PATHS, "[]", 0, 1000, OFF(access.paths), OFF(access.npaths), NULL,
	  "List of {prefix: /admin/, allow: [CIDRs], deny: [CIDRs], countries_allow: [codes], countries_deny: "
	  "[codes]}: a rule for paths under a prefix (the longest prefix wins; matched case-insensitively "
	  "against the decoded, normalised path). It narrows the global rule, never widens it." },

	{ "headers", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Security headers added to responses when the upstream did not set them; false disables one." },
	{ "headers.hsts", CT_HEADER, "\"max-age=31536000\"", 0, 0, OFF(headers.hsts), 0, NULL,
	  "Strict-Transport-Security, on TLS connections only." },
	{ "headers.content_type_options", CT_BOOL, "true", 0, 0, OFF(headers.content_type_options), 0, NULL,
	  "X-Content-Type-Options: nosniff." },
	{ "headers.frame_options", CT_HEADER, "\"SAMEORIGIN\"", 0, 0, OFF(headers.frame_options), 0, NULL,
	  "X-Frame-Options." },
	{ "headers.referrer_policy", CT_HEADER, "\"strict-origin-when-cross-origin\"", 0, 0, OFF(headers.referrer_policy),
	  0, NULL, "Referrer-Policy." },

	{ "log", CT_SECTION, NULL, 0, 0, 0, 0, NULL, "Events (one JSON line each)." },
	{ "log.events", CT_SINKS, "stderr", 0, 16, OFF(log.events), OFF(log.nevents), NULL,
	  "Where events go: \"stderr\", \"stdout\", \"syslog\", a file path (containing '/') or an http:// webhook "
	  "URL; a list for several." },
	{ "log.access", CT_BOOL, "false", 0, 0, OFF(log.access), 0, NULL,
	  "Also log every request, not only flagged ones." },

	{ "admin", CT_SECTION, NULL, 0, 0, 0, 0, NULL, "Metrics (Prometheus text) and health." },
	{ "admin.listen", CT_LISTEN, "127.0.0.1:9090", 0, 0, OFF(admin.listen), OFF(admin.enabled), NULL,
	  "\"IP:PORT\" of the admin listener; \"\" disables it." },
};

_Static_assert(sizeof(conf_directives) / sizeof(conf_directives[0]) <= CONF_MAX_DIRECTIVES,
	       "raise CONF_MAX_DIRECTIVES");

const size_t conf_ndirectives = sizeof(conf_directives) / sizeof(conf_directives[0]);
