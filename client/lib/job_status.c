/*
 * job_status.c - struct vfiomig_job (a job's status as the daemon reported it) and struct
 * vfiomig_job_list: accessors, per-device progress, sums over the devices, phase names.
 *
 * Threading: plain values; any thread may read one.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vfiomig_job *job_new(const struct ctl_job_status *v)
{
	struct vfiomig_job *j = malloc(sizeof(*j));

	if (j)
		j->v = *v;
	return j;
}

struct vfiomig_job_list *job_list_new(const struct ctl_job_list *v)
{
	struct vfiomig_job_list *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->items = calloc(v->n_jobs ? v->n_jobs : 1, sizeof(*l->items));
	if (!l->items) {
		free(l);
		return NULL;
	}
	for (uint32_t i = 0; i < v->n_jobs; i++)
		l->items[i].v = v->jobs[i];
	l->n = v->n_jobs;
	return l;
}

VFIOMIG_EXPORT const char *vfiomig_job_phase_name(uint32_t phase)
{
	return ctl_job_phase_name(phase);
}

VFIOMIG_EXPORT bool vfiomig_job_phase_is_terminal(uint32_t phase)
{
	return ctl_job_phase_terminal(phase);
}

VFIOMIG_EXPORT void vfiomig_job_free(struct vfiomig_job *j)
{
	free(j);
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_id(const struct vfiomig_job *j)
{
	return j->v.job_id;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_role(const struct vfiomig_job *j)
{
	return j->v.role;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_phase(const struct vfiomig_job *j)
{
	return j->v.phase;
}

VFIOMIG_EXPORT const char *vfiomig_job_get_peer(const struct vfiomig_job *j)
{
	return j->v.peer;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_precopy_iterations(const struct vfiomig_job *j)
{
	return j->v.precopy_iterations;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_throughput_bps(const struct vfiomig_job *j)
{
	return j->v.throughput_bps;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_elapsed_ms(const struct vfiomig_job *j)
{
	return j->v.elapsed_ms;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_downtime_ms(const struct vfiomig_job *j)
{
	return j->v.downtime_ms;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_started_at_ms(const struct vfiomig_job *j)
{
	return j->v.started_at_ms;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_finished_at_ms(const struct vfiomig_job *j)
{
	return j->v.finished_at_ms;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_bandwidth_bps(const struct vfiomig_job *j)
{
	return j->v.bandwidth_bps;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_downtime_limit_ms(const struct vfiomig_job *j)
{
	return j->v.downtime_limit_ms;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_switchover(const struct vfiomig_job *j)
{
	return j->v.switchover;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_resume(const struct vfiomig_job *j)
{
	return j->v.resume;
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_error_code(const struct vfiomig_job *j)
{
	return j->v.error.code;
}

VFIOMIG_EXPORT const char *vfiomig_job_get_error_message(const struct vfiomig_job *j)
{
	return j->v.error.message;
}

VFIOMIG_EXPORT const char *vfiomig_job_get_error_device(const struct vfiomig_job *j)
{
	return j->v.error.device;
}

/* Which counter job_sum() adds up. */
enum job_counter { JOB_SENT, JOB_ACKED, JOB_REMAINING };

static uint64_t job_sum(const struct vfiomig_job *j, enum job_counter which)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < j->v.n_devices && i < PROTO_JOB_DEVICES_MAX; i++) {
		const struct ctl_device_progress *d = &j->v.devices[i];

		sum += which == JOB_SENT    ? d->bytes_sent
		       : which == JOB_ACKED ? d->bytes_acked
					    : d->bytes_remaining;
	}
	return sum;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_bytes_sent(const struct vfiomig_job *j)
{
	return job_sum(j, JOB_SENT);
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_bytes_acked(const struct vfiomig_job *j)
{
	return job_sum(j, JOB_ACKED);
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_bytes_remaining(const struct vfiomig_job *j)
{
	return job_sum(j, JOB_REMAINING);
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_device_count(const struct vfiomig_job *j)
{
	return j->v.n_devices;
}

/* The index-th device's progress, NULL when out of range. */
static const struct ctl_device_progress *job_dev(const struct vfiomig_job *j, uint32_t index)
{
	return index < j->v.n_devices && index < PROTO_JOB_DEVICES_MAX ? &j->v.devices[index]
								       : NULL;
}

VFIOMIG_EXPORT const char *vfiomig_job_get_device_source_id(const struct vfiomig_job *j,
							    uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->source_id : "";
}

VFIOMIG_EXPORT const char *vfiomig_job_get_device_target_id(const struct vfiomig_job *j,
							    uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->target_id : "";
}

VFIOMIG_EXPORT uint32_t vfiomig_job_get_device_state(const struct vfiomig_job *j, uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->state : 0;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_device_bytes_sent(const struct vfiomig_job *j,
							  uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->bytes_sent : 0;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_device_bytes_acked(const struct vfiomig_job *j,
							   uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->bytes_acked : 0;
}

VFIOMIG_EXPORT uint64_t vfiomig_job_get_device_bytes_remaining(const struct vfiomig_job *j,
							       uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->bytes_remaining : 0;
}

VFIOMIG_EXPORT bool vfiomig_job_get_device_reset(const struct vfiomig_job *j, uint32_t index)
{
	return job_dev(j, index) ? job_dev(j, index)->reset : false;
}

VFIOMIG_EXPORT void vfiomig_job_list_free(struct vfiomig_job_list *l)
{
	if (!l)
		return;
	free(l->items);
	free(l);
}

VFIOMIG_EXPORT uint32_t vfiomig_job_list_get_count(const struct vfiomig_job_list *l)
{
	return l->n;
}

VFIOMIG_EXPORT const struct vfiomig_job *vfiomig_job_list_get(const struct vfiomig_job_list *l,
							      uint32_t index)
{
	return index < l->n ? &l->items[index] : NULL;
}
