/*
 * listener.c - a listening socket: accept in batches, hand each connection to link_accept().
 *
 * An accept failure never closes the listener. Running out of file descriptors or memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM) would make the level-triggered read event spin on the
 * pending connection, so the listener pauses for PEER_ACCEPT_PAUSE_MS and tries again; errors
 * that concern only the connection being accepted (it was reset, ...) are skipped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "link.h"
#include "listener.h"
#include "peer_set.h"

#define LISTENER_BATCH 32 /* connections accepted per callback */

struct listener {
	struct peer_set *set;
	int fd;
	struct event *ev;    /* readable: connections to accept */
	struct event *pause; /* resumes accepting after a resource shortage */
	char addr[ADDR_TEXT_MAX];
};

const char *listener_address(const struct listener *l)
{
	return l->addr;
}

static void listener_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	log_info("peer listener %s: accepting again", l->addr);
	event_add(l->ev, NULL);
}

static bool listener_shortage(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/* Errors about the one connection being accepted (see accept(2) on Linux). */
static bool listener_transient(int e)
{
	return e == EINTR || e == ECONNABORTED || e == EPROTO || e == ENETDOWN ||
	       e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH ||
	       e == EOPNOTSUPP || e == ENETUNREACH || e == EPERM;
}

static void listener_pause(struct listener *l, int e)
{
	struct timeval tv = { .tv_sec = PEER_ACCEPT_PAUSE_MS / 1000,
			      .tv_usec = (PEER_ACCEPT_PAUSE_MS % 1000) * 1000 };

	log_msg(LOG_LVL_WARNING, -e,
		"peer listener %s: accept failed, pausing for %d ms (raise LimitNOFILE or lower "
		"peer.max_links if this repeats)",
		l->addr, PEER_ACCEPT_PAUSE_MS);
	event_del(l->ev);
	evtimer_add(l->pause, &tv);
}

static void listener_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int c;

	for (int i = 0; i < LISTENER_BATCH; i++) {
		len = sizeof(ss);
		c = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			link_accept(l->set, c, (struct sockaddr *)&ss, len);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (listener_transient(errno)) {
			log_msg(LOG_LVL_DEBUG, -errno, "peer listener %s: accept", l->addr);
			continue;
		}
		if (listener_shortage(errno)) {
			listener_pause(l, errno);
			return;
		}
		log_msg(LOG_LVL_WARNING, -errno, "peer listener %s: accept", l->addr);
		return;
	}
}

static const char *listener_advice(int e)
{
	switch (e) {
	case EADDRINUSE:
		return " (another socket is bound there, \"ss -ltnp\" shows which: stop it or "
		       "choose another port)";
	case EACCES:
		return " (ports below 1024 need CAP_NET_BIND_SERVICE)";
	case EADDRNOTAVAIL:
		return " (no local interface has this address)";
	default:
		return "";
	}
}

static int listener_fail(int e, const char *spec, const char *addr, const char *call, char *err,
			 size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "peer listener %s (%s): %s: %s%s", spec, addr, call,
			 strerror(e), listener_advice(e));
	return -e;
}

/* socket, options, bind, listen: the fd, or -errno with err filled. */
static int listener_socket(const char *spec, const struct sockaddr *sa, socklen_t len, char *err,
			   size_t errlen)
{
	char addr[ADDR_TEXT_MAX];
	int fd, one = 1, r;

	addr_format(sa, len, addr, sizeof(addr));
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return listener_fail(errno, spec, addr, "socket", err, errlen);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		r = listener_fail(errno, spec, addr, "SO_REUSEADDR", err, errlen);
		goto err_close;
	}
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		r = listener_fail(errno, spec, addr, "IPV6_V6ONLY", err, errlen);
		goto err_close;
	}
	if (bind(fd, sa, len) < 0) {
		r = listener_fail(errno, spec, addr, "bind", err, errlen);
		goto err_close;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		r = listener_fail(errno, spec, addr, "listen", err, errlen);
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return r;
}

int listener_open(struct peer_set *set, const char *spec, const struct sockaddr *sa, socklen_t len,
		  struct listener **ret, char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (!l)
		return -ENOMEM;
	l->set = set;
	l->fd = listener_socket(spec, sa, len, err, errlen);
	if (l->fd < 0) {
		int r = l->fd;

		free(l);
		return r;
	}
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sslen) == 0)
		addr_format((struct sockaddr *)&ss, sslen, l->addr, sizeof(l->addr));
	else
		addr_format(sa, len, l->addr, sizeof(l->addr));
	l->ev = event_new(set->base, l->fd, EV_READ | EV_PERSIST, listener_accept, l);
	l->pause = evtimer_new(set->base, listener_resume, l);
	if (!l->ev || !l->pause || event_add(l->ev, NULL) < 0) {
		listener_fail(ENOMEM, spec, l->addr, "event", err, errlen);
		listener_free(l);
		return -ENOMEM;
	}
	log_info("peer listener %s: listening (%s)", l->addr, spec);
	*ret = l;
	return 0;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	if (l->ev)
		event_free(l->ev);
	if (l->pause)
		event_free(l->pause);
	close(l->fd);
	free(l);
}
