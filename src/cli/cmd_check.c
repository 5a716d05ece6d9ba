/* cmd_check.c - `sekisho check`: inspect one raw request and print the
 * verdict, or measure the engine over a corpus of requests. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "../sys/file.h"
#include "cli.h"
#include "corpus.h"
#include "sekisho/arena.h"
#include "sekisho/buf.h"
#include "sekisho/engine.h"
#include "sekisho/http.h"
#include "sekisho/rules.h"
#include "sekisho/view.h"

#define CHECK_MAX_INPUT (64u * 1024 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sekisho check [--paranoia N] [--threshold N] [--rules FILE] [--view] FILE|-\n"
		"       sekisho check [--paranoia N] --corpus FILE.jsonl [--show-misses] [--show-fp]\n\n"
		"Inspect one raw HTTP request (head and body) and print the verdict as JSON: the\n"
		"decision, the anomaly score and every match (detector, rule, where, fragment).\n"
		"A request the strict parser refuses is a block with detector \"protocol\".\n\n"
		"  --paranoia N   1 (default) to 3: higher levels switch on more sensitive checks\n"
		"  --threshold N  score at which a request is blocked (default 5)\n"
		"  --rules FILE   user rules and virtual patches (syntax: docs/rules.md)\n"
		"  --view         also print the inspection view\n"
		"  --corpus F     read requests in the corpus schema (JSON lines) and print the share\n"
		"                 of attacks blocked and benign requests passed, per category and spot\n"
		"  --show-misses  with --corpus: list attacks that passed\n"
		"  --show-fp      with --corpus: list benign requests that were blocked, with matches\n\n"
		"Exit status: 0 pass, 1 block, 2 usage or input error (--corpus: 0 unless an error).\n");
}

struct inspect_ctx {
	const engine *eng;
	engine_scratch *scratch;
	http_limits lim;
	arena *a;
	http_header *hdrs;
	http_header *hdrs2; /* for pipelined requests after the first */
};

/* Bytes after a request are the next pipelined request; a proxy would
 * serve them too, so they are inspected as well (a smuggled request must not
 * hide behind a benign one). Bounded: a file of a thousand requests is not
 * a single request to check. */
#define CHECK_MAX_PIPELINED 16

static void merge_verdict(verdict *into, const verdict *from)
{
	for (size_t i = 0; i < from->nmatches; i++)
		verdict_add(into, &from->matches[i]);
	into->nfound += from->nfound - from->nmatches;
	into->block = into->block || from->block;
}

/* Parse, build the view, inspect: the first request in `buf` and any
 * pipelined after it. Returns true if the first request parsed; `req` and
 * `view` describe it and stay valid until the arena is reset. */
static bool inspect_bytes(struct inspect_ctx *c, const char *buf, size_t len, verdict *v, http_request *req,
			  http_view *view)
{
	size_t pos = 0;
	bool first_ok = false;
	for (int n = 0; n < CHECK_MAX_PIPELINED && pos < len; n++) {
		sk_slice body;
		bool truncated;
		size_t consumed = len - pos;
		sk_error err = { 0 };
		verdict one;
		http_request r2 = { 0 };
		http_view v2 = { 0 };
		http_request *rq = n == 0 ? req : &r2;
		http_view *vw = n == 0 ? view : &v2;
		if (http_read_request(buf + pos, len - pos, rq, n == 0 ? c->hdrs : c->hdrs2, c->lim.max_headers, c->a,
				      &c->lim, &body, &truncated, &consumed, &err) != SK_OK ||
		    view_build(vw, rq, body, truncated, c->a, &c->lim, &err) != SK_OK) {
			err.offset += pos;
			engine_verdict_malformed(&one, &err);
			consumed = len - pos;
		} else {
			engine_inspect(c->eng, c->scratch, rq, vw, NULL, c->a, &one);
			first_ok = first_ok || n == 0;
		}
		if (n == 0)
			*v = one;
		else
			merge_verdict(v, &one);
		pos += consumed;
		/* Stray line breaks between requests are tolerated by servers. */
		while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
			pos++;
	}
	return first_ok;
}

static int check_one(struct inspect_ctx *c, const char *path, bool show_view)
{
	char *buf;
	size_t len;
	char msg[512];
	if (file_read_all(path, CHECK_MAX_INPUT, &buf, &len, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "sekisho check: %s\n", msg);
		return 2;
	}
	verdict v;
	http_request req;
	http_view view;
	bool parsed = inspect_bytes(c, buf, len, &v, &req, &view);
	sk_buf o;
	buf_init(&o, 256u * 1024 * 1024);
	verdict_json(&o, &v);
	if (show_view && parsed) {
		o.len--; /* reopen the object */
		buf_puts(&o, ",\"view\":");
		cli_view_json(&o, &req, &view);
		while (o.len && o.p[o.len - 1] == '\n')
			o.len--;
		buf_puts(&o, "}");
	}
	buf_puts(&o, "\n");
	fwrite(o.p, 1, o.len, stdout);
	buf_free(&o);
	free(buf);
	return v.block ? 1 : 0;
}

/* ---- corpus statistics ---- */

#define MAX_CATS 64
#define MAX_SPOTS 24

struct tally {
	char name[48];
	unsigned n, blocked;
	unsigned spot_n[MAX_SPOTS], spot_blocked[MAX_SPOTS];
};

struct stats {
	struct tally cats[MAX_CATS];
	size_t ncats;
	char spots[MAX_SPOTS][24];
	size_t nspots;
	double *ns; /* per-request inspection time */
	size_t nns, capns;
};

static struct tally *tally_get(struct stats *s, const char *name)
{
	for (size_t i = 0; i < s->ncats; i++)
		if (strcmp(s->cats[i].name, name) == 0)
			return &s->cats[i];
	if (s->ncats == MAX_CATS)
		return &s->cats[MAX_CATS - 1];
	struct tally *t = &s->cats[s->ncats++];
	snprintf(t->name, sizeof(t->name), "%.47s", name);
	return t;
}

/* The kind of spot: the part before ':' ("query:q" -> "query"). */
static size_t spot_index(struct stats *s, const char *spot)
{
	char kind[24];
	size_t n = strcspn(spot, ":");
	if (n >= sizeof(kind))
		n = sizeof(kind) - 1;
	memcpy(kind, spot, n);
	kind[n] = '\0';
	for (size_t i = 0; i < s->nspots; i++)
		if (strcmp(s->spots[i], kind) == 0)
			return i;
	if (s->nspots == MAX_SPOTS)
		return MAX_SPOTS - 1;
	memcpy(s->spots[s->nspots], kind, n + 1);
	return s->nspots++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void print_stats(struct stats *s, int paranoia)
{
	unsigned an = 0, ab = 0, bn = 0, bp = 0;
	printf("paranoia %d\n%-16s %8s %8s %8s\n", paranoia, "category", "requests", "blocked", "share");
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->ncats; i++) {
			struct tally *t = &s->cats[i];
			bool is_attack = t->name[0] != '~'; /* benign categories are keyed "~name" */
			if (is_attack != (pass == 0))
				continue;
			const char *name = is_attack ? t->name : t->name + 1;
			if (is_attack) {
				printf("%-16s %8u %8u %7.2f%% blocked\n", name, t->n, t->blocked,
				       t->n ? 100.0 * t->blocked / t->n : 0.0);
				an += t->n;
				ab += t->blocked;
			} else {
				printf("%-16s %8u %8u %7.2f%% passed\n", name, t->n, t->n - t->blocked,
				       t->n ? 100.0 * (t->n - t->blocked) / t->n : 0.0);
				bn += t->n;
				bp += t->n - t->blocked;
			}
		}
		if (pass == 0 && an)
			printf("%-16s %8u %8u %7.2f%% blocked\n", "ATTACKS", an, ab, 100.0 * ab / an);
		if (pass == 1 && bn)
			printf("%-16s %8u %8u %7.2f%% passed\n", "BENIGN", bn, bp, 100.0 * bp / bn);
	}
	if (an) {
		printf("\nblocked per spot (attacks; blocked/total):\n%-12s", "category");
		for (size_t j = 0; j < s->nspots; j++)
			printf(" %12.12s", s->spots[j]);
		printf("\n");
		for (size_t i = 0; i < s->ncats; i++) {
			struct tally *t = &s->cats[i];
			if (t->name[0] == '~')
				continue;
			printf("%-12s", t->name);
			for (size_t j = 0; j < s->nspots; j++) {
				if (t->spot_n[j])
					printf(" %5u/%-6u", t->spot_blocked[j], t->spot_n[j]);
				else
					printf(" %12s", "-");
			}
			printf("\n");
		}
	}
	if (s->nns) {
		qsort(s->ns, s->nns, sizeof(double), cmp_double);
		double sum = 0;
		for (size_t i = 0; i < s->nns; i++)
			sum += s->ns[i];
		printf("\ntime per request (parse + view + inspect, one core): median %.2f us, mean %.2f us, "
		       "p99 %.2f us, max %.1f us over %zu requests\n",
		       s->ns[s->nns / 2] / 1000, sum / (double)s->nns / 1000, s->ns[s->nns * 99 / 100] / 1000,
		       s->ns[s->nns - 1] / 1000, s->nns);
	}
}

static int check_corpus(struct inspect_ctx *c, const char *path, int paranoia, bool show_misses, bool show_fp)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		perror(path);
		return 2;
	}
	struct stats *s = calloc(1, sizeof(*s));
	sk_buf request, out;
	buf_init(&request, 32u * 1024 * 1024);
	buf_init(&out, 1u << 20);
	arena *rec_arena = arena_new(64u * 1024 * 1024);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0, lineno = 0;
	while (s && rec_arena && (n = getline(&line, &cap, f)) > 0) {
		lineno++;
		corpus_record r;
		char msg[256];
		arena_reset(rec_arena);
		if (corpus_parse_line(line, (size_t)n, rec_arena, &r, &request, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "sekisho check: %s:%d: %s\n", path, lineno, msg);
			rc = 2;
			continue;
		}
		verdict v;
		http_request req;
		http_view view;
		struct timespec t0, t1;
		arena_reset(c->a);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		inspect_bytes(c, request.p, request.len, &v, &req, &view);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (s->nns == s->capns) {
			s->capns = s->capns ? s->capns * 2 : 4096;
			double *nns = realloc(s->ns, s->capns * sizeof(double));
			if (!nns)
				break;
			s->ns = nns;
		}
		s->ns[s->nns++] = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		char key[48];
		snprintf(key, sizeof(key), "%s%.32s", r.expect_block ? "" : "~", r.category);
		struct tally *t = tally_get(s, key);
		t->n++;
		t->blocked += v.block;
		if (r.expect_block) {
			size_t si = spot_index(s, r.spot[0] ? r.spot : "raw");
			t->spot_n[si]++;
			t->spot_blocked[si] += v.block;
		}
		if ((show_misses && r.expect_block && !v.block) || (show_fp && !r.expect_block && v.block)) {
			buf_reset(&out);
			verdict_json(&out, &v);
			printf("%s %s %s %s\n", r.expect_block ? "MISS" : "FP", r.id, r.spot[0] ? r.spot : "-", out.p);
		}
	}
	if (s)
		print_stats(s, paranoia);
	free(line);
	if (f != stdin)
		fclose(f);
	buf_free(&request);
	buf_free(&out);
	arena_free(rec_arena);
	if (s)
		free(s->ns);
	free(s);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "paranoia", required_argument, NULL, 'p' }, { "threshold", required_argument, NULL, 't' },
		{ "corpus", required_argument, NULL, 'c' },   { "show-misses", no_argument, NULL, 'm' },
		{ "show-fp", no_argument, NULL, 'f' },        { "view", no_argument, NULL, 'v' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	engine_config cfg;
	engine_config_default(&cfg);
	const char *corpus = NULL, *rules_path = NULL;
	bool show_misses = false, show_fp = false, show_view = false;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:t:c:mfvr:h", opts, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'p':
			cfg.paranoia = (int)strtol(optarg, &end, 10);
			if (*end || cfg.paranoia < 1 || cfg.paranoia > 3) {
				fprintf(stderr, "sekisho check: --paranoia takes 1, 2 or 3\n");
				return 2;
			}
			break;
		case 't':
			cfg.threshold = (int)strtol(optarg, &end, 10);
			if (*end || cfg.threshold < 1 || cfg.threshold > 1000) {
				fprintf(stderr, "sekisho check: --threshold takes a number from 1 to 1000\n");
				return 2;
			}
			break;
		case 'c': corpus = optarg; break;
		case 'm': show_misses = true; break;
		case 'f': show_fp = true; break;
		case 'v': show_view = true; break;
		case 'r': rules_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((corpus && optind != argc) || (!corpus && optind != argc - 1)) {
		usage(stderr);
		return 2;
	}
	ruleset *rules = NULL;
	if (rules_path) {
		char *text, msg[512];
		size_t len;
		if (file_read_all(rules_path, 64u * 1024 * 1024, &text, &len, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "sekisho check: %s\n", msg);
			return 2;
		}
		rules = ruleset_compile(text, len, rules_path, msg, sizeof(msg));
		free(text);
		if (!rules) {
			fprintf(stderr, "sekisho check: %s\n", msg);
			return 2;
		}
		cfg.rules = rules;
	}
	struct inspect_ctx c;
	http_limits_default(&c.lim);
	/* The clean-value cache, keyed with a secret as in the proxy. */
	cfg.cache = getrandom(cfg.cache_key, sizeof(cfg.cache_key), 0) == (ssize_t)sizeof(cfg.cache_key);
	c.eng = engine_new(&cfg);
	c.scratch = c.eng ? engine_scratch_new(c.eng) : NULL;
	c.a = arena_new(c.lim.max_arena);
	c.hdrs = calloc(c.lim.max_headers, sizeof(*c.hdrs));
	c.hdrs2 = calloc(c.lim.max_headers, sizeof(*c.hdrs2));
	int rc = 2;
	if (!c.eng || !c.scratch || !c.a || !c.hdrs || !c.hdrs2)
		fprintf(stderr, "sekisho check: out of memory\n");
	else if (corpus)
		rc = check_corpus(&c, corpus, cfg.paranoia, show_misses, show_fp);
	else
		rc = check_one(&c, argv[optind], show_view);
	engine_scratch_free(c.scratch);
	engine_free((engine *)c.eng);
	ruleset_free(rules);
	arena_free(c.a);
	free(c.hdrs);
	free(c.hdrs2);
	return rc;
}
