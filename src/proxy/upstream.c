/* upstream.c - connections to the upstream: a keep-alive pool per worker.
 *
 * Idle connections stay registered for EV_READ: an idle connection that
 * becomes readable has been closed (or broken) by the upstream and is
 * dropped at once rather than discovered on the next request.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "proxy.h"

/* Idle connections kept per worker: enough for bursts, few enough that an
 * upstream with a small worker pool is not starved by idle sockets. */
#define POOL_MAX_IDLE 32

static void pool_remove(worker *w, upconn *u)
{
	upconn **pp = &w->idle;
	while (*pp && *pp != u)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = u->next;
		w->nidle--;
	}
	u->next = NULL;
}

upconn *upstream_get(worker *w, conn *c)
{
	while (w->idle) {
		upconn *u = w->idle;
		pool_remove(w, u);
		u->owner = c;
		u->reused = true;
		return u;
	}
	upconn *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->fd = net_connect(&c->sh->set.upstream);
	if (u->fd < 0) {
		free(u);
		return NULL;
	}
	u->w = w;
	u->owner = c;
	u->connected = false;
	return u;
}

void upstream_release(upconn *u, bool reusable)
{
	worker *w = u->w;
	if (u->owner)
		u->owner = NULL;
	if (reusable && u->connected && w->nidle < POOL_MAX_IDLE && !w->px->draining) {
		/* Park it: watched for EOF only. The event callback stays the same;
		 * with no owner it closes the connection. */
		ev_mod(w->loop, u->fd, EV_READ);
		u->next = w->idle;
		w->idle = u;
		w->nidle++;
		return;
	}
	pool_remove(w, u);
	ev_del(w->loop, u->fd);
	close(u->fd);
	free(u);
}

void upstream_drop_all(worker *w)
{
	while (w->idle) {
		upconn *u = w->idle;
		pool_remove(w, u);
		ev_del(w->loop, u->fd);
		close(u->fd);
		free(u);
	}
}
