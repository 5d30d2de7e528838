/*
 * libtest.c - the libvfiomig test driver: helpers, the scenario dispatcher, and the local
 * scenario ("fake"), which runs against a fake daemon (a UNIX socket this program accepts
 * on) to prove what must not need a daemon: bad arguments refused with -EINVAL before
 * anything is sent, the blocking timeout, a late reply dropped, a lost connection failing
 * pending and later calls, no SIGPIPE, close completing pending calls.
 *
 *   libtest fake DIR | proto DIR [CASE] | ops SOCK | migrate SRC DST | manual SRC DST |
 *           async SRC DST | kill SOCK PID MARKFILE
 *
 * The other scenarios drive real daemons (it_lib.sh starts them). Exit status 0: passed;
 * 1: a check failed (the message says which); 2: usage.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_reply.h"
#include "ctl_request.h"
#include "frame.h"
#include "libtest.h"

void lt_fail(const char *file, int line, struct vfiomig_client *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "libtest: FAIL at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, " [last error: %s: %s%s%s]", vfiomig_last_error_name(c),
			vfiomig_last_error_message(c),
			*vfiomig_last_error_device(c) ? " device " : "",
			vfiomig_last_error_device(c));
	fputc('\n', stderr);
	exit(1);
}

void lt_log(const char *fmt, ...)
{
	va_list ap;

	printf("libtest: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int64_t lt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vfiomig_client *lt_connect(const char *path)
{
	struct vfiomig_client *c = NULL;
	int r = vfiomig_connect(path, 0, &c);

	if (r < 0)
		lt_fail(__FILE__, __LINE__, NULL, "cannot connect to %s: %s", path,
			vfiomig_strerror(r));
	return c;
}

void lt_listen_addr(struct vfiomig_client *c, char *buf, size_t size)
{
	struct vfiomig_daemon_info *di = NULL;

	OK(c, vfiomig_daemon_info(c, 0, &di));
	CHECK(c, vfiomig_daemon_info_get_listen_count(di) >= 1, "the daemon listens nowhere");
	snprintf(buf, size, "%s", vfiomig_daemon_info_get_listen(di, 0));
	vfiomig_daemon_info_free(di);
}

void lt_digest(struct vfiomig_client *c, const char *id, char hex[2 * VFIOMIG_DIGEST_LEN + 1])
{
	struct vfiomig_device *d = NULL;
	uint8_t dg[VFIOMIG_DIGEST_LEN];

	OK(c, vfiomig_device_info(c, id, 0, &d));
	OK(c, vfiomig_device_get_digest(d, dg));
	for (int i = 0; i < VFIOMIG_DIGEST_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	vfiomig_device_free(d);
}

void lt_wait_phase(struct vfiomig_client *c, uint64_t job, uint32_t phase, int timeout_ms)
{
	int64_t end = lt_now_ms() + timeout_ms;
	uint32_t now = 0;

	while (lt_now_ms() < end) {
		struct vfiomig_job *j = NULL;

		OK(c, vfiomig_job_status(c, job, 0, &j));
		now = vfiomig_job_get_phase(j);
		vfiomig_job_free(j);
		if (now == phase)
			return;
		usleep(20000);
	}
	lt_fail(__FILE__, __LINE__, c, "job %llu: still %s after %d ms, expected %s",
		(unsigned long long)job, vfiomig_job_phase_name(now), timeout_ms,
		vfiomig_job_phase_name(phase));
}

/* ---- the fake daemon ---- */

int lt_fake_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		lt_fail(__FILE__, __LINE__, NULL, "fake daemon at %s: %s", path, strerror(errno));
	return fd;
}

/* Reads one request frame from the fake daemon's side; returns its serial. */
static uint32_t fake_read_request(int srv)
{
	uint8_t buf[65536];
	size_t len = 0;
	struct frame_view f;
	uint32_t serial = 0;

	for (;;) {
		struct pollfd pf = { .fd = srv, .events = POLLIN };
		ssize_t n;

		if (frame_parse(buf, len, &f) == FRAME_COMPLETE)
			break;
		CHECK(NULL, poll(&pf, 1, 5000) == 1, "no request reached the fake daemon");
		n = recv(srv, buf + len, sizeof(buf) - len, 0);
		CHECK(NULL, n > 0, "the client closed the fake daemon's connection");
		len += (size_t)n;
	}
	CHECK(NULL, f.type == FRAME_CTL_REQUEST, "frame type %u", f.type);
	CHECK(NULL, ctl_request_peek_serial(f.body, f.body_len, &serial) == 0, "bad request");
	CHECK(NULL, f.frame_len == len, "more than one frame arrived");
	return serial;
}

void lt_fake_reply(int srv, uint32_t serial, uint32_t code, const char *msg)
{
	struct ctl_reply rep = { .serial = serial };
	uint8_t *buf;
	size_t len;

	proto_error_set(&rep.error, code, "gpu0", "%s", msg);
	CHECK(NULL, ctl_reply_encode(&rep, &buf, &len) == 0, "encode: %s", proto_last_error());
	CHECK(NULL, send(srv, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "send");
	free(buf);
}

static void fake_no_data(int srv)
{
	char b;

	CHECK(NULL, recv(srv, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "a request reached the daemon although every argument was bad");
}

/* Every call with a bad argument fails with -EINVAL (or -EBADF, -EEXIST) locally. */
static void fake_bad_args(struct vfiomig_client *c)
{
	static const char *const two[] = { "d0", "d0" };
	const char *many[33];
	char id64[65];
	struct vfiomig_device *d = NULL;
	struct vfiomig_prepare *pr = NULL;
	struct vfiomig_migrate_params *p = NULL;
	void *md = NULL;
	size_t mdl = 0;

	memset(id64, 'a', 64);
	id64[64] = 0;
	for (int i = 0; i < 33; i++)
		many[i] = "d0";
	EXPECT_RC(c, vfiomig_device_info(NULL, "d0", 0, &d), -EINVAL);
	EXPECT_RC(c, vfiomig_device_info(c, NULL, 0, &d), -EINVAL);
	CHECK(c, strstr(vfiomig_last_error_message(c), "device id"), "message names the argument");
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_OK, "a local error has code OK");
	EXPECT_RC(c, vfiomig_device_info(c, "", 0, &d), -EINVAL);
	EXPECT_RC(c, vfiomig_device_info(c, id64, 0, &d), -EINVAL);
	EXPECT_RC(c, vfiomig_device_info(c, id64 + 1, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_device_info(c, "a b", 0, &d), -EINVAL);
	EXPECT_RC(c, vfiomig_device_info(c, "d0", 1, &d), -EINVAL);
	EXPECT_RC(c, vfiomig_device_remove(c, "", 0), -EINVAL);
	EXPECT_RC(c, vfiomig_device_set_state(c, "d0", VFIOMIG_STATE_ERROR, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_device_set_state(c, "d0", (enum vfiomig_device_state)8, 0, NULL),
		  -EINVAL);
	EXPECT_RC(c, vfiomig_device_add(c, "x", VFIOMIG_SOURCE_SIM, NULL, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_device_add(c, "x", (enum vfiomig_device_source)99, "s", 0, NULL),
		  -EINVAL);
	EXPECT_RC(c, vfiomig_device_add(c, id64, VFIOMIG_SOURCE_SIM, "size=1M", 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_device_add_fd(c, "x", -1, 0, NULL), -EBADF);
	EXPECT_RC(c, vfiomig_device_add_fd(c, "x", 999, 0, NULL), -EBADF);
	EXPECT_RC(c, vfiomig_job_status(c, 0, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_job_cancel(c, 0, 0), -EINVAL);
	EXPECT_RC(c, vfiomig_job_wait_async(c, 0, 0, 0, NULL, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_job_set_bandwidth(c, 0, 1, 0), -EINVAL);
	EXPECT_RC(c, vfiomig_job_metadata(c, 1, "", 0, &md, &mdl), -EINVAL);
	EXPECT_RC(c, vfiomig_job_metadata(c, 1, "d0", 0, NULL, &mdl), -EINVAL);
	EXPECT_RC(c, vfiomig_prepare_incoming(c, "dns:a", many, 0, 60, 0, &pr), -EINVAL);
	EXPECT_RC(c, vfiomig_prepare_incoming(c, "dns:a", many, 33, 60, 0, &pr), -EINVAL);
	EXPECT_RC(c, vfiomig_prepare_incoming(c, "dns:a", two, 2, 60, 0, &pr), -EINVAL);
	EXPECT_RC(c, vfiomig_prepare_incoming(c, NULL, two, 1, 60, 0, &pr), -EINVAL);
	EXPECT_RC(c, vfiomig_prepare_incoming(c, "dns:a", two, 1, 86401, 0, &pr), -EINVAL);
	EXPECT_RC(c, vfiomig_migrate(c, NULL, 0, NULL), -EINVAL);
	OK(c, vfiomig_migrate_params_new(&p));
	EXPECT_RC(c, vfiomig_migrate(c, p, 0, NULL), -EINVAL); /* no peer */
	OK(c, vfiomig_migrate_params_set_peer(p, "127.0.0.1:1"));
	EXPECT_RC(c, vfiomig_migrate_params_set_peer(p, ""), -EINVAL);
	EXPECT_RC(c, vfiomig_migrate(c, p, 0, NULL), -EINVAL); /* no token */
	OK(c, vfiomig_migrate_params_set_token(p, "abc"));
	EXPECT_RC(c, vfiomig_migrate(c, p, 0, NULL), -EINVAL); /* no device */
	EXPECT_RC(c, vfiomig_migrate_params_add_device(p, "", "d0", NULL, 0), -EINVAL);
	EXPECT_RC(c,
		  vfiomig_migrate_params_add_device(p, "s0", "d0", NULL, VFIOMIG_METADATA_MAX + 1),
		  -EINVAL);
	OK(c, vfiomig_migrate_params_add_device(p, "s0", "d0", "m", 1));
	EXPECT_RC(c, vfiomig_migrate_params_add_device(p, "s0", "d1", NULL, 0), -EEXIST);
	EXPECT_RC(c, vfiomig_migrate_params_add_device(p, "s1", "d0", NULL, 0), -EEXIST);
	EXPECT_RC(c, vfiomig_migrate_params_set_switchover(p, (enum vfiomig_switchover)2), -EINVAL);
	EXPECT_RC(c, vfiomig_migrate_params_set_resume(p, (enum vfiomig_resume)7), -EINVAL);
	EXPECT_RC(c, vfiomig_migrate(c, p, 4, NULL), -EINVAL); /* flags */
	vfiomig_migrate_params_free(p);
	EXPECT_RC(c, vfiomig_peer_connect(c, NULL, NULL, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_peer_connect(c, "", NULL, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_subscribe(c, 0, 2), -EINVAL);
	EXPECT_RC(c, vfiomig_daemon_info(c, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_event_next(c, 0, NULL), -EINVAL);
	EXPECT_RC(c, vfiomig_device_state_parse("bogus", &(enum vfiomig_device_state){ 0 }),
		  -EINVAL);
}

/* What fake_cb saw: how many callbacks, the last status. */
struct fake_got {
	int n;
	int status;
};

static void fake_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	struct fake_got *out = ud;

	(void)c;
	CHECK(NULL, vfiomig_result_get_status(res) == status, "status mismatch");
	if (status == -ENOENT) {
		CHECK(NULL, vfiomig_result_get_error_code(res) == VFIOMIG_ERR_NOT_FOUND, "code");
		CHECK(NULL, strcmp(vfiomig_result_get_error_message(res), "no such thing") == 0,
		      "message '%s'", vfiomig_result_get_error_message(res));
		CHECK(NULL, strcmp(vfiomig_result_get_error_device(res), "gpu0") == 0, "device");
		CHECK(NULL, vfiomig_result_get_daemon_info(res) == NULL, "no result on error");
	}
	out->status = status;
	out->n++;
}

void lt_process_until(struct vfiomig_client *c, const int *done, int at_least)
{
	int64_t end = lt_now_ms() + 5000;

	while (*done < at_least && lt_now_ms() < end) {
		struct pollfd pf = { .fd = vfiomig_get_fd(c),
				     .events = (short)vfiomig_get_events(c) };

		if (poll(&pf, 1, 100) > 0)
			vfiomig_process(c, pf.revents);
	}
	CHECK(c, *done >= at_least, "only %d callbacks ran in 5 s, %d expected", *done, at_least);
}

static void fake_timeout_and_late_reply(struct vfiomig_client *c, int srv)
{
	struct vfiomig_daemon_info *di = NULL;
	int64_t t0 = lt_now_ms();
	uint32_t late, s2;
	struct fake_got got = { 0 };
	int call;

	OK(c, vfiomig_set_timeout(c, 300));
	CHECK(c, vfiomig_get_timeout(c) == 300, "timeout not kept");
	EXPECT_RC(c, vfiomig_daemon_info(c, 0, &di), -ETIMEDOUT);
	CHECK(c, lt_now_ms() - t0 >= 250 && lt_now_ms() - t0 < 3000, "timed out after %lld ms",
	      (long long)(lt_now_ms() - t0));
	CHECK(c, vfiomig_pending(c) == 0, "the timed-out call is still pending");
	late = fake_read_request(srv);
	call = vfiomig_daemon_info_async(c, 0, fake_cb, &got);
	CHECK(c, call > 0, "async call: %d", call);
	CHECK(c, vfiomig_pending(c) == 1, "one call pending");
	s2 = fake_read_request(srv);
	CHECK(c, s2 == (uint32_t)call && s2 != late, "serials %u %u %d", late, s2, call);
	lt_fake_reply(srv, late, PROTO_ERR_INTERNAL, "late");
	lt_fake_reply(srv, s2, PROTO_ERR_NOT_FOUND, "no such thing");
	lt_process_until(c, &got.n, 1);
	CHECK(c, got.status == -ENOENT, "callback status %d", got.status);
	/* an async call's error is in its result; the last error stays the blocking call's */
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_OK, "last error %s",
	      vfiomig_last_error_name(c));
	CHECK(c, strstr(vfiomig_last_error_message(c), "within 300 ms"), "message");
	vfiomig_clear_error(c);
	CHECK(c, vfiomig_last_error_code(c) == 0 && !*vfiomig_last_error_message(c), "clear");
}

static void fake_loss(struct vfiomig_client *c, int srv)
{
	struct vfiomig_daemon_info *di = NULL;
	struct fake_got got = { 0 };

	CHECK(c, vfiomig_job_status_async(c, 5, 0, fake_cb, &got) > 0, "async");
	fake_read_request(srv);
	close(srv);
	lt_process_until(c, &got.n, 1);
	CHECK(c, got.status == -ECONNRESET || got.status == -EPIPE, "pending call after a loss: %d",
	      got.status);
	CHECK(c, !vfiomig_is_connected(c) && vfiomig_get_events(c) == 0, "still connected");
	EXPECT_RC(c, vfiomig_daemon_info(c, 0, &di), -ENOTCONN);
	CHECK(c, vfiomig_process(c, 0) < 0, "process after a loss");
}

int lt_fake(const char *dir)
{
	char path[108], nopath[200], longpath[300];
	struct vfiomig_client *c = NULL, *c2 = NULL;
	struct vfiomig_daemon_info *di = NULL;
	struct fake_got got = { 0 };
	int lfd, srv, srv2;

	snprintf(path, sizeof(path), "%s/fake.sock", dir);
	snprintf(nopath, sizeof(nopath), "%s/none.sock", dir);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	lfd = lt_fake_listen(path);
	EXPECT_RC(NULL, vfiomig_connect(nopath, 0, &c), -ENOENT);
	EXPECT_RC(NULL, vfiomig_connect(longpath, 0, &c), -EINVAL);
	EXPECT_RC(NULL, vfiomig_connect(path, 1, &c), -EINVAL);
	EXPECT_RC(NULL, vfiomig_connect(path, 0, NULL), -EINVAL);
	setenv("VFIOMIG_SOCKET", path, 1);
	OK(NULL, vfiomig_connect(NULL, 0, &c));
	CHECK(c, strcmp(vfiomig_get_path(c), path) == 0, "VFIOMIG_SOCKET ignored");
	srv = accept(lfd, NULL, NULL);
	fake_bad_args(c);
	fake_no_data(srv);
	lt_log("fake: bad arguments refused locally, nothing sent");
	fake_timeout_and_late_reply(c, srv);
	lt_log("fake: timeout, late reply dropped, async error reply with code and device");
	fake_loss(c, srv);
	lt_log("fake: lost connection fails pending and later calls");
	vfiomig_close(c);

	/* a write to a closed peer: EPIPE, never SIGPIPE (SIG_DFL would kill us) */
	OK(NULL, vfiomig_connect(path, 0, &c2));
	srv2 = accept(lfd, NULL, NULL);
	close(srv2);
	usleep(50000);
	for (int i = 0; i < 3; i++) {
		int r = vfiomig_daemon_info(c2, 0, &di);

		CHECK(c2, r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN, "got %d", r);
	}
	vfiomig_close(c2);
	lt_log("fake: writing to a dead daemon returns EPIPE, no SIGPIPE");

	/* close completes pending calls with -ECANCELED */
	OK(NULL, vfiomig_connect(path, 0, &c));
	srv = accept(lfd, NULL, NULL);
	CHECK(c, vfiomig_device_list_async(c, 0, fake_cb, &got) > 0, "async");
	vfiomig_close(c);
	CHECK(NULL, got.n == 1 && got.status == -ECANCELED, "close: %d callbacks, status %d", got.n,
	      got.status);
	close(srv);
	close(lfd);
	CHECK(NULL, strcmp(vfiomig_strerror(-ENOENT), "No such file or directory") == 0,
	      "strerror");
	CHECK(NULL, strcmp(vfiomig_error_name(VFIOMIG_ERR_TOKEN_EXPIRED), "TOKEN_EXPIRED") == 0,
	      "n");
	CHECK(NULL, vfiomig_error_to_errno(VFIOMIG_ERR_BUSY) == -EBUSY, "errno mapping");
	CHECK(NULL, strcmp(vfiomig_device_state_name(VFIOMIG_STATE_PRE_COPY), "PRE_COPY") == 0,
	      "s");
	lt_log("fake: close cancels pending calls; names and errno mapping");
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_DFL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "fake") == 0)
		return lt_fake(argv[2]);
	if (argc == 3 && strcmp(argv[1], "ops") == 0)
		return lt_ops(argv[2]);
	if (argc == 4 && strcmp(argv[1], "migrate") == 0)
		return lt_migrate(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "manual") == 0)
		return lt_manual(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "async") == 0)
		return lt_async(argv[2], argv[3]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "proto") == 0)
		return lt_proto(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 5 && strcmp(argv[1], "kill") == 0)
		return lt_kill(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: libtest fake DIR | proto DIR [CASE] | ops SOCK | migrate SRC DST | "
			"manual SRC DST |\n"
			"       async SRC DST | kill SOCK PID MARKFILE\n");
	return 2;
}
