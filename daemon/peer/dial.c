/*
 * dial.c - the CONNECTING state of outgoing links: parse the address, look the name up
 * (resolve.c, off the loop), then try each address in turn with a non-blocking connect until
 * one answers. The deadline (peer.connect_timeout) is the link's timer, not ours.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "peer_set.h"
#include "resolve.h"
#include "sock.h"

static void dial_resolved(int err, struct addrinfo *ai, const char *why, void *arg)
{
	struct peer_link *link = arg;

	link->dial.resolve = NULL;
	if (err) {
		link_close(link, err, "%s", why);
		return;
	}
	link->dial.ai = link->dial.next = ai;
	link_kick(link);
}

void dial_start(struct peer_link *link)
{
	struct link_dial *d = &link->dial;
	struct addrinfo *ai = NULL;
	char err[ADDR_TEXT_MAX + 128];
	int r = addr_split(link->addr, false, &d->target, err, sizeof(err));

	if (r < 0) {
		link_close(link, r, "bad peer address %s", err);
		return;
	}
	r = resolve_start(link->set->base, d->target.host, d->target.port, dial_resolved, link, &ai,
			  &d->resolve);
	if (r == 1)
		d->ai = d->next = ai;
	else if (r < 0)
		link_close(link, r, "cannot look up \"%s\": %s", d->target.host, strerror(-r));
}

/* Remembers why the address just tried failed. */
static void dial_failed(struct peer_link *link, const struct addrinfo *ai, int err)
{
	char addr[ADDR_TEXT_MAX];

	addr_format(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
	link->dial.err = err;
	snprintf(link->dial.why, sizeof(link->dial.why), "connect to %s: %s", addr, strerror(-err));
	log_msg(LOG_LVL_DEBUG, 0, "peer %s: %s", link->name, link->dial.why);
}

int dial_step(struct peer_link *link)
{
	struct link_dial *d = &link->dial;
	int r;

	if (d->resolve || !d->ai)
		return 0;
	if (link->fd >= 0) {
		r = sock_connect_result(link->fd);
		if (r == 0)
			return 1;
		if (r == -EINPROGRESS)
			return 0;
		dial_failed(link, d->cur, r);
		link_drop_fd(link);
	}
	while (d->next) {
		d->cur = d->next;
		d->next = d->cur->ai_next;
		r = sock_connect_start(d->cur->ai_addr, d->cur->ai_addrlen);
		if (r < 0) {
			dial_failed(link, d->cur, r);
			continue;
		}
		if (link_attach_fd(link, r) < 0) {
			close(r);
			snprintf(d->why, sizeof(d->why), "out of memory");
			return -ENOMEM;
		}
		return 0; /* connected or not, the fd turns writable: the next step tells */
	}
	if (d->err)
		return d->err;
	snprintf(d->why, sizeof(d->why), "\"%s\" resolves to no address", d->target.host);
	return -EHOSTUNREACH;
}

void dial_free(struct peer_link *link)
{
	struct link_dial *d = &link->dial;

	resolve_cancel(d->resolve);
	d->resolve = NULL;
	if (d->ai)
		freeaddrinfo(d->ai);
	d->ai = d->next = d->cur = NULL;
}
