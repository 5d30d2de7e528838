/*
 * libtest_async.c - libvfiomig's async mode inside a libevent loop: both clients' fds in
 * one event_base (read always, write while the library wants it), a migration driven only
 * by callbacks (daemon_info -> prepare_incoming -> migrate -> events -> job_status ->
 * job_wait on the destination), with several unrelated async calls overlapping it, and the
 * subscription's phase events delivered to the event callback in order.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "libtest.h"

struct side {
	struct vfiomig_client *c;
	struct event *rd, *wr;
	struct actx *x;
};

struct actx {
	struct event_base *base;
	struct side a, b; /* source, destination */
	char addr[256];
	uint64_t job, djob;
	uint64_t phase_job[32]; /* every PHASE event: job and phase, filtered at the end */
	uint32_t phases[32];
	int n_phases;
	int overlapping; /* unrelated async calls completed */
	bool done;
};

/* Watches for writing only while the library has requests queued. */
static void side_arm(struct side *s)
{
	if (vfiomig_wants_write(s->c))
		event_add(s->wr, NULL);
	else
		event_del(s->wr);
}

static void side_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *s = arg;
	int r;

	(void)fd;
	r = vfiomig_process(s->c, (what & EV_READ ? POLLIN : 0) | (what & EV_WRITE ? POLLOUT : 0));
	CHECK(s->c, r >= 0, "vfiomig_process: %d (%s)", r, vfiomig_strerror(r));
	side_arm(s);
}

static void side_init(struct actx *x, struct side *s, const char *sock)
{
	s->c = lt_connect(sock);
	s->x = x;
	s->rd = event_new(x->base, vfiomig_get_fd(s->c), EV_READ | EV_PERSIST, side_cb, s);
	s->wr = event_new(x->base, vfiomig_get_fd(s->c), EV_WRITE, side_cb, s);
	CHECK(s->c, s->rd && s->wr, "event_new");
	event_add(s->rd, NULL);
}

static void overlap_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct actx *x = ud;

	CHECK(c, status >= 0, "async %u: %d", vfiomig_result_get_op(res), status);
	switch (vfiomig_result_get_op(res)) {
	case VFIOMIG_OP_DEVICE_LIST:
		CHECK(c, vfiomig_device_list_get_count(vfiomig_result_get_device_list(res)) >= 1,
		      "l");
		break;
	case VFIOMIG_OP_JOB_LIST:
		CHECK(c, vfiomig_result_get_job_list(res) != NULL, "job list");
		break;
	case VFIOMIG_OP_PEER_LIST:
		CHECK(c, vfiomig_result_get_peer_list(res) != NULL, "peer list");
		break;
	case VFIOMIG_OP_HELLO:
		CHECK(c, vfiomig_result_get_protocol_version(res) == 1, "hello");
		break;
	case VFIOMIG_OP_DEVICE_INFO:
		CHECK(c, strcmp(vfiomig_device_get_id(vfiomig_result_get_device(res)), "d2") == 0,
		      "device");
		break;
	default:
		CHECK(c, false, "unexpected op %u", vfiomig_result_get_op(res));
	}
	x->overlapping++;
}

static void dest_wait_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct actx *x = ud;
	const struct vfiomig_job *j = vfiomig_result_get_job(res);

	OK(c, status);
	CHECK(c, j && vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED, "destination job");
	x->done = true;
	event_base_loopexit(x->base, NULL);
}

static void status_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct actx *x = ud;
	const struct vfiomig_job *j = vfiomig_result_get_job(res);

	OK(c, status);
	CHECK(c, j && vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED, "source job");
	CHECK(x->b.c, vfiomig_job_wait_async(x->b.c, x->djob, 10000, 0, dest_wait_cb, x) > 0, "w");
	side_arm(&x->b);
}

static void event_cb(struct vfiomig_client *c, struct vfiomig_event *ev, void *ud)
{
	struct actx *x = ud;

	if (vfiomig_event_get_kind(ev) == VFIOMIG_EVENT_PHASE && x->n_phases < 32) {
		x->phase_job[x->n_phases] = vfiomig_event_get_job_id(ev);
		x->phases[x->n_phases++] = vfiomig_event_get_phase(ev);
	}
	if (vfiomig_event_get_job_id(ev) == x->job &&
	    vfiomig_event_get_kind(ev) == VFIOMIG_EVENT_FINISHED) {
		CHECK(c, vfiomig_event_get_phase(ev) == VFIOMIG_PHASE_COMPLETED, "finished %s: %s",
		      vfiomig_job_phase_name(vfiomig_event_get_phase(ev)),
		      vfiomig_event_get_error_message(ev));
		CHECK(c, vfiomig_job_status_async(c, x->job, 0, status_cb, x) > 0, "status");
	}
	vfiomig_event_free(ev);
}

static void migrate_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct actx *x = ud;

	OK(c, status);
	x->job = vfiomig_result_get_job_id(res);
	CHECK(c, x->job > 0, "job id");
	lt_log("async: job %llu started from a callback", (unsigned long long)x->job);
}

static void prepare_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct actx *x = ud;
	const struct vfiomig_prepare *pr = vfiomig_result_get_prepare(res);
	struct vfiomig_migrate_params *p = NULL;

	OK(c, status);
	x->djob = vfiomig_prepare_get_job_id(pr);
	OK(c, vfiomig_migrate_params_new(&p));
	OK(c, vfiomig_migrate_params_set_peer(p, x->addr));
	OK(c, vfiomig_migrate_params_set_token(p, vfiomig_prepare_get_token(pr)));
	OK(c, vfiomig_migrate_params_add_device(p, "s2", "d2", "vmm", 3));
	CHECK(x->a.c, vfiomig_migrate_async(x->a.c, p, 0, migrate_cb, x) > 0, "migrate");
	vfiomig_migrate_params_free(p); /* the request was encoded already */
	side_arm(&x->a);
}

static void info_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct actx *x = ud;
	const struct vfiomig_daemon_info *di = vfiomig_result_get_daemon_info(res);
	static const char *const ids[] = { "d2" };

	OK(c, status);
	snprintf(x->addr, sizeof(x->addr), "%s", vfiomig_daemon_info_get_listen(di, 0));
	CHECK(c,
	      vfiomig_prepare_incoming_async(c, "dns:hosta.test", ids, 1, 60, 0, prepare_cb, x) > 0,
	      "prepare");
}

static void subscribed_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res,
			  void *ud)
{
	struct actx *x = ud;

	(void)res;
	OK(c, status);
	/* the destination's address first, then prepare, then migrate */
	CHECK(x->b.c, vfiomig_daemon_info_async(x->b.c, 0, info_cb, x) > 0, "info");
	side_arm(&x->b);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	lt_fail(__FILE__, __LINE__, NULL, "the async migration did not finish within 60 s");
}

int lt_async(const char *src, const char *dst)
{
	static const uint32_t want[] = { VFIOMIG_PHASE_PREPARING,  VFIOMIG_PHASE_PRECOPY,
					 VFIOMIG_PHASE_STOP_COPY,  VFIOMIG_PHASE_LOADING,
					 VFIOMIG_PHASE_COMMITTING, VFIOMIG_PHASE_COMPLETED };
	struct actx x = { 0 };
	struct timeval tv = { .tv_sec = 60 };
	struct event *t;
	int n = 0;

	x.base = event_base_new();
	CHECK(NULL, x.base, "event_base_new");
	side_init(&x, &x.a, src);
	side_init(&x, &x.b, dst);
	OK(x.a.c, vfiomig_set_event_callback(x.a.c, event_cb, &x));
	CHECK(x.a.c, vfiomig_subscribe_async(x.a.c, 0, 0, subscribed_cb, &x) > 0, "subscribe");
	CHECK(x.a.c, vfiomig_device_list_async(x.a.c, 0, overlap_cb, &x) > 0, "device list");
	CHECK(x.a.c, vfiomig_job_list_async(x.a.c, 0, overlap_cb, &x) > 0, "job list");
	CHECK(x.a.c, vfiomig_peer_list_async(x.a.c, 0, overlap_cb, &x) > 0, "peer list");
	CHECK(x.b.c, vfiomig_hello_async(x.b.c, 0, overlap_cb, &x) > 0, "hello");
	CHECK(x.b.c, vfiomig_device_info_async(x.b.c, "d2", 0, overlap_cb, &x) > 0, "info");
	CHECK(x.a.c, vfiomig_pending(x.a.c) == 4, "pending %u", vfiomig_pending(x.a.c));
	side_arm(&x.a);
	side_arm(&x.b);
	t = evtimer_new(x.base, timeout_cb, NULL);
	evtimer_add(t, &tv);
	event_base_dispatch(x.base);
	CHECK(NULL, x.done, "the loop ended early");
	CHECK(NULL, x.overlapping == 5, "%d of 5 overlapping calls completed", x.overlapping);
	for (int i = 0; i < x.n_phases; i++) {
		if (x.phase_job[i] != x.job)
			continue;
		CHECK(NULL, n < 6 && x.phases[i] == want[n], "phase event %d: %s", n,
		      vfiomig_job_phase_name(x.phases[i]));
		n++;
	}
	CHECK(NULL, n == 6, "%d of 6 phase events", n);
	event_free(t);
	event_free(x.a.rd);
	event_free(x.a.wr);
	event_free(x.b.rd);
	event_free(x.b.wr);
	vfiomig_close(x.a.c);
	vfiomig_close(x.b.c);
	event_base_free(x.base);
	lt_log("async: migration driven by callbacks in a libevent loop, 6 phase events, 5 "
	       "overlapping calls: PASS");
	return 0;
}
