/*
 * ctl_job.h - a job's status as the control API reports it (control.proto JobStatus),
 * shared by replies (job_status, job_wait, job_list) and events.
 *
 * Owns: the phase, role and mode enums with their wire values, the status structs and
 * their names. The daemon's migrate module fills a struct ctl_job_status from its job;
 * libvfiomig reads one. Pure; no allocation: a status is a plain value.
 */
#ifndef VFIO_MIGD_PROTO_CTL_JOB_H
#define VFIO_MIGD_PROTO_CTL_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

/* Job phases (control.proto JobPhase); see there for what each means. */
enum ctl_phase {
	CTL_PHASE_NONE = 0, /* never valid in a status */
	CTL_PHASE_WAITING = 1,
	CTL_PHASE_CONNECTING = 2,
	CTL_PHASE_PREPARING = 3,
	CTL_PHASE_PRECOPY = 4,
	CTL_PHASE_SWITCHOVER_PENDING = 5,
	CTL_PHASE_STOP_COPY = 6,
	CTL_PHASE_LOADING = 7,
	CTL_PHASE_COMMITTING = 8,
	CTL_PHASE_RESUME_PENDING = 9,
	CTL_PHASE_STARTING = 10,
	CTL_PHASE_ABORTING = 11,
	CTL_PHASE_COMPLETED = 12, /* terminal */
	CTL_PHASE_FAILED = 13,	  /* terminal */
	CTL_PHASE_CANCELLED = 14, /* terminal */
};

#define CTL_PHASE_MAX CTL_PHASE_CANCELLED

enum ctl_role {
	CTL_ROLE_SOURCE = 1,
	CTL_ROLE_DESTINATION = 2,
};

enum ctl_switchover {
	CTL_SWITCHOVER_AUTO = 0,   /* switch over once the downtime limit can be met */
	CTL_SWITCHOVER_MANUAL = 1, /* wait in SWITCHOVER_PENDING for job_switchover */
};

enum ctl_resume {
	CTL_RESUME_AUTO = 0,   /* destination starts the devices right after COMMIT */
	CTL_RESUME_MANUAL = 1, /* destination waits in RESUME_PENDING for job_resume */
};

/* One device of a job. At least one of the ids is set (a destination job that has not
 * seen PREPARE yet knows only its target ids). */
struct ctl_device_progress {
	char source_id[PROTO_ID_MAX + 1];
	char target_id[PROTO_ID_MAX + 1];
	uint32_t state;		  /* the local device's VFIO migration state, 0..7 */
	uint64_t bytes_sent;	  /* source: sent; destination: received */
	uint64_t bytes_acked;	  /* acknowledged by the destination */
	uint64_t bytes_remaining; /* estimate */
	bool reset;		  /* rollback had to reset the device */
	bool changing;		  /* a state change is in flight */
	uint32_t changing_to;	  /* with changing: its target state, 0..7 */
	uint64_t changing_ms;	  /* with changing: how long it has been running */
};

struct ctl_job_status {
	uint64_t job_id; /* nonzero */
	uint32_t role;	 /* enum ctl_role */
	uint32_t phase;	 /* enum ctl_phase, never NONE */
	char peer[PROTO_ADDR_MAX + 1];
	uint32_t n_devices; /* 1..PROTO_JOB_DEVICES_MAX */
	struct ctl_device_progress devices[PROTO_JOB_DEVICES_MAX];
	uint32_t precopy_iterations;
	uint64_t throughput_bps;
	uint64_t elapsed_ms;
	uint64_t downtime_ms;
	uint64_t started_at_ms;	 /* Unix milliseconds */
	uint64_t finished_at_ms; /* Unix milliseconds, 0 while running */
	uint64_t bandwidth_bps;	 /* 0: unlimited */
	uint32_t downtime_limit_ms;
	uint32_t switchover; /* enum ctl_switchover */
	uint32_t resume;     /* enum ctl_resume */
	struct proto_error error;
};

/* The phase's name ("STOP_COPY"), or "UNKNOWN". */
const char *ctl_job_phase_name(uint32_t phase);

/* True for COMPLETED, FAILED and CANCELLED. */
bool ctl_job_phase_terminal(uint32_t phase);

#endif
