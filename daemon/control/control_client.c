/*
 * control_client.c - struct control_client: one orchestrator connection as a small state
 * machine, its bounded output, and the one close path.
 *
 * States (enum control_client_state): READY -> DRAINING (the client shut down its sending
 * side: replies still owed go out) -> CLOSED; READY -> FLUSHING (a protocol error: the error
 * reply goes out, bounded by CONTROL_LINGER_MS) -> CLOSED; any state -> CLOSED through
 * control_client_close(). Every event of a client (rd and wr on its socket, the linger
 * timer, the step event) enters client_cb(), which runs client_do_<state>(), then frees a
 * CLOSED client or arms the events its state waits for. Memory is freed only there (and by
 * control_server_free()), so a client stays valid through any callback that closes it.
 *
 * Output is a byte queue of encoded frames, written with send(MSG_NOSIGNAL); a client whose
 * queue would exceed max_output is closed (it does not read its replies). Events for
 * subscribers will go through the same queue (control_client_send()).
 *
 * Not here: reading frames (control_input.c), requests (control_call.c).
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "control_int.h"
#include "ctl_reply.h"

#define CLIENT_BUDGET	32		   /* requests handled per callback before yielding */
#define CLIENT_OUT_KEEP ((size_t)64 << 10) /* output buffer kept once empty */

static const char *const client_state_names[] = {
	[CONTROL_CLIENT_READY] = "READY",
	[CONTROL_CLIENT_DRAINING] = "DRAINING",
	[CONTROL_CLIENT_FLUSHING] = "FLUSHING",
	[CONTROL_CLIENT_CLOSED] = "CLOSED",
};

/* The one state setter; FLUSHING arms the linger deadline. */
static void client_set_state(struct control_client *c, enum control_client_state s)
{
	struct timeval tv = { .tv_sec = CONTROL_LINGER_MS / 1000,
			      .tv_usec = (CONTROL_LINGER_MS % 1000) * 1000 };

	client_log(c, LOG_LVL_DEBUG, "%s -> %s", client_state_names[c->state],
		   client_state_names[s]);
	c->state = s;
	if (s == CONTROL_CLIENT_FLUSHING)
		evtimer_add(c->timer, &tv);
	else
		evtimer_del(c->timer);
	if (s == CONTROL_CLIENT_DRAINING)
		control_client_kick(c);
}

/* A zero timeout rather than event_active(): it runs after pending I/O, so a busy client
 * cannot keep the loop to itself. */
void control_client_kick(struct control_client *c)
{
	static const struct timeval now = { 0, 0 };

	evtimer_add(c->step, &now);
}

/* ---- output ---- */

static int buf_reserve(struct control_buf *b, size_t more)
{
	uint8_t *p;
	size_t cap;

	if (b->head && b->head + b->len + more > b->cap) {
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
	}
	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int control_client_send(struct control_client *c, const uint8_t *frame, size_t len)
{
	size_t max = c->srv->opts.max_output;

	if (c->state == CONTROL_CLIENT_CLOSED)
		return -ENOTCONN;
	if (c->out.len && c->out.len + len > max) {
		control_client_close(c, LOG_LVL_WARNING,
				     "does not read its replies: %zu bytes queued, %zu more would "
				     "pass the limit of %zu; closing",
				     c->out.len, len, max);
		return -ENOBUFS;
	}
	if (buf_reserve(&c->out, len) < 0) {
		control_client_close(c, LOG_LVL_ERR, "out of memory queueing a %zu-byte reply",
				     len);
		return -ENOBUFS;
	}
	memcpy(c->out.data + c->out.head + c->out.len, frame, len);
	c->out.len += len;
	control_client_kick(c);
	return 0;
}

/* Writes what the socket takes. Returns 0, or -errno after closing the client. */
static int client_flush(struct control_client *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out.head, c->out.len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0) {
			int r = -errno;

			/* after a protocol error the reason was logged already */
			control_client_close(c,
					     c->state == CONTROL_CLIENT_FLUSHING ? LOG_LVL_DEBUG
										 : LOG_LVL_INFO,
					     "disconnected (write: %s)", strerror(-r));
			return r;
		}
		c->out.head += (size_t)n;
		c->out.len -= (size_t)n;
	}
	c->out.head = 0;
	if (c->out.cap > CLIENT_OUT_KEEP) {
		free(c->out.data);
		c->out.data = NULL;
		c->out.cap = 0;
	}
	return 0;
}

/* ---- closing ---- */

__attribute__((format(printf, 3, 0))) static void client_vclose(struct control_client *c,
								enum log_level level,
								const char *fmt, va_list ap)
{
	char why[CONTROL_WHY_MAX];

	if (c->state == CONTROL_CLIENT_CLOSED)
		return;
	vsnprintf(why, sizeof(why), fmt, ap);
	client_log(c, level, "%s", why);
	client_set_state(c, CONTROL_CLIENT_CLOSED);
	c->srv->n_open--;
	control_call_detach_all(c);
	control_input_free(&c->in);
	if (c->armed & EV_READ)
		event_del(c->rd);
	if (c->armed & EV_WRITE)
		event_del(c->wr);
	c->armed = 0;
	close(c->fd);
	c->fd = -1;
	control_client_kick(c);
}

void control_client_close(struct control_client *c, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	client_vclose(c, level, fmt, ap);
	va_end(ap);
}

void control_client_fail(struct control_client *c, uint32_t serial, const char *fmt, ...)
{
	struct ctl_reply rep = { .serial = serial };
	uint8_t *frame;
	size_t len;
	va_list ap;

	if (c->state == CONTROL_CLIENT_CLOSED || c->state == CONTROL_CLIENT_FLUSHING)
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	control_input_close_fds(&c->in);
	client_log(c, LOG_LVL_WARNING, "%s; closing the connection", c->why);
	control_call_detach_all(c);
	proto_error_set(&rep.error, PROTO_ERR_PROTOCOL, NULL,
			"%s; the daemon closes the connection", c->why);
	if (ctl_reply_encode(&rep, &frame, &len) == 0) {
		control_client_send(c, frame, len);
		free(frame);
	}
	if (c->state != CONTROL_CLIENT_CLOSED)
		client_set_state(c, CONTROL_CLIENT_FLUSHING);
}

/* ---- states ---- */

/*
 * After EOF: whether the client closed its socket entirely (nobody will read replies) rather
 * than only shut down its sending side (it waits for the replies still owed).
 */
static bool client_hung_up(const struct control_client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/* Reads and answers up to CLIENT_BUDGET requests, then yields. */
static void client_do_ready(struct control_client *c)
{
	for (int i = 0; i < CLIENT_BUDGET; i++) {
		char why[CONTROL_WHY_MAX];
		int r = control_input_read(&c->in, c->fd, why, sizeof(why));

		if (r == CONTROL_INPUT_AGAIN)
			return;
		if (r == CONTROL_INPUT_FRAME) {
			control_call_dispatch(c);
			if (c->state != CONTROL_CLIENT_READY)
				return;
			continue;
		}
		if (r == CONTROL_INPUT_EOF && client_hung_up(c))
			control_client_close(c, LOG_LVL_INFO, "disconnected");
		else if (r == CONTROL_INPUT_EOF)
			client_set_state(c, CONTROL_CLIENT_DRAINING);
		else if (r == -ECONNRESET)
			control_client_close(c, LOG_LVL_INFO, "disconnected (%s)", why);
		else
			control_client_fail(c, 0, "%s", why);
		return;
	}
	control_client_kick(c);
}

static void client_do_draining(struct control_client *c)
{
	if (client_flush(c) < 0)
		return;
	if (c->out.len == 0 && c->n_calls == 0)
		control_client_close(c, LOG_LVL_INFO, "disconnected");
}

static void client_do_flushing(struct control_client *c)
{
	if (client_flush(c) < 0)
		return;
	if (c->out.len == 0)
		control_client_close(c, LOG_LVL_DEBUG, "closed after the error reply");
}

/* Adds and removes rd/wr so that exactly what the state waits for is armed. */
static void client_arm(struct control_client *c)
{
	short want = 0;

	if (c->state == CONTROL_CLIENT_READY)
		want |= EV_READ;
	if (c->out.len)
		want |= EV_WRITE;
	if ((want & EV_READ) && !(c->armed & EV_READ))
		event_add(c->rd, NULL);
	if (!(want & EV_READ) && (c->armed & EV_READ))
		event_del(c->rd);
	if ((want & EV_WRITE) && !(c->armed & EV_WRITE))
		event_add(c->wr, NULL);
	if (!(want & EV_WRITE) && (c->armed & EV_WRITE))
		event_del(c->wr);
	c->armed = want;
}

/* The entry of every event: one step of the state, then free or re-arm. */
static void client_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *c = arg;

	if (c->state != CONTROL_CLIENT_CLOSED && client_flush(c) == 0) {
		switch (c->state) {
		case CONTROL_CLIENT_READY:
			client_do_ready(c);
			if (c->state == CONTROL_CLIENT_READY)
				client_flush(c);
			break;
		case CONTROL_CLIENT_DRAINING:
			client_do_draining(c);
			break;
		case CONTROL_CLIENT_FLUSHING:
			client_do_flushing(c);
			break;
		case CONTROL_CLIENT_CLOSED:
			break;
		}
	}
	if (c->state == CONTROL_CLIENT_CLOSED) {
		control_client_free(c);
		return;
	}
	client_arm(c);
}

static void client_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *c = arg;

	if (c->state == CONTROL_CLIENT_FLUSHING)
		control_client_close(c, LOG_LVL_INFO,
				     "did not read the error reply within %d ms; closed",
				     CONTROL_LINGER_MS);
	client_cb(fd, what, arg);
}

/* ---- life ---- */

void control_client_new(struct control_server *srv, int fd, pid_t pid, uid_t uid, gid_t gid)
{
	struct control_client *c = calloc(1, sizeof(*c));

	if (c) {
		c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, client_cb, c);
		c->wr = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, client_cb, c);
		c->timer = evtimer_new(srv->base, client_linger_cb, c);
		c->step = evtimer_new(srv->base, client_cb, c);
	}
	if (!c || !c->rd || !c->wr || !c->timer || !c->step || event_add(c->rd, NULL) < 0) {
		log_errx("control: refusing client pid=%d uid=%u: out of memory", (int)pid,
			 (unsigned)uid);
		control_client_free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->pid = pid;
	c->uid = uid;
	c->gid = gid;
	c->armed = EV_READ;
	TAILQ_INIT(&c->calls);
	snprintf(c->name, sizeof(c->name), "client pid=%d uid=%u", (int)pid, (unsigned)uid);
	TAILQ_INSERT_TAIL(&srv->clients, c, entry);
	srv->n_open++;
	log_info("control: %s gid=%u connected", c->name, (unsigned)gid);
}

void control_client_free(struct control_client *c)
{
	if (!c)
		return;
	if (c->srv && c->state != CONTROL_CLIENT_CLOSED && c->fd >= 0)
		control_client_close(c, LOG_LVL_INFO, "disconnected: the daemon is shutting down");
	if (c->srv)
		TAILQ_REMOVE(&c->srv->clients, c, entry);
	if (c->rd)
		event_free(c->rd);
	if (c->wr)
		event_free(c->wr);
	if (c->timer)
		event_free(c->timer);
	if (c->step)
		event_free(c->step);
	control_input_free(&c->in);
	free(c->out.data);
	free(c);
}
