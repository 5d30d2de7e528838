/*
 * test_control_util.c - the control tests' harness (see test_control_util.h).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "frame.h"
#include "log.h"
#include "open.h"
#include "registry.h"
#include "test_control_util.h"

struct tenv T;

/* ---- log capture ---- */

#define TLOG_LINES 1024

static char *tlog_lines[TLOG_LINES];
static int tlog_n;

static void tlog_sink(enum log_level level, const char *line, void *userdata)
{
	if (getenv("CONTROL_TEST_VERBOSE"))
		fprintf(stderr, "log<%d>: %s\n", (int)level, line);
	/* debug lines (every request's outcome) are not kept: a flood would push out the rest */
	if (tlog_n < TLOG_LINES && level <= LOG_LVL_INFO)
		tlog_lines[tlog_n++] = strdup(line);
}

void tlog_reset(void)
{
	for (int i = 0; i < tlog_n; i++)
		free(tlog_lines[i]);
	tlog_n = 0;
}

bool tlog_has(const char *needle)
{
	for (int i = 0; i < tlog_n; i++)
		if (tlog_lines[i] && strstr(tlog_lines[i], needle))
			return true;
	return false;
}

/* Whether line contains every needle of the list. */
static bool tlog_match(const char *line, const char *first, va_list ap)
{
	va_list aq;
	bool ok = line && strstr(line, first);

	va_copy(aq, ap);
	for (const char *n = va_arg(aq, const char *); ok && n; n = va_arg(aq, const char *))
		ok = strstr(line, n) != NULL;
	va_end(aq);
	return ok;
}

void tlog_expect(const char *needle, ...)
{
	va_list ap;
	bool found = false;

	va_start(ap, needle);
	for (int i = 0; i < tlog_n && !found; i++)
		found = tlog_match(tlog_lines[i], needle, ap);
	va_end(ap);
	if (found)
		return;
	for (int i = 0; i < tlog_n; i++)
		fprintf(stderr, "  captured: %s\n", tlog_lines[i]);
	ck_abort_msg("no log line contains \"%s\" (and the other needles)", needle);
}

/* ---- the loop ---- */

static uint64_t tnow_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One loop iteration, then a short wait on fd (or a nap). */
static void tstep(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	event_base_loop(T.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (fd >= 0)
		poll(&p, 1, 1);
	else
		poll(NULL, 0, 1);
}

void tpump(int ms)
{
	uint64_t end = tnow_ms() + (uint64_t)ms;

	while (tnow_ms() < end)
		tstep(-1);
}

int tcount_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			char l[256] = "", pth[300];

			snprintf(pth, sizeof(pth), "/proc/self/fd/%s", e->d_name);
			if (getenv("CONTROL_TEST_VERBOSE") && readlink(pth, l, sizeof(l) - 1) > 0)
				fprintf(stderr, "fd %s -> %s\n", e->d_name, l);
			n++;
		}
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* ---- the env ---- */

static void tenv_daemon_info(void *arg, struct ctl_daemon_info *ret)
{
	snprintf(ret->host_identity, sizeof(ret->host_identity), "test-host");
	ret->tls.state = CTL_TLS_DISABLED;
	ret->uptime_s = 5;
	ret->n_listen = 1;
	snprintf(ret->listen[0], sizeof(ret->listen[0]), "127.0.0.1:7400");
}

static int tenv_peer_connect(void *arg, const char *address, const char *expect_host,
			     control_peer_done_fn *done, void *done_arg)
{
	struct tpending *p;

	if (T.connect_result < 0)
		return T.connect_result;
	ck_assert_int_lt(T.n_pend, TPEND_MAX);
	p = &T.pend[T.n_pend++];
	p->done = done;
	p->done_arg = done_arg;
	snprintf(p->address, sizeof(p->address), "%s", address);
	snprintf(p->expect_host, sizeof(p->expect_host), "%s",
		 expect_host ? expect_host : "(none)");
	return 0;
}

static uint32_t tenv_peer_list(void *arg, struct ctl_peer_info *peers, uint32_t max)
{
	ck_assert_uint_eq(max, CTL_PEERS_MAX);
	for (uint32_t i = 0; i < 2; i++) {
		snprintf(peers[i].address, sizeof(peers[i].address), "10.0.0.%u:7400", i + 2);
		peers[i].state = i ? CTL_PEER_TLS_HANDSHAKE : CTL_PEER_READY;
		peers[i].outgoing = i == 0;
		peers[i].rtt_us = i ? -1 : 180;
		peers[i].protocol_version = i ? 0 : 1;
	}
	return 2;
}

void tenv_complete(int i, int err, const char *message, const struct ctl_peer_info *info)
{
	struct tpending p;

	ck_assert_int_lt(i, T.n_pend);
	p = T.pend[i];
	memmove(&T.pend[i], &T.pend[i + 1], (size_t)(T.n_pend - i - 1) * sizeof(T.pend[0]));
	T.n_pend--;
	p.done(p.done_arg, err, message, info);
}

void tenv_add_sim(const char *id, const char *spec)
{
	struct device *d;
	char err[512];

	ck_assert_msg(open_device(id, OPEN_SIM, spec, -1, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(registry_add(T.reg, d), 0);
}

void tenv_options(struct control_options *o)
{
	control_options_init(o);
	o->path = T.path;
	o->mode = 0600;
	o->max_clients = 8;
}

int tenv_restart(const struct control_options *o, char *err, size_t errlen)
{
	control_server_free(T.srv);
	T.srv = NULL;
	return control_server_new(T.base, o, &T.env, &T.srv, err, errlen);
}

void tenv_setup(void)
{
	struct control_options o;
	char err[512];

	memset(&T, 0, sizeof(T));
	log_set_sink(tlog_sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	snprintf(T.dir, sizeof(T.dir), "/tmp/vmctl-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T.dir));
	snprintf(T.path, sizeof(T.path), "%s/ctl.sock", T.dir);
	T.base = event_base_new();
	ck_assert_ptr_nonnull(T.base);
	ck_assert_int_eq(registry_new(16, &T.reg), 0);
	tenv_add_sim("gpu0", "size=64K");
	tenv_add_sim("nic0", "size=64K,flags=stop_copy");
	T.env = (struct control_env){ .devices = T.reg,
				      .daemon_info = tenv_daemon_info,
				      .peer_connect = tenv_peer_connect,
				      .peer_list = tenv_peer_list };
	tenv_options(&o);
	ck_assert_msg(tenv_restart(&o, err, sizeof(err)) == 0, "%s", err);
}

void tenv_teardown(void)
{
	control_server_free(T.srv);
	/* what the daemon does at shutdown: complete every accepted call */
	while (T.n_pend)
		tenv_complete(0, -ECANCELED, "daemon shutting down", NULL);
	registry_free(T.reg);
	event_base_free(T.base);
	unlink(T.path);
	rmdir(T.dir);
	log_set_sink(NULL, NULL);
	tlog_reset();
}

/* ---- clients ---- */

void tc_open(struct tclient *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(t, 0, sizeof(*t));
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(t->fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", T.path);
	ck_assert_msg(connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect %s: %s",
		      T.path, strerror(errno));
	t->buf = malloc(FRAME_HDR_LEN + FRAME_BODY_MAX);
	ck_assert_ptr_nonnull(t->buf);
}

void tc_close(struct tclient *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->buf);
	t->buf = NULL;
}

void tc_send_fds(struct tclient *t, const void *buf, size_t len, const int *fds, int n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t done = 0;

	ck_assert_int_le(n, 16);
	if (n > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	while (done < len) {
		ssize_t r = sendmsg(t->fd, &msg, MSG_NOSIGNAL);

		if (r < 0 && errno == EAGAIN) {
			tstep(-1);
			continue;
		}
		ck_assert_msg(r > 0, "send: %s", strerror(errno));
		done += (size_t)r;
		iov.iov_base = (char *)buf + done;
		iov.iov_len = len - done;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
}

void tc_send(struct tclient *t, const void *buf, size_t len)
{
	tc_send_fds(t, buf, len, NULL, 0);
}

void tc_request(struct tclient *t, struct ctl_request *q)
{
	uint8_t *buf;
	size_t len;

	if (q->serial == 0)
		q->serial = ++t->serial;
	t->serial = q->serial;
	ck_assert_msg(ctl_request_encode(q, &buf, &len) == 0, "%s", proto_last_error());
	tc_send(t, buf, len);
	free(buf);
}

/* Reads what is there; -EPIPE at EOF or reset, 0 otherwise. */
static int tc_fill(struct tclient *t)
{
	for (;;) {
		ssize_t n = recv(t->fd, t->buf + t->len, FRAME_HDR_LEN + FRAME_BODY_MAX - t->len,
				 MSG_DONTWAIT);

		if (n > 0) {
			t->len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return 0;
		return -EPIPE;
	}
}

int tc_reply(struct tclient *t, struct ctl_reply *rep, int timeout_ms)
{
	uint64_t end = tnow_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct frame_view v;
		int r = frame_parse(t->buf, t->len, &v), eof;

		ck_assert_int_ge(r, 0);
		if (r == FRAME_COMPLETE) {
			ck_assert_uint_eq(v.type, FRAME_CTL_REPLY);
			ck_assert_msg(ctl_reply_decode(v.body, v.body_len, rep) == 0, "%s",
				      proto_last_error());
			memmove(t->buf, t->buf + v.frame_len, t->len - v.frame_len);
			t->len -= v.frame_len;
			return 0;
		}
		eof = tc_fill(t);
		if (eof < 0 && frame_parse(t->buf, t->len, &v) != FRAME_COMPLETE)
			return -EPIPE;
		if (tnow_ms() > end)
			return -ETIMEDOUT;
		tstep(t->fd);
	}
}

void tc_call(struct tclient *t, struct ctl_request *q, struct ctl_reply *rep)
{
	tc_request(t, q);
	ck_assert_int_eq(tc_reply(t, rep, TWAIT_MS), 0);
	ck_assert_uint_eq(rep->serial, q->serial);
}

void tc_expect_error(struct tclient *t, struct ctl_request *q, uint32_t code, const char *needle)
{
	struct ctl_reply rep;

	tc_call(t, q, &rep);
	ck_assert_msg(rep.error.code == code, "%s: got %s (%s), want %s",
		      ctl_request_op_name(q->op), proto_err_name(rep.error.code), rep.error.message,
		      proto_err_name(code));
	ck_assert_msg(strstr(rep.error.message, needle), "message \"%s\" lacks \"%s\"",
		      rep.error.message, needle);
	ck_assert_uint_eq(rep.result, CTL_RESULT_NONE);
	ctl_reply_clear(&rep);
}

bool tc_eof(struct tclient *t, int timeout_ms)
{
	uint64_t end = tnow_ms() + (uint64_t)timeout_ms;

	while (tnow_ms() <= end) {
		if (tc_fill(t) < 0)
			return true;
		tstep(t->fd);
	}
	return false;
}

void tc_hello_ok(struct tclient *t)
{
	struct ctl_request q = { .op = CTL_OP_HELLO };
	struct ctl_reply rep;

	q.u.hello = (struct ctl_hello){ .version = 1, .min_version = 1, .name = "test" };
	tc_call(t, &q, &rep);
	ck_assert_msg(rep.error.code == PROTO_ERR_OK, "hello: %s", rep.error.message);
	ck_assert_uint_eq(rep.result, CTL_RESULT_HELLO);
}

uint8_t *tframe(uint16_t type, uint16_t flags, uint32_t len_field, const void *body,
		size_t body_len, size_t *ret_len)
{
	uint8_t *f = malloc(FRAME_HDR_LEN + body_len + 1);

	ck_assert_ptr_nonnull(f);
	f[0] = (uint8_t)(len_field >> 24);
	f[1] = (uint8_t)(len_field >> 16);
	f[2] = (uint8_t)(len_field >> 8);
	f[3] = (uint8_t)len_field;
	f[4] = (uint8_t)(type >> 8);
	f[5] = (uint8_t)type;
	f[6] = (uint8_t)(flags >> 8);
	f[7] = (uint8_t)flags;
	if (body_len)
		memcpy(f + FRAME_HDR_LEN, body, body_len);
	*ret_len = FRAME_HDR_LEN + body_len;
	return f;
}
