/* scanner_table.h - the generated fingerprint tables of scanner.c (private
 * to lib/detect). See tools/data/scanner.txt for what each table means. */
#ifndef SEKISHO_SCANNER_TABLE_H
#define SEKISHO_SCANNER_TABLE_H

#include <stddef.h>

typedef struct sc_word {
	const char *s; /* lower case */
	size_t len;
} sc_word;

/* The words of a sorted table by first byte: those that start with c are
 * w[start[c] .. start[c] + count[c]); start and count are 0 for a byte no
 * word starts with. Emitted by the generator for the kinds searched by
 * first byte, so no call has to build it. */
typedef struct sc_index {
	unsigned char start[256];
	unsigned char count[256]; /* the tables have a few dozen words */
} sc_index;

typedef struct sc_table {
	const sc_word *w; /* sorted by strcmp */
	size_t n;
	const sc_index *x; /* NULL but for the kinds searched by first byte */
} sc_table;

extern const sc_table sc_ua, sc_hdr, sc_oob, sc_dot_ok, sc_dir, sc_dirnum, sc_contains, sc_suffix, sc_root,
	sc_ext, sc_rootext, sc_fileprefix, sc_sub;

#endif
