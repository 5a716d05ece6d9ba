/* sink.h - where event lines go: a file, stdout/stderr, syslog, or an HTTP
 * webhook. Emitting never blocks the caller.
 *
 * Each sink has a bounded queue (events and bytes) and one writer thread
 * that drains it and does all the I/O. sink_emit copies the line, takes a
 * mutex for a few pointer moves (never held across I/O or malloc) and
 * returns. When the queue is full the line is dropped and counted; once the
 * writer has made room it writes an event of its own,
 *   {"part":"alert","kind":"events_dropped","severity":"medium",
 *    "details":{"sink":"file","dropped":N,"dropped_total":M}}
 * into the same sink, so the gap is visible in the stream itself.
 *
 * Specs (sink_open):
 *   "stderr" | "stdout"       the process's fd 2 / fd 1
 *   "syslog" | "syslog:FAC"   syslog(3), facility daemon (default), user,
 *                             auth, authpriv, local0..local7; the priority
 *                             comes from the event's severity
 *   "/abs/path/events.jsonl"  appended to; created 0640; O_APPEND|O_CLOEXEC|
 *                             O_NOFOLLOW; must be a regular file or a
 *                             character device (e.g. /dev/null)
 *   "http://host[:port]/path" webhook: one POST per event, body = the JSON
 *                             object, Content-Type: application/json; no
 *                             redirects, no proxy from the environment;
 *                             2xx is delivered, 408/429/5xx and network
 *                             errors are retried with exponential backoff,
 *                             other statuses are failures. https:// is
 *                             refused until TLS support lands.
 * A write or delivery error is reported once to stderr (again only after a
 * success) and counted; it is never fatal.
 *
 * Threads: sink_emit, sink_emit_event and the counters may be called from
 * any thread at once. sink_open, sink_reopen and sink_close are for the
 * owning (main) thread, not for a signal handler: on SIGHUP set a flag and
 * call sink_reopen from the main loop. The writer threads block all
 * signals.
 */
#ifndef SEKISHO_ALERT_SINK_H
#define SEKISHO_ALERT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/event.h"

typedef struct sink sink;

/* Tuning; sink_opts_default fills in the defaults noted here. */
typedef struct sink_opts {
	size_t queue_events;     /* 4096 lines waiting at most */
	size_t queue_bytes;      /* 16 MiB waiting at most */
	unsigned timeout_ms;     /* 2000: webhook connect + request timeout */
	unsigned retry_first_ms; /* 250: first webhook backoff, doubled each failure */
	unsigned retry_max_ms;   /* 30000: backoff cap */
	unsigned retry_attempts; /* 6: tries per event before it counts as failed */
	unsigned close_wait_ms;  /* 5000: how long sink_close keeps delivering */
} sink_opts;

/* Counters, for metrics. Monotonic over the sink's life. */
typedef struct sink_stats {
	uint64_t queued;  /* lines accepted by sink_emit */
	uint64_t written; /* lines written or delivered */
	uint64_t dropped; /* lines refused (queue full, too long, no memory, closing)
	                     or discarded when sink_close ran out of time */
	uint64_t failed;  /* lines whose write or delivery failed for good */
} sink_stats;

/* Longest line sink_emit accepts (the event encoder's cap). */
#define SINK_LINE_MAX SK_EVENT_LINE_MAX

void sink_opts_default(sink_opts *o);

/* Open a sink from `spec` (above) with default options except the queue
 * length (`queue_events`, 0 for the default). On failure returns NULL and
 * writes a one-line reason to errbuf (if errlen > 0). The spec string is
 * copied. */
sink *sink_open(const char *spec, size_t queue_events, char *errbuf, size_t errlen);
/* The same with every option; `o` NULL means defaults. Zero fields in `o`
 * take their defaults. */
sink *sink_open_opts(const char *spec, const sink_opts *o, char *errbuf, size_t errlen);

/* Queue one line (a JSON object; one trailing '\n' is allowed and ignored;
 * it must contain no other newline). The bytes are copied, so the caller
 * may reuse them at once. Never blocks on I/O. Returns 0 when queued, -1
 * when dropped (and counted). */
int sink_emit(sink *s, const char *line, size_t len);
/* Encode `ev` (event_encode) and queue it; same returns as sink_emit. */
int sink_emit_event(sink *s, const sk_event *ev);

/* Lines dropped so far (sink_stats.dropped). */
uint64_t sink_dropped(const sink *s);
void sink_get_stats(const sink *s, sink_stats *out);
/* What kind of sink this is: "file", "stdout", "stderr", "syslog", "webhook". */
const char *sink_kind(const sink *s);

/* Ask the writer to reopen a file sink by its path (log rotation). It
 * happens on the writer thread before its next write; a failure keeps the
 * old file and is reported. No effect on other kinds. */
void sink_reopen(sink *s);
/* Stop accepting lines, deliver what is queued for at most close_wait_ms
 * (what is left then is dropped and counted), join the writer and free
 * everything. NULL is allowed. `s` must not be used afterwards, and no
 * other thread may still be emitting to it. */
void sink_close(sink *s);

/* ---- fan-out: one emit, several sinks ---- */

typedef struct sinks sinks;

/* Open every spec; all or nothing (on failure the ones opened are closed,
 * NULL is returned and errbuf names the bad spec). n == 0 is allowed and
 * gives a fan-out that drops nothing and writes nowhere. */
sinks *sinks_open(const char *const *specs, size_t n, const sink_opts *o, char *errbuf, size_t errlen);
/* Queue the line on every sink. Returns how many sinks dropped it (0 is
 * complete success). */
int sinks_emit(sinks *ss, const char *line, size_t len);
/* Encode once, queue on every sink. Returns how many sinks dropped it
 * (all of them if it could not be encoded). */
int sinks_emit_event(sinks *ss, const sk_event *ev);
/* Sum of sink_dropped over the sinks. */
uint64_t sinks_dropped(const sinks *ss);
size_t sinks_count(const sinks *ss);
/* The i-th sink (for per-sink metrics), or NULL past the end. */
sink *sinks_get(sinks *ss, size_t i);
void sinks_reopen(sinks *ss);
/* sink_close on each, then free. NULL is allowed. */
void sinks_close(sinks *ss);

#endif
