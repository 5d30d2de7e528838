/*
 * test_control_job.c - the control server's job operations (control_job.c) and event
 * subscriptions (control_events.c) against a fake job interface: what each operation passes
 * to env.jobs (ids, bandwidth, the requester), how results and structured errors come back,
 * job_wait answered later or after its client left, and events fanned out to subscribers
 * with per-connection sequence numbers, the job filter, and the output cap closing a
 * subscriber that does not read.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "frame.h"
#include "test_control_util.h"

/* What the fake engine was asked and what it answers. */
static struct {
	int calls;
	uint64_t id, bps;
	char who[64];
	uint32_t timeout_ms;
	int result; /* returned by every callback; < 0 with err */
	struct proto_error err;
	control_job_done_fn *done;
	void *done_arg;
	char device[PROTO_ID_MAX + 1];
	uint8_t *meta; /* what job_metadata returns */
	size_t meta_len;
} F;

static int fake_fail(struct proto_error *err)
{
	*err = F.err;
	return F.result;
}

static int fake_prepare(void *arg, const struct ctl_prepare_incoming *req, const char *who,
			struct ctl_prepare_result *ret, struct proto_error *err)
{
	F.calls++;
	snprintf(F.who, sizeof(F.who), "%s", who);
	if (F.result < 0)
		return fake_fail(err);
	snprintf(ret->token, sizeof(ret->token), "tok-%s", req->devices[0]);
	ret->job_id = 41;
	ret->expires_at_ms = 1234;
	return 0;
}

static int fake_migrate(void *arg, const struct ctl_migrate *req, const char *who, uint64_t *ret_id,
			struct proto_error *err)
{
	F.calls++;
	snprintf(F.who, sizeof(F.who), "%s", who);
	if (F.result < 0)
		return fake_fail(err);
	*ret_id = 42;
	return 0;
}

static void fake_fill(uint64_t id, struct ctl_job_status *st)
{
	memset(st, 0, sizeof(*st));
	st->job_id = id;
	st->role = CTL_ROLE_SOURCE;
	st->phase = CTL_PHASE_PRECOPY;
	st->n_devices = 1;
	strcpy(st->devices[0].source_id, "gpu0");
	strcpy(st->devices[0].target_id, "gpu9");
	st->devices[0].bytes_sent = 777;
}

static int fake_status(void *arg, uint64_t id, struct ctl_job_status *ret, struct proto_error *err)
{
	F.calls++;
	F.id = id;
	if (F.result < 0)
		return fake_fail(err);
	fake_fill(id, ret);
	return 0;
}

static uint32_t fake_list(void *arg, struct ctl_job_status *v, uint32_t max)
{
	F.calls++;
	ck_assert_uint_eq(max, PROTO_JOBS_MAX);
	fake_fill(1, &v[0]);
	fake_fill(2, &v[1]);
	return 2;
}

static int fake_simple(void *arg, uint64_t id, const char *who, struct proto_error *err)
{
	F.calls++;
	F.id = id;
	snprintf(F.who, sizeof(F.who), "%s", who);
	return F.result < 0 ? fake_fail(err) : 0;
}

static int fake_bandwidth(void *arg, uint64_t id, uint64_t bps, const char *who,
			  struct proto_error *err)
{
	F.bps = bps;
	return fake_simple(arg, id, who, err);
}

static int fake_wait(void *arg, uint64_t id, uint32_t timeout_ms, control_job_done_fn *done,
		     void *done_arg, struct proto_error *err)
{
	F.calls++;
	F.id = id;
	F.timeout_ms = timeout_ms;
	if (F.result < 0)
		return fake_fail(err);
	F.done = done;
	F.done_arg = done_arg;
	return 0;
}

static int fake_metadata(void *arg, uint64_t id, const char *device, const uint8_t **ret_data,
			 size_t *ret_len, struct proto_error *err)
{
	F.calls++;
	F.id = id;
	snprintf(F.device, sizeof(F.device), "%s", device);
	if (F.result < 0)
		return fake_fail(err);
	*ret_data = F.meta;
	*ret_len = F.meta_len;
	return 0;
}

static const struct control_jobs fake_jobs = {
	.prepare = fake_prepare,
	.migrate = fake_migrate,
	.status = fake_status,
	.list = fake_list,
	.cancel = fake_simple,
	.switchover = fake_simple,
	.resume = fake_simple,
	.set_bandwidth = fake_bandwidth,
	.wait = fake_wait,
	.metadata = fake_metadata,
};

/* The server with the fake engine; max_output 0 keeps the default. */
static void jobs_on(size_t max_output)
{
	struct control_options o;
	char err[256];

	memset(&F, 0, sizeof(F));
	T.env.jobs = &fake_jobs;
	tenv_options(&o);
	if (max_output)
		o.max_output = max_output;
	ck_assert_msg(tenv_restart(&o, err, sizeof(err)) == 0, "%s", err);
}

static struct ctl_request job_req(uint32_t op, uint64_t id)
{
	struct ctl_request q = { .op = op };

	q.u.job.job_id = id;
	return q;
}

/* Calls env.jobs' pending wait completion, as the engine would. */
static void finish_wait(int err, const struct proto_error *e, bool with_status)
{
	struct ctl_job_status st;

	ck_assert_ptr_nonnull(F.done);
	fake_fill(F.id, &st);
	st.phase = CTL_PHASE_COMPLETED;
	F.done(F.done_arg, err, e, with_status ? &st : NULL);
	F.done = NULL;
}

START_TEST(test_status_and_errors)
{
	struct ctl_request q = job_req(CTL_OP_JOB_STATUS, 7);
	struct ctl_reply rep;
	struct tclient t;

	jobs_on(0);
	tc_open(&t);
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_OK);
	ck_assert_uint_eq(rep.result, CTL_RESULT_JOB);
	ck_assert_uint_eq(rep.u.job.job_id, 7);
	ck_assert_str_eq(rep.u.job.devices[0].target_id, "gpu9");
	ck_assert_uint_eq(rep.u.job.devices[0].bytes_sent, 777);
	ctl_reply_clear(&rep);
	/* the engine's structured error reaches the client as it is */
	F.result = -ENOENT;
	proto_error_set(&F.err, PROTO_ERR_NOT_FOUND, "gpu3", "job 8 went away");
	q = job_req(CTL_OP_JOB_STATUS, 8);
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_NOT_FOUND);
	ck_assert_str_eq(rep.error.message, "job 8 went away");
	ck_assert_str_eq(rep.error.device, "gpu3");
	ck_assert_uint_eq(rep.result, CTL_RESULT_NONE);
	ctl_reply_clear(&rep);
	tc_close(&t);
}
END_TEST

START_TEST(test_prepare_migrate_list)
{
	struct ctl_request q = { .op = CTL_OP_PREPARE_INCOMING };
	struct ctl_reply rep;
	char who[64];
	struct tclient t;

	jobs_on(0);
	tc_open(&t);
	strcpy(q.u.prepare.source_identity, "dns:src.test");
	q.u.prepare.n_devices = 1;
	strcpy(q.u.prepare.devices[0], "gpu0");
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.result, CTL_RESULT_PREPARE_INCOMING);
	ck_assert_str_eq(rep.u.prepare.token, "tok-gpu0");
	ck_assert_uint_eq(rep.u.prepare.job_id, 41);
	snprintf(who, sizeof(who), "pid=%ld uid=%lu", (long)getpid(), (unsigned long)getuid());
	ck_assert_str_eq(F.who, who);
	ctl_reply_clear(&rep);

	memset(&q, 0, sizeof(q));
	q.op = CTL_OP_MIGRATE;
	strcpy(q.u.migrate.peer, "10.0.0.2:7790");
	strcpy(q.u.migrate.token, "tok");
	q.u.migrate.n_devices = 1;
	strcpy(q.u.migrate.devices[0].source_id, "gpu0");
	strcpy(q.u.migrate.devices[0].target_id, "gpu0");
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.result, CTL_RESULT_MIGRATE);
	ck_assert_uint_eq(rep.u.job_id, 42);
	ctl_reply_clear(&rep);

	q = job_req(CTL_OP_JOB_LIST, 0);
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.result, CTL_RESULT_JOB_LIST);
	ck_assert_uint_eq(rep.u.job_list.n_jobs, 2);
	ck_assert_uint_eq(rep.u.job_list.jobs[1].job_id, 2);
	ctl_reply_clear(&rep);
	tc_close(&t);
}
END_TEST

/* cancel, switchover, resume and bandwidth pass the job (and the rate) on. */
START_TEST(test_simple_ops)
{
	static const uint32_t ops[] = { CTL_OP_JOB_CANCEL, CTL_OP_JOB_SWITCHOVER,
					CTL_OP_JOB_RESUME };
	struct ctl_request q;
	struct ctl_reply rep;
	struct tclient t;

	jobs_on(0);
	tc_open(&t);
	for (size_t i = 0; i < 3; i++) {
		q = job_req(ops[i], 10 + i);
		tc_call(&t, &q, &rep);
		ck_assert_uint_eq(rep.error.code, PROTO_ERR_OK);
		ck_assert_uint_eq(F.id, 10 + i);
		ctl_reply_clear(&rep);
	}
	memset(&q, 0, sizeof(q));
	q.op = CTL_OP_JOB_SET_BANDWIDTH;
	q.u.bandwidth.job_id = 20;
	q.u.bandwidth.bandwidth_bps = 5000000;
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_OK);
	ck_assert_uint_eq(F.id, 20);
	ck_assert_uint_eq(F.bps, 5000000);
	ctl_reply_clear(&rep);
	F.result = -EINVAL;
	proto_error_set(&F.err, PROTO_ERR_INVALID_ARGUMENT, NULL, "job 21 is past COMMIT");
	q = job_req(CTL_OP_JOB_CANCEL, 21);
	tc_expect_error(&t, &q, PROTO_ERR_INVALID_ARGUMENT, "past COMMIT");
	ck_assert_int_eq(F.calls, 5);
	tc_close(&t);
}
END_TEST

/* job_metadata: the bytes come back exactly (empty, small, the full 1 MiB), errors as given. */
START_TEST(test_metadata)
{
	static const size_t sizes[] = { 0, 3, PROTO_METADATA_MAX };
	struct ctl_request q = { .op = CTL_OP_JOB_METADATA };
	struct ctl_reply rep;
	struct tclient t;

	jobs_on(0);
	tc_open(&t);
	q.u.job_metadata.job_id = 12;
	strcpy(q.u.job_metadata.device, "vf1");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		F.meta_len = sizes[i];
		F.meta = malloc(sizes[i] + 1);
		for (size_t k = 0; k < sizes[i]; k++)
			F.meta[k] = (uint8_t)(k * 31 + i);
		tc_call(&t, &q, &rep);
		ck_assert_uint_eq(rep.error.code, PROTO_ERR_OK);
		ck_assert_uint_eq(rep.result, CTL_RESULT_METADATA);
		ck_assert_uint_eq(rep.u.metadata.len, sizes[i]);
		if (sizes[i])
			ck_assert_mem_eq(rep.u.metadata.data, F.meta, sizes[i]);
		ck_assert_uint_eq(F.id, 12);
		ck_assert_str_eq(F.device, "vf1");
		ctl_reply_clear(&rep);
		free(F.meta);
		F.meta = NULL;
	}
	F.result = -ENOENT;
	proto_error_set(&F.err, PROTO_ERR_NOT_FOUND, "vf7", "job 12 has no device 'vf7'");
	strcpy(q.u.job_metadata.device, "vf7");
	tc_expect_error(&t, &q, PROTO_ERR_NOT_FOUND, "has no device 'vf7'");
	ck_assert_int_eq(F.calls, 4);
	tc_close(&t);
}
END_TEST

START_TEST(test_wait_later)
{
	struct ctl_request q = { .op = CTL_OP_JOB_WAIT };
	struct proto_error e;
	struct ctl_reply rep;
	struct tclient t;

	jobs_on(0);
	tc_open(&t);
	q.u.wait.job_id = 5;
	q.u.wait.timeout_ms = 1500;
	tc_request(&t, &q);
	tpump(50);
	ck_assert_uint_eq(F.timeout_ms, 1500);
	/* no reply until the engine completes; the connection still serves */
	tc_hello_ok(&t);
	finish_wait(0, NULL, true);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, q.serial);
	ck_assert_uint_eq(rep.result, CTL_RESULT_JOB);
	ck_assert_uint_eq(rep.u.job.phase, CTL_PHASE_COMPLETED);
	ctl_reply_clear(&rep);
	/* a timeout comes back as the engine's TIMEOUT error */
	q.serial = 0;
	tc_request(&t, &q);
	tpump(50);
	proto_error_set(&e, PROTO_ERR_TIMEOUT, NULL, "job 5 is still in phase PRECOPY");
	finish_wait(-ETIMEDOUT, &e, true);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_TIMEOUT);
	ck_assert_str_eq(rep.error.message, "job 5 is still in phase PRECOPY");
	ctl_reply_clear(&rep);
	/* the client leaves before the job ends: the completion is dropped, nothing breaks */
	q.serial = 0;
	tc_request(&t, &q);
	tpump(50);
	tc_close(&t);
	tpump(50);
	finish_wait(0, NULL, true);
	tlog_expect("reply to request", "job_wait is dropped", NULL);
}
END_TEST

/* Reads the next CTL_EVENT frame: 0, -EPIPE (closed), -ETIMEDOUT. */
static int next_event(struct tclient *t, struct ctl_event *ev, int timeout_ms)
{
	for (int waited = 0;; waited += 5) {
		struct frame_view v;
		ssize_t n;

		if (frame_parse(t->buf, t->len, &v) == FRAME_COMPLETE) {
			ck_assert_uint_eq(v.type, FRAME_CTL_EVENT);
			ck_assert_int_eq(ctl_event_decode(v.body, v.body_len, ev), 0);
			memmove(t->buf, t->buf + v.frame_len, t->len - v.frame_len);
			t->len -= v.frame_len;
			return 0;
		}
		n = recv(t->fd, t->buf + t->len, FRAME_HDR_LEN + FRAME_BODY_MAX - t->len,
			 MSG_DONTWAIT);
		if (n > 0) {
			t->len += (size_t)n;
			continue;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return -EPIPE;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		tpump(5);
	}
}

static void publish(uint64_t job, uint32_t kind, uint32_t phase)
{
	struct ctl_event ev = { .job_id = job, .kind = kind, .phase = phase, .time_ms = 99 };

	if (kind != CTL_EVENT_DEVICE_STATE) {
		ev.has_status = true;
		fake_fill(job, &ev.status);
	} else {
		strcpy(ev.device, "gpu0");
		ev.device_state = 3;
	}
	control_events_publish(T.srv, &ev);
}

/* An event of about 5 KiB: 32 devices with the longest ids. */
static void publish_big(uint64_t job)
{
	struct ctl_event *ev = calloc(1, sizeof(*ev));

	ck_assert_ptr_nonnull(ev);
	ev->job_id = job;
	ev->kind = CTL_EVENT_PROGRESS;
	ev->phase = CTL_PHASE_PRECOPY;
	ev->has_status = true;
	fake_fill(job, &ev->status);
	ev->status.n_devices = PROTO_JOB_DEVICES_MAX;
	for (int i = 0; i < PROTO_JOB_DEVICES_MAX; i++) {
		memset(ev->status.devices[i].source_id, 'a' + i % 26, PROTO_ID_MAX);
		memset(ev->status.devices[i].target_id, 'A' + i % 26, PROTO_ID_MAX);
	}
	control_events_publish(T.srv, ev);
	free(ev);
}

static void subscribe(struct tclient *t, uint64_t job)
{
	struct ctl_request q = job_req(CTL_OP_SUBSCRIBE, 0);
	struct ctl_reply rep;

	q.u.subscribe.job_id = job;
	tc_call(t, &q, &rep);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_OK);
	ctl_reply_clear(&rep);
}

START_TEST(test_events)
{
	struct tclient all, one, none;
	struct ctl_event ev;
	struct ctl_request q;

	jobs_on(0);
	tc_open(&all);
	tc_open(&one);
	tc_open(&none);
	subscribe(&all, 0);
	subscribe(&one, 2);
	ck_assert_uint_eq(F.id, 2); /* the job was looked up */
	tc_hello_ok(&none);
	publish(1, CTL_EVENT_PHASE, CTL_PHASE_PRECOPY);
	publish(2, CTL_EVENT_DEVICE_STATE, CTL_PHASE_STOP_COPY);
	publish(2, CTL_EVENT_FINISHED, CTL_PHASE_COMPLETED);
	tpump(20);

	ck_assert_int_eq(next_event(&all, &ev, TWAIT_MS), 0);
	ck_assert_uint_eq(ev.seq, 1);
	ck_assert_uint_eq(ev.job_id, 1);
	ck_assert_uint_eq(ev.kind, CTL_EVENT_PHASE);
	ck_assert(ev.has_status);
	ck_assert_uint_eq(ev.status.devices[0].bytes_sent, 777);
	ck_assert_int_eq(next_event(&all, &ev, TWAIT_MS), 0);
	ck_assert_uint_eq(ev.seq, 2);
	ck_assert_str_eq(ev.device, "gpu0");
	ck_assert_int_eq(next_event(&all, &ev, TWAIT_MS), 0);
	ck_assert_uint_eq(ev.seq, 3);
	ck_assert_uint_eq(ev.kind, CTL_EVENT_FINISHED);

	/* the filtered subscriber sees job 2 only, numbered from 1 on its connection */
	ck_assert_int_eq(next_event(&one, &ev, TWAIT_MS), 0);
	ck_assert_uint_eq(ev.seq, 1);
	ck_assert_uint_eq(ev.job_id, 2);
	ck_assert_uint_eq(ev.kind, CTL_EVENT_DEVICE_STATE);
	ck_assert_int_eq(next_event(&one, &ev, TWAIT_MS), 0);
	ck_assert_uint_eq(ev.seq, 2);
	ck_assert_int_eq(next_event(&one, &ev, 100), -ETIMEDOUT);
	/* requests still work on a subscribed connection; the others got nothing */
	tc_hello_ok(&one);
	ck_assert_int_eq(next_event(&none, &ev, 100), -ETIMEDOUT);

	/* a job the engine does not know cannot be subscribed to */
	F.result = -ENOENT;
	proto_error_set(&F.err, PROTO_ERR_NOT_FOUND, NULL, "job 77 not found");
	q = job_req(CTL_OP_SUBSCRIBE, 0);
	q.u.subscribe.job_id = 77;
	tc_expect_error(&none, &q, PROTO_ERR_NOT_FOUND, "job 77 not found");
	tc_close(&all);
	tc_close(&one);
	tc_close(&none);
}
END_TEST

/* A subscriber that never reads is closed by the output cap; the others carry on. */
START_TEST(test_slow_subscriber)
{
	struct tclient slow, fast;
	struct ctl_event ev;

	jobs_on(CONTROL_MAX_OUTPUT_MIN * 4);
	tc_open(&slow);
	tc_open(&fast);
	subscribe(&slow, 0);
	subscribe(&fast, 0);
	for (int i = 0; i < 1000 && !tlog_has("does not read its replies"); i++) {
		publish_big(3);
		tpump(2);
		while (next_event(&fast, &ev, 0) == 0)
			;
	}
	tlog_expect("does not read its replies", "closing", NULL);
	ck_assert(tc_eof(&slow, TWAIT_MS));
	publish(3, CTL_EVENT_FINISHED, CTL_PHASE_COMPLETED);
	do
		ck_assert_int_eq(next_event(&fast, &ev, TWAIT_MS), 0);
	while (ev.kind != CTL_EVENT_FINISHED);
	tc_close(&slow);
	tc_close(&fast);
}
END_TEST

/* Without env.jobs the operations (subscribe included) answer UNSUPPORTED. */
START_TEST(test_no_engine)
{
	struct ctl_request q = job_req(CTL_OP_SUBSCRIBE, 0);
	struct tclient t;

	tc_open(&t);
	tc_expect_error(&t, &q, PROTO_ERR_UNSUPPORTED, "migration jobs are not available");
	control_events_publish(T.srv, &(struct ctl_event){ .job_id = 1, .kind = 1 });
	control_events_publish(NULL, &(struct ctl_event){ .job_id = 1, .kind = 1 });
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

static Suite *control_job_suite(void)
{
	Suite *s = suite_create("control_job");
	TCase *tc = tcase_create("jobs");

	tcase_add_checked_fixture(tc, tenv_setup, tenv_teardown);
	tcase_add_test(tc, test_status_and_errors);
	tcase_add_test(tc, test_prepare_migrate_list);
	tcase_add_test(tc, test_simple_ops);
	tcase_add_test(tc, test_metadata);
	tcase_add_test(tc, test_wait_later);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_slow_subscriber);
	tcase_add_test(tc, test_no_engine);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_job_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
