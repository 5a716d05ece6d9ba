/* detect_values.c - run detectors over values split out of the corpus by
 * tools/corpus_values.py and print, per category, the share of requests in
 * which a detector fired. A development tool for tuning one detector before
 * the whole engine runs; bench/detect measures the engine on whole requests.
 *
 *   detect_values [-d DETECTOR] [-p PARANOIA] [-v] [-s SCORE] FILE.tsv
 *
 * -v prints every hit (for benign files: the false positives to look at).
 * -s counts only hits with at least SCORE (default 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sekisho/detectors.h"

#define MAX_CATS 64

struct cat {
	char name[32];
	unsigned requests, hit;
};

static struct cat cats[MAX_CATS];
static unsigned ncats;

static struct cat *cat_get(const char *name)
{
	for (unsigned i = 0; i < ncats; i++)
		if (strcmp(cats[i].name, name) == 0)
			return &cats[i];
	if (ncats == MAX_CATS)
		return &cats[MAX_CATS - 1];
	snprintf(cats[ncats].name, sizeof(cats[ncats].name), "%s", name);
	return &cats[ncats++];
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Undo the tests/data escaping in place; returns the new length. */
static size_t unescape(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			char e = s[++i];
			if (e == 'n') c = '\n';
			else if (e == 'r') c = '\r';
			else if (e == 't') c = '\t';
			else if (e == '0') c = '\0';
			else if (e == 'x' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
				c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
				i += 2;
			} else c = e;
		}
		s[o++] = c;
	}
	return o;
}

static target_loc loc_from_name(const char *s)
{
	for (int l = 0; l < LOC__COUNT; l++)
		if (strcmp(target_loc_name((target_loc)l), s) == 0)
			return (target_loc)l;
	return LOC_BODY_RAW;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int paranoia = 1, verbose = 0, min_score = 1, opt;
	while ((opt = getopt(argc, argv, "d:p:vs:")) != -1) {
		if (opt == 'd') only = optarg;
		else if (opt == 'p') paranoia = (int)strtol(optarg, NULL, 10);
		else if (opt == 'v') verbose = 1;
		else if (opt == 's') min_score = (int)strtol(optarg, NULL, 10);
		else return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: detect_values [-d DETECTOR] [-p N] [-v] [-s SCORE] FILE.tsv\n");
		return 2;
	}
	FILE *f = fopen(argv[optind], "rb");
	if (!f) {
		perror(argv[optind]);
		return 2;
	}
	char *line = NULL, prev_id[64] = "";
	size_t cap = 0, values = 0;
	ssize_t n;
	int cur_hit = 0;
	struct cat *cur = NULL;
	struct timespec t0, t1;
	double det_ns = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		char *field[6];
		int nf = 0;
		char *p = line;
		field[nf++] = p;
		while (nf < 6 && (p = memchr(p, '\t', (size_t)(line + n - p)))) {
			*p++ = '\0';
			field[nf++] = p;
		}
		if (nf < 6)
			continue;
		if (strcmp(field[0], prev_id) != 0) {
			if (cur && cur_hit)
				cur->hit++;
			snprintf(prev_id, sizeof(prev_id), "%s", field[0]);
			cur = cat_get(field[1]);
			cur->requests++;
			cur_hit = 0;
		}
		size_t vlen = unescape(field[5], strlen(field[5])); /* checksrc: our own buffer */
		size_t nlen = unescape(field[4], strlen(field[4]));
		sk_slice v = { field[5], vlen };
		det_input in = { v, det_classes(v), { field[4], nlen }, loc_from_name(field[3]), paranoia };
		values++;
		for (const detector_def *d = detector_table; d->name; d++) {
			if (only && strcmp(only, d->name) != 0)
				continue;
			det_hit hit = { 0 };
			clock_gettime(CLOCK_MONOTONIC, &t0);
			int r = d->fn(&in, &hit);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			det_ns += (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
			if (r && hit.score >= min_score) {
				cur_hit = 1;
				if (verbose) {
					size_t off = hit.off < vlen ? hit.off : vlen;
					size_t len = hit.len <= vlen - off ? hit.len : vlen - off;
					printf("HIT %s %s %s %s=%.*s score=%d rule=%s frag=[%.*s]\n", field[0], d->name,
					       field[3], field[4], (int)(vlen > 160 ? 160 : vlen), field[5],
					       hit.score, hit.rule ? hit.rule : "?", (int)(len > 80 ? 80 : len),
					       field[5] + off);
				}
			}
		}
	}
	if (cur && cur_hit)
		cur->hit++;
	free(line);
	fclose(f);
	unsigned treq = 0, thit = 0;
	printf("%-16s %8s %8s %7s\n", "category", "requests", "fired", "share");
	for (unsigned i = 0; i < ncats; i++) {
		printf("%-16s %8u %8u %6.2f%%\n", cats[i].name, cats[i].requests, cats[i].hit,
		       cats[i].requests ? 100.0 * cats[i].hit / cats[i].requests : 0.0);
		treq += cats[i].requests;
		thit += cats[i].hit;
	}
	printf("%-16s %8u %8u %6.2f%%\n", "all", treq, thit, treq ? 100.0 * thit / treq : 0.0);
	printf("values: %zu, detector time %.0f ns/value\n", values, values ? det_ns / (double)values : 0.0);
	return 0;
}
