/* verdicts.c - print the engine's full verdict for every request of a
 * file, one line each, so that two builds can be compared byte for byte
 * (a speed change must not change a single verdict).
 *
 *   verdicts [-p PARANOIA] [-c] [-d] FILE.bin
 *
 * FILE.bin holds requests as written by tools/corpus_raw.py. -c turns on
 * the clean-value cache, kept warm over the whole file as in a worker.
 * Each line: the request's index, then for the request and each request
 * pipelined after it (as `sekisho check` inspects them) the decision, the
 * score, the number of findings and every match with its whole fragment.
 *
 * -d prints instead, for every target of every request and every built-in
 * detector, what the detector itself answered (fired or not, score, rule,
 * fragment), on the value and on its Base64/hex decoded variant, whatever
 * the engine would have skipped: the strict check that a detector's early
 * exits changed none of its answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "sekisho/arena.h"
#include "sekisho/buf.h"
#include "sekisho/decode.h"
#include "sekisho/detectors.h"
#include "sekisho/engine.h"
#include "sekisho/http.h"
#include "sekisho/view.h"

#define MAX_PIPELINED 16 /* as CHECK_MAX_PIPELINED in src/cli/cmd_check.c */

static void put_verdict(sk_buf *o, const verdict *v)
{
	buf_printf(o, " [%s %d %zu", v->block ? "block" : "pass", v->score, v->nfound);
	for (size_t i = 0; i < v->nmatches; i++) {
		const verdict_match *m = &v->matches[i];
		buf_printf(o, " {%s ", m->detector);
		buf_json_str(o, sk_slice_make(m->rule, strlen(m->rule)));
		buf_printf(o, " %d %s ", m->score, target_loc_name(m->loc));
		buf_json_str(o, m->name);
		buf_puts(o, " ");
		buf_json_str(o, m->fragment);
		buf_printf(o, "%s}", m->decoded_variant ? " decoded" : "");
	}
	buf_puts(o, "]");
}

/* Every detector on one value: "d:score:rule:off:len" for each that fired,
 * "-" when none did. */
static void put_detectors(sk_buf *o, const target *t, sk_slice value, int paranoia)
{
	det_input in = { value, det_classes(value), t->name, (target_loc)t->loc, paranoia };
	bool any = false;
	for (const detector_def *d = detector_table; d->name; d++) {
		det_hit hit = { 0 };
		if (!d->fn(&in, &hit))
			continue;
		buf_printf(o, " %s:%d:%s:%zu:%zu", d->name, hit.score, hit.rule ? hit.rule : "", hit.off, hit.len);
		any = true;
	}
	if (!any)
		buf_puts(o, " -");
}

static void put_targets(sk_buf *o, const http_view *v, arena *a, int paranoia)
{
	for (size_t i = 0; i < v->ntargets; i++) {
		const target *t = &v->targets[i];
		buf_printf(o, "\n  %s", target_loc_name(t->loc));
		put_detectors(o, t, t->value, paranoia);
		sk_slice dec;
		if (t->value.len >= 8 && (decode_base64_text(a, t->value, &dec) || decode_hex_text(a, t->value, &dec))) {
			buf_puts(o, " |");
			put_detectors(o, t, dec, paranoia);
		}
	}
}

int main(int argc, char **argv)
{
	engine_config cfg;
	engine_config_default(&cfg);
	int opt;
	bool per_detector = false;
	while ((opt = getopt(argc, argv, "p:cd")) != -1) {
		if (opt == 'd')
			per_detector = true;
		else if (opt == 'p')
			cfg.paranoia = (int)strtol(optarg, NULL, 10);
		else if (opt == 'c') {
			cfg.cache = true;
			memcpy(cfg.cache_key, "verdicts-fixed-k", sizeof(cfg.cache_key));
		} else {
			fprintf(stderr, "usage: verdicts [-p PARANOIA] [-c] [-d] FILE.bin\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: verdicts [-p PARANOIA] [-c] [-d] FILE.bin\n");
		return 2;
	}
	FILE *f = fopen(argv[optind], "rb");
	if (!f) {
		perror(argv[optind]);
		return 2;
	}
	http_limits lim;
	http_limits_default(&lim);
	engine *e = engine_new(&cfg);
	engine_scratch *s = e ? engine_scratch_new(e) : NULL;
	arena *a = arena_new(lim.max_arena);
	http_header *h = calloc(lim.max_headers, sizeof(*h));
	sk_buf o;
	buf_init(&o, 64u * 1024 * 1024);
	if (!s || !a || !h)
		return 2;
	size_t len;
	char *buf;
	for (size_t idx = 0; (buf = bench_read_request(f, &len)) != NULL; idx++) {
		buf_reset(&o);
		buf_printf(&o, "%zu", idx);
		arena_reset(a);
		size_t pos = 0;
		for (int n = 0; n < MAX_PIPELINED && pos < len; n++) {
			http_request req;
			http_view v;
			sk_slice body;
			bool trunc;
			size_t used = len - pos;
			sk_error err = { 0 };
			verdict vd;
			if (http_read_request(buf + pos, len - pos, &req, h, lim.max_headers, a, &lim, &body, &trunc,
					      &used, &err) != SK_OK ||
			    view_build(&v, &req, body, trunc, a, &lim, &err) != SK_OK) {
				engine_verdict_malformed(&vd, &err);
				used = len - pos;
			} else if (per_detector) {
				put_targets(&o, &v, a, cfg.paranoia);
				pos += used;
				while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
					pos++;
				continue;
			} else {
				engine_inspect(e, s, &req, &v, NULL, a, &vd);
			}
			put_verdict(&o, &vd);
			pos += used;
			while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
				pos++;
		}
		buf_puts(&o, "\n");
		fwrite(o.p, 1, o.len, stdout);
		free(buf);
	}
	fclose(f);
	buf_free(&o);
	free(h);
	arena_free(a);
	engine_scratch_free(s);
	engine_free(e);
	return 0;
}
