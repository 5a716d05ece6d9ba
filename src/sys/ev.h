/* ev.h - a small event loop: file-descriptor readiness and one periodic
 * tick for timeouts. One loop per worker thread; nothing is shared between
 * loops. The backend is epoll (ev_epoll.c).
 */
#ifndef SEKISHO_SYS_EV_H
#define SEKISHO_SYS_EV_H

#include <signal.h>
#include <stdint.h>

enum { EV_READ = 1u << 0, EV_WRITE = 1u << 1, EV_ERROR = 1u << 2 };

typedef struct ev_loop ev_loop;
typedef void (*ev_io_fn)(ev_loop *loop, int fd, unsigned events, void *ud);
typedef void (*ev_tick_fn)(ev_loop *loop, void *ud);

/* A loop able to watch descriptors below `max_fds`. NULL on failure. */
ev_loop *ev_new(int max_fds);
void ev_free(ev_loop *loop);

/* Watch `fd` for `events` (EV_READ|EV_WRITE); fn is called with what is
 * ready (EV_ERROR on hang-up or error). 0, or -1 with errno. */
int ev_add(ev_loop *loop, int fd, unsigned events, ev_io_fn fn, void *ud);
/* Change the events watched for fd (0 = none, but stay registered). */
int ev_mod(ev_loop *loop, int fd, unsigned events);
/* Stop watching fd (call before close). */
void ev_del(ev_loop *loop, int fd);

/* Call fn every `ms` milliseconds (timeouts are swept there). */
void ev_set_tick(ev_loop *loop, unsigned ms, ev_tick_fn fn, void *ud);
/* Monotonic milliseconds, updated once per loop iteration. */
uint64_t ev_now(const ev_loop *loop);

/* Run until *stop becomes non-zero (checked at least every tick). */
int ev_run(ev_loop *loop, volatile sig_atomic_t *stop);

#endif
