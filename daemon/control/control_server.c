/*
 * control_server.c - struct control_server: options, the listening socket (made here or
 * handed over), accepting clients with their peer credentials (SO_PEERCRED), the uid
 * allow-list and the client limit, and teardown.
 *
 * Not here: the socket file (control_listen.c), what a client does once accepted
 * (control_client.c). Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "control_int.h"
#include "registry.h"

#define CONTROL_ACCEPT_BUDGET 16 /* clients accepted per callback before yielding */

void control_options_init(struct control_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = CONTROL_DEFAULT_MODE;
	o->max_clients = CONTROL_DEFAULT_MAX_CLIENTS;
	o->max_output = CONTROL_DEFAULT_MAX_OUTPUT;
}

bool control_uid_allowed(const uid_t *allowed, size_t n, uid_t uid)
{
	if (uid == 0 || n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (allowed[i] == uid)
			return true;
	return false;
}

/* Reads the client's credentials; refuses it when not allowed or when the server is full. */
static void server_admit(struct control_server *srv, int fd)
{
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn(-errno, "control: refusing a client: cannot read its credentials");
		close(fd);
		return;
	}
	if (!control_uid_allowed(srv->opts.allowed_uids, srv->opts.n_allowed_uids, cred.uid)) {
		log_warnx("control: refusing client pid=%d uid=%u: uid %u is not in "
			  "control.allowed_uids",
			  (int)cred.pid, (unsigned)cred.uid, (unsigned)cred.uid);
		close(fd);
		return;
	}
	if (srv->n_open >= srv->opts.max_clients) {
		log_warnx("control: refusing client pid=%d uid=%u: %u clients are connected, the "
			  "limit (control.max_clients)",
			  (int)cred.pid, (unsigned)cred.uid, srv->n_open);
		close(fd);
		return;
	}
	control_client_new(srv, fd, cred.pid, cred.uid, cred.gid);
}

static void server_pause_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_server *srv = arg;

	event_add(srv->accept_ev, NULL);
}

/* Out of fds or memory: stop accepting for a while rather than spin on the listener. */
static void server_pause(struct control_server *srv, int err)
{
	struct timeval tv = { .tv_sec = CONTROL_ACCEPT_PAUSE_MS / 1000,
			      .tv_usec = (CONTROL_ACCEPT_PAUSE_MS % 1000) * 1000 };

	log_warn(err, "control: cannot accept clients for %d ms", CONTROL_ACCEPT_PAUSE_MS);
	event_del(srv->accept_ev);
	evtimer_add(srv->pause_ev, &tv);
}

static void server_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control_server *srv = arg;

	for (int i = 0; i < CONTROL_ACCEPT_BUDGET; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			server_admit(srv, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			server_pause(srv, -errno);
		else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn(-errno, "control: accept");
		return;
	}
}

static int server_copy_opts(struct control_server *srv, const struct control_options *o, char *err,
			    size_t errlen)
{
	srv->opts = *o;
	if (o->group && strlen(o->group) >= sizeof(srv->group))
		return control_fail(err, errlen, -EINVAL, "control socket group %s: name too long",
				    o->group);
	snprintf(srv->group, sizeof(srv->group), "%s", o->group ? o->group : "");
	srv->opts.group = srv->group[0] ? srv->group : NULL;
	srv->opts.path = srv->path;
	srv->opts.allowed_uids = NULL;
	if (o->n_allowed_uids) {
		srv->allowed_uids = calloc(o->n_allowed_uids, sizeof(uid_t));
		if (!srv->allowed_uids)
			return control_fail(err, errlen, -ENOMEM, "control server: out of memory");
		memcpy(srv->allowed_uids, o->allowed_uids, o->n_allowed_uids * sizeof(uid_t));
		srv->opts.allowed_uids = srv->allowed_uids;
	}
	return 0;
}

static int server_check(const struct control_options *o, const struct control_env *env, char *err,
			size_t errlen)
{
	if (!env || !env->devices)
		return control_fail(err, errlen, -EINVAL, "control server: no device registry");
	if (o->max_clients == 0)
		return control_fail(err, errlen, -EINVAL, "control.max_clients must be at least 1");
	if (o->max_output < CONTROL_MAX_OUTPUT_MIN)
		return control_fail(err, errlen, -EINVAL,
				    "control output limit %zu is below the minimum %zu",
				    o->max_output, CONTROL_MAX_OUTPUT_MIN);
	if (o->n_allowed_uids && !o->allowed_uids)
		return control_fail(err, errlen, -EINVAL,
				    "control.allowed_uids: NULL with a count");
	return 0;
}

/* Allocates a server around no socket yet. */
static int server_alloc(struct event_base *base, const struct control_options *o,
			const struct control_env *env, struct control_server **ret, char *err,
			size_t errlen)
{
	struct control_server *srv;
	int r = server_check(o, env, err, errlen);

	if (r < 0)
		return r;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return control_fail(err, errlen, -ENOMEM, "control server: out of memory");
	srv->base = base;
	srv->env = *env;
	srv->fd = -1;
	srv->work_fd = -1;
	TAILQ_INIT(&srv->clients);
	TAILQ_INIT(&srv->works);
	TAILQ_INIT(&srv->adds);
	r = server_copy_opts(srv, o, err, errlen);
	if (r == 0) {
		r = control_work_init(srv);
		if (r < 0)
			control_fail(err, errlen, r,
				     "control server: cannot set up its worker wake-up: %s",
				     strerror(-r));
	}
	if (r < 0) {
		control_server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

/* Starts accepting on srv->fd. */
static int server_start(struct control_server *srv, char *err, size_t errlen)
{
	srv->accept_ev = event_new(srv->base, srv->fd, EV_READ | EV_PERSIST, server_accept_cb, srv);
	srv->pause_ev = evtimer_new(srv->base, server_pause_cb, srv);
	if (!srv->accept_ev || !srv->pause_ev || event_add(srv->accept_ev, NULL) < 0)
		return control_fail(err, errlen, -ENOMEM, "control server: out of memory");
	log_info("control: listening on %s", srv->path[0] ? srv->path : "an inherited socket");
	return 0;
}

int control_server_new(struct event_base *base, const struct control_options *opts,
		       const struct control_env *env, struct control_server **ret, char *err,
		       size_t errlen)
{
	struct control_server *srv;
	int r;

	if (!opts->path || !*opts->path)
		return control_fail(err, errlen, -EINVAL, "no control socket path configured");
	if (strlen(opts->path) > CONTROL_PATH_MAX)
		return control_fail(err, errlen, -ENAMETOOLONG,
				    "control socket path %s is %zu bytes long; a UNIX socket path "
				    "holds at most %zu",
				    opts->path, strlen(opts->path), CONTROL_PATH_MAX);
	r = server_alloc(base, opts, env, &srv, err, errlen);
	if (r < 0)
		return r;
	snprintf(srv->path, sizeof(srv->path), "%s", opts->path);
	srv->fd = control_listen_open(srv->path, opts->mode, srv->opts.group, &srv->dev, &srv->ino,
				      err, errlen);
	if (srv->fd < 0) {
		r = srv->fd;
		control_server_free(srv);
		return r;
	}
	srv->created = true;
	r = server_start(srv, err, errlen);
	if (r < 0) {
		control_server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

int control_server_new_from_fd(struct event_base *base, int fd, const struct control_options *opts,
			       const struct control_env *env, struct control_server **ret,
			       char *err, size_t errlen)
{
	struct control_server *srv;
	char path[CONTROL_PATH_MAX + 1];
	int r;

	r = control_listen_adopt(fd, path, err, errlen);
	if (r == 0)
		r = server_alloc(base, opts, env, &srv, err, errlen);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	srv->fd = fd;
	snprintf(srv->path, sizeof(srv->path), "%s",
		 path[0] ? path : (opts->path ? opts->path : ""));
	r = server_start(srv, err, errlen);
	if (r < 0) {
		control_server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

void control_server_free(struct control_server *srv)
{
	struct control_client *c;

	if (!srv)
		return;
	control_work_free_all(srv);
	while ((c = TAILQ_FIRST(&srv->clients)))
		control_client_free(c);
	if (srv->accept_ev)
		event_free(srv->accept_ev);
	if (srv->pause_ev)
		event_free(srv->pause_ev);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->created)
		control_listen_remove(srv->path, srv->dev, srv->ino);
	control_device_forget_all(srv);
	free(srv->allowed_uids);
	free(srv);
}

unsigned int control_server_clients(const struct control_server *srv)
{
	return srv->n_open;
}

const char *control_server_path(const struct control_server *srv)
{
	return srv->path;
}
