/*
 * test_proto_request.c - ctl_request.c and ctl_job.c: round trip of every operation and
 * device source, every rule refused on encode (-EINVAL) and on decode (-EPROTO, built with
 * protobuf-c directly, around our encoder), newer-client operations, the serial peek, and
 * the largest valid request fitting its frame.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "ctl_request.h"
#include "frame.h"
#include "test_proto_util.h"

static uint8_t *encode_ok(const struct ctl_request *q, size_t *len)
{
	uint8_t *buf = NULL;

	ck_assert_msg(ctl_request_encode(q, &buf, len) == 0, "encode: %s", proto_last_error());
	return buf;
}

static void round_trip(const struct ctl_request *q)
{
	struct ctl_request d;
	size_t len, len2, blen;
	uint8_t *buf = encode_ok(q, &len), *buf2;
	const uint8_t *body = frame_body(buf, len, FRAME_CTL_REQUEST, &blen);

	ck_assert_msg(ctl_request_decode(body, blen, &d) == 0, "decode %s: %s",
		      ctl_request_op_name(q->op), proto_last_error());
	expect_request_eq(q, &d);
	/* the decoded struct encodes to the same bytes: nothing is lost or added */
	buf2 = encode_ok(&d, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(buf, buf2, len);
	ctl_request_clear(&d);
	free(buf);
	free(buf2);
}

START_TEST(test_round_trip_every_op)
{
	struct ctl_request q;

	for (size_t i = 0; i < n_all_ops; i++) {
		sample_request(&q, all_ops[i]);
		round_trip(&q);
		ctl_request_clear(&q);
	}
}
END_TEST

START_TEST(test_device_sources)
{
	static const struct {
		uint32_t source;
		const char *spec;
		uint32_t fd_count, fd_index;
	} ok[] = {
		{ CTL_SOURCE_PATH, "/sys/bus/pci/devices/0000:3b:00.1", 0, 0 },
		{ CTL_SOURCE_PCI, "0000:3b:00.1", 0, 0 },
		{ CTL_SOURCE_PCI, "ffff:ff:1f.7", 0, 0 },
		{ CTL_SOURCE_MDEV, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001", 0, 0 },
		{ CTL_SOURCE_SIM, "size=64M,dirty=1M,pre_copy=1,p2p=1", 0, 0 },
		{ CTL_SOURCE_SIM, "", 0, 0 },
		{ CTL_SOURCE_FD, "", 1, 0 },
		{ CTL_SOURCE_FD, "", PROTO_FDS_MAX, PROTO_FDS_MAX - 1 },
	};
	struct ctl_request q;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sample_request(&q, CTL_OP_DEVICE_ADD);
		q.u.device_add.source = ok[i].source;
		strcpy(q.u.device_add.spec, ok[i].spec);
		q.fd_count = ok[i].fd_count;
		q.u.device_add.fd_index = ok[i].fd_index;
		round_trip(&q);
	}
	/* no id: the daemon derives one */
	sample_request(&q, CTL_OP_DEVICE_ADD);
	q.u.device_add.id[0] = '\0';
	round_trip(&q);
}
END_TEST

static void expect_einval(const struct ctl_request *q, const char *reason)
{
	uint8_t *buf = (uint8_t *)&buf;
	size_t len = 77;

	ck_assert_int_eq(ctl_request_encode(q, &buf, &len), -EINVAL);
	ck_assert_ptr_eq(buf, (uint8_t *)&buf);
	ck_assert_uint_eq(len, 77);
	expect_reason(reason);
}

/*
 * Takes a sample of op, applies stmt to q, and expects encoding to fail naming reason. A
 * migrate gets its device count back so that clearing frees all of its metadata.
 */
#define BAD(op, stmt, reason)                      \
	do {                                       \
		struct ctl_request q;              \
		sample_request(&q, op);            \
		stmt;                              \
		expect_einval(&q, reason);         \
		if (op == CTL_OP_MIGRATE)          \
			q.u.migrate.n_devices = 2; \
		ctl_request_clear(&q);             \
	} while (0)

#define DA q.u.device_add
#define MG q.u.migrate

START_TEST(test_encode_refuses_envelope)
{
	BAD(CTL_OP_JOB_LIST, q.serial = 0, "serial: missing");
	BAD(CTL_OP_JOB_LIST, q.op = 9, "op: 9");
	BAD(CTL_OP_JOB_LIST, q.op = CTL_OP_MAX + 1, "op: 30");
	BAD(CTL_OP_JOB_LIST, q.op = 0, "op: 0");
	BAD(CTL_OP_JOB_LIST, q.fd_count = 1, "takes no fd");
	BAD(CTL_OP_HELLO, q.u.hello.version = 0, "version");
	BAD(CTL_OP_HELLO, q.u.hello.min_version = 2, "min_version");
	BAD(CTL_OP_HELLO, q.u.hello.min_version = 0, "min_version");
	BAD(CTL_OP_HELLO, strcpy(q.u.hello.name, "two\nlines"), "name: not UTF-8");
	BAD(CTL_OP_HELLO, fill(q.u.hello.name, PROTO_NAME_MAX + 1, 'n'), "name: longer");
}
END_TEST

START_TEST(test_encode_refuses_device_ops)
{
	BAD(CTL_OP_DEVICE_ADD, strcpy(DA.id, "bad id"), "id: not id");
	BAD(CTL_OP_DEVICE_ADD, fill(DA.id, PROTO_ID_MAX + 1, 'a'), "id: longer than 63");
	BAD(CTL_OP_DEVICE_ADD, DA.source = 0, "source: 0");
	BAD(CTL_OP_DEVICE_ADD, DA.source = 7, "source: 7");
	BAD(CTL_OP_DEVICE_ADD, strcpy(DA.spec, "dev/vfio/3"), "not absolute");
	BAD(CTL_OP_DEVICE_ADD, DA.spec[0] = '\0', "path: missing");
	BAD(CTL_OP_DEVICE_ADD, (fill(DA.spec, PROTO_PATH_MAX + 1, 'p'), DA.spec[0] = '/'),
	    "path: longer");
	BAD(CTL_OP_DEVICE_ADD, strcpy(DA.spec, "/dev/\x7f"), "path: not UTF-8");
	BAD(CTL_OP_DEVICE_ADD, strcpy(DA.spec, "/dev/\xc3\x28"), "path: not UTF-8");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_PCI, strcpy(DA.spec, "0000:3b:00.8")),
	    "pci_address: not PCI");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_PCI, strcpy(DA.spec, "0000:3B:00.1")),
	    "pci_address");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_PCI, strcpy(DA.spec, "0000:3b:20.1")),
	    "pci_address");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_PCI, strcpy(DA.spec, "3b:00.1")),
	    "pci_address");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_PCI, strcpy(DA.spec, "0000:3b:00.10")),
	    "pci_address: longer");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_MDEV, strcpy(DA.spec, "not-a-uuid")),
	    "mdev_uuid: not lower-case UUID");
	BAD(CTL_OP_DEVICE_ADD,
	    (DA.source = CTL_SOURCE_MDEV, strcpy(DA.spec, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001")),
	    "mdev_uuid");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_SIM, fill(DA.spec, PROTO_SPEC_MAX + 1, 's')),
	    "sim_spec: longer");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_SIM, strcpy(DA.spec, "a\tb")), "sim_spec");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_FD, q.fd_count = 1), "takes no spec");
	BAD(CTL_OP_DEVICE_ADD,
	    (DA.source = CTL_SOURCE_FD, DA.spec[0] = 0, q.fd_count = 1, DA.fd_index = 1),
	    "fd.index: 1, but fd_count is 1");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_FD, DA.spec[0] = 0), "fd_count is 0");
	BAD(CTL_OP_DEVICE_ADD, (DA.source = CTL_SOURCE_FD, DA.spec[0] = 0, q.fd_count = 9),
	    "fd_count: 9");
	BAD(CTL_OP_DEVICE_ADD, q.fd_count = 1, "takes no fd");
	BAD(CTL_OP_DEVICE_REMOVE, q.u.device.id[0] = 0, "id: missing");
	BAD(CTL_OP_DEVICE_INFO, strcpy(q.u.device.id, "a/b"), "id: not id");
	BAD(CTL_OP_DEVICE_SET_STATE, q.u.set_state.state = 0, "state: 0");
	BAD(CTL_OP_DEVICE_SET_STATE, q.u.set_state.state = 8, "state: 8");
	BAD(CTL_OP_DEVICE_SET_STATE, q.u.set_state.id[0] = 0, "id: missing");
}
END_TEST

START_TEST(test_encode_refuses_prepare)
{
#define PI q.u.prepare
	BAD(CTL_OP_PREPARE_INCOMING, PI.source_identity[0] = 0, "source_identity: missing");
	BAD(CTL_OP_PREPARE_INCOMING, strcpy(PI.source_identity, "\xff"), "source_identity");
	BAD(CTL_OP_PREPARE_INCOMING, fill(PI.source_identity, PROTO_ADDR_MAX + 1, 'i'),
	    "source_identity: longer");
	BAD(CTL_OP_PREPARE_INCOMING, PI.n_devices = 0, "devices: 0 is outside 1..32");
	BAD(CTL_OP_PREPARE_INCOMING, PI.n_devices = 33, "devices: 33");
	BAD(CTL_OP_PREPARE_INCOMING, strcpy(PI.devices[1], "vf0"), "devices[1]: \"vf0\" repeats");
	BAD(CTL_OP_PREPARE_INCOMING, PI.devices[1][0] = 0, "devices[1].id: missing");
	BAD(CTL_OP_PREPARE_INCOMING, PI.expiry_s = PROTO_EXPIRY_MAX_S + 1, "expiry_s");
#undef PI
}
END_TEST

START_TEST(test_prepare_limits_pass)
{
	struct ctl_request q;
	struct ctl_prepare_incoming *p = &q.u.prepare;

	sample_request(&q, CTL_OP_PREPARE_INCOMING);
	p->n_devices = PROTO_JOB_DEVICES_MAX;
	for (uint32_t i = 0; i < PROTO_JOB_DEVICES_MAX; i++)
		snprintf(p->devices[i], sizeof(p->devices[i]), "d%u", i);
	p->expiry_s = PROTO_EXPIRY_MAX_S;
	fill(p->source_identity, PROTO_ADDR_MAX, 'x');
	round_trip(&q);
}
END_TEST

START_TEST(test_encode_refuses_migrate)
{

	BAD(CTL_OP_MIGRATE, MG.peer[0] = 0, "peer: missing");
	BAD(CTL_OP_MIGRATE, strcpy(MG.peer, "host name:1"), "peer: not printable ASCII");
	BAD(CTL_OP_MIGRATE, fill(MG.peer, PROTO_ADDR_MAX + 1, 'h'), "peer: longer");
	BAD(CTL_OP_MIGRATE, MG.token[0] = 0, "token: missing");
	BAD(CTL_OP_MIGRATE, fill(MG.token, PROTO_TOKEN_MAX + 1, 't'), "token: longer");
	BAD(CTL_OP_MIGRATE, strcpy(MG.token, "t\xc3\xa9"), "token: not printable");
	BAD(CTL_OP_MIGRATE, MG.n_devices = 0, "devices: 0");
	BAD(CTL_OP_MIGRATE, MG.n_devices = 33, "devices: 33");
	BAD(CTL_OP_MIGRATE, strcpy(MG.devices[1].source_id, "gpu0"), "source_id[1]: \"gpu0\"");
	BAD(CTL_OP_MIGRATE, strcpy(MG.devices[1].target_id, "vf0"), "target_id[1]: \"vf0\"");
	BAD(CTL_OP_MIGRATE, MG.devices[1].source_id[0] = 0, "devices[1].source_id: missing");
	BAD(CTL_OP_MIGRATE, strcpy(MG.devices[0].target_id, "v f"), "devices[0].target_id");
	BAD(CTL_OP_MIGRATE, MG.devices[1].metadata_len = PROTO_METADATA_MAX + 1,
	    "devices[1].metadata: 1048577 is outside 0..1048576");
	BAD(CTL_OP_MIGRATE, (free(MG.devices[1].metadata), MG.devices[1].metadata = NULL),
	    "devices[1].metadata: NULL with a length");
	BAD(CTL_OP_MIGRATE, MG.switchover = 2, "switchover: 2");
	BAD(CTL_OP_MIGRATE, MG.resume = 2, "resume: 2");
}
END_TEST

/* Five devices of 1 MiB each: every one is fine, the sum is not. */
START_TEST(test_encode_refuses_metadata_sum)
{
	uint8_t *mib = pattern(PROTO_METADATA_MAX, 9);
	struct ctl_request q;
	struct ctl_migrate *m = &q.u.migrate;

	sample_request(&q, CTL_OP_MIGRATE);
	for (uint32_t i = 0; i < 2; i++)
		free(m->devices[i].metadata);
	m->n_devices = 5;
	for (uint32_t i = 0; i < 5; i++) {
		snprintf(m->devices[i].source_id, sizeof(m->devices[i].source_id), "s%u", i);
		snprintf(m->devices[i].target_id, sizeof(m->devices[i].target_id), "t%u", i);
		m->devices[i].metadata = mib;
		m->devices[i].metadata_len = PROTO_METADATA_MAX;
	}
	expect_einval(&q, "devices.metadata (total): 5242880 is outside 0..4194304");
	/* not cleared: the five entries share one buffer */
	free(mib);
}
END_TEST

START_TEST(test_encode_refuses_job_ops)
{
	static const uint32_t ops[] = { CTL_OP_JOB_STATUS, CTL_OP_JOB_CANCEL, CTL_OP_JOB_SWITCHOVER,
					CTL_OP_JOB_RESUME };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		BAD(ops[i], q.u.job.job_id = 0, "job_id: missing");
	BAD(CTL_OP_JOB_SET_BANDWIDTH, q.u.bandwidth.job_id = 0, "job_id: missing");
	BAD(CTL_OP_JOB_WAIT, q.u.wait.job_id = 0, "job_id: missing");
	BAD(CTL_OP_JOB_METADATA, q.u.job_metadata.job_id = 0, "job_id: missing");
	BAD(CTL_OP_JOB_METADATA, q.u.job_metadata.device[0] = 0, "device: missing");
	BAD(CTL_OP_JOB_METADATA, strcpy(q.u.job_metadata.device, "a b"), "device");
	BAD(CTL_OP_JOB_METADATA, fill(q.u.job_metadata.device, PROTO_ID_MAX + 1, 'd'), "device");
	BAD(CTL_OP_JOB_METADATA, q.fd_count = 1, "fd_count: 1, but job_metadata takes no fd");
}
END_TEST

#define PC q.u.peer_connect

START_TEST(test_encode_refuses_peer_ops)
{
	BAD(CTL_OP_PEER_CONNECT, PC.address[0] = 0, "address: missing");
	BAD(CTL_OP_PEER_CONNECT, strcpy(PC.address, "host b:7400"), "address: not printable ASCII");
	BAD(CTL_OP_PEER_CONNECT, fill(PC.address, PROTO_ADDR_MAX + 1, 'a'), "address: longer");
	BAD(CTL_OP_PEER_CONNECT, strcpy(PC.expect_host, "hÃ©"), "expect_host: not printable");
	BAD(CTL_OP_PEER_CONNECT, fill(PC.expect_host, PROTO_ADDR_MAX + 1, 'e'),
	    "expect_host: longer");
	BAD(CTL_OP_PEER_CONNECT, q.fd_count = 1, "fd_count: 1, but peer_connect takes no fd");
	BAD(CTL_OP_PEER_LIST, q.fd_count = 2, "fd_count: 2, but peer_list takes no fd");
}
END_TEST

/* Without expect_host, and with both strings at their limits. */
START_TEST(test_peer_connect_limits_pass)
{
	struct ctl_request q;

	sample_request(&q, CTL_OP_PEER_CONNECT);
	PC.expect_host[0] = '\0';
	round_trip(&q);
	fill(PC.address, PROTO_ADDR_MAX, 'a');
	fill(PC.expect_host, PROTO_ADDR_MAX, 'e');
	round_trip(&q);
}
END_TEST

#undef PC

/* Subscribing to every job (0) is fine, and so is lifting a cap (0). */
START_TEST(test_job_zero_values_pass)
{
	struct ctl_request q;

	sample_request(&q, CTL_OP_SUBSCRIBE);
	q.u.subscribe.job_id = 0;
	round_trip(&q);
	sample_request(&q, CTL_OP_JOB_SET_BANDWIDTH);
	q.u.bandwidth.bandwidth_bps = 0;
	round_trip(&q);
}
END_TEST

/* ---- decoding what our encoder would never produce ---- */

static void expect_decode(const ProtobufCMessage *m, int err, const char *reason)
{
	struct ctl_request q, before;
	size_t len;
	uint8_t *buf = pb_pack(m, &len);
	int r;

	memset(&q, 0x6b, sizeof(q));
	before = q;
	r = ctl_request_decode(buf, len, &q);
	free(buf);
	ck_assert_msg(r == err, "decode gave %d, want %d (%s)", r, err, proto_last_error());
	if (err < 0)
		ck_assert_mem_eq(&q, &before, sizeof(q));
	else
		ctl_request_clear(&q);
	if (reason)
		expect_reason(reason);
}

START_TEST(test_decode_envelope)
{
	Vmig__Request rq = VMIG__REQUEST__INIT;
	Vmig__Empty empty = VMIG__EMPTY__INIT;
	Vmig__JobRef job = VMIG__JOB_REF__INIT;
	struct ctl_request q;

	/* an empty body is a Request without serial */
	ck_assert_int_eq(ctl_request_decode(NULL, 0, &q), -EPROTO);
	expect_reason("serial: missing");
	rq.has_serial = 1;
	rq.serial = 5;
	expect_decode(&rq.base, -EPROTO, "op: missing");
	rq.op_case = VMIG__REQUEST__OP_JOB_LIST;
	rq.job_list = &empty;
	expect_decode(&rq.base, 0, NULL);
	rq.serial = 0;
	expect_decode(&rq.base, -EPROTO, "serial: missing");
	rq.serial = 5;
	rq.has_fd_count = 1;
	rq.fd_count = 2;
	expect_decode(&rq.base, -EPROTO, "fd_count: 2, but job_list takes no fd");
	rq.has_fd_count = 0;
	rq.op_case = VMIG__REQUEST__OP_JOB_CANCEL;
	rq.job_cancel = &job;
	expect_decode(&rq.base, -EPROTO, "job_cancel.job_id: missing");
	job.has_job_id = 1;
	expect_decode(&rq.base, -EPROTO, "job_cancel.job_id: missing");
	job.job_id = 3;
	expect_decode(&rq.base, 0, NULL);
}
END_TEST

START_TEST(test_decode_device_ops)
{
	Vmig__Request rq = VMIG__REQUEST__INIT;
	Vmig__DeviceAdd add = VMIG__DEVICE_ADD__INIT;
	Vmig__FdSource fd = VMIG__FD_SOURCE__INIT;
	Vmig__DeviceSetState ss = VMIG__DEVICE_SET_STATE__INIT;

	rq.has_serial = 1;
	rq.serial = 1;
	rq.op_case = VMIG__REQUEST__OP_DEVICE_ADD;
	rq.device_add = &add;
	expect_decode(&rq.base, -EPROTO, "device_add.source: missing");
	add.source_case = VMIG__DEVICE_ADD__SOURCE_FD;
	add.fd = &fd;
	rq.has_fd_count = 1;
	rq.fd_count = 1;
	expect_decode(&rq.base, -EPROTO, "device_add.fd.index: missing");
	fd.has_index = 1;
	expect_decode(&rq.base, 0, NULL);
	rq.fd_count = 0;
	expect_decode(&rq.base, -EPROTO, "fd.index: 0, but fd_count is 0");
	add.source_case = VMIG__DEVICE_ADD__SOURCE_PCI_ADDRESS;
	add.pci_address = "0000:00:02.0";
	expect_decode(&rq.base, 0, NULL);
	add.pci_address = "0000:00:02.0 ";
	expect_decode(&rq.base, -EPROTO, "device_add.pci_address");
	add.source_case = VMIG__DEVICE_ADD__SOURCE_PATH;
	add.path = "relative";
	expect_decode(&rq.base, -EPROTO, "not absolute");

	rq.op_case = VMIG__REQUEST__OP_DEVICE_SET_STATE;
	rq.device_set_state = &ss;
	ss.id = "nic0";
	expect_decode(&rq.base, -EPROTO, "device_set_state.state: missing");
	ss.has_state = 1;
	expect_decode(&rq.base, -EPROTO, "state: 0 is outside 1..7");
	ss.state = (Vmig__DeviceState)-1;
	expect_decode(&rq.base, -EPROTO, "state");
	ss.state = (Vmig__DeviceState)99;
	expect_decode(&rq.base, -EPROTO, "state: 99");
	ss.state = VMIG__DEVICE_STATE__DEVICE_STATE_RUNNING_P2P;
	expect_decode(&rq.base, 0, NULL);
}
END_TEST

START_TEST(test_decode_job_metadata)
{
	Vmig__Request rq = VMIG__REQUEST__INIT;
	Vmig__JobMetadata jm = VMIG__JOB_METADATA__INIT;

	rq.has_serial = 1;
	rq.serial = 4;
	rq.op_case = VMIG__REQUEST__OP_JOB_METADATA;
	rq.job_metadata = &jm;
	expect_decode(&rq.base, -EPROTO, "job_metadata.job_id: missing");
	jm.has_job_id = 1;
	jm.job_id = 0;
	expect_decode(&rq.base, -EPROTO, "job_metadata.job_id: missing");
	jm.job_id = 12;
	expect_decode(&rq.base, -EPROTO, "job_metadata.device: missing");
	jm.device = "vf 0";
	expect_decode(&rq.base, -EPROTO, "job_metadata.device");
	jm.device = "vf0";
	expect_decode(&rq.base, 0, NULL);
}
END_TEST

START_TEST(test_decode_peer_ops)
{
	Vmig__Request rq = VMIG__REQUEST__INIT;
	Vmig__PeerConnect pc = VMIG__PEER_CONNECT__INIT;
	Vmig__Empty empty = VMIG__EMPTY__INIT;

	rq.has_serial = 1;
	rq.serial = 4;
	rq.op_case = VMIG__REQUEST__OP_PEER_CONNECT;
	rq.peer_connect = &pc;
	expect_decode(&rq.base, -EPROTO, "peer_connect.address: missing");
	pc.address = "";
	expect_decode(&rq.base, -EPROTO, "peer_connect.address: missing");
	pc.address = "10.0.0.2:7400";
	expect_decode(&rq.base, 0, NULL);
	pc.expect_host = "two words";
	expect_decode(&rq.base, -EPROTO, "peer_connect.expect_host: not printable ASCII");
	pc.expect_host = "dst.example.net";
	expect_decode(&rq.base, 0, NULL);
	pc.address = "\t";
	expect_decode(&rq.base, -EPROTO, "peer_connect.address");
	rq.op_case = VMIG__REQUEST__OP_PEER_LIST;
	rq.peer_list = &empty;
	expect_decode(&rq.base, 0, NULL);
	rq.has_fd_count = 1;
	rq.fd_count = 1;
	expect_decode(&rq.base, -EPROTO, "fd_count: 1, but peer_list takes no fd");
}
END_TEST

/* A migrate request built with protobuf-c, n devices with meta bytes of metadata each. */
struct pb_migrate {
	Vmig__Request rq;
	Vmig__Migrate mg;
	Vmig__DeviceMapEntry e[40];
	Vmig__DeviceMapEntry *ep[40];
	char ids[40][2][16];
};

static void pb_migrate(struct pb_migrate *f, size_t n, uint8_t *meta, size_t meta_len)
{
	vmig__request__init(&f->rq);
	vmig__migrate__init(&f->mg);
	f->rq.has_serial = 1;
	f->rq.serial = 1;
	f->rq.op_case = VMIG__REQUEST__OP_MIGRATE;
	f->rq.migrate = &f->mg;
	f->mg.peer = "10.0.0.2:7400";
	f->mg.token = "tok";
	for (size_t i = 0; i < n; i++) {
		vmig__device_map_entry__init(&f->e[i]);
		snprintf(f->ids[i][0], 16, "s%zu", i);
		snprintf(f->ids[i][1], 16, "t%zu", i);
		f->e[i].source_id = f->ids[i][0];
		f->e[i].target_id = f->ids[i][1];
		f->e[i].has_metadata = meta_len != 0;
		f->e[i].metadata.data = meta;
		f->e[i].metadata.len = meta_len;
		f->ep[i] = &f->e[i];
	}
	f->mg.n_devices = n;
	f->mg.devices = f->ep;
}

START_TEST(test_decode_migrate)
{
	struct pb_migrate f;
	uint8_t *meta = pattern(PROTO_METADATA_MAX + 1, 4);
	struct ctl_request q;
	size_t len;
	uint8_t *buf;

	pb_migrate(&f, 1, meta, 10);
	/* precopy absent on the wire means on */
	buf = pb_pack(&f.rq.base, &len);
	ck_assert_int_eq(ctl_request_decode(buf, len, &q), 0);
	ck_assert(q.u.migrate.precopy);
	ck_assert_mem_eq(q.u.migrate.devices[0].metadata, meta, 10);
	ctl_request_clear(&q);
	free(buf);

	pb_migrate(&f, 0, NULL, 0);
	expect_decode(&f.rq.base, -EPROTO, "migrate.devices: 0");
	pb_migrate(&f, 33, NULL, 0);
	expect_decode(&f.rq.base, -EPROTO, "migrate.devices: 33");
	pb_migrate(&f, 2, meta, PROTO_METADATA_MAX + 1);
	expect_decode(&f.rq.base, -EPROTO, "migrate.devices[0].metadata: 1048577 bytes");
	pb_migrate(&f, 2, meta, 5);
	f.e[1].target_id = "t0";
	expect_decode(&f.rq.base, -EPROTO, "target_id[1]: \"t0\" repeats [0]");
	pb_migrate(&f, 2, meta, 5);
	f.e[1].source_id = NULL;
	expect_decode(&f.rq.base, -EPROTO, "migrate.devices[1].source_id: missing");
	pb_migrate(&f, 2, meta, 5);
	f.mg.token = NULL;
	expect_decode(&f.rq.base, -EPROTO, "migrate.token: missing");
	pb_migrate(&f, 2, meta, 5);
	f.mg.has_switchover = 1;
	f.mg.switchover = (Vmig__SwitchoverMode)5;
	expect_decode(&f.rq.base, -EPROTO, "migrate.switchover: 5");
	pb_migrate(&f, 2, meta, 5);
	f.mg.has_resume = 1;
	f.mg.resume = (Vmig__ResumeMode)-3;
	expect_decode(&f.rq.base, -EPROTO, "migrate.resume: -3");
	/* four full devices and a small one: within the frame, beyond the 4 MiB sum */
	pb_migrate(&f, 5, meta, PROTO_METADATA_MAX);
	f.e[4].metadata.len = 100000;
	expect_decode(&f.rq.base, -EPROTO, "total");
	free(meta);
}
END_TEST

/* Raw bytes: a Request {serial 1, device_remove {id "a\0b"}}. */
START_TEST(test_decode_nul_in_string)
{
	static const uint8_t body[] = { 0x08, 0x01, 0x72, 0x05, 0x0a, 0x03, 'a', 0x00, 'b' };
	static const uint8_t ok[] = { 0x08, 0x01, 0x72, 0x05, 0x0a, 0x03, 'a', 'x', 'b' };
	struct ctl_request q;

	ck_assert_int_eq(ctl_request_decode(body, sizeof(body), &q), -EBADMSG);
	expect_reason("DeviceRef.id: string holds a NUL byte");
	ck_assert_int_eq(ctl_request_decode(ok, sizeof(ok), &q), 0);
	ck_assert_uint_eq(q.op, CTL_OP_DEVICE_REMOVE);
	ck_assert_str_eq(q.u.device.id, "axb");
}
END_TEST

START_TEST(test_newer_client_op)
{
	/* serial 77, then field 99 (an operation from the future) holding an empty message */
	static const uint8_t body[] = { 0x08, 0x4d, 0x9a, 0x06, 0x00 };
	/* the same without serial */
	static const uint8_t noserial[] = { 0x9a, 0x06, 0x00 };
	struct ctl_request q;
	uint32_t serial = 1;

	ck_assert_int_eq(ctl_request_decode(body, sizeof(body), &q), -EOPNOTSUPP);
	ck_assert_int_eq(ctl_request_peek_serial(body, sizeof(body), &serial), 0);
	ck_assert_uint_eq(serial, 77);
	ck_assert_int_eq(ctl_request_decode(noserial, sizeof(noserial), &q), -EPROTO);
	ck_assert_int_eq(ctl_request_peek_serial(noserial, sizeof(noserial), &serial), 0);
	ck_assert_uint_eq(serial, 0);
	ck_assert_int_eq(ctl_request_peek_serial((const uint8_t *)"\xff", 1, &serial), -EBADMSG);
}
END_TEST

START_TEST(test_unknown_fields_ignored)
{
	struct ctl_request q, d;
	size_t len, blen;
	uint8_t *buf, *ext;
	const uint8_t *body;
	/* field 1000, varint 5; field 1001, 3 bytes: what a newer client may add */
	static const uint8_t extra[] = { 0xc0, 0x3e, 0x05, 0xca, 0x3e, 0x03, 'n', 'e', 'w' };

	sample_request(&q, CTL_OP_JOB_WAIT);
	buf = encode_ok(&q, &len);
	body = frame_body(buf, len, FRAME_CTL_REQUEST, &blen);
	ext = malloc(blen + sizeof(extra));
	memcpy(ext, body, blen);
	memcpy(ext + blen, extra, sizeof(extra));
	ck_assert_int_eq(ctl_request_decode(ext, blen + sizeof(extra), &d), 0);
	expect_request_eq(&q, &d);
	free(ext);
	free(buf);
}
END_TEST

START_TEST(test_garbage)
{
	struct ctl_request q, d;
	size_t len, blen;
	uint8_t *buf;
	const uint8_t *body;

	sample_request(&q, CTL_OP_MIGRATE);
	buf = encode_ok(&q, &len);
	body = frame_body(buf, len, FRAME_CTL_REQUEST, &blen);
	/* every proper prefix is either refused or a different valid request, never a crash */
	for (size_t n = 0; n < blen; n++) {
		int r = ctl_request_decode(body, n, &d);

		ck_assert(r == -EBADMSG || r == -EPROTO || r == 0);
		if (r == 0)
			ctl_request_clear(&d);
	}
	ck_assert_int_eq(ctl_request_decode((const uint8_t *)"\x08", 1, &d), -EBADMSG);
	ck_assert_int_eq(ctl_request_decode((const uint8_t *)"\x0b\x00", 2, &d), -EBADMSG);
	ck_assert_int_eq(ctl_request_decode((const uint8_t *)"\x00\x00", 2, &d), -EBADMSG);
	ck_assert_int_eq(ctl_request_decode(body, frame_type_cap(FRAME_CTL_REQUEST) + 1, &d),
			 -EMSGSIZE);
	ctl_request_clear(&q);
	free(buf);
}
END_TEST

/* The largest valid request: 32 devices, every string at its limit, 4 MiB of metadata. */
START_TEST(test_largest_fits)
{
	struct ctl_request q, d;
	struct ctl_migrate *m = &q.u.migrate;
	uint8_t *buf;
	const uint8_t *body;
	size_t len, blen;

	memset(&q, 0, sizeof(q));
	q.serial = UINT32_MAX;
	q.op = CTL_OP_MIGRATE;
	fill(m->peer, PROTO_ADDR_MAX, 'p');
	fill(m->token, PROTO_TOKEN_MAX, 't');
	m->n_devices = PROTO_JOB_DEVICES_MAX;
	for (uint32_t i = 0; i < PROTO_JOB_DEVICES_MAX; i++) {
		fill(m->devices[i].source_id, PROTO_ID_MAX, 's');
		fill(m->devices[i].target_id, PROTO_ID_MAX, 't');
		m->devices[i].source_id[0] = "0123456789abcdefghijklmnopqrstuv"[i];
		m->devices[i].target_id[0] = m->devices[i].source_id[0];
		m->devices[i].metadata_len = PROTO_METADATA_TOTAL_MAX / PROTO_JOB_DEVICES_MAX;
		m->devices[i].metadata = pattern(m->devices[i].metadata_len, (uint8_t)i);
	}
	m->downtime_limit_ms = m->timeout_s = UINT32_MAX;
	m->bandwidth_bps = UINT64_MAX;
	m->switchover = m->resume = 1;
	buf = encode_ok(&q, &len);
	ck_assert_uint_le(len, FRAME_HDR_LEN + frame_type_cap(FRAME_CTL_REQUEST));
	body = frame_body(buf, len, FRAME_CTL_REQUEST, &blen);
	ck_assert_msg(ctl_request_decode(body, blen, &d) == 0, "%s", proto_last_error());
	expect_request_eq(&q, &d);
	ctl_request_clear(&d);
	ctl_request_clear(&q);
	free(buf);

	/* four devices of the full 1 MiB each also fit */
	sample_request(&q, CTL_OP_MIGRATE);
	for (uint32_t i = 0; i < 2; i++)
		free(m->devices[i].metadata);
	m->n_devices = 4;
	for (uint32_t i = 0; i < 4; i++) {
		snprintf(m->devices[i].source_id, sizeof(m->devices[i].source_id), "s%u", i);
		snprintf(m->devices[i].target_id, sizeof(m->devices[i].target_id), "t%u", i);
		m->devices[i].metadata = pattern(PROTO_METADATA_MAX, (uint8_t)i);
		m->devices[i].metadata_len = PROTO_METADATA_MAX;
	}
	round_trip(&q);
	ctl_request_clear(&q);
}
END_TEST

START_TEST(test_names_and_clear)
{
	struct ctl_request q;

	ck_assert_str_eq(ctl_request_op_name(CTL_OP_HELLO), "hello");
	ck_assert_str_eq(ctl_request_op_name(CTL_OP_JOB_SET_BANDWIDTH), "job_set_bandwidth");
	ck_assert_str_eq(ctl_request_op_name(CTL_OP_SUBSCRIBE), "subscribe");
	ck_assert_str_eq(ctl_request_op_name(9), "unknown");
	ck_assert_str_eq(ctl_request_op_name(CTL_OP_PEER_CONNECT), "peer_connect");
	ck_assert_str_eq(ctl_request_op_name(CTL_OP_PEER_LIST), "peer_list");
	ck_assert_str_eq(ctl_request_op_name(CTL_OP_MAX + 1), "unknown");
	for (size_t i = 0; i < n_all_ops; i++)
		ck_assert_str_ne(ctl_request_op_name(all_ops[i]), "unknown");
	ctl_request_clear(NULL);
	sample_request(&q, CTL_OP_MIGRATE);
	ctl_request_clear(&q);
	ck_assert_uint_eq(q.op, 0);
	ck_assert_ptr_null(q.u.migrate.devices[0].metadata);
}
END_TEST

/* ---- ctl_job ---- */

START_TEST(test_phase_names)
{
	static const char *const names[] = {
		"NONE",		  "WAITING",  "CONNECTING",
		"PREPARING",	  "PRECOPY",  "SWITCHOVER_PENDING",
		"STOP_COPY",	  "LOADING",  "COMMITTING",
		"RESUME_PENDING", "STARTING", "ABORTING",
		"COMPLETED",	  "FAILED",   "CANCELLED",
	};

	for (uint32_t p = 0; p <= CTL_PHASE_MAX; p++) {
		ck_assert_str_eq(ctl_job_phase_name(p), names[p]);
		ck_assert_int_eq(ctl_job_phase_terminal(p), p >= CTL_PHASE_COMPLETED);
	}
	ck_assert_str_eq(ctl_job_phase_name(CTL_PHASE_MAX + 1), "UNKNOWN");
	ck_assert(!ctl_job_phase_terminal(CTL_PHASE_MAX + 1));
}
END_TEST

static Suite *request_suite(void)
{
	Suite *s = suite_create("ctl_request");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip_every_op);
	tcase_add_test(tc, test_device_sources);
	tcase_add_test(tc, test_encode_refuses_envelope);
	tcase_add_test(tc, test_encode_refuses_device_ops);
	tcase_add_test(tc, test_encode_refuses_prepare);
	tcase_add_test(tc, test_prepare_limits_pass);
	tcase_add_test(tc, test_encode_refuses_migrate);
	tcase_add_test(tc, test_encode_refuses_metadata_sum);
	tcase_add_test(tc, test_encode_refuses_job_ops);
	tcase_add_test(tc, test_job_zero_values_pass);
	tcase_add_test(tc, test_encode_refuses_peer_ops);
	tcase_add_test(tc, test_peer_connect_limits_pass);
	tcase_add_test(tc, test_decode_peer_ops);
	tcase_add_test(tc, test_decode_job_metadata);
	tcase_add_test(tc, test_decode_envelope);
	tcase_add_test(tc, test_decode_device_ops);
	tcase_add_test(tc, test_decode_migrate);
	tcase_add_test(tc, test_decode_nul_in_string);
	tcase_add_test(tc, test_newer_client_op);
	tcase_add_test(tc, test_unknown_fields_ignored);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_largest_fits);
	tcase_add_test(tc, test_names_and_clear);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *job_suite(void)
{
	Suite *s = suite_create("ctl_job");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_phase_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(request_suite());
	int failed;

	srunner_add_suite(sr, job_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
