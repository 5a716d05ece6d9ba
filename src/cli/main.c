/* main.c - the sekisho command: one binary, subcommands from a table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
	{ "proxy", cmd_proxy, "run the reverse-proxy WAF in front of a web application" },
	{ "config", cmd_config, "check the configuration file (config check [FILE]) or print its reference (config doc)" },
	{ "check", cmd_check, "inspect a raw HTTP request and print the verdict (or measure a corpus)" },
	{ "parse", cmd_parse, "print a raw HTTP request's inspection view as JSON" },
	{ "demo", cmd_demo, "run the bundled demo upstream (a tiny shop) for make run and tests" },
	{ "ban", cmd_ban, "list, add or lift the bans of a running proxy (through its admin listener)" },
	{ "totp", cmd_totp, "TOTP secrets for the admin gate: enroll a user (QR code), verify a code, list users" },
	{ "version", cmd_version, "print the version" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sekisho COMMAND [ARGS]\n\ncommands:\n");
	for (const cli_command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->doc);
	fprintf(out, "\n'sekisho COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const cli_command *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "sekisho: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("sekisho %s\n", SEKISHO_VERSION);
	return 0;
}
