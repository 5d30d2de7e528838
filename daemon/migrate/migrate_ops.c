/*
 * migrate_ops.c - what the orchestrator asks of the engine (migrate.h): prepare_incoming and
 * migrate (handed to dest.c and source.c), status and list, cancel, switchover, resume,
 * bandwidth, wait, and the metadata a destination job received. Each checks the job and
 * its phase and answers with a stable code and a sentence saying what to do.
 *
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "migrate_int.h"

int migrate_prepare_incoming(struct migrate *m, const struct ctl_prepare_incoming *req,
			     const char *who, struct ctl_prepare_result *ret,
			     struct proto_error *err)
{
	return dest_prepare_incoming(m, req, who, ret, err);
}

int migrate_start(struct migrate *m, const struct ctl_migrate *req, const char *who,
		  uint64_t *ret_id, struct proto_error *err)
{
	return source_start(m, req, who, ret_id, err);
}

/* The job, or NULL with NOT_FOUND in *err. */
static struct job *ops_job(struct migrate *m, uint64_t id, struct proto_error *err)
{
	struct job *j = job_find(m, id);

	if (!j)
		proto_error_set(err, PROTO_ERR_NOT_FOUND, NULL,
				"job %llu not found (never existed, or finished more than %" PRIu64
				" ms ago); job_list shows the jobs",
				(unsigned long long)id, m->limits.finished_job_ttl_ms);
	return j;
}

static int ops_refuse(struct proto_error *err, const struct job *j, const char *what)
{
	proto_error_set(err, PROTO_ERR_INVALID_ARGUMENT, NULL, "job %llu (%s, phase %s): %s",
			(unsigned long long)j->id,
			j->role == CTL_ROLE_SOURCE ? "source" : "destination",
			ctl_job_phase_name(j->phase), what);
	return -EINVAL;
}

int migrate_job_status(struct migrate *m, uint64_t id, struct ctl_job_status *ret,
		       struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);

	if (!j)
		return -ENOENT;
	job_status(j, ret);
	return 0;
}

uint32_t migrate_job_list(struct migrate *m, struct ctl_job_status *v, uint32_t max)
{
	struct job *j;
	uint32_t n = 0;

	TAILQ_FOREACH(j, &m->jobs, entry)
	{
		if (n == max)
			break;
		job_status(j, &v[n++]);
	}
	return n;
}

int migrate_job_cancel(struct migrate *m, uint64_t id, const char *who, struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);

	if (!j)
		return -ENOENT;
	if (job_finished(j))
		return ops_refuse(err, j, "it has finished already");
	if (j->phase == CTL_PHASE_ABORTING)
		return ops_refuse(err, j, "it is rolling back already");
	if (j->committed)
		return ops_refuse(
			err, j,
			j->phase == CTL_PHASE_RESUME_PENDING
				? "it is past COMMIT: this host owns the devices now and "
				  "nothing can be rolled back; start them with job_resume "
				  "(vfio-migctl job resume)"
				: "it is past COMMIT: the destination owns the devices now "
				  "and nothing can be rolled back; wait for the job to end "
				  "(vfio-migctl job wait)");
	audit_job(j, "cancel", who);
	job_log(j, LOG_LVL_NOTICE, "cancel requested by %s in phase %s", who,
		ctl_job_phase_name(j->phase));
	rollback_start(j, CTL_PHASE_CANCELLED, PROTO_ERR_CANCELLED, NULL, true,
		       "cancelled by %s in phase %s", who, ctl_job_phase_name(j->phase));
	return 0;
}

int migrate_job_switchover(struct migrate *m, uint64_t id, const char *who, struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);

	if (!j)
		return -ENOENT;
	if (j->role != CTL_ROLE_SOURCE)
		return ops_refuse(err, j, "switchover is asked of the source job");
	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING)
		return ops_refuse(err, j, "it is not running");
	return switchover_request(j, who, err);
}

int migrate_job_resume(struct migrate *m, uint64_t id, const char *who, struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);

	if (!j)
		return -ENOENT;
	if (j->role != CTL_ROLE_DESTINATION)
		return ops_refuse(err, j, "resume is asked of the destination job");
	return dest_resume_request(j, who, err);
}

int migrate_job_set_bandwidth(struct migrate *m, uint64_t id, uint64_t bps, const char *who,
			      struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);

	if (!j)
		return -ENOENT;
	if (j->role != CTL_ROLE_SOURCE)
		return ops_refuse(err, j, "the bandwidth is set on the source job, which sends");
	if (job_finished(j))
		return ops_refuse(err, j, "it has finished already");
	job_log(j, LOG_LVL_NOTICE, "bandwidth %" PRIu64 " -> %" PRIu64 " B/s%s, asked by %s",
		j->bandwidth, bps, bps ? "" : " (unlimited)", who);
	j->bandwidth = bps;
	ratelimit_set_rate(j->limit, bps);
	return 0;
}

int migrate_job_wait(struct migrate *m, uint64_t id, uint32_t timeout_ms, migrate_wait_fn *done,
		     void *arg, struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);
	struct ctl_job_status st;
	int r;

	if (!j)
		return -ENOENT;
	if (job_finished(j)) {
		job_status(j, &st);
		done(arg, 0, NULL, &st);
		return 0;
	}
	r = job_wait_add(j, timeout_ms, done, arg);
	if (r < 0)
		proto_error_set(err, PROTO_ERR_INTERNAL, NULL,
				"the daemon is out of memory; try again later");
	return r;
}

int migrate_job_metadata(struct migrate *m, uint64_t id, uint32_t i, const uint8_t **ret_data,
			 size_t *ret_len)
{
	struct job *j = job_find(m, id);

	if (!j)
		return -ENOENT;
	if (j->role != CTL_ROLE_DESTINATION || i >= j->n_dev)
		return -EINVAL;
	if (!j->token_used)
		return -EAGAIN;
	*ret_data = j->dev[i].metadata;
	*ret_len = j->dev[i].metadata_len;
	return 0;
}

int migrate_job_device_metadata(struct migrate *m, uint64_t id, const char *device,
				const uint8_t **ret_data, size_t *ret_len, struct proto_error *err)
{
	struct job *j = ops_job(m, id, err);

	if (!j)
		return -ENOENT;
	if (j->role != CTL_ROLE_DESTINATION)
		return ops_refuse(err, j,
				  "metadata is read from the destination job, which received it "
				  "in PREPARE");
	for (uint32_t i = 0; i < j->n_dev; i++) {
		const struct job_dev *jd = &j->dev[i];

		if (strcmp(jd->target_id, device) != 0 &&
		    (!j->token_used || strcmp(jd->source_id, device) != 0))
			continue;
		if (!j->token_used) {
			proto_error_set(err, PROTO_ERR_BUSY, device,
					"job %llu (destination, phase %s): the source's PREPARE "
					"has not arrived yet; ask again once it is past WAITING",
					(unsigned long long)j->id, ctl_job_phase_name(j->phase));
			return -EBUSY;
		}
		*ret_data = jd->metadata;
		*ret_len = jd->metadata_len;
		return 0;
	}
	proto_error_set(err, PROTO_ERR_NOT_FOUND, device,
			"job %llu has no device '%s' (neither a source nor a target id of it); "
			"job_status lists its devices",
			(unsigned long long)j->id, device);
	return -ENOENT;
}
