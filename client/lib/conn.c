/*
 * conn.c - the control socket's bytes: the output queue of request frames (sent with
 * MSG_NOSIGNAL, an fd attached by SCM_RIGHTS to the sendmsg that starts its frame), the
 * input buffer parsed into frames (proto/frame.h), and dispatching each frame: a reply to
 * its pending call by serial, an event to the event queue or callback.
 *
 * Every read and write is non-blocking; nothing here waits. A frame is removed from the
 * input buffer before its callback runs, so a callback may make further calls (even
 * blocking ones) on the same client. A lost connection (EOF, ECONNRESET, EPIPE, a frame the
 * daemon should never send) completes every pending call with the error, once; an event
 * frame this build cannot decode is skipped and reported as a LOST event instead. One
 * conn_read() takes at most CONN_READ_BUDGET bytes, so callers get their turn back (and
 * their deadlines are checked) however fast the daemon sends.
 * Threading: one thread at a time per client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "internal.h"

#define IN_CHUNK	 ((size_t)64 << 10) /* read size; the buffer grows to a frame's size */
#define CONN_READ_BUDGET (4 * IN_CHUNK)	    /* bytes one conn_read() takes at most */

int conn_queue(struct vfiomig_client *c, uint8_t *buf, size_t len, int fd, uint32_t serial)
{
	struct out_frame *o = calloc(1, sizeof(*o));

	if (!o) {
		free(buf);
		return -ENOMEM;
	}
	o->buf = buf;
	o->len = len;
	o->fd = -1;
	o->serial = serial;
	if (fd >= 0) {
		o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (o->fd < 0) {
			int r = -errno;

			free(buf);
			free(o);
			return r;
		}
	}
	TAILQ_INSERT_TAIL(&c->out, o, entry);
	return 0;
}

static void out_free(struct out_frame *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->buf);
	free(o);
}

/* One sendmsg of the rest of o; the fd goes with the frame's first byte. */
static ssize_t conn_send_one(struct vfiomig_client *c, struct out_frame *o)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = o->buf + o->off, .iov_len = o->len - o->off };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (o->off == 0 && o->fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.b;
		msg.msg_controllen = sizeof(ctl.b);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &o->fd, sizeof(int));
	}
	return sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Errors of one sendmsg that concern that message, not the connection. */
static bool conn_error_is_local(int err)
{
	return err == ENOBUFS || err == ENOMEM || err == ETOOMANYREFS;
}

/* The frame o could not be sent at all: drop it and mark its call failed with err. */
static void conn_fail_frame(struct vfiomig_client *c, struct out_frame *o, int err)
{
	struct pending *p;

	TAILQ_REMOVE(&c->out, o, entry);
	TAILQ_FOREACH(p, &c->calls, entry)
	{
		if (p->serial == o->serial && !p->err) {
			p->err = err;
			c->n_failed++;
			break;
		}
	}
	out_free(o);
}

int conn_flush(struct vfiomig_client *c)
{
	struct out_frame *o;

	while ((o = TAILQ_FIRST(&c->out))) {
		ssize_t n = conn_send_one(c, o);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && o->off == 0 && conn_error_is_local(errno)) {
			conn_fail_frame(c, o, -errno);
			continue;
		}
		if (n < 0)
			return errno == EPIPE ? -EPIPE : -ECONNRESET;
		if (o->fd >= 0) {
			/* the kernel holds its own reference once any byte went out */
			close(o->fd);
			o->fd = -1;
		}
		o->off += (size_t)n;
		if (o->off < o->len)
			continue;
		TAILQ_REMOVE(&c->out, o, entry);
		out_free(o);
	}
	return 0;
}

bool conn_unqueue(struct vfiomig_client *c, uint32_t serial)
{
	struct out_frame *o;

	TAILQ_FOREACH(o, &c->out, entry)
	{
		if (o->serial == serial && o->off == 0) {
			TAILQ_REMOVE(&c->out, o, entry);
			out_free(o);
			return true;
		}
	}
	return false;
}

int conn_complete_failed(struct vfiomig_client *c)
{
	int n = 0;

	while (c->n_failed) {
		struct pending *p;

		TAILQ_FOREACH(p, &c->calls, entry)
		{
			if (p->err)
				break;
		}
		if (!p) {
			c->n_failed = 0; /* forgotten meanwhile */
			break;
		}
		TAILQ_REMOVE(&c->calls, p, entry);
		c->n_calls--;
		c->n_failed--;
		call_complete(c, p,
			      result_failed(p->op, p->err, "%s: the request could not be sent: %s",
					    ctl_request_op_name(p->op), vfiomig_strerror(p->err)));
		n++;
	}
	return n;
}

/* Makes room for at least want more bytes in the input buffer. */
static int conn_reserve(struct vfiomig_client *c, size_t want)
{
	size_t cap = c->in_cap ? c->in_cap : IN_CHUNK;
	uint8_t *p;

	if (c->in_len + want <= c->in_cap)
		return 0;
	while (cap < c->in_len + want)
		cap *= 2;
	p = realloc(c->in, cap);
	if (!p)
		return -ENOMEM;
	c->in = p;
	c->in_cap = cap;
	return 0;
}

static void conn_consume(struct vfiomig_client *c, size_t len)
{
	memmove(c->in, c->in + len, c->in_len - len);
	c->in_len -= len;
}

/* A reply: completes its call. Replies to forgotten calls are dropped. */
static int conn_reply(struct vfiomig_client *c, const uint8_t *body, size_t len)
{
	struct ctl_reply rep;
	struct vfiomig_result *res;
	struct pending *p;
	int r = ctl_reply_decode(body, len, &rep);

	if (r < 0)
		return -EPROTO;
	p = call_take(c, rep.serial);
	if (!p) {
		/* serial 0: the daemon refused a frame it could not read; it closes next */
		ctl_reply_clear(&rep);
		return 0;
	}
	res = result_from_reply(p->op, &rep);
	ctl_reply_clear(&rep);
	if (!res)
		res = result_failed(p->op, -ENOMEM, "out of memory decoding the reply");
	call_complete(c, p, res);
	return 1;
}

static int conn_event(struct vfiomig_client *c, const uint8_t *body, size_t len)
{
	struct ctl_event ev;

	/*
	 * An event this build cannot decode (a kind or phase newer than it, most likely) is
	 * skipped and counted as lost: the consumer sees a LOST and re-reads the job's
	 * status. The link stays up; replies are still checked strictly.
	 */
	if (ctl_event_decode(body, len, &ev) < 0) {
		event_drop(c, 0, 0);
		return event_flush(c);
	}
	return event_deliver(c, &ev);
}

/* Dispatches one complete frame (already removed from the buffer into body). */
static int conn_dispatch(struct vfiomig_client *c, uint16_t type, const uint8_t *body, size_t len)
{
	if (type == FRAME_CTL_REPLY)
		return conn_reply(c, body, len);
	if (type == FRAME_CTL_EVENT)
		return conn_event(c, body, len);
	return -EPROTO;
}

/*
 * Dispatches every complete frame in the buffer. The frame is copied out and consumed
 * before dispatch so callbacks can re-enter the client. Returns callbacks run or -errno.
 */
static int conn_parse(struct vfiomig_client *c)
{
	int n = 0;

	while (c->connected) {
		struct frame_view f;
		uint8_t *body;
		int r = frame_parse(c->in, c->in_len, &f);

		if (r < 0) {
			conn_fail(c, -EPROTO);
			return -EPROTO;
		}
		if (r == FRAME_NEED_MORE)
			return n;
		body = malloc(f.body_len ? f.body_len : 1);
		if (!body)
			return -ENOMEM;
		memcpy(body, f.body, f.body_len);
		conn_consume(c, f.frame_len);
		r = conn_dispatch(c, f.type, body, f.body_len);
		free(body);
		if (r < 0) {
			conn_fail(c, r);
			return r;
		}
		n += r;
	}
	return n;
}

int conn_read(struct vfiomig_client *c)
{
	size_t taken = 0;
	int n = 0, r;

	while (taken < CONN_READ_BUDGET) {
		ssize_t got;

		if (conn_reserve(c, IN_CHUNK) < 0)
			return -ENOMEM;
		got = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (got <= 0) {
			int err = got == 0 ? -ECONNRESET : -errno;

			/* replies already received are delivered before the loss */
			r = conn_parse(c);
			n += r > 0 ? r : 0;
			conn_fail(c, err);
			return c->lost_err;
		}
		c->in_len += (size_t)got;
		taken += (size_t)got;
		r = conn_parse(c);
		if (r < 0)
			return r;
		n += r;
		if (!c->connected)
			return c->lost_err;
	}
	return n;
}

void conn_fail(struct vfiomig_client *c, int err)
{
	struct pending *p;

	if (c->connected) {
		c->connected = false;
		c->lost_err = err;
	}
	c->n_failed = 0; /* those complete with the loss too */
	while ((p = TAILQ_FIRST(&c->calls))) {
		struct vfiomig_result *res;

		TAILQ_REMOVE(&c->calls, p, entry);
		c->n_calls--;
		if (err == -ECANCELED)
			res = result_failed(p->op, err,
					    "%s: the client was closed before the reply",
					    ctl_request_op_name(p->op));
		else
			res = result_failed(
				p->op, err, "%s: the connection to the daemon at %s was lost: %s",
				ctl_request_op_name(p->op), c->path, vfiomig_strerror(err));
		call_complete(c, p, res);
	}
}

void conn_free(struct vfiomig_client *c)
{
	struct out_frame *o;

	while ((o = TAILQ_FIRST(&c->out))) {
		TAILQ_REMOVE(&c->out, o, entry);
		out_free(o);
	}
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
}
