/* sink_syslog.c - event lines sent to syslog(3), priority from severity. */
#include "sink_backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

typedef struct syslog_be {
	int facility;
} syslog_be;

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },     { "auth", LOG_AUTH },     { "authpriv", LOG_AUTHPRIV },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* Severity -> syslog level, indexed by sk_severity. */
static const int levels[] = { LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR, LOG_CRIT };

/* Our encoder writes "severity" before any caller-controlled value, and a
 * quote inside a JSON string is always escaped, so the first match of the
 * key is the real one. Lines that are not ours get LOG_INFO. */
static int level_of(const sink_line *l)
{
	static const char key[] = "\"severity\":\"";
	const char *p = memmem(l->p, l->len, key, sizeof(key) - 1);
	if (!p)
		return LOG_INFO;
	p += sizeof(key) - 1;
	size_t left = l->len - (size_t)(p - l->p);
	const char *q = memchr(p, '"', left);
	sk_severity sev;
	if (q && event_severity_parse(sk_slice_make(p, (size_t)(q - p)), &sev))
		return levels[sev];
	return LOG_INFO;
}

static size_t syslog_write(void *v, sink *s, const sink_line *lines, size_t n)
{
	syslog_be *b = v;
	/* syslog(3) reports no errors; every line counts as delivered. */
	for (size_t i = 0; i < n; i++) {
		int len = lines[i].len > (size_t)INT32_MAX ? INT32_MAX : (int)lines[i].len;
		syslog(b->facility | level_of(&lines[i]), "%.*s", len, lines[i].p);
	}
	return n;
}

static void syslog_close(void *v)
{
	free(v);
}

static const sink_backend_ops syslog_ops = { "syslog", syslog_write, NULL, syslog_close };

static void open_log(void)
{
	/* LOG_NDELAY: connect now, before a sandbox may forbid it. */
	openlog("sekisho", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void *sink_syslog_open(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
		       size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int facility = LOG_DAEMON;
	const char *colon = strchr(spec, ':');
	if (colon) {
		size_t i;
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcmp(colon + 1, facilities[i].name) == 0)
				break;
		if (i == sizeof(facilities) / sizeof(facilities[0])) {
			snprintf(err, errlen,
				 "unknown syslog facility \"%.40s\": want daemon, user, auth, authpriv or local0..local7",
				 colon + 1);
			return NULL;
		}
		facility = facilities[i].facility;
	}
	syslog_be *b = malloc(sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->facility = facility;
	pthread_once(&once, open_log);
	*ops = &syslog_ops;
	return b;
}
