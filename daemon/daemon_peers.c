/*
 * daemon_peers.c - the daemon's peer set: options and listeners from the configuration, the
 * TLS context swapped on reload, link life logged for operators.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "daemon_int.h"
#include "timefmt.h"
#include "log.h"
#include "peer.h"
#include "tls.h"

/* "host:port", with brackets around IPv6 literals, as peer_set_listen() takes them. */
static void daemon_addr_str(const struct config_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a->host, a->port);
	else
		snprintf(buf, len, "%s:%u", a->host, a->port);
}

static void daemon_peer_options(const struct config *c, struct peer_options *o)
{
	peer_options_init(o);
	o->host_identity = c->daemon.host_identity;
	o->connect_timeout_ms = c->peer.connect_timeout_ms;
	o->handshake_timeout_ms = c->peer.handshake_timeout_ms;
	o->keepalive_interval_ms = c->peer.keepalive_interval_ms;
	o->keepalive_count = c->peer.keepalive_count;
	o->tcp_keepalive_idle_ms = c->peer.tcp_keepalive_idle_ms;
	o->tcp_keepalive_interval_ms = c->peer.tcp_keepalive_interval_ms;
	o->tcp_keepalive_count = c->peer.tcp_keepalive_count;
	o->tcp_user_timeout_ms = c->peer.tcp_user_timeout_ms;
}

static int daemon_listen(struct daemon *d)
{
	const struct config_addrs *l = &d->cfg.peer.listen;
	char(*bufs)[CONFIG_HOST_MAX + 16];
	const char **addrs;
	char err[512];
	int r = -ENOMEM;

	bufs = calloc(l->n, sizeof(*bufs));
	addrs = calloc(l->n, sizeof(*addrs));
	if (!bufs || !addrs)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		daemon_addr_str(&l->v[i], bufs[i], sizeof(bufs[i]));
		addrs[i] = bufs[i];
	}
	r = peer_set_listen(d->peers, addrs, l->n, err, sizeof(err));
	if (r < 0)
		log_errx("peer listener: %s", err);
out:
	free(bufs);
	free(addrs);
	return r;
}

int daemon_start_peers(struct daemon *d)
{
	struct peer_options o;
	int r;

	daemon_peer_options(&d->cfg, &o);
	r = peer_set_new(d->base, &o, &d->peers);
	if (r < 0) {
		log_err(r, "peer links: cannot set up");
		return r;
	}
	peer_set_set_tls(d->peers, d->tls);
	if (d->cfg.peer.listen.n == 0) {
		log_info("no peer listener configured: this host can only start migrations");
		return 0;
	}
	return daemon_listen(d);
}

void daemon_stop_peers(struct daemon *d)
{
	peer_set_free(d->peers);
	d->peers = NULL;
}

void daemon_swap_tls(struct daemon *d, struct tls_ctx *ctx)
{
	char until[32];

	if (!ctx)
		return;
	tls_ctx_unref(d->tls);
	d->tls = ctx;
	if (d->peers)
		peer_set_set_tls(d->peers, ctx);
	log_notice("TLS: new certificates in use for new connections (valid until %s); "
		   "existing links keep theirs",
		   timefmt_utc(tls_ctx_cert_not_after(ctx), until, sizeof(until)));
}
