/* sink.c - sink opening by spec, the bounded queue, and the writer thread
 * (see sink.h). Backends live in sink_file.c, sink_syslog.c and
 * sink_webhook.c behind sink_backend_ops. */
#include "sink_backend.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lines the writer takes from the queue per turn: enough to make a batch
 * worth one writev, few enough to return to the queue often. */
#define SINK_BATCH 64

struct sink {
	const sink_backend_ops *ops;
	void *be;
	sink_opts opts;

	pthread_mutex_t mu;
	pthread_cond_t cv;      /* writer waits here for lines or work */
	pthread_cond_t stop_cv; /* sink_pause waits here; sink_close wakes it */
	pthread_t thread;

	/* Ring of queued lines, guarded by mu. */
	sink_line *ring;
	size_t cap, head, count, bytes;
	bool stopping;
	bool reopen;
	struct timespec deadline; /* CLOCK_MONOTONIC flush deadline once stopping */

	atomic_uint_fast64_t queued, written, dropped, failed;
	uint64_t dropped_reported; /* writer thread only */
	bool error_reported;       /* writer thread only */
};

void sink_opts_default(sink_opts *o)
{
	o->queue_events = 4096;
	o->queue_bytes = 16u << 20;
	o->timeout_ms = 2000;
	o->retry_first_ms = 250;
	o->retry_max_ms = 30000;
	o->retry_attempts = 6;
	o->close_wait_ms = 5000;
}

/* ---- time helpers (CLOCK_MONOTONIC) ---- */

static struct timespec mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static struct timespec ts_add_ms(struct timespec t, unsigned ms)
{
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static bool ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static bool past_deadline_locked(const sink *s)
{
	return s->stopping && !ts_before(mono_now(), s->deadline);
}

/* ---- helpers for backends ---- */

bool sink_pause(sink *s, unsigned ms)
{
	struct timespec until = ts_add_ms(mono_now(), ms);
	bool ok = true;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (past_deadline_locked(s)) {
			ok = false;
			break;
		}
		struct timespec now = mono_now();
		if (!ts_before(now, until))
			break;
		struct timespec t = until;
		if (s->stopping && ts_before(s->deadline, t))
			t = s->deadline;
		pthread_cond_timedwait(&s->stop_cv, &s->mu, &t);
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

unsigned sink_time_left_ms(sink *s, unsigned cap)
{
	unsigned left = cap;
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		struct timespec now = mono_now();
		long long ms = (long long)(s->deadline.tv_sec - now.tv_sec) * 1000 +
			       (s->deadline.tv_nsec - now.tv_nsec) / 1000000;
		if (ms < 1)
			ms = 1;
		if ((unsigned long long)ms < left)
			left = (unsigned)ms;
	}
	pthread_mutex_unlock(&s->mu);
	return left;
}

void sink_report_error(sink *s, const char *what, const char *why)
{
	if (s->error_reported)
		return;
	s->error_reported = true;
	fprintf(stderr, "sekisho: event sink (%s): %s: %s (further errors counted, not shown)\n",
		s->ops->kind, what, why);
}

void sink_report_ok(sink *s)
{
	s->error_reported = false;
}

/* ---- the writer thread ---- */

static void write_lines(sink *s, const sink_line *lines, size_t n)
{
	size_t done = s->ops->write(s->be, s, lines, n);
	if (done > n)
		done = n;
	atomic_fetch_add_explicit(&s->written, done, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->failed, n - done, memory_order_relaxed);
}

/* Write an events_dropped event for the drops not yet reported. */
static void report_drops(sink *s)
{
	uint64_t total = atomic_load_explicit(&s->dropped, memory_order_relaxed);
	if (total == s->dropped_reported)
		return;
	uint64_t delta = total - s->dropped_reported;
	s->dropped_reported = total;
	sk_event_field f[] = {
		{ "sink", SK_EVF_STR, sk_slice_make(s->ops->kind, strlen(s->ops->kind)), 0 },
		SK_EVF_I("dropped", delta),
		SK_EVF_I("dropped_total", total),
	};
	sk_event ev = { .part = "alert", .kind = "events_dropped", .severity = SK_SEV_MEDIUM };
	ev.fields = f;
	ev.nfields = sizeof(f) / sizeof(f[0]);
	clock_gettime(CLOCK_REALTIME, &ev.time);
	sk_buf b;
	buf_init(&b, 4096);
	if (event_encode(&ev, &b)) {
		sink_line l = { b.p, b.len - 1 };
		write_lines(s, &l, 1);
	}
	buf_free(&b);
}

static void *writer_main(void *arg)
{
	sink *s = arg;
	sink_line batch[SINK_BATCH];
	pthread_mutex_lock(&s->mu);
	for (;;) {
		uint64_t dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
		if (s->count == 0 && !s->reopen) {
			if (s->stopping)
				break;
			if (dropped == s->dropped_reported) {
				/* Timed, so that drops counted while we slept are
				 * reported within a second even if no line comes. */
				struct timespec t;
				clock_gettime(CLOCK_MONOTONIC, &t);
				t.tv_sec += 1;
				pthread_cond_timedwait(&s->cv, &s->mu, &t);
				continue;
			}
		}
		if (s->reopen) {
			s->reopen = false;
			pthread_mutex_unlock(&s->mu);
			if (s->ops->reopen)
				s->ops->reopen(s->be, s);
			pthread_mutex_lock(&s->mu);
			continue;
		}
		size_t n = 0, bytes = 0;
		while (n < SINK_BATCH && s->count) {
			batch[n] = s->ring[s->head];
			bytes += batch[n].len;
			s->head = (s->head + 1) % s->cap;
			s->count--;
			n++;
		}
		s->bytes -= bytes;
		bool give_up = past_deadline_locked(s);
		pthread_mutex_unlock(&s->mu);

		if (give_up) {
			atomic_fetch_add_explicit(&s->dropped, n, memory_order_relaxed);
		} else {
			if (n)
				write_lines(s, batch, n);
			/* There is room in the queue again: say what was lost. */
			report_drops(s);
		}
		for (size_t i = 0; i < n; i++)
			free(batch[i].p);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- opening ---- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void *open_backend(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
			  size_t errlen)
{
	if (strcmp(spec, "stderr") == 0 || strcmp(spec, "stdout") == 0 || spec[0] == '/')
		return sink_file_open(spec, o, ops, err, errlen);
	if (strcmp(spec, "syslog") == 0 || has_prefix(spec, "syslog:"))
		return sink_syslog_open(spec, o, ops, err, errlen);
	if (has_prefix(spec, "http://"))
		return sink_webhook_open(spec, o, ops, err, errlen);
	if (has_prefix(spec, "https://"))
		snprintf(err, errlen, "https webhooks are not supported yet (TLS comes later): use http://");
	else
		snprintf(err, errlen,
			 "unknown event sink \"%.200s\": want stderr, stdout, syslog[:facility], an absolute "
			 "file path, or http://host:port/path",
			 spec);
	return NULL;
}

static void set_err(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", msg);
}

sink *sink_open_opts(const char *spec, const sink_opts *o, char *errbuf, size_t errlen)
{
	char err[512] = "";
	sink_opts opts;
	sink_opts_default(&opts);
	if (o) {
		/* Zero means "default" field by field. */
		if (o->queue_events)
			opts.queue_events = o->queue_events;
		if (o->queue_bytes)
			opts.queue_bytes = o->queue_bytes;
		if (o->timeout_ms)
			opts.timeout_ms = o->timeout_ms;
		if (o->retry_first_ms)
			opts.retry_first_ms = o->retry_first_ms;
		if (o->retry_max_ms)
			opts.retry_max_ms = o->retry_max_ms;
		if (o->retry_attempts)
			opts.retry_attempts = o->retry_attempts;
		if (o->close_wait_ms)
			opts.close_wait_ms = o->close_wait_ms;
	}
	if (!spec || !spec[0]) {
		set_err(errbuf, errlen, "empty event sink spec");
		return NULL;
	}
	if (opts.queue_events > (SIZE_MAX / sizeof(sink_line)) / 2) {
		set_err(errbuf, errlen, "event sink queue too long");
		return NULL;
	}
	sink *s = calloc(1, sizeof(*s));
	if (!s || !(s->ring = calloc(opts.queue_events, sizeof(sink_line)))) {
		free(s);
		set_err(errbuf, errlen, "out of memory");
		return NULL;
	}
	s->opts = opts;
	s->cap = opts.queue_events;
	s->be = open_backend(spec, &s->opts, &s->ops, err, sizeof(err));
	if (!s->be) {
		set_err(errbuf, errlen, err[0] ? err : "cannot open event sink");
		free(s->ring);
		free(s);
		return NULL;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, &ca);
	pthread_cond_init(&s->stop_cv, &ca);
	pthread_condattr_destroy(&ca);

	/* The writer inherits a mask with every signal blocked, so SIGHUP,
	 * SIGTERM and SIGPIPE stay with the threads that handle them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&s->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, sizeof(err), "cannot start the event sink thread: %s", strerror(rc));
		set_err(errbuf, errlen, err);
		s->ops->close(s->be);
		pthread_cond_destroy(&s->stop_cv);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s->ring);
		free(s);
		return NULL;
	}
	return s;
}

sink *sink_open(const char *spec, size_t queue_events, char *errbuf, size_t errlen)
{
	sink_opts o;
	sink_opts_default(&o);
	if (queue_events)
		o.queue_events = queue_events;
	return sink_open_opts(spec, &o, errbuf, errlen);
}

/* ---- emitting ---- */

static int drop(sink *s)
{
	atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
	return -1;
}

/* Queue `p` (owned: freed here if refused), a line of `len` bytes with
 * p[len] == '\n' and p[len + 1] == '\0'. */
static int push_owned(sink *s, char *p, size_t len)
{
	pthread_mutex_lock(&s->mu);
	if (s->stopping || s->count == s->cap || len > s->opts.queue_bytes - s->bytes) {
		pthread_mutex_unlock(&s->mu);
		free(p);
		return drop(s);
	}
	s->ring[(s->head + s->count) % s->cap] = (sink_line){ p, len };
	s->count++;
	s->bytes += len;
	/* Wake the writer only when it may be asleep on an empty queue. */
	bool wake = s->count == 1;
	pthread_mutex_unlock(&s->mu);
	if (wake)
		pthread_cond_signal(&s->cv);
	atomic_fetch_add_explicit(&s->queued, 1, memory_order_relaxed);
	return 0;
}

int sink_emit(sink *s, const char *line, size_t len)
{
	if (len && line[len - 1] == '\n')
		len--;
	if (len > SINK_LINE_MAX)
		return drop(s);
	/* Cheap early refusal under overload, so a flood does not malloc. */
	pthread_mutex_lock(&s->mu);
	bool full = s->stopping || s->count == s->cap;
	pthread_mutex_unlock(&s->mu);
	if (full)
		return drop(s);
	char *p = malloc(len + 2);
	if (!p)
		return drop(s);
	if (len)
		memcpy(p, line, len);
	p[len] = '\n';
	p[len + 1] = '\0';
	return push_owned(s, p, len);
}

int sink_emit_event(sink *s, const sk_event *ev)
{
	sk_buf b;
	buf_init(&b, SINK_LINE_MAX);
	if (!event_encode(ev, &b)) {
		buf_free(&b);
		return drop(s);
	}
	/* event_encode ended the line with '\n' and a NUL: hand the buffer
	 * itself to the queue instead of copying it again. */
	return push_owned(s, b.p, b.len - 1);
}

uint64_t sink_dropped(const sink *s)
{
	return atomic_load_explicit(&((sink *)s)->dropped, memory_order_relaxed);
}

void sink_get_stats(const sink *s, sink_stats *out)
{
	sink *m = (sink *)s; /* atomics are read-only here; C11 wants non-const */
	out->queued = atomic_load_explicit(&m->queued, memory_order_relaxed);
	out->written = atomic_load_explicit(&m->written, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&m->dropped, memory_order_relaxed);
	out->failed = atomic_load_explicit(&m->failed, memory_order_relaxed);
}

const char *sink_kind(const sink *s)
{
	return s->ops->kind;
}

void sink_reopen(sink *s)
{
	pthread_mutex_lock(&s->mu);
	s->reopen = true;
	pthread_mutex_unlock(&s->mu);
	pthread_cond_signal(&s->cv);
}

void sink_close(sink *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	s->deadline = ts_add_ms(mono_now(), s->opts.close_wait_ms);
	pthread_mutex_unlock(&s->mu);
	pthread_cond_signal(&s->cv);
	pthread_cond_broadcast(&s->stop_cv);
	pthread_join(s->thread, NULL);
	s->ops->close(s->be);
	pthread_cond_destroy(&s->stop_cv);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->ring);
	free(s);
}

/* ---- fan-out ---- */

struct sinks {
	size_t n;
	sink *s[];
};

sinks *sinks_open(const char *const *specs, size_t n, const sink_opts *o, char *errbuf, size_t errlen)
{
	if (n > 64) {
		set_err(errbuf, errlen, "too many event sinks (64 at most)");
		return NULL;
	}
	sinks *ss = calloc(1, sizeof(*ss) + n * sizeof(sink *));
	if (!ss) {
		set_err(errbuf, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ss->s[i] = sink_open_opts(specs[i], o, errbuf, errlen);
		if (!ss->s[i]) {
			sinks_close(ss);
			return NULL;
		}
		ss->n++;
	}
	return ss;
}

int sinks_emit(sinks *ss, const char *line, size_t len)
{
	int refused = 0;
	for (size_t i = 0; i < ss->n; i++)
		refused += sink_emit(ss->s[i], line, len) != 0;
	return refused;
}

int sinks_emit_event(sinks *ss, const sk_event *ev)
{
	if (ss->n == 1)
		return sink_emit_event(ss->s[0], ev) != 0;
	sk_buf b;
	buf_init(&b, SINK_LINE_MAX);
	int refused;
	if (event_encode(ev, &b))
		refused = sinks_emit(ss, b.p, b.len);
	else {
		for (size_t i = 0; i < ss->n; i++)
			drop(ss->s[i]);
		refused = (int)ss->n;
	}
	buf_free(&b);
	return refused;
}

uint64_t sinks_dropped(const sinks *ss)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < ss->n; i++)
		sum += sink_dropped(ss->s[i]);
	return sum;
}

size_t sinks_count(const sinks *ss)
{
	return ss->n;
}

sink *sinks_get(sinks *ss, size_t i)
{
	return i < ss->n ? ss->s[i] : NULL;
}

void sinks_reopen(sinks *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		sink_reopen(ss->s[i]);
}

void sinks_close(sinks *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->n; i++)
		sink_close(ss->s[i]);
	free(ss);
}
