/* sink_backend.h - what sink.c (queue and writer thread) needs from each
 * kind of sink, and the helpers it gives them. Private to src/alert. */
#ifndef SEKISHO_ALERT_SINK_BACKEND_H
#define SEKISHO_ALERT_SINK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "sink.h"

/* A queued line: p[0..len) is the JSON object, p[len] == '\n' and
 * p[len + 1] == '\0', so a backend can write it with or without the
 * newline, or pass it to a C-string API. */
typedef struct sink_line {
	char *p;
	size_t len;
} sink_line;

/* Every function runs on the sink's writer thread only (except open, which
 * runs in sink_open), so backends need no locks of their own. */
typedef struct sink_backend_ops {
	const char *kind;
	/* Deliver lines[0..n) in order. Returns how many were delivered; the
	 * rest count as failed. May back off with sink_pause. */
	size_t (*write)(void *be, sink *s, const sink_line *lines, size_t n);
	/* Reopen the destination (files); NULL when it means nothing. */
	void (*reopen)(void *be, sink *s);
	void (*close)(void *be);
} sink_backend_ops;

/* Backend constructors: return the backend state (and *ops), or NULL with
 * a reason in err. */
void *sink_file_open(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
		     size_t errlen);
void *sink_syslog_open(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
		       size_t errlen);
void *sink_webhook_open(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
			size_t errlen);

/* Wait up to `ms` (for a backoff). Returns false when the sink is closing
 * and its flush deadline has passed: give up on the remaining lines. */
bool sink_pause(sink *s, unsigned ms);
/* Milliseconds left before the flush deadline (at least 1), or `cap` when
 * the sink is not closing, whichever is smaller. */
unsigned sink_time_left_ms(sink *s, unsigned cap);
/* Report a write/delivery error to stderr, once per run of failures. */
void sink_report_error(sink *s, const char *what, const char *why);
/* A write succeeded: the next error is reported again. */
void sink_report_ok(sink *s);

#endif
