/*
 * test_control.c - daemon/control/: every operation's success and error replies over a real
 * socket (hello, daemon_info, the device operations, set-state arcs and refusals, the job
 * operations answered UNSUPPORTED, a newer client's operation, peer_connect answered
 * asynchronously and its client leaving first, peer_list, requests in flight), and main().
 * Hostile input: test_control_wire.c; the socket file, limits and credentials:
 * test_control_socket.c. The harness: test_control_util.c.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buildinfo.h"
#include "control.pb-c.h"
#include "frame.h"
#include "registry.h"
#include "test_control_util.h"

static struct ctl_request req(uint32_t op)
{
	struct ctl_request q;

	memset(&q, 0, sizeof(q));
	q.op = op;
	return q;
}

static struct ctl_request req_dev(uint32_t op, const char *id)
{
	struct ctl_request q = req(op);

	snprintf(q.u.device.id, sizeof(q.u.device.id), "%s", id);
	return q;
}

static struct ctl_request req_add(const char *id, uint32_t source, const char *spec)
{
	struct ctl_request q = req(CTL_OP_DEVICE_ADD);

	snprintf(q.u.device_add.id, sizeof(q.u.device_add.id), "%s", id);
	q.u.device_add.source = source;
	snprintf(q.u.device_add.spec, sizeof(q.u.device_add.spec), "%s", spec);
	return q;
}

static struct ctl_request req_state(const char *id, enum fsm_state s)
{
	struct ctl_request q = req(CTL_OP_DEVICE_SET_STATE);

	snprintf(q.u.set_state.id, sizeof(q.u.set_state.id), "%s", id);
	q.u.set_state.state = (uint32_t)s;
	return q;
}

/* Sends q and expects success with the given result; returns the reply (clear it). */
static struct ctl_reply call_ok(struct tclient *t, struct ctl_request q, uint32_t result)
{
	struct ctl_reply rep;

	tc_call(t, &q, &rep);
	ck_assert_msg(rep.error.code == PROTO_ERR_OK, "%s: %s: %s", ctl_request_op_name(q.op),
		      proto_err_name(rep.error.code), rep.error.message);
	ck_assert_uint_eq(rep.result, result);
	return rep;
}

static void expect_state(struct tclient *t, const char *id, enum fsm_state to)
{
	struct ctl_reply rep = call_ok(t, req_state(id, to), CTL_RESULT_DEVICE);

	ck_assert_str_eq(rep.u.device.id, id);
	ck_assert_uint_eq(rep.u.device.state, (uint32_t)to);
}

/* ---- hello, daemon info, unsupported operations ---- */

START_TEST(test_hello)
{
	struct tclient t;
	struct ctl_request q = req(CTL_OP_HELLO);
	struct ctl_reply rep;

	tc_open(&t);
	q.u.hello = (struct ctl_hello){ .version = 3, .min_version = 1, .name = "ctl-test 1" };
	rep = call_ok(&t, q, CTL_RESULT_HELLO);
	ck_assert_uint_eq(rep.u.hello.version, PROTO_VERSION);
	ck_assert_uint_eq(rep.u.hello.min_version, PROTO_MIN_VERSION);
	ck_assert_uint_eq(rep.u.hello.features, 0);
	ck_assert_str_eq(rep.u.hello.name, "vfio-migd " VFIO_MIGD_VERSION);
	/* a client too new for us: refused, told what to upgrade, still connected */
	q.u.hello = (struct ctl_hello){ .version = 3, .min_version = 2, .name = "ctl-test 9" };
	tc_expect_error(&t, &q, PROTO_ERR_INCOMPATIBLE,
			"client ctl-test 9 speaks control protocol versions 2..3, this daemon "
			"(vfio-migd " VFIO_MIGD_VERSION ") only 1..1; upgrade vfio-migd");
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

START_TEST(test_daemon_info)
{
	struct tclient t;
	struct ctl_reply rep;

	tc_open(&t);
	rep = call_ok(&t, req(CTL_OP_DAEMON_INFO), CTL_RESULT_DAEMON_INFO);
	ck_assert_str_eq(rep.u.daemon_info.version, VFIO_MIGD_VERSION);
	ck_assert_uint_eq(rep.u.daemon_info.protocol_version, PROTO_VERSION);
	ck_assert_uint_eq(rep.u.daemon_info.device_count, 2);
	ck_assert_str_eq(rep.u.daemon_info.host_identity, "test-host");
	ck_assert_uint_eq(rep.u.daemon_info.tls.state, CTL_TLS_DISABLED);
	ck_assert_uint_eq(rep.u.daemon_info.n_listen, 1);
	ck_assert_str_eq(rep.u.daemon_info.listen[0], "127.0.0.1:7400");
	/* without the callback, what the server knows itself */
	T.env.daemon_info = NULL;
	tc_close(&t);
	{
		struct control_options o;
		char err[256];

		tenv_options(&o);
		ck_assert_int_eq(tenv_restart(&o, err, sizeof(err)), 0);
	}
	tc_open(&t);
	rep = call_ok(&t, req(CTL_OP_DAEMON_INFO), CTL_RESULT_DAEMON_INFO);
	ck_assert_uint_eq(rep.u.daemon_info.device_count, 2);
	ck_assert_str_eq(rep.u.daemon_info.host_identity, "");
	tc_close(&t);
}
END_TEST

START_TEST(test_job_ops_unsupported)
{
	static const uint32_t ops[] = {
		CTL_OP_PREPARE_INCOMING, CTL_OP_MIGRATE,	   CTL_OP_JOB_STATUS,
		CTL_OP_JOB_LIST,	 CTL_OP_JOB_CANCEL,	   CTL_OP_JOB_SWITCHOVER,
		CTL_OP_JOB_RESUME,	 CTL_OP_JOB_SET_BANDWIDTH, CTL_OP_JOB_WAIT,
		CTL_OP_SUBSCRIBE,
	};
	struct tclient t;

	tc_open(&t);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct ctl_request q = req(ops[i]);

		q.u.job.job_id = 7;
		if (ops[i] == CTL_OP_PREPARE_INCOMING) {
			strcpy(q.u.prepare.source_identity, "dns:src.test");
			q.u.prepare.n_devices = 1;
			strcpy(q.u.prepare.devices[0], "gpu0");
		} else if (ops[i] == CTL_OP_MIGRATE) {
			strcpy(q.u.migrate.peer, "10.0.0.2:7400");
			strcpy(q.u.migrate.token, "tok");
			q.u.migrate.n_devices = 1;
			strcpy(q.u.migrate.devices[0].source_id, "gpu0");
			strcpy(q.u.migrate.devices[0].target_id, "gpu0");
		}
		tc_expect_error(&t, &q, PROTO_ERR_UNSUPPORTED,
				"migration jobs are not available in this version of vfio-migd");
	}
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

/* A newer client's operation (field 99 of Request): UNSUPPORTED, and the connection stays. */
START_TEST(test_newer_client_op)
{
	static const uint8_t body[] = { 0x08, 0x4d, 0x9a, 0x06, 0x00 };
	struct tclient t;
	struct ctl_reply rep;
	uint8_t *f;
	size_t len;

	tc_open(&t);
	f = tframe(FRAME_CTL_REQUEST, 0, sizeof(body), body, sizeof(body), &len);
	tc_send(&t, f, len);
	free(f);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, 77);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(rep.error.message, "does not know the operation; upgrade vfio-migd"),
		      "%s", rep.error.message);
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

/* ---- devices ---- */

START_TEST(test_device_list_info)
{
	struct tclient t;
	struct ctl_reply rep;
	uint8_t digest[PROTO_DIGEST_LEN];
	size_t bad;
	const char *gpu0[] = { "gpu0" };

	tc_open(&t);
	ck_assert_int_eq(registry_claim(T.reg, gpu0, 1, 7, &bad), 0);
	rep = call_ok(&t, req(CTL_OP_DEVICE_LIST), CTL_RESULT_DEVICE_LIST);
	ck_assert_uint_eq(rep.u.device_list.n_devices, 2);
	ck_assert_str_eq(rep.u.device_list.devices[0].id, "gpu0");
	ck_assert_uint_eq(rep.u.device_list.devices[0].owner_job, 7);
	ck_assert_uint_eq(rep.u.device_list.devices[0].kind, CTL_KIND_SIM);
	ck_assert_uint_eq(rep.u.device_list.devices[0].migration_flags, FSM_F_ALL);
	ck_assert_str_eq(rep.u.device_list.devices[0].address, "sim:gpu0");
	ck_assert_str_eq(rep.u.device_list.devices[1].id, "nic0");
	ck_assert_uint_eq(rep.u.device_list.devices[1].owner_job, 0);
	ck_assert_uint_eq(rep.u.device_list.devices[1].migration_flags, FSM_F_STOP_COPY);
	ck_assert_uint_eq(rep.u.device_list.devices[1].state, FSM_RUNNING);
	ck_assert(!rep.u.device_list.devices[1].has_digest);
	ctl_reply_clear(&rep);

	/* info: a free sim device has its digest; one held by a job does not */
	rep = call_ok(&t, req_dev(CTL_OP_DEVICE_INFO, "nic0"), CTL_RESULT_DEVICE);
	ck_assert_str_eq(rep.u.device.driver, "vfio-migd-sim");
	ck_assert(rep.u.device.has_digest);
	ck_assert_int_eq(backend_digest(device_backend(registry_find(T.reg, "nic0")), digest), 0);
	ck_assert_mem_eq(rep.u.device.digest, digest, PROTO_DIGEST_LEN);
	rep = call_ok(&t, req_dev(CTL_OP_DEVICE_INFO, "gpu0"), CTL_RESULT_DEVICE);
	ck_assert_uint_eq(rep.u.device.owner_job, 7);
	ck_assert(!rep.u.device.has_digest);
	{
		struct ctl_request q = req_dev(CTL_OP_DEVICE_INFO, "x9");

		tc_expect_error(&t, &q, PROTO_ERR_NOT_FOUND,
				"device 'x9' not found; 'vfio-migctl device list' shows the "
				"devices");
	}
	tc_close(&t);
}
END_TEST

START_TEST(test_device_add_sim)
{
	struct tclient t;
	struct ctl_reply rep;
	struct ctl_request q;

	tc_open(&t);
	rep = call_ok(&t, req_add("vm1", CTL_SOURCE_SIM, "size=32K,flags=stop_copy|p2p"),
		      CTL_RESULT_DEVICE);
	ck_assert_str_eq(rep.u.device.id, "vm1");
	ck_assert_uint_eq(rep.u.device.kind, CTL_KIND_SIM);
	ck_assert_str_eq(rep.u.device.address, "size=32K,flags=stop_copy|p2p");
	ck_assert_uint_eq(rep.u.device.migration_flags, FSM_F_STOP_COPY | FSM_F_P2P);
	ck_assert_uint_eq(rep.u.device.state, FSM_RUNNING);
	ck_assert_ptr_nonnull(registry_find(T.reg, "vm1"));
	tlog_expect("control: client pid=", "device vm1 added", NULL);
	/* the origin shows in info and list */
	rep = call_ok(&t, req_dev(CTL_OP_DEVICE_INFO, "vm1"), CTL_RESULT_DEVICE);
	ck_assert_str_eq(rep.u.device.address, "size=32K,flags=stop_copy|p2p");

	q = req_add("vm1", CTL_SOURCE_SIM, "");
	tc_expect_error(&t, &q, PROTO_ERR_ALREADY_EXISTS,
			"device id vm1 is already in use; choose another id or remove that "
			"device first");
	q = req_add("vm2", CTL_SOURCE_SIM, "size=lots");
	tc_expect_error(&t, &q, PROTO_ERR_INVALID_ARGUMENT, "device vm2: bad sim spec 'size=lots'");
	q = req_add("a@b", CTL_SOURCE_SIM, "");
	tc_expect_error(&t, &q, PROTO_ERR_INVALID_ARGUMENT, "'a@b' is not a valid device id");
	ck_assert_ptr_null(registry_find(T.reg, "vm2"));
	tc_close(&t);
}
END_TEST

/* Ids derived when none is given: numbered sims, and names taken from what was given. */
START_TEST(test_device_add_derived_ids)
{
	struct tclient t;
	struct ctl_reply rep;
	struct ctl_request q;

	tc_open(&t);
	tenv_add_sim("sim1", "size=4K");
	rep = call_ok(&t, req_add("", CTL_SOURCE_SIM, "size=4K"), CTL_RESULT_DEVICE);
	ck_assert_str_eq(rep.u.device.id, "sim0");
	rep = call_ok(&t, req_add("", CTL_SOURCE_SIM, "size=4K"), CTL_RESULT_DEVICE);
	ck_assert_str_eq(rep.u.device.id, "sim2");
	/* vfio names cannot be opened here; the error names the id that was derived */
	q = req_add("", CTL_SOURCE_PCI, "0000:3b:00.1");
	tc_call(&t, &q, &rep);
	ck_assert_uint_ne(rep.error.code, PROTO_ERR_OK);
	ck_assert_str_eq(rep.error.device, "0000:3b:00.1");
	q = req_add("", CTL_SOURCE_MDEV, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	tc_call(&t, &q, &rep);
	ck_assert_str_eq(rep.error.device, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	q = req_add("", CTL_SOURCE_PATH, "/dev/vfio/12:0000:3b:00.2");
	tc_call(&t, &q, &rep);
	ck_assert_str_eq(rep.error.device, "0000:3b:00.2");
	q = req_add("", CTL_SOURCE_PATH, "/dev/vfio/12");
	tc_call(&t, &q, &rep);
	ck_assert_str_eq(rep.error.device, "group12");
	tenv_add_sim("vfio7", "size=4K");
	q = req_add("", CTL_SOURCE_PATH, "/dev/vfio/devices/vfio7");
	tc_call(&t, &q, &rep);
	ck_assert_str_eq(rep.error.device, "vfio7-1");
	tc_close(&t);
}
END_TEST

START_TEST(test_device_add_missing_path)
{
	struct tclient t;
	struct ctl_request q = req_add("gone", CTL_SOURCE_PATH, "/dev/vfio/devices/vfio4242");
	struct ctl_reply rep;

	tc_open(&t);
	tc_call(&t, &q, &rep);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_NOT_FOUND);
	ck_assert_msg(strstr(rep.error.message, "device gone: ") &&
			      strstr(rep.error.message, "/dev/vfio/devices/vfio4242"),
		      "%s", rep.error.message);
	ck_assert_str_eq(rep.error.device, "gone");
	ck_assert_ptr_null(registry_find(T.reg, "gone"));
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

/* /dev/null passed as a device fd: a clean error, and the daemon's copy of the fd is closed. */
START_TEST(test_device_add_fd)
{
	struct tclient t;
	struct ctl_request q = req_add("byfd", CTL_SOURCE_FD, "");
	struct ctl_reply rep;
	uint8_t *buf;
	size_t len;
	int before, fd;

	tc_open(&t);
	tc_hello_ok(&t); /* the server has accepted: its end is counted too */
	before = tcount_fds();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	q.fd_count = 1;
	q.serial = 41;
	ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
	tc_send_fds(&t, buf, len, &fd, 1);
	close(fd);
	free(buf);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, 41);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_INVALID_ARGUMENT);
	ck_assert_msg(strstr(rep.error.message, "the fd passed is not a VFIO device"), "%s",
		      rep.error.message);
	ck_assert_int_eq(tcount_fds(), before);
	ck_assert_ptr_null(registry_find(T.reg, "byfd"));
	/* derived ids for fds are numbered */
	q = req_add("", CTL_SOURCE_FD, "");
	q.fd_count = 1;
	q.serial = 42;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
	tc_send_fds(&t, buf, len, &fd, 1);
	close(fd);
	free(buf);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_str_eq(rep.error.device, "fd0");
	ck_assert_int_eq(tcount_fds(), before);
	tc_close(&t);
}
END_TEST

START_TEST(test_device_remove)
{
	struct tclient t;
	struct ctl_request q;
	size_t bad;
	const char *gpu0[] = { "gpu0" };

	tc_open(&t);
	call_ok(&t, req_dev(CTL_OP_DEVICE_REMOVE, "nic0"), CTL_RESULT_NONE);
	ck_assert_ptr_null(registry_find(T.reg, "nic0"));
	tlog_expect("device nic0 removed", NULL);
	q = req_dev(CTL_OP_DEVICE_REMOVE, "nic0");
	tc_expect_error(&t, &q, PROTO_ERR_NOT_FOUND,
			"device 'nic0' not found; 'vfio-migctl device list' shows the devices");
	ck_assert_int_eq(registry_claim(T.reg, gpu0, 1, 7, &bad), 0);
	q = req_dev(CTL_OP_DEVICE_REMOVE, "gpu0");
	tc_expect_error(&t, &q, PROTO_ERR_BUSY,
			"device gpu0 is held by job 7 and cannot be removed; cancel the job or "
			"wait for it");
	ck_assert_ptr_nonnull(registry_find(T.reg, "gpu0"));
	/* re-adding an id that was removed works */
	call_ok(&t, req_add("nic0", CTL_SOURCE_SIM, "size=4K"), CTL_RESULT_DEVICE);
	tc_close(&t);
}
END_TEST

START_TEST(test_set_state_arcs)
{
	struct tclient t;
	struct ctl_request q;

	tc_open(&t);
	expect_state(&t, "gpu0", FSM_STOP);
	tlog_expect("device gpu0: RUNNING -> STOP", NULL);
	expect_state(&t, "gpu0", FSM_STOP_COPY);
	/* the blocked arc: nothing is touched */
	q = req_state("gpu0", FSM_PRE_COPY);
	tc_expect_error(&t, &q, PROTO_ERR_INVALID_ARGUMENT,
			"device gpu0: STOP_COPY -> PRE_COPY refused");
	ck_assert_int_eq(device_state(registry_find(T.reg, "gpu0")), FSM_STOP_COPY);
	expect_state(&t, "gpu0", FSM_STOP);
	expect_state(&t, "gpu0", FSM_RUNNING);
	expect_state(&t, "gpu0", FSM_PRE_COPY_P2P);
	expect_state(&t, "gpu0", FSM_RUNNING);
	expect_state(&t, "gpu0", FSM_RUNNING);
	/* a state the device does not support */
	q = req_state("nic0", FSM_RUNNING_P2P);
	tc_expect_error(&t, &q, PROTO_ERR_INVALID_ARGUMENT, "device nic0: RUNNING -> RUNNING_P2P");
	q = req_state("x1", FSM_STOP);
	tc_expect_error(&t, &q, PROTO_ERR_NOT_FOUND, "device 'x1' not found");
	tc_close(&t);
}
END_TEST

/* A failing arc: the reply says which arc failed and that the device was recovered. */
START_TEST(test_set_state_failure)
{
	struct tclient t;
	struct ctl_request q;
	size_t bad;
	const char *gpu0[] = { "gpu0" };

	tenv_add_sim("bad0", "size=4K,flags=stop_copy,fail_arc=RUNNING>STOP,fail_errno=EIO");
	tc_open(&t);
	q = req_state("bad0", FSM_STOP);
	tc_expect_error(&t, &q, PROTO_ERR_DEVICE_FAILED,
			"device bad0: RUNNING -> STOP failed: arc RUNNING -> STOP failed "
			"(Input/output error); device is RUNNING; the device was brought back to "
			"its state before the request");
	ck_assert_int_eq(device_state(registry_find(T.reg, "bad0")), FSM_RUNNING);
	/* held by a job: refused without touching the device */
	ck_assert_int_eq(registry_claim(T.reg, gpu0, 1, 9, &bad), 0);
	q = req_state("gpu0", FSM_STOP);
	tc_expect_error(&t, &q, PROTO_ERR_BUSY, "device gpu0 is held by job 9");
	ck_assert_int_eq(device_state(registry_find(T.reg, "gpu0")), FSM_RUNNING);
	tc_close(&t);
}
END_TEST

/* ERROR as a target never decodes: the client broke the protocol and is closed. */
START_TEST(test_set_state_error_target)
{
	Vmig__Request rq = VMIG__REQUEST__INIT;
	Vmig__DeviceSetState ss = VMIG__DEVICE_SET_STATE__INIT;
	struct tclient t, other;
	struct ctl_reply rep;
	uint8_t body[64], *f;
	size_t len, blen;

	rq.has_serial = 1;
	rq.serial = 9;
	rq.op_case = VMIG__REQUEST__OP_DEVICE_SET_STATE;
	rq.device_set_state = &ss;
	ss.id = "gpu0";
	ss.has_state = 1;
	ss.state = VMIG__DEVICE_STATE__DEVICE_STATE_ERROR;
	blen = protobuf_c_message_pack(&rq.base, body);
	tc_open(&t);
	tc_open(&other);
	f = tframe(FRAME_CTL_REQUEST, 0, (uint32_t)blen, body, blen, &len);
	tc_send(&t, f, len);
	free(f);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, 9);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_PROTOCOL);
	ck_assert_msg(strstr(rep.error.message,
			     "request 9 is invalid: device_set_state.state: 0 is outside 1..7"),
		      "%s", rep.error.message);
	ck_assert(tc_eof(&t, TWAIT_MS));
	tlog_expect("control: client pid=", "request 9 is invalid", "closing the connection", NULL);
	ck_assert_int_eq(device_state(registry_find(T.reg, "gpu0")), FSM_RUNNING);
	tc_hello_ok(&other);
	tc_close(&t);
	tc_close(&other);
}
END_TEST

/* ---- peers ---- */

static void sample_info(struct ctl_peer_info *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->address, "10.0.0.2:7400");
	p->state = CTL_PEER_READY;
	p->outgoing = true;
	strcpy(p->identity, "dns:dst.test");
	memset(p->fingerprint, 'a', CTL_FINGERPRINT_LEN);
	p->protocol_version = 1;
	p->features = 7;
	strcpy(p->host_identity, "dst");
	strcpy(p->software, "vfio-migd 0.1.0");
	p->rtt_us = 120;
	p->ktls_tx = true;
	p->connected_at_ms = 1700000000000ull;
}

static struct ctl_request req_connect(const char *address, const char *expect)
{
	struct ctl_request q = req(CTL_OP_PEER_CONNECT);

	strcpy(q.u.peer_connect.address, address);
	strcpy(q.u.peer_connect.expect_host, expect);
	return q;
}

/* The reply comes when the env completes, not before; requests in between are answered. */
START_TEST(test_peer_connect_async)
{
	struct tclient t;
	struct ctl_request q = req_connect("10.0.0.2:7400", "dst.test");
	struct ctl_peer_info info;
	struct ctl_reply rep;

	tc_open(&t);
	tc_request(&t, &q);
	ck_assert_int_eq(tc_reply(&t, &rep, 100), -ETIMEDOUT);
	ck_assert_int_eq(T.n_pend, 1);
	ck_assert_str_eq(T.pend[0].address, "10.0.0.2:7400");
	ck_assert_str_eq(T.pend[0].expect_host, "dst.test");
	tc_hello_ok(&t);
	sample_info(&info);
	tenv_complete(0, 0, NULL, &info);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, q.serial);
	ck_assert_uint_eq(rep.result, CTL_RESULT_PEER);
	ck_assert_str_eq(rep.u.peer.identity, "dns:dst.test");
	ck_assert_int_eq(rep.u.peer.rtt_us, 120);
	ck_assert_uint_eq(rep.u.peer.state, CTL_PEER_READY);

	/* failures: each with the code that fits, the message as given */
	q = req_connect("10.0.0.3:7400", "");
	tc_request(&t, &q);
	tpump(20);
	ck_assert_str_eq(T.pend[0].expect_host, "(none)");
	tenv_complete(0, -ECONNREFUSED, "peer 10.0.0.3:7400: connect: Connection refused", NULL);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_PEER_UNREACHABLE);
	ck_assert_str_eq(rep.error.message, "peer 10.0.0.3:7400: connect: Connection refused");
	q = req_connect("10.0.0.4:7400", "");
	tc_request(&t, &q);
	tpump(20);
	tenv_complete(0, -EACCES, "peer 10.0.0.4:7400: certificate not on the allow-list", NULL);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_TLS_FAILED);
	/* the env refuses at once */
	T.connect_result = -ENOMEM;
	q = req_connect("10.0.0.5:7400", "");
	tc_expect_error(&t, &q, PROTO_ERR_RESOURCE_EXHAUSTED,
			"peer 10.0.0.5:7400: cannot start connecting: Cannot allocate memory");
	tc_close(&t);
}
END_TEST

/* The client leaves, or the server goes, before the connect completes: nothing breaks. */
START_TEST(test_peer_connect_client_gone)
{
	struct tclient t, other;
	struct ctl_request q = req_connect("10.0.0.2:7400", "");
	struct ctl_peer_info info;
	struct control_options o;
	char err[256];

	sample_info(&info);
	tc_open(&t);
	tc_open(&other);
	tc_request(&t, &q);
	tpump(20);
	ck_assert_int_eq(T.n_pend, 1);
	tc_close(&t);
	tpump(50);
	tlog_expect("disconnected", NULL);
	tenv_complete(0, 0, NULL, &info);
	tlog_expect("the reply to request 1 peer_connect is dropped: its client has gone", NULL);
	tc_hello_ok(&other);
	/* the server is freed with a call in flight; the completion comes afterwards */
	q = req_connect("10.0.0.3:7400", "");
	tc_request(&other, &q);
	tpump(20);
	ck_assert_int_eq(T.n_pend, 1);
	control_server_free(T.srv);
	T.srv = NULL;
	tenv_complete(0, -ECANCELED, "daemon shutting down", NULL);
	tc_close(&other);
	tenv_options(&o);
	ck_assert_int_eq(tenv_restart(&o, err, sizeof(err)), 0);
}
END_TEST

/* At most CONTROL_CALLS_MAX requests wait at once per client. */
START_TEST(test_calls_max)
{
	struct tclient t;
	struct ctl_request q;

	tc_open(&t);
	for (int i = 0; i < CONTROL_CALLS_MAX; i++) {
		q = req_connect("10.0.0.2:7400", "");
		tc_request(&t, &q);
	}
	tpump(50);
	ck_assert_int_eq(T.n_pend, CONTROL_CALLS_MAX);
	q = req_connect("10.0.0.2:7400", "");
	tc_expect_error(&t, &q, PROTO_ERR_RESOURCE_EXHAUSTED,
			"16 requests of this connection are still waiting for their replies");
	while (T.n_pend) {
		struct ctl_reply rep;

		tenv_complete(0, -ETIMEDOUT, "peer 10.0.0.2:7400: handshake timed out", NULL);
		ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
		ck_assert_uint_eq(rep.error.code, PROTO_ERR_TIMEOUT);
	}
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

START_TEST(test_peer_list)
{
	struct tclient t;
	struct ctl_reply rep;
	struct ctl_request q = req(CTL_OP_PEER_LIST);
	struct control_options o;
	char err[256];

	tc_open(&t);
	rep = call_ok(&t, req(CTL_OP_PEER_LIST), CTL_RESULT_PEER_LIST);
	ck_assert_uint_eq(rep.u.peer_list.n_peers, 2);
	ck_assert_str_eq(rep.u.peer_list.peers[0].address, "10.0.0.2:7400");
	ck_assert_int_eq(rep.u.peer_list.peers[1].rtt_us, -1);
	ck_assert_uint_eq(rep.u.peer_list.peers[1].state, CTL_PEER_TLS_HANDSHAKE);
	ctl_reply_clear(&rep);
	tc_close(&t);
	/* a daemon without peer links */
	T.env.peer_list = NULL;
	T.env.peer_connect = NULL;
	tenv_options(&o);
	ck_assert_int_eq(tenv_restart(&o, err, sizeof(err)), 0);
	tc_open(&t);
	tc_expect_error(&t, &q, PROTO_ERR_UNSUPPORTED, "peer links are not available");
	q = req_connect("10.0.0.2:7400", "");
	tc_expect_error(&t, &q, PROTO_ERR_UNSUPPORTED, "peer links are not available");
	tc_close(&t);
}
END_TEST

/* A client that sends a request and shuts down its side still gets the reply. */
START_TEST(test_half_close)
{
	struct tclient t;
	struct ctl_request q = req_connect("10.0.0.2:7400", "");
	struct ctl_peer_info info;
	struct ctl_reply rep;

	tc_open(&t);
	tc_request(&t, &q);
	shutdown(t.fd, SHUT_WR);
	tpump(50);
	ck_assert_int_eq(T.n_pend, 1);
	sample_info(&info);
	tenv_complete(0, 0, NULL, &info);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.result, CTL_RESULT_PEER);
	ck_assert(tc_eof(&t, TWAIT_MS));
	tc_close(&t);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("ops");

	tcase_add_checked_fixture(tc, tenv_setup, tenv_teardown);
	tcase_add_test(tc, test_hello);
	tcase_add_test(tc, test_daemon_info);
	tcase_add_test(tc, test_job_ops_unsupported);
	tcase_add_test(tc, test_newer_client_op);
	tcase_add_test(tc, test_device_list_info);
	tcase_add_test(tc, test_device_add_sim);
	tcase_add_test(tc, test_device_add_derived_ids);
	tcase_add_test(tc, test_device_add_missing_path);
	tcase_add_test(tc, test_device_add_fd);
	tcase_add_test(tc, test_device_remove);
	tcase_add_test(tc, test_set_state_arcs);
	tcase_add_test(tc, test_set_state_failure);
	tcase_add_test(tc, test_set_state_error_target);
	tcase_add_test(tc, test_peer_connect_async);
	tcase_add_test(tc, test_peer_connect_client_gone);
	tcase_add_test(tc, test_calls_max);
	tcase_add_test(tc, test_peer_list);
	tcase_add_test(tc, test_half_close);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, control_wire_tcase());
	suite_add_tcase(s, control_socket_tcase());
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
