/*
 * migrate.c - the migration engine: its life, the wake-up that brings stream progress to the
 * loop, the peer set's callbacks routed to the job they concern, and control links opened
 * for source jobs.
 *
 * Wake-ups: a stream worker calls migrate_stream_notify() on every state change and on
 * progress; that writes to an eventfd the loop watches (a write(2) is all a worker does, so
 * no libevent locking is needed and the loop is woken once for any number of notices). The
 * loop then looks at every unfinished job, which collects its finished device changes
 * (change.c, whose workers wake the loop the same way), reads its streams' stats (cheap: a
 * mutex and a copy) and acts. A per-job tick (MIGRATE_TICK_MS) does the same for what no stream
 * reports: deadlines, convergence of idle pre-copy streams, PROGRESS events.
 *
 * Routing (peer.proto): one control link carries any number of jobs; on it the side that
 * dialed is always the source. Messages on an outgoing link concern our source jobs and name
 * them by our own job id; messages on an incoming link concern our destination jobs and name
 * them by the source's job id, which is unique per link. A message for no job is logged and
 * dropped (a late frame of a job that already ended).
 *
 * Threading: the loop thread, except migrate_stream_notify() (any thread: stream workers and
 * change workers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "migrate_int.h"

/* A peer_connect() in flight for a source job; outlives the engine if it has to. */
struct migrate_connect {
	struct migrate_connect *next;
	struct migrate *m; /* NULL once the engine is gone: the result is dropped */
	uint64_t job_id;
};

void migrate_stream_notify(struct stream *s, void *arg)
{
	struct migrate *m = arg;
	uint64_t one = 1;

	/* EAGAIN means the counter is already huge: the loop will wake anyway */
	if (write(m->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn(-errno, "migrate: cannot wake the loop");
}

void migrate_group_done(struct job *j)
{
	uint32_t g = j->group;

	j->group = GROUP_NONE;
	if (job_finished(j) || j->phase == CTL_PHASE_ABORTING)
		return;
	switch (g) {
	case GROUP_SRC_P2P:
	case GROUP_SRC_STOP:
		switchover_group_done(j, g);
		break;
	case GROUP_SRC_PRECOPY:
	case GROUP_SRC_DONE:
		source_group_done(j, g);
		break;
	case GROUP_NONE:
	case GROUP_ROLLBACK:
		break;
	default:
		dest_group_done(j, g);
	}
}

void migrate_poll(struct job *j)
{
	change_collect(j);
	if (job_finished(j))
		return;
	if (j->phase == CTL_PHASE_ABORTING) {
		rollback_continue(j);
		return;
	}
	/* a group in flight: nothing else moves until every device of it is done */
	if (j->group != GROUP_NONE) {
		if (!change_busy(j))
			migrate_group_done(j);
		return;
	}
	if (j->role == CTL_ROLE_SOURCE)
		source_poll(j);
	else
		dest_poll(j);
}

static void migrate_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct migrate *m = arg;
	struct job *j;
	uint64_t n;

	if (read(m->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn(-errno, "migrate: reading the wake-up eventfd failed");
	TAILQ_FOREACH(j, &m->jobs, entry)
	migrate_poll(j);
}

uint32_t migrate_count_active(const struct migrate *m)
{
	const struct job *j;
	uint32_t n = 0;

	TAILQ_FOREACH(j, &m->jobs, entry)
	n += !job_finished(j);
	return n;
}

uint32_t migrate_active_jobs(const struct migrate *m)
{
	return migrate_count_active(m);
}

void migrate_set_limits(struct migrate *m, const struct migrate_limits *l)
{
	m->limits = *l;
	if (m->limits.max_jobs == 0)
		m->limits.max_jobs = 1;
	ratelimit_set_rate(m->host_limit, l->bandwidth);
}

/* ---- control links for source jobs ---- */

static void migrate_connect_done(struct peer_link *link, int err, const char *why, void *arg)
{
	struct migrate_connect *c = arg;
	struct migrate *m = c->m;
	struct job *j;

	if (m) {
		for (struct migrate_connect **p = &m->connects; *p; p = &(*p)->next)
			if (*p == c) {
				*p = c->next;
				break;
			}
		j = job_find(m, c->job_id);
		if (j && !job_finished(j) && j->phase != CTL_PHASE_ABORTING)
			source_connected(j, link, err, why);
	}
	free(c);
}

int migrate_connect(struct job *j)
{
	struct migrate *m = j->m;
	struct migrate_connect *c;
	int r;

	if (!m->peers)
		return -ENOTCONN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	c->job_id = j->id;
	r = peer_connect(m->peers, j->peer, NULL, 0, migrate_connect_done, c);
	if (r < 0) {
		free(c);
		return r;
	}
	c->next = m->connects;
	m->connects = c;
	return 0;
}

int migrate_send(struct job *j, const struct peer_msg *msg)
{
	int r;

	if (!j->link) {
		job_log(j, LOG_LVL_WARNING, "cannot send %s: the link to %s is down",
			frame_type_name(msg->type), j->peer);
		return -ENOTCONN;
	}
	r = peer_link_send(j->link, msg);
	if (r < 0)
		job_log(j, LOG_LVL_WARNING, "cannot send %s to %s: %s%s%s",
			frame_type_name(msg->type), peer_link_address(j->link), strerror(-r),
			r == -EINVAL ? ": " : "", r == -EINVAL ? proto_last_error() : "");
	return r;
}

/* ---- peer callbacks ---- */

/* The job id a message names (every message but PREPARE, which dest.c takes whole). */
static uint64_t migrate_msg_job(const struct peer_msg *msg)
{
	switch (msg->type) {
	case FRAME_PEER_PREPARE_REPLY:
		return msg->u.prepare_reply.job_id;
	case FRAME_PEER_LOADED:
	case FRAME_PEER_LOAD_FAILED:
		return msg->u.load.job_id;
	case FRAME_PEER_ABORT:
		return msg->u.abort.job_id;
	default:
		return msg->u.notice.job_id;
	}
}

/* Our job a message on link is about, or NULL. */
static struct job *migrate_route(struct migrate *m, struct peer_link *link, uint64_t id)
{
	struct job *j;

	if (peer_link_outgoing(link)) {
		j = job_find(m, id);
		return j && j->role == CTL_ROLE_SOURCE && j->link == link ? j : NULL;
	}
	TAILQ_FOREACH(j, &m->jobs, entry)
	if (j->role == CTL_ROLE_DESTINATION && j->link == link && j->peer_job == id)
		return j;
	return NULL;
}

void migrate_on_peer_message(struct peer_link *link, const struct peer_msg *msg, void *arg)
{
	struct migrate *m = arg;
	uint64_t id;
	struct job *j;

	if (msg->type == FRAME_PEER_PREPARE) {
		if (peer_link_outgoing(link))
			log_warnx("migrate: peer %s (%s) sent PEER_PREPARE on a link this host "
				  "opened; only the side that dials is a source; ignored",
				  peer_link_address(link), peer_link_identity(link));
		else
			dest_on_prepare(m, link, &msg->u.prepare);
		return;
	}
	id = migrate_msg_job(msg);
	j = migrate_route(m, link, id);
	if (!j) {
		log_info("migrate: peer %s (%s): %s for job %llu, which is not a running %s job "
			 "on this link; ignored",
			 peer_link_address(link), peer_link_identity(link),
			 frame_type_name(msg->type), (unsigned long long)id,
			 peer_link_outgoing(link) ? "source" : "destination");
		return;
	}
	if (j->role == CTL_ROLE_SOURCE)
		source_on_message(j, msg);
	else
		dest_on_message(j, msg);
}

void migrate_on_peer_closed(struct peer_link *link, int err, const char *why, void *arg)
{
	struct migrate *m = arg;
	struct job *j;

	TAILQ_FOREACH(j, &m->jobs, entry)
	{
		if (j->link != link)
			continue;
		j->link = NULL;
		if (job_finished(j))
			continue;
		if (j->role == CTL_ROLE_SOURCE)
			source_link_closed(j, err, why);
		else
			dest_link_closed(j, err, why);
	}
}

void migrate_on_stream(struct peer_stream_handoff *s, void *arg)
{
	dest_on_stream(arg, s);
}

/* ---- life ---- */

int migrate_new(const struct migrate_options *o, struct migrate **ret)
{
	struct migrate *m;

	if (!o->base || !o->devices || o->limits.max_jobs == 0)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->base = o->base;
	m->devices = o->devices;
	m->peers = o->peers;
	m->limits = o->limits;
	m->on_event = o->on_event;
	m->event_arg = o->event_arg;
	m->next_id = 1;
	TAILQ_INIT(&m->jobs);
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->wake_fd < 0) {
		int r = -errno;

		free(m);
		return r;
	}
	m->ev = calloc(1, sizeof(*m->ev));
	m->wake_ev = event_new(m->base, m->wake_fd, EV_READ | EV_PERSIST, migrate_on_wake, m);
	if (!m->ev || !m->wake_ev || event_add(m->wake_ev, NULL) < 0 ||
	    ratelimit_new(o->limits.bandwidth, 0, &m->host_limit) < 0) {
		migrate_free(m);
		return -ENOMEM;
	}
	if (m->peers) {
		peer_set_on_message(m->peers, migrate_on_peer_message, m);
		peer_set_on_closed(m->peers, migrate_on_peer_closed, m);
		peer_set_on_stream(m->peers, migrate_on_stream, m);
	}
	*ret = m;
	return 0;
}

void migrate_free(struct migrate *m)
{
	struct job *j;

	if (!m)
		return;
	m->stopping = true;
	TAILQ_FOREACH(j, &m->jobs, entry)
	rollback_now(j, "vfio-migd is stopping");
	while ((j = TAILQ_FIRST(&m->jobs)))
		job_free(j);
	for (struct migrate_connect *c = m->connects; c; c = c->next)
		c->m = NULL;
	if (m->peers) {
		peer_set_on_message(m->peers, NULL, NULL);
		peer_set_on_closed(m->peers, NULL, NULL);
		peer_set_on_stream(m->peers, NULL, NULL);
	}
	if (m->wake_ev)
		event_free(m->wake_ev);
	close(m->wake_fd);
	ratelimit_free(m->host_limit);
	free(m->ev);
	free(m);
}
