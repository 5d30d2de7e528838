/*
 * test_proto_peer.c - peer_msg.c and peer_prepare.c: round trip of every peer message,
 * dispatch on frame types that are not peer messages, every rule refused on encode and on
 * decode, and the largest valid messages fitting their frames.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "peer.pb-c.h"
#include "peer_msg.h"
#include "test_proto_util.h"

static uint8_t *encode_ok(const struct peer_msg *m, size_t *len)
{
	uint8_t *buf = NULL;

	ck_assert_msg(peer_msg_encode(m, &buf, len) == 0, "encode %s: %s", frame_type_name(m->type),
		      proto_last_error());
	return buf;
}

static void round_trip(const struct peer_msg *m)
{
	struct peer_msg d;
	size_t len, len2, blen;
	uint8_t *buf = encode_ok(m, &len), *buf2;
	const uint8_t *body = frame_body(buf, len, m->type, &blen);

	ck_assert_msg(peer_msg_decode(m->type, body, blen, &d) == 0, "decode %s: %s",
		      frame_type_name(m->type), proto_last_error());
	expect_peer_eq(m, &d);
	buf2 = encode_ok(&d, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(buf, buf2, len);
	peer_msg_clear(&d);
	free(buf);
	free(buf2);
}

START_TEST(test_round_trip_every_type)
{
	struct peer_msg m;

	for (size_t i = 0; i < n_all_peer_types; i++) {
		sample_peer(&m, all_peer_types[i]);
		round_trip(&m);
		peer_msg_clear(&m);
	}
	/* zero is a fine nonce, index, byte count; a refused PREPARE has no dest job */
	sample_peer(&m, FRAME_PEER_PING);
	m.u.ping.nonce = 0;
	round_trip(&m);
	sample_peer(&m, FRAME_STREAM_ACK);
	m.u.stream_ack.device_index = 0;
	m.u.stream_ack.bytes = 0;
	round_trip(&m);
	sample_peer(&m, FRAME_PEER_PREPARE_REPLY);
	m.u.prepare_reply.dest_job_id = 0;
	proto_error_set(&m.u.prepare_reply.error, PROTO_ERR_TOKEN_EXPIRED, NULL,
			"token expired 3 s ago; prepare the destination again");
	round_trip(&m);
	/* PREPARE with the source's time left (the golden one, from before the field, has
	 * none: an older source's PREPARE decodes as 0) */
	sample_peer(&m, FRAME_PEER_PREPARE);
	m.u.prepare.timeout_ms = 3600000;
	round_trip(&m);
	m.u.prepare.timeout_ms = UINT64_MAX;
	round_trip(&m);
	peer_msg_clear(&m);
}
END_TEST

START_TEST(test_not_peer_types)
{
	static const uint16_t types[] = { FRAME_STREAM_DATA,
					  FRAME_CTL_REQUEST,
					  FRAME_CTL_REPLY,
					  FRAME_CTL_EVENT,
					  0,
					  0x0299,
					  0xffff };
	struct peer_msg m, before;

	memset(&m, 0x42, sizeof(m));
	before = m;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint8_t *buf = NULL;
		size_t len;

		ck_assert_int_eq(peer_msg_decode(types[i], (const uint8_t *)"", 0, &m), -EPROTO);
		expect_reason("is not a peer message");
		ck_assert_mem_eq(&m, &before, sizeof(m));
		sample_peer(&m, FRAME_PEER_COMMIT);
		m.type = types[i];
		ck_assert_int_eq(peer_msg_encode(&m, &buf, &len), -EINVAL);
		ck_assert_ptr_null(buf);
		m = before;
	}
	peer_msg_clear(NULL);
}
END_TEST

static void expect_einval(const struct peer_msg *m, const char *reason)
{
	uint8_t *buf = NULL;
	size_t len;

	ck_assert_int_eq(peer_msg_encode(m, &buf, &len), -EINVAL);
	ck_assert_ptr_null(buf);
	expect_reason(reason);
}

/* Breaks one field of a sample; a PREPARE gets its device count back so clear frees all. */
#define BAD(type, stmt, reason)                    \
	do {                                       \
		struct peer_msg m;                 \
		sample_peer(&m, type);             \
		stmt;                              \
		expect_einval(&m, reason);         \
		if (type == FRAME_PEER_PREPARE)    \
			m.u.prepare.n_devices = 2; \
		peer_msg_clear(&m);                \
	} while (0)

START_TEST(test_encode_refuses)
{
	BAD(FRAME_PEER_HELLO, m.u.hello.version = 0, "PEER_HELLO.version: 0");
	BAD(FRAME_PEER_HELLO, m.u.hello.min_version = 2, "min_version: 2 is outside 1..1");
	BAD(FRAME_PEER_HELLO, strcpy(m.u.hello.software, "x\r"), "software");
	BAD(FRAME_PEER_HELLO, fill(m.u.hello.host_identity, PROTO_ADDR_MAX + 1, 'h'),
	    "host_identity: longer");
	BAD(FRAME_PEER_PREPARE_REPLY, m.u.prepare_reply.job_id = 0, "job_id: missing");
	BAD(FRAME_PEER_PREPARE_REPLY, m.u.prepare_reply.dest_job_id = 0, "dest_job_id: missing");
	BAD(FRAME_PEER_PREPARE_REPLY, strcpy(m.u.prepare_reply.error.message, "\xc0\xaf"),
	    "PEER_PREPARE_REPLY.error.message");
	BAD(FRAME_PEER_SWITCHOVER, m.u.notice.job_id = 0, "PEER_SWITCHOVER.job_id: missing");
	BAD(FRAME_PEER_COMMIT, m.u.notice.job_id = 0, "PEER_COMMIT.job_id");
	BAD(FRAME_PEER_COMMIT_ACK, m.u.notice.job_id = 0, "PEER_COMMIT_ACK.job_id");
	BAD(FRAME_PEER_RESUMED, m.u.notice.job_id = 0, "PEER_RESUMED.job_id");
	BAD(FRAME_PEER_LOADED, m.u.load.job_id = 0, "job_id: missing");
	BAD(FRAME_PEER_LOADED, m.u.load.device_index = 32, "device_index: 32 is outside 0..31");
	BAD(FRAME_PEER_LOADED, m.u.load.error.code = PROTO_ERR_INTEGRITY, "INTEGRITY in LOADED");
	BAD(FRAME_PEER_LOAD_FAILED, m.u.load.error.code = PROTO_ERR_OK,
	    "error: missing in LOAD_FAILED");
	BAD(FRAME_PEER_ABORT, m.u.abort.job_id = 0, "PEER_ABORT.job_id: missing");
	BAD(FRAME_PEER_ABORT, m.u.abort.reason.code = PROTO_ERR_OK, "PEER_ABORT.reason: missing");
	BAD(FRAME_PEER_ABORT, strcpy(m.u.abort.reason.device, "no way"), "reason.device");
	BAD(FRAME_STREAM_HELLO, m.u.stream_hello.job_id = 0, "STREAM_HELLO.job_id");
	BAD(FRAME_STREAM_HELLO, m.u.stream_hello.device_index = 99, "device_index: 99");
	BAD(FRAME_STREAM_HELLO, m.u.stream_hello.token[0] = 0, "token: missing");
	BAD(FRAME_STREAM_HELLO, strcpy(m.u.stream_hello.token, "a b"), "token: not printable");
	BAD(FRAME_STREAM_ACK, m.u.stream_ack.device_index = 32, "STREAM_ACK.device_index: 32");
	BAD(FRAME_STREAM_END, m.u.stream_end.device_index = UINT32_MAX, "STREAM_END.device_index");
}
END_TEST

START_TEST(test_prepare_encode_refuses)
{
#define PD m.u.prepare.devices
	BAD(FRAME_PEER_PREPARE, m.u.prepare.job_id = 0, "job_id: missing");
	BAD(FRAME_PEER_PREPARE, m.u.prepare.token[0] = 0, "token: missing");
	BAD(FRAME_PEER_PREPARE, m.u.prepare.n_devices = 0, "devices: 0");
	BAD(FRAME_PEER_PREPARE, m.u.prepare.n_devices = 33, "devices: 33");
	BAD(FRAME_PEER_PREPARE, strcpy(PD[1].source_id, "gpu0"), "source_id[1]: \"gpu0\"");
	BAD(FRAME_PEER_PREPARE, strcpy(PD[1].target_id, "vf0"), "target_id[1]: \"vf0\"");
	BAD(FRAME_PEER_PREPARE, PD[0].target_id[0] = 0, "devices[0].target_id: missing");
	BAD(FRAME_PEER_PREPARE, PD[0].migration_flags = 0x6, "0x6 lacks STOP_COPY");
	BAD(FRAME_PEER_PREPARE, PD[0].migration_flags = 0x9, "0x9 lacks STOP_COPY or has unknown");
	BAD(FRAME_PEER_PREPARE, PD[1].compat.driver[0] = 0, "devices[1].compat.driver: missing");
	BAD(FRAME_PEER_PREPARE, PD[0].compat.vendor_id = 0x10000, "compat.vendor_id: 65536");
	BAD(FRAME_PEER_PREPARE, PD[0].compat.device_id = 0x10000, "compat.device_id");
	BAD(FRAME_PEER_PREPARE, PD[0].compat.subsystem_vendor_id = 0x10000,
	    "compat.subsystem_vendor_id");
	BAD(FRAME_PEER_PREPARE, PD[0].compat.subsystem_device_id = 0x10000,
	    "compat.subsystem_device_id");
	BAD(FRAME_PEER_PREPARE, fill(PD[1].compat.mdev_type, PROTO_NAME_MAX + 1, 'm'),
	    "compat.mdev_type: longer");
	BAD(FRAME_PEER_PREPARE, strcpy(PD[0].compat.model, "\x01"), "compat.model");
	BAD(FRAME_PEER_PREPARE, PD[0].metadata_len = PROTO_METADATA_MAX + 1,
	    "devices[0].metadata: 1048577");
	BAD(FRAME_PEER_PREPARE, PD[1].metadata_len = 1, "devices[1].metadata: NULL with a length");
#undef PD
}
END_TEST

/* ---- decode ---- */

static void expect_decode(uint16_t type, const ProtobufCMessage *pm, int err, const char *reason)
{
	struct peer_msg m, before;
	size_t len;
	uint8_t *buf = pb_pack(pm, &len);
	int r;

	memset(&m, 0x3c, sizeof(m));
	before = m;
	r = peer_msg_decode(type, buf, len, &m);
	free(buf);
	ck_assert_msg(r == err, "decode %s gave %d, want %d (%s)", frame_type_name(type), r, err,
		      proto_last_error());
	if (r < 0)
		ck_assert_mem_eq(&m, &before, sizeof(m));
	else
		peer_msg_clear(&m);
	if (reason)
		expect_reason(reason);
}

START_TEST(test_decode_refuses)
{
	Vmig__PeerHello h = VMIG__PEER_HELLO__INIT;
	Vmig__PeerPing p = VMIG__PEER_PING__INIT;
	Vmig__LoadResult l = VMIG__LOAD_RESULT__INIT;
	Vmig__StreamHello sh = VMIG__STREAM_HELLO__INIT;
	Vmig__StreamAck sa = VMIG__STREAM_ACK__INIT;
	Vmig__StreamEnd se = VMIG__STREAM_END__INIT;
	Vmig__PeerAbort ab = VMIG__PEER_ABORT__INIT;
	Vmig__Error err = VMIG__ERROR__INIT;
	uint8_t sha[PROTO_DIGEST_LEN] = { 1 };

	expect_decode(FRAME_PEER_HELLO, &h.base, -EPROTO, "version, min_version: missing");
	h.has_version = h.has_min_version = 1;
	h.version = 7;
	h.min_version = 3;
	expect_decode(FRAME_PEER_HELLO, &h.base, 0, NULL);
	h.min_version = 8;
	expect_decode(FRAME_PEER_HELLO, &h.base, -EPROTO, "min_version: 8 is outside 1..7");

	expect_decode(FRAME_PEER_PONG, &p.base, -EPROTO, "PEER_PONG.nonce: missing");

	expect_decode(FRAME_PEER_LOADED, &l.base, -EPROTO, "device_index: missing");
	l.has_device_index = 1;
	expect_decode(FRAME_PEER_LOADED, &l.base, -EPROTO, "job_id: missing");
	l.has_job_id = 1;
	l.job_id = 5;
	expect_decode(FRAME_PEER_LOADED, &l.base, 0, NULL);
	expect_decode(FRAME_PEER_LOAD_FAILED, &l.base, -EPROTO, "missing in LOAD_FAILED");
	l.error = &err;
	err.has_code = 1;
	err.code = VMIG__ERROR_CODE__INTEGRITY;
	expect_decode(FRAME_PEER_LOAD_FAILED, &l.base, 0, NULL);
	expect_decode(FRAME_PEER_LOADED, &l.base, -EPROTO, "INTEGRITY in LOADED");

	ab.has_job_id = 1;
	ab.job_id = 5;
	expect_decode(FRAME_PEER_ABORT, &ab.base, -EPROTO, "reason: missing");
	ab.reason = &err;
	expect_decode(FRAME_PEER_ABORT, &ab.base, 0, NULL);

	sh.has_job_id = 1;
	sh.job_id = 5;
	sh.token = "t";
	expect_decode(FRAME_STREAM_HELLO, &sh.base, -EPROTO, "device_index: missing");
	sh.has_device_index = 1;
	expect_decode(FRAME_STREAM_HELLO, &sh.base, 0, NULL);
	sh.token = NULL;
	expect_decode(FRAME_STREAM_HELLO, &sh.base, -EPROTO, "STREAM_HELLO.token: missing");

	sa.has_device_index = 1;
	expect_decode(FRAME_STREAM_ACK, &sa.base, -EPROTO, "device_index, bytes: missing");

	se.has_device_index = se.has_bytes = 1;
	expect_decode(FRAME_STREAM_END, &se.base, -EPROTO, "sha256: missing");
	se.has_sha256 = 1;
	se.sha256.data = sha;
	se.sha256.len = 31;
	expect_decode(FRAME_STREAM_END, &se.base, -EPROTO, "sha256: 31 bytes, not 32");
	se.sha256.len = 32;
	expect_decode(FRAME_STREAM_END, &se.base, 0, NULL);
	se.device_index = 32;
	expect_decode(FRAME_STREAM_END, &se.base, -EPROTO, "device_index: 32");
}
END_TEST

/* A PeerPrepare built with protobuf-c, n devices of meta_len metadata bytes each. */
struct pb_prepare {
	Vmig__PeerPrepare p;
	Vmig__PrepareDevice d[40];
	Vmig__PrepareDevice *dp[40];
	Vmig__DeviceCompat c[40];
	char ids[40][2][16];
};

static void pb_prepare(struct pb_prepare *f, size_t n, uint8_t *meta, size_t meta_len)
{
	vmig__peer_prepare__init(&f->p);
	f->p.has_job_id = 1;
	f->p.job_id = 3;
	f->p.token = "tok";
	for (size_t i = 0; i < n; i++) {
		vmig__prepare_device__init(&f->d[i]);
		vmig__device_compat__init(&f->c[i]);
		snprintf(f->ids[i][0], 16, "s%zu", i);
		snprintf(f->ids[i][1], 16, "t%zu", i);
		f->d[i].source_id = f->ids[i][0];
		f->d[i].target_id = f->ids[i][1];
		f->d[i].has_migration_flags = 1;
		f->d[i].migration_flags = 1;
		f->c[i].driver = "sim";
		f->d[i].compat = &f->c[i];
		f->d[i].has_metadata = meta_len != 0;
		f->d[i].metadata.data = meta;
		f->d[i].metadata.len = meta_len;
		f->dp[i] = &f->d[i];
	}
	f->p.n_devices = n;
	f->p.devices = f->dp;
}

START_TEST(test_prepare_decode_refuses)
{
	struct pb_prepare f;
	uint8_t *meta = pattern(PROTO_METADATA_MAX + 1, 5);

	pb_prepare(&f, 2, meta, 7);
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, 0, NULL);
	f.p.job_id = 0;
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "job_id: missing");
	pb_prepare(&f, 2, meta, 7);
	f.d[1].compat = NULL;
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "devices[1].compat: missing");
	pb_prepare(&f, 2, meta, 7);
	f.d[0].has_migration_flags = 0;
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO,
		      "devices[0].migration_flags: missing");
	pb_prepare(&f, 2, meta, 7);
	f.c[0].has_vendor_id = 1;
	f.c[0].vendor_id = 0x12345;
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "compat.vendor_id: 74565");
	pb_prepare(&f, 0, NULL, 0);
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "devices: 0");
	pb_prepare(&f, 33, NULL, 0);
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "devices: 33");
	pb_prepare(&f, 3, meta, PROTO_METADATA_MAX + 1);
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "devices[0].metadata: 1048577 bytes");
	/* metadata taken from earlier devices is freed when a later one fails */
	pb_prepare(&f, 3, meta, 7);
	f.d[2].source_id = "bad id";
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "devices[2].source_id");
	pb_prepare(&f, 3, meta, 7);
	f.d[2].source_id = "s0";
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "source_id[2]: \"s0\" repeats [0]");
	pb_prepare(&f, 5, meta, PROTO_METADATA_MAX);
	f.d[4].metadata.len = 100000;
	expect_decode(FRAME_PEER_PREPARE, &f.p.base, -EPROTO, "devices.metadata (total)");
	free(meta);
}
END_TEST

START_TEST(test_largest_fit)
{
	struct peer_msg m;
	struct peer_prepare *p = &m.u.prepare;

	memset(&m, 0, sizeof(m));
	m.type = FRAME_PEER_PREPARE;
	p->job_id = UINT64_MAX;
	fill(p->token, PROTO_TOKEN_MAX, 't');
	p->n_devices = PROTO_JOB_DEVICES_MAX;
	for (uint32_t i = 0; i < PROTO_JOB_DEVICES_MAX; i++) {
		struct peer_prepare_device *d = &p->devices[i];

		fill(d->source_id, PROTO_ID_MAX, 's');
		fill(d->target_id, PROTO_ID_MAX, 't');
		d->source_id[0] = d->target_id[0] = "0123456789abcdefghijklmnopqrstuv"[i];
		d->migration_flags = 7;
		fill(d->compat.driver, PROTO_NAME_MAX, 'd');
		fill(d->compat.mdev_type, PROTO_NAME_MAX, 'm');
		fill(d->compat.model, PROTO_NAME_MAX, 'o');
		d->compat.vendor_id = d->compat.device_id = 0xffff;
		d->compat.subsystem_vendor_id = d->compat.subsystem_device_id = 0xffff;
		d->compat.state_size = UINT64_MAX;
		d->metadata_len = PROTO_METADATA_TOTAL_MAX / PROTO_JOB_DEVICES_MAX;
		d->metadata = pattern(d->metadata_len, (uint8_t)i);
	}
	p->downtime_limit_ms = UINT32_MAX;
	round_trip(&m);
	peer_msg_clear(&m);

	/* every small message at its largest */
	sample_peer(&m, FRAME_PEER_HELLO);
	m.u.hello.version = m.u.hello.min_version = UINT32_MAX;
	m.u.hello.features = UINT64_MAX;
	fill(m.u.hello.host_identity, PROTO_ADDR_MAX, 'h');
	fill(m.u.hello.software, PROTO_NAME_MAX, 's');
	round_trip(&m);
	sample_peer(&m, FRAME_PEER_PING);
	m.u.ping.nonce = UINT64_MAX;
	round_trip(&m);
	sample_peer(&m, FRAME_PEER_LOAD_FAILED);
	m.u.load.job_id = UINT64_MAX;
	m.u.load.device_index = PROTO_JOB_DEVICES_MAX - 1;
	m.u.load.error.code = UINT32_MAX >> 1;
	fill(m.u.load.error.message, PROTO_MESSAGE_MAX, 'e');
	fill(m.u.load.error.device, PROTO_ID_MAX, 'd');
	round_trip(&m);
	sample_peer(&m, FRAME_PEER_ABORT);
	m.u.abort.job_id = UINT64_MAX;
	m.u.abort.reason.code = UINT32_MAX >> 1;
	fill(m.u.abort.reason.message, PROTO_MESSAGE_MAX, 'e');
	fill(m.u.abort.reason.device, PROTO_ID_MAX, 'd');
	round_trip(&m);
	sample_peer(&m, FRAME_PEER_PREPARE_REPLY);
	m.u.prepare_reply.job_id = m.u.prepare_reply.dest_job_id = UINT64_MAX;
	m.u.prepare_reply.error.code = UINT32_MAX >> 1;
	fill(m.u.prepare_reply.error.message, PROTO_MESSAGE_MAX, 'e');
	fill(m.u.prepare_reply.error.device, PROTO_ID_MAX, 'd');
	round_trip(&m);
	sample_peer(&m, FRAME_STREAM_HELLO);
	m.u.stream_hello.job_id = UINT64_MAX;
	m.u.stream_hello.device_index = PROTO_JOB_DEVICES_MAX - 1;
	fill(m.u.stream_hello.token, PROTO_TOKEN_MAX, 't');
	round_trip(&m);
	sample_peer(&m, FRAME_STREAM_ACK);
	m.u.stream_ack.device_index = PROTO_JOB_DEVICES_MAX - 1;
	m.u.stream_ack.bytes = UINT64_MAX;
	round_trip(&m);
	sample_peer(&m, FRAME_STREAM_END);
	m.u.stream_end.device_index = PROTO_JOB_DEVICES_MAX - 1;
	m.u.stream_end.bytes = UINT64_MAX;
	round_trip(&m);
	sample_peer(&m, FRAME_PEER_COMMIT);
	m.u.notice.job_id = UINT64_MAX;
	round_trip(&m);
}
END_TEST

START_TEST(test_garbage)
{
	static const uint8_t junk[][4] = {
		{ 0x08 },
		{ 0x0b, 0x00 },
		{ 0x12, 0x05, 'a' },
		{ 0x80, 0x80, 0x80, 0x80 },
	};
	struct peer_msg m;

	for (size_t t = 0; t < n_all_peer_types; t++) {
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			int r = peer_msg_decode(all_peer_types[t], junk[j], 4, &m);

			ck_assert_msg(r == -EBADMSG || r == -EPROTO, "%s: junk %zu gave %d",
				      frame_type_name(all_peer_types[t]), j, r);
		}
		/* a body above the type's cap is refused before anything is read */
		ck_assert_int_eq(peer_msg_decode(all_peer_types[t], (const uint8_t *)"",
						 frame_type_cap(all_peer_types[t]) + 1, &m),
				 -EMSGSIZE);
	}
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("peer_msg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip_every_type);
	tcase_add_test(tc, test_not_peer_types);
	tcase_add_test(tc, test_encode_refuses);
	tcase_add_test(tc, test_decode_refuses);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *prepare_suite(void)
{
	Suite *s = suite_create("peer_prepare");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_prepare_encode_refuses);
	tcase_add_test(tc, test_prepare_decode_refuses);
	tcase_add_test(tc, test_largest_fit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failed;

	srunner_add_suite(sr, prepare_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
