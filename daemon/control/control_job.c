/*
 * control_job.c - the migration job operations: prepare_incoming, migrate, job_status,
 * job_list, job_cancel, job_switchover, job_resume, job_set_bandwidth, job_wait (async:
 * answered when the job finishes or the wait times out) and job_metadata. The jobs live in the
 * daemon's migrate engine; this file passes requests through env.jobs and turns results into
 * replies. Without env.jobs every one of them answers UNSUPPORTED.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_int.h"

const char *control_job_who(const struct control_call *call, char *buf, size_t len)
{
	const struct control_client *c = control_call_client(call);

	if (c)
		snprintf(buf, len, "pid=%ld uid=%lu", (long)c->pid, (unsigned long)c->uid);
	else
		snprintf(buf, len, "pid=? uid=?");
	return buf;
}

/* env.jobs, or NULL after filling an UNSUPPORTED reply. */
static const struct control_jobs *job_env(struct control_call *call, struct ctl_reply *rep,
					  void **arg)
{
	struct control_server *srv = control_call_server(call);

	if (!srv->env.jobs) {
		control_call_error(rep, -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED, NULL,
				   "migration jobs are not available in this version of vfio-migd");
		return NULL;
	}
	*arg = srv->env.arg;
	return srv->env.jobs;
}

/* Turns a failed callback's structured error into the reply. */
static int job_error(struct ctl_reply *rep, int r, const struct proto_error *e)
{
	return control_call_error(rep, r, e->code ? e->code : proto_err_from_errno(r),
				  e->device[0] ? e->device : NULL, "%s",
				  e->message[0] ? e->message : strerror(r < 0 ? -r : EIO));
}

int control_job_prepare(struct control_call *call, const struct ctl_request *req,
			struct ctl_reply *rep)
{
	struct proto_error e = { 0 };
	char who[64];
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	r = jobs->prepare(arg, &req->u.prepare, control_job_who(call, who, sizeof(who)),
			  &rep->u.prepare, &e);
	return r < 0 ? job_error(rep, r, &e) : CONTROL_REPLY_NOW;
}

int control_job_migrate(struct control_call *call, const struct ctl_request *req,
			struct ctl_reply *rep)
{
	struct proto_error e = { 0 };
	char who[64];
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	r = jobs->migrate(arg, &req->u.migrate, control_job_who(call, who, sizeof(who)),
			  &rep->u.job_id, &e);
	return r < 0 ? job_error(rep, r, &e) : CONTROL_REPLY_NOW;
}

int control_job_status(struct control_call *call, const struct ctl_request *req,
		       struct ctl_reply *rep)
{
	struct proto_error e = { 0 };
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	r = jobs->status(arg, req->u.job.job_id, &rep->u.job, &e);
	return r < 0 ? job_error(rep, r, &e) : CONTROL_REPLY_NOW;
}

int control_job_list(struct control_call *call, const struct ctl_request *req,
		     struct ctl_reply *rep)
{
	struct ctl_job_list *l = &rep->u.job_list;
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);

	if (!jobs)
		return CONTROL_REPLY_NOW;
	l->jobs = calloc(PROTO_JOBS_MAX, sizeof(*l->jobs));
	if (!l->jobs)
		return control_call_error(rep, -ENOMEM, 0, NULL,
					  "the daemon is out of memory; try again later");
	l->n_jobs = jobs->list(arg, l->jobs, PROTO_JOBS_MAX);
	return CONTROL_REPLY_NOW;
}

/* cancel, switchover, resume: one job id, no result. */
static int job_simple(struct control_call *call, const struct ctl_request *req,
		      struct ctl_reply *rep, size_t which)
{
	struct proto_error e = { 0 };
	char who[64];
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int (*fn)(void *, uint64_t, const char *, struct proto_error *);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	fn = which == 0 ? jobs->cancel : which == 1 ? jobs->switchover : jobs->resume;
	r = fn(arg, req->u.job.job_id, control_job_who(call, who, sizeof(who)), &e);
	return r < 0 ? job_error(rep, r, &e) : CONTROL_REPLY_NOW;
}

int control_job_cancel(struct control_call *call, const struct ctl_request *req,
		       struct ctl_reply *rep)
{
	return job_simple(call, req, rep, 0);
}

int control_job_switchover(struct control_call *call, const struct ctl_request *req,
			   struct ctl_reply *rep)
{
	return job_simple(call, req, rep, 1);
}

int control_job_resume(struct control_call *call, const struct ctl_request *req,
		       struct ctl_reply *rep)
{
	return job_simple(call, req, rep, 2);
}

int control_job_bandwidth(struct control_call *call, const struct ctl_request *req,
			  struct ctl_reply *rep)
{
	struct proto_error e = { 0 };
	char who[64];
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	r = jobs->set_bandwidth(arg, req->u.bandwidth.job_id, req->u.bandwidth.bandwidth_bps,
				control_job_who(call, who, sizeof(who)), &e);
	return r < 0 ? job_error(rep, r, &e) : CONTROL_REPLY_NOW;
}

/* jobs->wait's completion; the call is kept valid until here (see control.h). */
static void job_wait_done(void *done_arg, int err, const struct proto_error *e,
			  const struct ctl_job_status *st)
{
	struct control_call *call = done_arg;
	struct ctl_reply *rep = calloc(1, sizeof(*rep));

	if (!rep) {
		struct ctl_reply small = { 0 };

		control_call_error(&small, -ENOMEM, 0, NULL, "the daemon is out of memory");
		control_call_finish(call, &small);
		return;
	}
	if (err == 0 && st) {
		rep->result = CTL_RESULT_JOB;
		rep->u.job = *st;
	} else if (e) {
		job_error(rep, err ? err : -EIO, e);
	} else {
		control_call_error(rep, err ? err : -EIO, 0, NULL, "waiting for the job failed: %s",
				   strerror(err ? -err : EIO));
	}
	control_call_finish(call, rep);
	free(rep);
}

int control_job_wait(struct control_call *call, const struct ctl_request *req,
		     struct ctl_reply *rep)
{
	struct proto_error e = { 0 };
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	r = jobs->wait(arg, req->u.wait.job_id, req->u.wait.timeout_ms, job_wait_done, call, &e);
	return r < 0 ? job_error(rep, r, &e) : CONTROL_REPLY_LATER;
}

int control_job_metadata(struct control_call *call, const struct ctl_request *req,
			 struct ctl_reply *rep)
{
	const struct ctl_job_metadata *q = &req->u.job_metadata;
	struct proto_error e = { 0 };
	const uint8_t *data = NULL;
	size_t len = 0;
	void *arg;
	const struct control_jobs *jobs = job_env(call, rep, &arg);
	int r;

	if (!jobs)
		return CONTROL_REPLY_NOW;
	if (!jobs->metadata)
		return control_call_error(rep, -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED, NULL,
					  "job_metadata is not available in this daemon");
	r = jobs->metadata(arg, q->job_id, q->device, &data, &len, &e);
	if (r < 0)
		return job_error(rep, r, &e);
	/* the reply is cleared after sending: it owns a copy, not the job's buffer */
	rep->u.metadata.data = len ? malloc(len) : NULL;
	if (len && !rep->u.metadata.data)
		return control_call_error(rep, -ENOMEM, 0, NULL,
					  "the daemon is out of memory; try again later");
	if (len)
		memcpy(rep->u.metadata.data, data, len);
	rep->u.metadata.len = len;
	return CONTROL_REPLY_NOW;
}
