/*
 * drain.c - the engine's part of a graceful stop (migrate_drain()): every job before COMMIT
 * is cancelled, so it rolls back (source devices to the state they started in, destination
 * devices reset, the peer told), and every job at or past COMMIT is left to finish, since
 * from COMMIT on the destination owns the devices and nothing can be rolled back.
 *
 * Refusing new jobs is the daemon's part (it answers prepare_incoming and migrate itself
 * while stopping); waiting for the jobs to end is too (migrate_active_jobs(), FINISHED
 * events). Whatever is still unfinished when the daemon gives up is handled by
 * migrate_free().
 *
 * Threading: the loop thread only.
 */
#include "migrate_int.h"

uint32_t migrate_drain(struct migrate *m, const char *why)
{
	struct job *j, *next;

	/* a rollback may finish (and a job be freed by its TTL later) inside the loop body */
	for (j = TAILQ_FIRST(&m->jobs); j; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (job_finished(j) || j->phase == CTL_PHASE_ABORTING || j->committed)
			continue;
		job_log(j, LOG_LVL_NOTICE, "%s in phase %s: cancelling (before COMMIT)", why,
			ctl_job_phase_name(j->phase));
		rollback_start(j, CTL_PHASE_CANCELLED, PROTO_ERR_CANCELLED, NULL, true,
			       "%s in phase %s", why, ctl_job_phase_name(j->phase));
	}
	return migrate_count_active(m);
}

uint32_t migrate_committed_jobs(const struct migrate *m)
{
	const struct job *j;
	uint32_t n = 0;

	TAILQ_FOREACH(j, &m->jobs, entry)
	{
		if (!job_finished(j) && j->committed)
			n++;
	}
	return n;
}
