/*
 * migrate_int.h - the bodies of the engine and its jobs, and the functions the engine's files
 * share: migrate.c (the engine, wake-ups, peer callbacks), migrate_ops.c (the orchestrator's
 * operations), job.c (one job: phases, status, events, waits), rollback.c (abort and
 * rollback), source.c and dest.c (the two sides of the protocol), switchover.c (when and how
 * the source stops its devices), change.c (device state changes in worker threads), token.c,
 * converge.c.
 * Not for other modules. Threading: the loop thread only, except migrate_stream_notify() and
 * the worker half of struct change (see change.c).
 */
#ifndef VFIO_MIGD_MIGRATE_MIGRATE_INT_H
#define VFIO_MIGD_MIGRATE_MIGRATE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "device.h"
#include "log.h"
#include "migrate.h"
#include "ratelimit.h"
#include "stream.h"
#include "token.h"

struct event;
struct job;

/* What a device change does (change.c). */
enum change_op {
	CHANGE_SET,    /* device_set_state(target, recover) */
	CHANGE_KEEP,   /* device_set_state_keep(target, recover): never resets (past COMMIT) */
	CHANGE_RESET,  /* device_reset(): RUNNING, no session */
	CHANGE_RETURN, /* rollback: re-read the state, reset if ERROR, then to target */
};

/*
 * One device's state change, run by a worker thread (change.c). The loop fills the request
 * and starts the worker; the worker writes the result, then sets done (release) and wakes the
 * loop; the loop reads the result once it sees done (acquire), joins the worker and clears
 * busy. One change per device at a time.
 */
struct change {
	/* loop only */
	bool busy;	    /* a worker was started and not yet collected */
	bool posted;	    /* part of the job's current group (results stay until the next) */
	pthread_t thread;   /* valid while busy and threaded */
	bool threaded;	    /* false: pthread_create failed, the change ran on the loop */
	uint64_t warned_ns; /* last "still running" warning */
	/* the request: written by the loop before the worker starts, then read-only */
	struct migrate *m;
	struct device *dev;
	enum change_op op;
	enum fsm_state from, target, recover;
	uint64_t posted_ns;
	/* the result: written by the worker before done */
	int rc;
	struct device_change c;
	uint64_t done_ns; /* monotonic: when the device call returned */
	int done;	  /* atomic: the result is complete */
};

/* What a job's changes in flight are for; each group has a continuation that runs once no
 * device of the job is changing any more. */
enum change_group {
	GROUP_NONE,
	GROUP_SRC_PRECOPY,  /* source: RUNNING -> PRE_COPY for the pre-copy devices */
	GROUP_SRC_P2P,	    /* source switchover: RUNNING_P2P / PRE_COPY_P2P first */
	GROUP_SRC_STOP,	    /* source switchover: then STOP_COPY */
	GROUP_SRC_DONE,	    /* source completion: STOP_COPY -> STOP */
	GROUP_DST_RESUMING, /* destination PREPARE: to RESUMING */
	GROUP_DST_LOAD,	    /* destination load: RESUMING -> STOP (validation) */
	GROUP_DST_P2P,	    /* destination start: STOP -> RUNNING_P2P */
	GROUP_DST_RUN,	    /* destination start: then RUNNING */
	GROUP_DST_HALT,	    /* destination start failed after COMMIT: running ones to STOP */
	GROUP_ROLLBACK,	    /* rollback: source devices back, destination devices reset */
};

/* One device of a job. Source: source_id is local; destination: target_id is. */
struct job_dev {
	struct job *job; /* back pointer: the argument of this device's stream dial */
	uint32_t index;	 /* position in PREPARE: the data stream's device index */
	char source_id[PROTO_ID_MAX + 1];
	char target_id[PROTO_ID_MAX + 1];
	struct device *dev;  /* the local device, claimed for the job; NULL once released */
	enum fsm_state last; /* its state when it was released (for the status) */
	uint8_t *metadata;   /* source: to send; destination: received (malloc'ed) */
	size_t metadata_len;
	enum fsm_state orig;	/* source: the state to return to on rollback */
	bool precopy;		/* source: streams in PRE_COPY while running */
	bool dialing;		/* source: peer_stream_connect() in flight */
	int fd;			/* source: dialed, stream not started yet; else -1 */
	struct tls_conn *tls;	/* with fd */
	struct stream *stream;	/* running or finished, until freed */
	struct stream_stats st; /* the last snapshot; kept once the stream is freed */
	bool has_st;		/* st holds a snapshot */
	bool loaded;		/* source: LOADED received; destination: RESUMING -> STOP done */
	bool touched;		/* the job posted a change of it: rollback has to look at it */
	bool reset;		/* rollback (or a failed arc) had to reset the device */
	uint64_t estimate;	/* source: full stop-copy bytes when the job started */
	uint64_t stopcopy_base; /* source: bytes sent when the device entered STOP_COPY */
	bool stopcopy;		/* source: the device reached STOP_COPY */
	struct change chg;	/* its state change in flight or last done (change.c) */
};

struct job_waiter {
	TAILQ_ENTRY(job_waiter) entry;
	struct job *job;
	struct event *timer; /* NULL without timeout */
	uint32_t timeout_ms;
	migrate_wait_fn *done;
	void *arg;
};

TAILQ_HEAD(job_waiter_list, job_waiter);

struct job {
	struct migrate *m;
	TAILQ_ENTRY(job) entry;
	uint64_t id;
	uint32_t role;	/* enum ctl_role */
	uint32_t phase; /* enum ctl_phase */
	uint32_t final; /* ABORTING: the terminal phase it ends in (FAILED or CANCELLED) */
	char who[64];	/* the requester, for the audit log: "pid=1 uid=0" */
	char peer[PROTO_ADDR_MAX + 1];	   /* source: address dialed; dest: source identity */
	char identity[PROTO_ADDR_MAX + 1]; /* dest: the bound source identity; source: the
					      identity the destination's certificate matched */
	char token[PROTO_TOKEN_MAX + 1];   /* dest: the token; source: the one presented */
	uint64_t peer_job;	/* source: the destination's job id; dest: the source's */
	struct peer_link *link; /* the control link, NULL before connect and once closed */
	bool peer_knows;	/* the peer has a job for this one: an abort must be told */
	bool abort_sent;	/* PEER_ABORT or LOAD_FAILED went out */
	bool token_used;	/* dest: a PREPARE consumed the token */
	bool committed;		/* source: COMMIT sent; dest: COMMIT received */
	bool commit_acked;	/* source: COMMIT_ACK received */
	bool converged;		/* source: CONVERGED was announced */
	bool limit_warned;	/* source: said that the limit cannot be met */
	bool switchover_asked;	/* source: job_switchover came */
	bool switching;		/* source: the switchover started (SWITCHOVER sent) */
	bool precopy;		/* pre-copy requested */
	bool completing;	/* source: RESUMED / COMMIT_ACK came; stopping the devices */
	bool resumed;		/* source: completing on RESUMED (not COMMIT_ACK) */
	bool commit_unknown;	/* source: failed past COMMIT; stopping the devices, then FAILED */
	uint32_t group;		/* enum change_group: what the changes in flight are for */
	bool switchover_manual, resume_manual;
	uint32_t downtime_limit_ms;
	uint64_t timeout_ms;  /* source: the job timeout; dest: the token's lifetime, from PREPARE
				the bound on reaching COMMIT; 0: none */
	bool timeout_source;  /* dest: that bound came from the source's time left */
	uint64_t cut_seen_ns; /* dest: a stream ended before END then (monotonic), 0: none */
	uint64_t bandwidth;   /* the job's cap, 0: unlimited */
	struct ratelimit *limit;
	uint32_t n_dev;
	struct job_dev dev[PROTO_JOB_DEVICES_MAX];
	uint64_t created_ns, created_ms; /* monotonic ns; Unix ms */
	uint64_t finished_ns, finished_ms;
	uint64_t deadline_ns;		/* timeout_ms from creation (monotonic), 0: none */
	uint64_t reply_deadline_ns;	/* source: PREPARE_REPLY expected by then, 0: none */
	uint64_t downtime_start_ns;	/* 0 until downtime starts */
	uint64_t downtime_ms;		/* once known */
	uint64_t expires_ms;		/* dest: token expiry, Unix ms */
	uint64_t bw_measured;		/* source: highest throughput its streams showed, B/s */
	uint64_t last_progress_ns;	/* last PROGRESS event */
	uint64_t commit_ns;		/* COMMIT sent (source) or received (dest) */
	struct proto_error error;	/* set when FAILED or CANCELLED */
	struct event *tick;		/* MIGRATE_TICK_MS while unfinished */
	struct event *ttl;		/* finished: frees the job */
	struct job_waiter_list waiters; /* JOB_WAIT calls */
};

TAILQ_HEAD(job_list, job);

struct migrate {
	struct event_base *base;
	struct registry *devices;
	struct peer_set *peers;
	struct migrate_limits limits;
	migrate_event_fn *on_event;
	void *event_arg;
	struct ratelimit *host_limit;
	struct job_list jobs; /* oldest first, finished ones included until their TTL */
	uint64_t next_id;
	int wake_fd; /* eventfd: stream workers write, the loop reads */
	struct event *wake_ev;
	struct migrate_connect *connects; /* peer_connect() calls in flight (see migrate.c) */
	struct ctl_event *ev;		  /* scratch for the event being emitted */
	bool stopping;			  /* migrate_free() runs */
};

/* Every line about a job starts with "job N: ". */
#define job_log(j, level, fmt, ...) \
	log_msg((level), 0, "job %llu: " fmt, (unsigned long long)(j)->id, ##__VA_ARGS__)

/* ---- audit.c ---- */

/* One audit line for the job: EVENT ("start", "cancel", ...) asked by WHO (the control
 * client's credentials, or NULL); the outcome's fields once the job is terminal. */
void audit_job(const struct job *j, const char *event, const char *who);
/* The audit line the job's new phase calls for, if any (switchover, commit, the end). */
void audit_phase(const struct job *j);

/* ---- migrate.c ---- */

/* The stream notify callback: wakes the loop (any thread). arg is the engine. */
void migrate_stream_notify(struct stream *s, void *arg);
/* Opens (or reuses) the control link of a source job; the result arrives in
 * source_connected(). Returns 0 or -ENOMEM. */
int migrate_connect(struct job *j);
/* Queues a peer message on the job's link, logging a failure. Returns 0 or -errno. */
int migrate_send(struct job *j, const struct peer_msg *msg);
/* Runs what a job does on a wake-up or a tick: device changes, streams, convergence,
 * rollback. */
void migrate_poll(struct job *j);
/* The job's current group of device changes is over: runs its continuation. */
void migrate_group_done(struct job *j);
/* Unfinished jobs. */
uint32_t migrate_count_active(const struct migrate *m);

/* ---- job.c ---- */

uint64_t job_now_ns(void);
uint64_t job_unix_ms(void);
/* A job with a fresh id in phase first, n devices (fd -1, index i), the tick running, and
 * a rate limiter; linked into m's list. Returns 0 and *ret, or -ENOMEM. */
int job_new(struct migrate *m, uint32_t role, uint32_t n, uint32_t first, struct job **ret);
/* Stops and frees streams, closes dialed fds, frees everything and unlinks. NULL-safe. */
void job_free(struct job *j);
struct job *job_find(struct migrate *m, uint64_t id);
bool job_finished(const struct job *j);
/* The one phase setter: logs "old -> new", emits PHASE (and FINISHED for a terminal phase,
 * which also completes the waits, stops the tick and arms the TTL). */
void job_set_phase(struct job *j, uint32_t phase);
void job_status(const struct job *j, struct ctl_job_status *ret);
/* Emits a status-carrying event of kind (JOB_CREATED, PROGRESS, CONVERGED). */
void job_emit(struct job *j, uint32_t kind);
/* PROGRESS at most every MIGRATE_PROGRESS_MS, unless force. */
void job_progress(struct job *j, bool force);
/* Emits DEVICE_STATE for jd in state s. */
void job_emit_device(struct job *j, const struct job_dev *jd, enum fsm_state s);
/* The local device id of jd: source_id on the source, target_id on the destination. */
const char *job_dev_id(const struct job *j, const struct job_dev *jd);
/* Refreshes jd->st from its stream (if any). */
void job_dev_snapshot(struct job_dev *jd);
/* Cancels and frees jd's stream (joining its worker) after a last snapshot. */
void job_dev_drop_stream(struct job_dev *jd);
/* Waits: add one, complete all. */
int job_wait_add(struct job *j, uint32_t timeout_ms, migrate_wait_fn *done, void *arg);
void job_wait_complete_all(struct job *j, int err, const struct proto_error *e);
/* Releases the job's devices in the registry. */
void job_release(struct job *j);
/* The devices as "a->x", or "x" while only the target id is known (a destination before
 * PREPARE), joined by sep, into buf; returns buf. */
const char *job_devices_str(const struct job *j, const char *sep, char *buf, size_t len);
/* Total bytes its streams moved. */
uint64_t job_bytes(const struct job *j);

/* ---- change.c ---- */

/* Starts group g (enum change_group) on j: no device of it is posted yet. */
void change_group(struct job *j, uint32_t g);
/*
 * Posts a change of jd (which must not be changing): a worker thread runs it and wakes the
 * loop; migrate_poll() collects it. CHANGE_SET: device_set_state(target, recover); CHANGE_RESET:
 * device_reset() (target RUNNING); CHANGE_RETURN: refresh, reset if ERROR, then target. If no
 * thread can be started the change runs here, on the loop, and is collected the same way.
 */
void change_post(struct job *j, struct job_dev *jd, enum change_op op, enum fsm_state target,
		 enum fsm_state recover);
/* After posting a group: if nothing is in flight (no device needed a change), runs the
 * group's continuation now. */
void change_group_posted(struct job *j);
/* Appends to err's message what each failed change of the last group left behind (the
 * device, the state it stays in and why), so the job's error names the real state. */
void change_append_failures(const struct job *j, struct proto_error *err);
/* Collects finished changes: joins their workers, logs, records resets, emits DEVICE_STATE. */
void change_collect(struct job *j);
/* Whether any device of j is still changing (collected or not). */
bool change_busy(const struct job *j);
/* Blocks until every change of j has finished, then collects them (daemon stop, free). */
void change_join_all(struct job *j);
/* Every tick: warns about changes running for long ("device X: A -> B running for N s"). */
void change_watch(struct job *j);
/* Whether jd was posted in the current group and its change failed (jd->chg.c.reason). */
bool change_failed(const struct job_dev *jd);

/* ---- rollback.c ---- */

/*
 * Any failure or cancel before COMMIT: records the error (the first one wins), tells the
 * peer (PEER_ABORT) when tell_peer and it knows the job, cancels dials and streams, enters
 * ABORTING and rolls the devices back once every stream has stopped, ending in final
 * (FAILED or CANCELLED). No-op for a finished or aborting job.
 */
void rollback_start(struct job *j, uint32_t final, uint32_t code, const char *device,
		    bool tell_peer, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* ABORTING: finishes the rollback once every stream is terminal and no device is changing:
 * posts the devices' rollback (GROUP_ROLLBACK), and when that is done, ends the job. */
void rollback_continue(struct job *j);
/* Daemon stopping: cancels, joins the workers (streams and changes) and rolls back now; past
 * COMMIT, finishes a start or completion under way. */
void rollback_now(struct job *j, const char *why);
/* Shorthand: rollback_start(j, FAILED, code, device, true, ...). */
#define job_fail(j, code, device, ...) \
	rollback_start((j), CTL_PHASE_FAILED, (code), (device), true, __VA_ARGS__)
/* The reply code for a stream's error. */
uint32_t rollback_stream_code(int err);

/* ---- source.c ---- */

/* Source group continuations (GROUP_SRC_PRECOPY, GROUP_SRC_DONE). */
void source_group_done(struct job *j, uint32_t group);
int source_start(struct migrate *m, const struct ctl_migrate *req, const char *who,
		 uint64_t *ret_id, struct proto_error *err);
/* The control link is READY (link) or failed (err, why). */
void source_connected(struct job *j, struct peer_link *link, int err, const char *why);
void source_on_message(struct job *j, const struct peer_msg *msg);
void source_poll(struct job *j);
/* Every tick: the job's deadlines (timeout, PREPARE_REPLY). */
void source_tick(struct job *j);
void source_link_closed(struct job *j, int err, const char *why);
/* Starts jd's SEND stream on its dialed connection; on failure the job fails. */
int source_stream_start(struct job *j, struct job_dev *jd);

/* ---- switchover.c ---- */

/* Switchover group continuations (GROUP_SRC_P2P, GROUP_SRC_STOP). */
void switchover_group_done(struct job *j, uint32_t group);
/* PRECOPY / SWITCHOVER_PENDING: converged? Then switch over (auto) or wait (manual). */
void switchover_check(struct job *j);
/* Stops the devices: P2P first, then STOP_COPY; STOP_COPY phase; every stream runs. */
void switchover_start(struct job *j);
/* job_switchover: now in PRECOPY or SWITCHOVER_PENDING, or as soon as the streams are up. */
int switchover_request(struct job *j, const char *who, struct proto_error *err);

/* ---- dest.c ---- */

/* Destination group continuations (GROUP_DST_*). */
void dest_group_done(struct job *j, uint32_t group);
int dest_prepare_incoming(struct migrate *m, const struct ctl_prepare_incoming *req,
			  const char *who, struct ctl_prepare_result *ret, struct proto_error *err);
void dest_on_prepare(struct migrate *m, struct peer_link *link, const struct peer_prepare *p);
void dest_on_message(struct job *j, const struct peer_msg *msg);
void dest_on_stream(struct migrate *m, struct peer_stream_handoff *s);
void dest_poll(struct job *j);
/* Every tick: the token's expiry. */
void dest_tick(struct job *j);
void dest_link_closed(struct job *j, int err, const char *why);
int dest_resume_request(struct job *j, const char *who, struct proto_error *err);

#endif
