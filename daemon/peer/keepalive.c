/*
 * keepalive.c - liveness of READY links (libvirt's keepalive rule, anchors.md 1.4): after
 * keepalive_interval without any frame from the peer, a PING, repeated every interval; any
 * frame resets the count; keepalive_count unanswered PINGs and the link is dead. The peer is
 * thus declared dead interval * (count + 1) after its last frame. PONGs that echo the last
 * PING's nonce give the round-trip time.
 */
#include <errno.h>
#include <string.h>

#include "link.h"
#include "peer_set.h"

static int keepalive_ping(struct peer_link *link)
{
	struct peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = FRAME_PEER_PING;
	m.u.ping.nonce = ++link->ka.nonce;
	link->ka.sent_us = link_now_us();
	return link_queue(link, &m);
}

void keepalive_start(struct peer_link *link)
{
	uint64_t interval = link->set->opts.keepalive_interval_ms;

	link->ka.last_rx_us = link_now_us();
	link->ka.unanswered = 0;
	/* An RTT probe, not a keepalive: it does not count as unanswered. */
	if (keepalive_ping(link) < 0)
		return;
	if (interval)
		link_timer(link, interval);
}

void keepalive_rx(struct peer_link *link)
{
	link->ka.last_rx_us = link_now_us();
	link->ka.unanswered = 0;
}

void keepalive_tick(struct peer_link *link)
{
	const struct peer_options *o = &link->set->opts;
	uint64_t interval_us = o->keepalive_interval_ms * 1000;
	uint64_t idle = link_now_us() - link->ka.last_rx_us;
	char t[32];

	if (interval_us == 0)
		return;
	if (idle < interval_us) {
		link_timer(link, (interval_us - idle + 999) / 1000);
		return;
	}
	if (link->ka.unanswered >= o->keepalive_count) {
		link_fmt_ms(o->keepalive_interval_ms * o->keepalive_count, t, sizeof(t));
		link_close(link, -ETIMEDOUT, "no answer to %u keepalives in %s; closing",
			   link->ka.unanswered, t);
		return;
	}
	if (keepalive_ping(link) < 0)
		return;
	link->ka.unanswered++;
	link_timer(link, o->keepalive_interval_ms);
}

void keepalive_frame(struct peer_link *link, const struct peer_msg *m)
{
	struct peer_msg pong;

	if (m->type == FRAME_PEER_PING) {
		memset(&pong, 0, sizeof(pong));
		pong.type = FRAME_PEER_PONG;
		pong.u.ping.nonce = m->u.ping.nonce;
		link_queue(link, &pong);
		return;
	}
	if (link->ka.sent_us && m->u.ping.nonce == link->ka.nonce) {
		link->ka.rtt_us = (int64_t)(link_now_us() - link->ka.sent_us);
		link->ka.sent_us = 0;
		link_log(link, LOG_LVL_DEBUG, "rtt %lld us", (long long)link->ka.rtt_us);
	}
}
