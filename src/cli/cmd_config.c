/* cmd_config.c - `sekisho config check [FILE]` and `sekisho config doc`.
 *
 * check: parse the config exactly as the proxy will, require an upstream,
 * compile the rules file it names, and print "FILE: ok" and a summary; or
 * the first error as "FILE:LINE:COL: message" and exit 2.
 * doc: print the key reference (docs/config.md) from the directive table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/file.h"
#include "../sys/geoip.h"
#include "cli.h"
#include "sekisho/buf.h"
#include "sekisho/config.h"
#include "sekisho/rules.h"

/* Rules files are bigger than configs (hundreds of patterns) but bounded. */
#define CONFIG_RULES_MAX (16u * 1024 * 1024)

static void usage(FILE *f)
{
	fprintf(f, "usage: sekisho config check [FILE]   (default ./sekisho.yaml)\n"
		   "       sekisho config doc            print the reference of every key (Markdown)\n\n"
		   "check parses the configuration as the proxy would, requires an upstream and\n"
		   "compiles the rules file named by detection.rules and opens the country database\n"
		   "named by access.geoip_db. It prints \"FILE: ok\" and a\n"
		   "summary, or the first error as FILE:LINE:COL: message.\n"
		   "Relative paths in the config are relative to the working directory.\n\n"
		   "Exit status: 0 valid, 2 invalid or unreadable.\n");
}

static const char *mode_name(sk_mode m)
{
	return m == SK_MODE_MONITOR ? "monitor" : m == SK_MODE_OFF ? "off" : "block";
}

/* Compile detection.rules; a bad rule is reported with its own file and line. */
static int check_rules(const char *path, const sk_config *c, size_t *nrules)
{
	char msg[512];
	char *text;
	size_t len;
	if (file_read_all(c->detection.rules, CONFIG_RULES_MAX, &text, &len, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "%s: detection.rules: %s\n", path, msg);
		return 2;
	}
	ruleset *rs = ruleset_compile(text, len, c->detection.rules, msg, sizeof(msg));
	free(text);
	if (!rs) {
		fprintf(stderr, "%s\n", msg);
		return 2;
	}
	*nrules = ruleset_count(rs);
	ruleset_free(rs);
	return 0;
}

/* Open and check access.geoip_db as the proxy will. */
static int check_geoip(const char *path, const sk_config *c, char *what, size_t wlen)
{
	char msg[512];
	geoip *g = geoip_open(c->access.geoip_db, msg, sizeof(msg));
	if (!g) {
		fprintf(stderr, "%s: access.geoip_db: %s\n", path, msg);
		return 2;
	}
	geoip_describe(g, what, wlen);
	geoip_close(g);
	return 0;
}

static int config_check(const char *path)
{
	char msg[512];
	char *text;
	size_t len;
	/* The reader enforces the parser's 1 MiB cap ("FILE: larger than ..."). */
	if (file_read_all(path, CONFIG_MAX_BYTES, &text, &len, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "%s\n", msg);
		return 2;
	}
	sk_config *c = config_parse(text, len, path, msg, sizeof(msg));
	free(text);
	if (!c) {
		fprintf(stderr, "%s\n", msg);
		return 2;
	}
	int rc = 0;
	size_t nrules = 0;
	if (!c->upstream.url) {
		fprintf(stderr, "%s:1:1: upstream is not set; the proxy needs e.g. upstream: \"http://127.0.0.1:8081\"\n",
			path);
		rc = 2;
	} else if (c->detection.rules[0]) {
		rc = check_rules(path, c, &nrules);
	}
	char geo[256] = "none";
	if (rc == 0 && c->access.geoip_db[0])
		rc = check_geoip(path, c, geo, sizeof(geo));
	if (rc == 0) {
		printf("%s: ok\n", path);
		printf("listen");
		for (size_t i = 0; i < c->nlisten; i++)
			printf(" %s", c->listen[i].text);
		for (size_t i = 0; i < c->tls.nlisten; i++)
			printf(" %s(tls)", c->tls.listen[i].text);
		printf(", upstream %s, mode %s, paranoia %d, threshold %d, rules ", c->upstream.url,
		       mode_name(c->detection.mode), c->detection.paranoia, c->detection.threshold);
		if (c->detection.rules[0])
			printf("%s (%zu)\n", c->detection.rules, nrules);
		else
			printf("none\n");
		const access_spec *g = &c->access.global;
		if (g->nallow || g->ndeny || g->ncountries_allow || g->ncountries_deny || c->access.npaths ||
		    c->access.geoip_db[0])
			printf("access: allow %zu, deny %zu, countries_allow %zu, countries_deny %zu, %zu path rules, "
			       "geoip %s\n", g->nallow, g->ndeny, g->ncountries_allow, g->ncountries_deny, c->access.npaths,
			       geo);
	}
	config_free(c);
	return rc;
}

static int config_doc_cmd(void)
{
	sk_buf o;
	buf_init(&o, 1024 * 1024);
	bool ok = config_doc(&o);
	if (ok)
		fwrite(o.p, 1, o.len, stdout);
	buf_free(&o);
	return ok ? 0 : 2;
}

int cmd_config(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "doc") == 0)
		return config_doc_cmd();
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "check") == 0) {
		if (argc == 3 && strcmp(argv[2], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		return config_check(argc == 3 ? argv[2] : "sekisho.yaml");
	}
	usage(stderr);
	return 2;
}
