/*
 * link.c - struct peer_link: one connection from TCP up to its close, as a small state machine.
 *
 * States (enum peer_link_state in peer.h): CONNECTING -> TLS_HANDSHAKE -> HELLO -> READY ->
 * CLOSING -> CLOSED. An accepted connection starts in TLS_HANDSHAKE; any state may go to
 * CLOSING through link_close(), the one close path; a data stream, incoming or outgoing
 * (peer_stream_connect()), leaves HELLO for CLOSED directly when it is handed over (nothing is
 * closed: the stream layer owns it). An outgoing data stream only writes in HELLO: its
 * STREAM_HELLO, queued at creation.
 *
 * Every event of a link (rd and wr on its fd, timer, step) enters through link_cb(): it handles
 * the state's timeout, runs link_do_<state>() until the state stops changing, then frees the
 * link if it is CLOSED or arms the I/O events for what the state waits for. Memory is freed
 * only there and in link_destroy(), so a link stays valid through any callback that closes it.
 *
 * Not here: the CONNECTING steps (dial.c), received frames (inbound.c), keepalive
 * (keepalive.c), negotiation (hello.c), buffers (wire.c), the public accessors (peer_link.c),
 * handing outgoing data streams over (peer_stream.c).
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "hello.h"
#include "link.h"
#include "peer_set.h"
#include "sock.h"

#define LINK_BUDGET 64 /* frames or reads per callback before yielding to other events */

static void link_cb(evutil_socket_t fd, short what, void *arg);

uint64_t link_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void link_fmt_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%llu ms", (unsigned long long)ms);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llu s", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
}

void link_timer(struct peer_link *link, uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (long)(ms % 1000) * 1000 };

	evtimer_add(link->timer, &tv);
}

void link_kick(struct peer_link *link)
{
	event_active(link->step, EV_READ, 0);
}

static void link_set_name(struct peer_link *link)
{
	if (link->identity[0])
		snprintf(link->name, sizeof(link->name), "%s (%s)", link->addr, link->identity);
	else
		snprintf(link->name, sizeof(link->name), "%s", link->addr);
}

void link_set_state(struct peer_link *link, enum peer_link_state s)
{
	link_log(link, LOG_LVL_DEBUG, "%s -> %s", peer_link_state_name(link->state),
		 peer_link_state_name(s));
	link->state = s;
	switch (s) {
	case PEER_LINK_TLS_HANDSHAKE:
		link_timer(link, link->set->opts.handshake_timeout_ms);
		break;
	case PEER_LINK_READY:
		link->was_ready = true;
		evtimer_del(link->timer);
		break;
	case PEER_LINK_CLOSING:
		link_timer(link, PEER_LINGER_MS);
		break;
	case PEER_LINK_CLOSED:
		evtimer_del(link->timer);
		break;
	default:
		break;
	}
}

int link_attach_fd(struct peer_link *link, int fd)
{
	struct event_base *base = link->set->base;

	link->rd = event_new(base, fd, EV_READ | EV_PERSIST, link_cb, link);
	link->wr = event_new(base, fd, EV_WRITE | EV_PERSIST, link_cb, link);
	if (!link->rd || !link->wr) {
		link_release_fd(link);
		return -ENOMEM;
	}
	link->fd = fd;
	link->armed = 0;
	return 0;
}

void link_release_fd(struct peer_link *link)
{
	if (link->rd)
		event_free(link->rd);
	if (link->wr)
		event_free(link->wr);
	link->rd = link->wr = NULL;
	link->armed = 0;
	link->fd = -1;
	link->tls = NULL;
	link->tls_up = false;
}

void link_drop_fd(struct peer_link *link)
{
	int fd = link->fd;

	tls_conn_free(link->tls);
	link_release_fd(link);
	if (fd >= 0)
		close(fd);
}

static int link_new(struct peer_set *set, const char *addr, bool outgoing, struct peer_link **ret)
{
	struct peer_link *link = calloc(1, sizeof(*link));

	if (!link)
		return -ENOMEM;
	link->set = set;
	link->fd = -1;
	link->outgoing = outgoing;
	link->ka.rtt_us = -1;
	link->created = time(NULL);
	snprintf(link->addr, sizeof(link->addr), "%s", addr);
	link_set_name(link);
	link->timer = evtimer_new(set->base, link_cb, link);
	link->step = event_new(set->base, -1, 0, link_cb, link);
	if (!link->timer || !link->step) {
		if (link->timer)
			event_free(link->timer);
		free(link);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&set->links, link, entry);
	set->n_links++;
	*ret = link;
	return 0;
}

static void link_free(struct peer_link *link)
{
	struct link_waiter *w;

	dial_free(link);
	link_drop_fd(link);
	event_free(link->timer);
	event_free(link->step);
	tls_ctx_unref(link->ctx);
	wire_free(&link->in);
	wire_free(&link->out);
	while ((w = link->waiters)) {
		link->waiters = w->next;
		free(w);
	}
	TAILQ_REMOVE(&link->set->links, link, entry);
	link->set->n_links--;
	free(link);
}

/* "peer NAME: " and, for a data stream, "data stream for job J device I: ". */
static size_t link_why_prefix(const struct peer_link *link, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "peer %s: ", link->name);

	if (link->data && n < len)
		n += (size_t)snprintf(buf + n, len - n, "data stream for job %llu device %u: ",
				      (unsigned long long)link->stream.hello.job_id,
				      link->stream.hello.device_index);
	return n;
}

void link_close(struct peer_link *link, int err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (link->state >= PEER_LINK_CLOSING)
		return;
	n = link_why_prefix(link, link->close_why, sizeof(link->close_why));
	if (n < sizeof(link->close_why)) {
		va_start(ap, fmt);
		vsnprintf(link->close_why + n, sizeof(link->close_why) - n, fmt, ap);
		va_end(ap);
	}
	/* metrics: the one place a failed TLS handshake is counted */
	if (link->state == PEER_LINK_TLS_HANDSHAKE ||
	    (err == -EACCES && link->state == PEER_LINK_HELLO && link->outgoing))
		peer_set_tls_failed(link->set, err);
	log_msg(err < 0 && err != -ECANCELED ? LOG_LVL_WARNING : LOG_LVL_INFO, 0, "%s",
		link->close_why);
	link->close_err = err;
	dial_free(link);
	link_set_state(link, PEER_LINK_CLOSING);
	link_kick(link);
}

/* Tells waiters and the closed callback, once; they may call back into the set. */
static void link_notify(struct peer_link *link)
{
	struct peer_set *set = link->set;
	int err = link->close_err ? link->close_err : -ECANCELED;
	struct link_waiter *w;

	link->notified = true;
	while ((w = link->waiters)) {
		peer_connect_fn *done = w->done;
		void *arg = w->arg;

		link->waiters = w->next;
		free(w);
		done(NULL, err, link->close_why, arg);
	}
	if (link->data)
		peer_stream_failed(link, err, link->close_why);
	if (link->was_ready && set->on_closed)
		set->on_closed(link, link->close_err, link->close_why, set->on_closed_arg);
}

static const char *link_tls_advice(int r)
{
	switch (r) {
	case -EACCES:
		return "check tls.ca, tls.crl and tls.allow on both hosts: each side must "
		       "present a certificate from the other's CA with an identity on the "
		       "other's allow-list";
	case -EPROTO:
		return "is the other end a vfio-migd peer port speaking TLS 1.3?";
	case -ECONNRESET:
		return "the connection broke; the peer's log says why";
	default:
		return "see the error above";
	}
}

void link_tls_failed(struct peer_link *link, int r, const char *what)
{
	link->tls_up = false;
	link_close(link, r, "%s failed: %s; %s", what, tls_conn_error(link->tls),
		   link_tls_advice(r));
}

int link_send(struct peer_link *link, const struct peer_msg *m)
{
	uint8_t *buf;
	size_t len;
	int r = peer_msg_encode(m, &buf, &len);

	if (r < 0)
		return r;
	r = wire_out_queue(&link->out, link->set->opts.max_buffer, buf, len);
	free(buf);
	return r;
}

int link_queue(struct peer_link *link, const struct peer_msg *m)
{
	int r = link_send(link, m);

	if (r == -ENOBUFS)
		link_close(link, r, "peer is not reading: %zu bytes wait to be sent (at most %zu)",
			   link->out.len, link->set->opts.max_buffer);
	else if (r < 0)
		link_close(link, r, "cannot send %s: %s", frame_type_name(m->type),
			   r == -ENOMEM ? "out of memory" : proto_last_error());
	return r;
}

static int link_flush(struct peer_link *link)
{
	int r = wire_out_flush(&link->out, link->tls);

	link->wr_want = r == -EAGAIN ? tls_conn_want(link->tls) : TLS_WANT_NONE;
	if (r == 0 || r == -EAGAIN)
		return 0;
	if (r == -EACCES)
		link_tls_failed(link, r, "TLS");
	else
		link_tls_failed(link, r, "sending");
	return r;
}

/* ---- states ---- */

static void link_tune(struct peer_link *link)
{
	const char *what = "";
	int r = sock_set_liveness(link->fd, &link->set->opts, &what);

	if (r < 0)
		log_msg(LOG_LVL_WARNING, r, "peer %s: cannot set %s; a dead peer may go unnoticed",
			link->name, what);
}

static void link_do_connecting(struct peer_link *link)
{
	const char *host = link->dial.expect_host[0] ? link->dial.expect_host : NULL;
	int r = dial_step(link);

	if (r == 0)
		return;
	if (r < 0) {
		link_close(link, r, "%s", link->dial.why);
		return;
	}
	dial_free(link);
	link_tune(link);
	r = link->data ? 0 : sock_set_nodelay(link->fd);
	if (r < 0)
		log_msg(LOG_LVL_WARNING, r, "peer %s: cannot set TCP_NODELAY", link->name);
	r = tls_conn_new(link->ctx, link->fd, TLS_ROLE_CLIENT, host, &link->tls);
	if (r < 0) {
		link_close(link, r, "cannot start TLS%s: %s",
			   r == -EINVAL ? " (bad host name?)" : "", strerror(-r));
		return;
	}
	link_set_state(link, PEER_LINK_TLS_HANDSHAKE);
}

static void link_do_tls_handshake(struct peer_link *link)
{
	struct peer_msg hello;
	int r = tls_conn_handshake(link->tls);

	link->want = r == -EAGAIN ? tls_conn_want(link->tls) : TLS_WANT_NONE;
	if (r == -EAGAIN)
		return;
	if (r < 0) {
		link_tls_failed(link, r, "TLS handshake");
		return;
	}
	link->tls_up = true;
	tls_conn_peer_identity(link->tls, link->identity, sizeof(link->identity));
	tls_conn_peer_fingerprint(link->tls, link->fingerprint);
	link_set_name(link);
	link_log(link, LOG_LVL_DEBUG, "TLS up: %s, %s, kTLS tx %s rx %s",
		 tls_conn_version(link->tls), tls_conn_cipher(link->tls),
		 tls_conn_ktls_send(link->tls) ? "on" : "off",
		 tls_conn_ktls_recv(link->tls) ? "on" : "off");
	if (link->outgoing && !link->data) {
		hello_make(&hello, link->set->host_identity);
		if (link_queue(link, &hello) < 0)
			return;
	}
	link_set_state(link, PEER_LINK_HELLO);
}

static void link_pump(struct peer_link *link)
{
	if (link_flush(link) < 0)
		return;
	inbound_read(link);
	if (link->state == PEER_LINK_HELLO || link->state == PEER_LINK_READY)
		link_flush(link);
}

static void link_do_hello(struct peer_link *link)
{
	if (!link->data)
		link_pump(link);
	else if (link_flush(link) == 0 && link->out.len == 0)
		peer_stream_deliver(link);
}

static void link_do_ready(struct peer_link *link)
{
	struct link_waiter *w;

	while (link->state == PEER_LINK_READY && (w = link->waiters)) {
		peer_connect_fn *done = w->done;
		void *arg = w->arg;

		link->waiters = w->next;
		free(w);
		done(link, 0, "", arg);
	}
	if (link->state == PEER_LINK_READY)
		link_pump(link);
}

/*
 * Flushes what is queued, sends close_notify, shuts the TCP write side, then reads until the
 * peer's close_notify or EOF, so that closing the socket does not reset the connection under
 * the peer's last reads. Returns 0 when done (or failed: nothing more to try), -EAGAIN.
 */
static int link_closing_io(struct peer_link *link)
{
	char scratch[4096];
	ssize_t n = 0;

	if (!link->shut_wr) {
		n = wire_out_flush(&link->out, link->tls);
		if (n == 0)
			n = tls_conn_shutdown(link->tls);
		if (n < 0)
			return n == -EAGAIN ? -EAGAIN : 0;
		shutdown(link->fd, SHUT_WR);
		link->shut_wr = true;
	}
	for (unsigned int i = 0; i < LINK_BUDGET; i++) {
		n = tls_conn_read(link->tls, scratch, sizeof(scratch));
		if (n <= 0)
			return n == -EAGAIN ? -EAGAIN : 0;
	}
	return -EAGAIN;
}

static void link_do_closing(struct peer_link *link)
{
	if (!link->notified)
		link_notify(link);
	if (link->tls_up && link_closing_io(link) == -EAGAIN) {
		link->want = tls_conn_want(link->tls);
		return;
	}
	link_set_state(link, PEER_LINK_CLOSED);
}

static void link_timeout(struct peer_link *link)
{
	const struct peer_options *o = &link->set->opts;
	char t[32];

	switch (link->state) {
	case PEER_LINK_CONNECTING:
		link_fmt_ms(o->connect_timeout_ms, t, sizeof(t));
		link_close(link, -ETIMEDOUT,
			   "connect timed out after %s (peer.connect_timeout)%s%s", t,
			   link->dial.why[0] ? "; last error: " : "", link->dial.why);
		break;
	case PEER_LINK_TLS_HANDSHAKE:
	case PEER_LINK_HELLO:
		link_fmt_ms(o->handshake_timeout_ms, t, sizeof(t));
		link_close(link, -ETIMEDOUT,
			   "handshake timed out after %s in %s (peer.handshake_timeout)", t,
			   peer_link_state_name(link->state));
		break;
	case PEER_LINK_READY:
		keepalive_tick(link);
		break;
	case PEER_LINK_CLOSING:
		if (!link->notified)
			link_notify(link);
		link_log(link, LOG_LVL_DEBUG, "close not finished after %d ms; dropping it",
			 PEER_LINGER_MS);
		link_set_state(link, PEER_LINK_CLOSED);
		break;
	case PEER_LINK_CLOSED:
		break;
	}
}

static void link_run(struct peer_link *link)
{
	enum peer_link_state s;

	do {
		s = link->state;
		switch (s) {
		case PEER_LINK_CONNECTING:
			link_do_connecting(link);
			break;
		case PEER_LINK_TLS_HANDSHAKE:
			link_do_tls_handshake(link);
			break;
		case PEER_LINK_HELLO:
			link_do_hello(link);
			break;
		case PEER_LINK_READY:
			link_do_ready(link);
			break;
		case PEER_LINK_CLOSING:
			link_do_closing(link);
			break;
		case PEER_LINK_CLOSED:
			break;
		}
	} while (link->state != s);
}

static short link_dir(enum tls_want w, short natural)
{
	if (w == TLS_WANT_READ)
		return EV_READ;
	if (w == TLS_WANT_WRITE)
		return EV_WRITE;
	return natural;
}

/* The I/O events the state waits for. */
static short link_wanted(const struct peer_link *link)
{
	switch (link->state) {
	case PEER_LINK_CONNECTING:
		return EV_WRITE;
	case PEER_LINK_TLS_HANDSHAKE:
	case PEER_LINK_CLOSING:
		return link_dir(link->want, EV_READ);
	case PEER_LINK_HELLO:
	case PEER_LINK_READY:
		if (link->data) /* only its STREAM_HELLO to write; the new owner reads */
			return link->out.len ? link_dir(link->wr_want, EV_WRITE) : 0;
		return link_dir(link->rd_want, EV_READ) |
		       (link->out.len ? link_dir(link->wr_want, EV_WRITE) : 0);
	default:
		return 0;
	}
}

static void link_arm(struct peer_link *link)
{
	short want = link->fd >= 0 ? link_wanted(link) : 0;
	short change = want ^ link->armed;

	if (change & EV_READ)
		(want & EV_READ) ? event_add(link->rd, NULL) : event_del(link->rd);
	if (change & EV_WRITE)
		(want & EV_WRITE) ? event_add(link->wr, NULL) : event_del(link->wr);
	link->armed = want;
}

/* The entry point of every event of a link. */
static void link_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_link *link = arg;

	if (what & EV_TIMEOUT)
		link_timeout(link);
	link_run(link);
	if (link->state == PEER_LINK_CLOSED)
		link_free(link);
	else
		link_arm(link);
}

/* ---- creation ---- */

/* Starts a new outgoing link from the loop: every failure from here on closes it. */
static void link_dial(struct peer_link *link, const char *addr, const char *expect_host)
{
	struct peer_set *set = link->set;

	snprintf(link->dial.expect_host, sizeof(link->dial.expect_host), "%s",
		 expect_host ? expect_host : "");
	link_timer(link, set->opts.connect_timeout_ms);
	link_kick(link);
	if (!set->tls)
		link_close(link, -ENOKEY,
			   "no TLS material configured (tls.ca, tls.cert, tls.key, tls.allow): "
			   "cannot connect to peers");
	else if (set->n_links > set->opts.max_links)
		link_close(link, -EMFILE, "not connecting: %u links open already (peer.max_links)",
			   set->n_links - 1);
	else if (strlen(addr) >= sizeof(link->addr) ||
		 (expect_host && strlen(expect_host) >= sizeof(link->dial.expect_host)))
		link_close(link, -EINVAL, "peer address or expected host name too long");
	else {
		link->ctx = tls_ctx_ref(set->tls);
		dial_start(link);
	}
}

int link_connect(struct peer_set *set, const char *addr, const char *expect_host,
		 peer_connect_fn *done, void *arg)
{
	struct peer_link *link;
	int r = link_new(set, addr, true, &link);

	if (r < 0)
		return r;
	r = link_wait(link, done, arg);
	if (r < 0) {
		link_free(link);
		return r;
	}
	link_dial(link, addr, expect_host);
	return 0;
}

int link_connect_stream(struct peer_set *set, const char *addr, const char *expect_host,
			const struct link_stream *s)
{
	struct peer_msg m = { .type = FRAME_STREAM_HELLO, .u.stream_hello = s->hello };
	struct peer_link *link;
	int r = link_new(set, addr, true, &link);

	if (r < 0)
		return r;
	link->data = true;
	link->stream = *s;
	r = link_send(link, &m);
	if (r < 0) {
		link_free(link);
		return r == -ENOMEM ? r : -EINVAL;
	}
	link_dial(link, addr, expect_host);
	return 0;
}

bool link_matches(const struct peer_link *link, const char *addr, const char *expect_host)
{
	return link->outgoing && !link->data && link->state < PEER_LINK_CLOSING &&
	       strcmp(link->addr, addr) == 0 &&
	       strcmp(link->dial.expect_host, expect_host ? expect_host : "") == 0;
}

int link_wait(struct peer_link *link, peer_connect_fn *done, void *arg)
{
	struct link_waiter *w = calloc(1, sizeof(*w)), **tail = &link->waiters;

	if (!w)
		return -ENOMEM;
	w->done = done;
	w->arg = arg;
	while (*tail)
		tail = &(*tail)->next;
	*tail = w;
	if (link->state == PEER_LINK_READY)
		link_kick(link);
	return 0;
}

void link_accept(struct peer_set *set, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct peer_link *link;
	char addr[ADDR_TEXT_MAX];
	int r;

	addr_format(sa, len, addr, sizeof(addr));
	if (!set->tls) {
		log_warnx("peer %s: connection refused: no TLS material configured (tls.ca, "
			  "tls.cert, tls.key, tls.allow)",
			  addr);
		close(fd);
		return;
	}
	if (set->n_links >= set->opts.max_links) {
		log_warnx("peer %s: connection refused: too many links open (%u, peer.max_links)",
			  addr, set->n_links);
		close(fd);
		return;
	}
	r = link_new(set, addr, false, &link);
	if (r == 0 && link_attach_fd(link, fd) < 0) {
		link_free(link);
		r = -ENOMEM;
	}
	if (r < 0) {
		log_warn(r, "peer %s: connection refused", addr);
		close(fd);
		return;
	}
	link_tune(link);
	r = tls_conn_new(set->tls, fd, TLS_ROLE_SERVER, NULL, &link->tls);
	link_log(link, LOG_LVL_DEBUG, "connection accepted");
	link_set_state(link, PEER_LINK_TLS_HANDSHAKE);
	link_kick(link);
	if (r < 0)
		link_close(link, r, "cannot start TLS: %s", strerror(-r));
}

void link_destroy(struct peer_link *link)
{
	link_close(link, -ECANCELED, "daemon shutting down");
	if (link->state == PEER_LINK_CLOSING)
		link_do_closing(link);
	link_free(link);
}
