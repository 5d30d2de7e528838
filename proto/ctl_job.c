/*
 * ctl_job.c - JobStatus: names of the phases, and the checked conversions between
 * struct ctl_job_status and the protobuf-c message (used by ctl_reply.c and ctl_event.c).
 */
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "ctl_pb.h"

static const char *const phase_names[] = {
	[CTL_PHASE_NONE] = "NONE",
	[CTL_PHASE_WAITING] = "WAITING",
	[CTL_PHASE_CONNECTING] = "CONNECTING",
	[CTL_PHASE_PREPARING] = "PREPARING",
	[CTL_PHASE_PRECOPY] = "PRECOPY",
	[CTL_PHASE_SWITCHOVER_PENDING] = "SWITCHOVER_PENDING",
	[CTL_PHASE_STOP_COPY] = "STOP_COPY",
	[CTL_PHASE_LOADING] = "LOADING",
	[CTL_PHASE_COMMITTING] = "COMMITTING",
	[CTL_PHASE_RESUME_PENDING] = "RESUME_PENDING",
	[CTL_PHASE_STARTING] = "STARTING",
	[CTL_PHASE_ABORTING] = "ABORTING",
	[CTL_PHASE_COMPLETED] = "COMPLETED",
	[CTL_PHASE_FAILED] = "FAILED",
	[CTL_PHASE_CANCELLED] = "CANCELLED",
};

const char *ctl_job_phase_name(uint32_t phase)
{
	return phase <= CTL_PHASE_MAX ? phase_names[phase] : "UNKNOWN";
}

bool ctl_job_phase_terminal(uint32_t phase)
{
	return phase == CTL_PHASE_COMPLETED || phase == CTL_PHASE_FAILED ||
	       phase == CTL_PHASE_CANCELLED;
}

/* ---- encode ---- */

static int device_to_pb(const struct ctl_device_progress *d, Vmig__DeviceProgress *m)
{
	int r;

	vmig__device_progress__init(m);
	r = codec_str_out(&m->source_id, d->source_id, PROTO_ID_MAX, CODEC_ID, false, "source_id");
	if (r == 0)
		r = codec_str_out(&m->target_id, d->target_id, PROTO_ID_MAX, CODEC_ID, false,
				  "target_id");
	if (r == 0 && !m->source_id && !m->target_id)
		r = codec_fail(-EPROTO, "source_id, target_id: both missing");
	if (r == 0)
		r = codec_range(d->state, 0, PROTO_STATE_MAX, "state");
	if (r == 0)
		r = codec_range(d->changing_to, 0, PROTO_STATE_MAX, "changing_to");
	if (r < 0)
		return r;
	CODEC_SET(m, state, d->state);
	CODEC_OPT(m, bytes_sent, d->bytes_sent);
	CODEC_OPT(m, bytes_acked, d->bytes_acked);
	CODEC_OPT(m, bytes_remaining, d->bytes_remaining);
	CODEC_OPT(m, reset, d->reset);
	CODEC_OPT(m, changing, d->changing);
	if (d->changing) {
		CODEC_SET(m, changing_to, d->changing_to);
		CODEC_SET(m, changing_ms, d->changing_ms);
	}
	return 0;
}

static int check_status(const struct ctl_job_status *s)
{
	int r;

	r = codec_range(s->job_id, 1, UINT64_MAX, "job_id");
	if (r == 0)
		r = codec_range(s->role, CTL_ROLE_SOURCE, CTL_ROLE_DESTINATION, "role");
	if (r == 0)
		r = codec_range(s->phase, CTL_PHASE_WAITING, CTL_PHASE_MAX, "phase");
	if (r == 0)
		r = codec_range(s->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");
	if (r == 0)
		r = codec_range(s->switchover, 0, CTL_SWITCHOVER_MANUAL, "switchover");
	if (r == 0)
		r = codec_range(s->resume, 0, CTL_RESUME_MANUAL, "resume");
	return r;
}

int ctl_job_to_pb(const struct ctl_job_status *s, struct ctl_job_pb *o)
{
	Vmig__JobStatus *m = &o->msg;
	int r;

	vmig__job_status__init(m);
	r = check_status(s);
	if (r == 0)
		r = codec_str_out(&m->peer, s->peer, PROTO_ADDR_MAX, CODEC_TEXT, false, "peer");
	for (uint32_t i = 0; r == 0 && i < s->n_devices; i++) {
		r = device_to_pb(&s->devices[i], &o->dev[i]);
		if (r < 0)
			return codec_prefix(r, "devices[%u]", i);
		o->devp[i] = &o->dev[i];
	}
	if (r == 0 && codec_error_set(&s->error)) {
		r = codec_error_out(&o->error, &s->error, "error");
		m->error = &o->error;
	}
	if (r < 0)
		return r;
	CODEC_SET(m, job_id, s->job_id);
	CODEC_SET(m, role, s->role);
	CODEC_SET(m, phase, s->phase);
	m->n_devices = s->n_devices;
	m->devices = o->devp;
	CODEC_OPT(m, precopy_iterations, s->precopy_iterations);
	CODEC_OPT(m, throughput_bps, s->throughput_bps);
	CODEC_OPT(m, elapsed_ms, s->elapsed_ms);
	CODEC_OPT(m, downtime_ms, s->downtime_ms);
	CODEC_OPT(m, started_at_ms, s->started_at_ms);
	CODEC_OPT(m, finished_at_ms, s->finished_at_ms);
	CODEC_OPT(m, bandwidth_bps, s->bandwidth_bps);
	CODEC_OPT(m, downtime_limit_ms, s->downtime_limit_ms);
	CODEC_OPT(m, switchover, s->switchover);
	CODEC_OPT(m, resume, s->resume);
	return 0;
}

/* ---- decode ---- */

static int device_from_pb(struct ctl_device_progress *d, const Vmig__DeviceProgress *m)
{
	int r;

	r = codec_str_in(d->source_id, PROTO_ID_MAX, m->source_id, CODEC_ID, false, "source_id");
	if (r == 0)
		r = codec_str_in(d->target_id, PROTO_ID_MAX, m->target_id, CODEC_ID, false,
				 "target_id");
	if (r == 0 && !d->source_id[0] && !d->target_id[0])
		r = codec_fail(-EPROTO, "source_id, target_id: both missing");
	if (r == 0)
		r = codec_need(m->has_state, "state");
	if (r == 0)
		r = codec_enum_in(&d->state, m->has_state, m->state, PROTO_STATE_MAX, "state");
	if (r < 0)
		return r;
	d->bytes_sent = m->bytes_sent;
	d->bytes_acked = m->bytes_acked;
	d->bytes_remaining = m->bytes_remaining;
	d->reset = m->reset;
	d->changing = m->changing;
	if (d->changing) {
		r = codec_enum_in(&d->changing_to, m->has_changing_to, m->changing_to,
				  PROTO_STATE_MAX, "changing_to");
		if (r < 0)
			return r;
		d->changing_ms = m->changing_ms;
	}
	return 0;
}

int ctl_job_from_pb(struct ctl_job_status *s, const Vmig__JobStatus *m)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = codec_need(m->has_job_id && m->job_id, "job_id");
	if (r == 0)
		r = codec_need(m->has_role, "role");
	if (r == 0)
		r = codec_enum_in(&s->role, m->has_role, m->role, CTL_ROLE_DESTINATION, "role");
	if (r == 0)
		r = codec_need(m->has_phase, "phase");
	if (r == 0)
		r = codec_enum_in(&s->phase, m->has_phase, m->phase, CTL_PHASE_MAX, "phase");
	if (r == 0)
		r = codec_enum_in(&s->switchover, m->has_switchover, m->switchover,
				  CTL_SWITCHOVER_MANUAL, "switchover");
	if (r == 0)
		r = codec_enum_in(&s->resume, m->has_resume, m->resume, CTL_RESUME_MANUAL,
				  "resume");
	if (r == 0)
		r = codec_str_in(s->peer, PROTO_ADDR_MAX, m->peer, CODEC_TEXT, false, "peer");
	if (r == 0)
		r = codec_range(m->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");
	for (size_t i = 0; r == 0 && i < m->n_devices; i++) {
		r = device_from_pb(&s->devices[i], m->devices[i]);
		if (r < 0)
			return codec_prefix(r, "devices[%zu]", i);
	}
	if (r == 0)
		r = codec_error_in(&s->error, m->error, "error");
	if (r == 0 && s->phase == CTL_PHASE_NONE)
		r = codec_fail(-EPROTO, "phase: NONE is not a phase");
	if (r == 0 && s->role == 0)
		r = codec_fail(-EPROTO, "role: NONE is not a role");
	if (r < 0)
		return r;
	s->job_id = m->job_id;
	s->n_devices = (uint32_t)m->n_devices;
	s->precopy_iterations = m->precopy_iterations;
	s->throughput_bps = m->throughput_bps;
	s->elapsed_ms = m->elapsed_ms;
	s->downtime_ms = m->downtime_ms;
	s->started_at_ms = m->started_at_ms;
	s->finished_at_ms = m->finished_at_ms;
	s->bandwidth_bps = m->bandwidth_bps;
	s->downtime_limit_ms = m->downtime_limit_ms;
	return 0;
}
