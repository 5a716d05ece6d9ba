/* event.h - the one event record every part emits, and its JSON encoding.
 *
 * An event is one JSON object on one line (docs/events.md is the schema):
 *
 *   {"time":"2026-11-23T16:36:31.123Z","part":"proxy","kind":"block",
 *    "severity":"high","src":"203.0.113.5","request_id":"...","host":"...",
 *    "method":"POST","uri":"/login","details":{...}}
 *
 * time, part, kind and severity are always present; src, request_id, host,
 * method, uri and details only when the caller set them (non-empty). Keys
 * come in this order, so a reader can rely on it.
 *
 * Details: the caller gives either or both of
 *   - `fields`, a small array of typed key/value pairs (string, integer,
 *     boolean, or a pre-encoded JSON value), and
 *   - `details_json`, a pre-encoded JSON object built with sk_buf
 *     (buf_json_str escapes strings safely).
 * The details object is the fields in order followed by the members of
 * details_json. Pre-encoded JSON is checked (strict RFC 8259, valid UTF-8,
 * bounded depth); if it is not valid it is left out and the details say
 * "details_invalid":true, so one bug cannot corrupt the stream.
 *
 * Every string from the caller, including attacker-controlled ones, goes
 * through buf_json_str: the line is valid UTF-8 JSON, has no raw control
 * byte (so never a raw newline), and has '<', '>', '&' escaped.
 *
 * Pure: no I/O, no global state. The caller passes the time.
 */
#ifndef SEKISHO_EVENT_H
#define SEKISHO_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sekisho/buf.h"
#include "sekisho/slice.h"

/* Largest encoded event, newline included. The audit log keeps the full
 * header set of a flagged request (32 KB head limit, escaping can grow it
 * six-fold for control bytes), plus the verdict: 256 KiB holds that. Past
 * it the details are dropped and the event is still written. */
#define SK_EVENT_LINE_MAX (256 * 1024)
/* Caps on the short fixed fields, so one huge URI cannot crowd out the
 * details: longer values are cut (at a UTF-8 boundary) and the event says
 * "truncated":true. 8 KB is the request-line limit (limits.h). */
#define SK_EVENT_FIELD_MAX 8192
/* Nesting accepted in details_json. */
#define SK_EVENT_JSON_DEPTH 32

typedef enum sk_severity {
	SK_SEV_INFO = 0,
	SK_SEV_LOW,
	SK_SEV_MEDIUM,
	SK_SEV_HIGH,
	SK_SEV_CRITICAL,
} sk_severity;

typedef enum sk_event_ftype {
	SK_EVF_STR = 0, /* `str` as a JSON string (escaped) */
	SK_EVF_INT,     /* `num` as a JSON integer */
	SK_EVF_BOOL,    /* `num` != 0 -> true, else false */
	SK_EVF_JSON,    /* `str` is a pre-encoded JSON value (checked like details_json) */
} sk_event_ftype;

/* One key/value pair of the details. `key` is a program constant
 * (NUL-terminated, e.g. "rule"); it is escaped all the same. */
typedef struct sk_event_field {
	const char *key;
	sk_event_ftype type;
	sk_slice str;
	long long num;
} sk_event_field;

/* Helpers to write field arrays tersely:
 *   sk_event_field f[] = { SK_EVF_S("rule", rule), SK_EVF_I("score", 9) }; */
#define SK_EVF_S(k, slice) ((sk_event_field){ (k), SK_EVF_STR, (slice), 0 })
#define SK_EVF_I(k, n) ((sk_event_field){ (k), SK_EVF_INT, SK_SLICE_NULL, (long long)(n) })
#define SK_EVF_B(k, b) ((sk_event_field){ (k), SK_EVF_BOOL, SK_SLICE_NULL, (b) ? 1 : 0 })
#define SK_EVF_J(k, json) ((sk_event_field){ (k), SK_EVF_JSON, (json), 0 })

/* The record. Zero-initialise, then set what you know. Nothing is owned:
 * every pointer only has to stay valid during event_encode. */
typedef struct sk_event {
	struct timespec time; /* CLOCK_REALTIME; written in UTC with milliseconds */
	const char *part;     /* "proxy", "logscan", "fim", "dns", "egress", "alert"; NULL -> "unknown" */
	const char *kind;     /* short snake_case word: "block", "detect", "ban", ...; NULL -> "unknown" */
	sk_severity severity; /* out of range -> written as "info" */
	sk_slice src;         /* source address as text */
	sk_slice request_id;
	sk_slice host;
	sk_slice method;
	sk_slice uri;
	const sk_event_field *fields; /* `nfields` pairs, or NULL */
	size_t nfields;
	sk_slice details_json; /* a JSON object "{...}", or empty */
} sk_event;

/* Append `ev` as one JSON line, '\n' included, to `out`. Keeps the line
 * under min(out->max, SK_EVENT_LINE_MAX): if the details do not fit they
 * are replaced by "details_dropped":"too large". Returns true when a line
 * was appended; false only if even the fixed fields do not fit (or malloc
 * failed), in which case `out` is left as it was. `out` is the caller's. */
bool event_encode(const sk_event *ev, sk_buf *out);

/* "info", "low", "medium", "high", "critical"; "info" for out-of-range. */
const char *event_severity_name(sk_severity s);
/* Parse a severity name (ASCII case-insensitive). Returns false if `s`
 * names none; *out is untouched then. */
bool event_severity_parse(sk_slice s, sk_severity *out);

/* Write `t` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 bytes) plus a NUL into
 * out[25]. Times before year 0 or after 9999 are clamped to those ends. */
void event_format_time(struct timespec t, char out[25]);

/* True if `s` is one strict RFC 8259 JSON value (object, array, string,
 * number, literal) with optional surrounding whitespace, valid UTF-8 and
 * nesting at most SK_EVENT_JSON_DEPTH. Linear time, no recursion. */
bool event_json_valid(sk_slice s);

#endif
