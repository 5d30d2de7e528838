/*
 * job.c - the job operations: job_status, job_list, job_cancel, job_switchover,
 * job_resume, job_set_bandwidth, job_wait and job_metadata, in blocking and async form.
 * Starting jobs is in migrate.c; the job status object is in job_status.c.
 *
 * Threading: as the client (one thread at a time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int job_ref_build(struct vfiomig_client *c, struct ctl_request *req, uint32_t op,
			 uint64_t job_id, uint32_t flags)
{
	int r = call_begin(c, req, op, flags);

	if (r < 0 || (r = check_job(c, job_id)) < 0)
		return r;
	req->u.job.job_id = job_id;
	return 0;
}

/* Blocking form of an operation on one job without a result. */
static int job_simple(struct vfiomig_client *c, uint32_t op, uint64_t job_id, uint32_t flags)
{
	struct ctl_request req;
	int r = job_ref_build(c, &req, op, job_id, flags);

	return r < 0 ? r : call_simple(c, &req, CTL_RESULT_NONE, NULL);
}

static int job_simple_async(struct vfiomig_client *c, uint32_t op, uint64_t job_id, uint32_t flags,
			    vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = job_ref_build(c, &req, op, job_id, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* Runs a request whose result is a job status (ret may be NULL). */
static int job_run(struct vfiomig_client *c, struct ctl_request *req, uint32_t timeout_ms,
		   struct vfiomig_job **ret)
{
	struct vfiomig_result *res;
	struct vfiomig_job *j;
	int r = call_run(c, req, -1, timeout_ms, &res);

	if (r < 0)
		return r;
	j = result_take(res, CTL_RESULT_JOB);
	result_free(res);
	if (!j)
		return error_set(c, -EPROTO, "%s: the daemon's reply carries no job status",
				 ctl_request_op_name(req->op));
	if (ret)
		*ret = j;
	else
		vfiomig_job_free(j);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_job_status(struct vfiomig_client *c, uint64_t job_id, uint32_t flags,
				      struct vfiomig_job **ret)
{
	struct ctl_request req;
	int r = job_ref_build(c, &req, CTL_OP_JOB_STATUS, job_id, flags);

	if (r >= 0 && !ret)
		r = error_set(c, -EINVAL, "job_status: ret is NULL");
	return r < 0 ? r : job_run(c, &req, c->timeout_ms, ret);
}

VFIOMIG_EXPORT int vfiomig_job_status_async(struct vfiomig_client *c, uint64_t job_id,
					    uint32_t flags, vfiomig_callback cb, void *userdata)
{
	return job_simple_async(c, CTL_OP_JOB_STATUS, job_id, flags, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_job_list(struct vfiomig_client *c, uint32_t flags,
				    struct vfiomig_job_list **ret)
{
	struct ctl_request req;
	void *o = NULL;
	int r = call_begin(c, &req, CTL_OP_JOB_LIST, flags);

	if (r < 0)
		return r;
	if (!ret)
		return error_set(c, -EINVAL, "job_list: ret is NULL");
	r = call_simple(c, &req, CTL_RESULT_JOB_LIST, &o);
	if (r >= 0)
		*ret = o;
	return r;
}

VFIOMIG_EXPORT int vfiomig_job_list_async(struct vfiomig_client *c, uint32_t flags,
					  vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = call_begin(c, &req, CTL_OP_JOB_LIST, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_job_cancel(struct vfiomig_client *c, uint64_t job_id, uint32_t flags)
{
	return job_simple(c, CTL_OP_JOB_CANCEL, job_id, flags);
}

VFIOMIG_EXPORT int vfiomig_job_cancel_async(struct vfiomig_client *c, uint64_t job_id,
					    uint32_t flags, vfiomig_callback cb, void *userdata)
{
	return job_simple_async(c, CTL_OP_JOB_CANCEL, job_id, flags, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_job_switchover(struct vfiomig_client *c, uint64_t job_id, uint32_t flags)
{
	return job_simple(c, CTL_OP_JOB_SWITCHOVER, job_id, flags);
}

VFIOMIG_EXPORT int vfiomig_job_switchover_async(struct vfiomig_client *c, uint64_t job_id,
						uint32_t flags, vfiomig_callback cb, void *userdata)
{
	return job_simple_async(c, CTL_OP_JOB_SWITCHOVER, job_id, flags, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_job_resume(struct vfiomig_client *c, uint64_t job_id, uint32_t flags)
{
	return job_simple(c, CTL_OP_JOB_RESUME, job_id, flags);
}

VFIOMIG_EXPORT int vfiomig_job_resume_async(struct vfiomig_client *c, uint64_t job_id,
					    uint32_t flags, vfiomig_callback cb, void *userdata)
{
	return job_simple_async(c, CTL_OP_JOB_RESUME, job_id, flags, cb, userdata);
}

static int job_bandwidth_build(struct vfiomig_client *c, struct ctl_request *req, uint64_t job_id,
			       uint64_t bps, uint32_t flags)
{
	int r = call_begin(c, req, CTL_OP_JOB_SET_BANDWIDTH, flags);

	if (r < 0 || (r = check_job(c, job_id)) < 0)
		return r;
	req->u.bandwidth.job_id = job_id;
	req->u.bandwidth.bandwidth_bps = bps;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_job_set_bandwidth(struct vfiomig_client *c, uint64_t job_id,
					     uint64_t bandwidth_bps, uint32_t flags)
{
	struct ctl_request req;
	int r = job_bandwidth_build(c, &req, job_id, bandwidth_bps, flags);

	return r < 0 ? r : call_simple(c, &req, CTL_RESULT_NONE, NULL);
}

VFIOMIG_EXPORT int vfiomig_job_set_bandwidth_async(struct vfiomig_client *c, uint64_t job_id,
						   uint64_t bandwidth_bps, uint32_t flags,
						   vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = job_bandwidth_build(c, &req, job_id, bandwidth_bps, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

static int job_wait_build(struct vfiomig_client *c, struct ctl_request *req, uint64_t job_id,
			  uint32_t timeout_ms, uint32_t flags)
{
	int r = call_begin(c, req, CTL_OP_JOB_WAIT, flags);

	if (r < 0 || (r = check_job(c, job_id)) < 0)
		return r;
	req->u.wait.job_id = job_id;
	req->u.wait.timeout_ms = timeout_ms;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_job_wait(struct vfiomig_client *c, uint64_t job_id, uint32_t timeout_ms,
				    uint32_t flags, struct vfiomig_job **ret)
{
	struct ctl_request req;
	uint32_t t = 0;
	int r = job_wait_build(c, &req, job_id, timeout_ms, flags);

	if (r < 0)
		return r;
	/* the daemon answers TIMEOUT itself; we only guard against a daemon that never does */
	if (timeout_ms)
		t = timeout_ms > UINT32_MAX - 1000 ? UINT32_MAX : timeout_ms + 1000;
	return job_run(c, &req, t, ret);
}

VFIOMIG_EXPORT int vfiomig_job_wait_async(struct vfiomig_client *c, uint64_t job_id,
					  uint32_t timeout_ms, uint32_t flags, vfiomig_callback cb,
					  void *userdata)
{
	struct ctl_request req;
	int r = job_wait_build(c, &req, job_id, timeout_ms, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* ---- job_metadata ---- */

#ifdef VFIOMIG_HAVE_METADATA
static int job_metadata_build(struct vfiomig_client *c, struct ctl_request *req, uint64_t job_id,
			      const char *device_id, uint32_t flags)
{
	int r = call_begin(c, req, CTL_OP_JOB_METADATA, flags);

	if (r < 0 || (r = check_job(c, job_id)) < 0)
		return r;
	req->u.job_metadata.job_id = job_id;
	return check_id(c, req->u.job_metadata.device, device_id, "device id");
}
#else
static int job_metadata_build(struct vfiomig_client *c, struct ctl_request *req, uint64_t job_id,
			      const char *device_id, uint32_t flags)
{
	(void)req;
	(void)job_id;
	(void)device_id;
	(void)flags;
	return error_set(c, -EOPNOTSUPP,
			 "job_metadata: this build of libvfiomig predates the operation");
}
#endif

VFIOMIG_EXPORT int vfiomig_job_metadata(struct vfiomig_client *c, uint64_t job_id,
					const char *device_id, uint32_t flags, void **ret_data,
					size_t *ret_len)
{
	struct ctl_request req;
	struct vfiomig_result *res;
	int r = job_metadata_build(c, &req, job_id, device_id, flags);

	if (r >= 0 && (!ret_data || !ret_len))
		r = error_set(c, -EINVAL, "job_metadata: ret_data and ret_len are required");
	if (r < 0)
		return r;
	r = call_run(c, &req, -1, c->timeout_ms, &res);
	if (r < 0)
		return r;
	*ret_data = res->metadata; /* already a malloc'ed copy: hand it over */
	*ret_len = res->metadata_len;
	res->metadata = NULL;
	result_free(res);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_job_metadata_async(struct vfiomig_client *c, uint64_t job_id,
					      const char *device_id, uint32_t flags,
					      vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = job_metadata_build(c, &req, job_id, device_id, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}
