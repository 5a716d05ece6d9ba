/* engine.h - the detection engine: targets in, verdict out.
 *
 * An engine is built once from a configuration and is immutable afterwards,
 * so every worker thread can use the same one (STYLE.md practice 5: a
 * reload builds a new engine and swaps a pointer). Per-request memory comes
 * from the request's arena.
 *
 * Pipeline per request: protocol findings (anomalies from the parser, body
 * parser errors, decoding facts) -> every detector on every target it
 * applies to (and on Base64/hex-decoded variants) -> user rules ->
 * exceptions -> anomaly score -> decision against the threshold.
 */
#ifndef SEKISHO_ENGINE_H
#define SEKISHO_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sekisho/addr.h"
#include "sekisho/arena.h"
#include "sekisho/http.h"
#include "sekisho/view.h"

struct ruleset;

/* An exception: detector (or rule id) `what` is not applied where the path
 * starts with `path_prefix` (empty: any path) and the target name equals
 * `param` (empty: any target). E.g. allow "xss" for /wp-admin/ on "content". */
typedef struct engine_exception {
	char what[32];
	char path_prefix[256];
	char param[128];
} engine_exception;

typedef struct engine_config {
	int paranoia;    /* 1..3 */
	int threshold;   /* block when the score reaches it; default 5 */
	const engine_exception *exceptions;
	size_t nexceptions;
	const struct ruleset *rules; /* user rules and virtual patches, or NULL */
	/* Remember, per worker (engine_scratch), values on which no built-in
	 * detector found anything, and skip the detectors when the same value
	 * comes again under the same name and location (header values, cookie
	 * values and names and the like repeat on every request of a visit;
	 * about 160 KB per worker). User rules still see
	 * every value. Entries are SipHash-1-3 tags under `cache_key`, which
	 * must be secret and random (fill it from getrandom): an attacker who
	 * knew it could look for an attack with the tag of a cached clean
	 * value. Off by default (engine_config_default). */
	bool cache;
	uint8_t cache_key[16];
} engine_config;

void engine_config_default(engine_config *c);

typedef struct verdict_match {
	const char *detector; /* "sqli", ..., "protocol", "rule" */
	const char *rule;     /* why, e.g. "sqli.union: s&UE" */
	int score;
	target_loc loc;
	sk_slice name;        /* target name */
	sk_slice fragment;    /* the deciding bytes (points into the view or arena) */
	bool decoded_variant; /* found after Base64/hex decoding of the value */
} verdict_match;

#define VERDICT_MAX_MATCHES 32

typedef struct verdict {
	int score;
	bool block;
	bool allowed;        /* an allow rule matched: the request passes */
	size_t nmatches;     /* matches recorded (capped at VERDICT_MAX_MATCHES) */
	size_t nfound;       /* matches found, including those not recorded */
	verdict_match matches[VERDICT_MAX_MATCHES];
} verdict;

typedef struct engine engine;
/* Per-worker mutable state (pattern-matching scratch, the clean-value
 * cache). One per thread; it belongs to the engine it was made for. */
typedef struct engine_scratch engine_scratch;

/* Build an engine; copies what it needs from `c` (exceptions included; the
 * ruleset is borrowed and must outlive the engine). NULL on out of memory. */
engine *engine_new(const engine_config *c);
void engine_free(engine *e);
const engine_config *engine_get_config(const engine *e);
engine_scratch *engine_scratch_new(const engine *e);
void engine_scratch_free(engine_scratch *s);

/* Inspect a parsed request and its view. `client` is the client address
 * (NULL if unknown: ip rules do not match). `a` is the request arena (used
 * for decoded variants). Fills `out`. Never fails: on arena exhaustion a
 * variant is skipped and the rest still inspected. */
void engine_inspect(const engine *e, engine_scratch *s, const http_request *req, const http_view *v,
		    const sk_addr *client, arena *a, verdict *out);

/* Add a match to a verdict and its score to the total. */
void verdict_add(verdict *out, const verdict_match *m);

/* Record a match for a request the parser refused (malformed HTTP): the
 * verdict is a block with detector "protocol". */
void engine_verdict_malformed(verdict *out, const sk_error *err);

struct sk_buf;
/* Append the verdict as one JSON object:
 * {"decision":"block|pass","score":N,"matches":[{detector,rule,score,loc,name,fragment}...]} */
void verdict_json(struct sk_buf *o, const verdict *v);

#endif
