/* corpus.h - request records in the shared corpus schema (JSON lines). */
#ifndef SEKISHO_CLI_CORPUS_H
#define SEKISHO_CLI_CORPUS_H

#include <stdbool.h>

#include "sekisho/arena.h"
#include "sekisho/buf.h"
#include "sekisho/slice.h"

typedef struct corpus_record {
	char id[64];
	char category[32];
	char spot[96];
	bool expect_block;
	sk_slice method, path, body, raw; /* in the arena */
	bool body_base64;
} corpus_record;

/* Parse one JSON line into `r` and write the request's wire bytes into
 * `request`. Slices in `r` live in `a`. Returns 0, or -1 with a message. */
int corpus_parse_line(const char *line, size_t len, arena *a, corpus_record *r, sk_buf *request, char *errbuf,
		      size_t errlen);

#endif
