/*
 * resolve.c - getaddrinfo() off the event loop: one detached thread per name lookup.
 *
 * A request is shared by the loop and its thread and freed by whichever lets go last (atomic
 * reference count). The thread writes its result into the request, then one byte into its end
 * of a socketpair; the loop reads the result only after seeing that byte (and the release/
 * acquire pair on finished). A cancelled request closes the loop's end, so the thread's byte
 * goes nowhere (MSG_NOSIGNAL) and the thread frees the request and its result.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "resolve.h"
#include "thread.h"

struct resolve_req {
	int refs;      /* the loop's and the thread's; atomic */
	int loop_fd;   /* the loop's end of the socketpair, -1 once released */
	int thread_fd; /* the thread's end */
	struct event *ev;
	resolve_done_fn *done;
	void *arg;
	char host[ADDR_HOST_MAX];
	char port[ADDR_PORT_MAX];
	bool finished; /* set by the thread (release) once gai, sys_errno and ai are written */
	int gai;       /* getaddrinfo() result */
	int sys_errno; /* errno after it, for EAI_SYSTEM */
	struct addrinfo *ai;
};

static void resolve_unref(struct resolve_req *r)
{
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (r->ai)
		freeaddrinfo(r->ai);
	free(r);
}

/* The loop lets go: no more callback, close its end. */
static void resolve_release(struct resolve_req *r)
{
	event_free(r->ev);
	r->ev = NULL;
	close(r->loop_fd);
	r->loop_fd = -1;
	resolve_unref(r);
}

static void *resolve_thread(void *arg)
{
	struct resolve_req *r = arg;
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG,
	};
	struct addrinfo *ai = NULL;

	r->gai = addr_never_resolves(r->host) ? EAI_NONAME
					      : getaddrinfo(r->host, r->port, &hints, &ai);
	r->sys_errno = errno;
	r->ai = r->gai == 0 ? ai : NULL;
	__atomic_store_n(&r->finished, true, __ATOMIC_RELEASE);
	(void)!send(r->thread_fd, "", 1, MSG_NOSIGNAL);
	close(r->thread_fd);
	resolve_unref(r);
	return NULL;
}

static int resolve_errno(int gai, int sys_errno)
{
	switch (gai) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
	case EAI_FAIL:
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return sys_errno ? -sys_errno : -EIO;
	default:
		return -EIO;
	}
}

static void resolve_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_req *r = arg;
	resolve_done_fn *done = r->done;
	void *done_arg = r->arg;
	struct addrinfo *ai;
	char why[ADDR_HOST_MAX + 128] = "";
	int err;

	if (!__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE))
		return; /* woken without the byte; the event is persistent */
	err = r->gai ? resolve_errno(r->gai, r->sys_errno) : 0;
	if (err)
		snprintf(why, sizeof(why), "cannot resolve \"%s\": %s", r->host,
			 r->gai == EAI_SYSTEM ? strerror(r->sys_errno) : gai_strerror(r->gai));
	ai = r->ai;
	r->ai = NULL;
	resolve_release(r);
	done(err, ai, why, done_arg);
}

/* A detached thread with every signal blocked: signals belong to the loop thread. */
static int resolve_spawn(struct resolve_req *r)
{
	pthread_attr_t attr;
	pthread_t t;
	int e;

	if (pthread_attr_init(&attr))
		return -ENOMEM;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = thread_spawn(&t, &attr, resolve_thread, r);
	pthread_attr_destroy(&attr);
	return e;
}

/* The name path: a request, its socketpair and event, then the thread. */
static int resolve_thread_start(struct event_base *base, const char *host, const char *port,
				resolve_done_fn *done, void *arg, struct resolve_req **ret)
{
	struct resolve_req *r = calloc(1, sizeof(*r));
	int sv[2], e;

	if (!r)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
		e = -errno;
		goto err_free;
	}
	r->loop_fd = sv[0];
	r->thread_fd = sv[1];
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->port, sizeof(r->port), "%s", port);
	r->done = done;
	r->arg = arg;
	r->refs = 2;
	r->ev = event_new(base, r->loop_fd, EV_READ | EV_PERSIST, resolve_cb, r);
	if (!r->ev || event_add(r->ev, NULL) < 0) {
		e = -ENOMEM;
		goto err_close;
	}
	e = resolve_spawn(r);
	if (e < 0)
		goto err_close;
	*ret = r;
	return 0;

err_close:
	event_free(r->ev);
	close(sv[0]);
	close(sv[1]);
err_free:
	free(r);
	return e;
}

int resolve_start(struct event_base *base, const char *host, const char *port,
		  resolve_done_fn *done, void *arg, struct addrinfo **ret_ai,
		  struct resolve_req **ret)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(host, port, &hints, &ai);

	if (gai == 0) {
		*ret_ai = ai;
		return 1;
	}
	if (gai == EAI_MEMORY)
		return -ENOMEM;
	return resolve_thread_start(base, host, port, done, arg, ret);
}

void resolve_cancel(struct resolve_req *r)
{
	if (r)
		resolve_release(r);
}
