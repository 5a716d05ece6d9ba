/* cmd_ban.c - `sekisho ban list|add|del`: the bans of a running proxy,
 * through its admin listener's ban API (src/proxy/admin_bans.c,
 * docs/bans.md).
 *
 * The address comes from --admin HOST:PORT, else from the config file's
 * admin.listen (-c FILE; an unspecified address such as 0.0.0.0 means this
 * host's loopback), else 127.0.0.1:9090. The token comes from --token,
 * $SEKISHO_ADMIN_TOKEN or the config's admin.token. Input is checked here
 * with the same rules the proxy applies (lib/guard/bankey.c), so a typo is
 * refused before anything is sent.
 *
 * Exit status: 0 done, 1 no such ban (del), 2 usage, input, connection or
 * server error.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../sys/file.h"
#include "../sys/net.h"
#include "cli.h"
#include "sekisho/bankey.h"
#include "sekisho/buf.h"
#include "sekisho/config.h"
#include "sekisho/http.h"
#include "sekisho/json.h"

#define BAN_DEFAULT_ADMIN "127.0.0.1:9090"
#define BAN_TIMEOUT_MS 10000
#define BAN_MAX_RESPONSE (16u << 20)
#define BAN_MAX_ROWS 10000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sekisho ban list [--json]                        [-c FILE | --admin HOST:PORT] [--token T]\n"
		"       sekisho ban add ADDR|CIDR|acct:NAME [--ttl 1h] [--reason TEXT]   [same options]\n"
		"       sekisho ban del KEY|ADDR|CIDR                                    [same options]\n\n"
		"The bans of a running proxy, through its admin listener (docs/bans.md).\n\n"
		"list     the bans in force: key, time left, reason (--json: the API's answer as is)\n"
		"add      ban an address (ip:ADDR), a /24 IPv4 or /64 IPv6 network (net:PREFIX/LEN)\n"
		"         or an account (acct:NAME) for --ttl (seconds, or 90s, 15m, 1h, 7d; default\n"
		"         1h, at most 30d) with an optional --reason (up to 63 bytes)\n"
		"del      lift a ban, named by its key or by the address or network\n\n"
		"  -c, --config FILE   read admin.listen and admin.token from the proxy's configuration\n"
		"  --admin HOST:PORT   the admin listener (default: admin.listen, or " BAN_DEFAULT_ADMIN ")\n"
		"  --token TOKEN       admin.token of the proxy (default: $SEKISHO_ADMIN_TOKEN, or the config's)\n\n"
		"Exit status: 0 done, 1 no such ban (del), 2 usage, input, connection or server error.\n");
}

typedef struct ban_opts {
	const char *config, *admin, *token, *ttl, *reason;
	bool json;
	const char *pos[3];
	int npos;
	char addr[96];      /* host:port to connect to */
	char token_buf[260];
} ban_opts;

static int parse_opts(int argc, char **argv, ban_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
			slot = &o->config;
		else if (strcmp(a, "--admin") == 0)
			slot = &o->admin;
		else if (strcmp(a, "--token") == 0)
			slot = &o->token;
		else if (strcmp(a, "--ttl") == 0)
			slot = &o->ttl;
		else if (strcmp(a, "--reason") == 0)
			slot = &o->reason;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sekisho ban: %s needs a value\n", a);
				return 2;
			}
			*slot = argv[++i];
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return -1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "sekisho ban: unknown option '%s'\n", a);
			return 2;
		} else if (o->npos < 3) {
			o->pos[o->npos++] = a;
		} else {
			fprintf(stderr, "sekisho ban: too many arguments\n");
			return 2;
		}
	}
	return 0;
}

/* Where to connect and with which token: flags, then the config file. */
static int resolve_target(ban_opts *o)
{
	const char *env = getenv("SEKISHO_ADMIN_TOKEN");
	if (!o->token && env && env[0])
		o->token = env;
	snprintf(o->addr, sizeof(o->addr), "%s", o->admin ? o->admin : BAN_DEFAULT_ADMIN);
	if (!o->config)
		return 0;
	char *text, err[512];
	size_t len;
	if (file_read_all(o->config, CONFIG_MAX_BYTES, &text, &len, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho ban: %s\n", err);
		return 2;
	}
	sk_config *c = config_parse(text, len, o->config, err, sizeof(err));
	free(text);
	if (!c) {
		fprintf(stderr, "sekisho ban: %s\n", err);
		return 2;
	}
	int rc = 0;
	if (!o->admin) {
		if (!c->admin.enabled) {
			fprintf(stderr, "sekisho ban: %s: admin.listen is \"\": the proxy has no admin listener\n",
				o->config);
			rc = 2;
		} else {
			/* A listener on every address is reached through loopback. */
			static const uint8_t zero[16] = { 0 }, mapped_zero[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
			const sk_listen *l = &c->admin.listen;
			char host[64];
			if (memcmp(l->addr.b, mapped_zero, 16) == 0)
				snprintf(host, sizeof(host), "127.0.0.1");
			else if (memcmp(l->addr.b, zero, 16) == 0)
				snprintf(host, sizeof(host), "[::1]");
			else if (l->addr.v4 || memcmp(l->addr.b, mapped_zero, 12) == 0)
				addr_format(&l->addr, host, sizeof(host));
			else {
				char t[48];
				addr_format(&l->addr, t, sizeof(t));
				snprintf(host, sizeof(host), "[%s]", t);
			}
			snprintf(o->addr, sizeof(o->addr), "%s:%u", host, (unsigned)l->port);
		}
	}
	if (!o->token && c->admin.token[0]) {
		snprintf(o->token_buf, sizeof(o->token_buf), "%s", c->admin.token);
		o->token = o->token_buf;
	}
	config_free(c);
	return rc;
}

typedef struct ban_reply {
	int status;
	char *raw;     /* whole response (malloc'd) */
	sk_slice body;
} ban_reply;

static long ms_left(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long spent = (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
	return BAN_TIMEOUT_MS - spent;
}

static int wait_fd(int fd, short ev, const struct timespec *t0)
{
	long left = ms_left(t0);
	if (left <= 0)
		return 0;
	struct pollfd p = { fd, ev, 0 };
	return poll(&p, 1, (int)left);
}

static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z')
		s[0] = (char)(s[0] - 'A' + 'a');
}

/* One request, one answer. Returns 0, or 2 after saying why. */
static int exchange(const ban_opts *o, const char *method, const char *path, const char *body, ban_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	net_endpoint ep;
	char err[512];
	if (net_parse_endpoint(o->addr, &ep, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho ban: admin address: %s\n", err);
		return 2;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int fd = net_connect(&ep);
	int e = fd < 0 ? errno : 0;
	if (fd >= 0) {
		socklen_t el = sizeof(e);
		if (wait_fd(fd, POLLOUT, &t0) <= 0)
			e = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
			e = errno;
	}
	if (e) {
		char why[128];
		snprintf(why, sizeof(why), "%s", strerror(e));
		lower_first(why);
		fprintf(stderr, "sekisho ban: cannot reach the proxy's admin listener at %s: %s\n", o->addr, why);
		if (fd >= 0)
			close(fd);
		return 2;
	}
	sk_buf req;
	buf_init(&req, 16384);
	buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sekisho-ban/%s\r\nConnection: close\r\n", method,
		   path, o->addr, SEKISHO_VERSION);
	if (o->token)
		buf_printf(&req, "Authorization: Bearer %s\r\n", o->token);
	if (body)
		buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		buf_puts(&req, "\r\n");
	int rc = 2;
	size_t off = 0;
	while (!req.overflow && off < req.len) {
		if (wait_fd(fd, POLLOUT, &t0) <= 0)
			break;
		ssize_t n = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	size_t cap = 65536, len = 0;
	char *in = off == req.len ? malloc(cap) : NULL;
	buf_free(&req);
	while (in) {
		if (wait_fd(fd, POLLIN, &t0) <= 0) {
			fprintf(stderr, "sekisho ban: no answer from %s within %d s\n", o->addr, BAN_TIMEOUT_MS / 1000);
			goto out;
		}
		if (len + 1 >= cap) {
			if (cap >= BAN_MAX_RESPONSE) {
				fprintf(stderr, "sekisho ban: answer from %s larger than %u bytes\n", o->addr,
					BAN_MAX_RESPONSE);
				goto out;
			}
			char *bigger = realloc(in, cap * 2);
			if (!bigger)
				goto out;
			in = bigger;
			cap *= 2;
		}
		ssize_t n = recv(fd, in + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "sekisho ban: reading from %s: %s\n", o->addr, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!in) {
		fprintf(stderr, "sekisho ban: cannot send the request to %s\n", o->addr);
		goto out;
	}
	in[len] = '\0';
	http_req_parser st;
	http_req_parser_init(&st);
	http_response resp;
	http_header hdrs[64];
	http_limits lim;
	http_limits_default(&lim);
	sk_error perr;
	ssize_t hl = http_parse_response(&st, in, len, &resp, hdrs, 64, &lim, &perr);
	if (hl <= 0 || !resp.has_content_length || resp.content_length > len - (size_t)hl) {
		fprintf(stderr, "sekisho ban: %s did not answer like a sekisho admin listener\n", o->addr);
		goto out;
	}
	rep->status = resp.status;
	rep->raw = in;
	rep->body = sk_slice_make(in + hl, (size_t)resp.content_length);
	in = NULL;
	rc = 0;
out:
	free(in);
	close(fd);
	return rc;
}

/* The "error" member of a JSON answer, for messages. */
struct err_ctx {
	char msg[256];
};

static int err_target(void *ctx, const target *t)
{
	struct err_ctx *x = ctx;
	if (t->loc == LOC_JSON && sk_slice_eq(t->name, SK_LIT("error")))
		snprintf(x->msg, sizeof(x->msg), "%.*s", (int)t->value.len, t->value.p);
	return 0;
}

/* Say why the server refused; returns the exit status (2). */
static int server_refused(const ban_opts *o, const ban_reply *rep)
{
	struct err_ctx x = { "" };
	arena *a = arena_new(rep->body.len * 4 + 65536);
	if (a) {
		http_limits lim;
		http_limits_default(&lim);
		json_state st;
		json_init(&st, a, &lim, err_target, &x);
		sk_error err;
		if (json_feed(&st, rep->body.p, rep->body.len, &err) != SK_OK)
			x.msg[0] = '\0';
		arena_free(a);
	}
	for (char *p = x.msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	const char *hint = "";
	if (rep->status == 401)
		hint = o->token ? " (check --token, $SEKISHO_ADMIN_TOKEN or admin.token)"
				: " (pass --token, set $SEKISHO_ADMIN_TOKEN, or -c the proxy's config with admin.token)";
	fprintf(stderr, "sekisho ban: the proxy refused (%d): %s%s\n", rep->status, x.msg[0] ? x.msg : "no reason given",
		hint);
	return 2;
}

/* ---- list ---- */

typedef struct ban_row {
	char key[BANKEY_MAX + 8];
	unsigned long ttl;
	char reason[STATE_REASON_MAX * 4 + 1];
} ban_row;

struct list_ctx {
	ban_row *rows;
	size_t n;
};

/* Targets look like bans[12].key: take the index and the field. */
static int list_target(void *ctx, const target *t)
{
	struct list_ctx *l = ctx;
	if (t->loc != LOC_JSON || t->name.len < 8 || memcmp(t->name.p, "bans[", 5) != 0)
		return 0;
	size_t i = 5;
	unsigned long idx = 0;
	while (i < t->name.len && t->name.p[i] >= '0' && t->name.p[i] <= '9' && idx < BAN_MAX_ROWS)
		idx = idx * 10 + (unsigned long)(t->name.p[i++] - '0');
	if (idx >= BAN_MAX_ROWS || i + 2 > t->name.len || t->name.p[i] != ']' || t->name.p[i + 1] != '.')
		return 0;
	sk_slice field = sk_slice_make(t->name.p + i + 2, t->name.len - i - 2);
	if (idx >= l->n)
		l->n = idx + 1;
	ban_row *r = &l->rows[idx];
	int vlen = (int)(t->value.len > 300 ? 300 : t->value.len);
	if (sk_slice_eq(field, SK_LIT("key")))
		snprintf(r->key, sizeof(r->key), "%.*s", vlen, t->value.p);
	else if (sk_slice_eq(field, SK_LIT("reason")))
		snprintf(r->reason, sizeof(r->reason), "%.*s", vlen, t->value.p);
	else if (sk_slice_eq(field, SK_LIT("ttl_left_s")))
		r->ttl = strtoul(t->value.p, NULL, 10);
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const ban_row *)a)->key, ((const ban_row *)b)->key);
}

static void fmt_ttl(unsigned long s, char *out, size_t cap)
{
	if (s >= 86400)
		snprintf(out, cap, "%lud %luh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, cap, "%luh %lum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, cap, "%lum %lus", s / 60, s % 60);
	else
		snprintf(out, cap, "%lus", s);
}

static int do_list(const ban_opts *o)
{
	ban_reply rep;
	if (exchange(o, "GET", "/bans", NULL, &rep) != 0)
		return 2;
	int rc = 2;
	if (rep.status != 200) {
		rc = server_refused(o, &rep);
		goto out;
	}
	if (o->json) {
		fwrite(rep.body.p, 1, rep.body.len, stdout);
		rc = 0;
		goto out;
	}
	struct list_ctx l = { calloc(BAN_MAX_ROWS, sizeof(ban_row)), 0 };
	arena *a = arena_new(rep.body.len * 4 + 65536);
	http_limits lim;
	http_limits_default(&lim);
	lim.max_targets = 3 * BAN_MAX_ROWS + 16;
	lim.max_body_inspect = rep.body.len + 1;
	json_state st;
	sk_error err;
	if (l.rows && a) {
		json_init(&st, a, &lim, list_target, &l);
		if (json_feed(&st, rep.body.p, rep.body.len, &err) == SK_OK && json_finish(&st, &err) == SK_OK) {
			qsort(l.rows, l.n, sizeof(ban_row), row_cmp);
			printf("%-44s %9s  %s\n", "KEY", "TTL LEFT", "REASON");
			for (size_t i = 0; i < l.n; i++) {
				char ttl[32];
				fmt_ttl(l.rows[i].ttl, ttl, sizeof(ttl));
				for (char *p = l.rows[i].reason; *p; p++)
					if ((unsigned char)*p < 0x20 || *p == 0x7f)
						*p = '?';
				for (char *p = l.rows[i].key; *p; p++)
					if ((unsigned char)*p < 0x20 || *p == 0x7f)
						*p = '?';
				printf("%-44s %9s  %s\n", l.rows[i].key, ttl, l.rows[i].reason);
			}
			printf("%zu ban%s\n", l.n, l.n == 1 ? "" : "s");
			rc = 0;
		} else {
			fprintf(stderr, "sekisho ban: the answer is not the JSON of GET /bans\n");
		}
	}
	arena_free(a);
	free(l.rows);
out:
	free(rep.raw);
	return rc;
}

/* ---- add, del ---- */

static int do_add(const ban_opts *o)
{
	bankey k;
	const char *why;
	if (!bankey_parse(sk_slice_make(o->pos[1], strlen(o->pos[1])), &k, &why)) {
		fprintf(stderr, "sekisho ban: '%s': %s\n", o->pos[1], why);
		return 2;
	}
	uint32_t ttl = BANKEY_TTL_DEFAULT_S;
	if (o->ttl && !bankey_ttl_parse(sk_slice_make(o->ttl, strlen(o->ttl)), &ttl, &why)) {
		fprintf(stderr, "sekisho ban: --ttl '%s': %s\n", o->ttl, why);
		return 2;
	}
	if (o->reason && !bankey_reason_ok(sk_slice_make(o->reason, strlen(o->reason)), &why)) {
		fprintf(stderr, "sekisho ban: --reason: %s\n", why);
		return 2;
	}
	sk_buf body;
	buf_init(&body, 4096);
	buf_puts(&body, "{\"key\":");
	buf_json_str(&body, sk_slice_make(k.text, k.len));
	buf_printf(&body, ",\"ttl\":%u", (unsigned)ttl);
	if (o->reason) {
		buf_puts(&body, ",\"reason\":");
		buf_json_str(&body, sk_slice_make(o->reason, strlen(o->reason)));
	}
	buf_puts(&body, "}");
	ban_reply rep;
	int rc = exchange(o, "POST", "/bans", body.p, &rep);
	buf_free(&body);
	if (rc != 0)
		return 2;
	if (rep.status == 201) {
		char t[32];
		fmt_ttl(ttl, t, sizeof(t));
		printf("banned %s for %s%s%s\n", k.text, t, o->reason ? ": " : "", o->reason ? o->reason : "");
		rc = 0;
	} else {
		rc = server_refused(o, &rep);
	}
	free(rep.raw);
	return rc;
}

static int do_del(const ban_opts *o)
{
	bankey k;
	const char *why;
	if (!bankey_parse(sk_slice_make(o->pos[1], strlen(o->pos[1])), &k, &why)) {
		fprintf(stderr, "sekisho ban: '%s': %s\n", o->pos[1], why);
		return 2;
	}
	/* The key in the path: everything but unreserved characters and ':'
	 * percent-encoded ('/' of a prefix, spaces and UTF-8 of accounts). */
	char path[16 + BANKEY_MAX * 3];
	size_t n = (size_t)snprintf(path, sizeof(path), "/bans/");
	for (size_t i = 0; i < k.len && n + 4 < sizeof(path); i++) {
		unsigned char c = (unsigned char)k.text[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			     c == '.' || c == '_' || c == '~' || c == ':';
		n += (size_t)snprintf(path + n, sizeof(path) - n, plain ? "%c" : "%%%02X", c);
	}
	ban_reply rep;
	if (exchange(o, "DELETE", path, NULL, &rep) != 0)
		return 2;
	int rc;
	if (rep.status == 200) {
		printf("lifted %s\n", k.text);
		rc = 0;
	} else if (rep.status == 404) {
		fprintf(stderr, "sekisho ban: no such ban: %s\n", k.text);
		rc = 1;
	} else {
		rc = server_refused(o, &rep);
	}
	free(rep.raw);
	return rc;
}

int cmd_ban(int argc, char **argv)
{
	ban_opts o;
	memset(&o, 0, sizeof(o));
	int rc = parse_opts(argc, argv, &o);
	if (rc < 0)
		return 0;
	if (rc)
		return rc;
	if (o.npos == 0) {
		usage(stderr);
		return 2;
	}
	const char *sub = o.pos[0];
	bool list = strcmp(sub, "list") == 0, add = strcmp(sub, "add") == 0, del = strcmp(sub, "del") == 0;
	if (!list && !add && !del) {
		fprintf(stderr, "sekisho ban: unknown subcommand '%s' (list, add or del)\n", sub);
		return 2;
	}
	if ((list && o.npos != 1) || (!list && o.npos != 2)) {
		fprintf(stderr, "sekisho ban: %s\n", list ? "list takes no arguments" : "name one address, network or key");
		return 2;
	}
	if (!add && (o.ttl || o.reason)) {
		fprintf(stderr, "sekisho ban: --ttl and --reason go with add\n");
		return 2;
	}
	if (o.json && !list) {
		fprintf(stderr, "sekisho ban: --json goes with list\n");
		return 2;
	}
	if ((rc = resolve_target(&o)) != 0)
		return rc;
	return list ? do_list(&o) : add ? do_add(&o) : do_del(&o);
}
