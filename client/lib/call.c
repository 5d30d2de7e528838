/*
 * call.c - calls: every operation is encoded into a request with a fresh serial, queued,
 * and completed by the reply with the same serial (conn.c). The async form stops there; the
 * blocking form (call_run) waits for its own completion in a poll loop with a deadline,
 * delivering meanwhile whatever else arrives (replies of other calls, events).
 *
 * A blocking call that times out (or, on an interruptible client, is interrupted by a
 * signal) forgets its pending call, so a late reply is dropped, and drops its request when
 * none of it was sent yet. The client's last error is set by blocking calls only.
 * Not here: the socket I/O (conn.c), results (result.c). Threading: one thread per client.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* What a blocking call waits for. */
struct waiter {
	bool done;
	int status;
	struct vfiomig_result *res; /* kept from the callback */
};

void call_init(struct ctl_request *req, uint32_t op)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
}

int call_begin(struct vfiomig_client *c, struct ctl_request *req, uint32_t op, uint32_t flags)
{
	if (!c)
		return -EINVAL;
	call_init(req, op);
	return check_flags(c, flags);
}

/* A serial no pending call uses; never 0. */
static uint32_t call_serial(struct vfiomig_client *c)
{
	for (;;) {
		uint32_t s = c->next_serial++ & 0x7fffffff; /* fits the int return */
		struct pending *p;
		bool used = false;

		if (s == 0)
			continue;
		TAILQ_FOREACH(p, &c->calls, entry)
		used = used || p->serial == s;
		if (!used)
			return s;
	}
}

int call_submit(struct vfiomig_client *c, struct ctl_request *req, int fd, vfiomig_callback cb,
		void *userdata)
{
	struct pending *p;
	uint8_t *buf;
	size_t len;
	int r;

	if (!c->connected)
		return error_set(
			c, -ENOTCONN, "%s: not connected to the daemon at %s (%s); connect again",
			ctl_request_op_name(req->op), c->path, vfiomig_strerror(c->lost_err));
	req->serial = call_serial(c);
	req->fd_count = fd >= 0 ? 1 : 0;
	r = ctl_request_encode(req, &buf, &len);
	if (r < 0)
		return error_set(c, r == -EMSGSIZE ? -EMSGSIZE : -EINVAL, "%s: %s",
				 ctl_request_op_name(req->op), proto_last_error());
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(buf);
		return error_set(c, -ENOMEM, "out of memory");
	}
	r = conn_queue(c, buf, len, fd, req->serial);
	if (r < 0) {
		free(p);
		return error_set(c, r, "%s: cannot queue the request: %s",
				 ctl_request_op_name(req->op), vfiomig_strerror(r));
	}
	*p = (struct pending){
		.serial = req->serial, .op = req->op, .cb = cb, .userdata = userdata
	};
	TAILQ_INSERT_TAIL(&c->calls, p, entry);
	c->n_calls++;
	/*
	 * Try to send now. A failure is left for the next vfiomig_process() (the frame stays
	 * queued, so the caller polls for POLLOUT and gets there), so that no callback ever
	 * runs inside an _async function.
	 */
	conn_flush(c);
	return (int)req->serial;
}

struct pending *call_take(struct vfiomig_client *c, uint32_t serial)
{
	struct pending *p;

	TAILQ_FOREACH(p, &c->calls, entry)
	{
		if (p->serial == serial) {
			TAILQ_REMOVE(&c->calls, p, entry);
			c->n_calls--;
			if (p->err)
				c->n_failed--;
			return p;
		}
	}
	return NULL;
}

void call_complete(struct vfiomig_client *c, struct pending *p, struct vfiomig_result *res)
{
	struct vfiomig_result oom = { .op = p->op, .status = -ENOMEM };

	if (!res) {
		res = &oom;
		strcpy(oom.error.message, "out of memory");
	}
	/* the client's last error is the blocking calls' (call_run); an async one is in res */
	if (p->cb)
		p->cb(c, res->status, res, p->userdata);
	if (res != &oom)
		result_free(res);
	free(p);
}

/* Forgets the pending call serial, if still there. */
static void call_take_free(struct vfiomig_client *c, uint32_t serial)
{
	free(call_take(c, serial));
}

/* The blocking calls' callback: keeps the result for call_run. */
static void call_wake(struct vfiomig_client *c, int status, struct vfiomig_result *res,
		      void *userdata)
{
	struct waiter *w = userdata;

	(void)c;
	w->done = true;
	w->status = status;
	w->res = malloc(sizeof(*res));
	if (w->res) {
		/* move: the original is freed empty after this callback */
		*w->res = *res;
		res->obj = NULL;
		res->metadata = NULL;
		res->kind = CTL_RESULT_NONE;
	}
}

int64_t call_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int call_poll(struct vfiomig_client *c, int64_t deadline)
{
	struct pollfd pf = { .fd = c->fd, .events = (short)vfiomig_get_events(c) };
	int left = -1, r;

	if (!c->connected)
		return c->lost_err ? c->lost_err : -ENOTCONN;
	if (c->n_failed) {
		/* calls that failed before sending complete now, not at the deadline */
		vfiomig_process(c, 0);
		return 0;
	}
	if (deadline >= 0) {
		int64_t d = deadline - call_now_ms();

		if (d <= 0)
			return -ETIMEDOUT;
		left = d > 60000 ? 60000 : (int)d;
	}
	r = poll(&pf, 1, left);
	if (r < 0 && errno == EINTR && c->interruptible)
		return -EINTR;
	if (r < 0 && errno != EINTR)
		return -errno;
	if (r > 0)
		vfiomig_process(c, pf.revents); /* a loss completes the pending calls */
	return 0;
}

/* Polls and processes until w is done or the deadline (-1: none) passed. */
static int call_wait(struct vfiomig_client *c, struct waiter *w, int64_t deadline)
{
	while (!w->done) {
		int r = call_poll(c, deadline);

		if (r < 0 && !w->done)
			return r;
	}
	return 0;
}

/*
 * A blocking call that ends without its reply (timeout, signal): the call is forgotten; a
 * request not sent yet is dropped, one already sent may still be performed by the daemon.
 */
static int call_abandon(struct vfiomig_client *c, uint32_t op, uint32_t serial, int err,
			uint32_t timeout_ms)
{
	bool unsent;
	const char *fate;

	call_take_free(c, serial);
	unsent = conn_unqueue(c, serial);
	fate = unsent ? "the request was not sent and never will be"
		      : "the daemon may still perform it";
	if (err == -ETIMEDOUT)
		return error_set(c, err, "%s: no reply from the daemon at %s within %u ms; %s",
				 ctl_request_op_name(op), c->path, timeout_ms, fate);
	if (err == -EINTR)
		return error_set(c, err, "%s: interrupted by a signal before the reply; %s",
				 ctl_request_op_name(op), fate);
	return error_set(c, err, "%s: waiting for the daemon at %s: %s; %s",
			 ctl_request_op_name(op), c->path, vfiomig_strerror(err), fate);
}

int call_run(struct vfiomig_client *c, struct ctl_request *req, int fd, uint32_t timeout_ms,
	     struct vfiomig_result **ret_res)
{
	struct waiter w = { 0 };
	int64_t deadline = timeout_ms ? call_now_ms() + timeout_ms : -1;
	int serial, r;

	serial = call_submit(c, req, fd, call_wake, &w);
	if (serial < 0)
		return serial;
	r = call_wait(c, &w, deadline);
	if (r < 0)
		return call_abandon(c, req->op, (uint32_t)serial, r, timeout_ms);
	if (!w.res)
		return error_set(c, -ENOMEM, "out of memory");
	if (w.status < 0)
		error_from_result(c, w.res);
	if (w.status < 0 || !ret_res) {
		result_free(w.res);
		return w.status;
	}
	*ret_res = w.res;
	return w.status;
}

int call_simple(struct vfiomig_client *c, struct ctl_request *req, uint32_t kind, void **ret)
{
	struct vfiomig_result *res;
	int r = call_run(c, req, -1, c->timeout_ms, &res);

	if (r < 0)
		return r;
	if (ret) {
		*ret = result_take(res, kind);
		if (!*ret && kind != CTL_RESULT_NONE) {
			result_free(res);
			return error_set(c, -EPROTO, "%s: the daemon's reply carries no result",
					 ctl_request_op_name(req->op));
		}
	}
	result_free(res);
	return 0;
}
