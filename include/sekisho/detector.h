/* detector.h - the contract between the engine and one detector.
 *
 * A detector looks at one decoded value and says whether it is an attack of
 * its class, how sure it is, and which bytes decided. It allocates nothing,
 * keeps no state between calls and must be linear in the input length.
 * The engine (lib/detect/engine.c) chooses which values each detector sees,
 * sums scores and decides.
 */
#ifndef SEKISHO_DETECTOR_H
#define SEKISHO_DETECTOR_H

#include <stddef.h>

#include "sekisho/slice.h"
#include "sekisho/target.h"

/* Scores, after the anomaly-scoring idea of the OWASP Core Rule Set: one
 * confident finding reaches the default block threshold on its own. */
enum {
	DET_SCORE_CRITICAL = 5, /* an attack beyond reasonable doubt */
	DET_SCORE_ERROR = 4,
	DET_SCORE_WARNING = 3,  /* suspicious; blocks only with other findings */
	DET_SCORE_NOTICE = 2,
};

typedef struct det_input {
	sk_slice value;  /* decoded value to inspect */
	sk_slice name;   /* parameter/header name, may be empty */
	target_loc loc;  /* where the value was found */
	int paranoia;    /* 1 (default) .. 3 (most sensitive) */
} det_input;

typedef struct det_hit {
	const char *rule; /* static id and reason, e.g. "sqli.union: fingerprint s&1UE" */
	int score;        /* DET_SCORE_* */
	size_t off, len;  /* the deciding fragment within in->value */
} det_hit;

/* Inspect `in`. Return 1 and fill `hit` when the value is an attack,
 * 0 otherwise. Must not read outside in->value. */
typedef int (*detector_fn)(const det_input *in, det_hit *hit);

#endif
