/* events.c - the proxy's event output over one sink (src/alert/sink.h). */
#include "events.h"

#include <stdlib.h>

#include "../alert/sink.h"

/* Events queued per sink before new ones are dropped (and counted). */
#define EVENTS_QUEUE 65536

struct events {
	sink *s;
};

struct events *events_open(const char *spec, char *errbuf, size_t errlen)
{
	struct events *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->s = sink_open(spec, EVENTS_QUEUE, errbuf, errlen);
	if (!ev->s) {
		free(ev);
		return NULL;
	}
	return ev;
}

void events_emit(struct events *ev, const char *line, size_t len)
{
	if (ev)
		sink_emit(ev->s, line, len);
}

uint64_t events_dropped(const struct events *ev)
{
	return ev ? sink_dropped(ev->s) : 0;
}

void events_reopen(struct events *ev)
{
	if (ev)
		sink_reopen(ev->s);
}

void events_close(struct events *ev)
{
	if (!ev)
		return;
	sink_close(ev->s);
	free(ev);
}
