/*
 * event.c - job events: the subscribe operation, delivery of each event that arrives (to
 * the client's event callback, or into a bounded queue read by vfiomig_event_next()), and
 * the event object's accessors.
 *
 * The queue holds at most EVENTS_MAX events, counting the LOST event: on overflow the
 * oldest is dropped and counted, and the next event handed out (by vfiomig_event_next() or
 * to the callback) is a LOST (job 0) made at that moment, as the daemon itself does for a
 * slow subscriber, so a consumer always learns that it missed something, however often.
 * The callback is never re-entered: events arriving while it runs (it made a blocking
 * call) wait in the queue and follow when it returns. Threading: as the client.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int subscribe_build(struct vfiomig_client *c, struct ctl_request *req, uint64_t job_id,
			   uint32_t flags)
{
	int r = call_begin(c, req, CTL_OP_SUBSCRIBE, flags);

	if (r >= 0)
		req->u.subscribe.job_id = job_id;
	return r;
}

VFIOMIG_EXPORT int vfiomig_subscribe(struct vfiomig_client *c, uint64_t job_id, uint32_t flags)
{
	struct ctl_request req;
	int r = subscribe_build(c, &req, job_id, flags);

	return r < 0 ? r : call_simple(c, &req, CTL_RESULT_NONE, NULL);
}

VFIOMIG_EXPORT int vfiomig_subscribe_async(struct vfiomig_client *c, uint64_t job_id,
					   uint32_t flags, vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = subscribe_build(c, &req, job_id, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_set_event_callback(struct vfiomig_client *c, vfiomig_event_callback cb,
					      void *userdata)
{
	if (!c)
		return -EINVAL;
	c->event_cb = cb;
	c->event_userdata = userdata;
	return 0;
}

static struct vfiomig_event *event_new(const struct ctl_event *v)
{
	struct vfiomig_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->v = *v;
	if (v->has_status)
		ev->job.v = v->status;
	return ev;
}

void event_drop(struct vfiomig_client *c, uint64_t seq, uint64_t time_ms)
{
	c->events_dropped++;
	if (seq) {
		c->dropped_seq = seq;
		c->dropped_time_ms = time_ms;
	}
}

bool event_ready(const struct vfiomig_client *c)
{
	return c->events_dropped || !TAILQ_EMPTY(&c->events);
}

/* Drops the oldest queued event, counted for the LOST event handed out next. */
static void event_drop_oldest(struct vfiomig_client *c)
{
	struct vfiomig_event *old = TAILQ_FIRST(&c->events);

	TAILQ_REMOVE(&c->events, old, entry);
	c->n_events--;
	event_drop(c, old->v.seq, old->v.time_ms);
	free(old);
}

/*
 * The next event to hand out: a LOST (job 0, the newest dropped event's seq and time)
 * when events were dropped since the last one, which are all older than the queue; else
 * the oldest queued event. NULL when none (or out of memory for the LOST; kept for later).
 */
static struct vfiomig_event *event_pop(struct vfiomig_client *c)
{
	struct vfiomig_event *ev;

	if (c->events_dropped) {
		struct ctl_event lost = { .kind = CTL_EVENT_LOST,
					  .seq = c->dropped_seq,
					  .time_ms = c->dropped_time_ms };

		ev = event_new(&lost);
		if (ev)
			c->events_dropped = 0;
		return ev;
	}
	ev = TAILQ_FIRST(&c->events);
	if (!ev)
		return NULL;
	TAILQ_REMOVE(&c->events, ev, entry);
	c->n_events--;
	return ev;
}

int event_deliver(struct vfiomig_client *c, const struct ctl_event *v)
{
	struct vfiomig_event *ev = event_new(v);

	if (!ev) {
		event_drop(c, v->seq, v->time_ms);
		return event_flush(c);
	}
	/* at most EVENTS_MAX to hand out, counting the LOST that a drop adds */
	while (c->n_events && c->n_events + (c->events_dropped ? 1 : 0) >= EVENTS_MAX)
		event_drop_oldest(c);
	TAILQ_INSERT_TAIL(&c->events, ev, entry);
	c->n_events++;
	return event_flush(c);
}

int event_flush(struct vfiomig_client *c)
{
	struct vfiomig_event *ev;
	int n = 0;

	/* a callback that makes a blocking call gets the events arriving meanwhile after it */
	if (c->delivering)
		return 0;
	c->delivering = true;
	while (c->event_cb && (ev = event_pop(c))) {
		c->event_cb(c, ev, c->event_userdata);
		n++;
	}
	c->delivering = false;
	return n;
}

void event_queue_free(struct vfiomig_client *c)
{
	struct vfiomig_event *ev;

	while ((ev = TAILQ_FIRST(&c->events))) {
		TAILQ_REMOVE(&c->events, ev, entry);
		free(ev);
	}
	c->n_events = 0;
	c->events_dropped = 0;
}

VFIOMIG_EXPORT int vfiomig_event_next(struct vfiomig_client *c, uint32_t timeout_ms,
				      struct vfiomig_event **ret)
{
	int64_t deadline;

	if (!c || !ret)
		return -EINVAL;
	if (c->event_cb)
		return error_set(c, -EINVAL, "events go to the event callback; remove it first");
	deadline = timeout_ms == UINT32_MAX ? -1 : call_now_ms() + timeout_ms;
	if (c->connected && !event_ready(c))
		vfiomig_process(c, 0);
	while (!event_ready(c)) {
		int r;

		if (timeout_ms == 0)
			return c->connected ? -EAGAIN
					    : error_set(c, c->lost_err, "connection lost");
		r = call_poll(c, deadline);
		if (r < 0 && !event_ready(c))
			return error_set(c, r, "waiting for events from %s: %s", c->path,
					 vfiomig_strerror(r));
	}
	*ret = event_pop(c);
	return *ret ? 0 : error_set(c, -ENOMEM, "out of memory");
}

/* ---- the object ---- */

VFIOMIG_EXPORT const char *vfiomig_event_kind_name(uint32_t kind)
{
	return kind == 0 ? "NONE" : ctl_event_kind_name(kind);
}

VFIOMIG_EXPORT void vfiomig_event_free(struct vfiomig_event *ev)
{
	free(ev);
}

VFIOMIG_EXPORT uint64_t vfiomig_event_get_seq(const struct vfiomig_event *ev)
{
	return ev->v.seq;
}

VFIOMIG_EXPORT uint64_t vfiomig_event_get_job_id(const struct vfiomig_event *ev)
{
	return ev->v.job_id;
}

VFIOMIG_EXPORT uint32_t vfiomig_event_get_kind(const struct vfiomig_event *ev)
{
	return ev->v.kind;
}

VFIOMIG_EXPORT uint32_t vfiomig_event_get_phase(const struct vfiomig_event *ev)
{
	return ev->v.phase;
}

VFIOMIG_EXPORT uint64_t vfiomig_event_get_time_ms(const struct vfiomig_event *ev)
{
	return ev->v.time_ms;
}

VFIOMIG_EXPORT const char *vfiomig_event_get_device(const struct vfiomig_event *ev)
{
	return ev->v.device;
}

VFIOMIG_EXPORT uint32_t vfiomig_event_get_device_state(const struct vfiomig_event *ev)
{
	return ev->v.device_state;
}

VFIOMIG_EXPORT const struct vfiomig_job *vfiomig_event_get_job(const struct vfiomig_event *ev)
{
	return ev->v.has_status ? &ev->job : NULL;
}

VFIOMIG_EXPORT uint32_t vfiomig_event_get_error_code(const struct vfiomig_event *ev)
{
	return ev->v.error.code;
}

VFIOMIG_EXPORT const char *vfiomig_event_get_error_message(const struct vfiomig_event *ev)
{
	return ev->v.error.message;
}
