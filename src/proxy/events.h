/* events.h - where the proxy's events go: a fan-out over the configured
 * sinks (src/alert). Emitting never blocks the event loop. */
#ifndef SEKISHO_PROXY_EVENTS_H
#define SEKISHO_PROXY_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct events;

/* spec: one sink spec ("stderr", "stdout", "syslog", a file path or an
 * http:// webhook URL). NULL with a message on failure. */
struct events *events_open(const char *spec, char *errbuf, size_t errlen);
/* Queue one line (a JSON object ending in '\n'); drops and counts when the
 * sink is backed up. */
void events_emit(struct events *ev, const char *line, size_t len);
uint64_t events_dropped(const struct events *ev);
void events_reopen(struct events *ev);
void events_close(struct events *ev);

#endif
