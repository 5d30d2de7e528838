/*
 * peer_set.c - struct peer_set: options, the TLS context for new connections, listeners, the
 * callbacks, the list of links and peer_connect() (reuse or a new link).
 *
 * The set owns its listeners and links; links point back to it for options and callbacks.
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "link.h"
#include "listener.h"
#include "peer_set.h"

#define MiB (1024u * 1024u)

void peer_options_init(struct peer_options *o)
{
	*o = (struct peer_options){
		.connect_timeout_ms = 10000,
		.handshake_timeout_ms = 10000,
		.keepalive_interval_ms = 5000,
		.keepalive_count = 3,
		.tcp_keepalive_idle_ms = 15000,
		.tcp_keepalive_interval_ms = 5000,
		.tcp_keepalive_count = 3,
		.tcp_user_timeout_ms = 30000,
		.max_links = 64,
		.max_buffer = 8 * MiB,
	};
}

static bool peer_options_valid(const struct peer_options *o)
{
	size_t n = o->host_identity ? strlen(o->host_identity) : 0;

	return n > 0 && n <= PROTO_ADDR_MAX && o->connect_timeout_ms > 0 &&
	       o->handshake_timeout_ms > 0 &&
	       (o->keepalive_interval_ms == 0 || o->keepalive_count > 0) && o->max_links > 0 &&
	       o->max_buffer >= PEER_BUFFER_MIN;
}

int peer_set_new(struct event_base *base, const struct peer_options *opts, struct peer_set **ret)
{
	struct peer_set *set;

	if (!base || !opts || !peer_options_valid(opts))
		return -EINVAL;
	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	set->base = base;
	set->opts = *opts;
	snprintf(set->host_identity, sizeof(set->host_identity), "%s", opts->host_identity);
	set->opts.host_identity = set->host_identity;
	TAILQ_INIT(&set->links);
	*ret = set;
	return 0;
}

void peer_set_free(struct peer_set *set)
{
	struct peer_link *link;

	if (!set)
		return;
	for (size_t i = 0; i < set->n_listeners; i++)
		listener_free(set->listeners[i]);
	free(set->listeners);
	while ((link = TAILQ_FIRST(&set->links)))
		link_destroy(link);
	tls_ctx_unref(set->tls);
	free(set);
}

void peer_set_set_tls(struct peer_set *set, struct tls_ctx *ctx)
{
	struct tls_ctx *old = set->tls;

	set->tls = ctx ? tls_ctx_ref(ctx) : NULL;
	tls_ctx_unref(old);
}

static int set_add_listener(struct peer_set *set, const char *spec, const struct addrinfo *ai,
			    char *err, size_t errlen)
{
	struct listener **v, *l;
	int r;

	v = realloc(set->listeners, (set->n_listeners + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	set->listeners = v;
	r = listener_open(set, spec, ai->ai_addr, ai->ai_addrlen, &l, err, errlen);
	if (r < 0)
		return r;
	v[set->n_listeners++] = l;
	return 0;
}

/* One configured address: every address it resolves to gets a listener. */
static int set_listen_one(struct peer_set *set, const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res, *ai;
	struct addr_spec a;
	int r, gai;

	r = addr_split(spec, true, &a, err, errlen);
	if (r < 0)
		return r;
	gai = addr_never_resolves(a.host) ? EAI_NONAME : getaddrinfo(a.host, a.port, &hints, &res);
	if (gai) {
		if (err && errlen)
			snprintf(err, errlen, "peer listener %s: cannot resolve \"%s\": %s", spec,
				 a.host, gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return gai == EAI_MEMORY ? -ENOMEM : -ENOENT;
	}
	for (ai = res, r = 0; ai && r == 0; ai = ai->ai_next)
		r = set_add_listener(set, spec, ai, err, errlen);
	freeaddrinfo(res);
	return r;
}

int peer_set_listen(struct peer_set *set, const char *const *addrs, size_t n, char *err,
		    size_t errlen)
{
	size_t first = set->n_listeners;
	int r = 0;

	if (!set->tls) {
		if (err && errlen)
			snprintf(err, errlen,
				 "no TLS material configured (tls.ca, tls.cert, tls.key, "
				 "tls.allow): refusing to listen for peers on %s",
				 n ? addrs[0] : "no address");
		return -ENOKEY;
	}
	for (size_t i = 0; i < n && r == 0; i++)
		r = set_listen_one(set, addrs[i], err, errlen);
	if (r == 0)
		return 0;
	while (set->n_listeners > first)
		listener_free(set->listeners[--set->n_listeners]);
	return r;
}

const char *peer_set_listening(const struct peer_set *set, size_t i)
{
	return i < set->n_listeners ? listener_address(set->listeners[i]) : NULL;
}

void peer_set_on_message(struct peer_set *set, peer_message_fn *fn, void *arg)
{
	set->on_message = fn;
	set->on_message_arg = arg;
}

void peer_set_on_closed(struct peer_set *set, peer_closed_fn *fn, void *arg)
{
	set->on_closed = fn;
	set->on_closed_arg = arg;
}

void peer_set_on_stream(struct peer_set *set, peer_stream_fn *fn, void *arg)
{
	set->on_stream = fn;
	set->on_stream_arg = arg;
}

const char *peer_tls_failure_name(enum peer_tls_failure f)
{
	static const char *const names[PEER_TLS_FAIL_COUNT] = {
		[PEER_TLS_FAIL_REFUSED] = "refused", [PEER_TLS_FAIL_PROTOCOL] = "protocol",
		[PEER_TLS_FAIL_RESET] = "reset",     [PEER_TLS_FAIL_TIMEOUT] = "timeout",
		[PEER_TLS_FAIL_OTHER] = "other",
	};

	return (unsigned int)f < PEER_TLS_FAIL_COUNT ? names[f] : "?";
}

uint64_t peer_set_tls_failures(const struct peer_set *set, enum peer_tls_failure f)
{
	return (unsigned int)f < PEER_TLS_FAIL_COUNT ? set->tls_failures[f] : 0;
}

void peer_set_tls_failed(struct peer_set *set, int err)
{
	enum peer_tls_failure f = PEER_TLS_FAIL_OTHER;

	if (err == -ECANCELED)
		return;
	if (err == -EACCES)
		f = PEER_TLS_FAIL_REFUSED;
	else if (err == -EPROTO)
		f = PEER_TLS_FAIL_PROTOCOL;
	else if (err == -ECONNRESET)
		f = PEER_TLS_FAIL_RESET;
	else if (err == -ETIMEDOUT)
		f = PEER_TLS_FAIL_TIMEOUT;
	set->tls_failures[f]++;
}

struct peer_link *peer_set_links(struct peer_set *set, struct peer_link *prev)
{
	struct peer_link *link = prev ? TAILQ_NEXT(prev, entry) : TAILQ_FIRST(&set->links);

	while (link && (link->state >= PEER_LINK_CLOSING || link->data))
		link = TAILQ_NEXT(link, entry);
	return link;
}

int peer_connect(struct peer_set *set, const char *addr, const char *expect_host,
		 unsigned int flags, peer_connect_fn *done, void *arg)
{
	struct peer_link *link;

	if (!(flags & PEER_CONNECT_NEW)) {
		TAILQ_FOREACH(link, &set->links, entry)
		if (link_matches(link, addr, expect_host))
			return link_wait(link, done, arg);
	}
	return link_connect(set, addr, expect_host, done, arg);
}
