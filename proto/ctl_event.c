/*
 * ctl_event.c - the Event codec: struct ctl_event <-> FRAME_CTL_EVENT frame, with the rules
 * tying an event's kind to the fields it must carry.
 */
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "ctl_event.h"
#include "ctl_pb.h"
#include "frame.h"

static const char *const kind_names[] = {
	[CTL_EVENT_JOB_CREATED] = "JOB_CREATED",
	[CTL_EVENT_PHASE] = "PHASE",
	[CTL_EVENT_PROGRESS] = "PROGRESS",
	[CTL_EVENT_DEVICE_STATE] = "DEVICE_STATE",
	[CTL_EVENT_CONVERGED] = "CONVERGED",
	[CTL_EVENT_FINISHED] = "FINISHED",
	[CTL_EVENT_LOST] = "LOST",
};

const char *ctl_event_kind_name(uint32_t kind)
{
	if (kind == 0 || kind > CTL_EVENT_KIND_MAX)
		return "UNKNOWN";
	return kind_names[kind];
}

static bool kind_needs_status(uint32_t kind)
{
	return kind == CTL_EVENT_JOB_CREATED || kind == CTL_EVENT_PHASE ||
	       kind == CTL_EVENT_PROGRESS || kind == CTL_EVENT_FINISHED;
}

/* The rules of a decoded or to-be-encoded event, beyond each field's own. */
static int event_check(const struct ctl_event *e)
{
	bool lost = e->kind == CTL_EVENT_LOST;
	int r;

	r = codec_need(e->seq != 0, "seq");
	if (r == 0)
		r = codec_range(e->kind, 1, CTL_EVENT_KIND_MAX, "kind");
	if (r == 0 && !lost)
		r = codec_need(e->job_id != 0, "job_id");
	if (r == 0)
		r = codec_range(e->phase, lost ? 0 : 1, CTL_PHASE_MAX, "phase");
	if (r == 0)
		r = codec_str_check(e->device, PROTO_ID_MAX, CODEC_ID,
				    e->kind == CTL_EVENT_DEVICE_STATE, "device");
	if (r == 0)
		r = codec_range(e->device_state, 0, PROTO_STATE_MAX, "device_state");
	if (r == 0 && kind_needs_status(e->kind) && !e->has_status)
		r = codec_fail(-EPROTO, "status: missing in a %s event",
			       ctl_event_kind_name(e->kind));
	if (r == 0 && e->has_status && e->status.job_id != e->job_id)
		r = codec_fail(-EPROTO, "status.job_id: %llu, but the event is about job %llu",
			       (unsigned long long)e->status.job_id, (unsigned long long)e->job_id);
	if (r == 0 && e->kind == CTL_EVENT_FINISHED && !ctl_job_phase_terminal(e->phase))
		r = codec_fail(-EPROTO, "phase: %s is not terminal in a FINISHED event",
			       ctl_job_phase_name(e->phase));
	return r;
}

int ctl_event_encode(const struct ctl_event *ev, uint8_t **ret_buf, size_t *ret_len)
{
	Vmig__Event m;
	Vmig__Error err;
	struct ctl_job_pb status;
	int r;

	vmig__event__init(&m);
	r = event_check(ev);
	if (r == 0 && ev->has_status) {
		r = ctl_job_to_pb(&ev->status, &status);
		if (r < 0)
			codec_prefix(r, "status");
		m.status = &status.msg;
	}
	if (r == 0 && codec_error_set(&ev->error)) {
		r = codec_error_out(&err, &ev->error, "error");
		m.error = &err;
	}
	if (r < 0)
		return codec_encode_err(r);
	CODEC_SET(&m, seq, ev->seq);
	CODEC_OPT(&m, job_id, ev->job_id);
	CODEC_SET(&m, kind, ev->kind);
	CODEC_OPT(&m, phase, ev->phase);
	CODEC_OPT(&m, time_ms, ev->time_ms);
	m.device = codec_opt_str(ev->device);
	if (ev->kind == CTL_EVENT_DEVICE_STATE)
		CODEC_SET(&m, device_state, ev->device_state);
	else
		CODEC_OPT(&m, device_state, ev->device_state);
	return codec_pack(&m.base, FRAME_CTL_EVENT, ret_buf, ret_len);
}

static int event_from_pb(struct ctl_event *e, const Vmig__Event *m)
{
	int r;

	r = codec_need(m->has_seq && m->has_kind, "seq, kind");
	if (r == 0)
		r = codec_enum_in(&e->kind, m->has_kind, m->kind, CTL_EVENT_KIND_MAX, "kind");
	if (r == 0)
		r = codec_enum_in(&e->phase, m->has_phase, m->phase, CTL_PHASE_MAX, "phase");
	if (r == 0)
		r = codec_enum_in(&e->device_state, m->has_device_state, m->device_state,
				  PROTO_STATE_MAX, "device_state");
	if (r == 0 && e->kind == CTL_EVENT_DEVICE_STATE)
		r = codec_need(m->has_device_state, "device_state");
	if (r == 0)
		r = codec_str_in(e->device, PROTO_ID_MAX, m->device, CODEC_ID, false, "device");
	if (r == 0 && m->status) {
		e->has_status = true;
		r = ctl_job_from_pb(&e->status, m->status);
		if (r < 0)
			codec_prefix(r, "status");
	}
	if (r == 0)
		r = codec_error_in(&e->error, m->error, "error");
	if (r < 0)
		return r;
	e->seq = m->seq;
	e->job_id = m->job_id;
	e->time_ms = m->time_ms;
	return event_check(e);
}

int ctl_event_decode(const uint8_t *buf, size_t len, struct ctl_event *ret)
{
	struct ctl_event e = { 0 };
	Vmig__Event *m;
	int r;

	r = codec_unpack(&vmig__event__descriptor, FRAME_CTL_EVENT, buf, len,
			 (ProtobufCMessage **)&m);
	if (r < 0)
		return r;
	r = event_from_pb(&e, m);
	codec_free(m);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}

void ctl_event_clear(struct ctl_event *ev)
{
	if (ev)
		memset(ev, 0, sizeof(*ev));
}
