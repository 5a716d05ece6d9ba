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
	  "Durations: a number of seconds or \"500ms\", \"30s\", \"2m\", \"1h\", \"7d\"." },
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

	{ "admin", CT_SECTION, NULL, 0, 0, 0, 0, NULL, "Metrics (Prometheus text), health and the ban API (docs/bans.md)." },
	{ "admin.listen", CT_LISTEN, "127.0.0.1:9090", 0, 0, OFF(admin.listen), OFF(admin.enabled), NULL,
	  "\"IP:PORT\" of the admin listener; \"\" disables it." },
	{ "admin.token", CT_STRING, "\"\"", 0, 0, OFF(admin.token), 0, NULL,
	  "When set (16 to 256 visible ASCII characters), the ban endpoints (GET/POST/DELETE /bans) need "
	  "\"Authorization: Bearer TOKEN\"; `sekisho ban -c FILE` reads it from here. When \"\", the ban endpoints "
	  "answer loopback peers only and read-only endpoints stay open. Keep this file private." },

	{ "login", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Login protection: outcome-aware failure counting per source, account, source+account and network, "
	  "credential-stuffing signals, progressive delay, account lock against new sources, bans (docs/login.md). "
	  "Counts are failures in login.window; 0 switches a threshold off." },
	{ "login.endpoints", CT_LOGINS, "[]", 0, 16, OFF(login.endpoints), OFF(login.nendpoints), NULL,
	  "List of {path: /login, method: POST, username: FIELD, ...}: the login forms. username is a form or "
	  "multipart field name or a JSON path (user.email). How a failure shows (one at least): fail_status "
	  "(e.g. 401), fail_location (a redirect whose Location contains this text), fail_body (the response body "
	  "contains this text), success_cookie (the response does not set this cookie)." },
	{ "login.window", CT_MS, "10m", SEC, 24 * HOUR, OFF(login.window), 0, NULL,
	  "The sliding window failures are counted in." },
	{ "login.delay_after", CT_UINT, "5", 0, 1000000, OFF(login.delay_after), 0, NULL,
	  "Failures from one source before its attempts are delayed." },
	{ "login.pair_delay_after", CT_UINT, "3", 0, 1000000, OFF(login.pair_delay_after), 0, NULL,
	  "Failures of one source on one account before its attempts are delayed (so one or two typos cost nothing)." },
	{ "login.net_delay_after", CT_UINT, "30", 0, 1000000, OFF(login.net_delay_after), 0, NULL,
	  "Failures from one /24 (IPv4) or /64 (IPv6) before attempts from it are delayed." },
	{ "login.delay_base", CT_MS, "500ms", 1, 60 * SEC, OFF(login.delay_base), 0, NULL,
	  "The first delay; it doubles with each further failure." },
	{ "login.delay_max", CT_MS, "10s", 1, 10 * 60 * SEC, OFF(login.delay_max), 0, NULL,
	  "The longest delay." },
	{ "login.ban_after", CT_UINT, "20", 0, 1000000, OFF(login.ban_after), 0, NULL,
	  "Failures from one source that get it banned for login.ban_ttl (every request refused)." },
	{ "login.ban_ttl", CT_MS, "15m", SEC, 7 * 24 * HOUR, OFF(login.ban_ttl), 0, NULL,
	  "How long a banned source stays banned." },
	{ "login.lock_after", CT_UINT, "10", 0, 1000000, OFF(login.lock_after), 0, NULL,
	  "Failures on one account that lock it against sources that never logged into it, for login.lock_ttl. "
	  "Sources it logged in from before keep working, so the owner is not locked out." },
	{ "login.lock_ttl", CT_MS, "15m", SEC, 7 * 24 * HOUR, OFF(login.lock_ttl), 0, NULL,
	  "How long an account lock lasts." },
	{ "login.accounts_per_source", CT_UINT, "10", 0, 1000000, OFF(login.accounts_per_source), 0, NULL,
	  "Distinct accounts one source may try, mostly failing, before it is banned (credential stuffing)." },
	{ "login.sources_per_account", CT_UINT, "10", 0, 1000000, OFF(login.sources_per_account), 0, NULL,
	  "Distinct sources one account may be tried from, mostly failing, before it is locked." },
	{ "login.wave_min_failures", CT_UINT, "30", 0, 1000000, OFF(login.wave_min_failures), 0, NULL,
	  "Failures in the last minute (all sources) before a stuffing wave can be declared." },
	{ "login.wave_percent", CT_UINT, "50", 1, 100, OFF(login.wave_percent), 0, NULL,
	  "Failure ratio (%) of the last minute a wave needs at least..." },
	{ "login.wave_factor", CT_UINT, "3", 1, 100, OFF(login.wave_factor), 0, NULL,
	  "...and at least this many times the ratio of the rest of the hour (the baseline); never more than 90%." },
	{ "login.wave_delay", CT_MS, "2s", 0, 60 * SEC, OFF(login.wave_delay), 0, NULL,
	  "During a wave, every attempt from a source that never logged into the account waits this long." },
	{ "login.known_window", CT_MS, "7d", HOUR, 7 * 24 * HOUR, OFF(login.known_window), 0, NULL,
	  "A successful login makes its source known for the account for this long." },
	{ "login.status", CT_INT, "429", 400, 599, OFF(login.status), 0, NULL,
	  "Status of a refused attempt (locked account); banned sources get 403." },

	{ "state", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Counters and bans for login protection. In-process by default; Redis to share them between proxies. "
	  "Read at start only (a reload keeps the running backend)." },
	{ "state.redis", CT_LISTEN, "\"\"", 0, 0, OFF(state.redis), OFF(state.redis_enabled), NULL,
	  "\"IP:PORT\" of a Redis server shared by several proxies; \"\" = in-process state. While Redis is "
	  "unreachable the proxy serves from in-process state, emits state_degraded and retries with backoff." },
	{ "state.redis_prefix", CT_STRING, "\"sekisho:\"", 0, 0, OFF(state.redis_prefix), 0, NULL,
	  "Prefix of every Redis key: 1 to 64 of A-Z a-z 0-9 : _ . -" },
	{ "state.redis_timeout", CT_MS, "50ms", 1, 10 * SEC, OFF(state.redis_timeout), 0, NULL,
	  "Longest wait for a Redis connect or reply before falling back to in-process state." },
	{ "state.max_keys", CT_COUNT, "100000", 16, 100000000, OFF(state.max_keys), 0, NULL,
	  "In-process counters (and, separately, bans) kept; the least recently used go first when full." },
	{ "state.ban_cache", CT_MS, "1s", 0, 60 * SEC, OFF(state.ban_cache), 0, NULL,
	  "With Redis: how long a worker reuses a \"not banned\" answer for an address (a ban set by another "
	  "proxy takes effect within this time). 0 = ask Redis on every request." },

	{ "bans", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Pushing bans to the kernel (docs/bans.md). Read at start only." },
	{ "bans.nftables", CT_BOOL, "false", 0, 0, OFF(bans.nftables), 0, NULL,
	  "Also put banned addresses and /24 or /64 networks into nftables sets so the kernel drops their "
	  "packets. Needs root at start (a helper keeps CAP_NET_ADMIN after the proxy drops privileges) and the "
	  "nft command." },
	{ "bans.nft_table", CT_STRING, "\"sekisho\"", 0, 0, OFF(bans.nft_table), 0, NULL,
	  "The nftables table (family inet) holding the sets banned4, banned6, banned4_net, banned6_net and the "
	  "input chain that drops them; created at start if missing. 1 to 32 of A-Z a-z 0-9 _" },
	{ "totp_gate", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "A second factor (TOTP, RFC 6238) in front of admin paths: the proxy serves a login page, checks the "
	  "code against the secrets of `sekisho totp enroll` and sets a signed session cookie. Off while paths is "
	  "empty. docs/totp.md." },
	{ "totp_gate.paths", CT_PREFIXES, "[]", 0, 64, OFF(totp_gate.paths), OFF(totp_gate.npaths), NULL,
	  "Path prefixes behind the gate, e.g. [/admin/]; matched by whole segments, case-insensitively, on the "
	  "decoded and normalised path. /.sekisho/totp is the gate's own login form." },
	{ "totp_gate.secrets", CT_STRING, "\"\"", 0, 0, OFF(totp_gate.secrets), 0, NULL,
	  "The secrets file of `sekisho totp enroll` (mode 0600). The proxy records each used code in it, so the "
	  "user it runs as (nobody when started as root; see user) must be able to read and write it and create "
	  "files in its directory." },
	{ "totp_gate.session_key_file", CT_STRING, "\"\"", 0, 0, OFF(totp_gate.session_key_file), 0, NULL,
	  "A file of 32 to 128 bytes (e.g. `head -c 32 /dev/urandom`), mode 0600, holding the key that signs "
	  "session cookies, so restarts and several proxies accept the same cookies. \"\" = a random key per "
	  "start (a restart logs everyone out)." },
	{ "totp_gate.session_ttl", CT_MS, "8h", 60 * SEC, 7 * 24 * HOUR, OFF(totp_gate.session_ttl), 0, NULL,
	  "How long a session cookie is valid after a correct code." },
	{ "totp_gate.cookie", CT_STRING, "\"sekisho_gate\"", 0, 0, OFF(totp_gate.cookie), 0, NULL,
	  "Name of the session cookie (a token: letters, digits, ! # $ % & ' * + - . ^ _ ` | ~). Removed from "
	  "the requests sent upstream." },
	{ "totp_gate.max_attempts", CT_UINT, "5", 1, 1000, OFF(totp_gate.max_attempts), 0, NULL,
	  "Wrong codes allowed per user and per source address within window; past it the login answers 429 "
	  "with Retry-After." },
	{ "totp_gate.window", CT_MS, "15m", 60 * SEC, 24 * HOUR, OFF(totp_gate.window), 0, NULL,
	  "The sliding window of max_attempts." },

	{ "password_policy", CT_SECTION, NULL, 0, 0, 0, 0, NULL,
	  "Refuse weak new passwords at sign-up and password-change endpoints before the application sees them. "
	  "Off while endpoints is empty. docs/password-policy.md." },
	{ "password_policy.endpoints", CT_PWFIELDS, "[]", 0, 64, OFF(password_policy.endpoints),
	  OFF(password_policy.nendpoints), NULL,
	  "List of {path: /signup, field: password}: the exact (normalised) path and the field with the new "
	  "password: a form or multipart field name, or a JSON path like user.password." },
	{ "password_policy.min_length", CT_COUNT, "8", 0, 1024, OFF(password_policy.min_length), 0, NULL,
	  "Fewest characters (UTF-8 characters, not bytes)." },
	{ "password_policy.list", CT_STRING, "\"\"", 0, 0, OFF(password_policy.list), 0, NULL,
	  "A file of breached or common passwords, one per line, compared byte for byte; \"\" = none. Loaded at "
	  "start and reload into 8 bytes per password (a million lines: 8 MB, well under a second)." },
	{ "password_policy.status", CT_INT, "422", 400, 499, OFF(password_policy.status), 0, NULL,
	  "HTTP status of a refused password." },
	{ "password_policy.message", CT_STRING, "\"Choose a longer password that is not on a list of common or "
	  "leaked passwords.\"", 0, 0, OFF(password_policy.message), 0, NULL,
	  "The message in the refusal (HTML page, or JSON {\"error\":\"password_policy\",\"message\":...} "
	  "for JSON requests)." },
};

_Static_assert(sizeof(conf_directives) / sizeof(conf_directives[0]) <= CONF_MAX_DIRECTIVES,
	       "raise CONF_MAX_DIRECTIVES");

const size_t conf_ndirectives = sizeof(conf_directives) / sizeof(conf_directives[0]);
