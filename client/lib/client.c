/*
 * client.c - struct vfiomig_client: connecting to a daemon's control socket, closing, the
 * per-client options (blocking timeout), and what an event loop needs to drive a client in
 * async mode (its fd, the events it waits for, vfiomig_process()).
 *
 * The socket is non-blocking once connected (the connect itself may wait for a full
 * backlog): blocking calls poll (call.c), async users poll in their own loop. Not here: frames and
 * fds on the socket (conn.c), requests (call.c). Threading: one thread at a time per client.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "internal.h"

/* The path to use: the caller's, $VFIOMIG_SOCKET, or the default. */
static const char *client_pick_path(const char *path)
{
	const char *env;

	if (path)
		return path;
	env = getenv(VFIOMIG_SOCKET_ENV);
	return env && *env ? env : VFIOMIG_DEFAULT_SOCKET;
}

/*
 * Connects in blocking mode: a UNIX stream connect waits only while the listener's backlog
 * is full (a busy daemon), bounded by SO_SNDTIMEO at the default timeout; then the socket
 * becomes non-blocking for good.
 */
static int client_open_socket(struct vfiomig_client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = VFIOMIG_DEFAULT_TIMEOUT_MS / 1000 };
	struct timeval none = { 0 };
	int fl;

	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none)) < 0)
		return -errno;
	fl = fcntl(c->fd, F_GETFL);
	if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_connect(const char *path, uint32_t flags, struct vfiomig_client **ret)
{
	struct vfiomig_client *c;
	int r;

	if (!ret || flags)
		return -EINVAL;
	path = client_pick_path(path);
	if (!*path || strlen(path) >= sizeof(c->path))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c->path, path, strlen(path) + 1);
	c->timeout_ms = VFIOMIG_DEFAULT_TIMEOUT_MS;
	c->next_serial = 1;
	TAILQ_INIT(&c->out);
	TAILQ_INIT(&c->calls);
	TAILQ_INIT(&c->events);
	r = client_open_socket(c);
	if (r < 0)
		goto err_free;
	c->connected = true;
	*ret = c;
	return 0;

err_free:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return r;
}

VFIOMIG_EXPORT void vfiomig_close(struct vfiomig_client *c)
{
	if (!c)
		return;
	if (c->connected)
		shutdown(c->fd, SHUT_RDWR);
	conn_fail(c, -ECANCELED);
	event_queue_free(c);
	conn_free(c);
	close(c->fd);
	free(c);
}

VFIOMIG_EXPORT const char *vfiomig_get_path(const struct vfiomig_client *c)
{
	return c ? c->path : "";
}

VFIOMIG_EXPORT int vfiomig_set_timeout(struct vfiomig_client *c, uint32_t timeout_ms)
{
	if (!c)
		return -EINVAL;
	c->timeout_ms = timeout_ms;
	return 0;
}

VFIOMIG_EXPORT uint32_t vfiomig_get_timeout(const struct vfiomig_client *c)
{
	return c ? c->timeout_ms : 0;
}

VFIOMIG_EXPORT bool vfiomig_is_connected(const struct vfiomig_client *c)
{
	return c && c->connected;
}

VFIOMIG_EXPORT int vfiomig_get_fd(const struct vfiomig_client *c)
{
	return c ? c->fd : -EINVAL;
}

VFIOMIG_EXPORT bool vfiomig_wants_write(const struct vfiomig_client *c)
{
	return c && c->connected && !TAILQ_EMPTY(&c->out);
}

VFIOMIG_EXPORT int vfiomig_get_events(const struct vfiomig_client *c)
{
	if (!c || !c->connected)
		return 0;
	/* POLLOUT too for calls failed before sending: vfiomig_process() completes them */
	return POLLIN | (vfiomig_wants_write(c) || c->n_failed ? POLLOUT : 0);
}

VFIOMIG_EXPORT int vfiomig_process(struct vfiomig_client *c, int revents)
{
	int r, n;

	(void)revents; /* both directions are tried without blocking */
	if (!c)
		return -EINVAL;
	n = event_flush(c);
	if (!c->connected)
		return c->lost_err ? c->lost_err : -ENOTCONN;
	n += conn_complete_failed(c);
	if (!c->connected)
		return c->lost_err;
	r = conn_flush(c);
	n += conn_complete_failed(c);
	if (r < 0) {
		/* what the daemon sent before it went away is delivered first */
		conn_read(c);
		if (c->connected)
			conn_fail(c, r);
		return c->lost_err;
	}
	r = conn_read(c);
	if (r < 0)
		return r;
	return n + r;
}

VFIOMIG_EXPORT unsigned int vfiomig_pending(const struct vfiomig_client *c)
{
	return c ? c->n_calls : 0;
}

VFIOMIG_EXPORT int vfiomig_forget(struct vfiomig_client *c, uint32_t call)
{
	struct pending *p;

	if (!c)
		return -EINVAL;
	p = call_take(c, call);
	if (!p)
		return -ENOENT;
	conn_unqueue(c, call); /* not sent yet: never will be */
	free(p);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_set_interruptible(struct vfiomig_client *c, bool on)
{
	if (!c)
		return -EINVAL;
	c->interruptible = on;
	return 0;
}
