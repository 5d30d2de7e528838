/*
 * test_proto_reply.c - ctl_reply.c and ctl_event.c: round trip of every result and event
 * kind, every rule refused on encode and on decode, the allocation budget, and the largest
 * valid reply and event fitting their frames.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "ctl_event.h"
#include "ctl_reply.h"
#include "frame.h"
#include "test_proto_util.h"

/* ---- ctl_reply ---- */

static uint8_t *reply_ok(const struct ctl_reply *r, size_t *len)
{
	uint8_t *buf = NULL;

	ck_assert_msg(ctl_reply_encode(r, &buf, len) == 0, "encode: %s", proto_last_error());
	return buf;
}

static void reply_round_trip(const struct ctl_reply *r)
{
	struct ctl_reply d;
	size_t len, len2, blen;
	uint8_t *buf = reply_ok(r, &len), *buf2;
	const uint8_t *body = frame_body(buf, len, FRAME_CTL_REPLY, &blen);

	ck_assert_msg(ctl_reply_decode(body, blen, &d) == 0, "decode: %s", proto_last_error());
	expect_reply_eq(r, &d);
	buf2 = reply_ok(&d, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(buf, buf2, len);
	ctl_reply_clear(&d);
	free(buf);
	free(buf2);
}

START_TEST(test_reply_round_trip)
{
	struct ctl_reply r;

	for (size_t i = 0; i < n_all_results; i++) {
		sample_reply(&r, all_results[i]);
		reply_round_trip(&r);
		ctl_reply_clear(&r);
	}
	/* empty lists, a bare success, an error reply to an unreadable request (serial 0) */
	sample_reply(&r, CTL_RESULT_DEVICE_LIST);
	ctl_reply_clear(&r);
	r.serial = 3;
	r.result = CTL_RESULT_DEVICE_LIST;
	reply_round_trip(&r);
	r.result = CTL_RESULT_JOB_LIST;
	reply_round_trip(&r);
	r.result = CTL_RESULT_METADATA; /* empty metadata: the source sent none */
	reply_round_trip(&r);
	r.result = CTL_RESULT_NONE;
	reply_round_trip(&r);
	proto_error_set(&r.error, PROTO_ERR_PROTOCOL, NULL, "request: not a valid encoding");
	r.serial = 0;
	reply_round_trip(&r);
}
END_TEST

START_TEST(test_result_for)
{
	static const struct {
		uint32_t op, result;
	} map[] = {
		{ CTL_OP_HELLO, CTL_RESULT_HELLO },
		{ CTL_OP_DAEMON_INFO, CTL_RESULT_DAEMON_INFO },
		{ CTL_OP_DEVICE_LIST, CTL_RESULT_DEVICE_LIST },
		{ CTL_OP_DEVICE_ADD, CTL_RESULT_DEVICE },
		{ CTL_OP_DEVICE_REMOVE, CTL_RESULT_NONE },
		{ CTL_OP_DEVICE_INFO, CTL_RESULT_DEVICE },
		{ CTL_OP_DEVICE_SET_STATE, CTL_RESULT_DEVICE },
		{ CTL_OP_PREPARE_INCOMING, CTL_RESULT_PREPARE_INCOMING },
		{ CTL_OP_MIGRATE, CTL_RESULT_MIGRATE },
		{ CTL_OP_JOB_STATUS, CTL_RESULT_JOB },
		{ CTL_OP_JOB_LIST, CTL_RESULT_JOB_LIST },
		{ CTL_OP_JOB_CANCEL, CTL_RESULT_NONE },
		{ CTL_OP_JOB_SWITCHOVER, CTL_RESULT_NONE },
		{ CTL_OP_JOB_RESUME, CTL_RESULT_NONE },
		{ CTL_OP_JOB_SET_BANDWIDTH, CTL_RESULT_NONE },
		{ CTL_OP_JOB_WAIT, CTL_RESULT_JOB },
		{ CTL_OP_SUBSCRIBE, CTL_RESULT_NONE },
		{ CTL_OP_PEER_CONNECT, CTL_RESULT_PEER },
		{ CTL_OP_PEER_LIST, CTL_RESULT_PEER_LIST },
		{ CTL_OP_JOB_METADATA, CTL_RESULT_METADATA },
		{ 0, CTL_RESULT_NONE },
		{ 99, CTL_RESULT_NONE },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		ck_assert_uint_eq(ctl_reply_result_for(map[i].op), map[i].result);
}
END_TEST

static void reply_einval(const struct ctl_reply *r, const char *reason)
{
	uint8_t *buf = (uint8_t *)&buf;
	size_t len = 5;

	ck_assert_int_eq(ctl_reply_encode(r, &buf, &len), -EINVAL);
	ck_assert_ptr_eq(buf, (uint8_t *)&buf);
	expect_reason(reason);
}

#define BAD(result, stmt, reason)         \
	do {                              \
		struct ctl_reply r;       \
		sample_reply(&r, result); \
		stmt;                     \
		reply_einval(&r, reason); \
		ctl_reply_clear(&r);      \
	} while (0)

#define DEV  r.u.device
#define INFO r.u.daemon_info
#define JOB  r.u.job

START_TEST(test_reply_encode_refuses)
{
	BAD(CTL_RESULT_MIGRATE, r.serial = 0, "serial: missing in a successful reply");
	BAD(CTL_RESULT_MIGRATE, r.error.code = PROTO_ERR_BUSY,
	    "result: set in a reply with error BUSY");
	BAD(CTL_RESULT_MIGRATE, r.result = 14, "result: 14");
	BAD(CTL_RESULT_MIGRATE, r.u.job_id = 0, "result.job_id: missing");
	BAD(CTL_RESULT_NONE, strcpy(r.error.message, "a\x01"), "error.message");
	BAD(CTL_RESULT_NONE, strcpy(r.error.device, "a b"), "error.device");
	BAD(CTL_RESULT_NONE, r.error.code = 0x80000000u, "error.code");
	BAD(CTL_RESULT_HELLO, r.u.hello.min_version = 0, "result.min_version");
	BAD(CTL_RESULT_PREPARE_INCOMING, r.u.prepare.token[0] = 0, "result.token: missing");
	BAD(CTL_RESULT_PREPARE_INCOMING, r.u.prepare.job_id = 0, "result.job_id: missing");

	BAD(CTL_RESULT_DEVICE, DEV.id[0] = 0, "result.id: missing");
	BAD(CTL_RESULT_DEVICE, DEV.kind = 0, "result.kind: 0");
	BAD(CTL_RESULT_DEVICE, DEV.kind = 5, "result.kind: 5");
	BAD(CTL_RESULT_DEVICE, DEV.state = 8, "result.state: 8");
	BAD(CTL_RESULT_DEVICE, DEV.migration_flags = 8, "result.migration_flags: 8");
	BAD(CTL_RESULT_DEVICE, fill(DEV.address, PROTO_PATH_MAX + 1, 'a'), "result.address");
	BAD(CTL_RESULT_DEVICE, fill(DEV.driver, PROTO_NAME_MAX + 1, 'd'), "result.driver");
	BAD(CTL_RESULT_DEVICE, strcpy(DEV.model, "\xe0\x80\x80"), "result.model");
	BAD(CTL_RESULT_DEVICE_LIST, r.u.device_list.n_devices = PROTO_LIST_MAX + 1,
	    "result.devices: 257");
	BAD(CTL_RESULT_DEVICE_LIST, r.u.device_list.devices[2].kind = 9,
	    "result.devices[2].kind: 9");
	BAD(CTL_RESULT_JOB_LIST, r.u.job_list.n_jobs = PROTO_JOBS_MAX + 1, "result.jobs: 65");
	BAD(CTL_RESULT_JOB_LIST, r.u.job_list.jobs[1].phase = 0, "result.jobs[1].phase: 0");

	BAD(CTL_RESULT_DAEMON_INFO, INFO.version[0] = 0, "result.version: missing");
	BAD(CTL_RESULT_DAEMON_INFO, INFO.protocol_version = 0, "result.protocol_version");
	BAD(CTL_RESULT_DAEMON_INFO, INFO.n_listen = PROTO_LISTEN_MAX + 1, "result.listen: 17");
	BAD(CTL_RESULT_DAEMON_INFO, strcpy(INFO.listen[1], "a b"),
	    "result.listen[1]: not printable");
	BAD(CTL_RESULT_DAEMON_INFO, INFO.listen[0][0] = 0, "result.listen[0]: missing");
	BAD(CTL_RESULT_DAEMON_INFO, INFO.tls.state = 4, "result.tls.state: 4");
	BAD(CTL_RESULT_DAEMON_INFO, strcpy(INFO.tls.error, "x\ny"), "result.tls.error");
	BAD(CTL_RESULT_DAEMON_INFO, fill(INFO.host_identity, PROTO_ADDR_MAX + 1, 'h'),
	    "result.host_identity");
}
END_TEST

/* Metadata: at most PROTO_METADATA_MAX bytes, never a NULL buffer with a length. */
START_TEST(test_metadata_rules)
{
	struct ctl_reply r;
	uint8_t *buf;
	size_t len;

	sample_reply(&r, CTL_RESULT_METADATA);
	free(r.u.metadata.data);
	r.u.metadata.len = PROTO_METADATA_MAX + 1;
	r.u.metadata.data = pattern(r.u.metadata.len, 9);
	ck_assert_int_eq(ctl_reply_encode(&r, &buf, &len), -EINVAL);
	expect_reason("result.metadata: 1048577 is outside 0..1048576");
	r.u.metadata.len = PROTO_METADATA_MAX;
	reply_round_trip(&r);
	ctl_reply_clear(&r);
	r.serial = 1;
	r.result = CTL_RESULT_METADATA;
	r.u.metadata.len = 5;
	ck_assert_int_eq(ctl_reply_encode(&r, &buf, &len), -EINVAL);
	expect_reason("result.metadata: NULL with a length");
}
END_TEST

/* A decoded reply whose metadata is above the limit is refused (and nothing leaks). */
START_TEST(test_metadata_decode_refuses)
{
	Vmig__Reply rp = VMIG__REPLY__INIT;
	uint8_t *big = pattern(PROTO_METADATA_MAX + 1, 4), *buf;
	struct ctl_reply r;
	size_t len;

	rp.has_serial = 1;
	rp.serial = 3;
	rp.result_case = VMIG__REPLY__RESULT_METADATA;
	rp.metadata.len = PROTO_METADATA_MAX + 1;
	rp.metadata.data = big;
	len = protobuf_c_message_get_packed_size(&rp.base);
	buf = malloc(len);
	protobuf_c_message_pack(&rp.base, buf);
	ck_assert_int_eq(ctl_reply_decode(buf, len, &r), -EPROTO);
	expect_reason("result.metadata: 1048577 bytes, at most 1048576");
	free(buf);
	free(big);
}
END_TEST

START_TEST(test_job_encode_refuses)
{
	BAD(CTL_RESULT_JOB, JOB.job_id = 0, "result.job_id: 0");
	BAD(CTL_RESULT_JOB, JOB.role = 0, "result.role: 0");
	BAD(CTL_RESULT_JOB, JOB.role = 3, "result.role: 3");
	BAD(CTL_RESULT_JOB, JOB.phase = CTL_PHASE_MAX + 1, "result.phase: 15");
	BAD(CTL_RESULT_JOB, JOB.n_devices = 0, "result.devices: 0");
	BAD(CTL_RESULT_JOB, JOB.n_devices = PROTO_JOB_DEVICES_MAX + 1, "result.devices: 33");
	BAD(CTL_RESULT_JOB, JOB.switchover = 2, "result.switchover: 2");
	BAD(CTL_RESULT_JOB, JOB.resume = 2, "result.resume: 2");
	BAD(CTL_RESULT_JOB, strcpy(JOB.peer, "\x1b[31m"), "result.peer");
	BAD(CTL_RESULT_JOB, (JOB.devices[1].source_id[0] = 0, JOB.devices[1].target_id[0] = 0),
	    "result.devices[1].source_id, target_id: both missing");
	BAD(CTL_RESULT_JOB, JOB.devices[0].state = 8, "result.devices[0].state: 8");
	BAD(CTL_RESULT_JOB, strcpy(JOB.devices[0].target_id, "a,b"), "devices[0].target_id");
	BAD(CTL_RESULT_JOB, strcpy(JOB.error.device, "?"), "result.error.device");
}
END_TEST

static void reply_decode(const ProtobufCMessage *m, int err, const char *reason)
{
	struct ctl_reply r;
	size_t len;
	uint8_t *buf = pb_pack(m, &len);
	int got = ctl_reply_decode(buf, len, &r);

	free(buf);
	ck_assert_msg(got == err, "decode gave %d, want %d (%s)", got, err, proto_last_error());
	if (got == 0)
		ctl_reply_clear(&r);
	if (reason)
		expect_reason(reason);
}

START_TEST(test_reply_decode_refuses)
{
	Vmig__Reply rp = VMIG__REPLY__INIT;
	Vmig__Error err = VMIG__ERROR__INIT;
	Vmig__DeviceInfo di = VMIG__DEVICE_INFO__INIT;
	Vmig__DaemonInfo info = VMIG__DAEMON_INFO__INIT;
	Vmig__TlsInfo tls = VMIG__TLS_INFO__INIT;
	Vmig__MigrateResult mr = VMIG__MIGRATE_RESULT__INIT;
	uint8_t digest[PROTO_DIGEST_LEN + 1] = { 0 };

	reply_decode(&rp.base, -EPROTO, "serial: missing in a successful reply");
	rp.error = &err;
	err.has_code = 1;
	err.code = VMIG__ERROR_CODE__TIMEOUT;
	reply_decode(&rp.base, 0, NULL);
	err.code = (Vmig__ErrorCode)-2;
	reply_decode(&rp.base, -EPROTO, "error.code: -2 is negative");
	err.code = (Vmig__ErrorCode)1000; /* a newer daemon's code: kept */
	reply_decode(&rp.base, 0, NULL);
	rp.result_case = VMIG__REPLY__RESULT_MIGRATE;
	rp.migrate = &mr;
	reply_decode(&rp.base, -EPROTO, "result.job_id: missing");
	mr.has_job_id = 1;
	mr.job_id = 4;
	reply_decode(&rp.base, -EPROTO, "result: set in a reply with error UNKNOWN");
	rp.error = NULL;
	rp.has_serial = 1;
	rp.serial = 9;
	reply_decode(&rp.base, 0, NULL);

	rp.result_case = VMIG__REPLY__RESULT_DEVICE;
	rp.device = &di;
	di.id = "d0";
	reply_decode(&rp.base, -EPROTO, "result.kind, state: missing");
	di.has_kind = di.has_state = 1;
	reply_decode(&rp.base, -EPROTO, "result.kind: 0");
	di.kind = VMIG__DEVICE_KIND__DEVICE_KIND_SIM;
	reply_decode(&rp.base, 0, NULL);
	di.has_digest = 1;
	di.digest.data = digest;
	di.digest.len = PROTO_DIGEST_LEN - 1;
	reply_decode(&rp.base, -EPROTO, "result.digest: 31 bytes, not 32");
	di.digest.len = PROTO_DIGEST_LEN + 1;
	reply_decode(&rp.base, -EPROTO, "result.digest: 33 bytes");
	di.digest.len = PROTO_DIGEST_LEN;
	reply_decode(&rp.base, 0, NULL);
	di.state = (Vmig__DeviceState)8;
	reply_decode(&rp.base, -EPROTO, "result.state: 8");

	rp.result_case = VMIG__REPLY__RESULT_DAEMON_INFO;
	rp.daemon_info = &info;
	reply_decode(&rp.base, -EPROTO, "result.version: missing");
	info.version = "v";
	reply_decode(&rp.base, -EPROTO, "result.protocol_version: 0");
	info.has_protocol_version = 1;
	info.protocol_version = 1;
	reply_decode(&rp.base, 0, NULL);
	info.tls = &tls;
	tls.has_state = 1;
	tls.state = (Vmig__TlsState)9;
	reply_decode(&rp.base, -EPROTO, "result.tls.state: 9");
}
END_TEST

#define PEER r.u.peer

START_TEST(test_peer_encode_refuses)
{
	BAD(CTL_RESULT_PEER, PEER.address[0] = 0, "result.address: missing");
	BAD(CTL_RESULT_PEER, strcpy(PEER.address, "a b:1"), "result.address: not printable");
	BAD(CTL_RESULT_PEER, PEER.state = 0, "result.state: 0 is outside 1..5");
	BAD(CTL_RESULT_PEER, PEER.state = 6, "result.state: 6");
	BAD(CTL_RESULT_PEER, PEER.fingerprint[63] = 0, "result.fingerprint: \"");
	BAD(CTL_RESULT_PEER, PEER.fingerprint[0] = 'A', "not 64 lower-case hex digits");
	BAD(CTL_RESULT_PEER, PEER.fingerprint[5] = 'g', "result.fingerprint");
	BAD(CTL_RESULT_PEER, strcpy(PEER.identity, "dns:a\x01"), "result.identity");
	BAD(CTL_RESULT_PEER, fill(PEER.host_identity, PROTO_ADDR_MAX + 1, 'h'),
	    "result.host_identity: longer");
	BAD(CTL_RESULT_PEER, fill(PEER.software, PROTO_NAME_MAX + 1, 's'), "result.software");
	BAD(CTL_RESULT_PEER, PEER.rtt_us = -2, "result.rtt_us: -2 is negative");
	BAD(CTL_RESULT_PEER_LIST, r.u.peer_list.n_peers = CTL_PEERS_MAX + 1,
	    "result.peers: 65 is outside 0..64");
	BAD(CTL_RESULT_PEER_LIST, r.u.peer_list.peers[1].state = 9, "result.peers[1].state: 9");
	BAD(CTL_RESULT_PEER_LIST, (free(r.u.peer_list.peers), r.u.peer_list.peers = NULL),
	    "result.peers: NULL with a count");
}
END_TEST

#undef PEER

START_TEST(test_peer_decode_refuses)
{
	Vmig__Reply rp = VMIG__REPLY__INIT;
	Vmig__PeerInfo pi = VMIG__PEER_INFO__INIT;
	Vmig__PeerList pl = VMIG__PEER_LIST__INIT;
	Vmig__PeerInfo *pip[1] = { &pi };
	struct ctl_reply r;
	uint8_t *buf;
	size_t len;

	rp.has_serial = 1;
	rp.serial = 3;
	rp.result_case = VMIG__REPLY__RESULT_PEER;
	rp.peer = &pi;
	reply_decode(&rp.base, -EPROTO, "result.address: missing");
	pi.address = "10.0.0.2:7400";
	reply_decode(&rp.base, -EPROTO, "result.state: missing");
	pi.has_state = 1;
	reply_decode(&rp.base, -EPROTO, "result.state: 0");
	pi.state = VMIG__PEER_STATE__PEER_STATE_CONNECTING;
	/* the least a link in CONNECTING has: no rtt means -1 */
	buf = pb_pack(&rp.base, &len);
	ck_assert_int_eq(ctl_reply_decode(buf, len, &r), 0);
	ck_assert_int_eq(r.u.peer.rtt_us, -1);
	ck_assert_str_eq(r.u.peer.fingerprint, "");
	ck_assert_uint_eq(r.u.peer.state, CTL_PEER_CONNECTING);
	free(buf);
	pi.state = (Vmig__PeerState)6;
	reply_decode(&rp.base, -EPROTO, "result.state: 6");
	pi.state = VMIG__PEER_STATE__PEER_STATE_READY;
	pi.has_rtt_us = 1;
	pi.rtt_us = (uint64_t)INT64_MAX + 1;
	reply_decode(&rp.base, -EPROTO, "result.rtt_us: 9223372036854775808 is outside");
	pi.rtt_us = 0;
	reply_decode(&rp.base, 0, NULL);
	pi.fingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0";
	reply_decode(&rp.base, -EPROTO, "result.fingerprint: longer than 64");
	pi.fingerprint = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
	reply_decode(&rp.base, -EPROTO, "not 64 lower-case hex digits");
	pi.fingerprint = NULL;
	pi.software = "line\nbreak";
	reply_decode(&rp.base, -EPROTO, "result.software");
	pi.software = NULL;

	rp.result_case = VMIG__REPLY__RESULT_PEER_LIST;
	rp.peer_list = &pl;
	reply_decode(&rp.base, 0, NULL);
	pl.n_peers = 1;
	pl.peers = pip;
	reply_decode(&rp.base, 0, NULL);
	pi.has_state = 0;
	reply_decode(&rp.base, -EPROTO, "result.peers[0].state: missing");
}
END_TEST

START_TEST(test_peer_state_names)
{
	static const char *const names[] = { "NONE",  "CONNECTING", "TLS_HANDSHAKE",
					     "HELLO", "READY",	    "CLOSING" };

	for (uint32_t s = 0; s <= CTL_PEER_STATE_MAX; s++)
		ck_assert_str_eq(ctl_peer_state_name(s), names[s]);
	ck_assert_str_eq(ctl_peer_state_name(CTL_PEER_STATE_MAX + 1), "UNKNOWN");
}
END_TEST

/* A result field this build does not know (field 30) decodes as no result. */
START_TEST(test_reply_newer_result)
{
	static const uint8_t body[] = { 0x08, 0x07, 0xf2, 0x01, 0x02, 0x08, 0x01 };
	struct ctl_reply r;

	ck_assert_int_eq(ctl_reply_decode(body, sizeof(body), &r), 0);
	ck_assert_uint_eq(r.serial, 7);
	ck_assert_uint_eq(r.result, CTL_RESULT_NONE);
}
END_TEST

/*
 * A device list of n empty DeviceInfo entries: 2 bytes each on the wire, a struct of a
 * hundred bytes or more each in memory.
 */
static uint8_t *empty_devices(size_t n, size_t *ret_len)
{
	size_t inner = 2 * n, len = 0;
	uint8_t *buf = malloc(inner + 16);

	buf[len++] = 0x62; /* field 12, length-delimited: device_list */
	for (size_t v = inner;; v >>= 7) {
		buf[len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		buf[len++] = 0x0a; /* DeviceList.devices */
		buf[len++] = 0x00;
	}
	*ret_len = len;
	return buf;
}

START_TEST(test_reply_budget)
{
	struct ctl_reply r;
	size_t len;
	uint8_t *buf;

	/* 100000 entries in 200 KB: within the 1 MiB frame, far beyond the budget */
	buf = empty_devices(100000, &len);
	ck_assert_uint_le(len, frame_type_cap(FRAME_CTL_REPLY));
	ck_assert_int_eq(ctl_reply_decode(buf, len, &r), -ENOBUFS);
	expect_reason("needs more than");
	free(buf);
	/* 300 entries fit the budget; then the list cap refuses them */
	buf = empty_devices(300, &len);
	ck_assert_int_eq(ctl_reply_decode(buf, len, &r), -EPROTO);
	expect_reason("result.devices: 300 is outside 0..256");
	free(buf);
	/* 256 entries pass the cap; then each entry lacks its id */
	buf = empty_devices(256, &len);
	ck_assert_int_eq(ctl_reply_decode(buf, len, &r), -EPROTO);
	expect_reason("result.devices[0].id: missing");
	free(buf);
}
END_TEST

/* The largest valid replies fit the 1 MiB frame and survive the decode budget. */
START_TEST(test_reply_largest_fits)
{
	struct ctl_reply r;
	struct ctl_device_info *d;
	struct ctl_job_status *j;

	sample_reply(&r, CTL_RESULT_DEVICE_LIST);
	free(r.u.device_list.devices);
	r.u.device_list.n_devices = PROTO_LIST_MAX;
	r.u.device_list.devices = d = calloc(PROTO_LIST_MAX, sizeof(*d));
	for (uint32_t i = 0; i < PROTO_LIST_MAX; i++) {
		fill(d[i].id, PROTO_ID_MAX, 'i');
		fill(d[i].driver, PROTO_NAME_MAX, 'd');
		fill(d[i].model, PROTO_NAME_MAX, 'm');
		fill(d[i].address, PROTO_PATH_MAX, 'a');
		d[i].kind = CTL_KIND_SIM;
		d[i].state = PROTO_STATE_MAX;
		d[i].migration_flags = 7;
		d[i].owner_job = UINT64_MAX;
		d[i].has_digest = true;
	}
	reply_round_trip(&r);
	ctl_reply_clear(&r);

	sample_reply(&r, CTL_RESULT_JOB_LIST);
	free(r.u.job_list.jobs);
	r.u.job_list.n_jobs = PROTO_JOBS_MAX;
	r.u.job_list.jobs = j = calloc(PROTO_JOBS_MAX, sizeof(*j));
	for (uint32_t i = 0; i < PROTO_JOBS_MAX; i++) {
		sample_job(&j[i], UINT64_MAX - i, PROTO_JOB_DEVICES_MAX);
		fill(j[i].peer, PROTO_ADDR_MAX, 'p');
		fill(j[i].error.message, PROTO_MESSAGE_MAX, 'e');
		fill(j[i].error.device, PROTO_ID_MAX, 'x');
		for (uint32_t k = 0; k < PROTO_JOB_DEVICES_MAX; k++) {
			fill(j[i].devices[k].source_id, PROTO_ID_MAX, 's');
			fill(j[i].devices[k].target_id, PROTO_ID_MAX, 't');
			j[i].devices[k].bytes_sent = UINT64_MAX;
			j[i].devices[k].bytes_acked = UINT64_MAX;
			j[i].devices[k].bytes_remaining = UINT64_MAX;
		}
	}
	reply_round_trip(&r);
	ctl_reply_clear(&r);

	sample_reply(&r, CTL_RESULT_PEER_LIST);
	free(r.u.peer_list.peers);
	r.u.peer_list.n_peers = CTL_PEERS_MAX;
	r.u.peer_list.peers = calloc(CTL_PEERS_MAX, sizeof(struct ctl_peer_info));
	for (uint32_t i = 0; i < CTL_PEERS_MAX; i++) {
		struct ctl_peer_info *p = &r.u.peer_list.peers[i];

		sample_peer_info(p, i);
		fill(p->address, PROTO_ADDR_MAX, 'a');
		fill(p->identity, PROTO_ADDR_MAX, 'i');
		fill(p->host_identity, PROTO_ADDR_MAX, 'h');
		fill(p->software, PROTO_NAME_MAX, 's');
		p->features = p->connected_at_ms = UINT64_MAX;
		p->rtt_us = INT64_MAX;
		p->protocol_version = UINT32_MAX;
	}
	reply_round_trip(&r);
	ctl_reply_clear(&r);

	sample_reply(&r, CTL_RESULT_DAEMON_INFO);
	fill(r.u.daemon_info.version, PROTO_NAME_MAX, 'v');
	fill(r.u.daemon_info.tls.error, PROTO_MESSAGE_MAX, 'e');
	r.u.daemon_info.n_listen = PROTO_LISTEN_MAX;
	for (uint32_t i = 0; i < PROTO_LISTEN_MAX; i++)
		fill(r.u.daemon_info.listen[i], PROTO_ADDR_MAX, 'l');
	reply_round_trip(&r);
}
END_TEST

START_TEST(test_reply_clear)
{
	struct ctl_reply r;

	ctl_reply_clear(NULL);
	sample_reply(&r, CTL_RESULT_JOB_LIST);
	ctl_reply_clear(&r);
	ck_assert_ptr_null(r.u.job_list.jobs);
	ck_assert_uint_eq(r.result, CTL_RESULT_NONE);
	sample_reply(&r, CTL_RESULT_PEER_LIST);
	ctl_reply_clear(&r);
	ck_assert_ptr_null(r.u.peer_list.peers);
	ck_assert_uint_eq(r.result, CTL_RESULT_NONE);
}
END_TEST

/* ---- ctl_event ---- */

static void event_round_trip(const struct ctl_event *e)
{
	struct ctl_event d;
	size_t len, len2, blen;
	uint8_t *buf = NULL, *buf2 = NULL;
	const uint8_t *body;

	ck_assert_msg(ctl_event_encode(e, &buf, &len) == 0, "encode %s: %s",
		      ctl_event_kind_name(e->kind), proto_last_error());
	body = frame_body(buf, len, FRAME_CTL_EVENT, &blen);
	ck_assert_msg(ctl_event_decode(body, blen, &d) == 0, "decode: %s", proto_last_error());
	expect_event_eq(e, &d);
	ck_assert_int_eq(ctl_event_encode(&d, &buf2, &len2), 0);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(buf, buf2, len);
	free(buf);
	free(buf2);
}

START_TEST(test_event_round_trip)
{
	struct ctl_event e;

	for (size_t i = 0; i < n_all_event_kinds; i++) {
		sample_event(&e, all_event_kinds[i]);
		event_round_trip(&e);
	}
	/* a device reaching ERROR (0) still says so */
	sample_event(&e, CTL_EVENT_DEVICE_STATE);
	e.device_state = 0;
	event_round_trip(&e);
	ctl_event_clear(&e);
	ctl_event_clear(NULL);
	ck_assert_uint_eq(e.kind, 0);
}
END_TEST

static void event_einval(const struct ctl_event *e, const char *reason)
{
	uint8_t *buf = NULL;
	size_t len;

	ck_assert_int_eq(ctl_event_encode(e, &buf, &len), -EINVAL);
	ck_assert_ptr_null(buf);
	expect_reason(reason);
}

#define BAD_EV(kind, stmt, reason)        \
	do {                              \
		struct ctl_event e;       \
		sample_event(&e, kind);   \
		stmt;                     \
		event_einval(&e, reason); \
	} while (0)

START_TEST(test_event_encode_refuses)
{
	BAD_EV(CTL_EVENT_PHASE, e.seq = 0, "seq: missing");
	BAD_EV(CTL_EVENT_PHASE, e.kind = 0, "kind: 0");
	BAD_EV(CTL_EVENT_PHASE, e.kind = 8, "kind: 8");
	BAD_EV(CTL_EVENT_CONVERGED, e.job_id = 0, "job_id: missing");
	BAD_EV(CTL_EVENT_CONVERGED, e.phase = 0, "phase: 0 is outside 1..14");
	BAD_EV(CTL_EVENT_LOST, e.phase = 15, "phase: 15");
	BAD_EV(CTL_EVENT_PROGRESS, e.has_status = false, "status: missing in a PROGRESS event");
	BAD_EV(CTL_EVENT_PROGRESS, e.status.job_id = 41, "status.job_id: 41, but the event");
	BAD_EV(CTL_EVENT_PROGRESS, e.status.n_devices = 0, "status.devices: 0");
	BAD_EV(CTL_EVENT_FINISHED, e.phase = CTL_PHASE_STOP_COPY, "STOP_COPY is not terminal");
	BAD_EV(CTL_EVENT_DEVICE_STATE, e.device[0] = 0, "device: missing");
	BAD_EV(CTL_EVENT_DEVICE_STATE, e.device_state = 8, "device_state: 8");
	BAD_EV(CTL_EVENT_FINISHED, strcpy(e.error.message, "\x7f"), "error.message");
}
END_TEST

static void event_decode(const ProtobufCMessage *m, int err, const char *reason)
{
	struct ctl_event e;
	size_t len;
	uint8_t *buf = pb_pack(m, &len);
	int got = ctl_event_decode(buf, len, &e);

	free(buf);
	ck_assert_msg(got == err, "decode gave %d, want %d (%s)", got, err, proto_last_error());
	if (reason)
		expect_reason(reason);
}

START_TEST(test_event_decode_refuses)
{
	Vmig__Event ev = VMIG__EVENT__INIT;
	Vmig__JobStatus js = VMIG__JOB_STATUS__INIT;

	event_decode(&ev.base, -EPROTO, "seq, kind: missing");
	ev.has_seq = ev.has_kind = 1;
	ev.seq = 1;
	ev.kind = VMIG__EVENT_KIND__EVENT_LOST;
	event_decode(&ev.base, 0, NULL);
	ev.kind = (Vmig__EventKind)12;
	event_decode(&ev.base, -EPROTO, "kind: 12");
	ev.kind = VMIG__EVENT_KIND__EVENT_DEVICE_STATE;
	ev.has_job_id = 1;
	ev.job_id = 2;
	ev.has_phase = 1;
	ev.phase = VMIG__JOB_PHASE__JOB_PHASE_PRECOPY;
	ev.device = "gpu0";
	event_decode(&ev.base, -EPROTO, "device_state: missing");
	ev.has_device_state = 1;
	event_decode(&ev.base, 0, NULL);
	ev.phase = (Vmig__JobPhase)-1;
	event_decode(&ev.base, -EPROTO, "phase: -1");
	ev.phase = VMIG__JOB_PHASE__JOB_PHASE_PRECOPY;
	ev.status = &js;
	event_decode(&ev.base, -EPROTO, "status.job_id: missing");
	js.has_job_id = js.has_role = js.has_phase = 1;
	js.job_id = 2;
	js.role = VMIG__JOB_ROLE__JOB_ROLE_DESTINATION;
	js.phase = VMIG__JOB_PHASE__JOB_PHASE_NONE;
	event_decode(&ev.base, -EPROTO, "status.devices: 0");
}
END_TEST

START_TEST(test_event_largest_fits)
{
	struct ctl_event e;

	sample_event(&e, CTL_EVENT_FINISHED);
	sample_job(&e.status, e.job_id, PROTO_JOB_DEVICES_MAX);
	e.status.phase = e.phase;
	fill(e.status.peer, PROTO_ADDR_MAX, 'p');
	fill(e.status.error.message, PROTO_MESSAGE_MAX, 'm');
	fill(e.error.message, PROTO_MESSAGE_MAX, 'm');
	fill(e.error.device, PROTO_ID_MAX, 'd');
	fill(e.device, PROTO_ID_MAX, 'd');
	e.device_state = PROTO_STATE_MAX;
	for (uint32_t k = 0; k < PROTO_JOB_DEVICES_MAX; k++) {
		fill(e.status.devices[k].source_id, PROTO_ID_MAX, 's');
		fill(e.status.devices[k].target_id, PROTO_ID_MAX, 't');
		e.status.devices[k].bytes_sent = UINT64_MAX;
		e.status.devices[k].bytes_acked = UINT64_MAX;
		e.status.devices[k].bytes_remaining = UINT64_MAX;
	}
	event_round_trip(&e);
	ck_assert_str_eq(ctl_event_kind_name(CTL_EVENT_LOST), "LOST");
	ck_assert_str_eq(ctl_event_kind_name(0), "UNKNOWN");
	ck_assert_str_eq(ctl_event_kind_name(8), "UNKNOWN");
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("ctl_reply");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reply_round_trip);
	tcase_add_test(tc, test_result_for);
	tcase_add_test(tc, test_reply_encode_refuses);
	tcase_add_test(tc, test_job_encode_refuses);
	tcase_add_test(tc, test_peer_encode_refuses);
	tcase_add_test(tc, test_peer_decode_refuses);
	tcase_add_test(tc, test_peer_state_names);
	tcase_add_test(tc, test_reply_decode_refuses);
	tcase_add_test(tc, test_reply_newer_result);
	tcase_add_test(tc, test_reply_budget);
	tcase_add_test(tc, test_reply_largest_fits);
	tcase_add_test(tc, test_metadata_rules);
	tcase_add_test(tc, test_metadata_decode_refuses);
	tcase_add_test(tc, test_reply_clear);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *event_suite(void)
{
	Suite *s = suite_create("ctl_event");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_event_round_trip);
	tcase_add_test(tc, test_event_encode_refuses);
	tcase_add_test(tc, test_event_decode_refuses);
	tcase_add_test(tc, test_event_largest_fits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reply_suite());
	int failed;

	srunner_add_suite(sr, event_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
