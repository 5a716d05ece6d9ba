/* cmd_parse.c - `sekisho parse FILE|-`: print a raw HTTP request's
 * inspection view as JSON. Exit 0 when the request is well-formed, 2 when
 * it is malformed (the message names the byte offset and the broken rule)
 * or cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/file.h"
#include "cli.h"
#include "sekisho/arena.h"
#include "sekisho/buf.h"
#include "sekisho/http.h"
#include "sekisho/view.h"

/* A raw request file bigger than this is not a request anyone sends. */
#define PARSE_MAX_INPUT (64u * 1024 * 1024)
#define PARSE_MAX_OUTPUT (512u * 1024 * 1024)

static const char *const anomaly_names[] = {
	"absolute_form", "host_mismatch", "upgrade_h2c", "http10_keepalive",
	"expect_other", "hop_by_hop_abuse", "multi_range",
};

static void json_flags(sk_buf *o, uint32_t flags)
{
	const char *names[32];
	size_t n = target_flag_names(flags, names, 32);
	buf_puts(o, "[");
	for (size_t i = 0; i < n; i++)
		buf_printf(o, "%s\"%s\"", i ? "," : "", names[i]);
	buf_puts(o, "]");
}

void cli_view_json(sk_buf *o, const http_request *req, const http_view *v)
{
	buf_puts(o, "{\"method\":");
	buf_json_str(o, req->method);
	buf_puts(o, ",\"target\":");
	buf_json_str(o, req->target);
	buf_printf(o, ",\"version\":\"HTTP/1.%d\",\"host\":", req->version == 11 ? 1 : 0);
	buf_json_str(o, req->host);
	buf_puts(o, ",\"path\":");
	buf_json_str(o, v->path_normalised);
	buf_puts(o, ",\"path_flags\":");
	json_flags(o, v->path_flags);
	buf_puts(o, ",\"anomalies\":[");
	int first = 1;
	for (size_t i = 0; i < sizeof(anomaly_names) / sizeof(anomaly_names[0]); i++)
		if (req->anomalies & (1u << i)) {
			buf_printf(o, "%s\"%s\"", first ? "" : ",", anomaly_names[i]);
			first = 0;
		}
	buf_printf(o, "],\"body\":{\"kind\":\"%s\",\"truncated\":%s,\"error\":", view_body_kind_name(v->body_kind),
		   v->body_truncated ? "true" : "false");
	if (v->body_error) {
		buf_puts(o, "{\"rule\":");
		buf_json_str(o, sk_slice_make(v->body_err.rule, strlen(v->body_err.rule)));
		buf_printf(o, ",\"offset\":%zu}", v->body_err.offset);
	} else {
		buf_puts(o, "null");
	}
	buf_puts(o, "},\"targets\":[");
	for (size_t i = 0; i < v->ntargets; i++) {
		const target *t = &v->targets[i];
		buf_printf(o, "%s\n  {\"loc\":\"%s\",\"name\":", i ? "," : "", target_loc_name((target_loc)t->loc));
		buf_json_str(o, t->name);
		buf_puts(o, ",\"raw\":");
		buf_json_str(o, t->raw);
		buf_puts(o, ",\"value\":");
		buf_json_str(o, t->value);
		buf_puts(o, ",\"flags\":");
		json_flags(o, t->flags);
		buf_puts(o, "}");
	}
	buf_puts(o, "\n]}\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sekisho parse [--help] FILE|-\n\n"
		   "Read one raw HTTP/1.1 request (head and body) and print its inspection view as JSON:\n"
		   "every target (method, path, query arguments, headers, cookies, body fields, JSON and\n"
		   "XML leaves, file names) with its raw and decoded value and decoding flags.\n"
		   "Exit status: 0 parsed, 2 malformed request or unreadable input.\n");
}

int cmd_parse(int argc, char **argv)
{
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	const char *path = argv[1];
	char *buf;
	size_t len;
	char msg[512];
	if (file_read_all(path, PARSE_MAX_INPUT, &buf, &len, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "sekisho parse: %s\n", msg);
		return 2;
	}
	http_limits lim;
	http_limits_default(&lim);
	arena *a = arena_new(lim.max_arena);
	http_header *hdrs = calloc(lim.max_headers, sizeof(*hdrs));
	if (!a || !hdrs) {
		fprintf(stderr, "sekisho parse: out of memory\n");
		free(buf);
		free(hdrs);
		arena_free(a);
		return 2;
	}
	int rc = 2;
	http_request req;
	sk_slice body;
	bool truncated;
	size_t consumed;
	sk_error err = { 0 };
	http_view view;
	if (http_read_request(buf, len, &req, hdrs, lim.max_headers, a, &lim, &body, &truncated, &consumed, &err) !=
	    SK_OK) {
		fprintf(stderr, "sekisho parse: %s: malformed request at byte %zu: %s (would answer %d)\n", path,
			err.offset, err.rule, err.status);
		goto out;
	}
	if (view_build(&view, &req, body, truncated, a, &lim, &err) != SK_OK) {
		fprintf(stderr, "sekisho parse: %s: request refused: %s (would answer %d)\n", path, err.rule,
			err.status);
		goto out;
	}
	sk_buf o;
	buf_init(&o, PARSE_MAX_OUTPUT);
	cli_view_json(&o, &req, &view);
	if (o.overflow) {
		fprintf(stderr, "sekisho parse: output too large\n");
	} else {
		fwrite(o.p, 1, o.len, stdout);
		rc = 0;
		if (consumed < len)
			fprintf(stderr, "sekisho parse: note: %zu bytes after the request were not parsed\n",
				len - consumed);
	}
	buf_free(&o);
out:
	free(hdrs);
	arena_free(a);
	free(buf);
	return rc;
}
