/*
 * test_proto_golden.c - golden frames: the wire format must not change by accident.
 *
 * For every control operation, result and event kind, every peer message type and a DATA
 * frame, the sample message of test_proto_util.c is encoded and compared byte for byte with
 * tests/data/golden/<name>.bin; then the golden file is parsed and decoded, and every field
 * is compared with the sample. A deliberate wire change (a new field, a new sample)
 * regenerates the files:
 *
 *   VFIO_MIGD_TESTDATA=tests/data PROTO_GOLDEN_REGEN=1 build/tests/unit/test_proto_golden
 *
 * (from the source root; the meson test sets VFIO_MIGD_TESTDATA itself), then review the
 * diff of tests/data/golden/ like any other change: a changed old file means old peers
 * will read something different.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "test_proto_util.h"

/* Reads a whole file into a malloc'ed buffer; NULL if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*ret_len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static void golden_path(char *path, size_t size, const char *name)
{
	const char *dir = getenv("VFIO_MIGD_TESTDATA");

	ck_assert_msg(dir != NULL, "VFIO_MIGD_TESTDATA is not set (the tests/data directory)");
	snprintf(path, size, "%s/golden/%s.bin", dir, name);
}

/*
 * Compares a fresh encoding with the golden file (writing the file first in regeneration
 * mode) and returns the golden bytes for decoding; free() them.
 */
static uint8_t *check_golden(const char *name, const uint8_t *enc, size_t len, size_t *ret_len)
{
	char path[4096];
	uint8_t *gold;
	size_t glen = 0;

	golden_path(path, sizeof(path), name);
	if (getenv("PROTO_GOLDEN_REGEN")) {
		FILE *f = fopen(path, "wb");

		ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
		ck_assert_uint_eq(fwrite(enc, 1, len, f), len);
		ck_assert_int_eq(fclose(f), 0);
	}
	gold = slurp(path, &glen);
	ck_assert_msg(gold != NULL, "cannot read %s: %s (regenerate: see test_proto_golden.c)",
		      path, strerror(errno));
	for (size_t i = 0; i < len && i < glen; i++)
		ck_assert_msg(enc[i] == gold[i],
			      "%s: byte %zu is 0x%02x, the golden file has 0x%02x: the wire format "
			      "changed",
			      name, i, enc[i], gold[i]);
	ck_assert_msg(len == glen, "%s: %zu bytes encoded, the golden file has %zu", name, len,
		      glen);
	*ret_len = glen;
	return gold;
}

static void lower(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

START_TEST(test_requests)
{
	for (size_t i = 0; i < n_all_ops; i++) {
		struct ctl_request q, d;
		uint8_t *buf, *gold;
		size_t len, glen, blen;
		const uint8_t *body;
		char name[64];

		sample_request(&q, all_ops[i]);
		ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
		snprintf(name, sizeof(name), "ctl_request_%s", ctl_request_op_name(all_ops[i]));
		gold = check_golden(name, buf, len, &glen);
		body = frame_body(gold, glen, FRAME_CTL_REQUEST, &blen);
		ck_assert_int_eq(ctl_request_decode(body, blen, &d), 0);
		expect_request_eq(&q, &d);
		ctl_request_clear(&d);
		ctl_request_clear(&q);
		free(gold);
		free(buf);
	}
}
END_TEST

/* A device handed over as an fd: the request says one fd accompanies it. */
START_TEST(test_request_device_add_fd)
{
	struct ctl_request q, d;
	uint8_t *buf, *gold;
	size_t len, glen, blen;
	const uint8_t *body;

	sample_request(&q, CTL_OP_DEVICE_ADD);
	q.u.device_add.source = CTL_SOURCE_FD;
	q.u.device_add.spec[0] = '\0';
	q.u.device_add.fd_index = 0;
	q.fd_count = 1;
	ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
	gold = check_golden("ctl_request_device_add_fd", buf, len, &glen);
	body = frame_body(gold, glen, FRAME_CTL_REQUEST, &blen);
	ck_assert_int_eq(ctl_request_decode(body, blen, &d), 0);
	expect_request_eq(&q, &d);
	ck_assert_uint_eq(d.fd_count, 1);
	ck_assert_uint_eq(d.u.device_add.source, CTL_SOURCE_FD);
	free(gold);
	free(buf);
}
END_TEST

START_TEST(test_replies)
{
	static const char *const names[] = {
		[CTL_RESULT_NONE] = "error",
		[CTL_RESULT_HELLO] = "hello",
		[CTL_RESULT_DAEMON_INFO] = "daemon_info",
		[CTL_RESULT_DEVICE_LIST] = "device_list",
		[CTL_RESULT_DEVICE] = "device",
		[CTL_RESULT_PREPARE_INCOMING] = "prepare_incoming",
		[CTL_RESULT_MIGRATE] = "migrate",
		[CTL_RESULT_JOB] = "job",
		[CTL_RESULT_JOB_LIST] = "job_list",
		[CTL_RESULT_PEER] = "peer",
		[CTL_RESULT_PEER_LIST] = "peer_list",
		[CTL_RESULT_METADATA] = "metadata",
	};

	for (size_t i = 0; i < n_all_results; i++) {
		struct ctl_reply r, d;
		uint8_t *buf, *gold;
		size_t len, glen, blen;
		const uint8_t *body;
		char name[64];

		sample_reply(&r, all_results[i]);
		ck_assert_int_eq(ctl_reply_encode(&r, &buf, &len), 0);
		snprintf(name, sizeof(name), "ctl_reply_%s", names[all_results[i]]);
		gold = check_golden(name, buf, len, &glen);
		body = frame_body(gold, glen, FRAME_CTL_REPLY, &blen);
		ck_assert_int_eq(ctl_reply_decode(body, blen, &d), 0);
		expect_reply_eq(&r, &d);
		ctl_reply_clear(&d);
		ctl_reply_clear(&r);
		free(gold);
		free(buf);
	}
}
END_TEST

START_TEST(test_events)
{
	for (size_t i = 0; i < n_all_event_kinds; i++) {
		struct ctl_event e, d;
		uint8_t *buf, *gold;
		size_t len, glen, blen;
		const uint8_t *body;
		char name[64], kind[32];

		sample_event(&e, all_event_kinds[i]);
		ck_assert_int_eq(ctl_event_encode(&e, &buf, &len), 0);
		lower(kind, ctl_event_kind_name(all_event_kinds[i]), sizeof(kind));
		snprintf(name, sizeof(name), "ctl_event_%s", kind);
		gold = check_golden(name, buf, len, &glen);
		body = frame_body(gold, glen, FRAME_CTL_EVENT, &blen);
		ck_assert_int_eq(ctl_event_decode(body, blen, &d), 0);
		expect_event_eq(&e, &d);
		free(gold);
		free(buf);
	}
}
END_TEST

START_TEST(test_peer_messages)
{
	for (size_t i = 0; i < n_all_peer_types; i++) {
		struct peer_msg m, d;
		uint8_t *buf, *gold;
		size_t len, glen, blen;
		const uint8_t *body;
		char name[64];

		sample_peer(&m, all_peer_types[i]);
		ck_assert_int_eq(peer_msg_encode(&m, &buf, &len), 0);
		lower(name, frame_type_name(m.type), sizeof(name));
		gold = check_golden(name, buf, len, &glen);
		body = frame_body(gold, glen, m.type, &blen);
		ck_assert_int_eq(peer_msg_decode(m.type, body, blen, &d), 0);
		expect_peer_eq(&m, &d);
		peer_msg_clear(&d);
		peer_msg_clear(&m);
		free(gold);
		free(buf);
	}
}
END_TEST

START_TEST(test_data_frame)
{
	uint8_t frame[FRAME_DATA_PREFIX + 40], *gold;
	struct frame_view v;
	struct frame_data d;
	size_t glen;

	ck_assert_int_eq(frame_data_prefix_encode(0x0102030405060708ull, 40, frame), 0);
	for (int i = 0; i < 40; i++)
		frame[FRAME_DATA_PREFIX + i] = (uint8_t)(i * 5 + 1);
	gold = check_golden("stream_data", frame, sizeof(frame), &glen);
	ck_assert_int_eq(frame_parse(gold, glen, &v), FRAME_COMPLETE);
	ck_assert_int_eq(frame_data_parse(&v, &d), 0);
	ck_assert_uint_eq(d.seq, 0x0102030405060708ull);
	ck_assert_uint_eq(d.len, 40);
	ck_assert_mem_eq(d.data, frame + FRAME_DATA_PREFIX, 40);
	free(gold);
}
END_TEST

static Suite *golden_suite(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_request_device_add_fd);
	tcase_add_test(tc, test_replies);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_peer_messages);
	tcase_add_test(tc, test_data_frame);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(golden_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
