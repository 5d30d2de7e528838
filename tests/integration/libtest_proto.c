/*
 * libtest_proto.c - libvfiomig's protocol-level cases against a fake daemon ("libtest proto
 * DIR"): the event queue's overflow (a LOST each time, never more than 1024 handed out), a
 * continuous event stream that must not hold a blocking call past its timeout, a reply
 * delivered although the next send finds the daemon gone, the last error of a blocking call
 * not overwritten by an async failure in the same read, a blocking call interrupted by a
 * signal, an event of a kind newer than this build skipped (not the link dropped), the
 * event callback never re-entered, a connect that waits for a full backlog, a timed-out
 * request never sent later, and the metadata total.
 *
 * Where the fake daemon must act while the client blocks, it runs in a child process.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "frame.h"
#include "libtest.h"

/* A request reader for the fake daemon's side: whole frames, one at a time. */
struct reader {
	int fd;
	uint8_t *buf;
	size_t len, cap;
};

/* The next request's op and serial; false at EOF or after timeout_ms without one. */
static bool rd_next(struct reader *rd, int timeout_ms, uint32_t *op, uint32_t *serial)
{
	for (;;) {
		struct frame_view f;
		struct pollfd pf = { .fd = rd->fd, .events = POLLIN };
		ssize_t n;

		if (frame_parse(rd->buf, rd->len, &f) == FRAME_COMPLETE) {
			struct ctl_request req;

			if (ctl_request_decode(f.body, f.body_len, &req) < 0)
				return false;
			*op = req.op;
			*serial = req.serial;
			ctl_request_clear(&req);
			memmove(rd->buf, rd->buf + f.frame_len, rd->len - f.frame_len);
			rd->len -= f.frame_len;
			return true;
		}
		if (rd->cap - rd->len < 65536) {
			rd->cap = rd->cap ? rd->cap * 2 : 1 << 20;
			rd->buf = realloc(rd->buf, rd->cap);
			if (!rd->buf)
				return false;
		}
		if (poll(&pf, 1, timeout_ms) != 1)
			return false;
		n = recv(rd->fd, rd->buf + rd->len, rd->cap - rd->len, 0);
		if (n <= 0)
			return false;
		rd->len += (size_t)n;
	}
}

/* An encoded CONVERGED event of job 1 with this seq (a complete frame, malloc'ed). */
static uint8_t *ev_frame(uint64_t seq, size_t *len)
{
	struct ctl_event ev = { .seq = seq,
				.job_id = 1,
				.kind = CTL_EVENT_CONVERGED,
				.phase = CTL_PHASE_PRECOPY,
				.time_ms = 1000 + seq };
	uint8_t *buf;

	CHECK(NULL, ctl_event_encode(&ev, &buf, len) == 0, "encode: %s", proto_last_error());
	return buf;
}

static void send_all(int fd, const void *buf, size_t len)
{
	CHECK(NULL, send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "send: %s", strerror(errno));
}

static void send_event(int fd, uint64_t seq)
{
	size_t len;
	uint8_t *b = ev_frame(seq, &len);

	send_all(fd, b, len);
	free(b);
}

/* Events seq first.. in one send (one small send each would fill the socket's buffer). */
static void send_events(int fd, uint64_t first, int n)
{
	uint8_t *all = NULL;
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		size_t one;
		uint8_t *b = ev_frame(first + (uint64_t)i, &one);

		all = realloc(all, len + one);
		CHECK(NULL, all, "out of memory");
		memcpy(all + len, b, one);
		len += one;
		free(b);
	}
	send_all(fd, all, len);
	free(all);
}

/* A connected client and the fake daemon's end of it. */
static struct vfiomig_client *pair(int lfd, const char *path, int *srv)
{
	struct vfiomig_client *c = lt_connect(path);

	*srv = accept(lfd, NULL, NULL);
	CHECK(c, *srv >= 0, "accept: %s", strerror(errno));
	return c;
}

/* Processes c until nothing arrives for 200 ms. */
static void drain(struct vfiomig_client *c)
{
	struct pollfd pf = { .fd = vfiomig_get_fd(c), .events = POLLIN };

	while (poll(&pf, 1, 200) == 1 && vfiomig_is_connected(c))
		vfiomig_process(c, pf.revents);
}

/* Reads every queued event: how many, how many LOST, the first kind, the last seq. */
static void read_queue(struct vfiomig_client *c, int *n, int *lost, uint32_t *first, uint64_t *last,
		       uint64_t *lost_seq)
{
	struct vfiomig_event *ev;

	*n = *lost = 0;
	while (vfiomig_event_next(c, 0, &ev) == 0) {
		if (*n == 0)
			*first = vfiomig_event_get_kind(ev);
		if (vfiomig_event_get_kind(ev) == VFIOMIG_EVENT_LOST) {
			(*lost)++;
			*lost_seq = vfiomig_event_get_seq(ev);
		} else {
			*last = vfiomig_event_get_seq(ev);
		}
		(*n)++;
		vfiomig_event_free(ev);
	}
}

/* 1: 1100 events into a queue of 1024, twice: one LOST first each time, 1024 at most. */
static void proto_overflow(int lfd, const char *path)
{
	int srv, n, lost;
	uint32_t first = 0;
	uint64_t last = 0, lost_seq = 0;
	struct vfiomig_client *c = pair(lfd, path, &srv);

	for (int round = 0; round < 2; round++) {
		uint64_t base = (uint64_t)round * 1100;

		send_events(srv, base + 1, 1100);
		drain(c);
		read_queue(c, &n, &lost, &first, &last, &lost_seq);
		CHECK(c, n <= 1024, "round %d: %d events handed out, the queue holds 1024", round,
		      n);
		CHECK(c, lost == 1 && first == VFIOMIG_EVENT_LOST, "round %d: %d LOST, first %s",
		      round, lost, vfiomig_event_kind_name(first));
		CHECK(c, last == base + 1100, "round %d: last seq %llu", round,
		      (unsigned long long)last);
		CHECK(c, lost_seq == base + 1100 - 1023, "round %d: LOST seq %llu", round,
		      (unsigned long long)lost_seq);
	}
	CHECK(c, vfiomig_is_connected(c), "the link dropped");
	vfiomig_close(c);
	close(srv);
	lt_log("proto: queue overflow reports a LOST each time, 1024 events at most");
}

/* 2: a daemon that never stops sending events; the blocking call still times out. */
static void proto_flood(int lfd, const char *path)
{
	struct vfiomig_daemon_info *di = NULL;
	int srv;
	struct vfiomig_client *c = pair(lfd, path, &srv);
	pid_t pid = fork();
	int64_t t0;

	if (pid == 0) {
		size_t one, len = 0;
		uint8_t *f = ev_frame(7, &one), *big = malloc(one * 4096);

		close(vfiomig_get_fd(c)); /* EPIPE once the parent is gone */
		for (int i = 0; i < 4096; i++, len += one)
			memcpy(big + len, f, one);
		while (send(srv, big, len, MSG_NOSIGNAL) > 0)
			;
		_exit(0);
	}
	close(srv);
	alarm(30); /* without a read budget the call never returns: SIGALRM fails the test */
	OK(c, vfiomig_set_timeout(c, 500));
	t0 = lt_now_ms();
	EXPECT_RC(c, vfiomig_daemon_info(c, 0, &di), -ETIMEDOUT);
	CHECK(c, lt_now_ms() - t0 < 5000, "timed out after %lld ms", (long long)(lt_now_ms() - t0));
	alarm(0);
	vfiomig_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	lt_log("proto: a continuous event stream does not hold a blocking call past its timeout");
}

static void status_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	(void)c;
	(void)res;
	*(int *)ud = status;
}

/* 3: the daemon answers A, then exits; the send of B fails; A's reply is still A's. */
static void proto_reply_before_loss(int lfd, const char *path)
{
	struct vfiomig_device *d = NULL;
	struct reader rd = { 0 };
	uint32_t op, serial;
	int srv, a = 1, r;
	struct vfiomig_client *c = pair(lfd, path, &srv);

	CHECK(c, vfiomig_daemon_info_async(c, 0, status_cb, &a) > 0, "async");
	rd.fd = srv;
	CHECK(c, rd_next(&rd, 5000, &op, &serial), "no request");
	lt_fake_reply(srv, serial, PROTO_ERR_NOT_FOUND, "answered");
	close(srv);
	usleep(100000);
	r = vfiomig_device_info(c, "gpu0", 0, &d);
	CHECK(c, r == -EPIPE || r == -ECONNRESET, "call after the loss: %d", r);
	CHECK(c, a == -ENOENT, "the reply received before the loss was lost: status %d", a);
	vfiomig_close(c);
	free(rd.buf);
	lt_log("proto: a reply received before the daemon went away is delivered");
}

/* 4: a blocking call's error stays its own when an async failure arrives with it. */
static void proto_blocking_error(int lfd, const char *path)
{
	struct vfiomig_device *d = NULL;
	int srv, x = 1, st;
	struct vfiomig_client *c = pair(lfd, path, &srv);
	pid_t pid;

	CHECK(c, vfiomig_job_status_async(c, 5, 0, status_cb, &x) > 0, "async");
	pid = fork();
	if (pid == 0) {
		struct reader rd = { .fd = srv };
		uint32_t op[2], serial[2];
		struct ctl_reply rep = { 0 };
		uint8_t *b1, *b2, both[8192];
		size_t l1, l2;

		for (int i = 0; i < 2; i++)
			if (!rd_next(&rd, 5000, &op[i], &serial[i]))
				_exit(3);
		/* the blocking call's reply, then the async one's, in one send */
		rep.serial = serial[1];
		proto_error_set(&rep.error, PROTO_ERR_NOT_FOUND, "gpu0", "no device gpu0");
		if (ctl_reply_encode(&rep, &b1, &l1) < 0)
			_exit(4);
		rep.serial = serial[0];
		proto_error_set(&rep.error, PROTO_ERR_BUSY, "", "job 5 is busy");
		if (ctl_reply_encode(&rep, &b2, &l2) < 0 || l1 + l2 > sizeof(both))
			_exit(4);
		memcpy(both, b1, l1);
		memcpy(both + l1, b2, l2);
		send(srv, both, l1 + l2, MSG_NOSIGNAL);
		sleep(5);
		_exit(0);
	}
	close(srv);
	EXPECT_RC(c, vfiomig_device_info(c, "gpu0", 0, &d), -ENOENT);
	CHECK(c, x == -EBUSY, "async status %d", x);
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_NOT_FOUND,
	      "the blocking call's error was overwritten: %s", vfiomig_last_error_name(c));
	CHECK(c, strcmp(vfiomig_last_error_message(c), "no device gpu0") == 0, "message '%s'",
	      vfiomig_last_error_message(c));
	vfiomig_close(c);
	kill(pid, SIGKILL);
	CHECK(NULL, waitpid(pid, &st, 0) == pid && WIFSIGNALED(st), "fake daemon: %d", st);
	lt_log("proto: an async failure does not overwrite a blocking call's last error");
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A daemon that reads requests and never answers, in a child; returns its pid. */
static pid_t silent_daemon(int srv)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct reader rd = { .fd = srv };
		uint32_t op, serial;

		while (rd_next(&rd, 10000, &op, &serial))
			;
		_exit(0);
	}
	close(srv);
	return pid;
}

/* 5: an interruptible client: a signal ends a blocking call with -EINTR at once. */
static void proto_interrupt(int lfd, const char *path)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct vfiomig_device *d = NULL;
	int srv;
	struct vfiomig_client *c = pair(lfd, path, &srv);
	pid_t pid = silent_daemon(srv);
	int64_t t0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old); /* no SA_RESTART */
	EXPECT_RC(c, vfiomig_set_interruptible(NULL, true), -EINVAL);
	OK(c, vfiomig_set_interruptible(c, true));
	OK(c, vfiomig_set_timeout(c, 5000));
	t0 = lt_now_ms();
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_RC(c, vfiomig_device_info(c, "gpu0", 0, &d), -EINTR);
	CHECK(c, lt_now_ms() - t0 < 2000, "interrupted after %lld ms",
	      (long long)(lt_now_ms() - t0));
	CHECK(c, strstr(vfiomig_last_error_message(c), "interrupted"), "message");
	CHECK(c, vfiomig_pending(c) == 0, "the interrupted call is still pending");
	CHECK(c, vfiomig_is_connected(c), "the link dropped");
	sigaction(SIGALRM, &old, NULL);
	vfiomig_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	lt_log("proto: an interruptible client's blocking call returns -EINTR on a signal");
}

/* 6: an event of a kind this build does not know is skipped as LOST; the link stays. */
static void proto_unknown_event(int lfd, const char *path)
{
	/* Event{seq 1, job_id 1, kind 99, phase 4}: fields 1, 2, 3, 4 as varints */
	static const uint8_t body[] = { 0x08, 0x01, 0x10, 0x01, 0x18, 0x63, 0x20, 0x04 };
	uint8_t f[FRAME_HDR_LEN + sizeof(body)];
	struct vfiomig_event *ev = NULL;
	int srv;
	struct vfiomig_client *c = pair(lfd, path, &srv);

	CHECK(c, frame_encode(FRAME_CTL_EVENT, body, sizeof(body), f, sizeof(f)) > 0, "frame");
	send_all(srv, f, sizeof(f));
	send_event(srv, 2);
	OK(c, vfiomig_event_next(c, 2000, &ev));
	CHECK(c, vfiomig_event_get_kind(ev) == VFIOMIG_EVENT_LOST, "first %s",
	      vfiomig_event_kind_name(vfiomig_event_get_kind(ev)));
	vfiomig_event_free(ev);
	OK(c, vfiomig_event_next(c, 2000, &ev));
	CHECK(c, vfiomig_event_get_seq(ev) == 2, "seq %llu",
	      (unsigned long long)vfiomig_event_get_seq(ev));
	vfiomig_event_free(ev);
	CHECK(c, vfiomig_is_connected(c), "an unknown event kind dropped the link");
	vfiomig_close(c);
	close(srv);
	lt_log("proto: an event newer than this build is reported as LOST, the link stays");
}

/* What the event callback of case 7 saw. */
struct reentry {
	int depth, max_depth, n;
	uint64_t seqs[4];
	int call_rc;
};

static void reentry_cb(struct vfiomig_client *c, struct vfiomig_event *ev, void *ud)
{
	struct reentry *x = ud;
	struct vfiomig_device *d = NULL;

	x->depth++;
	if (x->depth > x->max_depth)
		x->max_depth = x->depth;
	if (x->n < 4)
		x->seqs[x->n] = vfiomig_event_get_seq(ev);
	x->n++;
	if (vfiomig_event_get_seq(ev) == 1)
		x->call_rc = vfiomig_device_info(c, "gpu0", 0, &d);
	vfiomig_event_free(ev);
	x->depth--;
}

/* 7: an event callback making a blocking call is not re-entered by later events. */
static void proto_reentry(int lfd, const char *path)
{
	struct reentry x = { 0 };
	int srv;
	struct vfiomig_client *c = pair(lfd, path, &srv);
	int64_t end = lt_now_ms() + 5000;
	pid_t pid = fork();

	if (pid == 0) {
		struct reader rd = { .fd = srv };
		uint32_t op, serial;

		send_event(srv, 1);
		if (!rd_next(&rd, 5000, &op, &serial))
			_exit(3);
		send_event(srv, 2);
		usleep(100000);
		lt_fake_reply(srv, serial, PROTO_ERR_NOT_FOUND, "no device");
		sleep(5);
		_exit(0);
	}
	close(srv);
	OK(c, vfiomig_set_event_callback(c, reentry_cb, &x));
	while (x.n < 2 && lt_now_ms() < end) {
		struct pollfd pf = { .fd = vfiomig_get_fd(c), .events = POLLIN };

		if (poll(&pf, 1, 100) == 1)
			vfiomig_process(c, pf.revents);
	}
	CHECK(c, x.n == 2, "%d events", x.n);
	CHECK(c, x.call_rc == -ENOENT, "the callback's call: %d", x.call_rc);
	CHECK(c, x.max_depth == 1, "the event callback was re-entered (depth %d)", x.max_depth);
	CHECK(c, x.seqs[0] == 1 && x.seqs[1] == 2, "order %llu %llu", (unsigned long long)x.seqs[0],
	      (unsigned long long)x.seqs[1]);
	vfiomig_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	lt_log("proto: the event callback is not re-entered during its blocking call");
}

/* 8: a full listen backlog makes connect wait (not fail with -EAGAIN). */
static void proto_backlog(const char *dir)
{
	char path[108];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vfiomig_client *c = NULL;
	int lfd, fill[16], nfill = 0, r;
	int64_t t0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/backlog.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = lt_fake_listen(path);
	CHECK(NULL, listen(lfd, 0) == 0, "listen");
	while (nfill < 16) {
		fill[nfill] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fill[nfill], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			CHECK(NULL, errno == EAGAIN, "filling the backlog: %s", strerror(errno));
			close(fill[nfill]);
			break;
		}
		nfill++;
	}
	CHECK(NULL, nfill < 16, "the backlog never filled");
	/* before the fork: the child accepts 300 ms after it at the earliest, however late
	 * either process gets the CPU on a loaded machine */
	t0 = lt_now_ms();
	pid = fork();
	if (pid == 0) {
		struct pollfd pf = { .fd = lfd, .events = POLLIN };

		usleep(300000);
		for (int i = 0; i <= nfill && poll(&pf, 1, 2000) == 1; i++)
			accept(lfd, NULL, NULL);
		sleep(5);
		_exit(0);
	}
	r = vfiomig_connect(path, 0, &c);
	CHECK(NULL, r == 0, "connect with a full backlog: %d (%s)", r, vfiomig_strerror(r));
	CHECK(c, lt_now_ms() - t0 >= 200, "connected after %lld ms with a full backlog",
	      (long long)(lt_now_ms() - t0));
	vfiomig_close(c);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(lfd);
	lt_log("proto: connect waits while the daemon's backlog is full");
}

/* 9: a blocking call that timed out before any of it was sent is never sent later. */
static void proto_unsent(int lfd, const char *path)
{
	static uint8_t md[VFIOMIG_METADATA_MAX];
	struct vfiomig_migrate_params *p = NULL;
	int srv, st, got = 1;
	struct vfiomig_client *c = pair(lfd, path, &srv);
	int64_t end;
	pid_t pid = fork();

	if (pid == 0) {
		struct reader rd = { .fd = srv };
		uint32_t op, serial;
		bool migrate = false, cancel = false;

		close(vfiomig_get_fd(c)); /* EOF once the parent closes the client */
		usleep(800000);		  /* the client's buffer fills meanwhile */
		while (rd_next(&rd, 3000, &op, &serial)) {
			migrate = migrate || op == CTL_OP_MIGRATE;
			cancel = cancel || op == CTL_OP_JOB_CANCEL;
		}
		_exit(!migrate ? 2 : cancel ? 1 : 0);
	}
	close(srv);
	OK(c, vfiomig_migrate_params_new(&p));
	OK(c, vfiomig_migrate_params_set_peer(p, "127.0.0.1:1"));
	OK(c, vfiomig_migrate_params_set_token(p, "t"));
	OK(c, vfiomig_migrate_params_add_device(p, "s0", "d0", md, sizeof(md)));
	CHECK(c, vfiomig_migrate_async(c, p, 0, status_cb, &got) > 0, "async migrate");
	vfiomig_migrate_params_free(p);
	CHECK(c, vfiomig_wants_write(c), "1 MiB went out at once");
	OK(c, vfiomig_set_timeout(c, 200));
	EXPECT_RC(c, vfiomig_job_cancel(c, 7, 0), -ETIMEDOUT);
	CHECK(c, strstr(vfiomig_last_error_message(c), "not sent"), "message '%s'",
	      vfiomig_last_error_message(c));
	end = lt_now_ms() + 5000;
	while (vfiomig_wants_write(c) && lt_now_ms() < end) {
		struct pollfd pf = { .fd = vfiomig_get_fd(c), .events = POLLOUT };

		if (poll(&pf, 1, 100) == 1)
			vfiomig_process(c, pf.revents);
	}
	CHECK(c, !vfiomig_wants_write(c), "the migrate request was not sent");
	vfiomig_close(c);
	CHECK(NULL, got == -ECANCELED, "migrate: %d", got);
	CHECK(NULL, waitpid(pid, &st, 0) == pid && WIFEXITED(st), "fake daemon");
	CHECK(NULL, WEXITSTATUS(st) != 1, "the timed-out job_cancel reached the daemon");
	CHECK(NULL, WEXITSTATUS(st) == 0, "fake daemon exit %d", WEXITSTATUS(st));
	lt_log("proto: a timed-out call whose request was not sent yet is dropped");
}

/* 15: the metadata total of a job is checked as devices are added. */
static void proto_metadata_total(void)
{
	static uint8_t md[VFIOMIG_METADATA_MAX];
	struct vfiomig_migrate_params *p = NULL;
	char s[8], d[8];

	OK(NULL, vfiomig_migrate_params_new(&p));
	CHECK(NULL, VFIOMIG_METADATA_TOTAL_MAX == 4 * VFIOMIG_METADATA_MAX, "total");
	for (int i = 0; i < 4; i++) {
		snprintf(s, sizeof(s), "s%d", i);
		snprintf(d, sizeof(d), "d%d", i);
		OK(NULL, vfiomig_migrate_params_add_device(p, s, d, md, sizeof(md)));
	}
	EXPECT_RC(NULL, vfiomig_migrate_params_add_device(p, "s4", "d4", md, 1), -EINVAL);
	OK(NULL, vfiomig_migrate_params_add_device(p, "s4", "d4", NULL, 0));
	vfiomig_migrate_params_free(p);
	lt_log("proto: metadata over VFIOMIG_METADATA_TOTAL_MAX per job is refused");
}

/* The cases by name, run in this order. */
static const struct {
	const char *name;
	void (*run)(int lfd, const char *path);
} proto_cases[] = {
	{ "overflow", proto_overflow },	     { "flood", proto_flood },
	{ "loss", proto_reply_before_loss }, { "error", proto_blocking_error },
	{ "interrupt", proto_interrupt },    { "unknown", proto_unknown_event },
	{ "reentry", proto_reentry },	     { "unsent", proto_unsent },
};

int lt_proto(const char *dir, const char *only)
{
	char path[108];
	bool found = false;
	int lfd;

	snprintf(path, sizeof(path), "%s/proto.sock", dir);
	lfd = lt_fake_listen(path);
	for (size_t i = 0; i < sizeof(proto_cases) / sizeof(proto_cases[0]); i++) {
		if (only && strcmp(only, proto_cases[i].name) != 0)
			continue;
		proto_cases[i].run(lfd, path);
		found = true;
	}
	close(lfd);
	if (!only || strcmp(only, "backlog") == 0) {
		proto_backlog(dir);
		found = true;
	}
	if (!only || strcmp(only, "metadata") == 0) {
		proto_metadata_total();
		found = true;
	}
	CHECK(NULL, found, "no case '%s'", only);
	return 0;
}
