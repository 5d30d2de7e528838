/*
 * migrate.h - the migration engine: jobs on both sides of a migration, from the
 * orchestrator's request to the final phase, over the peer links and the per-device data
 * streams (architecture.md, "The peer protocol", steps 2-7).
 *
 * One struct migrate per daemon, on the daemon's event loop. It owns every job (source and
 * destination), their data streams and rate limiters, and decides every state change of the
 * devices its jobs hold (claimed in the registry, all or none). It uses the peer set for
 * control links (peer_connect, peer_link_send), outgoing data streams
 * (peer_stream_connect) and takes the peer set's message, closed and stream callbacks
 * (migrate_on_peer_*), which the daemon registers.
 *
 * Stream workers report through an eventfd the loop watches (see migrate.c); the loop then
 * reads every running stream's stats. Nothing here blocks on device data. Device state
 * changes run on the loop thread: instant for sim, but a vfio driver may take a while on
 * some arcs (STOP_COPY, RESUMING -> STOP) and the loop waits for it.
 *
 * Results: operations return 0 or -errno and, on failure, fill *err with the stable code and
 * one sentence naming the job or device and what to do; the control server sends that.
 *
 * Threading: the loop thread only.
 */
#ifndef VFIO_MIGD_MIGRATE_MIGRATE_H
#define VFIO_MIGD_MIGRATE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_event.h"
#include "ctl_job.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "peer.h"

struct event_base;
struct registry;
struct migrate;

#define MIGRATE_TOKEN_EXPIRY_S_DEFAULT 300   /* prepare_incoming without expiry_s */
#define MIGRATE_DOWNTIME_MS_DEFAULT    300   /* migrate without downtime_limit_ms */
#define MIGRATE_PREPARE_TIMEOUT_MS     30000 /* source: PREPARE sent -> PREPARE_REPLY */
#define MIGRATE_TICK_MS		       250   /* per job: progress, convergence, deadlines */
#define MIGRATE_PROGRESS_MS	       250   /* PROGRESS events: at most 4 per second per job */
#define MIGRATE_SEND_STALL_MS	       30000 /* SEND stream: no byte moves for this long */
/* SEND stream in pre-copy: how often an idle device is looked at again. Short, because the
 * device's last bytes after STOP_COPY wait for it: it adds to the downtime. */
#define MIGRATE_POLL_MS 10
/* Destination: how long past the source's time left (sent in PREPARE) it still waits for
 * COMMIT, so that the source's own timeout, and its ABORT, normally come first. */
#define MIGRATE_DEST_GRACE_MS 5000
/* Destination: how long a data stream cut short waits for the source's ABORT (dest.c). */
#define MIGRATE_CUT_GRACE_MS 1000

/* Receives every job event (loop thread); ev is valid during the call only. */
typedef void migrate_event_fn(void *arg, const struct ctl_event *ev);

struct migrate_limits {
	unsigned int max_jobs;	      /* jobs not yet finished, both roles; >= 1 */
	uint64_t bandwidth;	      /* host-wide cap over every stream, B/s; 0: unlimited */
	uint64_t job_timeout_ms;      /* source jobs that set no timeout_s; 0: none */
	uint64_t finished_job_ttl_ms; /* finished jobs stay queryable this long */
	uint64_t dest_timeout_ms;     /* destination: PREPARE to COMMIT at most; 0: none */
};

struct migrate_options {
	struct event_base *base;
	struct registry *devices;
	struct peer_set *peers; /* may be NULL: every migration then fails PEER_UNREACHABLE */
	struct migrate_limits limits;
	migrate_event_fn *on_event; /* may be NULL */
	void *event_arg;
};

/*
 * A JOB_WAIT completion: err 0 and st (terminal), or err -ETIMEDOUT / -ECANCELED (daemon
 * stopping) / -ENOENT (job freed) with e set (st then the last status, or NULL). Called
 * exactly once per accepted wait, possibly from inside migrate_job_wait().
 */
typedef void migrate_wait_fn(void *arg, int err, const struct proto_error *e,
			     const struct ctl_job_status *st);

/*
 * An engine on o->base; registers its callbacks on o->peers (message, closed, stream).
 * Returns 0 and *ret, -EINVAL (no base or registry, max_jobs 0), -ENOMEM, or eventfd()'s
 * error.
 */
int migrate_new(const struct migrate_options *o, struct migrate **ret);

/*
 * Stops everything: every unfinished job is aborted and rolled back at once (source devices
 * back to their state before the job, destination devices reset), telling the peer where a
 * link is up; waits complete with -ECANCELED; the peer set's callbacks are cleared. Stream
 * workers are joined, which may wait for a device call in progress. Call before freeing the
 * peer set. NULL-safe.
 */
void migrate_free(struct migrate *m);

/* New limits (SIGHUP): the host-wide rate applies at once, the others to what comes next. */
void migrate_set_limits(struct migrate *m, const struct migrate_limits *l);

/* Jobs not yet finished. */
uint32_t migrate_active_jobs(const struct migrate *m);

/*
 * Destination: admits one incoming migration. Claims the target devices for a new job in
 * phase WAITING holding a single-use token bound to req->source_identity (the allow-list
 * entry the source's certificate matches, "dns:hosta.test"; a bare DNS name means
 * "dns:NAME") until the expiry. who names the requester for the audit log.
 * Returns 0 and *ret, or -errno and *err: INVALID_ARGUMENT, NOT_FOUND / BUSY (a device),
 * DEVICE_FAILED (a device in ERROR), RESOURCE_EXHAUSTED (max_jobs).
 */
int migrate_prepare_incoming(struct migrate *m, const struct ctl_prepare_incoming *req,
			     const char *who, struct ctl_prepare_result *ret,
			     struct proto_error *err);

/*
 * Source: starts a migration job. Checks the request, claims the source devices (all or
 * none), and returns the new job's id at once; everything else (connect, PREPARE, streams,
 * switchover, commit) happens on the loop and shows in the job's status and events.
 * Errors: INVALID_ARGUMENT, NOT_FOUND, BUSY, DEVICE_FAILED, RESOURCE_EXHAUSTED.
 */
int migrate_start(struct migrate *m, const struct ctl_migrate *req, const char *who,
		  uint64_t *ret_id, struct proto_error *err);

/* The job's status. -ENOENT (NOT_FOUND) for an unknown or freed job. */
int migrate_job_status(struct migrate *m, uint64_t id, struct ctl_job_status *ret,
		       struct proto_error *err);

/* Writes the status of at most max jobs, oldest first; returns how many. */
uint32_t migrate_job_list(struct migrate *m, struct ctl_job_status *v, uint32_t max);

/*
 * Cancels a job in any phase before COMMIT: it rolls back and ends CANCELLED (the reply
 * does not wait for that; JOB_WAIT or the FINISHED event does). Errors: NOT_FOUND, and
 * INVALID_ARGUMENT for a finished job or one past COMMIT.
 */
int migrate_job_cancel(struct migrate *m, uint64_t id, const char *who, struct proto_error *err);

/* Source, switchover manual (or forcing an auto one): switch over now. Errors: NOT_FOUND,
 * INVALID_ARGUMENT (wrong role or phase). */
int migrate_job_switchover(struct migrate *m, uint64_t id, const char *who,
			   struct proto_error *err);

/* Destination, resume manual: start the devices (phase RESUME_PENDING only). */
int migrate_job_resume(struct migrate *m, uint64_t id, const char *who, struct proto_error *err);

/* Changes a source job's bandwidth cap at once (0: unlimited). */
int migrate_job_set_bandwidth(struct migrate *m, uint64_t id, uint64_t bps, const char *who,
			      struct proto_error *err);

/*
 * Waits until the job is finished or timeout_ms (0: none) passed; done is called exactly
 * once (see migrate_wait_fn), at once for a finished job. Returns 0, or -ENOENT / -ENOMEM
 * with *err (done is then never called).
 */
int migrate_job_wait(struct migrate *m, uint64_t id, uint32_t timeout_ms, migrate_wait_fn *done,
		     void *arg, struct proto_error *err);

/*
 * The opaque metadata a destination job received in PREPARE for its device index i (the
 * source orchestrator's, for the VMM: what the kernel stream does not hold). Returns 0 with
 * *ret_data / *ret_len (valid until the job is freed), -ENOENT, -EINVAL (not a destination
 * job, or i out of range), -EAGAIN (PREPARE not received yet).
 */
int migrate_job_metadata(struct migrate *m, uint64_t id, uint32_t i, const uint8_t **ret_data,
			 size_t *ret_len);

/*
 * job_metadata: as migrate_job_metadata(), for the device the job knows by device (its
 * source or its target id). Returns 0 with *ret_data (NULL when *ret_len is 0; valid until
 * the job is freed) and *ret_len, or -errno with *err: NOT_FOUND (no such job, or no such
 * device in it), INVALID_ARGUMENT (a source job), BUSY (the source's PREPARE has not
 * arrived yet).
 */
int migrate_job_device_metadata(struct migrate *m, uint64_t id, const char *device,
				const uint8_t **ret_data, size_t *ret_len, struct proto_error *err);

/*
 * Daemon stopping (drain.c): cancels every job that is before COMMIT (it rolls back and ends
 * CANCELLED with message "<why> in phase X", the peer is told) and leaves the jobs at or past
 * COMMIT to finish. Creates nothing; the caller stops asking for new jobs. Returns the jobs
 * still unfinished (rolling back, or past COMMIT); migrate_active_jobs() and the FINISHED
 * events show when they are done. Safe to call again.
 */
uint32_t migrate_drain(struct migrate *m, const char *why);

/* Unfinished jobs past COMMIT (drain.c): the ones a stop waits for rather than cancels. */
uint32_t migrate_committed_jobs(const struct migrate *m);

/* The peer set's callbacks (migrate_new() registers them with m as arg). */
void migrate_on_peer_message(struct peer_link *link, const struct peer_msg *msg, void *arg);
void migrate_on_peer_closed(struct peer_link *link, int err, const char *why, void *arg);
void migrate_on_stream(struct peer_stream_handoff *s, void *arg);

#endif
