/* settings.c - configuration file + command-line overrides -> proxy_settings. */
#include "settings.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../sys/file.h"
#include "sekisho/config.h"

static void endpoint_from_listen(const sk_listen *l, net_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (l->addr.v4 || memcmp(l->addr.b, mapped, 12) == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ep->sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(l->port);
		memcpy(&in->sin_addr, l->addr.b + 12, 4);
		ep->len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ep->sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(l->port);
		memcpy(&in6->sin6_addr, l->addr.b, 16);
		ep->len = sizeof(*in6);
	}
	snprintf(ep->text, sizeof(ep->text), "%s", l->text ? l->text : "?");
}

/* "http://host[:port][/]" -> "host:port" for net_parse_endpoint. */
static int upstream_from_url(const char *url, proxy_settings *s, char *errbuf, size_t errlen)
{
	if (strncasecmp(url, "http://", 7) != 0) {
		snprintf(errbuf, errlen, "upstream '%s': only http://host:port is supported", url);
		return -1;
	}
	char hp[250];
	snprintf(hp, sizeof(hp), "%s", url + 7);
	char *slash = strchr(hp, '/');
	if (slash) {
		if (slash[1]) {
			snprintf(errbuf, errlen, "upstream '%s': a path is not supported", url);
			return -1;
		}
		*slash = '\0';
	}
	snprintf(s->upstream_host, sizeof(s->upstream_host), "%s", hp);
	const char *rb = strrchr(hp, ']');
	const char *colon = strrchr(hp, ':');
	if (!colon || (rb && colon < rb)) {
		size_t n = strlen(hp);
		if (n + 4 > sizeof(hp)) {
			snprintf(errbuf, errlen, "upstream '%s': host too long", url);
			return -1;
		}
		memcpy(hp + n, ":80", 4);
	}
	return net_parse_endpoint(hp, &s->upstream, errbuf, errlen);
}

/* snprintf that says whether the whole of `v` fit. */
static bool copy_fits(char *dst, size_t cap, const char *v)
{
	return (size_t)snprintf(dst, cap, "%s", v ? v : "") < cap;
}

static int from_config(const sk_config *c, proxy_settings *s, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < c->nlisten && s->nlisten < PROXY_MAX_LISTEN; i++)
		endpoint_from_listen(&c->listen[i], &s->listen[s->nlisten++]);
	if (c->upstream.url) {
		/* The config parser already split the URL (case-insensitive scheme,
		 * brackets, default port): use its host and port. */
		char hp[200];
		bool v6 = strchr(c->upstream.host, ':') != NULL;
		snprintf(hp, sizeof(hp), "%s%.180s%s:%u", v6 ? "[" : "", c->upstream.host, v6 ? "]" : "",
			 (unsigned)c->upstream.port);
		snprintf(s->upstream_host, sizeof(s->upstream_host), "%s", hp);
		if (net_parse_endpoint(hp, &s->upstream, errbuf, errlen) != 0)
			return -1;
	}
	s->workers = (int)c->workers;
	snprintf(s->user, sizeof(s->user), "%s", c->user ? c->user : "");
	s->lim = c->limits;
	s->body_over_limit_pass = c->body_over_limit == SK_BODY_PASS;
	s->max_connections = c->max_connections;
	s->header_timeout_ms = c->timeouts.header;
	s->body_timeout_ms = c->timeouts.body;
	s->connect_timeout_ms = c->timeouts.upstream_connect;
	s->response_timeout_ms = c->timeouts.upstream_response;
	s->keepalive_timeout_ms = c->timeouts.keepalive;
	s->mode = c->detection.mode == SK_MODE_MONITOR ? MODE_MONITOR : MODE_BLOCK;
	s->paranoia = c->detection.paranoia;
	s->threshold = c->detection.threshold;
	s->block_status = c->detection.block_status;
	snprintf(s->rules_path, sizeof(s->rules_path), "%s", c->detection.rules ? c->detection.rules : "");
	if (c->detection.nexceptions) {
		s->exceptions = calloc(c->detection.nexceptions, sizeof(*s->exceptions));
		if (!s->exceptions) {
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
		memcpy(s->exceptions, c->detection.exceptions, c->detection.nexceptions * sizeof(*s->exceptions));
		s->nexceptions = c->detection.nexceptions;
	}
	for (size_t i = 0; i < c->detection.npaths && s->npath_modes < PROXY_MAX_PATH_MODES; i++) {
		proxy_path_mode *pm = &s->path_modes[s->npath_modes++];
		snprintf(pm->prefix, sizeof(pm->prefix), "%s", c->detection.paths[i].prefix);
		pm->mode = c->detection.paths[i].mode == SK_MODE_MONITOR ? MODE_MONITOR
			   : c->detection.paths[i].mode == SK_MODE_OFF ? MODE_OFF
								     : MODE_BLOCK;
	}
	for (size_t i = 0; i < c->ntrusted_proxies && s->ntrusted < PROXY_MAX_TRUSTED; i++)
		s->trusted[s->ntrusted++] = c->trusted_proxies[i];
	s->hdr_nosniff = c->headers.content_type_options;
	snprintf(s->hdr_frame_options, sizeof(s->hdr_frame_options), "%s",
		 c->headers.frame_options ? c->headers.frame_options : "");
	snprintf(s->hdr_referrer_policy, sizeof(s->hdr_referrer_policy), "%s",
		 c->headers.referrer_policy ? c->headers.referrer_policy : "");
	snprintf(s->hdr_hsts, sizeof(s->hdr_hsts), "%s", c->headers.hsts ? c->headers.hsts : "");
	for (size_t i = 0; i < c->tls.nlisten && s->ntls_listen < PROXY_MAX_LISTEN; i++)
		endpoint_from_listen(&c->tls.listen[i], &s->tls_listen[s->ntls_listen++]);
	for (size_t i = 0; i < c->tls.ncerts && s->ntls_certs < 16; i++) {
		snprintf(s->tls_certs[s->ntls_certs].cert, sizeof(s->tls_certs[0].cert), "%s", c->tls.certs[i].cert);
		snprintf(s->tls_certs[s->ntls_certs].key, sizeof(s->tls_certs[0].key), "%s", c->tls.certs[i].key);
		s->ntls_certs++;
	}
	s->redirect_http = c->tls.redirect_http;
	s->access_log = c->log.access;
	if (c->admin.enabled) {
		endpoint_from_listen(&c->admin.listen, &s->admin);
		s->admin_enabled = true;
	}
	snprintf(s->events, sizeof(s->events), "%s", c->log.nevents ? c->log.events[0].target : "stderr");
	for (size_t i = 0; i < c->login.nendpoints && s->nlogins < PROXY_MAX_LOGINS; i++)
		s->logins[s->nlogins++] = c->login.endpoints[i];
	login_policy_default(&s->login);
	s->login.window_ms = c->login.window;
	s->login.delay_after = c->login.delay_after;
	s->login.pair_delay_after = c->login.pair_delay_after;
	s->login.net_delay_after = c->login.net_delay_after;
	s->login.delay_base_ms = c->login.delay_base;
	s->login.delay_max_ms = c->login.delay_max;
	s->login.ban_after = c->login.ban_after;
	s->login.ban_ttl_ms = c->login.ban_ttl;
	s->login.lock_after = c->login.lock_after;
	s->login.lock_ttl_ms = c->login.lock_ttl;
	s->login.accounts_per_source = c->login.accounts_per_source;
	s->login.sources_per_account = c->login.sources_per_account;
	s->login.wave_min_failures = c->login.wave_min_failures;
	s->login.wave_percent = c->login.wave_percent;
	s->login.wave_factor = c->login.wave_factor;
	s->login.wave_delay_ms = c->login.wave_delay;
	s->login.known_window_ms = c->login.known_window;
	s->login_status = c->login.status;
	s->redis_enabled = c->state.redis_enabled;
	if (s->redis_enabled) {
		addr_format(&c->state.redis.addr, s->redis_host, sizeof(s->redis_host));
		s->redis_port = c->state.redis.port;
	}
	snprintf(s->redis_prefix, sizeof(s->redis_prefix), "%s", c->state.redis_prefix);
	s->redis_timeout_ms = c->state.redis_timeout;
	s->state_max_keys = c->state.max_keys;
	s->ban_cache_ms = c->state.ban_cache;
	snprintf(s->admin_token, sizeof(s->admin_token), "%s", c->admin.token);
	s->nftables = c->bans.nftables;
	snprintf(s->nft_table, sizeof(s->nft_table), "%s", c->bans.nft_table);
	/* Gate and password policy: a value cut to fit would gate or check
	 * something else than configured, so a long one is an error. */
	bool fits = true;
	for (size_t i = 0; i < c->totp_gate.npaths && s->ngate_paths < PROXY_MAX_GATE_PATHS; i++)
		fits &= copy_fits(s->gate_paths[s->ngate_paths++], sizeof(s->gate_paths[0]), c->totp_gate.paths[i]);
	fits &= copy_fits(s->gate_secrets, sizeof(s->gate_secrets), c->totp_gate.secrets);
	fits &= copy_fits(s->gate_key_file, sizeof(s->gate_key_file), c->totp_gate.session_key_file);
	s->gate_ttl_ms = c->totp_gate.session_ttl;
	fits &= copy_fits(s->gate_cookie, sizeof(s->gate_cookie), c->totp_gate.cookie);
	s->gate_max_attempts = c->totp_gate.max_attempts;
	s->gate_window_ms = c->totp_gate.window;
	for (size_t i = 0; i < c->password_policy.nendpoints && s->npw_endpoints < PROXY_MAX_PW_ENDPOINTS; i++) {
		proxy_pw_endpoint *e = &s->pw_endpoints[s->npw_endpoints++];
		fits &= copy_fits(e->path, sizeof(e->path), c->password_policy.endpoints[i].path);
		fits &= copy_fits(e->field, sizeof(e->field), c->password_policy.endpoints[i].field);
	}
	s->pw_min_length = c->password_policy.min_length;
	fits &= copy_fits(s->pw_list, sizeof(s->pw_list), c->password_policy.list);
	s->pw_status = c->password_policy.status;
	fits &= copy_fits(s->pw_message, sizeof(s->pw_message), c->password_policy.message);
	if (!fits) {
		snprintf(errbuf, errlen, "totp_gate / password_policy: a path, field or message is too long "
					 "(paths 255 bytes, files 511, field 256, message 511)");
		return -1;
	}
	s->access = access_compile(&c->access.global, c->access.paths, c->access.npaths,
				   c->access.unknown_country == SK_UNKNOWN_DENY);
	if (!s->access) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (access_empty(s->access)) {
		access_free(s->access);
		s->access = NULL;
	}
	snprintf(s->geoip_db, sizeof(s->geoip_db), "%s", c->access.geoip_db);
	s->access_status = c->access.status;
	s->access_at_accept = c->access.at_accept;
	return 0;
}

void settings_free(proxy_settings *s)
{
	free(s->exceptions);
	s->exceptions = NULL;
	access_free(s->access);
	s->access = NULL;
}

int settings_load(const char *config_path, const proxy_overrides *ov, proxy_settings *s, char *errbuf,
		  size_t errlen)
{
	memset(s, 0, sizeof(*s));
	sk_config *c;
	if (config_path) {
		char *text;
		size_t len;
		if (file_read_all(config_path, CONFIG_MAX_BYTES, &text, &len, errbuf, errlen) != 0)
			return -1;
		c = config_parse(text, len, config_path, errbuf, errlen);
		free(text);
	} else {
		c = config_default();
		if (!c)
			snprintf(errbuf, errlen, "out of memory");
	}
	if (!c)
		return -1;
	int rc = from_config(c, s, errbuf, errlen);
	config_free(c);
	if (rc != 0)
		goto fail;

	/* Flags override the file. */
	if (ov->nlisten) {
		s->nlisten = 0;
		for (size_t i = 0; i < ov->nlisten; i++)
			if (net_parse_endpoint(ov->listen[i], &s->listen[s->nlisten++], errbuf, errlen) != 0)
				goto fail;
	}
	if (ov->upstream && upstream_from_url(ov->upstream, s, errbuf, errlen) != 0)
		goto fail;
	char *end;
	if (ov->workers) {
		long w = strtol(ov->workers, &end, 10);
		if (*end || w < 0 || w > 64) {
			snprintf(errbuf, errlen, "--workers takes a number from 0 to 64");
			goto fail;
		}
		s->workers = (int)w;
	}
	if (ov->paranoia) {
		long p = strtol(ov->paranoia, &end, 10);
		if (*end || p < 1 || p > 3) {
			snprintf(errbuf, errlen, "--paranoia takes 1, 2 or 3");
			goto fail;
		}
		s->paranoia = (int)p;
	}
	if (ov->monitor)
		s->mode = MODE_MONITOR;
	if (ov->rules)
		snprintf(s->rules_path, sizeof(s->rules_path), "%s", ov->rules);
	if (ov->events)
		snprintf(s->events, sizeof(s->events), "%s", ov->events);
	if (s->nlisten == 0 && s->ntls_listen == 0) {
		if (net_parse_endpoint("0.0.0.0:8080", &s->listen[0], errbuf, errlen) != 0)
			goto fail;
		s->nlisten = 1;
	}
	if (!s->upstream.len) {
		snprintf(errbuf, errlen, "no upstream: set 'upstream:' in the configuration or pass --upstream http://HOST:PORT");
		goto fail;
	}
	return 0;
fail:
	settings_free(s);
	return -1;
}
