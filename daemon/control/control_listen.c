/*
 * control_listen.c - the control socket file: checks before binding (path length, parent
 * directory, group, a stale or live socket already there), bind with the requested mode and
 * group, and removal at exit only of the file we created. Also checks a socket handed over
 * by systemd. Runs at start; blocking filesystem calls are fine here.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_int.h"

#define CONTROL_BACKLOG 64

int control_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* The gid of a group name, or of a number; -ENOENT if neither. */
static int listen_group(const char *group, gid_t *ret)
{
	char buf[4096], *end;
	struct group gr, *res = NULL;
	unsigned long n;

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) == 0 && res) {
		*ret = res->gr_gid;
		return 0;
	}
	errno = 0;
	n = strtoul(group, &end, 10);
	if (group[0] >= '0' && group[0] <= '9' && *end == '\0' && errno == 0 && n < (gid_t)-1) {
		*ret = (gid_t)n;
		return 0;
	}
	return -ENOENT;
}

static int listen_check_dir(const char *path, char *err, size_t errlen)
{
	char copy[CONTROL_PATH_MAX + 1];
	struct stat st;
	const char *dir;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (stat(dir, &st) < 0)
		return control_fail(err, errlen, -errno,
				    "cannot create control socket %s: directory %s: %s; create it "
				    "first (the systemd unit's RuntimeDirectory= does)",
				    path, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return control_fail(err, errlen, -ENOTDIR,
				    "cannot create control socket %s: %s is not a directory", path,
				    dir);
	return 0;
}

static void listen_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path));
}

/* A socket file already at path: in use (refused), stale (unlinked), or an error. */
static int listen_probe(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return control_fail(err, errlen, -errno, "control socket %s: socket: %s", path,
				    strerror(errno));
	listen_addr(path, &sa);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	close(fd);
	if (r == 0 || r == -EAGAIN)
		return control_fail(
			err, errlen, -EADDRINUSE,
			"control socket %s is in use by a running daemon; stop it or set "
			"control.socket to another path",
			path);
	if (r != -ECONNREFUSED)
		return control_fail(err, errlen, r,
				    "cannot tell whether control socket %s is in use: connect: %s",
				    path, strerror(-r));
	if (unlink(path) < 0 && errno != ENOENT)
		return control_fail(err, errlen, -errno,
				    "cannot remove the stale control socket %s: %s", path,
				    strerror(errno));
	log_notice("control: removed the stale socket %s (no daemon listens on it)", path);
	return 0;
}

static int listen_check_path(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return control_fail(err, errlen, -errno, "control socket %s: %s", path,
				    strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return control_fail(
			err, errlen, -EEXIST,
			"%s exists and is not a socket; remove it or set control.socket "
			"to another path",
			path);
	return listen_probe(path, err, errlen);
}

/* Binds with a umask that lets nobody in before chown/chmod set the real permissions. */
static int listen_bind(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return control_fail(err, errlen, -errno, "control socket %s: socket: %s", path,
				    strerror(errno));
	listen_addr(path, &sa);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0) {
		close(fd);
		return control_fail(err, errlen, r, "cannot bind control socket %s: %s", path,
				    strerror(-r));
	}
	return fd;
}

/* chown, chmod, listen on a freshly bound socket; the caller unlinks on failure. */
static int listen_finish(int fd, const char *path, unsigned int mode, const char *group, gid_t gid,
			 char *err, size_t errlen)
{
	if (group && chown(path, (uid_t)-1, gid) < 0)
		return control_fail(err, errlen, -errno,
				    "cannot give control socket %s to group %s: %s", path, group,
				    strerror(errno));
	if (chmod(path, (mode_t)mode) < 0)
		return control_fail(err, errlen, -errno,
				    "cannot set mode %04o on control socket %s: %s", mode, path,
				    strerror(errno));
	if (listen(fd, CONTROL_BACKLOG) < 0)
		return control_fail(err, errlen, -errno, "cannot listen on control socket %s: %s",
				    path, strerror(errno));
	return 0;
}

static int listen_prepare(const char *path, unsigned int mode, const char *group, gid_t *gid,
			  char *err, size_t errlen)
{
	int r;

	if (!path || !*path)
		return control_fail(err, errlen, -EINVAL, "no control socket path configured");
	if (strlen(path) > CONTROL_PATH_MAX)
		return control_fail(err, errlen, -ENAMETOOLONG,
				    "control socket path %s is %zu bytes long; a UNIX socket path "
				    "holds at most %zu",
				    path, strlen(path), CONTROL_PATH_MAX);
	if (mode & ~0777u)
		return control_fail(err, errlen, -EINVAL,
				    "control socket mode %o is not a permission mode (0000-0777)",
				    mode);
	if (group && listen_group(group, gid) < 0)
		return control_fail(err, errlen, -ENOENT,
				    "control socket group %s does not exist; create it (groupadd "
				    "%s) or set control.group to an existing group",
				    group, group);
	r = listen_check_dir(path, err, errlen);
	return r < 0 ? r : listen_check_path(path, err, errlen);
}

int control_listen_open(const char *path, unsigned int mode, const char *group, dev_t *ret_dev,
			ino_t *ret_ino, char *err, size_t errlen)
{
	struct stat st;
	gid_t gid = 0;
	int fd, r;

	if (group && !*group)
		group = NULL;
	r = listen_prepare(path, mode, group, &gid, err, errlen);
	if (r < 0)
		return r;
	fd = listen_bind(path, err, errlen);
	if (fd < 0)
		return fd;
	r = listen_finish(fd, path, mode, group, gid, err, errlen);
	if (r == 0 && stat(path, &st) < 0)
		r = control_fail(err, errlen, -errno, "control socket %s vanished: %s", path,
				 strerror(errno));
	if (r < 0) {
		unlink(path);
		close(fd);
		return r;
	}
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return fd;
}

static int listen_sockopt(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0)
		return -errno;
	return v;
}

int control_listen_adopt(int fd, char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int flags;

	path[0] = '\0';
	if (fd < 0 || listen_sockopt(fd, SO_DOMAIN) != AF_UNIX ||
	    listen_sockopt(fd, SO_TYPE) != SOCK_STREAM || listen_sockopt(fd, SO_ACCEPTCONN) != 1)
		return control_fail(err, errlen, -EINVAL,
				    "fd %d is not a listening UNIX stream socket; check the socket "
				    "unit (ListenStream= with a path)",
				    fd);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return control_fail(err, errlen, -errno, "control socket fd %d: fcntl: %s", fd,
				    strerror(errno));
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sun_path[0])
		snprintf(path, CONTROL_PATH_MAX + 1, "%.*s", (int)CONTROL_PATH_MAX, sa.sun_path);
	return 0;
}

void control_listen_remove(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (st.st_dev != dev || st.st_ino != ino) {
		log_notice("control: %s is no longer our socket; leaving it", path);
		return;
	}
	if (unlink(path) < 0)
		log_warn(-errno, "control: cannot remove %s", path);
}
