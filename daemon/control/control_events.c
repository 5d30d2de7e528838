/*
 * control_events.c - job events for subscribed clients: the SUBSCRIBE operation and the
 * fan-out of each event the daemon publishes to every client subscribed to its job.
 *
 * A subscription belongs to its connection: it starts with SUBSCRIBE (which may be sent again
 * to change the job it follows) and ends when the connection closes. Events go through the
 * connection's one output queue after the replies already queued, each with the connection's
 * next sequence number. A subscriber that stops reading is closed by the queue's max_output
 * cap (control_client_send()), so a slow client costs bounded memory and never slows a job.
 * The daemon rate-limits PROGRESS events; nothing is dropped silently here.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control_int.h"

int control_events_subscribe(struct control_call *call, const struct ctl_request *req,
			     struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	struct control_client *c = control_call_client(call);
	uint64_t job = req->u.subscribe.job_id;
	struct ctl_job_status *st;
	struct proto_error e = { 0 };
	int r;

	if (!srv->env.jobs)
		return control_call_error(rep, -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED, NULL,
					  "migration jobs are not available in this version of "
					  "vfio-migd");
	if (job) {
		st = malloc(sizeof(*st));
		if (!st)
			return control_call_error(rep, -ENOMEM, 0, NULL,
						  "the daemon is out of memory; try again later");
		r = srv->env.jobs->status(srv->env.arg, job, st, &e);
		free(st);
		if (r < 0)
			return control_call_error(rep, r, e.code, NULL, "%s", e.message);
	}
	c->subscribed = true;
	c->sub_job = job;
	if (job)
		client_log(c, LOG_LVL_INFO, "subscribed to the events of job %llu",
			   (unsigned long long)job);
	else
		client_log(c, LOG_LVL_INFO, "subscribed to the events of every job");
	return CONTROL_REPLY_NOW;
}

/* Encodes and queues one event for one client, with that client's next sequence number. */
static void events_send(struct control_client *c, struct ctl_event *ev)
{
	uint8_t *frame = NULL;
	size_t len;
	int r;

	ev->seq = ++c->event_seq;
	r = ctl_event_encode(ev, &frame, &len);
	if (r < 0) {
		log_errx("control: cannot encode a %s event of job %llu: %s; this is a bug",
			 ctl_event_kind_name(ev->kind), (unsigned long long)ev->job_id,
			 proto_last_error());
		return;
	}
	control_client_send(c, frame, len);
	free(frame);
}

void control_events_publish(struct control_server *srv, const struct ctl_event *ev)
{
	struct control_client *c;
	struct ctl_event *copy = NULL;

	if (!srv)
		return;
	TAILQ_FOREACH(c, &srv->clients, entry)
	{
		if (c->state == CONTROL_CLIENT_CLOSED || !c->subscribed ||
		    (c->sub_job && c->sub_job != ev->job_id))
			continue;
		if (!copy) {
			copy = malloc(sizeof(*copy));
			if (!copy) {
				log_errx("control: out of memory publishing an event");
				return;
			}
			*copy = *ev;
		}
		events_send(c, copy);
	}
	free(copy);
}
