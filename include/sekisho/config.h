/* config.h - sekisho.yaml parsed into one immutable struct.
 *
 * One YAML file configures the whole program; every key has a default, so a
 * minimal file names only the upstream. The keys, their types, defaults,
 * ranges and documentation are rows of one table (lib/conf/directives.c,
 * STYLE.md practice 10): parsing, defaults and docs/config.md all come from
 * it. `sekisho config doc` prints the reference.
 *
 * The parser is bounded because a config may come from a less trusted hand
 * (a deploy pipeline, a shared repository): documents over CONFIG_MAX_BYTES,
 * nesting deeper than CONFIG_MAX_DEPTH, more than CONFIG_MAX_NODES nodes,
 * anchors and aliases (billion laughs), tags and multiple documents are
 * refused. Unknown keys are errors (a typo must not silently do nothing), and
 * so are duplicate keys.
 *
 * The struct is immutable after config_parse and owns every string and array
 * it points to; they live until config_free. A reload parses a new config and
 * swaps a pointer.
 */
#ifndef SEKISHO_CONFIG_H
#define SEKISHO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/access.h"
#include "sekisho/addr.h"
#include "sekisho/engine.h"
#include "sekisho/limits.h"
#include "sekisho/login.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_DEPTH 16
#define CONFIG_MAX_NODES 10000

/* A listening address: an IP literal and a port. "0.0.0.0:8080",
 * "127.0.0.1:9090", "[::]:8080". Host names are refused (no DNS at config
 * time; a listener must not depend on a resolver). */
typedef struct sk_listen {
	sk_addr addr;     /* IPv4 stored IPv4-mapped with addr.v4 set (see addr.h) */
	uint16_t port;    /* 1..65535 */
	const char *text; /* as written, for logs: "[::]:8080" */
} sk_listen;

/* The upstream: "http://HOST[:PORT][/]". HOST is a DNS name, an IPv4
 * literal or a bracketed IPv6 literal. */
typedef struct sk_upstream {
	const char *url;  /* as written; NULL when the file names no upstream */
	const char *host; /* without brackets: "127.0.0.1", "app.internal", "::1" */
	uint16_t port;    /* 80 when omitted */
	bool host_is_addr;
	sk_addr addr;     /* valid when host_is_addr; otherwise the proxy resolves host */
} sk_upstream;

typedef struct sk_tls_cert {
	const char *cert; /* PEM certificate chain path */
	const char *key;  /* PEM private key path */
} sk_tls_cert;

typedef enum sk_mode {
	SK_MODE_BLOCK = 0,   /* block requests that reach the threshold */
	SK_MODE_MONITOR = 1, /* inspect and log, never block */
	SK_MODE_OFF = 2,     /* detection.paths only: do not inspect */
} sk_mode;

typedef struct sk_path_mode {
	const char *prefix; /* starts with '/' */
	sk_mode mode;
} sk_path_mode;

enum { SK_UNKNOWN_ALLOW = 0, SK_UNKNOWN_DENY = 1 };

typedef enum sk_body_policy {
	SK_BODY_REJECT = 0, /* 413 when the body is larger than limits.max_body_inspect */
	SK_BODY_PASS = 1,   /* forward the rest uninspected, with an event */
} sk_body_policy;

typedef enum sk_sink_kind {
	SK_SINK_STDERR = 0,
	SK_SINK_STDOUT,
	SK_SINK_FILE,    /* target: a path (contains '/') */
	SK_SINK_SYSLOG,
	SK_SINK_WEBHOOK, /* target: an http:// or https:// URL */
} sk_sink_kind;

typedef struct sk_sink {
	sk_sink_kind kind;
	const char *target; /* as written: "stderr", "/var/log/sekisho.jsonl", "http://..." */
} sk_sink;

/* A password-policy endpoint: the request path (exact, normalised) and the
 * field holding the new password: a form or multipart field name, or a
 * JSON path like "user.password" (lib/http/json.c naming). */
typedef struct sk_pw_endpoint {
	const char *path;
	const char *field;
} sk_pw_endpoint;

typedef struct sk_config {
	const sk_listen *listen; /* plain-HTTP listeners; may be empty if tls.listen is not */
	size_t nlisten;
	sk_upstream upstream;
	unsigned workers;        /* 0 = one per core */
	const char *user;        /* "" = nobody when started as root */

	struct {
		const sk_listen *listen;
		size_t nlisten;
		const sk_tls_cert *certs; /* certs[0] is the default; others chosen by SNI */
		size_t ncerts;            /* >= 1 whenever nlisten >= 1 */
		bool redirect_http;       /* plain listeners answer 301 to https (needs tls.listen) */
	} tls;

	/* From http_limits_default(), then the limits.* keys; hand it straight
	 * to the HTTP parsers. max_request_line and max_header_line are <= max_head. */
	http_limits limits;
	sk_body_policy body_over_limit;
	size_t max_connections;

	struct { /* milliseconds */
		unsigned header;            /* whole request head */
		unsigned body;              /* whole request body */
		unsigned upstream_connect;
		unsigned upstream_response; /* until the response head */
		unsigned keepalive;         /* idle client connection; 0 = no keep-alive */
	} timeouts;

	struct {
		sk_mode mode; /* SK_MODE_BLOCK or SK_MODE_MONITOR */
		int paranoia; /* 1..3 */
		int threshold;
		int block_status;  /* 400..599 */
		const char *rules; /* rules file path; "" = none (the proxy compiles it) */
		const engine_exception *exceptions;
		size_t nexceptions;
		const sk_path_mode *paths; /* in file order; the proxy picks the longest prefix */
		size_t npaths;
	} detection;

	const sk_cidr *trusted_proxies;
	size_t ntrusted_proxies;

	/* Who may connect (include/sekisho/access.h says the precedence). */
	struct {
		access_spec global;        /* allow, deny, countries_allow, countries_deny; prefix NULL */
		const access_spec *paths;  /* in file order; access_compile sorts them */
		size_t npaths;
		const char *geoip_db;      /* .mmdb path; "" = none (then no country list may be set) */
		int unknown_country;       /* SK_UNKNOWN_ALLOW or SK_UNKNOWN_DENY */
		int status;                /* 400..599 */
		bool at_accept;            /* close globally denied peers at accept */
	} access;

	struct { /* NULL = disabled (false in the file) */
		const char *hsts; /* only sent on TLS connections */
		bool content_type_options; /* X-Content-Type-Options: nosniff */
		const char *frame_options;
		const char *referrer_policy;
	} headers;

	struct {
		const sk_sink *events; /* at least one */
		size_t nevents;
		bool access; /* log every request, not only flagged ones */
	} log;

	struct {
		bool enabled; /* false when admin.listen is "" */
		sk_listen listen;
		const char *token; /* "" = none; else 16..256 visible ASCII: Bearer token of the ban API */
	} admin;

	/* Login protection (include/sekisho/login.h). */
	struct {
		const login_endpoint *endpoints;
		size_t nendpoints;
		unsigned window, delay_base, delay_max, ban_ttl, lock_ttl, wave_delay, known_window; /* ms */
		unsigned delay_after, pair_delay_after, net_delay_after, ban_after, lock_after;
		unsigned accounts_per_source, sources_per_account;
		unsigned wave_min_failures, wave_percent, wave_factor;
		int status; /* answer to a refused attempt */
	} login;

	/* Counters and bans (include/sekisho/state.h). Read once at start: a
	 * reload keeps the running backend. */
	struct {
		bool redis_enabled;       /* false when state.redis is "": in-process state */
		sk_listen redis;          /* Redis address */
		const char *redis_prefix; /* key prefix, [A-Za-z0-9:_.-]{1,64} */
		unsigned redis_timeout;   /* ms, connect and each reply */
		size_t max_keys;          /* in-process table bound (also the fallback's) */
		unsigned ban_cache;       /* ms a "not banned" answer from Redis is reused */
	} state;

	/* Bans pushed to the kernel (src/proxy/nft.c). Read once at start. */
	struct {
		bool nftables;         /* push ip: and net: bans to nftables sets */
		const char *nft_table; /* table name in family inet, [A-Za-z0-9_]{1,32} */
	} bans;
	/* The TOTP gate on admin paths (src/proxy/gate.c, docs/totp.md); off
	 * while `paths` is empty. */
	struct {
		const char *const *paths; /* path prefixes, each starting with '/' */
		size_t npaths;
		const char *secrets;          /* the file of `sekisho totp enroll` */
		const char *session_key_file; /* "" = a random key per start */
		unsigned session_ttl;         /* ms */
		const char *cookie;           /* session cookie name, an RFC 6265 token */
		unsigned max_attempts;        /* wrong codes per user and per address in `window` */
		unsigned window;              /* ms */
	} totp_gate;

	/* Password policy at sign-up and password-change endpoints (opt-in:
	 * off while `endpoints` is empty; docs/password-policy.md). */
	struct {
		const sk_pw_endpoint *endpoints;
		size_t nendpoints;
		size_t min_length;   /* characters (UTF-8 aware) */
		const char *list;    /* breached/common passwords, one per line; "" = none */
		int status;          /* 400..499 */
		const char *message;
	} password_policy;

	struct arena *mem; /* private: owns everything above */
} sk_config;

/* Parse YAML text (need not be NUL-terminated; never modified). `filename`
 * is only used in messages. Returns a config the caller frees with
 * config_free, or NULL with "FILENAME:LINE:COL: message" in errbuf (lines
 * and columns from 1; errbuf may be NULL). An empty document gives the
 * defaults: upstream.url is then NULL, which is valid here but not for the
 * proxy (`config check` reports it). */
sk_config *config_parse(const char *text, size_t len, const char *filename, char *errbuf, size_t errlen);
/* The defaults (what an empty file gives). NULL only when out of memory. */
sk_config *config_default(void);
/* Free a config and everything it owns. NULL is allowed. */
void config_free(sk_config *c);

/* Fill an engine_config from the detection keys. `rules` is left NULL: the
 * caller compiles detection.rules and sets it. The exceptions point into
 * `c` (engine_new copies them). */
void config_engine(const sk_config *c, engine_config *out);

struct sk_buf;
/* Append the reference of every key (Markdown: key, type, default, range,
 * meaning) generated from the directive table. Returns false on overflow. */
bool config_doc(struct sk_buf *out);

#endif
