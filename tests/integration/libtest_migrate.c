/*
 * libtest_migrate.c - migrations between two real daemons driven only through libvfiomig:
 * a pre-copy sim device with a dirty rate and metadata (digest at stop time equals the
 * destination's, metadata round trip, events in order, peers), a manual switchover and
 * resume, and a daemon SIGKILLed during a long job_wait (the call returns at once, no
 * SIGPIPE, and a new connection works once the daemon is back).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libtest.h"

#define MD_LEN (300 * 1024)

static uint8_t *md_pattern(void)
{
	uint8_t *m = malloc(MD_LEN);

	CHECK(NULL, m, "out of memory");
	for (size_t i = 0; i < MD_LEN; i++)
		m[i] = (uint8_t)(i * 7 + (i >> 9));
	return m;
}

/* prepare_incoming on dst for dns:hosta.test; the token goes into p. */
static uint64_t mig_prepare(struct vfiomig_client *b, const char *dev,
			    struct vfiomig_migrate_params *p)
{
	struct vfiomig_prepare *pr = NULL;
	const char *ids[] = { dev };
	uint64_t job;

	OK(b, vfiomig_prepare_incoming(b, "dns:hosta.test", ids, 1, 60, 0, &pr));
	OK(b, vfiomig_migrate_params_set_token(p, vfiomig_prepare_get_token(pr)));
	job = vfiomig_prepare_get_job_id(pr);
	vfiomig_prepare_free(pr);
	return job;
}

/* The destination's metadata for dev, once the source's PREPARE arrived. */
static void mig_metadata(struct vfiomig_client *b, uint64_t djob, const char *dev,
			 const uint8_t *want)
{
	int64_t end = lt_now_ms() + 10000;
	void *md = NULL;
	size_t len = 0;
	int r;

	while ((r = vfiomig_job_metadata(b, djob, dev, 0, &md, &len)) == -EBUSY &&
	       lt_now_ms() < end)
		usleep(20000);
	OK(b, r);
	CHECK(b, len == MD_LEN && memcmp(md, want, MD_LEN) == 0, "metadata: %zu bytes differ", len);
	free(md);
}

static void mig_peer(struct vfiomig_client *a, const char *addr)
{
	struct vfiomig_peer *p = NULL;
	struct vfiomig_peer_list *l = NULL;

	OK(a, vfiomig_peer_connect(a, addr, NULL, 0, &p));
	CHECK(a, vfiomig_peer_get_state(p) == VFIOMIG_PEER_READY, "peer state %s",
	      vfiomig_peer_state_name(vfiomig_peer_get_state(p)));
	CHECK(a, strcmp(vfiomig_peer_get_host_identity(p), "hostb") == 0, "peer host %s",
	      vfiomig_peer_get_host_identity(p));
	CHECK(a, vfiomig_peer_get_outgoing(p) && strlen(vfiomig_peer_get_fingerprint(p)) == 64,
	      "outgoing, fingerprint");
	CHECK(a, vfiomig_peer_get_protocol_version(p) == 1, "version");
	vfiomig_peer_free(p);
	OK(a, vfiomig_peer_list(a, 0, &l));
	CHECK(a, vfiomig_peer_list_get_count(l) >= 1, "peer list");
	CHECK(a, strcmp(vfiomig_peer_get_address(vfiomig_peer_list_get(l, 0)), addr) == 0, "addr");
	vfiomig_peer_list_free(l);
	lt_log("migrate: peer_connect %s READY, peer_list", addr);
}

/* Reads source events until FINISHED; checks the phases came in order. */
static void mig_events(struct vfiomig_client *a, uint64_t job)
{
	static const uint32_t want[] = { VFIOMIG_PHASE_PREPARING,  VFIOMIG_PHASE_PRECOPY,
					 VFIOMIG_PHASE_STOP_COPY,  VFIOMIG_PHASE_LOADING,
					 VFIOMIG_PHASE_COMMITTING, VFIOMIG_PHASE_COMPLETED };
	size_t next = 0;
	int progress = 0;
	uint64_t seq = 0;

	for (;;) {
		struct vfiomig_event *ev = NULL;
		uint32_t kind;

		OK(a, vfiomig_event_next(a, 30000, &ev));
		kind = vfiomig_event_get_kind(ev);
		CHECK(a, vfiomig_event_get_seq(ev) == seq + 1, "seq %llu after %llu",
		      (unsigned long long)vfiomig_event_get_seq(ev), (unsigned long long)seq);
		seq = vfiomig_event_get_seq(ev);
		CHECK(a, vfiomig_event_get_job_id(ev) == job, "event of job %llu",
		      (unsigned long long)vfiomig_event_get_job_id(ev));
		if (kind == VFIOMIG_EVENT_PHASE) {
			CHECK(a, next < 6 && vfiomig_event_get_phase(ev) == want[next],
			      "phase event %s, expected %s",
			      vfiomig_job_phase_name(vfiomig_event_get_phase(ev)),
			      next < 6 ? vfiomig_job_phase_name(want[next]) : "none");
			next++;
		}
		if (kind == VFIOMIG_EVENT_PROGRESS) {
			CHECK(a, vfiomig_event_get_job(ev) != NULL, "progress without status");
			progress++;
		}
		vfiomig_event_free(ev);
		if (kind == VFIOMIG_EVENT_FINISHED)
			break;
	}
	CHECK(a, next == 6, "only %zu of 6 phase events", next);
	CHECK(a, progress >= 1, "no PROGRESS event");
	lt_log("migrate: %llu events, phases in order, %d progress events", (unsigned long long)seq,
	       progress);
}

static void mig_check_jobs(struct vfiomig_client *a, struct vfiomig_client *b, uint64_t job,
			   uint64_t djob)
{
	struct vfiomig_job *j = NULL, *dj = NULL;
	char da[65], db[65];

	OK(a, vfiomig_job_wait(a, job, 30000, 0, &j));
	CHECK(a, vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED, "source %s: %s",
	      vfiomig_job_phase_name(vfiomig_job_get_phase(j)), vfiomig_job_get_error_message(j));
	CHECK(a, vfiomig_job_get_role(j) == VFIOMIG_ROLE_SOURCE, "role");
	CHECK(a, vfiomig_job_get_bytes_sent(j) >= 4u << 20, "sent %llu",
	      (unsigned long long)vfiomig_job_get_bytes_sent(j));
	CHECK(a, vfiomig_job_get_bytes_acked(j) == vfiomig_job_get_bytes_sent(j), "acked");
	CHECK(a, vfiomig_job_get_bytes_remaining(j) == 0, "remaining");
	CHECK(a, vfiomig_job_get_precopy_iterations(j) >= 1, "iterations");
	CHECK(a, vfiomig_job_get_downtime_limit_ms(j) == 300, "downtime limit");
	CHECK(a, vfiomig_job_get_bandwidth_bps(j) == 0, "bandwidth lifted");
	CHECK(a, vfiomig_job_get_device_state(j, 0) == VFIOMIG_STATE_STOP, "source device STOP");
	CHECK(a, vfiomig_job_get_finished_at_ms(j) >= vfiomig_job_get_started_at_ms(j), "times");
	OK(b, vfiomig_job_wait(b, djob, 10000, 0, &dj));
	CHECK(b, vfiomig_job_get_phase(dj) == VFIOMIG_PHASE_COMPLETED, "destination %s",
	      vfiomig_job_phase_name(vfiomig_job_get_phase(dj)));
	CHECK(b, vfiomig_job_get_bytes_sent(dj) == vfiomig_job_get_bytes_sent(j), "received");
	lt_digest(a, "s0", da);
	lt_digest(b, "d0", db);
	CHECK(a, strcmp(da, db) == 0, "digests differ: source %s, destination %s", da, db);
	lt_log("migrate: COMPLETED, %llu bytes, downtime %llu ms, digest %.16s... on both sides",
	       (unsigned long long)vfiomig_job_get_bytes_sent(j),
	       (unsigned long long)vfiomig_job_get_downtime_ms(j), da);
	vfiomig_job_free(j);
	vfiomig_job_free(dj);
	EXPECT_RC(a, vfiomig_job_cancel(a, job, 0), -EINVAL);
	CHECK(a, vfiomig_last_error_code(a) == VFIOMIG_ERR_INVALID_ARGUMENT, "finished: code");
}

int lt_migrate(const char *src, const char *dst)
{
	struct vfiomig_client *a = lt_connect(src), *b = lt_connect(dst);
	struct vfiomig_migrate_params *p = NULL;
	struct vfiomig_job_list *jl = NULL;
	uint8_t *md = md_pattern();
	uint64_t job = 0, djob;
	char addr[256];

	lt_listen_addr(b, addr, sizeof(addr));
	mig_peer(a, addr);
	OK(a, vfiomig_subscribe(a, 0, 0));
	OK(a, vfiomig_migrate_params_new(&p));
	djob = mig_prepare(b, "d0", p);
	OK(a, vfiomig_migrate_params_set_peer(p, addr));
	OK(a, vfiomig_migrate_params_add_device(p, "s0", "d0", md, MD_LEN));
	OK(a, vfiomig_migrate_params_set_downtime_limit(p, 300));
	OK(a, vfiomig_migrate_params_set_bandwidth(p, 2u << 20));
	OK(a, vfiomig_migrate_params_set_precopy(p, true));
	OK(a, vfiomig_migrate_params_set_timeout(p, 120));
	OK(a, vfiomig_migrate(a, p, 0, &job));
	vfiomig_migrate_params_free(p);
	CHECK(a, job > 0, "job id");
	lt_log("migrate: job %llu (destination job %llu)", (unsigned long long)job,
	       (unsigned long long)djob);
	lt_wait_phase(a, job, VFIOMIG_PHASE_PRECOPY, 10000);
	mig_metadata(b, djob, "d0", md);
	mig_metadata(b, djob, "s0", md); /* the source id names the device too */
	/* under the 2 MiB/s cap for a while: progress shows, PROGRESS events are due (250 ms) */
	usleep(700000);
	{
		struct vfiomig_job *j = NULL;

		OK(a, vfiomig_job_status(a, job, 0, &j));
		CHECK(a, vfiomig_job_get_phase(j) == VFIOMIG_PHASE_PRECOPY, "phase %s",
		      vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
		CHECK(a, vfiomig_job_get_bandwidth_bps(j) == 2u << 20, "cap");
		CHECK(a,
		      vfiomig_job_get_bytes_sent(j) > 0 && vfiomig_job_get_bytes_sent(j) < 4u << 20,
		      "mid-way progress %llu", (unsigned long long)vfiomig_job_get_bytes_sent(j));
		CHECK(a, vfiomig_job_get_device_state(j, 0) == VFIOMIG_STATE_PRE_COPY, "PRE_COPY");
		vfiomig_job_free(j);
	}
	OK(a, vfiomig_job_set_bandwidth(a, job, 0, 0));
	lt_log("migrate: PRECOPY reached, metadata round trip (%d bytes), bandwidth lifted",
	       MD_LEN);
	mig_events(a, job);
	mig_check_jobs(a, b, job, djob);
	OK(a, vfiomig_job_list(a, 0, &jl));
	CHECK(a, vfiomig_job_list_get_count(jl) == 1, "job list");
	CHECK(a, vfiomig_job_get_id(vfiomig_job_list_get(jl, 0)) == job, "job list id");
	vfiomig_job_list_free(jl);
	free(md);
	vfiomig_close(a);
	vfiomig_close(b);
	lt_log("migrate: PASS");
	return 0;
}

/* Manual switchover and resume on s1 -> d1. */
int lt_manual(const char *src, const char *dst)
{
	struct vfiomig_client *a = lt_connect(src), *b = lt_connect(dst);
	struct vfiomig_migrate_params *p = NULL;
	struct vfiomig_job *j = NULL;
	uint64_t job = 0, djob;
	char addr[256], da[65], db[65];

	lt_listen_addr(b, addr, sizeof(addr));
	OK(a, vfiomig_migrate_params_new(&p));
	djob = mig_prepare(b, "d1", p);
	OK(a, vfiomig_migrate_params_set_peer(p, addr));
	OK(a, vfiomig_migrate_params_add_device(p, "s1", "d1", NULL, 0));
	OK(a, vfiomig_migrate_params_set_switchover(p, VFIOMIG_SWITCHOVER_MANUAL));
	OK(a, vfiomig_migrate_params_set_resume(p, VFIOMIG_RESUME_MANUAL));
	OK(a, vfiomig_migrate(a, p, 0, &job));
	vfiomig_migrate_params_free(p);
	lt_wait_phase(a, job, VFIOMIG_PHASE_SWITCHOVER_PENDING, 15000);
	EXPECT_RC(b, vfiomig_job_switchover(b, djob, 0), -EINVAL); /* the destination's job */
	OK(a, vfiomig_job_switchover(a, job, 0));
	lt_wait_phase(b, djob, VFIOMIG_PHASE_RESUME_PENDING, 15000);
	OK(b, vfiomig_job_resume(b, djob, 0));
	OK(b, vfiomig_job_wait(b, djob, 10000, 0, &j));
	CHECK(b, vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED, "destination %s",
	      vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
	CHECK(b, vfiomig_job_get_resume(j) == VFIOMIG_RESUME_MANUAL, "resume mode");
	vfiomig_job_free(j);
	OK(a, vfiomig_job_wait(a, job, 10000, 0, &j));
	CHECK(a, vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED, "source");
	CHECK(a, vfiomig_job_get_switchover(j) == VFIOMIG_SWITCHOVER_MANUAL, "switchover mode");
	vfiomig_job_free(j);
	lt_digest(a, "s1", da);
	lt_digest(b, "d1", db);
	CHECK(a, strcmp(da, db) == 0, "digests differ: %s %s", da, db);
	vfiomig_close(a);
	vfiomig_close(b);
	lt_log("manual: switchover and resume by hand, digests equal: PASS");
	return 0;
}

/* SIGKILLs pid after delay_ms from a child process. */
static void kill_later(int pid, int delay_ms)
{
	pid_t k = fork();

	CHECK(NULL, k >= 0, "fork");
	if (k == 0) {
		usleep((useconds_t)delay_ms * 1000);
		kill(pid, SIGKILL);
		_exit(0);
	}
}

static void kill_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	(void)c;
	(void)res;
	*(int *)ud = status;
}

/*
 * A destination job waits (prepared, no source); job_wait with a 60 s timeout is cut short
 * by the daemon's death; an async call pending meanwhile fails too; a second client writes
 * to the dead socket (EPIPE, no SIGPIPE); after the restart (the script does it once mark
 * exists) a new client works.
 */
int lt_kill(const char *sock, int pid, const char *mark)
{
	struct vfiomig_client *c = lt_connect(sock), *c2 = lt_connect(sock);
	struct vfiomig_prepare *pr = NULL;
	struct vfiomig_daemon_info *di = NULL;
	struct vfiomig_job *j = NULL;
	const char *ids[] = { "s0" };
	int64_t t0, waited;
	int async_status = 1, r;
	FILE *f;

	OK(c, vfiomig_prepare_incoming(c, "dns:hostb.test", ids, 1, 300, 0, &pr));
	CHECK(c,
	      vfiomig_job_wait_async(c, vfiomig_prepare_get_job_id(pr), 0, 0, kill_cb,
				     &async_status) > 0,
	      "async wait");
	OK(c, vfiomig_set_timeout(c, 0));
	kill_later(pid, 500);
	t0 = lt_now_ms();
	r = vfiomig_job_wait(c, vfiomig_prepare_get_job_id(pr), 60000, 0, &j);
	waited = lt_now_ms() - t0;
	vfiomig_prepare_free(pr);
	CHECK(c, r == -ECONNRESET || r == -EPIPE, "job_wait on a killed daemon: %d (%s)", r,
	      vfiomig_strerror(r));
	CHECK(c, waited < 3000, "job_wait took %lld ms to notice", (long long)waited);
	CHECK(c, async_status == -ECONNRESET || async_status == -EPIPE, "async: %d", async_status);
	CHECK(c, strstr(vfiomig_last_error_message(c), "lost"), "message '%s'",
	      vfiomig_last_error_message(c));
	EXPECT_RC(c, vfiomig_daemon_info(c, 0, &di), -ENOTCONN);
	lt_log("kill: job_wait returned '%s' after %lld ms", vfiomig_strerror(r),
	       (long long)waited);
	r = vfiomig_daemon_info(c2, 0, &di);
	CHECK(c2, r == -EPIPE || r == -ECONNRESET, "write to a dead daemon: %d", r);
	lt_log("kill: a request to the dead daemon: '%s', no SIGPIPE", vfiomig_strerror(r));
	vfiomig_close(c);
	vfiomig_close(c2);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	f = fopen(mark, "w");
	CHECK(NULL, f, "cannot create %s", mark);
	fclose(f);
	/* the script restarts the daemon now; connect as soon as it is back */
	for (int i = 0; i < 200; i++) {
		c = NULL;
		if (vfiomig_connect(sock, 0, &c) == 0 && vfiomig_daemon_info(c, 0, &di) == 0)
			break;
		vfiomig_close(c);
		c = NULL;
		usleep(50000);
	}
	CHECK(NULL, c && di, "the restarted daemon never answered");
	CHECK(c, vfiomig_daemon_info_get_active_jobs(di) == 0, "jobs after restart");
	vfiomig_daemon_info_free(di);
	vfiomig_close(c);
	lt_log("kill: reconnected to the restarted daemon: PASS");
	return 0;
}
