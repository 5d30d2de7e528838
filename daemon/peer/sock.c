/*
 * sock.c - TCP options of peer link sockets and the non-blocking connect steps.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "sock.h"

/* Milliseconds to whole seconds, rounded up, at least 1, clamped to what the kernel takes. */
static int sock_secs(uint64_t ms)
{
	uint64_t s = (ms + 999) / 1000;

	if (s < 1)
		return 1;
	return s > 32767 ? 32767 : (int)s;
}

static int sock_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

int sock_set_liveness(int fd, const struct peer_options *o, const char **what)
{
	const struct {
		int level, name, value;
		const char *what;
	} opts[] = {
		{ SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE" },
		{ IPPROTO_TCP, TCP_KEEPIDLE, sock_secs(o->tcp_keepalive_idle_ms), "TCP_KEEPIDLE" },
		{ IPPROTO_TCP, TCP_KEEPINTVL, sock_secs(o->tcp_keepalive_interval_ms),
		  "TCP_KEEPINTVL" },
		{ IPPROTO_TCP, TCP_KEEPCNT,
		  o->tcp_keepalive_count ? (int)o->tcp_keepalive_count : 1, "TCP_KEEPCNT" },
	};
	int r;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		r = sock_opt(fd, opts[i].level, opts[i].name, opts[i].value);
		if (r < 0) {
			*what = opts[i].what;
			return r;
		}
	}
	if (o->tcp_user_timeout_ms == 0)
		return 0;
	r = sock_opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
		     o->tcp_user_timeout_ms > INT32_MAX ? INT32_MAX : (int)o->tcp_user_timeout_ms);
	if (r < 0)
		*what = "TCP_USER_TIMEOUT";
	return r;
}

int sock_set_nodelay(int fd)
{
	return sock_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

int sock_connect_start(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	int r;

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len) == 0 || errno == EINPROGRESS)
		return fd;
	r = -errno;
	close(fd);
	return r;
}

int sock_connect_result(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int);
	int e = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return -errno;
	if (e)
		return -e;
	/* SO_ERROR is 0 both once connected and while still connecting. */
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		return 0;
	return errno == ENOTCONN ? -EINPROGRESS : -errno;
}
