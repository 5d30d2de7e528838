/*
 * test_proto_util.c - representative messages, comparisons and helpers for the proto/
 * unit tests (see test_proto_util.h). Changing a sample changes the golden frames: run
 * the golden test in regeneration mode afterwards (test_proto_golden.c says how).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "test_proto_util.h"

const uint32_t all_ops[] = {
	CTL_OP_HELLO,
	CTL_OP_DAEMON_INFO,
	CTL_OP_DEVICE_LIST,
	CTL_OP_DEVICE_ADD,
	CTL_OP_DEVICE_REMOVE,
	CTL_OP_DEVICE_INFO,
	CTL_OP_DEVICE_SET_STATE,
	CTL_OP_PREPARE_INCOMING,
	CTL_OP_MIGRATE,
	CTL_OP_JOB_STATUS,
	CTL_OP_JOB_LIST,
	CTL_OP_JOB_CANCEL,
	CTL_OP_JOB_SWITCHOVER,
	CTL_OP_JOB_RESUME,
	CTL_OP_JOB_SET_BANDWIDTH,
	CTL_OP_JOB_WAIT,
	CTL_OP_SUBSCRIBE,
	CTL_OP_PEER_CONNECT,
	CTL_OP_PEER_LIST,
	CTL_OP_JOB_METADATA,
};
const size_t n_all_ops = sizeof(all_ops) / sizeof(all_ops[0]);

const uint32_t all_results[] = {
	CTL_RESULT_NONE,	CTL_RESULT_HELLO,     CTL_RESULT_DAEMON_INFO,
	CTL_RESULT_DEVICE_LIST, CTL_RESULT_DEVICE,    CTL_RESULT_PREPARE_INCOMING,
	CTL_RESULT_MIGRATE,	CTL_RESULT_JOB,	      CTL_RESULT_JOB_LIST,
	CTL_RESULT_PEER,	CTL_RESULT_PEER_LIST, CTL_RESULT_METADATA,
};
const size_t n_all_results = sizeof(all_results) / sizeof(all_results[0]);

const uint32_t all_event_kinds[] = {
	CTL_EVENT_JOB_CREATED, CTL_EVENT_PHASE,	   CTL_EVENT_PROGRESS, CTL_EVENT_DEVICE_STATE,
	CTL_EVENT_CONVERGED,   CTL_EVENT_FINISHED, CTL_EVENT_LOST,
};
const size_t n_all_event_kinds = sizeof(all_event_kinds) / sizeof(all_event_kinds[0]);

const uint16_t all_peer_types[] = {
	FRAME_PEER_HELLO,	  FRAME_PEER_PING,	 FRAME_PEER_PONG,   FRAME_PEER_PREPARE,
	FRAME_PEER_PREPARE_REPLY, FRAME_PEER_SWITCHOVER, FRAME_PEER_LOADED, FRAME_PEER_LOAD_FAILED,
	FRAME_PEER_COMMIT,	  FRAME_PEER_COMMIT_ACK, FRAME_PEER_ABORT,  FRAME_PEER_RESUMED,
	FRAME_STREAM_HELLO,	  FRAME_STREAM_ACK,	 FRAME_STREAM_END,
};
const size_t n_all_peer_types = sizeof(all_peer_types) / sizeof(all_peer_types[0]);

#define IDENTITY "spiffe://cluster.example/host/src-01"
#define SOFTWARE "vfio-migd 0.1.0"
#define TOKEN	 "tok-7f3a9c0d2e41"

uint8_t *pattern(size_t len, uint8_t seed)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
	return p;
}

void fill(char *dst, size_t n, char c)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

/* ---- samples ---- */

void sample_job(struct ctl_job_status *s, uint64_t job_id, uint32_t n_devices)
{
	memset(s, 0, sizeof(*s));
	s->job_id = job_id;
	s->role = CTL_ROLE_SOURCE;
	s->phase = CTL_PHASE_PRECOPY;
	strcpy(s->peer, "dst-02.example.net:7400");
	s->n_devices = n_devices;
	for (uint32_t i = 0; i < n_devices; i++) {
		struct ctl_device_progress *d = &s->devices[i];

		snprintf(d->source_id, sizeof(d->source_id), "gpu%u", i);
		snprintf(d->target_id, sizeof(d->target_id), "vf%u", i);
		d->state = 6; /* PRE_COPY */
		d->bytes_sent = 1000000ull * (i + 1);
		d->bytes_acked = 900000ull * (i + 1);
		d->bytes_remaining = 5000000ull + i;
		d->reset = i == 1;
	}
	s->precopy_iterations = 3;
	s->throughput_bps = 1250000000ull;
	s->elapsed_ms = 4200;
	s->downtime_ms = 37;
	s->started_at_ms = 1700000000000ull;
	s->finished_at_ms = 1700000004200ull;
	s->bandwidth_bps = 1000000000ull;
	s->downtime_limit_ms = 300;
	s->switchover = CTL_SWITCHOVER_MANUAL;
	s->resume = CTL_RESUME_MANUAL;
	proto_error_set(&s->error, PROTO_ERR_TIMEOUT, "gpu0",
			"job %llu: device gpu0 did not converge within 3600 s",
			(unsigned long long)job_id);
}

void sample_request(struct ctl_request *q, uint32_t op)
{
	struct ctl_migrate *m = &q->u.migrate;

	memset(q, 0, sizeof(*q));
	q->serial = 100 + op;
	q->op = op;
	switch (op) {
	case CTL_OP_HELLO:
		q->u.hello = (struct ctl_hello){ 1, 1, PROTO_FEATURES, "vfio-migctl 0.1.0" };
		break;
	case CTL_OP_DEVICE_ADD:
		strcpy(q->u.device_add.id, "nic0");
		q->u.device_add.source = CTL_SOURCE_PATH;
		strcpy(q->u.device_add.spec, "/dev/vfio/devices/vfio3");
		break;
	case CTL_OP_DEVICE_REMOVE:
	case CTL_OP_DEVICE_INFO:
		strcpy(q->u.device.id, "nic0");
		break;
	case CTL_OP_DEVICE_SET_STATE:
		strcpy(q->u.set_state.id, "nic0");
		q->u.set_state.state = 1; /* STOP */
		break;
	case CTL_OP_PREPARE_INCOMING:
		strcpy(q->u.prepare.source_identity, IDENTITY);
		q->u.prepare.n_devices = 2;
		strcpy(q->u.prepare.devices[0], "vf0");
		strcpy(q->u.prepare.devices[1], "vf1");
		q->u.prepare.expiry_s = 600;
		break;
	case CTL_OP_MIGRATE:
		strcpy(m->peer, "[2001:db8::7]:7400");
		strcpy(m->token, TOKEN);
		m->n_devices = 2;
		strcpy(m->devices[0].source_id, "gpu0");
		strcpy(m->devices[0].target_id, "vf0");
		m->devices[0].metadata = pattern(64, 1);
		m->devices[0].metadata_len = 64;
		strcpy(m->devices[1].source_id, "gpu1");
		strcpy(m->devices[1].target_id, "vf1");
		m->devices[1].metadata = pattern(3, 2);
		m->devices[1].metadata_len = 3;
		m->downtime_limit_ms = 300;
		m->bandwidth_bps = 2000000000ull;
		m->precopy = true;
		m->switchover = CTL_SWITCHOVER_MANUAL;
		m->resume = CTL_RESUME_MANUAL;
		m->timeout_s = 3600;
		break;
	case CTL_OP_JOB_STATUS:
	case CTL_OP_JOB_CANCEL:
	case CTL_OP_JOB_SWITCHOVER:
	case CTL_OP_JOB_RESUME:
		q->u.job.job_id = 42;
		break;
	case CTL_OP_JOB_SET_BANDWIDTH:
		q->u.bandwidth = (struct ctl_job_bandwidth){ 42, 500000000ull };
		break;
	case CTL_OP_JOB_WAIT:
		q->u.wait = (struct ctl_job_wait){ 42, 30000 };
		break;
	case CTL_OP_SUBSCRIBE:
		q->u.subscribe.job_id = 42;
		break;
	case CTL_OP_PEER_CONNECT:
		strcpy(q->u.peer_connect.address, "[2001:db8::7]:7400");
		strcpy(q->u.peer_connect.expect_host, "dst-02.example.net");
		break;
	case CTL_OP_JOB_METADATA:
		q->u.job_metadata.job_id = 9;
		strcpy(q->u.job_metadata.device, "vf0");
		break;
	}
}

static void sample_device(struct ctl_device_info *d, uint32_t i)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "gpu%u", i);
	d->kind = i == 2 ? CTL_KIND_SIM : CTL_KIND_VFIO_PCI;
	strcpy(d->driver, i == 2 ? "sim" : "mlx5_vfio_pci");
	strcpy(d->model, i == 2 ? "sim-v1" : "15b3:101e");
	snprintf(d->address, sizeof(d->address), "0000:3b:00.%u", i);
	d->state = 2; /* RUNNING */
	d->migration_flags = 0x7;
	d->owner_job = i == 0 ? 42 : 0;
	d->has_digest = i == 2;
	if (d->has_digest)
		for (uint32_t j = 0; j < PROTO_DIGEST_LEN; j++)
			d->digest[j] = (uint8_t)(0xa0 + j);
}

static void sample_info(struct ctl_daemon_info *d)
{
	strcpy(d->version, SOFTWARE);
	d->protocol_version = PROTO_VERSION;
	d->features = PROTO_FEATURES;
	strcpy(d->host_identity, IDENTITY);
	d->tls.state = CTL_TLS_READY;
	d->tls.ktls_tx = true;
	d->tls.ktls_rx = true;
	strcpy(d->tls.identity, IDENTITY);
	d->tls.not_after_s = 1767225600;
	strcpy(d->tls.error, "reload of /etc/vfio-migd/cert.pem failed; kept the previous one");
	d->device_count = 3;
	d->active_jobs = 1;
	d->uptime_s = 86400;
	d->n_listen = 2;
	strcpy(d->listen[0], "0.0.0.0:7400");
	strcpy(d->listen[1], "[::]:7400");
}

void sample_peer_info(struct ctl_peer_info *p, uint32_t i)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->address, sizeof(p->address), "dst-%02u.example.net:7400", i);
	p->state = i == 1 ? CTL_PEER_HELLO : CTL_PEER_READY;
	p->outgoing = i != 2;
	strcpy(p->identity, "uri:" IDENTITY);
	for (uint32_t j = 0; j < CTL_FINGERPRINT_LEN; j++)
		p->fingerprint[j] = "0123456789abcdef"[(j + i) % 16];
	p->protocol_version = PROTO_VERSION;
	p->features = PROTO_FEATURES;
	strcpy(p->host_identity, IDENTITY);
	strcpy(p->software, SOFTWARE);
	p->rtt_us = i == 1 ? -1 : (int64_t)(250 + i);
	p->ktls_tx = true;
	p->ktls_rx = i == 0;
	p->connected_at_ms = 1700000000000ull + i;
}

void sample_reply(struct ctl_reply *r, uint32_t result)
{
	memset(r, 0, sizeof(*r));
	r->serial = 7;
	r->result = result;
	switch (result) {
	case CTL_RESULT_NONE:
		proto_error_set(&r->error, PROTO_ERR_NOT_FOUND, "nic9",
				"device nic9 is not owned by this daemon; see device_list");
		break;
	case CTL_RESULT_HELLO:
		r->u.hello = (struct ctl_hello){ 1, 1, PROTO_FEATURES, SOFTWARE };
		break;
	case CTL_RESULT_DAEMON_INFO:
		sample_info(&r->u.daemon_info);
		break;
	case CTL_RESULT_DEVICE_LIST:
		r->u.device_list.n_devices = 3;
		r->u.device_list.devices = calloc(3, sizeof(struct ctl_device_info));
		ck_assert_ptr_nonnull(r->u.device_list.devices);
		for (uint32_t i = 0; i < 3; i++)
			sample_device(&r->u.device_list.devices[i], i);
		break;
	case CTL_RESULT_DEVICE:
		sample_device(&r->u.device, 2);
		break;
	case CTL_RESULT_PREPARE_INCOMING:
		strcpy(r->u.prepare.token, TOKEN);
		r->u.prepare.job_id = 9;
		r->u.prepare.expires_at_ms = 1700000600000ull;
		break;
	case CTL_RESULT_MIGRATE:
		r->u.job_id = 42;
		break;
	case CTL_RESULT_JOB:
		sample_job(&r->u.job, 42, 2);
		break;
	case CTL_RESULT_JOB_LIST:
		r->u.job_list.n_jobs = 2;
		r->u.job_list.jobs = calloc(2, sizeof(struct ctl_job_status));
		ck_assert_ptr_nonnull(r->u.job_list.jobs);
		sample_job(&r->u.job_list.jobs[0], 42, 2);
		sample_job(&r->u.job_list.jobs[1], 43, 1);
		break;
	case CTL_RESULT_PEER:
		sample_peer_info(&r->u.peer, 0);
		break;
	case CTL_RESULT_PEER_LIST:
		r->u.peer_list.n_peers = 3;
		r->u.peer_list.peers = calloc(3, sizeof(struct ctl_peer_info));
		ck_assert_ptr_nonnull(r->u.peer_list.peers);
		for (uint32_t i = 0; i < 3; i++)
			sample_peer_info(&r->u.peer_list.peers[i], i);
		break;
	case CTL_RESULT_METADATA:
		r->u.metadata.data = pattern(100, 3);
		r->u.metadata.len = 100;
		break;
	}
}

void sample_event(struct ctl_event *e, uint32_t kind)
{
	memset(e, 0, sizeof(*e));
	e->seq = 5;
	e->job_id = 42;
	e->kind = kind;
	e->phase = CTL_PHASE_PRECOPY;
	e->time_ms = 1700000001000ull;
	if (kind == CTL_EVENT_FINISHED) {
		e->phase = CTL_PHASE_FAILED;
		proto_error_set(&e->error, PROTO_ERR_DEVICE_FAILED, "gpu1",
				"device gpu1: STOP_COPY read failed: Input/output error");
	}
	switch (kind) {
	case CTL_EVENT_DEVICE_STATE:
		strcpy(e->device, "gpu0");
		e->device_state = 6;
		break;
	case CTL_EVENT_FINISHED:
	case CTL_EVENT_JOB_CREATED:
	case CTL_EVENT_PHASE:
	case CTL_EVENT_PROGRESS:
		e->has_status = true;
		sample_job(&e->status, 42, 2);
		e->status.phase = e->phase;
		break;
	case CTL_EVENT_LOST:
		e->job_id = 0;
		e->phase = CTL_PHASE_NONE;
		break;
	}
}

static void sample_prepare(struct peer_prepare *p)
{
	struct peer_prepare_device *d = p->devices;

	p->job_id = 42;
	strcpy(p->token, TOKEN);
	p->n_devices = 2;
	strcpy(d[0].source_id, "gpu0");
	strcpy(d[0].target_id, "vf0");
	d[0].migration_flags = 0x7;
	d[0].compat =
		(struct peer_compat){ "mlx5_vfio_pci",	     0x15b3,	0x101e, 0x15b3, 0x0047, "",
				      "ConnectX-7 fw 28.39", 1ull << 30 };
	d[0].metadata = pattern(100, 3);
	d[0].metadata_len = 100;
	strcpy(d[1].source_id, "mdev-0");
	strcpy(d[1].target_id, "mdev-1");
	d[1].migration_flags = 0x1;
	d[1].compat = (struct peer_compat){ "mtty", 0, 0, 0, 0, "mtty-2", "", 4096 };
	p->precopy = true;
	p->resume_manual = true;
	p->downtime_limit_ms = 300;
}

void sample_peer(struct peer_msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case FRAME_PEER_HELLO:
		m->u.hello = (struct peer_hello){ 1, 1, PROTO_FEATURES, IDENTITY, SOFTWARE };
		break;
	case FRAME_PEER_PING:
	case FRAME_PEER_PONG:
		m->u.ping.nonce = 0x1122334455667788ull;
		break;
	case FRAME_PEER_PREPARE:
		sample_prepare(&m->u.prepare);
		break;
	case FRAME_PEER_PREPARE_REPLY:
		m->u.prepare_reply.job_id = 42;
		m->u.prepare_reply.dest_job_id = 9;
		break;
	case FRAME_PEER_LOADED:
	case FRAME_PEER_LOAD_FAILED:
		m->u.load.job_id = 42;
		m->u.load.device_index = 1;
		if (type == FRAME_PEER_LOAD_FAILED)
			proto_error_set(&m->u.load.error, PROTO_ERR_DEVICE_FAILED, "vf1",
					"device vf1: RESUMING -> STOP failed: the driver refused "
					"the data");
		break;
	case FRAME_PEER_ABORT:
		m->u.abort.job_id = 42;
		proto_error_set(&m->u.abort.reason, PROTO_ERR_CANCELLED, NULL,
				"job 42 cancelled by the orchestrator");
		break;
	case FRAME_STREAM_HELLO:
		m->u.stream_hello.job_id = 42;
		m->u.stream_hello.device_index = 1;
		strcpy(m->u.stream_hello.token, TOKEN);
		break;
	case FRAME_STREAM_ACK:
		m->u.stream_ack.device_index = 1;
		m->u.stream_ack.bytes = 1u << 20;
		break;
	case FRAME_STREAM_END:
		m->u.stream_end.device_index = 1;
		m->u.stream_end.bytes = 123456789;
		for (uint32_t i = 0; i < PROTO_DIGEST_LEN; i++)
			m->u.stream_end.sha256[i] = (uint8_t)(i * 13);
		break;
	default: /* SWITCHOVER, COMMIT, COMMIT_ACK, RESUMED */
		m->u.notice.job_id = 42;
		break;
	}
}

/* ---- comparisons ---- */

#define EQ(a, b, f)	ck_assert_msg((a)->f == (b)->f, "field %s differs", #f)
#define STR_EQ(a, b, f) ck_assert_str_eq((a)->f, (b)->f)
#define MEM_EQ(a, b, f) ck_assert_mem_eq((a)->f, (b)->f, sizeof((a)->f))

static void expect_error_eq(const struct proto_error *a, const struct proto_error *b)
{
	EQ(a, b, code);
	STR_EQ(a, b, message);
	STR_EQ(a, b, device);
}

void expect_job_eq(const struct ctl_job_status *a, const struct ctl_job_status *b)
{
	EQ(a, b, job_id);
	EQ(a, b, role);
	EQ(a, b, phase);
	STR_EQ(a, b, peer);
	EQ(a, b, n_devices);
	for (uint32_t i = 0; i < a->n_devices; i++) {
		const struct ctl_device_progress *x = &a->devices[i], *y = &b->devices[i];

		STR_EQ(x, y, source_id);
		STR_EQ(x, y, target_id);
		EQ(x, y, state);
		EQ(x, y, bytes_sent);
		EQ(x, y, bytes_acked);
		EQ(x, y, bytes_remaining);
		EQ(x, y, reset);
	}
	EQ(a, b, precopy_iterations);
	EQ(a, b, throughput_bps);
	EQ(a, b, elapsed_ms);
	EQ(a, b, downtime_ms);
	EQ(a, b, started_at_ms);
	EQ(a, b, finished_at_ms);
	EQ(a, b, bandwidth_bps);
	EQ(a, b, downtime_limit_ms);
	EQ(a, b, switchover);
	EQ(a, b, resume);
	expect_error_eq(&a->error, &b->error);
}

static void expect_hello_eq(const struct ctl_hello *a, const struct ctl_hello *b)
{
	EQ(a, b, version);
	EQ(a, b, min_version);
	EQ(a, b, features);
	STR_EQ(a, b, name);
}

static void expect_migrate_eq(const struct ctl_migrate *a, const struct ctl_migrate *b)
{
	STR_EQ(a, b, peer);
	STR_EQ(a, b, token);
	EQ(a, b, n_devices);
	for (uint32_t i = 0; i < a->n_devices; i++) {
		STR_EQ(a, b, devices[i].source_id);
		STR_EQ(a, b, devices[i].target_id);
		EQ(a, b, devices[i].metadata_len);
		if (a->devices[i].metadata_len)
			ck_assert_mem_eq(a->devices[i].metadata, b->devices[i].metadata,
					 a->devices[i].metadata_len);
	}
	EQ(a, b, downtime_limit_ms);
	EQ(a, b, bandwidth_bps);
	EQ(a, b, precopy);
	EQ(a, b, switchover);
	EQ(a, b, resume);
	EQ(a, b, timeout_s);
}

void expect_request_eq(const struct ctl_request *a, const struct ctl_request *b)
{
	EQ(a, b, serial);
	EQ(a, b, fd_count);
	EQ(a, b, op);
	switch (a->op) {
	case CTL_OP_HELLO:
		expect_hello_eq(&a->u.hello, &b->u.hello);
		break;
	case CTL_OP_DEVICE_ADD:
		STR_EQ(a, b, u.device_add.id);
		EQ(a, b, u.device_add.source);
		STR_EQ(a, b, u.device_add.spec);
		EQ(a, b, u.device_add.fd_index);
		break;
	case CTL_OP_DEVICE_REMOVE:
	case CTL_OP_DEVICE_INFO:
		STR_EQ(a, b, u.device.id);
		break;
	case CTL_OP_DEVICE_SET_STATE:
		STR_EQ(a, b, u.set_state.id);
		EQ(a, b, u.set_state.state);
		break;
	case CTL_OP_PREPARE_INCOMING:
		STR_EQ(a, b, u.prepare.source_identity);
		EQ(a, b, u.prepare.n_devices);
		for (uint32_t i = 0; i < a->u.prepare.n_devices; i++)
			STR_EQ(a, b, u.prepare.devices[i]);
		EQ(a, b, u.prepare.expiry_s);
		break;
	case CTL_OP_MIGRATE:
		expect_migrate_eq(&a->u.migrate, &b->u.migrate);
		break;
	case CTL_OP_JOB_SET_BANDWIDTH:
		EQ(a, b, u.bandwidth.job_id);
		EQ(a, b, u.bandwidth.bandwidth_bps);
		break;
	case CTL_OP_JOB_WAIT:
		EQ(a, b, u.wait.job_id);
		EQ(a, b, u.wait.timeout_ms);
		break;
	case CTL_OP_SUBSCRIBE:
		EQ(a, b, u.subscribe.job_id);
		break;
	case CTL_OP_JOB_STATUS:
	case CTL_OP_JOB_CANCEL:
	case CTL_OP_JOB_SWITCHOVER:
	case CTL_OP_JOB_RESUME:
		EQ(a, b, u.job.job_id);
		break;
	case CTL_OP_PEER_CONNECT:
		STR_EQ(a, b, u.peer_connect.address);
		STR_EQ(a, b, u.peer_connect.expect_host);
		break;
	case CTL_OP_JOB_METADATA:
		EQ(a, b, u.job_metadata.job_id);
		STR_EQ(a, b, u.job_metadata.device);
		break;
	}
}

static void expect_device_eq(const struct ctl_device_info *a, const struct ctl_device_info *b)
{
	STR_EQ(a, b, id);
	EQ(a, b, kind);
	STR_EQ(a, b, driver);
	STR_EQ(a, b, model);
	STR_EQ(a, b, address);
	EQ(a, b, state);
	EQ(a, b, migration_flags);
	EQ(a, b, owner_job);
	EQ(a, b, has_digest);
	if (a->has_digest)
		MEM_EQ(a, b, digest);
}

static void expect_info_eq(const struct ctl_daemon_info *a, const struct ctl_daemon_info *b)
{
	STR_EQ(a, b, version);
	EQ(a, b, protocol_version);
	EQ(a, b, features);
	STR_EQ(a, b, host_identity);
	EQ(a, b, tls.state);
	EQ(a, b, tls.ktls_tx);
	EQ(a, b, tls.ktls_rx);
	STR_EQ(a, b, tls.identity);
	EQ(a, b, tls.not_after_s);
	STR_EQ(a, b, tls.error);
	EQ(a, b, device_count);
	EQ(a, b, active_jobs);
	EQ(a, b, uptime_s);
	EQ(a, b, n_listen);
	for (uint32_t i = 0; i < a->n_listen; i++)
		STR_EQ(a, b, listen[i]);
}

void expect_peer_info_eq(const struct ctl_peer_info *a, const struct ctl_peer_info *b)
{
	STR_EQ(a, b, address);
	EQ(a, b, state);
	EQ(a, b, outgoing);
	STR_EQ(a, b, identity);
	STR_EQ(a, b, fingerprint);
	EQ(a, b, protocol_version);
	EQ(a, b, features);
	STR_EQ(a, b, host_identity);
	STR_EQ(a, b, software);
	EQ(a, b, rtt_us);
	EQ(a, b, ktls_tx);
	EQ(a, b, ktls_rx);
	EQ(a, b, connected_at_ms);
}

void expect_reply_eq(const struct ctl_reply *a, const struct ctl_reply *b)
{
	EQ(a, b, serial);
	expect_error_eq(&a->error, &b->error);
	EQ(a, b, result);
	switch (a->result) {
	case CTL_RESULT_HELLO:
		expect_hello_eq(&a->u.hello, &b->u.hello);
		break;
	case CTL_RESULT_DAEMON_INFO:
		expect_info_eq(&a->u.daemon_info, &b->u.daemon_info);
		break;
	case CTL_RESULT_DEVICE_LIST:
		EQ(a, b, u.device_list.n_devices);
		for (uint32_t i = 0; i < a->u.device_list.n_devices; i++)
			expect_device_eq(&a->u.device_list.devices[i],
					 &b->u.device_list.devices[i]);
		break;
	case CTL_RESULT_DEVICE:
		expect_device_eq(&a->u.device, &b->u.device);
		break;
	case CTL_RESULT_PREPARE_INCOMING:
		STR_EQ(a, b, u.prepare.token);
		EQ(a, b, u.prepare.job_id);
		EQ(a, b, u.prepare.expires_at_ms);
		break;
	case CTL_RESULT_MIGRATE:
		EQ(a, b, u.job_id);
		break;
	case CTL_RESULT_JOB:
		expect_job_eq(&a->u.job, &b->u.job);
		break;
	case CTL_RESULT_JOB_LIST:
		EQ(a, b, u.job_list.n_jobs);
		for (uint32_t i = 0; i < a->u.job_list.n_jobs; i++)
			expect_job_eq(&a->u.job_list.jobs[i], &b->u.job_list.jobs[i]);
		break;
	case CTL_RESULT_PEER:
		expect_peer_info_eq(&a->u.peer, &b->u.peer);
		break;
	case CTL_RESULT_PEER_LIST:
		EQ(a, b, u.peer_list.n_peers);
		for (uint32_t i = 0; i < a->u.peer_list.n_peers; i++)
			expect_peer_info_eq(&a->u.peer_list.peers[i], &b->u.peer_list.peers[i]);
		break;
	case CTL_RESULT_METADATA:
		EQ(a, b, u.metadata.len);
		if (a->u.metadata.len)
			ck_assert_mem_eq(a->u.metadata.data, b->u.metadata.data, a->u.metadata.len);
		break;
	}
}

void expect_event_eq(const struct ctl_event *a, const struct ctl_event *b)
{
	EQ(a, b, seq);
	EQ(a, b, job_id);
	EQ(a, b, kind);
	EQ(a, b, phase);
	EQ(a, b, time_ms);
	STR_EQ(a, b, device);
	EQ(a, b, device_state);
	EQ(a, b, has_status);
	if (a->has_status)
		expect_job_eq(&a->status, &b->status);
	expect_error_eq(&a->error, &b->error);
}

static void expect_prepare_eq(const struct peer_prepare *a, const struct peer_prepare *b)
{
	EQ(a, b, job_id);
	STR_EQ(a, b, token);
	EQ(a, b, n_devices);
	for (uint32_t i = 0; i < a->n_devices; i++) {
		const struct peer_prepare_device *x = &a->devices[i], *y = &b->devices[i];

		STR_EQ(x, y, source_id);
		STR_EQ(x, y, target_id);
		EQ(x, y, migration_flags);
		STR_EQ(x, y, compat.driver);
		EQ(x, y, compat.vendor_id);
		EQ(x, y, compat.device_id);
		EQ(x, y, compat.subsystem_vendor_id);
		EQ(x, y, compat.subsystem_device_id);
		STR_EQ(x, y, compat.mdev_type);
		STR_EQ(x, y, compat.model);
		EQ(x, y, compat.state_size);
		EQ(x, y, metadata_len);
		if (x->metadata_len)
			ck_assert_mem_eq(x->metadata, y->metadata, x->metadata_len);
	}
	EQ(a, b, precopy);
	EQ(a, b, resume_manual);
	EQ(a, b, downtime_limit_ms);
	EQ(a, b, timeout_ms);
}

void expect_peer_eq(const struct peer_msg *a, const struct peer_msg *b)
{
	EQ(a, b, type);
	switch (a->type) {
	case FRAME_PEER_HELLO:
		EQ(a, b, u.hello.version);
		EQ(a, b, u.hello.min_version);
		EQ(a, b, u.hello.features);
		STR_EQ(a, b, u.hello.host_identity);
		STR_EQ(a, b, u.hello.software);
		break;
	case FRAME_PEER_PING:
	case FRAME_PEER_PONG:
		EQ(a, b, u.ping.nonce);
		break;
	case FRAME_PEER_PREPARE:
		expect_prepare_eq(&a->u.prepare, &b->u.prepare);
		break;
	case FRAME_PEER_PREPARE_REPLY:
		EQ(a, b, u.prepare_reply.job_id);
		EQ(a, b, u.prepare_reply.dest_job_id);
		expect_error_eq(&a->u.prepare_reply.error, &b->u.prepare_reply.error);
		break;
	case FRAME_PEER_LOADED:
	case FRAME_PEER_LOAD_FAILED:
		EQ(a, b, u.load.job_id);
		EQ(a, b, u.load.device_index);
		expect_error_eq(&a->u.load.error, &b->u.load.error);
		break;
	case FRAME_PEER_ABORT:
		EQ(a, b, u.abort.job_id);
		expect_error_eq(&a->u.abort.reason, &b->u.abort.reason);
		break;
	case FRAME_STREAM_HELLO:
		EQ(a, b, u.stream_hello.job_id);
		EQ(a, b, u.stream_hello.device_index);
		STR_EQ(a, b, u.stream_hello.token);
		break;
	case FRAME_STREAM_ACK:
		EQ(a, b, u.stream_ack.device_index);
		EQ(a, b, u.stream_ack.bytes);
		break;
	case FRAME_STREAM_END:
		EQ(a, b, u.stream_end.device_index);
		EQ(a, b, u.stream_end.bytes);
		MEM_EQ(a, b, u.stream_end.sha256);
		break;
	default:
		EQ(a, b, u.notice.job_id);
		break;
	}
}

/* ---- helpers ---- */

const uint8_t *frame_body(const uint8_t *frame, size_t len, uint16_t type, size_t *ret_len)
{
	struct frame_view v;

	ck_assert_int_eq(frame_parse(frame, len, &v), FRAME_COMPLETE);
	ck_assert_uint_eq(v.type, type);
	ck_assert_uint_eq(v.frame_len, len);
	*ret_len = v.body_len;
	return v.body;
}

uint8_t *pb_pack(const ProtobufCMessage *m, size_t *ret_len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(protobuf_c_message_pack(m, buf), n);
	*ret_len = n;
	return buf;
}

void expect_reason(const char *needle)
{
	ck_assert_msg(strstr(proto_last_error(), needle) != NULL, "reason \"%s\" lacks \"%s\"",
		      proto_last_error(), needle);
}
