/*
 * inbound.c - what a link receives: frames read from TLS into the bounded input, checked
 * against what the state accepts as soon as their header is in, decoded and acted on: the
 * peer's HELLO (negotiation, READY or incompatible), the first frame of an incoming
 * connection (control link or data stream hand-over), keepalive, link-level ABORT, and the
 * migrate layer's frames. Every violation closes the link naming the frame. Part of the link
 * state machine (link.c calls inbound_read() from HELLO and READY). Loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hello.h"
#include "link.h"
#include "tls.h"
#include "peer_set.h"
#include "sock.h"

#define INBOUND_BUDGET 64 /* frames or reads per callback before yielding to other events */

static int inbound_decode(struct peer_link *link, const struct frame_view *f, struct peer_msg *m)
{
	int r = peer_msg_decode(f->type, f->body, f->body_len, m);

	if (r < 0)
		link_close(link, -EPROTO, "protocol error: undecodable %s frame: %s",
			   frame_type_name(f->type), proto_last_error());
	return r;
}

/* A PEER_ABORT about the link itself: the peer is closing it and says why. */
static void inbound_peer_abort(struct peer_link *link, const struct peer_msg *m)
{
	const struct proto_error *e = &m->u.abort.reason;

	link_close(link, e->code == PROTO_ERR_INCOMPATIBLE ? -EPROTONOSUPPORT : -ECONNABORTED,
		   "peer aborted the link: %s: %s", proto_err_name(e->code), e->message);
}

static void inbound_incompatible(struct peer_link *link, const struct peer_hello *ours,
				 const char *why)
{
	struct peer_msg abort;

	hello_abort_make(&abort, ours, &link->remote);
	if (link_queue(link, &abort) == 0)
		link_close(link, -EPROTONOSUPPORT, "%s; upgrade vfio-migd on one side", why);
}

/* The peer's HELLO (the first frame of a control link): answer if incoming, negotiate. */
static void inbound_hello(struct peer_link *link, const struct peer_hello *theirs)
{
	struct peer_msg ours;
	char why[160];

	link->remote = *theirs;
	hello_make(&ours, link->set->host_identity);
	if (!link->outgoing && link_queue(link, &ours) < 0)
		return;
	if (hello_negotiate(&ours.u.hello, &link->remote, &link->version, &link->features, why,
			    sizeof(why)) < 0) {
		inbound_incompatible(link, &ours.u.hello, why);
		return;
	}
	link_log(link, LOG_LVL_INFO,
		 "link up (%s): protocol %u, features 0x%llx, host %s, %s; %s %s, kTLS tx %s "
		 "rx %s",
		 link->outgoing ? "outgoing" : "incoming", link->version,
		 (unsigned long long)link->features, link->remote.host_identity,
		 link->remote.software, tls_conn_version(link->tls), tls_conn_cipher(link->tls),
		 tls_conn_ktls_send(link->tls) ? "on" : "off",
		 tls_conn_ktls_recv(link->tls) ? "on" : "off");
	link_set_state(link, PEER_LINK_READY);
	keepalive_start(link);
}

/* An incoming data stream leaves for the stream layer with its fd, TLS and unread bytes. */
static void inbound_handoff(struct peer_link *link, const struct frame_view *f)
{
	struct peer_set *set = link->set;
	struct peer_stream_handoff s = { .addr = link->addr, .identity = link->identity };
	struct peer_msg m;

	if (inbound_decode(link, f, &m) < 0)
		return;
	if (!set->on_stream) {
		link_close(link, -ECONNREFUSED,
			   "data stream for job %llu device %u refused: no migration expects a "
			   "data stream",
			   (unsigned long long)m.u.stream_hello.job_id,
			   m.u.stream_hello.device_index);
		return;
	}
	wire_in_consume(&link->in, f->frame_len);
	s.fd = link->fd;
	s.tls = link->tls;
	s.hello = m.u.stream_hello;
	s.rest = wire_in_rest(&link->in, &s.rest_len);
	link_release_fd(link);
	link_log(link, LOG_LVL_INFO, "data stream for job %llu device %u handed over",
		 (unsigned long long)s.hello.job_id, s.hello.device_index);
	link_set_state(link, PEER_LINK_CLOSED);
	set->on_stream(&s, set->on_stream_arg);
}

/*
 * The frame types a state accepts, checked as soon as a header is in, before its body is
 * buffered. On refusal the link is closed naming the frame. Incoming links in HELLO take a
 * first frame that says what the connection is; outgoing ones the peer's HELLO, or its ABORT
 * saying why not; READY links any frame of the peer protocol but HELLO.
 */
static bool inbound_frame_allowed(struct peer_link *link, uint16_t type)
{
	const char *name = frame_type_name(type);
	int where = frame_type_link(type);

	if (link->state == PEER_LINK_READY) {
		if (where == FRAME_LINK_PEER && type != FRAME_PEER_HELLO)
			return true;
		if (type == FRAME_PEER_HELLO)
			link_close(link, -EPROTO, "protocol error: second PEER_HELLO");
		else
			link_close(link, -EPROTO,
				   "protocol error: %s frame on a peer control link (it belongs on "
				   "%s)",
				   name,
				   where == FRAME_LINK_STREAM ? "a data stream"
							      : "the control socket");
	} else if (!link->outgoing) {
		if (type == FRAME_PEER_HELLO || type == FRAME_STREAM_HELLO)
			return true;
		link_close(link, -EPROTO,
			   "protocol error: first frame is %s; expected PEER_HELLO (control link) "
			   "or STREAM_HELLO (data stream)",
			   name);
	} else {
		if (type == FRAME_PEER_HELLO || type == FRAME_PEER_ABORT)
			return true;
		link_close(link, -EPROTO, "protocol error: %s frame before HELLO", name);
	}
	return false;
}

static void inbound_ready_frame(struct peer_link *link, const struct peer_msg *m)
{
	struct peer_set *set = link->set;

	keepalive_rx(link);
	if (m->type == FRAME_PEER_PING || m->type == FRAME_PEER_PONG)
		keepalive_frame(link, m);
	else if (m->type == FRAME_PEER_ABORT && m->u.abort.job_id == PEER_LINK_JOB_ID)
		inbound_peer_abort(link, m);
	else if (set->on_message)
		set->on_message(link, m, set->on_message_arg);
	else
		link_log(link, LOG_LVL_WARNING, "%s frame dropped: nothing handles it yet",
			 frame_type_name(m->type));
}

/* A complete frame that inbound_frame_allowed() let in. */
static void inbound_frame(struct peer_link *link, const struct frame_view *f)
{
	struct peer_msg m;
	int r;

	if (f->type == FRAME_STREAM_HELLO) {
		inbound_handoff(link, f);
		return;
	}
	if (inbound_decode(link, f, &m) < 0)
		return;
	if (link->state == PEER_LINK_READY) {
		inbound_ready_frame(link, &m);
	} else if (m.type == FRAME_PEER_ABORT) {
		inbound_peer_abort(link, &m);
	} else {
		if (!link->outgoing) {
			r = sock_set_nodelay(link->fd);
			if (r < 0)
				log_msg(LOG_LVL_WARNING, r, "peer %s: cannot set TCP_NODELAY",
					link->name);
		}
		inbound_hello(link, &m.u.hello);
	}
	peer_msg_clear(&m);
}

static void inbound_read_failed(struct peer_link *link, ssize_t n)
{
	if (n == 0)
		link_close(link, link->state == PEER_LINK_READY ? 0 : -ECONNRESET,
			   "peer closed the link");
	else if (n == -ENOMEM)
		link_close(link, -ENOMEM, "out of memory for a frame");
	else
		link_tls_failed(link, (int)n, "receiving");
}

/* frame_parse() refused the header at the front of the input. */
static void inbound_bad_header(struct peer_link *link, int r)
{
	char what[160];

	wire_in_explain(&link->in, r, what, sizeof(what));
	link_close(link, -EPROTO, "protocol error: %s", what);
}

/* Reads and handles frames until TLS would block, the state changes or the budget is spent. */
void inbound_read(struct peer_link *link)
{
	struct frame_view f;
	ssize_t n;

	for (unsigned int i = 0; i < INBOUND_BUDGET; i++) {
		n = wire_in_frame(&link->in, &f);
		if (n < 0) {
			inbound_bad_header(link, (int)n);
			return;
		}
		if (link->in.len >= FRAME_HDR_LEN && !inbound_frame_allowed(link, f.type))
			return;
		if (n == FRAME_COMPLETE) {
			inbound_frame(link, &f);
			if (link->state != PEER_LINK_HELLO && link->state != PEER_LINK_READY)
				return;
			wire_in_consume(&link->in, f.frame_len);
			continue;
		}
		n = wire_in_fill(&link->in, link->tls, f.frame_len);
		link->rd_want = n == -EAGAIN ? tls_conn_want(link->tls) : TLS_WANT_NONE;
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			inbound_read_failed(link, n);
			return;
		}
	}
	link_kick(link);
}
