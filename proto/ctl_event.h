/*
 * ctl_event.h - job events streamed to subscribed control clients (control.proto Event),
 * as a plain C struct, and their codec: one event per FRAME_CTL_EVENT frame.
 *
 * An event is a plain value (no heap parts); ctl_event_clear() exists for symmetry and
 * only zeroes it. Threading: reentrant; the failure reason is per thread.
 */
#ifndef VFIO_MIGD_PROTO_CTL_EVENT_H
#define VFIO_MIGD_PROTO_CTL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_job.h"
#include "proto.h"

/* control.proto EventKind; what each kind carries besides seq, job_id, kind and time. */
enum ctl_event_kind {
	CTL_EVENT_JOB_CREATED = 1,  /* status */
	CTL_EVENT_PHASE = 2,	    /* phase, status */
	CTL_EVENT_PROGRESS = 3,	    /* status; rate-limited by the daemon */
	CTL_EVENT_DEVICE_STATE = 4, /* device, device_state */
	CTL_EVENT_CONVERGED = 5,    /* the downtime limit can be met */
	CTL_EVENT_FINISHED = 6,	    /* phase (terminal), status, error if it failed */
	CTL_EVENT_LOST = 7,	    /* events were dropped for this subscriber; job_id 0 */
};

#define CTL_EVENT_KIND_MAX CTL_EVENT_LOST

struct ctl_event {
	uint64_t seq;		       /* per subscription, from 1, +1 per event */
	uint64_t job_id;	       /* nonzero except for LOST */
	uint32_t kind;		       /* enum ctl_event_kind */
	uint32_t phase;		       /* enum ctl_phase; NONE only for LOST */
	uint64_t time_ms;	       /* Unix milliseconds */
	char device[PROTO_ID_MAX + 1]; /* DEVICE_STATE: the device */
	uint32_t device_state;	       /* DEVICE_STATE: its new state */
	bool has_status;	       /* JOB_CREATED, PHASE, PROGRESS, FINISHED: true */
	struct ctl_job_status status;  /* status.job_id == job_id */
	struct proto_error error;
};

/*
 * Encodes ev as a complete FRAME_CTL_EVENT frame in a malloc'ed buffer. Returns 0 with
 * *ret_buf (free() it) and *ret_len; -EINVAL when ev breaks a rule (reason in
 * proto_last_error()); -EMSGSIZE; -ENOMEM.
 */
int ctl_event_encode(const struct ctl_event *ev, uint8_t **ret_buf, size_t *ret_len);

/*
 * Decodes the body of a FRAME_CTL_EVENT frame. Returns 0 and *ret; -EMSGSIZE, -EBADMSG,
 * -ENOBUFS, -EPROTO, -ENOMEM as ctl_request_decode(). *ret is not written on failure.
 */
int ctl_event_decode(const uint8_t *buf, size_t len, struct ctl_event *ret);

/* Zeroes ev; NULL-safe. */
void ctl_event_clear(struct ctl_event *ev);

/* The kind's name ("PROGRESS"), or "UNKNOWN". */
const char *ctl_event_kind_name(uint32_t kind);

#endif
