/*
 * control_call.c - one request from decoding to its reply: the checks every request passes
 * (decodable, fds matching fd_count, calls in flight), the handler table, the reply, and
 * calls answered later (async).
 *
 * A struct control_call lives from dispatch until its reply is sent. While its client is
 * connected it sits on the client's list; when the client goes away the call is detached
 * (client NULL) and whoever holds it (an env callback's completion) only frees it when it
 * finishes. So an async operation never needs cancelling and never touches a freed client.
 *
 * Adding an operation is one entry in call_ops[]. A handler answers at once (fills the
 * reply, CONTROL_REPLY_NOW) or keeps the call (CONTROL_REPLY_LATER) and answers it with
 * control_call_finish(), from the loop, any time later (job_wait will; events for subscribers
 * go through control_client_send() on the same connection).
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildinfo.h"
#include "control_int.h"
#include "ctl_reply.h"

struct control_call {
	struct control_client *client;	 /* NULL once detached */
	TAILQ_ENTRY(control_call) entry; /* on client->calls while attached */
	uint32_t serial;
	uint32_t op;
	int fds[PROTO_FDS_MAX]; /* the request's fds; -1 once taken */
	unsigned int n_fds;
};

/* Every operation and its handler. */
static control_op_fn *const call_ops[CTL_OP_MAX + 1] = {
	[CTL_OP_HELLO] = control_ops_hello,
	[CTL_OP_DAEMON_INFO] = control_ops_daemon_info,
	[CTL_OP_DEVICE_LIST] = control_device_list,
	[CTL_OP_DEVICE_ADD] = control_device_add,
	[CTL_OP_DEVICE_REMOVE] = control_device_remove,
	[CTL_OP_DEVICE_INFO] = control_device_info,
	[CTL_OP_DEVICE_SET_STATE] = control_device_set_state,
	[CTL_OP_PREPARE_INCOMING] = control_job_prepare,
	[CTL_OP_MIGRATE] = control_job_migrate,
	[CTL_OP_JOB_STATUS] = control_job_status,
	[CTL_OP_JOB_LIST] = control_job_list,
	[CTL_OP_JOB_CANCEL] = control_job_cancel,
	[CTL_OP_JOB_SWITCHOVER] = control_job_switchover,
	[CTL_OP_JOB_RESUME] = control_job_resume,
	[CTL_OP_JOB_SET_BANDWIDTH] = control_job_bandwidth,
	[CTL_OP_JOB_WAIT] = control_job_wait,
	[CTL_OP_SUBSCRIBE] = control_events_subscribe,
	[CTL_OP_PEER_CONNECT] = control_peer_connect,
	[CTL_OP_PEER_LIST] = control_peer_list,
	[CTL_OP_JOB_METADATA] = control_job_metadata,
};

int control_call_error(struct ctl_reply *rep, int err, uint32_t code_override, const char *device,
		       const char *fmt, ...)
{
	va_list ap;

	rep->result = CTL_RESULT_NONE;
	rep->error.code = code_override ? code_override : proto_err_from_errno(err);
	snprintf(rep->error.device, sizeof(rep->error.device), "%s", device ? device : "");
	va_start(ap, fmt);
	vsnprintf(rep->error.message, sizeof(rep->error.message), fmt, ap);
	va_end(ap);
	return CONTROL_REPLY_NOW;
}

struct control_server *control_call_server(const struct control_call *call)
{
	return call->client ? call->client->srv : NULL;
}

struct control_client *control_call_client(const struct control_call *call)
{
	return call->client;
}

uint32_t control_call_serial(const struct control_call *call)
{
	return call->serial;
}

const char *control_call_op_name(const struct control_call *call)
{
	return ctl_request_op_name(call->op);
}

int control_call_take_fd(struct control_call *call, uint32_t index)
{
	int fd;

	if (index >= call->n_fds)
		return -1;
	fd = call->fds[index];
	call->fds[index] = -1;
	return fd;
}

static void call_free(struct control_call *call)
{
	for (unsigned int i = 0; i < call->n_fds; i++)
		if (call->fds[i] >= 0)
			close(call->fds[i]);
	free(call);
}

static void call_detach(struct control_call *call)
{
	struct control_client *c = call->client;

	if (!c)
		return;
	TAILQ_REMOVE(&c->calls, call, entry);
	c->n_calls--;
	call->client = NULL;
}

void control_call_detach_all(struct control_client *c)
{
	struct control_call *call;

	while ((call = TAILQ_FIRST(&c->calls)))
		call_detach(call);
}

/* Logs the outcome: failures at info (operators see refused requests), the rest at debug. */
static void call_log(struct control_client *c, const struct control_call *call,
		     const struct ctl_reply *rep)
{
	if (rep->error.code == PROTO_ERR_OK)
		client_log(c, LOG_LVL_DEBUG, "request %u %s: OK", call->serial,
			   ctl_request_op_name(call->op));
	else
		client_log(c, LOG_LVL_INFO, "request %u %s: %s: %s", call->serial,
			   ctl_request_op_name(call->op), proto_err_name(rep->error.code),
			   rep->error.message);
}

/* Encodes and queues the reply; a reply that cannot be encoded is a bug, answered INTERNAL. */
static void call_send(struct control_client *c, const struct control_call *call,
		      struct ctl_reply *rep)
{
	uint8_t *frame = NULL;
	size_t len;
	int r;

	rep->serial = call->serial;
	r = ctl_reply_encode(rep, &frame, &len);
	if (r < 0) {
		struct ctl_reply bad = { .serial = call->serial };

		log_errx("control: %s: cannot encode the reply to request %u %s: %s", c->name,
			 call->serial, ctl_request_op_name(call->op), proto_last_error());
		control_call_error(&bad, 0, PROTO_ERR_INTERNAL, NULL,
				   "the daemon could not encode its reply (%s); this is a bug, "
				   "please report it",
				   proto_last_error());
		r = ctl_reply_encode(&bad, &frame, &len);
		rep = &bad;
	}
	call_log(c, call, rep);
	if (r == 0)
		control_client_send(c, frame, len);
	free(frame);
}

void control_call_finish(struct control_call *call, struct ctl_reply *rep)
{
	struct control_client *c = call->client;

	if (c) {
		call_detach(call);
		call_send(c, call, rep);
	} else {
		log_info("control: the reply to request %u %s is dropped: its client has gone",
			 call->serial, ctl_request_op_name(call->op));
	}
	call_free(call);
}

/* Answers a request at once without a call (refusals before dispatch). */
static void call_refuse(struct control_client *c, const struct ctl_request *req, int err,
			uint32_t code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void call_refuse(struct control_client *c, const struct ctl_request *req, int err,
			uint32_t code, const char *fmt, ...)
{
	struct control_call call = { .serial = req->serial, .op = req->op };
	struct ctl_reply rep = { 0 };
	va_list ap;

	control_call_error(&rep, err, code, NULL, "%s", "");
	va_start(ap, fmt);
	vsnprintf(rep.error.message, sizeof(rep.error.message), fmt, ap);
	va_end(ap);
	call_send(c, &call, &rep);
}

/* Runs the handler; the call is on the client's list while it runs or waits. */
static void call_run(struct control_client *c, struct control_call *call,
		     const struct ctl_request *req)
{
	struct ctl_reply rep = { .result = ctl_reply_result_for(req->op) };
	control_op_fn *fn = req->op <= CTL_OP_MAX ? call_ops[req->op] : NULL;
	int r;

	call->client = c;
	TAILQ_INSERT_TAIL(&c->calls, call, entry);
	c->n_calls++;
	if (fn)
		r = fn(call, req, &rep);
	else
		r = control_call_error(&rep, -EOPNOTSUPP, 0, NULL,
				       "operation %s has no handler in this daemon",
				       ctl_request_op_name(req->op));
	if (r == CONTROL_REPLY_LATER)
		return; /* the call may be finished and freed already */
	control_call_finish(call, &rep);
	ctl_reply_clear(&rep);
}

/* A request that does not decode: the client breaks the protocol. */
static void call_undecodable(struct control_client *c, int r)
{
	const struct control_input *in = &c->in;
	char reason[PROTO_MESSAGE_MAX / 2];
	uint32_t serial = 0;

	snprintf(reason, sizeof(reason), "%s", proto_last_error());
	if (ctl_request_peek_serial(in->body, in->view.body_len, &serial) < 0)
		serial = 0;
	if (r == -EPROTO)
		control_client_fail(c, serial, "request %u is invalid: %s", serial, reason);
	else if (r == -ENOBUFS)
		control_client_fail(c, serial, "request %u needs too much memory to decode: %s",
				    serial, reason);
	else if (r == -ENOMEM)
		control_client_fail(c, serial, "the daemon ran out of memory decoding a request");
	else
		control_client_fail(c, serial, "request body (%u bytes) is not a Request: %s",
				    in->view.body_len, reason);
}

/* A newer client's operation: refused, the connection stays. */
static void call_unknown_op(struct control_client *c)
{
	struct ctl_request req = { .op = 0 };

	if (ctl_request_peek_serial(c->in.body, c->in.view.body_len, &req.serial) < 0) {
		control_client_fail(c, 0, "request body cannot be read again");
		return;
	}
	call_refuse(c, &req, -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED,
		    "request %u: this daemon (vfio-migd %s, control protocol %u) does not know "
		    "the operation; upgrade vfio-migd or use an older client",
		    req.serial, VFIO_MIGD_VERSION, PROTO_VERSION);
}

/* Checks what decoding cannot: fds against fd_count, and calls in flight. */
static int call_admit(struct control_client *c, const struct ctl_request *req)
{
	if (req->fd_count != c->in.n_fds) {
		control_client_fail(c, req->serial,
				    "request %u %s: fd_count is %u but %u file descriptors came "
				    "with it",
				    req->serial, ctl_request_op_name(req->op), req->fd_count,
				    c->in.n_fds);
		return -EPROTO;
	}
	if (c->n_calls >= CONTROL_CALLS_MAX) {
		call_refuse(c, req, -EBUSY, PROTO_ERR_RESOURCE_EXHAUSTED,
			    "%u requests of this connection are still waiting for their replies; "
			    "wait for some before sending more",
			    c->n_calls);
		return -EBUSY;
	}
	return 0;
}

static struct control_call *call_new(struct control_client *c, const struct ctl_request *req)
{
	struct control_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->serial = req->serial;
	call->op = req->op;
	memcpy(call->fds, c->in.fds, c->in.n_fds * sizeof(int));
	call->n_fds = c->in.n_fds;
	c->in.n_fds = 0;
	return call;
}

void control_call_dispatch(struct control_client *c)
{
	struct ctl_request req;
	struct control_call *call;
	int r;

	r = ctl_request_decode(c->in.body, c->in.view.body_len, &req);
	if (r < 0 && r != -EOPNOTSUPP) {
		call_undecodable(c, r);
		return;
	}
	if (r == -EOPNOTSUPP)
		call_unknown_op(c);
	if (r < 0 || call_admit(c, &req) < 0) {
		if (r == 0)
			ctl_request_clear(&req);
		control_input_next(&c->in);
		return;
	}
	call = call_new(c, &req);
	control_input_next(&c->in);
	if (call)
		call_run(c, call, &req);
	else
		call_refuse(c, &req, -ENOMEM, 0, "the daemon is out of memory; try again later");
	ctl_request_clear(&req);
}
