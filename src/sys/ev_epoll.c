/* ev_epoll.c - the ev.h loop on Linux epoll (level-triggered). */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

#define EV_BATCH 256

struct watcher {
	ev_io_fn fn;
	void *ud;
	unsigned events;
	unsigned active : 1;
};

struct ev_loop {
	int epfd;
	int max_fds;
	struct watcher *w;
	uint64_t now;
	unsigned tick_ms;
	uint64_t next_tick;
	ev_tick_fn tick;
	void *tick_ud;
};

static uint64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

ev_loop *ev_new(int max_fds)
{
	ev_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->w = calloc((size_t)max_fds, sizeof(*l->w));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!l->w || l->epfd < 0) {
		free(l->w);
		if (l->epfd >= 0)
			close(l->epfd);
		free(l);
		return NULL;
	}
	l->max_fds = max_fds;
	l->now = mono_ms();
	return l;
}

void ev_free(ev_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->w);
	free(l);
}

static uint32_t to_epoll(unsigned ev)
{
	return (ev & EV_READ ? EPOLLIN | EPOLLRDHUP : 0) | (ev & EV_WRITE ? EPOLLOUT : 0);
}

int ev_add(ev_loop *l, int fd, unsigned events, ev_io_fn fn, void *ud)
{
	if (fd < 0 || fd >= l->max_fds) {
		errno = EMFILE;
		return -1;
	}
	struct epoll_event e = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) != 0)
		return -1;
	l->w[fd] = (struct watcher){ fn, ud, events, 1 };
	return 0;
}

int ev_mod(ev_loop *l, int fd, unsigned events)
{
	if (fd < 0 || fd >= l->max_fds || !l->w[fd].active)
		return -1;
	if (l->w[fd].events == events)
		return 0;
	struct epoll_event e = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &e) != 0)
		return -1;
	l->w[fd].events = events;
	return 0;
}

void ev_del(ev_loop *l, int fd)
{
	if (fd < 0 || fd >= l->max_fds || !l->w[fd].active)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->w[fd].active = 0;
	l->w[fd].fn = NULL;
}

void ev_set_tick(ev_loop *l, unsigned ms, ev_tick_fn fn, void *ud)
{
	l->tick_ms = ms;
	l->tick = fn;
	l->tick_ud = ud;
	l->next_tick = mono_ms() + ms;
}

uint64_t ev_now(const ev_loop *l)
{
	return l->now;
}

int ev_run(ev_loop *l, volatile sig_atomic_t *stop)
{
	struct epoll_event evs[EV_BATCH];
	while (!*stop) {
		int timeout = 1000;
		if (l->tick) {
			uint64_t now = mono_ms();
			timeout = l->next_tick > now ? (int)(l->next_tick - now) : 0;
		}
		int n = epoll_wait(l->epfd, evs, EV_BATCH, timeout);
		if (n < 0 && errno != EINTR)
			return -1;
		l->now = mono_ms();
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct watcher *w = &l->w[fd];
			if (!w->active || !w->fn)
				continue; /* closed by an earlier callback in this batch */
			unsigned got = 0;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
				got |= EV_READ;
			if (evs[i].events & EPOLLOUT)
				got |= EV_WRITE;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				got |= EV_ERROR;
			w->fn(l, fd, got, w->ud);
		}
		if (l->tick && l->now >= l->next_tick) {
			l->next_tick = l->now + l->tick_ms;
			l->tick(l, l->tick_ud);
		}
	}
	return 0;
}
