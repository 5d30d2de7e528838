/*
 * test_proto.c - proto.c and codec.c: the stable error codes and their errno mapping,
 * building always-encodable errors, string classes, the wire scan, the allocation budget,
 * and garbage (random and mutated encodings) fed to every decoder.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "control.pb-c.h"
#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "frame.h"
#include "peer.pb-c.h"
#include "peer_msg.h"
#include "test_proto_util.h"

/* ---- proto ---- */

START_TEST(test_err_names)
{
	static const char *const names[PROTO_ERR_COUNT] = {
		"OK",
		"INVALID_ARGUMENT",
		"NOT_FOUND",
		"ALREADY_EXISTS",
		"BUSY",
		"PERMISSION_DENIED",
		"INCOMPATIBLE",
		"TOKEN_INVALID",
		"TOKEN_EXPIRED",
		"PEER_UNREACHABLE",
		"TLS_FAILED",
		"TIMEOUT",
		"CANCELLED",
		"DEVICE_FAILED",
		"INTEGRITY",
		"PROTOCOL",
		"INTERNAL",
		"UNSUPPORTED",
		"RESOURCE_EXHAUSTED",
	};

	for (uint32_t c = 0; c < PROTO_ERR_COUNT; c++)
		ck_assert_str_eq(proto_err_name(c), names[c]);
	ck_assert_str_eq(proto_err_name(PROTO_ERR_COUNT), "UNKNOWN");
	ck_assert_str_eq(proto_err_name(UINT32_MAX), "UNKNOWN");
	/* the wire enum and the C enum agree */
	ck_assert_int_eq(VMIG__ERROR_CODE__RESOURCE_EXHAUSTED, PROTO_ERR_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(VMIG__ERROR_CODE__TOKEN_EXPIRED, PROTO_ERR_TOKEN_EXPIRED);
	ck_assert_uint_eq(vmig__error_code__descriptor.n_values, PROTO_ERR_COUNT);
}
END_TEST

START_TEST(test_errno_mapping)
{
	static const struct {
		int err;
		uint32_t code;
	} cases[] = {
		{ 0, PROTO_ERR_OK },
		{ -EINVAL, PROTO_ERR_INVALID_ARGUMENT },
		{ -ENOENT, PROTO_ERR_NOT_FOUND },
		{ -ENODEV, PROTO_ERR_NOT_FOUND },
		{ -EEXIST, PROTO_ERR_ALREADY_EXISTS },
		{ -EBUSY, PROTO_ERR_BUSY },
		{ -EPERM, PROTO_ERR_PERMISSION_DENIED },
		{ -EACCES, PROTO_ERR_PERMISSION_DENIED },
		{ -ETIMEDOUT, PROTO_ERR_TIMEOUT },
		{ -ECANCELED, PROTO_ERR_CANCELLED },
		{ -ECONNREFUSED, PROTO_ERR_PEER_UNREACHABLE },
		{ -ECONNRESET, PROTO_ERR_PEER_UNREACHABLE },
		{ -EIO, PROTO_ERR_DEVICE_FAILED },
		{ -EPROTO, PROTO_ERR_PROTOCOL },
		{ -EBADMSG, PROTO_ERR_PROTOCOL },
		{ -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED },
		{ -ENOMEM, PROTO_ERR_RESOURCE_EXHAUSTED },
		{ -ENOSPC, PROTO_ERR_RESOURCE_EXHAUSTED },
		{ ENOENT, PROTO_ERR_NOT_FOUND },
		{ -EXFULL, PROTO_ERR_INTERNAL },
		{ -4095, PROTO_ERR_INTERNAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(proto_err_from_errno(cases[i].err) == cases[i].code,
			      "errno %d gave %s", cases[i].err,
			      proto_err_name(proto_err_from_errno(cases[i].err)));
	/* every code survives the trip through libvfiomig's errno and back */
	for (uint32_t c = 0; c < PROTO_ERR_COUNT; c++) {
		int e = proto_err_to_errno(c);

		ck_assert_int_le(e, 0);
		ck_assert_int_eq(e == 0, c == PROTO_ERR_OK);
		ck_assert_uint_eq(proto_err_from_errno(e), c);
	}
	ck_assert_int_eq(proto_err_to_errno(PROTO_ERR_COUNT), -EREMOTEIO);
	ck_assert_int_eq(proto_err_to_errno(UINT32_MAX), -EREMOTEIO);
}
END_TEST

static void expect_encodable(const struct proto_error *e)
{
	struct ctl_reply r = { 0 };
	uint8_t *buf = NULL;
	size_t len;

	r.error = *e;
	ck_assert_msg(ctl_reply_encode(&r, &buf, &len) == 0, "%s", proto_last_error());
	free(buf);
}

START_TEST(test_error_set)
{
	struct proto_error e;
	char big[2048];

	proto_error_set(&e, PROTO_ERR_BUSY, "gpu0", "device %s is held by job %d", "gpu0", 7);
	ck_assert_uint_eq(e.code, PROTO_ERR_BUSY);
	ck_assert_str_eq(e.message, "device gpu0 is held by job 7");
	ck_assert_str_eq(e.device, "gpu0");
	expect_encodable(&e);

	/* control characters become spaces, broken UTF-8 becomes '?', bad ids are dropped */
	proto_error_set(&e, PROTO_ERR_INTERNAL, "not an id", "a\nb\tc\x7f \xff\xc3(");
	ck_assert_str_eq(e.message, "a b c  ?"
				    "?(");
	ck_assert_str_eq(e.device, "");
	expect_encodable(&e);
	proto_error_set(&e, PROTO_ERR_INTERNAL, NULL, "caf\xc3\xa9 \xe2\x82\xac");
	ck_assert_str_eq(e.message, "caf\xc3\xa9 \xe2\x82\xac");

	/* truncation to 1023 bytes never leaves half a character */
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	proto_error_set(&e, PROTO_ERR_INTERNAL, NULL, "%s", big);
	ck_assert_uint_eq(strlen(e.message), PROTO_MESSAGE_MAX);
	strcpy(big + 1022, "\xc3\xa9 tail");
	proto_error_set(&e, PROTO_ERR_INTERNAL, NULL, "%s", big);
	ck_assert_uint_eq(strlen(e.message), 1022);
	expect_encodable(&e);
	strcpy(big + 1021, "\xe2\x82\xac tail");
	proto_error_set(&e, PROTO_ERR_INTERNAL, NULL, "%s", big);
	ck_assert_uint_eq(strlen(e.message), 1021);
	expect_encodable(&e);
	strcpy(big + 1020, "\xe2\x82\xac tail");
	proto_error_set(&e, PROTO_ERR_INTERNAL, NULL, "%s", big);
	ck_assert_uint_eq(strlen(e.message), 1023);
	ck_assert_mem_eq(e.message + 1020, "\xe2\x82\xac", 3);
	expect_encodable(&e);
	strcpy(big + 1020, "\xf0\x9f\x98\x80");
	proto_error_set(&e, PROTO_ERR_INTERNAL, NULL, "%s", big);
	ck_assert_uint_eq(strlen(e.message), 1020);
	expect_encodable(&e);
}
END_TEST

/* ---- codec ---- */

START_TEST(test_utf8)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
		{ "a", 1 },
		{ "\xc3\xa9", 2 },
		{ "\xe2\x82\xac", 3 },
		{ "\xf0\x9f\x98\x80", 4 },
		{ "\xf4\x8f\xbf\xbf", 4 },
		{ "\xc0\xaf", 0 },
		{ "\xc1\xbf", 0 },
		{ "\xe0\x80\xaf", 0 },
		{ "\xed\xa0\x80", 0 },
		{ "\xf4\x90\x80\x80", 0 },
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xe2\x82", 0 },
		{ "\x80", 0 },
		{ "\xc3\x28", 0 },
		{ "\xf0\x9f\x98", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(codec_utf8_char_len((const uint8_t *)cases[i].s,
						  strlen(cases[i].s)) == cases[i].len,
			      "case %zu", i);
	ck_assert_uint_eq(codec_utf8_char_len((const uint8_t *)"", 0), 0);
}
END_TEST

START_TEST(test_classes)
{
	static const struct {
		const char *s;
		enum codec_class cls;
		bool ok;
	} cases[] = {
		{ "gpu0", CODEC_ID, true },
		{ "a.b_c:d@e-f", CODEC_ID, true },
		{ "a b", CODEC_ID, false },
		{ "a/b", CODEC_ID, false },
		{ "caf\xc3\xa9", CODEC_ID, false },
		{ "hello, w\xc3\xb6rld", CODEC_TEXT, true },
		{ "tab\there", CODEC_TEXT, false },
		{ "del\x7f", CODEC_TEXT, false },
		{ "[::1]:7400", CODEC_ASCII, true },
		{ "a b", CODEC_ASCII, false },
		{ "\xc3\xa9", CODEC_ASCII, false },
		{ "0000:00:00.0", CODEC_PCI, true },
		{ "ffff:ff:1f.7", CODEC_PCI, true },
		{ "ffff:ff:20.7", CODEC_PCI, false },
		{ "0000:00:00.8", CODEC_PCI, false },
		{ "0000:00:00.a", CODEC_PCI, false },
		{ "0000:00:0g.0", CODEC_PCI, false },
		{ "0000-00:00.0", CODEC_PCI, false },
		{ "0000:00:00.00", CODEC_PCI, false },
		{ "0000:00:00.", CODEC_PCI, false },
		{ "01234567-89ab-cdef-0123-456789abcdef", CODEC_UUID, true },
		{ "01234567-89ab-cdef-0123-456789abcdeF", CODEC_UUID, false },
		{ "01234567-89ab-cdef-0123_456789abcdef", CODEC_UUID, false },
		{ "01234567-89ab-cdef-0123-456789abcde", CODEC_UUID, false },
		{ "", CODEC_PCI, true }, /* empty is fine here; presence is checked apart */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(codec_text_ok(cases[i].s, 64, cases[i].cls) == cases[i].ok,
			      "\"%s\" class %d", cases[i].s, cases[i].cls);
	ck_assert(codec_text_ok("abc", 3, CODEC_ID));
	ck_assert(!codec_text_ok("abcd", 3, CODEC_ID));
}
END_TEST

START_TEST(test_prefix_bounded)
{
	char ctx[128];

	memset(ctx, 'c', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	codec_fail(-EPROTO, "%0500d", 7);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(codec_prefix(-EPROTO, "%s", ctx), -EPROTO);
	ck_assert_uint_lt(strlen(proto_last_error()), 512);
	ck_assert_mem_eq(proto_last_error(), ctx, 127);
	codec_fail(-EPROTO, "x");
	codec_prefix(-EPROTO, "a[%d]", 3);
	codec_prefix(-EPROTO, "b");
	ck_assert_str_eq(proto_last_error(), "b.a[3].x");
}
END_TEST

START_TEST(test_distinct)
{
	const char *ids[] = { "a", "b", "c", "b" };

	ck_assert_int_eq(codec_distinct(ids, 3, "ids"), 0);
	ck_assert_int_eq(codec_distinct(ids, 4, "ids"), -EPROTO);
	expect_reason("ids[3]: \"b\" repeats [1]");
	ck_assert_int_eq(codec_distinct(ids, 0, "ids"), 0);
}
END_TEST

/* Bytes on the wire that protobuf-c refuses, or that the scan refuses before it. */
START_TEST(test_wire_scan)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *reason;
	} bad[] = {
		{ "\x08", 1, "bad varint" },
		{ "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, "bad varint" },
		{ "\x0b", 1, "wire type 3" },
		{ "\x0c", 1, "wire type 4" },
		{ "\x0e", 1, "wire type 6" },
		{ "\x0f", 1, "wire type 7" },
		{ "\x00", 1, "bad field tag" },
		{ "\x09\x01\x02", 3, "truncated field" },
		{ "\x0d\x01", 2, "truncated field" },
		{ "\x12\x05\x01", 3, "bad length" },
		{ "\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10, "bad length" },
		{ "\xf8\xff\xff\xff\xff\x1f\x00", 7, "bad field tag" },
	};
	struct ctl_reply r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(ctl_reply_decode((const uint8_t *)bad[i].bytes, bad[i].len, &r),
				 -EBADMSG);
		expect_reason(bad[i].reason);
	}
}
END_TEST

/* A NUL deep inside: Reply.job_list.jobs[1].devices[0].source_id. */
START_TEST(test_nul_nested)
{
	struct ctl_reply r, d;
	uint8_t *buf = NULL;
	size_t len, blen;
	const uint8_t *body;
	uint8_t *copy, *hit;

	sample_reply(&r, CTL_RESULT_JOB_LIST);
	strcpy(r.u.job_list.jobs[1].devices[0].source_id, "zz9plural");
	ck_assert_int_eq(ctl_reply_encode(&r, &buf, &len), 0);
	body = frame_body(buf, len, FRAME_CTL_REPLY, &blen);
	copy = malloc(blen);
	memcpy(copy, body, blen);
	hit = memmem(copy, blen, "zz9plural", 9);
	ck_assert_ptr_nonnull(hit);
	ck_assert_int_eq(ctl_reply_decode(copy, blen, &d), 0);
	ctl_reply_clear(&d);
	hit[3] = '\0';
	ck_assert_int_eq(ctl_reply_decode(copy, blen, &d), -EBADMSG);
	expect_reason("DeviceProgress.source_id: string holds a NUL byte");
	free(copy);
	free(buf);
	ctl_reply_clear(&r);
}
END_TEST

START_TEST(test_budget_unpack)
{
	/* JobList with n empty JobStatus entries, fed to the budgeted unpack directly */
	size_t n = 40000, len = 0;
	uint8_t *body = malloc(2 * n);
	ProtobufCMessage *m = NULL;

	for (size_t i = 0; i < n; i++) {
		body[len++] = 0x0a;
		body[len++] = 0x00;
	}
	ck_assert_int_eq(codec_unpack(&vmig__job_list__descriptor, FRAME_CTL_REPLY, body, len, &m),
			 -ENOBUFS);
	ck_assert_ptr_null(m);
	/* a hundred of them are well within budget */
	ck_assert_int_eq(codec_unpack(&vmig__job_list__descriptor, FRAME_CTL_REPLY, body, 200, &m),
			 0);
	ck_assert_uint_eq(((Vmig__JobList *)m)->n_jobs, 100);
	codec_free(m);
	codec_free(NULL);
	/* the cap is checked before anything else */
	ck_assert_int_eq(codec_unpack(&vmig__job_list__descriptor, FRAME_CTL_EVENT, body,
				      frame_type_cap(FRAME_CTL_EVENT) + 1, &m),
			 -EMSGSIZE);
	free(body);
}
END_TEST

START_TEST(test_metadata_zeros)
{
	struct ctl_request q, d;
	uint8_t *buf = NULL;
	size_t len, blen;
	const uint8_t *body;

	sample_request(&q, CTL_OP_MIGRATE);
	memset(q.u.migrate.devices[0].metadata, 0, q.u.migrate.devices[0].metadata_len);
	ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
	body = frame_body(buf, len, FRAME_CTL_REQUEST, &blen);
	ck_assert_int_eq(ctl_request_decode(body, blen, &d), 0);
	expect_request_eq(&q, &d);
	ctl_request_clear(&d);
	ctl_request_clear(&q);
	free(buf);
}
END_TEST

/*
 * Depth of the deepest nesting below d; fails the test if d is reachable from itself
 * (protobuf-c unpacks recursively without a depth limit, so schemas must not recurse).
 */
static unsigned int schema_depth(const ProtobufCMessageDescriptor *d,
				 const ProtobufCMessageDescriptor **path, unsigned int n)
{
	unsigned int deepest = 0;

	for (unsigned int i = 0; i < n; i++)
		ck_assert_msg(path[i] != d, "%s contains itself", d->name);
	ck_assert_uint_lt(n, 16);
	path[n] = d;
	for (unsigned int f = 0; f < d->n_fields; f++) {
		unsigned int sub;

		if (d->fields[f].type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		sub = 1 + schema_depth(d->fields[f].descriptor, path, n + 1);
		if (sub > deepest)
			deepest = sub;
	}
	return deepest;
}

START_TEST(test_schemas_not_recursive)
{
	static const ProtobufCMessageDescriptor *const roots[] = {
		&vmig__request__descriptor,
		&vmig__reply__descriptor,
		&vmig__event__descriptor,
		&vmig__peer_hello__descriptor,
		&vmig__peer_ping__descriptor,
		&vmig__peer_prepare__descriptor,
		&vmig__peer_prepare_reply__descriptor,
		&vmig__stream_hello__descriptor,
		&vmig__stream_ack__descriptor,
		&vmig__stream_end__descriptor,
		&vmig__job_notice__descriptor,
		&vmig__load_result__descriptor,
		&vmig__peer_abort__descriptor,
	};
	const ProtobufCMessageDescriptor *path[16];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		ck_assert_uint_lt(schema_depth(roots[i], path, 0), CODEC_DEPTH_MAX);
}
END_TEST

/* ---- garbage into every decoder ---- */

/* Decodes with the decoder for frame type t; frees what a success holds. */
static int decode_any(uint16_t t, const uint8_t *buf, size_t len)
{
	struct ctl_request q;
	struct ctl_reply r;
	struct ctl_event e;
	struct peer_msg m;
	int ret;

	switch (t) {
	case FRAME_CTL_REQUEST:
		ret = ctl_request_decode(buf, len, &q);
		if (ret == 0)
			ctl_request_clear(&q);
		return ret;
	case FRAME_CTL_REPLY:
		ret = ctl_reply_decode(buf, len, &r);
		if (ret == 0)
			ctl_reply_clear(&r);
		return ret;
	case FRAME_CTL_EVENT:
		return ctl_event_decode(buf, len, &e);
	default:
		ret = peer_msg_decode(t, buf, len, &m);
		if (ret == 0)
			peer_msg_clear(&m);
		return ret;
	}
}

static void expect_sane(int r)
{
	ck_assert_msg(r == 0 || r == -EBADMSG || r == -EPROTO || r == -EOPNOTSUPP ||
			      r == -ENOBUFS || r == -EMSGSIZE,
		      "decoder gave %d", r);
}

START_TEST(test_random_bytes)
{
	uint8_t buf[256];

	srand(4321);
	for (int i = 0; i < 30000; i++) {
		size_t len = (size_t)rand() % sizeof(buf);
		uint16_t types[] = { FRAME_CTL_REQUEST, FRAME_CTL_REPLY, FRAME_CTL_EVENT,
				     all_peer_types[rand() % n_all_peer_types] };

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand();
		expect_sane(decode_any(types[i % 4], buf, len));
	}
}
END_TEST

/* Flips, truncates and splices valid encodings of every sample. */
static void mutate_and_decode(uint16_t type, const uint8_t *frame, size_t len, unsigned int seed)
{
	size_t blen;
	const uint8_t *body = frame_body(frame, len, type, &blen);
	uint8_t *copy = malloc(blen + 8);

	srand(seed);
	for (int i = 0; i < 400; i++) {
		size_t n = blen;

		memcpy(copy, body, blen);
		for (int k = 0; k < 1 + rand() % 4 && blen; k++)
			copy[(size_t)rand() % blen] ^= (uint8_t)(1u << (rand() % 8));
		if (rand() % 3 == 0 && blen)
			n = (size_t)rand() % blen;
		expect_sane(decode_any(type, copy, n));
	}
	free(copy);
}

START_TEST(test_mutated_encodings)
{
	uint8_t *buf;
	size_t len;

	for (size_t i = 0; i < n_all_ops; i++) {
		struct ctl_request q;

		sample_request(&q, all_ops[i]);
		ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
		mutate_and_decode(FRAME_CTL_REQUEST, buf, len, (unsigned int)i);
		free(buf);
		ctl_request_clear(&q);
	}
	for (size_t i = 0; i < n_all_results; i++) {
		struct ctl_reply r;

		sample_reply(&r, all_results[i]);
		ck_assert_int_eq(ctl_reply_encode(&r, &buf, &len), 0);
		mutate_and_decode(FRAME_CTL_REPLY, buf, len, (unsigned int)i);
		free(buf);
		ctl_reply_clear(&r);
	}
	for (size_t i = 0; i < n_all_event_kinds; i++) {
		struct ctl_event e;

		sample_event(&e, all_event_kinds[i]);
		ck_assert_int_eq(ctl_event_encode(&e, &buf, &len), 0);
		mutate_and_decode(FRAME_CTL_EVENT, buf, len, (unsigned int)i);
		free(buf);
	}
	for (size_t i = 0; i < n_all_peer_types; i++) {
		struct peer_msg m;

		sample_peer(&m, all_peer_types[i]);
		ck_assert_int_eq(peer_msg_encode(&m, &buf, &len), 0);
		mutate_and_decode(m.type, buf, len, (unsigned int)i);
		free(buf);
		peer_msg_clear(&m);
	}
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_err_names);
	tcase_add_test(tc, test_errno_mapping);
	tcase_add_test(tc, test_error_set);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_classes);
	tcase_add_test(tc, test_prefix_bounded);
	tcase_add_test(tc, test_distinct);
	tcase_add_test(tc, test_wire_scan);
	tcase_add_test(tc, test_nul_nested);
	tcase_add_test(tc, test_budget_unpack);
	tcase_add_test(tc, test_schemas_not_recursive);
	tcase_add_test(tc, test_metadata_zeros);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_mutated_encodings);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_add_suite(sr, codec_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
