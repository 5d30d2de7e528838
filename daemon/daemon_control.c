/*
 * daemon_control.c - the control server and what it asks of the daemon: daemon info and the
 * peer operations (connect, list), answered from the peer set; the job operations come from
 * daemon_migrate.c.
 *
 * Socket activation: when systemd passes a socket named "control" (vfio-migd.socket,
 * FileDescriptorName=control) the server serves it and [control] socket, group and mode are
 * ignored (the socket unit owns them); the daemon never unlinks that socket. Other passed
 * sockets are closed with a warning. Without one the daemon makes the socket itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "buildinfo.h"
#include "control.h"
#include "daemon_int.h"
#include "log.h"
#include "migrate.h"
#include "peer.h"
#include "tls.h"

const char *daemon_version(void)
{
	return VFIO_MIGD_VERSION;
}

/* peer_link states map one to one onto the control API's (CLOSED links are never listed). */
static uint32_t daemon_peer_state(enum peer_link_state s)
{
	switch (s) {
	case PEER_LINK_CONNECTING:
		return CTL_PEER_CONNECTING;
	case PEER_LINK_TLS_HANDSHAKE:
		return CTL_PEER_TLS_HANDSHAKE;
	case PEER_LINK_HELLO:
		return CTL_PEER_HELLO;
	case PEER_LINK_READY:
		return CTL_PEER_READY;
	default:
		return CTL_PEER_CLOSING;
	}
}

static void daemon_peer_info(const struct peer_link *l, struct ctl_peer_info *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->address, sizeof(p->address), "%s", peer_link_address(l));
	p->state = daemon_peer_state(peer_link_state(l));
	p->outgoing = peer_link_outgoing(l);
	snprintf(p->identity, sizeof(p->identity), "%s", peer_link_identity(l));
	snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", peer_link_fingerprint(l));
	p->protocol_version = peer_link_version(l);
	p->features = peer_link_features(l);
	snprintf(p->host_identity, sizeof(p->host_identity), "%s", peer_link_host_identity(l));
	snprintf(p->software, sizeof(p->software), "%s", peer_link_software(l));
	p->rtt_us = peer_link_rtt_us(l);
	p->ktls_tx = peer_link_ktls_tx(l);
	p->ktls_rx = peer_link_ktls_rx(l);
	p->connected_at_ms = (uint64_t)peer_link_created(l) * 1000;
}

/* kTLS is reported as in use when any ready link has it in that direction. */
static void daemon_ktls_state(struct daemon *d, bool *tx, bool *rx)
{
	for (struct peer_link *l = peer_set_links(d->peers, NULL); l;
	     l = peer_set_links(d->peers, l)) {
		*tx |= peer_link_ktls_tx(l);
		*rx |= peer_link_ktls_rx(l);
	}
}

static void daemon_info_cb(void *arg, struct ctl_daemon_info *ret)
{
	struct daemon *d = arg;
	const char *addr;

	snprintf(ret->host_identity, sizeof(ret->host_identity), "%s", d->cfg.daemon.host_identity);
	ret->tls.state = d->tls ? CTL_TLS_READY : CTL_TLS_DISABLED;
	if (d->tls) {
		ret->tls.not_after_s = (uint64_t)tls_ctx_cert_not_after(d->tls);
		snprintf(ret->tls.identity, sizeof(ret->tls.identity), "%s",
			 tls_ctx_cert_identity(d->tls));
		daemon_ktls_state(d, &ret->tls.ktls_tx, &ret->tls.ktls_rx);
	}
	ret->uptime_s = (daemon_now_ms() - d->started_ms) / 1000;
	ret->active_jobs = migrate_active_jobs(d->migrate);
	for (size_t i = 0; (addr = peer_set_listening(d->peers, i)) && i < PROTO_LISTEN_MAX; i++)
		snprintf(ret->listen[ret->n_listen++], sizeof(ret->listen[0]), "%s", addr);
}

/* One control peer_connect call waiting for the peer set. */
struct daemon_connect {
	control_peer_done_fn *done;
	void *done_arg;
};

static void daemon_connect_done(struct peer_link *link, int err, const char *why, void *arg)
{
	struct daemon_connect *c = arg;
	struct ctl_peer_info info;

	if (err == 0)
		daemon_peer_info(link, &info);
	c->done(c->done_arg, err, why, err == 0 ? &info : NULL);
	free(c);
}

static int daemon_connect_cb(void *arg, const char *address, const char *expect_host,
			     control_peer_done_fn *done, void *done_arg)
{
	struct daemon *d = arg;
	struct daemon_connect *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->done = done;
	c->done_arg = done_arg;
	r = peer_connect(d->peers, address, expect_host, 0, daemon_connect_done, c);
	if (r < 0)
		free(c);
	return r;
}

static uint32_t daemon_peer_list_cb(void *arg, struct ctl_peer_info *peers, uint32_t max)
{
	struct daemon *d = arg;
	uint32_t n = 0;

	for (struct peer_link *l = peer_set_links(d->peers, NULL); l && n < max;
	     l = peer_set_links(d->peers, l)) {
		if (peer_link_state(l) != PEER_LINK_CLOSED)
			daemon_peer_info(l, &peers[n++]);
	}
	return n;
}

#define DAEMON_CONTROL_FDNAME "control"

/*
 * *ret_fd: the fd systemd passed as "control" (LISTEN_FDS, LISTEN_FDNAMES), or -1 when there
 * is none; every other passed fd is closed. Returns 0, or -errno for an unusable environment
 * or a "control" fd that is not a listening UNIX stream socket (closed).
 */
static int daemon_activated_fd(int *ret_fd)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), fd = -1;

	*ret_fd = -1;
	if (n < 0) {
		log_err(n, "socket activation: LISTEN_FDS/LISTEN_FDNAMES are unusable");
		return n;
	}
	for (int i = 0; i < n; i++) {
		int cur = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "unknown";

		if (fd < 0 && strcmp(name, DAEMON_CONTROL_FDNAME) == 0) {
			fd = cur;
			continue;
		}
		log_warnx("socket activation: fd %d named '%s' is not used (vfio-migd takes only "
			  "'%s', FileDescriptorName=%s); closing it",
			  cur, name, DAEMON_CONTROL_FDNAME, DAEMON_CONTROL_FDNAME);
		close(cur);
	}
	for (int i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	if (fd >= 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
		log_errx("socket activation: the fd named '%s' is not a listening UNIX stream "
			 "socket; check vfio-migd.socket (ListenStream= with a path)",
			 DAEMON_CONTROL_FDNAME);
		close(fd);
		return -ENOTSOCK;
	}
	*ret_fd = fd;
	return 0;
}

int daemon_start_control(struct daemon *d)
{
	const struct config *c = &d->cfg;
	struct control_options o;
	struct control_env env = {
		.devices = d->devices,
		.daemon_info = daemon_info_cb,
		.peer_connect = daemon_connect_cb,
		.peer_list = daemon_peer_list_cb,
		.jobs = &daemon_jobs,
		.arg = d,
	};
	char err[512];
	int r, fd;

	r = daemon_activated_fd(&fd);
	if (r < 0)
		return r;
	control_options_init(&o);
	o.path = c->control.socket;
	o.mode = c->control.mode;
	o.group = c->control.group;
	o.max_clients = c->control.max_clients;
	o.allowed_uids = c->control.allowed_uids.v;
	o.n_allowed_uids = c->control.allowed_uids.n;
	if (fd < 0) {
		r = control_server_new(d->base, &o, &env, &d->control, err, sizeof(err));
	} else {
		d->activated = true;
		r = control_server_new_from_fd(d->base, fd, &o, &env, &d->control, err,
					       sizeof(err));
	}
	if (r < 0) {
		log_errx("control socket: %s", err);
		return r;
	}
	if (d->activated)
		log_notice("control: serving the socket systemd passed (%s); [control] socket, "
			   "group and mode are ignored, and the socket is never removed here",
			   control_server_path(d->control)[0] ? control_server_path(d->control)
							      : "unnamed");
	return 0;
}

void daemon_stop_control(struct daemon *d)
{
	control_server_free(d->control);
	d->control = NULL;
}
