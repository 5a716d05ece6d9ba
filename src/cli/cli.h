/* cli.h - subcommand table rows and the commands' entry points. */
#ifndef SEKISHO_CLI_H
#define SEKISHO_CLI_H

#define SEKISHO_VERSION "0.1.0"

/* A subcommand gets argv with argv[0] = its own name; returns the exit code
 * (0 ok, 1 findings, 2 usage or input error). */
typedef int (*cli_fn)(int argc, char **argv);

typedef struct cli_command {
	const char *name;
	cli_fn fn;
	const char *doc;
} cli_command;

int cmd_parse(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_totp(int argc, char **argv);
int cmd_ban(int argc, char **argv);

struct sk_buf;
struct http_request;
struct http_view;
/* Write the inspection view as one JSON object (shared by parse and check). */
void cli_view_json(struct sk_buf *o, const struct http_request *req, const struct http_view *v);
int cmd_version(int argc, char **argv);

#endif
