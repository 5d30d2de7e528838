/*
 * test_frame.c - frame.c: the type table and its caps, header edge cases (every cap
 * boundary, truncated headers, unknown types, reserved flags), the incremental parser, the
 * encoders and the DATA body header.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

/* The documented caps, written out independently of frame.c's table. */
static const struct {
	uint16_t type;
	int link;
	uint32_t min;
	uint32_t cap;
	const char *name;
} types[] = {
	{ FRAME_CTL_REQUEST, FRAME_LINK_CONTROL, 0, 4 * MiB + 256 * KiB, "CTL_REQUEST" },
	{ FRAME_CTL_REPLY, FRAME_LINK_CONTROL, 0, 1 * MiB + 64 * KiB, "CTL_REPLY" },
	{ FRAME_CTL_EVENT, FRAME_LINK_CONTROL, 0, 64 * KiB, "CTL_EVENT" },
	{ FRAME_PEER_HELLO, FRAME_LINK_PEER, 0, 1 * KiB, "PEER_HELLO" },
	{ FRAME_PEER_PING, FRAME_LINK_PEER, 0, 32, "PEER_PING" },
	{ FRAME_PEER_PONG, FRAME_LINK_PEER, 0, 32, "PEER_PONG" },
	{ FRAME_PEER_PREPARE, FRAME_LINK_PEER, 0, 4 * MiB + 256 * KiB, "PEER_PREPARE" },
	{ FRAME_PEER_PREPARE_REPLY, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_PREPARE_REPLY" },
	{ FRAME_PEER_SWITCHOVER, FRAME_LINK_PEER, 0, 32, "PEER_SWITCHOVER" },
	{ FRAME_PEER_LOADED, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_LOADED" },
	{ FRAME_PEER_LOAD_FAILED, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_LOAD_FAILED" },
	{ FRAME_PEER_COMMIT, FRAME_LINK_PEER, 0, 32, "PEER_COMMIT" },
	{ FRAME_PEER_COMMIT_ACK, FRAME_LINK_PEER, 0, 32, "PEER_COMMIT_ACK" },
	{ FRAME_PEER_ABORT, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_ABORT" },
	{ FRAME_PEER_RESUMED, FRAME_LINK_PEER, 0, 32, "PEER_RESUMED" },
	{ FRAME_STREAM_HELLO, FRAME_LINK_STREAM, 0, 256, "STREAM_HELLO" },
	{ FRAME_STREAM_DATA, FRAME_LINK_STREAM, 8, 8 + 1 * MiB, "STREAM_DATA" },
	{ FRAME_STREAM_ACK, FRAME_LINK_STREAM, 0, 32, "STREAM_ACK" },
	{ FRAME_STREAM_END, FRAME_LINK_STREAM, 0, 64, "STREAM_END" },
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

static void header(uint8_t *p, uint32_t len, uint16_t type, uint16_t flags)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = (uint8_t)(type >> 8);
	p[5] = (uint8_t)type;
	p[6] = (uint8_t)(flags >> 8);
	p[7] = (uint8_t)flags;
}

START_TEST(test_table)
{
	for (size_t i = 0; i < N_TYPES; i++) {
		ck_assert_str_eq(frame_type_name(types[i].type), types[i].name);
		ck_assert_uint_eq(frame_type_cap(types[i].type), types[i].cap);
		ck_assert_int_eq(frame_type_link(types[i].type), types[i].link);
		ck_assert_uint_le(types[i].cap, FRAME_BODY_MAX);
		/* the link is the type's high byte */
		ck_assert_int_eq(types[i].type >> 8, types[i].link);
	}
	ck_assert_str_eq(frame_type_name(0x0999), "UNKNOWN");
	ck_assert_uint_eq(frame_type_cap(0x0999), 0);
	ck_assert_int_eq(frame_type_link(0x0999), FRAME_LINK_NONE);
}
END_TEST

/* Every type: body lengths at the cap and at the minimum pass, one beyond fails. */
START_TEST(test_cap_boundaries)
{
	uint8_t h[FRAME_HDR_LEN];
	struct frame_view v;

	for (size_t i = 0; i < N_TYPES; i++) {
		header(h, types[i].cap, types[i].type, 0);
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v), FRAME_NEED_MORE);
		ck_assert_uint_eq(v.frame_len, FRAME_HDR_LEN + types[i].cap);
		ck_assert_uint_eq(v.body_len, types[i].cap);
		ck_assert_uint_eq(v.type, types[i].type);
		ck_assert_ptr_null(v.body);
		ck_assert_int_eq(frame_header_encode(types[i].type, types[i].cap, h), 0);

		header(h, types[i].cap + 1, types[i].type, 0);
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EMSGSIZE);
		ck_assert_int_eq(frame_header_encode(types[i].type, types[i].cap + 1, h),
				 -EMSGSIZE);

		header(h, UINT32_MAX, types[i].type, 0);
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EMSGSIZE);

		header(h, types[i].min, types[i].type, 0);
		ck_assert_int_ne(frame_parse(h, sizeof(h), &v), -EPROTO);
		if (types[i].min > 0) {
			header(h, types[i].min - 1, types[i].type, 0);
			ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EPROTO);
			ck_assert_int_eq(frame_header_encode(types[i].type, types[i].min - 1, h),
					 -EMSGSIZE);
		}
	}
}
END_TEST

START_TEST(test_empty_body_complete)
{
	uint8_t h[FRAME_HDR_LEN];
	struct frame_view v;

	header(h, 0, FRAME_PEER_COMMIT, 0);
	ck_assert_int_eq(frame_parse(h, sizeof(h), &v), FRAME_COMPLETE);
	ck_assert_ptr_eq(v.body, h + FRAME_HDR_LEN);
	ck_assert_uint_eq(v.body_len, 0);
	ck_assert_uint_eq(v.frame_len, FRAME_HDR_LEN);
}
END_TEST

START_TEST(test_truncated_header)
{
	uint8_t h[FRAME_HDR_LEN];
	struct frame_view v;

	/* even a header that will turn out bad needs all 8 bytes first */
	header(h, 10, 0xdead, 0xffff);
	for (size_t len = 0; len < FRAME_HDR_LEN; len++) {
		memset(&v, 0xaa, sizeof(v));
		ck_assert_int_eq(frame_parse(h, len, &v), FRAME_NEED_MORE);
		ck_assert_uint_eq(v.frame_len, FRAME_HDR_LEN);
		ck_assert_ptr_null(v.body);
	}
	ck_assert_int_eq(frame_parse(NULL, 0, &v), FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_partial_body)
{
	uint8_t buf[FRAME_HDR_LEN + 20] = { 0 };
	struct frame_view v;

	header(buf, 20, FRAME_PEER_PING, 0);
	for (size_t len = FRAME_HDR_LEN; len < sizeof(buf); len++) {
		ck_assert_int_eq(frame_parse(buf, len, &v), FRAME_NEED_MORE);
		ck_assert_uint_eq(v.frame_len, sizeof(buf));
		ck_assert_uint_eq(v.type, FRAME_PEER_PING);
		ck_assert_uint_eq(v.body_len, 20);
		ck_assert_ptr_null(v.body);
	}
	ck_assert_int_eq(frame_parse(buf, sizeof(buf), &v), FRAME_COMPLETE);
	ck_assert_ptr_eq(v.body, buf + FRAME_HDR_LEN);
}
END_TEST

START_TEST(test_unknown_types)
{
	static const uint16_t bad[] = { 0x0000, 0x0001, 0x0100, 0x0104, 0x01ff, 0x0200,
					0x020d, 0x0300, 0x0305, 0x0401, 0x1001, 0xffff };
	uint8_t h[FRAME_HDR_LEN];
	struct frame_view v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* unknown is refused whatever the length, even one within every cap */
		header(h, 0, bad[i], 0);
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EPROTO);
		header(h, UINT32_MAX, bad[i], 0);
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EPROTO);
		ck_assert_int_eq(frame_header_encode(bad[i], 0, h), -EINVAL);
	}
	/* every value outside the table, exhaustively */
	for (uint32_t t = 0; t <= 0xffff; t++) {
		int known = 0;

		for (size_t i = 0; i < N_TYPES; i++)
			known |= types[i].type == t;
		/* 8 bytes: within the bounds of every known type */
		header(h, 8, (uint16_t)t, 0);
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v) == -EPROTO, !known);
	}
}
END_TEST

START_TEST(test_reserved_flags)
{
	uint8_t h[FRAME_HDR_LEN];
	struct frame_view v;

	for (unsigned int bit = 0; bit < 16; bit++) {
		header(h, 0, FRAME_PEER_COMMIT, (uint16_t)(1u << bit));
		ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EPROTO);
	}
	header(h, 0, FRAME_PEER_COMMIT, 0xffff);
	ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EPROTO);
}
END_TEST

START_TEST(test_error_leaves_ret)
{
	uint8_t h[FRAME_HDR_LEN];
	struct frame_view v, before;

	memset(&v, 0x5a, sizeof(v));
	before = v;
	header(h, 0, 0x7777, 0);
	ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EPROTO);
	ck_assert_mem_eq(&v, &before, sizeof(v));
	header(h, 33, FRAME_PEER_PING, 0);
	ck_assert_int_eq(frame_parse(h, sizeof(h), &v), -EMSGSIZE);
	ck_assert_mem_eq(&v, &before, sizeof(v));
}
END_TEST

START_TEST(test_encode_bytes)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x03, 0x02, 0x04,
					0x00, 0x00, 'a',  'b',	'c' };
	uint8_t out[sizeof(want)];
	uint8_t small[sizeof(want) - 1];
	struct frame_view v;

	memset(small, 0x11, sizeof(small));
	ck_assert_int_eq(frame_encode(FRAME_PEER_PREPARE, "abc", 3, out, sizeof(out)),
			 (int)sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(frame_encode(FRAME_PEER_PREPARE, "abc", 3, small, sizeof(small)),
			 -ENOBUFS);
	for (size_t i = 0; i < sizeof(small); i++)
		ck_assert_uint_eq(small[i], 0x11);
	ck_assert_int_eq(frame_encode(0x7777, "abc", 3, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(frame_encode(FRAME_PEER_PING, out, 33, out, sizeof(out)), -EMSGSIZE);

	ck_assert_int_eq(frame_parse(want, sizeof(want), &v), FRAME_COMPLETE);
	ck_assert_uint_eq(v.type, FRAME_PEER_PREPARE);
	ck_assert_mem_eq(v.body, "abc", 3);
}
END_TEST

START_TEST(test_back_to_back)
{
	uint8_t buf[64];
	struct frame_view v;
	size_t off = 0;
	int n;

	n = frame_encode(FRAME_PEER_PING, "12345", 5, buf, sizeof(buf));
	ck_assert_int_eq(n, 13);
	n = frame_encode(FRAME_PEER_PONG, "xy", 2, buf + 13, sizeof(buf) - 13);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(frame_parse(buf, 23, &v), FRAME_COMPLETE);
	ck_assert_uint_eq(v.type, FRAME_PEER_PING);
	off += v.frame_len;
	ck_assert_int_eq(frame_parse(buf + off, 23 - off, &v), FRAME_COMPLETE);
	ck_assert_uint_eq(v.type, FRAME_PEER_PONG);
	ck_assert_mem_eq(v.body, "xy", 2);
	off += v.frame_len;
	ck_assert_uint_eq(off, 23);
	ck_assert_int_eq(frame_parse(buf + off, 0, &v), FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_data_round_trip)
{
	static const uint8_t prefix[] = { 0x00, 0x00, 0x00, 0x0b, 0x03, 0x02, 0x00, 0x00,
					  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	uint8_t buf[FRAME_DATA_PREFIX + 3];
	struct frame_view v;
	struct frame_data d;

	ck_assert_int_eq(frame_data_prefix_encode(0x0102030405060708ull, 3, buf), 0);
	ck_assert_mem_eq(buf, prefix, sizeof(prefix));
	memcpy(buf + FRAME_DATA_PREFIX, "xyz", 3);
	ck_assert_int_eq(frame_parse(buf, sizeof(buf), &v), FRAME_COMPLETE);
	ck_assert_int_eq(frame_data_parse(&v, &d), 0);
	ck_assert_uint_eq(d.seq, 0x0102030405060708ull);
	ck_assert_uint_eq(d.len, 3);
	ck_assert_ptr_eq(d.data, buf + FRAME_DATA_PREFIX);

	/* empty data is a valid (if useless) frame; the sequence number is still there */
	ck_assert_int_eq(frame_data_prefix_encode(UINT64_MAX, 0, buf), 0);
	ck_assert_int_eq(frame_parse(buf, FRAME_DATA_PREFIX, &v), FRAME_COMPLETE);
	ck_assert_int_eq(frame_data_parse(&v, &d), 0);
	ck_assert_uint_eq(d.seq, UINT64_MAX);
	ck_assert_uint_eq(d.len, 0);
}
END_TEST

START_TEST(test_data_limits)
{
	uint8_t pre[FRAME_DATA_PREFIX];
	struct frame_view v;
	struct frame_data d, before;
	uint8_t *big;

	ck_assert_int_eq(frame_data_prefix_encode(1, FRAME_DATA_MAX + 1, pre), -EMSGSIZE);
	ck_assert_int_eq(frame_data_prefix_encode(1, FRAME_DATA_MAX, pre), 0);
	big = calloc(1, FRAME_DATA_PREFIX + FRAME_DATA_MAX);
	ck_assert_ptr_nonnull(big);
	memcpy(big, pre, sizeof(pre));
	ck_assert_int_eq(frame_parse(big, FRAME_DATA_PREFIX + FRAME_DATA_MAX - 1, &v),
			 FRAME_NEED_MORE);
	ck_assert_int_eq(frame_parse(big, FRAME_DATA_PREFIX + FRAME_DATA_MAX, &v), FRAME_COMPLETE);
	ck_assert_int_eq(frame_data_parse(&v, &d), 0);
	ck_assert_uint_eq(d.len, FRAME_DATA_MAX);
	free(big);

	/* not DATA, incomplete, or a hand-made view shorter than the sequence number */
	memset(&before, 0x33, sizeof(before));
	d = before;
	v = (struct frame_view){ .type = FRAME_PEER_PING, .body = pre, .body_len = 8 };
	ck_assert_int_eq(frame_data_parse(&v, &d), -EPROTO);
	v = (struct frame_view){ .type = FRAME_STREAM_DATA, .body = NULL, .body_len = 8 };
	ck_assert_int_eq(frame_data_parse(&v, &d), -EPROTO);
	v = (struct frame_view){ .type = FRAME_STREAM_DATA, .body = pre, .body_len = 7 };
	ck_assert_int_eq(frame_data_parse(&v, &d), -EPROTO);
	ck_assert_mem_eq(&d, &before, sizeof(d));
}
END_TEST

/* Random headers: whatever the parser says must be consistent with the bytes. */
START_TEST(test_random_headers)
{
	uint8_t buf[64];
	struct frame_view v;

	srand(1234);
	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)rand() % sizeof(buf);
		int r;

		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (uint8_t)rand();
		/* keep about half of the samples on a known type with small lengths */
		if (i & 1) {
			header(buf, (uint32_t)rand() % 48, types[rand() % N_TYPES].type,
			       (rand() % 8) ? 0 : 1);
		}
		r = frame_parse(buf, len, &v);
		ck_assert(r == FRAME_COMPLETE || r == FRAME_NEED_MORE || r == -EPROTO ||
			  r == -EMSGSIZE);
		if (r == FRAME_COMPLETE) {
			ck_assert_uint_le(v.frame_len, len);
			ck_assert_ptr_eq(v.body, buf + FRAME_HDR_LEN);
			ck_assert_uint_le(v.body_len, frame_type_cap(v.type));
			ck_assert_uint_eq(v.flags, 0);
		}
		if (r == FRAME_NEED_MORE)
			ck_assert_uint_gt(v.frame_len, len);
	}
}
END_TEST

static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_cap_boundaries);
	tcase_add_test(tc, test_empty_body_complete);
	tcase_add_test(tc, test_truncated_header);
	tcase_add_test(tc, test_partial_body);
	tcase_add_test(tc, test_unknown_types);
	tcase_add_test(tc, test_reserved_flags);
	tcase_add_test(tc, test_error_leaves_ret);
	tcase_add_test(tc, test_encode_bytes);
	tcase_add_test(tc, test_back_to_back);
	tcase_add_test(tc, test_data_round_trip);
	tcase_add_test(tc, test_data_limits);
	tcase_add_test(tc, test_random_headers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(frame_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
