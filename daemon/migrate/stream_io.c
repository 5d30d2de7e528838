/*
 * stream_io.c - the stream worker's waiting and TLS I/O on its non-blocking socket.
 *
 * Every wait is one ppoll() on two fds: the socket, for the direction the TLS layer asked
 * for, and the cancel eventfd, which becomes readable (and stays so) at stream_cancel(). So a
 * cancel interrupts any wait at once, and nothing here ever spins: a call that returned
 * -EAGAIN is retried only after poll says its direction is ready.
 *
 * Reads take the prefix (bytes the caller read past the STREAM_HELLO) first, then ask TLS,
 * and wait on the socket only after TLS said -EAGAIN: bytes TLS already decrypted do not make
 * the socket readable, so polling first could wait forever for data that is already here.
 *
 * The stall timeout counts time blocked on the connection without a byte moving, from the
 * start of the current read or write call: time spent in a device call, a rate-limit wait or
 * the pre-copy poll interval is not a stall.
 *
 * Nagle stays on while DATA frames flow (they are written as full TLS records and fill
 * segments anyway) and is turned off for a stream's last frames: otherwise a small STREAM_END
 * or final StreamAck behind an unacknowledged small segment waits for the peer's delayed ACK
 * (40 ms on Linux), and that wait is part of a migration's downtime.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stream_int.h"

int stream_io_setup(struct stream *s)
{
	int fl = fcntl(s->cfg.fd, F_GETFL);

	if (fl < 0 || fcntl(s->cfg.fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return stream_error(s, -errno, "cannot make the data socket non-blocking: %m");
	return 0;
}

static struct timespec stream_io_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000u),
				  .tv_nsec = (long)(ns % 1000000000u) };
}

static int stream_io_stalled(struct stream *s)
{
	uint32_t ms = s->cfg.stall_ms;

	if (ms % 1000 == 0)
		return stream_error(s, -ETIMEDOUT, "no progress for %u s", ms / 1000);
	return stream_error(s, -ETIMEDOUT, "no progress for %u.%03u s", ms / 1000, ms % 1000);
}

/* The earlier of the caller's deadline and the stall deadline; *ret_stall says which. */
static uint64_t stream_io_until(struct stream *s, uint64_t deadline_ns, bool *ret_stall)
{
	uint64_t stall;

	*ret_stall = false;
	if (!s->cfg.stall_ms)
		return deadline_ns;
	stall = s->last_io_ns + (uint64_t)s->cfg.stall_ms * 1000000u;
	if (deadline_ns && deadline_ns <= stall)
		return deadline_ns;
	*ret_stall = true;
	return stall;
}

int stream_io_wait(struct stream *s, short events, uint64_t deadline_ns)
{
	struct pollfd p[2] = { { .fd = s->cfg.fd, .events = events },
			       { .fd = s->cancel_fd, .events = POLLIN } };
	struct timespec ts;
	uint64_t now, until;
	bool stall;
	int r;

	for (;;) {
		if (stream_is_cancelled(s))
			return -ECANCELED;
		now = stream_now_ns();
		until = stream_io_until(s, deadline_ns, &stall);
		if (until && now >= until)
			return stall ? stream_io_stalled(s) : 0;
		ts = stream_io_ts(until - now);
		r = ppoll(p, 2, until ? &ts : NULL, NULL);
		if (r < 0 && errno != EINTR)
			return stream_error(s, -errno, "poll on the data socket failed: %m");
		if (r > 0 && p[1].revents)
			return -ECANCELED;
		/* POLLERR and POLLHUP count as ready: the next TLS call reports what happened. */
		if (r > 0 && p[0].revents)
			return 1;
	}
}

int stream_io_sleep(struct stream *s, uint64_t us)
{
	struct pollfd p = { .fd = s->cancel_fd, .events = POLLIN };
	uint64_t until = stream_now_ns() + us * 1000u;
	struct timespec ts;
	uint64_t now;

	while (!stream_is_cancelled(s)) {
		now = stream_now_ns();
		if (now >= until)
			return 0;
		ts = stream_io_ts(until - now);
		if (ppoll(&p, 1, &ts, NULL) > 0)
			return -ECANCELED;
	}
	return -ECANCELED;
}

static short stream_io_events(struct stream *s)
{
	return tls_conn_want(s->cfg.tls) == TLS_WANT_WRITE ? POLLOUT : POLLIN;
}

int stream_io_write(struct stream *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;
	int r;

	s->last_io_ns = stream_now_ns();
	while (len) {
		if (stream_is_cancelled(s))
			return -ECANCELED;
		n = tls_conn_write(s->cfg.tls, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			s->last_io_ns = stream_now_ns();
			continue;
		}
		if (n != -EAGAIN)
			return stream_error(s, (int)n, "TLS write failed: %s",
					    tls_conn_error(s->cfg.tls));
		r = stream_io_wait(s, stream_io_events(s), 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Takes up to len bytes of the prefix; frees it once it is all read. */
static size_t stream_io_prefix(struct stream *s, void *buf, size_t len)
{
	size_t n = s->prefix_len - s->prefix_off;

	if (n > len)
		n = len;
	memcpy(buf, s->prefix + s->prefix_off, n);
	s->prefix_off += n;
	if (s->prefix_off == s->prefix_len) {
		free(s->prefix);
		s->prefix = NULL;
	}
	return n;
}

ssize_t stream_io_read(struct stream *s, void *buf, size_t len, bool wait, uint64_t deadline_ns)
{
	ssize_t n;
	int r;

	s->last_io_ns = stream_now_ns();
	for (;;) {
		if (stream_is_cancelled(s))
			return -ECANCELED;
		if (s->prefix && len)
			return (ssize_t)stream_io_prefix(s, buf, len);
		n = tls_conn_read(s->cfg.tls, buf, len);
		if (n > 0) {
			s->last_io_ns = stream_now_ns();
			return n;
		}
		if (n != -EAGAIN || !wait)
			return n;
		r = stream_io_wait(s, stream_io_events(s), deadline_ns);
		if (r == 0)
			return -EAGAIN;
		if (r < 0)
			return r;
	}
}

void stream_io_shutdown(struct stream *s)
{
	uint64_t deadline = stream_now_ns() + (uint64_t)STREAM_SHUTDOWN_MS * 1000000u;
	int r;

	s->last_io_ns = stream_now_ns();
	for (;;) {
		r = tls_conn_shutdown(s->cfg.tls);
		if (r == 0)
			return;
		if (r != -EAGAIN || stream_io_wait(s, stream_io_events(s), deadline) <= 0)
			break;
	}
	log_debug("stream %s: close_notify not sent (%s); the stream is complete anyway", s->name,
		  r == -EAGAIN ? "peer not reading" : tls_conn_error(s->cfg.tls));
}

void stream_io_nodelay(struct stream *s)
{
	int on = 1;

	if (setsockopt(s->cfg.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
		log_debug("stream %s: TCP_NODELAY not set: %m", s->name);
}
