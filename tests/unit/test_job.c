/*
 * test_job.c - daemon/migrate's engine without a peer: what it does on its own, driven by
 * its operations and its event loop, with sim devices in a real registry.
 *
 * Destination jobs: prepare_incoming (claim, token, expiry, refusals, the job limit), token
 * expiry, cancel while WAITING, JOB_WAIT (timeout, completion, a finished job), the TTL of a
 * finished job, the engine stopping with jobs and waits pending. Source jobs that cannot
 * reach their peer (no peer set; a peer set without TLS): failure, devices back where they
 * were and released. Operations asked of the wrong role, and the events of each.
 *
 * The two-daemon protocol (PREPARE, streams, commit, rollback on the peer's word) runs in
 * the integration tests (tests/integration/it_migrate*.sh) with real daemons.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "device.h"
#include "migrate.h"
#include "registry.h"
#include "sim_helpers.h"

#define EVENTS_MAX 64

struct tj {
	struct event_base *base;
	struct registry *reg;
	struct peer_set *peers;
	struct migrate *m;
	struct migrate_limits limits;
	uint32_t kind[EVENTS_MAX], phase[EVENTS_MAX];
	uint64_t job[EVENTS_MAX];
	unsigned int n_events;
};

static void on_event(void *arg, const struct ctl_event *ev)
{
	struct tj *t = arg;

	ck_assert_uint_ne(ev->job_id, 0);
	if (ev->kind != CTL_EVENT_DEVICE_STATE)
		ck_assert(ev->has_status && ev->status.job_id == ev->job_id);
	if (t->n_events == EVENTS_MAX)
		return;
	t->kind[t->n_events] = ev->kind;
	t->phase[t->n_events] = ev->phase;
	t->job[t->n_events++] = ev->job_id;
}

static void add_dev(struct tj *t, const char *id, const char *spec)
{
	struct device *d = NULL;

	ck_assert_int_eq(device_new(id, mk(spec), &d), 0);
	ck_assert_int_eq(registry_add(t->reg, d), 0);
}

/* An engine with devices a, b (pre-copy) and c (stop-copy only); with_peers: a peer set
 * that has no TLS context, so every connect fails. */
static void tj_start(struct tj *t, unsigned int max_jobs, uint64_t ttl_ms, bool with_peers)
{
	struct migrate_options o = { 0 };

	memset(t, 0, sizeof(*t));
	t->base = event_base_new();
	ck_assert_ptr_nonnull(t->base);
	ck_assert_int_eq(registry_new(16, &t->reg), 0);
	add_dev(t, "a", "size=64K,seed=1");
	add_dev(t, "b", "size=64K,seed=2");
	add_dev(t, "c", "size=64K,flags=stop_copy");
	if (with_peers) {
		struct peer_options po;

		peer_options_init(&po);
		po.host_identity = "hosta.test";
		ck_assert_int_eq(peer_set_new(t->base, &po, &t->peers), 0);
	}
	t->limits = (struct migrate_limits){ .max_jobs = max_jobs, .finished_job_ttl_ms = ttl_ms };
	o.base = t->base;
	o.devices = t->reg;
	o.peers = t->peers;
	o.limits = t->limits;
	o.on_event = on_event;
	o.event_arg = t;
	ck_assert_int_eq(migrate_new(&o, &t->m), 0);
}

static void tj_stop(struct tj *t)
{
	migrate_free(t->m);
	peer_set_free(t->peers);
	registry_free(t->reg);
	event_base_free(t->base);
}

/* Runs the loop for ms milliseconds. */
static void run_ms(struct tj *t, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
}

static uint64_t prepare(struct tj *t, const char *devs, uint32_t expiry_s, char *token)
{
	struct ctl_prepare_incoming req = { .expiry_s = expiry_s };
	struct ctl_prepare_result res = { 0 };
	struct proto_error e = { 0 };
	char buf[128], *save = NULL;

	strcpy(req.source_identity, "dns:src.test");
	strcpy(buf, devs);
	for (char *id = strtok_r(buf, ",", &save); id; id = strtok_r(NULL, ",", &save))
		strcpy(req.devices[req.n_devices++], id);
	ck_assert_msg(migrate_prepare_incoming(t->m, &req, "pid=1 uid=0", &res, &e) == 0, "%s",
		      e.message);
	if (token)
		strcpy(token, res.token);
	return res.job_id;
}

static int migrate(struct tj *t, const char *src, const char *dst, uint64_t *ret_id,
		   struct proto_error *e)
{
	struct ctl_migrate req = { .n_devices = 1, .precopy = true };

	strcpy(req.peer, "127.0.0.1:1");
	strcpy(req.token, "0123456789abcdef0123456789abcdef");
	strcpy(req.devices[0].source_id, src);
	strcpy(req.devices[0].target_id, dst);
	return migrate_start(t->m, &req, "pid=2 uid=0", ret_id, e);
}

static struct ctl_job_status status(struct tj *t, uint64_t id)
{
	struct ctl_job_status st;
	struct proto_error e = { 0 };

	ck_assert_msg(migrate_job_status(t->m, id, &st, &e) == 0, "%s", e.message);
	return st;
}

static uint64_t owner(struct tj *t, const char *id)
{
	return registry_owner(t->reg, id);
}

static bool saw(const struct tj *t, uint64_t job, uint32_t kind, uint32_t phase)
{
	for (unsigned int i = 0; i < t->n_events; i++)
		if (t->job[i] == job && t->kind[i] == kind && t->phase[i] == phase)
			return true;
	return false;
}

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(test_prepare_claims)
{
	uint64_t before = unix_ms(), id;
	struct ctl_job_status st;
	char token[PROTO_TOKEN_MAX + 1];
	struct tj t;

	tj_start(&t, 4, 60000, false);
	id = prepare(&t, "b,a", 0, token);
	ck_assert_uint_ne(id, 0);
	ck_assert_uint_eq(strlen(token), 32);
	ck_assert_uint_eq(owner(&t, "a"), id);
	ck_assert_uint_eq(owner(&t, "b"), id);
	ck_assert_uint_eq(owner(&t, "c"), REGISTRY_FREE);
	st = status(&t, id);
	ck_assert_uint_eq(st.role, CTL_ROLE_DESTINATION);
	ck_assert_uint_eq(st.phase, CTL_PHASE_WAITING);
	ck_assert_str_eq(st.peer, "dns:src.test");
	ck_assert_uint_eq(st.n_devices, 2);
	ck_assert_str_eq(st.devices[0].target_id, "b");
	ck_assert_str_eq(st.devices[1].target_id, "a");
	ck_assert_uint_eq(st.devices[0].state, FSM_RUNNING);
	ck_assert_uint_ge(st.started_at_ms, before);
	ck_assert_uint_eq(st.finished_at_ms, 0);
	ck_assert(saw(&t, id, CTL_EVENT_JOB_CREATED, CTL_PHASE_WAITING));
	ck_assert_uint_eq(migrate_active_jobs(t.m), 1);
	/* a second job gets another id and another token */
	{
		char other[PROTO_TOKEN_MAX + 1];
		uint64_t id2 = prepare(&t, "c", 10, other);

		ck_assert_uint_ne(id2, id);
		ck_assert_str_ne(other, token);
	}
	tj_stop(&t);
}
END_TEST

/* The default expiry is 300 s, an explicit one is honoured. */
START_TEST(test_prepare_expiry)
{
	struct ctl_prepare_incoming req = { .n_devices = 1 };
	struct ctl_prepare_result res;
	struct proto_error e;
	uint64_t now = unix_ms();
	struct tj t;

	tj_start(&t, 4, 60000, false);
	strcpy(req.source_identity, "dns:src.test");
	strcpy(req.devices[0], "a");
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), 0);
	ck_assert_uint_ge(res.expires_at_ms, now + 300000);
	ck_assert_uint_le(res.expires_at_ms, now + 302000);
	strcpy(req.devices[0], "b");
	req.expiry_s = 7;
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), 0);
	ck_assert_uint_ge(res.expires_at_ms, now + 7000);
	ck_assert_uint_le(res.expires_at_ms, now + 9000);
	tj_stop(&t);
}
END_TEST

START_TEST(test_prepare_refusals)
{
	struct ctl_prepare_incoming req = { .n_devices = 1 };
	struct ctl_prepare_result res;
	struct proto_error e = { 0 };
	uint64_t id;
	char want[64];
	struct tj t;

	tj_start(&t, 2, 60000, false);
	strcpy(req.source_identity, "dns:src.test");
	strcpy(req.devices[0], "nosuch");
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), -ENOENT);
	ck_assert_uint_eq(e.code, PROTO_ERR_NOT_FOUND);
	ck_assert_str_eq(e.device, "nosuch");
	ck_assert_ptr_nonnull(strstr(e.message, "device 'nosuch' not found"));

	id = prepare(&t, "a", 0, NULL);
	strcpy(req.devices[0], "a");
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), -EBUSY);
	ck_assert_uint_eq(e.code, PROTO_ERR_BUSY);
	snprintf(want, sizeof(want), "belongs to job %llu", (unsigned long long)id);
	ck_assert_ptr_nonnull(strstr(e.message, want));

	strcpy(req.devices[0], "b");
	strcpy(req.source_identity, "dns:a b");
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), -EINVAL);
	ck_assert_uint_eq(e.code, PROTO_ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(owner(&t, "b"), REGISTRY_FREE);

	/* the job limit counts unfinished jobs of both roles */
	strcpy(req.source_identity, "dns:src.test");
	prepare(&t, "b", 0, NULL);
	strcpy(req.devices[0], "c");
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), -ENOSPC);
	ck_assert_uint_eq(e.code, PROTO_ERR_RESOURCE_EXHAUSTED);
	ck_assert_ptr_nonnull(strstr(e.message, "max_jobs"));
	ck_assert_uint_eq(owner(&t, "c"), REGISTRY_FREE);
	/* a finished job no longer counts */
	ck_assert_int_eq(migrate_job_cancel(t.m, id, "x", &e), 0);
	ck_assert_int_eq(migrate_prepare_incoming(t.m, &req, "x", &res, &e), 0);
	tj_stop(&t);
}
END_TEST

START_TEST(test_token_expiry)
{
	struct ctl_job_status st;
	uint64_t id;
	struct tj t;

	tj_start(&t, 4, 60000, false);
	id = prepare(&t, "a,b", 1, NULL);
	run_ms(&t, 600);
	ck_assert_uint_eq(status(&t, id).phase, CTL_PHASE_WAITING);
	run_ms(&t, 900);
	st = status(&t, id);
	ck_assert_uint_eq(st.phase, CTL_PHASE_FAILED);
	ck_assert_uint_eq(st.error.code, PROTO_ERR_TOKEN_EXPIRED);
	ck_assert_ptr_nonnull(strstr(st.error.message, "the token expired after 1 s"));
	ck_assert_uint_ne(st.finished_at_ms, 0);
	/* the devices were never touched: released, not reset */
	ck_assert(!st.devices[0].reset && !st.devices[1].reset);
	ck_assert_uint_eq(owner(&t, "a"), REGISTRY_FREE);
	ck_assert_uint_eq(owner(&t, "b"), REGISTRY_FREE);
	ck_assert_uint_eq(device_state(registry_find(t.reg, "a")), FSM_RUNNING);
	ck_assert(saw(&t, id, CTL_EVENT_PHASE, CTL_PHASE_ABORTING));
	ck_assert(saw(&t, id, CTL_EVENT_FINISHED, CTL_PHASE_FAILED));
	ck_assert_uint_eq(migrate_active_jobs(t.m), 0);
	tj_stop(&t);
}
END_TEST

START_TEST(test_cancel_waiting)
{
	struct proto_error e = { 0 };
	struct ctl_job_status st;
	uint64_t id;
	struct tj t;

	tj_start(&t, 4, 60000, false);
	id = prepare(&t, "a", 0, NULL);
	ck_assert_int_eq(migrate_job_cancel(t.m, id, "pid=9 uid=0", &e), 0);
	st = status(&t, id);
	ck_assert_uint_eq(st.phase, CTL_PHASE_CANCELLED);
	ck_assert_uint_eq(st.error.code, PROTO_ERR_CANCELLED);
	ck_assert_ptr_nonnull(
		strstr(st.error.message, "cancelled by pid=9 uid=0 in phase WAITING"));
	ck_assert_uint_eq(owner(&t, "a"), REGISTRY_FREE);
	ck_assert(saw(&t, id, CTL_EVENT_FINISHED, CTL_PHASE_CANCELLED));
	ck_assert_int_eq(migrate_job_cancel(t.m, id, "x", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.message, "finished already"));
	ck_assert_int_eq(migrate_job_cancel(t.m, 999, "x", &e), -ENOENT);
	ck_assert_uint_eq(e.code, PROTO_ERR_NOT_FOUND);
	tj_stop(&t);
}
END_TEST

/* What a wait callback got. */
struct waited {
	int calls, err;
	uint32_t code, phase;
};

static void on_wait(void *arg, int err, const struct proto_error *e,
		    const struct ctl_job_status *st)
{
	struct waited *w = arg;

	w->calls++;
	w->err = err;
	w->code = e ? e->code : PROTO_ERR_OK;
	w->phase = st ? st->phase : CTL_PHASE_NONE;
}

START_TEST(test_wait)
{
	struct waited w1 = { 0 }, w2 = { 0 }, w3 = { 0 };
	struct proto_error e = { 0 };
	uint64_t id;
	struct tj t;

	tj_start(&t, 4, 60000, false);
	id = prepare(&t, "a", 0, NULL);
	ck_assert_int_eq(migrate_job_wait(t.m, id, 100, on_wait, &w1, &e), 0);
	ck_assert_int_eq(migrate_job_wait(t.m, id, 0, on_wait, &w2, &e), 0);
	run_ms(&t, 250);
	ck_assert_int_eq(w1.calls, 1);
	ck_assert_int_eq(w1.err, -ETIMEDOUT);
	ck_assert_uint_eq(w1.code, PROTO_ERR_TIMEOUT);
	ck_assert_uint_eq(w1.phase, CTL_PHASE_WAITING);
	ck_assert_int_eq(w2.calls, 0);
	ck_assert_int_eq(migrate_job_cancel(t.m, id, "x", &e), 0);
	ck_assert_int_eq(w2.calls, 1);
	ck_assert_int_eq(w2.err, 0);
	ck_assert_uint_eq(w2.phase, CTL_PHASE_CANCELLED);
	/* a finished job answers at once, from inside the call */
	ck_assert_int_eq(migrate_job_wait(t.m, id, 0, on_wait, &w3, &e), 0);
	ck_assert_int_eq(w3.calls, 1);
	ck_assert_uint_eq(w3.phase, CTL_PHASE_CANCELLED);
	ck_assert_int_eq(migrate_job_wait(t.m, 999, 0, on_wait, &w3, &e), -ENOENT);
	ck_assert_int_eq(w3.calls, 1);
	tj_stop(&t);
}
END_TEST

START_TEST(test_finished_ttl)
{
	struct proto_error e = { 0 };
	struct ctl_job_status st;
	struct ctl_job_status list[4];
	uint64_t id, keep;
	struct tj t;

	tj_start(&t, 4, 100, false);
	id = prepare(&t, "a", 0, NULL);
	keep = prepare(&t, "b", 0, NULL);
	ck_assert_uint_eq(migrate_job_list(t.m, list, 4), 2);
	ck_assert_uint_eq(list[0].job_id, id);
	ck_assert_uint_eq(list[1].job_id, keep);
	ck_assert_int_eq(migrate_job_cancel(t.m, id, "x", &e), 0);
	run_ms(&t, 20);
	ck_assert_int_eq(migrate_job_status(t.m, id, &st, &e), 0);
	run_ms(&t, 300);
	ck_assert_int_eq(migrate_job_status(t.m, id, &st, &e), -ENOENT);
	ck_assert_ptr_nonnull(strstr(e.message, "finished more than 100 ms ago"));
	ck_assert_uint_eq(migrate_job_list(t.m, list, 4), 1);
	ck_assert_uint_eq(list[0].job_id, keep);
	tj_stop(&t);
}
END_TEST

/* Stopping the engine: unfinished jobs are rolled back, waits answered, devices released. */
START_TEST(test_free_with_jobs)
{
	struct waited w = { 0 };
	struct proto_error e = { 0 };
	uint64_t id;
	struct tj t;

	tj_start(&t, 4, 60000, false);
	id = prepare(&t, "a,b", 0, NULL);
	ck_assert_int_eq(migrate_job_wait(t.m, id, 0, on_wait, &w, &e), 0);
	migrate_free(t.m);
	t.m = NULL;
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(w.err, 0);
	ck_assert_uint_eq(w.phase, CTL_PHASE_FAILED);
	ck_assert(saw(&t, id, CTL_EVENT_FINISHED, CTL_PHASE_FAILED));
	ck_assert_uint_eq(owner(&t, "a"), REGISTRY_FREE);
	ck_assert_uint_eq(owner(&t, "b"), REGISTRY_FREE);
	tj_stop(&t);
}
END_TEST

/* No peer set at all: the job fails at once, and the device is back where it was. */
START_TEST(test_migrate_without_peers)
{
	struct proto_error e = { 0 };
	struct ctl_job_status st;
	uint64_t id = 0;
	struct tj t;

	tj_start(&t, 4, 60000, false);
	ck_assert_int_eq(device_set_state(registry_find(t.reg, "b"), FSM_STOP, FSM_RUNNING, NULL),
			 0);
	ck_assert_int_eq(migrate(&t, "b", "x", &id, &e), 0);
	ck_assert_uint_ne(id, 0);
	st = status(&t, id);
	ck_assert_uint_eq(st.role, CTL_ROLE_SOURCE);
	ck_assert_uint_eq(st.phase, CTL_PHASE_FAILED);
	ck_assert_uint_eq(st.error.code, PROTO_ERR_PEER_UNREACHABLE);
	ck_assert_ptr_nonnull(strstr(st.error.message, "no peer links"));
	ck_assert_str_eq(st.devices[0].source_id, "b");
	ck_assert_str_eq(st.devices[0].target_id, "x");
	ck_assert_uint_eq(st.devices[0].state, FSM_STOP);
	ck_assert_uint_eq(owner(&t, "b"), REGISTRY_FREE);
	ck_assert_uint_eq(device_state(registry_find(t.reg, "b")), FSM_STOP);
	ck_assert(saw(&t, id, CTL_EVENT_JOB_CREATED, CTL_PHASE_CONNECTING));
	tj_stop(&t);
}
END_TEST

/* A peer set without TLS: connect fails from the loop, TLS_FAILED, device released. */
START_TEST(test_migrate_no_tls)
{
	struct proto_error e = { 0 };
	struct ctl_job_status st;
	uint64_t id = 0;
	struct tj t;

	tj_start(&t, 4, 60000, true);
	ck_assert_int_eq(migrate(&t, "a", "x", &id, &e), 0);
	st = status(&t, id);
	ck_assert_uint_eq(st.phase, CTL_PHASE_CONNECTING);
	ck_assert_str_eq(st.peer, "127.0.0.1:1");
	ck_assert_uint_eq(st.downtime_limit_ms, MIGRATE_DOWNTIME_MS_DEFAULT);
	ck_assert_uint_eq(owner(&t, "a"), id);
	run_ms(&t, 100);
	st = status(&t, id);
	ck_assert_uint_eq(st.phase, CTL_PHASE_FAILED);
	ck_assert_uint_eq(st.error.code, PROTO_ERR_TLS_FAILED);
	ck_assert_uint_eq(owner(&t, "a"), REGISTRY_FREE);
	ck_assert_uint_eq(device_state(registry_find(t.reg, "a")), FSM_RUNNING);
	tj_stop(&t);
}
END_TEST

START_TEST(test_migrate_refusals)
{
	struct proto_error e = { 0 };
	uint64_t id = 0, held;
	struct tj t;

	tj_start(&t, 4, 60000, false);
	ck_assert_int_eq(migrate(&t, "nosuch", "x", &id, &e), -ENOENT);
	ck_assert_uint_eq(e.code, PROTO_ERR_NOT_FOUND);
	ck_assert_str_eq(e.device, "nosuch");
	held = prepare(&t, "a", 0, NULL);
	ck_assert_int_eq(migrate(&t, "a", "x", &id, &e), -EBUSY);
	ck_assert_uint_eq(e.code, PROTO_ERR_BUSY);
	ck_assert_uint_eq(owner(&t, "a"), held);
	ck_assert_int_eq(
		device_set_state(registry_find(t.reg, "b"), FSM_STOP_COPY, FSM_RUNNING, NULL), 0);
	ck_assert_int_eq(migrate(&t, "b", "x", &id, &e), -EINVAL);
	ck_assert_ptr_nonnull(
		strstr(e.message, "is in STOP_COPY; a migration starts from RUNNING"));
	ck_assert_uint_eq(id, 0);
	ck_assert_uint_eq(migrate_active_jobs(t.m), 1);
	tj_stop(&t);
}
END_TEST

/* Operations asked of the wrong side, and the live bandwidth of a source job. */
START_TEST(test_ops_by_role)
{
	struct proto_error e = { 0 };
	const uint8_t *meta;
	size_t len;
	uint64_t src = 0, dst;
	struct tj t;

	tj_start(&t, 4, 60000, true);
	dst = prepare(&t, "a", 0, NULL);
	ck_assert_int_eq(migrate(&t, "b", "x", &src, &e), 0);
	ck_assert_int_eq(migrate_job_switchover(t.m, dst, "x", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.message, "switchover is asked of the source job"));
	ck_assert_int_eq(migrate_job_resume(t.m, src, "x", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.message, "resume is asked of the destination job"));
	ck_assert_int_eq(migrate_job_resume(t.m, dst, "x", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.message, "resume is for RESUME_PENDING"));
	ck_assert_int_eq(migrate_job_set_bandwidth(t.m, dst, 5, "x", &e), -EINVAL);
	ck_assert_int_eq(migrate_job_set_bandwidth(t.m, src, 1 << 20, "x", &e), 0);
	ck_assert_uint_eq(status(&t, src).bandwidth_bps, 1 << 20);
	ck_assert_int_eq(migrate_job_metadata(t.m, dst, 0, &meta, &len), -EAGAIN);
	ck_assert_int_eq(migrate_job_metadata(t.m, dst, 1, &meta, &len), -EINVAL);
	ck_assert_int_eq(migrate_job_metadata(t.m, src, 0, &meta, &len), -EINVAL);
	ck_assert_int_eq(migrate_job_metadata(t.m, 999, 0, &meta, &len), -ENOENT);
	ck_assert_int_eq(migrate_job_device_metadata(t.m, dst, "a", &meta, &len, &e), -EBUSY);
	ck_assert_uint_eq(e.code, PROTO_ERR_BUSY);
	ck_assert_ptr_nonnull(strstr(e.message, "PREPARE has not arrived yet"));
	ck_assert_int_eq(migrate_job_device_metadata(t.m, dst, "zz", &meta, &len, &e), -ENOENT);
	ck_assert_uint_eq(e.code, PROTO_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(e.message, "has no device 'zz'"));
	ck_assert_int_eq(migrate_job_device_metadata(t.m, src, "b", &meta, &len, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.message, "read from the destination job"));
	ck_assert_int_eq(migrate_job_device_metadata(t.m, 999, "a", &meta, &len, &e), -ENOENT);
	ck_assert_uint_eq(e.code, PROTO_ERR_NOT_FOUND);
	run_ms(&t, 100);
	ck_assert_uint_eq(status(&t, src).phase, CTL_PHASE_FAILED);
	ck_assert_int_eq(migrate_job_switchover(t.m, src, "x", &e), -EINVAL);
	ck_assert_int_eq(migrate_job_set_bandwidth(t.m, src, 0, "x", &e), -EINVAL);
	tj_stop(&t);
}
END_TEST

static Suite *job_suite(void)
{
	Suite *s = suite_create("job");
	TCase *dest = tcase_create("destination");
	TCase *src = tcase_create("source");

	tcase_add_test(dest, test_prepare_claims);
	tcase_add_test(dest, test_prepare_expiry);
	tcase_add_test(dest, test_prepare_refusals);
	tcase_add_test(dest, test_token_expiry);
	tcase_add_test(dest, test_cancel_waiting);
	tcase_add_test(dest, test_wait);
	tcase_add_test(dest, test_finished_ttl);
	tcase_add_test(dest, test_free_with_jobs);
	suite_add_tcase(s, dest);
	tcase_add_test(src, test_migrate_without_peers);
	tcase_add_test(src, test_migrate_no_tls);
	tcase_add_test(src, test_migrate_refusals);
	tcase_add_test(src, test_ops_by_role);
	suite_add_tcase(s, src);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(job_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
