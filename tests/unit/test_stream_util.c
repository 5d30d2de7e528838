/*
 * test_stream_util.c - the helpers of test_stream_util.h.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_stream_util.h"

static char pki_dir[PATH_MAX];
static struct tls_ctx *ctx_a, *ctx_b;
static const char *const allow_ab[] = { "dns:hosta.test", "dns:hostb.test" };

static int pki_ctx(const char *host, struct tls_ctx **ret)
{
	char ca[PATH_MAX + 16], crt[PATH_MAX + 16], key[PATH_MAX + 16], err[512] = "";
	struct tls_config c = {
		.ca_file = ca, .cert_file = crt, .key_file = key, .allow = allow_ab, .n_allow = 2
	};

	snprintf(ca, sizeof(ca), "%s/ca.crt", pki_dir);
	snprintf(crt, sizeof(crt), "%s/%s.crt", pki_dir, host);
	snprintf(key, sizeof(key), "%s/%s.key", pki_dir, host);
	if (tls_ctx_new(&c, ret, err, sizeof(err)) < 0) {
		fprintf(stderr, "tls_ctx_new(%s): %s\n", host, err);
		return -1;
	}
	return 0;
}

int pki_setup(const char *prog)
{
	const char *src = getenv("VFIO_MIGD_SRCDIR");
	const char *tmp = getenv("TMPDIR");
	char cmd[2 * PATH_MAX + 64];

	if (!src) {
		fprintf(stderr, "%s: VFIO_MIGD_SRCDIR is not set (run through meson test)\n", prog);
		return -1;
	}
	snprintf(pki_dir, sizeof(pki_dir), "%s/%s.XXXXXX", tmp ? tmp : "/tmp", prog);
	if (!mkdtemp(pki_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s/tests/pki/make-pki.sh' '%s' >/dev/null", src, pki_dir);
	if (system(cmd) != 0)
		return -1;
	return pki_ctx("hosta", &ctx_a) < 0 || pki_ctx("hostb", &ctx_b) < 0 ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void pki_teardown(void)
{
	tls_ctx_unref(ctx_a);
	tls_ctx_unref(ctx_b);
	if (pki_dir[0])
		nftw(pki_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void set_nonblock(int fd)
{
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* Drives both handshakes in one poll loop until both are done. */
static void handshake_both(struct end *a, struct end *b)
{
	struct end *e[2] = { a, b };
	bool done[2] = { false, false };
	uint64_t t0 = now_ns();

	while (!done[0] || !done[1]) {
		struct pollfd p[2];

		for (int i = 0; i < 2; i++) {
			int r = done[i] ? 0 : tls_conn_handshake(e[i]->tls);

			ck_assert_msg(r == 0 || r == -EAGAIN, "handshake: %s",
				      tls_conn_error(e[i]->tls));
			done[i] = r == 0;
			p[i] = (struct pollfd){
				.fd = done[i] ? -1 : e[i]->fd,
				.events = tls_conn_want(e[i]->tls) == TLS_WANT_WRITE ? POLLOUT
										     : POLLIN,
			};
		}
		if (!done[0] || !done[1])
			poll(p, 2, 1000);
		ck_assert_msg(ms_since(t0) < 10000, "handshake took more than 10 s");
	}
}

void link_pair(struct end *src, struct end *dst, int sndbuf, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(l, 0);
	/* Set before listen/connect so the window is sized for them from the start. */
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	src->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(src->fd, 0);
	if (sndbuf > 0)
		ck_assert_int_eq(
			setsockopt(src->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	ck_assert_int_eq(connect(src->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	dst->fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(dst->fd, 0);
	close(l);
	set_nonblock(src->fd);
	set_nonblock(dst->fd);
	ck_assert_int_eq(tls_conn_new(ctx_a, src->fd, TLS_ROLE_CLIENT, "hostb.test", &src->tls), 0);
	ck_assert_int_eq(tls_conn_new(ctx_b, dst->fd, TLS_ROLE_SERVER, NULL, &dst->tls), 0);
	handshake_both(src, dst);
}

void end_blocking(struct end *e)
{
	struct timeval tv = { .tv_sec = 10 };

	ck_assert_int_eq(fcntl(e->fd, F_SETFL, fcntl(e->fd, F_GETFL) & ~O_NONBLOCK), 0);
	setsockopt(e->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(e->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void end_close(struct end *e)
{
	tls_conn_free(e->tls);
	close(e->fd);
	e->tls = NULL;
	e->fd = -1;
}

void end_close_notify(struct end *e)
{
	ck_assert_int_eq(tls_conn_shutdown(e->tls), 0);
	end_close(e);
}

struct stream_config cfg_of(enum stream_role role, struct backend *b, struct end *e)
{
	return (struct stream_config){
		.role = role,
		.name = role == STREAM_SEND ? "src" : "dst",
		.backend = b,
		.fd = e->fd,
		.tls = e->tls,
		.device_index = 3,
		.poll_ms = 10,
		.notify_ms = 50,
	};
}

struct stream *start(const struct stream_config *c)
{
	struct stream *s = NULL;

	ck_assert_int_eq(stream_start(c, &s), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

struct stream_stats finish(struct stream *s, int timeout_ms)
{
	struct stream_stats st;

	ck_assert_msg(stream_wait(s, timeout_ms) == 0, "stream did not finish within %d ms",
		      timeout_ms);
	stream_stats(s, &st);
	ck_assert(st.state == STREAM_DONE || st.state == STREAM_FAILED ||
		  st.state == STREAM_CANCELLED);
	ck_assert_uint_ge(st.finished_ns, st.started_ns);
	return st;
}

static bool terminal(enum stream_state st)
{
	return st == STREAM_DONE || st == STREAM_FAILED || st == STREAM_CANCELLED;
}

struct stream_stats await_state(struct stream *s, enum stream_state want, int timeout_ms)
{
	struct stream_stats st;
	uint64_t t0 = now_ns();

	for (;;) {
		stream_stats(s, &st);
		if (st.state == want || terminal(st.state))
			break;
		ck_assert_msg(ms_since(t0) < (uint64_t)timeout_ms, "no %s within %d ms (%s)",
			      stream_state_name(want), timeout_ms, stream_state_name(st.state));
		usleep(2000);
	}
	ck_assert_msg(st.state == want, "wanted %s, got %s: %s", stream_state_name(want),
		      stream_state_name(st.state), st.message);
	return st;
}

struct stream_stats await_bytes(struct stream *s, uint64_t bytes, int timeout_ms)
{
	struct stream_stats st;
	uint64_t t0 = now_ns();

	for (;;) {
		stream_stats(s, &st);
		if (st.bytes >= bytes)
			return st;
		ck_assert_msg(!terminal(st.state), "stream ended (%s: %s) before %llu bytes",
			      stream_state_name(st.state), st.message, (unsigned long long)bytes);
		ck_assert_msg(ms_since(t0) < (uint64_t)timeout_ms, "not %llu bytes within %d ms",
			      (unsigned long long)bytes, timeout_ms);
		usleep(2000);
	}
}

void note_fn(struct stream *s, void *arg)
{
	struct notes *n = arg;
	struct stream_stats st;

	/* Stats from inside the callback: proves it runs outside the stream's lock. */
	stream_stats(s, &st);
	atomic_fetch_add(&n->calls, 1);
	if (st.state == STREAM_IDLE)
		atomic_store(&n->saw_idle, true);
	if (terminal(st.state))
		atomic_store(&n->saw_terminal, true);
}

void peer_write(struct end *e, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = tls_conn_write(e->tls, p, len);

		ck_assert_msg(n > 0, "peer write: %zd %s", n, tls_conn_error(e->tls));
		p += n;
		len -= (size_t)n;
	}
}

void peer_data(struct end *e, uint64_t seq, const void *data, size_t len)
{
	uint8_t prefix[FRAME_DATA_PREFIX];

	ck_assert_int_eq(frame_data_prefix_encode(seq, len, prefix), 0);
	peer_write(e, prefix, sizeof(prefix));
	if (len)
		peer_write(e, data, len);
}

void peer_msg(struct end *e, const struct peer_msg *m)
{
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(peer_msg_encode(m, &buf, &len), 0);
	peer_write(e, buf, len);
	free(buf);
}

void peer_ack(struct end *e, uint32_t index, uint64_t bytes)
{
	struct peer_msg m = { .type = FRAME_STREAM_ACK };

	m.u.stream_ack.device_index = index;
	m.u.stream_ack.bytes = bytes;
	peer_msg(e, &m);
}

void peer_end(struct end *e, uint32_t index, uint64_t bytes, const uint8_t sha[32])
{
	struct peer_msg m = { .type = FRAME_STREAM_END };

	m.u.stream_end.device_index = index;
	m.u.stream_end.bytes = bytes;
	memcpy(m.u.stream_end.sha256, sha, 32);
	peer_msg(e, &m);
}

/* Reads exactly len bytes; false when the connection ended first. */
static bool peer_read_exact(struct end *e, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = tls_conn_read(e->tls, buf, len);

		if (n == 0 || n == -ECONNRESET)
			return false;
		ck_assert_msg(n > 0, "peer read: %zd %s", n, tls_conn_error(e->tls));
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

struct frame_view peer_frame(struct end *e, uint8_t *buf, size_t cap)
{
	struct frame_view f = { 0 };

	if (!peer_read_exact(e, buf, FRAME_HDR_LEN))
		return (struct frame_view){ 0 };
	ck_assert_int_eq(frame_parse(buf, FRAME_HDR_LEN, &f) >= 0, 1);
	ck_assert_uint_le(f.frame_len, cap);
	if (!peer_read_exact(e, buf + FRAME_HDR_LEN, f.frame_len - FRAME_HDR_LEN))
		return (struct frame_view){ 0 };
	ck_assert_int_eq(frame_parse(buf, f.frame_len, &f), FRAME_COMPLETE);
	return f;
}

uint64_t ms_since(uint64_t t0_ns)
{
	return (now_ns() - t0_ns) / 1000000u;
}
