/*
 * test_control_wire.c - hostile and broken input on the control socket: each malformed frame
 * closes only the client that sent it, after a PROTOCOL error reply (with the request's
 * serial when it can be read, else 0) and one log line naming the client and the fault;
 * received fds are always closed; another client keeps working throughout. Also requests
 * split byte by byte, pipelined requests, and a client that does not read its replies.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "test_control_util.h"

/* The client gets a PROTOCOL error with serial and needle, then EOF; the log says so. */
static void expect_closed(struct tclient *t, uint32_t serial, const char *needle)
{
	struct ctl_reply rep;

	ck_assert_int_eq(tc_reply(t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, serial);
	ck_assert_uint_eq(rep.error.code, PROTO_ERR_PROTOCOL);
	ck_assert_msg(strstr(rep.error.message, needle), "message \"%s\" lacks \"%s\"",
		      rep.error.message, needle);
	ck_assert_msg(strstr(rep.error.message, "the daemon closes the connection"), "%s",
		      rep.error.message);
	ck_assert(tc_eof(t, TWAIT_MS));
	tlog_expect("control: client pid=", needle, "; closing the connection", NULL);
}

/* Sends bytes on a fresh client, expects it closed as above, and another client unharmed. */
static void hostile(const void *bytes, size_t len, uint32_t serial, const char *needle)
{
	struct tclient t, other;

	tc_open(&other);
	tc_hello_ok(&other);
	tc_open(&t);
	tc_send(&t, bytes, len);
	expect_closed(&t, serial, needle);
	tc_hello_ok(&other);
	ck_assert_uint_eq(control_server_clients(T.srv), 1);
	tc_close(&t);
	tc_close(&other);
}

static void hostile_frame(uint16_t type, uint16_t flags, uint32_t len_field, const void *body,
			  size_t body_len, uint32_t serial, const char *needle)
{
	size_t len;
	uint8_t *f = tframe(type, flags, len_field, body, body_len, &len);

	hostile(f, len, serial, needle);
	free(f);
}

START_TEST(test_bad_headers)
{
	hostile_frame(0x0999, 0, 0, NULL, 0, 0, "unknown frame type 0x0999");
	hostile_frame(FRAME_CTL_REQUEST, 1, 0, NULL, 0, 0,
		      "CTL_REQUEST frame with flags 0x0001 (must be 0)");
	hostile_frame(FRAME_CTL_REQUEST, 0, frame_type_cap(FRAME_CTL_REQUEST) + 1, NULL, 0, 0,
		      "frame body of 4456449 bytes is above the 4456448-byte cap of CTL_REQUEST "
		      "frames");
	hostile_frame(FRAME_CTL_REPLY, 0, 0, NULL, 0, 0,
		      "a CTL_REPLY frame (type 0x0102); clients may only send CTL_REQUEST");
	hostile_frame(FRAME_PEER_HELLO, 0, 0, NULL, 0, 0, "a PEER_HELLO frame");
}
END_TEST

START_TEST(test_bad_bodies)
{
	/* a Request with serial 9 and no operation: the serial can be read */
	static const uint8_t no_op[] = { 0x08, 0x09 };
	/* not protobuf at all */
	static const uint8_t junk[] = { 0xff, 0xff, 0xff };

	hostile_frame(FRAME_CTL_REQUEST, 0, sizeof(no_op), no_op, sizeof(no_op), 9,
		      "request 9 is invalid: op: missing");
	hostile_frame(FRAME_CTL_REQUEST, 0, sizeof(junk), junk, sizeof(junk), 0,
		      "request body (3 bytes) is not a Request");
	hostile_frame(FRAME_CTL_REQUEST, 0, 0, NULL, 0, 0, "request 0 is invalid: serial: missing");
}
END_TEST

/* A frame cut short by EOF: header, then body; fds that came with it are closed. */
START_TEST(test_truncated)
{
	static const uint8_t ten[10] = { 0 };
	struct tclient t, other;
	size_t len;
	uint8_t *f = tframe(FRAME_CTL_REQUEST, 0, 100, ten, sizeof(ten), &len);
	int before, fd;

	tc_open(&other);
	tc_open(&t);
	tc_send(&t, f, len);
	shutdown(t.fd, SHUT_WR);
	expect_closed(&t, 0, "connection closed inside a CTL_REQUEST frame (10 of 100 body bytes");
	tc_close(&t);

	before = tcount_fds();
	tc_open(&t);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	tc_send_fds(&t, f, 3, &fd, 1);
	close(fd);
	shutdown(t.fd, SHUT_WR);
	expect_closed(&t, 0, "connection closed inside a frame header (3 of 8 bytes, 1 fds)");
	ck_assert_int_eq(tcount_fds(), before + 1); /* our end of t, not yet closed */
	tc_hello_ok(&other);
	tc_close(&t);
	tc_close(&other);
	free(f);
}
END_TEST

/* Sends q with n fds of /dev/null attached; the process's fd count must come back. */
static void hostile_fds(struct ctl_request *q, int n, uint32_t serial, const char *needle)
{
	struct tclient t, other;
	int fds[16], before;
	uint8_t *buf;
	size_t len;

	tc_open(&other);
	tc_hello_ok(&other);
	before = tcount_fds();
	tc_open(&t);
	for (int i = 0; i < n; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(ctl_request_encode(q, &buf, &len), 0);
	tc_send_fds(&t, buf, len, fds, n);
	free(buf);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	expect_closed(&t, serial, needle);
	ck_assert_int_eq(tcount_fds(), before + 1); /* our end of t, not yet closed */
	tc_hello_ok(&other);
	tc_close(&t);
	tc_close(&other);
}

START_TEST(test_fds)
{
	struct ctl_request q = { .serial = 5, .op = CTL_OP_DEVICE_LIST };

	hostile_fds(&q, 1, 5,
		    "request 5 device_list: fd_count is 0 but 1 file descriptors came with it");
	q = (struct ctl_request){ .serial = 6, .op = CTL_OP_DEVICE_ADD, .fd_count = 2 };
	q.u.device_add.source = CTL_SOURCE_FD;
	hostile_fds(&q, 1, 6,
		    "request 6 device_add: fd_count is 2 but 1 file descriptors came with it");
	q.fd_count = 1;
	hostile_fds(&q, PROTO_FDS_MAX + 1, 0, "more than 8 file descriptors came with one frame");
	q.fd_count = 0;
	q.u.device_add.source = CTL_SOURCE_SIM;
	hostile_fds(&q, 3, 6, "fd_count is 0 but 3 file descriptors came with it");
}
END_TEST

/* The input side assembles frames from any split: one byte at a time, or several at once. */
START_TEST(test_split_and_pipelined)
{
	struct ctl_request q = { .serial = 3, .op = CTL_OP_DAEMON_INFO };
	struct ctl_reply rep;
	struct tclient t;
	uint8_t *buf, *two;
	size_t len;

	tc_open(&t);
	ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
	for (size_t i = 0; i < len; i++) {
		tc_send(&t, buf + i, 1);
		tpump(2);
	}
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, 3);
	ck_assert_uint_eq(rep.result, CTL_RESULT_DAEMON_INFO);
	two = malloc(2 * len);
	memcpy(two, buf, len);
	memcpy(two + len, buf, len);
	two[len + FRAME_HDR_LEN + 1] = 4; /* the second one's serial (field 1, varint) */
	tc_send(&t, two, 2 * len);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, 3);
	ck_assert_int_eq(tc_reply(&t, &rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep.serial, 4);
	free(two);
	free(buf);
	tc_close(&t);
}
END_TEST

/* A client that never reads its replies is closed once max_output bytes wait for it. */
START_TEST(test_output_cap)
{
	struct ctl_request q = { .serial = 1, .op = CTL_OP_DAEMON_INFO };
	struct control_options o;
	struct tclient t, other;
	uint8_t *buf;
	size_t len;
	char err[256];
	int sent = 0;

	tenv_options(&o);
	o.max_output = CONTROL_MAX_OUTPUT_MIN;
	ck_assert_int_eq(tenv_restart(&o, err, sizeof(err)), 0);
	tc_open(&other);
	tc_open(&t);
	ck_assert_int_eq(ctl_request_encode(&q, &buf, &len), 0);
	for (int i = 0; i < 20000 && !tlog_has("does not read its replies"); i++) {
		if (send(t.fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len)
			sent++;
		if (i % 8 == 0)
			tpump(1);
	}
	tlog_expect("control: client pid=", "does not read its replies", "the limit of 4096", NULL);
	ck_assert_int_gt(sent, 10);
	ck_assert(tc_eof(&t, TWAIT_MS));
	tc_hello_ok(&other);
	free(buf);
	tc_close(&t);
	tc_close(&other);
}
END_TEST

TCase *control_wire_tcase(void)
{
	TCase *tc = tcase_create("wire");

	tcase_add_checked_fixture(tc, tenv_setup, tenv_teardown);
	tcase_add_test(tc, test_bad_headers);
	tcase_add_test(tc, test_bad_bodies);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_fds);
	tcase_add_test(tc, test_split_and_pipelined);
	tcase_add_test(tc, test_output_cap);
	return tc;
}
