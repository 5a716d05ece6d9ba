/* test_config.c - sekisho.yaml parsing: defaults, every key's values and
 * errors (tests/data/config/bad.txt: the expected "LINE:COL: message" for
 * each bad document), the parser's bounds, and etc/sekisho.yaml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sekisho/buf.h"
#include "sekisho/config.h"

static char err[512];

static sk_config *parse(const char *yaml)
{
	err[0] = '\0';
	return config_parse(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
}

/* The message without "t.yaml:", for comparison with the data files. */
static const char *msg(void)
{
	return strncmp(err, "t.yaml:", 7) == 0 ? err + 7 : err;
}

static void test_defaults(void)
{
	sk_config *c = config_default();
	CHECK(c != NULL);
	if (!c)
		return;
	http_limits lim;
	http_limits_default(&lim);
	CHECK(memcmp(&c->limits, &lim, sizeof(lim)) == 0);
	CHECK_INT(c->nlisten, 1);
	CHECK(strcmp(c->listen[0].text, "0.0.0.0:8080") == 0);
	CHECK_INT(c->listen[0].port, 8080);
	CHECK(c->listen[0].addr.v4);
	CHECK(c->upstream.url == NULL);
	CHECK_INT(c->workers, 0);
	CHECK(strcmp(c->user, "") == 0);
	CHECK_INT(c->tls.nlisten, 0);
	CHECK_INT(c->tls.ncerts, 0);
	CHECK(!c->tls.redirect_http);
	CHECK_INT(c->body_over_limit, SK_BODY_REJECT);
	CHECK_INT(c->max_connections, 10000);
	CHECK_INT(c->timeouts.header, 10000);
	CHECK_INT(c->timeouts.body, 30000);
	CHECK_INT(c->timeouts.upstream_connect, 3000);
	CHECK_INT(c->timeouts.upstream_response, 30000);
	CHECK_INT(c->timeouts.keepalive, 60000);
	CHECK_INT(c->detection.mode, SK_MODE_BLOCK);
	CHECK_INT(c->detection.paranoia, 1);
	CHECK_INT(c->detection.threshold, 5);
	CHECK_INT(c->detection.block_status, 403);
	CHECK(strcmp(c->detection.rules, "") == 0);
	CHECK_INT(c->detection.nexceptions, 0);
	CHECK_INT(c->detection.npaths, 0);
	CHECK_INT(c->ntrusted_proxies, 0);
	CHECK(c->headers.hsts && strcmp(c->headers.hsts, "max-age=31536000") == 0);
	CHECK(c->headers.content_type_options);
	CHECK(c->headers.frame_options && strcmp(c->headers.frame_options, "SAMEORIGIN") == 0);
	CHECK(c->headers.referrer_policy && strcmp(c->headers.referrer_policy, "strict-origin-when-cross-origin") == 0);
	CHECK_INT(c->log.nevents, 1);
	CHECK_INT(c->log.events[0].kind, SK_SINK_STDERR);
	CHECK(!c->log.access);
	CHECK(c->admin.enabled);
	CHECK_INT(c->admin.listen.port, 9090);
	engine_config ec;
	config_engine(c, &ec);
	CHECK_INT(ec.paranoia, 1);
	CHECK_INT(ec.threshold, 5);
	CHECK(ec.rules == NULL);
	config_free(c);
	config_free(NULL);
}

/* An empty file, comments only, "---" only, or null: the defaults. */
static void test_empty(void)
{
	const char *docs[] = { "", "# only a comment\n", "---\n", "~\n", "---\n...\n", "\n\n" };
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		sk_config *c = parse(docs[i]);
		CHECK(c != NULL);
		if (c) {
			CHECK(c->upstream.url == NULL);
			CHECK_INT(c->detection.paranoia, 1);
		}
		config_free(c);
	}
	sk_config *c = config_parse(NULL, 0, "t.yaml", NULL, 0);
	CHECK(c != NULL);
	config_free(c);
}

static void test_full(void)
{
	sk_config *c = parse("listen: [\"127.0.0.1:80\", \"[::]:8080\"]\n"
			     "upstream: http://app.internal:8081/\n"
			     "workers: 4\n"
			     "user: www-data\n"
			     "tls:\n"
			     "  listen: \"0.0.0.0:443\"\n"
			     "  certificates:\n"
			     "    - {cert: /etc/a.pem, key: /etc/a.key}\n"
			     "    - cert: b.pem\n"
			     "      key: b.key\n"
			     "  redirect_http: true\n"
			     "limits:\n"
			     "  max_request_line: 4k\n"
			     "  max_header_line: 4KiB\n"
			     "  max_head: 64KiB\n"
			     "  max_headers: 50\n"
			     "  max_body_inspect: 8MiB\n"
			     "  body_over_limit: pass\n"
			     "  max_targets: 500\n"
			     "  max_connections: 20000\n"
			     "timeouts:\n"
			     "  header: 500ms\n"
			     "  body: 2m\n"
			     "  upstream_connect: 1\n"
			     "  upstream_response: 1h\n"
			     "  keepalive: 0\n"
			     "detection:\n"
			     "  mode: monitor\n"
			     "  paranoia: 3\n"
			     "  threshold: 10\n"
			     "  block_status: 406\n"
			     "  rules: /etc/sekisho/rules.txt\n"
			     "  exceptions:\n"
			     "    - {detector: xss, path: /wp-admin/, param: content}\n"
			     "    - {detector: \"*\", path: /healthz}\n"
			     "    - {detector: \"900100\"}\n"
			     "  paths:\n"
			     "    - {prefix: /api/, mode: monitor}\n"
			     "    - {prefix: /static/, mode: off}\n"
			     "trusted_proxies: [10.0.0.0/8, \"2001:db8::/32\", 192.0.2.1]\n"
			     "headers:\n"
			     "  hsts: false\n"
			     "  content_type_options: false\n"
			     "  frame_options: DENY\n"
			     "  referrer_policy: no-referrer\n"
			     "log:\n"
			     "  events: [stdout, syslog, ./events.jsonl, \"http://hooks.example/x\"]\n"
			     "  access: true\n"
			     "admin:\n"
			     "  listen: \"\"\n");
	CHECK(c != NULL);
	if (!c) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_INT(c->nlisten, 2);
	CHECK_INT(c->listen[0].port, 80);
	CHECK(c->listen[0].addr.v4);
	CHECK_INT(c->listen[1].port, 8080);
	CHECK(!c->listen[1].addr.v4);
	CHECK(strcmp(c->listen[1].text, "[::]:8080") == 0);
	CHECK(strcmp(c->upstream.url, "http://app.internal:8081/") == 0);
	CHECK(strcmp(c->upstream.host, "app.internal") == 0);
	CHECK_INT(c->upstream.port, 8081);
	CHECK(!c->upstream.host_is_addr);
	CHECK_INT(c->workers, 4);
	CHECK(strcmp(c->user, "www-data") == 0);
	CHECK_INT(c->tls.nlisten, 1);
	CHECK_INT(c->tls.listen[0].port, 443);
	CHECK_INT(c->tls.ncerts, 2);
	CHECK(strcmp(c->tls.certs[0].cert, "/etc/a.pem") == 0);
	CHECK(strcmp(c->tls.certs[1].key, "b.key") == 0);
	CHECK(c->tls.redirect_http);
	CHECK_INT(c->limits.max_request_line, 4096);
	CHECK_INT(c->limits.max_header_line, 4096);
	CHECK_INT(c->limits.max_head, 65536);
	CHECK_INT(c->limits.max_headers, 50);
	CHECK_INT(c->limits.max_body_inspect, 8 * 1024 * 1024);
	CHECK_INT(c->limits.max_targets, 500);
	CHECK_INT(c->limits.max_depth, SK_DEFAULT_MAX_DEPTH); /* not a key: stays at its default */
	CHECK_INT(c->body_over_limit, SK_BODY_PASS);
	CHECK_INT(c->max_connections, 20000);
	CHECK_INT(c->timeouts.header, 500);
	CHECK_INT(c->timeouts.body, 120000);
	CHECK_INT(c->timeouts.upstream_connect, 1000);
	CHECK_INT(c->timeouts.upstream_response, 3600000);
	CHECK_INT(c->timeouts.keepalive, 0);
	CHECK_INT(c->detection.mode, SK_MODE_MONITOR);
	CHECK_INT(c->detection.paranoia, 3);
	CHECK_INT(c->detection.threshold, 10);
	CHECK_INT(c->detection.block_status, 406);
	CHECK(strcmp(c->detection.rules, "/etc/sekisho/rules.txt") == 0);
	CHECK_INT(c->detection.nexceptions, 3);
	CHECK(strcmp(c->detection.exceptions[0].what, "xss") == 0);
	CHECK(strcmp(c->detection.exceptions[0].path_prefix, "/wp-admin/") == 0);
	CHECK(strcmp(c->detection.exceptions[0].param, "content") == 0);
	CHECK(strcmp(c->detection.exceptions[1].what, "*") == 0);
	CHECK(strcmp(c->detection.exceptions[1].param, "") == 0);
	CHECK(strcmp(c->detection.exceptions[2].what, "900100") == 0);
	CHECK_INT(c->detection.npaths, 2);
	CHECK(strcmp(c->detection.paths[1].prefix, "/static/") == 0);
	CHECK_INT(c->detection.paths[0].mode, SK_MODE_MONITOR);
	CHECK_INT(c->detection.paths[1].mode, SK_MODE_OFF);
	CHECK_INT(c->ntrusted_proxies, 3);
	CHECK_INT(c->trusted_proxies[0].bits, 96 + 8);
	CHECK_INT(c->trusted_proxies[1].bits, 32);
	sk_addr a;
	CHECK(addr_parse(SK_LIT("10.1.2.3"), &a) && cidr_contains(&c->trusted_proxies[0], &a));
	CHECK(c->headers.hsts == NULL);
	CHECK(!c->headers.content_type_options);
	CHECK(strcmp(c->headers.frame_options, "DENY") == 0);
	CHECK(strcmp(c->headers.referrer_policy, "no-referrer") == 0);
	CHECK_INT(c->log.nevents, 4);
	CHECK_INT(c->log.events[0].kind, SK_SINK_STDOUT);
	CHECK_INT(c->log.events[1].kind, SK_SINK_SYSLOG);
	CHECK_INT(c->log.events[2].kind, SK_SINK_FILE);
	CHECK(strcmp(c->log.events[2].target, "./events.jsonl") == 0);
	CHECK_INT(c->log.events[3].kind, SK_SINK_WEBHOOK);
	CHECK(c->log.access);
	CHECK(!c->admin.enabled);
	engine_config ec;
	config_engine(c, &ec);
	CHECK_INT(ec.paranoia, 3);
	CHECK_INT(ec.nexceptions, 3);
	CHECK(ec.exceptions == c->detection.exceptions);
	config_free(c);
}

static void test_values(void)
{
	sk_config *c = parse("upstream: \"http://[::1]\"\nlisten: 127.0.0.1:1\ntimeouts: {header: 90, body: 100ms}\n"
			     "limits: {max_body_inspect: 1g}\nadmin: {listen: \"[::1]:9\"}\n");
	CHECK(c != NULL);
	if (c) {
		CHECK(c->upstream.host_is_addr);
		CHECK(strcmp(c->upstream.host, "::1") == 0);
		CHECK_INT(c->upstream.port, 80);
		CHECK_INT(c->timeouts.header, 90000);
		CHECK_INT(c->timeouts.body, 100);
		CHECK_INT(c->limits.max_body_inspect, 1024 * 1024 * 1024);
		CHECK(c->admin.enabled && !c->admin.listen.addr.v4 && c->admin.listen.port == 9);
		config_free(c);
	}
	/* a section written as null is empty; a list as null is empty */
	c = parse("tls:\nlimits:\ntrusted_proxies:\nupstream: http://10.0.0.1:81\n");
	CHECK(c != NULL);
	if (c) {
		CHECK(c->upstream.host_is_addr);
		CHECK_INT(c->upstream.port, 81);
		CHECK_INT(c->ntrusted_proxies, 0);
		config_free(c);
	}
	/* TLS only */
	c = parse("listen: []\ntls: {listen: \"[::]:443\", certificates: [{cert: a, key: b}]}\n");
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->nlisten, 0);
		CHECK_INT(c->tls.nlisten, 1);
		config_free(c);
	}
}

/* access: global lists, per-path rules, country codes normalised. */
static void test_access(void)
{
	sk_config *c = parse("access:\n  deny: [203.0.113.0/24, \"2001:db8::/32\"]\n  countries_deny: [cn]\n"
			     "  geoip_db: /var/lib/GeoIP/GeoLite2-Country.mmdb\n  unknown_country: deny\n"
			     "  status: 451\n  paths:\n    - {prefix: /admin/, allow: [10.0.0.0/8], countries_allow: [JP, us]}\n"
			     "    - {prefix: /api/, deny: 10.66.0.0/16}\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(c->access.global.ndeny, 2);
	CHECK_INT(c->access.global.deny[0].bits, 96 + 24);
	CHECK_INT(c->access.global.nallow, 0);
	CHECK_INT(c->access.global.ncountries_deny, 1);
	CHECK_INT(c->access.global.countries_deny[0], SK_COUNTRY('C', 'N'));
	CHECK(strcmp(c->access.geoip_db, "/var/lib/GeoIP/GeoLite2-Country.mmdb") == 0);
	CHECK_INT(c->access.unknown_country, SK_UNKNOWN_DENY);
	CHECK_INT(c->access.status, 451);
	CHECK(!c->access.at_accept);
	CHECK_INT(c->access.npaths, 2);
	CHECK(strcmp(c->access.paths[0].prefix, "/admin/") == 0);
	CHECK_INT(c->access.paths[0].nallow, 1);
	CHECK_INT(c->access.paths[0].ncountries_allow, 2);
	CHECK_INT(c->access.paths[0].countries_allow[1], SK_COUNTRY('U', 'S'));
	CHECK_INT(c->access.paths[0].ndeny, 0);
	CHECK_INT(c->access.paths[1].ndeny, 1);
	/* what the proxy does with it */
	access_rules *r = access_compile(&c->access.global, c->access.paths, c->access.npaths,
					 c->access.unknown_country == SK_UNKNOWN_DENY);
	CHECK(r != NULL);
	sk_addr a;
	CHECK(addr_parse(SK_LIT("10.1.1.1"), &a));
	CHECK(access_check(r, &a, SK_LIT("/admin/x"), SK_COUNTRY('D', 'E'), NULL));
	CHECK(addr_parse(SK_LIT("10.66.1.1"), &a));
	CHECK(!access_check(r, &a, SK_LIT("/api/x"), SK_COUNTRY('D', 'E'), NULL));
	access_free(r);
	config_free(c);
	/* the defaults: nothing set */
	c = config_default();
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->access.global.nallow + c->access.global.ndeny + c->access.npaths, 0);
		CHECK_INT(c->access.status, 403);
		CHECK_INT(c->access.unknown_country, SK_UNKNOWN_ALLOW);
		CHECK(c->access.geoip_db[0] == '\0');
		config_free(c);
	}
}

/* tests/data/config/bad.txt: "EXPECTED <= YAML"; the error (without the
 * file name) must start with EXPECTED. */
static void bad_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	const char *sep = strstr(l->buf, " <= ");
	if (!sep) {
		harness_fail("bad.txt line without ' <= '", l->buf, l->len);
		harness_count(0);
		return;
	}
	size_t elen = (size_t)(sep - l->buf);
	const char *yaml = sep + 4;
	size_t ylen = l->len - elen - 4;
	err[0] = '\0';
	sk_config *c = config_parse(yaml, ylen, "t.yaml", err, sizeof(err));
	bool ok = c == NULL && strncmp(msg(), l->buf, elen) == 0;
	if (!ok) {
		char what[700];
		snprintf(what, sizeof(what), "bad.txt:%d: got \"%s\" for", l->lineno, c ? "(accepted)" : err);
		harness_fail(what, yaml, ylen);
	}
	config_free(c);
	harness_count(ok);
}

/* tests/data/config/good.txt: documents that must parse. */
static void good_line(const harness_line *l, void *ctx)
{
	(void)ctx;
	err[0] = '\0';
	sk_config *c = config_parse(l->buf, l->len, "t.yaml", err, sizeof(err));
	if (!c) {
		char what[600];
		snprintf(what, sizeof(what), "good.txt:%d: refused: %s", l->lineno, err);
		harness_fail(what, l->buf, l->len);
	}
	config_free(c);
	harness_count(c != NULL);
}

static void test_data(void)
{
	CHECK(harness_each_line("config/bad.txt", bad_line, NULL) > 50);
	CHECK(harness_each_line("config/good.txt", good_line, NULL) > 5);
}

static void test_bounds(void)
{
	/* 1 MiB + 1 of valid YAML (a comment) is refused before parsing */
	size_t n = CONFIG_MAX_BYTES + 1;
	char *big = malloc(n);
	if (!big)
		abort();
	memset(big, ' ', n);
	big[0] = '#';
	sk_config *c = config_parse(big, n, "t.yaml", err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strstr(err, "t.yaml:1:1: the config is larger than") != NULL);
	/* exactly 1 MiB is fine */
	c = config_parse(big, n - 1, "t.yaml", err, sizeof(err));
	CHECK(c != NULL);
	config_free(c);
	free(big);

	/* more than 10,000 nodes: a flow list of 10,001 numbers */
	sk_buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "trusted_proxies: [");
	for (int i = 0; i < 10001; i++)
		buf_puts(&b, "1,");
	buf_puts(&b, "]\n");
	c = config_parse(b.p, b.len, "t.yaml", err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strstr(err, "more than 10000 YAML nodes") != NULL);
	buf_free(&b);

	/* nesting: 16 levels parse as YAML (and fail as config), 17 do not */
	buf_init(&b, 4096);
	buf_puts(&b, "a: ");
	for (int i = 0; i < 15; i++)
		buf_puts(&b, "[");
	for (int i = 0; i < 15; i++)
		buf_puts(&b, "]");
	c = config_parse(b.p, b.len, "t.yaml", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "unknown key 'a'") != NULL);
	buf_reset(&b);
	buf_puts(&b, "a: ");
	for (int i = 0; i < 16; i++)
		buf_puts(&b, "[");
	for (int i = 0; i < 16; i++)
		buf_puts(&b, "]");
	c = config_parse(b.p, b.len, "t.yaml", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "t.yaml:1:19: nesting deeper than 16 levels") != NULL);
	/* a deep document is cut off at the limit, however deep it goes */
	buf_reset(&b);
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "[");
	c = config_parse(b.p, b.len, "t.yaml", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "nesting deeper than 16 levels") != NULL);
	buf_free(&b);

	/* the billion-laughs shape is refused at the first anchor */
	c = parse("a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n");
	CHECK(c == NULL && strstr(err, "t.yaml:1:4: anchors (&name) are not allowed") != NULL);

	/* errbuf may be NULL or tiny */
	CHECK(config_parse("x: 1", 4, "t.yaml", NULL, 0) == NULL);
	char tiny[8];
	CHECK(config_parse("x: 1", 4, "t.yaml", tiny, sizeof(tiny)) == NULL);
	CHECK(strlen(tiny) < sizeof(tiny));
	/* text need not be NUL-terminated */
	const char unterminated[] = { 'w', 'o', 'r', 'k', 'e', 'r', 's', ':', ' ', '3', '9' };
	c = config_parse(unterminated, 10, "t.yaml", err, sizeof(err));
	CHECK(c != NULL && c->workers == 3);
	config_free(c);
}

/* The example config passes and sets every key to its default. */
static void test_example(void)
{
	const char *root = getenv("SK_TESTDATA");
	char path[512];
	snprintf(path, sizeof(path), "%s/../../etc/sekisho.yaml", root ? root : "tests/data");
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text), f);
	fclose(f);
	sk_config *c = config_parse(text, n, "etc/sekisho.yaml", err, sizeof(err));
	CHECK(c != NULL);
	sk_config *d = config_default();
	if (c && d) {
		CHECK(strcmp(c->upstream.url, "http://127.0.0.1:8081") == 0);
		CHECK(memcmp(&c->limits, &d->limits, sizeof(d->limits)) == 0);
		CHECK(memcmp(&c->timeouts, &d->timeouts, sizeof(d->timeouts)) == 0);
		CHECK_INT(c->detection.paranoia, d->detection.paranoia);
		CHECK_INT(c->detection.block_status, d->detection.block_status);
		CHECK_INT(c->max_connections, d->max_connections);
		CHECK(strcmp(c->headers.hsts, d->headers.hsts) == 0);
	}
	/* every key of the reference appears in the example */
	sk_buf b;
	buf_init(&b, 1 << 20);
	CHECK(config_doc(&b));
	const char *p = b.p;
	int keys = 0;
	while ((p = strstr(p, "\n| `")) != NULL) {
		p += 4;
		const char *end = strchr(p, '`');
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *last = dot ? dot + 1 : p;
		char key[64];
		snprintf(key, sizeof(key), "\n%s%.*s:", dot ? "  " : "", (int)(end - last), last);
		if (!strstr(text, key))
			harness_fail("key missing from etc/sekisho.yaml", key + 1, strlen(key + 1));
		keys++;
	}
	CHECK(keys > 30);
	buf_free(&b);
	config_free(c);
	config_free(d);
}

/* totp_gate and password_policy: defaults, a full section, one prefix as a scalar. */
static void test_gate_and_password(void)
{
	sk_config *c = config_default();
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->totp_gate.npaths, 0);
		CHECK(strcmp(c->totp_gate.cookie, "sekisho_gate") == 0);
		CHECK_INT(c->totp_gate.session_ttl, 8 * 3600 * 1000);
		CHECK_INT(c->totp_gate.max_attempts, 5);
		CHECK_INT(c->totp_gate.window, 15 * 60 * 1000);
		CHECK_INT(c->password_policy.nendpoints, 0);
		CHECK_INT(c->password_policy.min_length, 8);
		CHECK_INT(c->password_policy.status, 422);
		CHECK(c->password_policy.list[0] == '\0');
	}
	config_free(c);
	c = parse("totp_gate:\n  paths: [/admin/, /wp-admin]\n  secrets: /var/lib/sekisho/totp\n"
		  "  session_key_file: /etc/sekisho/gate.key\n  session_ttl: 30m\n  cookie: __Host-gate\n"
		  "  max_attempts: 3\n  window: 1h\n"
		  "password_policy:\n  endpoints:\n    - {path: /signup, field: password}\n"
		  "    - {path: /api/pw, field: user.new_password}\n  min_length: 12\n  list: /etc/pw.txt\n"
		  "  status: 400\n  message: nope\n");
	CHECK(c != NULL);
	if (!c) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_INT(c->totp_gate.npaths, 2);
	CHECK(strcmp(c->totp_gate.paths[1], "/wp-admin") == 0);
	CHECK(strcmp(c->totp_gate.secrets, "/var/lib/sekisho/totp") == 0);
	CHECK(strcmp(c->totp_gate.session_key_file, "/etc/sekisho/gate.key") == 0);
	CHECK_INT(c->totp_gate.session_ttl, 30 * 60 * 1000);
	CHECK(strcmp(c->totp_gate.cookie, "__Host-gate") == 0);
	CHECK_INT(c->totp_gate.max_attempts, 3);
	CHECK_INT(c->totp_gate.window, 3600 * 1000);
	CHECK_INT(c->password_policy.nendpoints, 2);
	CHECK(strcmp(c->password_policy.endpoints[1].path, "/api/pw") == 0);
	CHECK(strcmp(c->password_policy.endpoints[1].field, "user.new_password") == 0);
	CHECK_INT(c->password_policy.min_length, 12);
	CHECK(strcmp(c->password_policy.list, "/etc/pw.txt") == 0);
	CHECK_INT(c->password_policy.status, 400);
	CHECK(strcmp(c->password_policy.message, "nope") == 0);
	config_free(c);
	c = parse("totp_gate: {paths: /admin/, secrets: s}\n");
	CHECK(c && c->totp_gate.npaths == 1 && strcmp(c->totp_gate.paths[0], "/admin/") == 0);
	config_free(c);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_empty);
	RUN(test_full);
	RUN(test_access);
	RUN(test_values);
	RUN(test_bounds);
	RUN(test_example);
	RUN(test_data);
	RUN(test_gate_and_password);
	return harness_done("config");
}
