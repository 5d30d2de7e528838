/*
 * resolve.h - host name lookup for outgoing links without blocking the event loop.
 *
 * IP literals are converted on the spot. Names are looked up by getaddrinfo() in a detached
 * helper thread that reports back through a socketpair watched by the loop; the thread touches
 * nothing but its own request. Threading: call from the loop thread only.
 */
#ifndef VFIO_MIGD_PEER_RESOLVE_H
#define VFIO_MIGD_PEER_RESOLVE_H

#include <stddef.h>

struct addrinfo;
struct event_base;
struct resolve_req;

/*
 * The lookup result: err 0 and ai (the callee owns it: freeaddrinfo()), or err < 0 (-ENOENT
 * unknown host, -EAGAIN temporary DNS failure, -ENOMEM, -EIO other) with why, one line valid
 * during the call.
 */
typedef void resolve_done_fn(int err, struct addrinfo *ai, const char *why, void *arg);

/*
 * Resolves host:port to TCP addresses. For an IP literal, returns 1 with *ret_ai (the caller
 * owns it) and no callback. For a name, returns 0 with *ret: done runs later from the loop,
 * once, unless resolve_cancel() comes first. Returns -ENOMEM, -EAGAIN (no thread) otherwise;
 * outputs are not written on failure.
 */
int resolve_start(struct event_base *base, const char *host, const char *port,
		  resolve_done_fn *done, void *arg, struct addrinfo **ret_ai,
		  struct resolve_req **ret);

/* Forgets a lookup: done will not run; the thread cleans up after itself. NULL-safe. */
void resolve_cancel(struct resolve_req *r);

#endif
