/*
 * peer_link.c - the public face of struct peer_link: sending, closing, accessors. The state
 * machine behind them is link.c. Threading: the loop thread only.
 */
#include <errno.h>

#include "link.h"

const char *peer_link_state_name(enum peer_link_state s)
{
	static const char *const names[] = {
		[PEER_LINK_CONNECTING] = "CONNECTING", [PEER_LINK_TLS_HANDSHAKE] = "TLS_HANDSHAKE",
		[PEER_LINK_HELLO] = "HELLO",	       [PEER_LINK_READY] = "READY",
		[PEER_LINK_CLOSING] = "CLOSING",       [PEER_LINK_CLOSED] = "CLOSED",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

int peer_link_send(struct peer_link *link, const struct peer_msg *msg)
{
	int r;

	if (link->state != PEER_LINK_READY)
		return -ENOTCONN;
	if (msg->type == FRAME_PEER_HELLO || msg->type == FRAME_PEER_PING ||
	    msg->type == FRAME_PEER_PONG || frame_type_link(msg->type) != FRAME_LINK_PEER)
		return -EINVAL;
	r = link_send(link, msg);
	if (r == 0)
		link_kick(link);
	return r;
}

void peer_link_close(struct peer_link *link, const char *reason)
{
	link_close(link, 0, "closed here: %s", reason ? reason : "no reason given");
}

enum peer_link_state peer_link_state(const struct peer_link *link)
{
	return link->state;
}

bool peer_link_outgoing(const struct peer_link *link)
{
	return link->outgoing;
}

const char *peer_link_address(const struct peer_link *link)
{
	return link->addr;
}

const char *peer_link_identity(const struct peer_link *link)
{
	return link->identity;
}

const char *peer_link_fingerprint(const struct peer_link *link)
{
	return link->fingerprint;
}

const char *peer_link_host_identity(const struct peer_link *link)
{
	return link->remote.host_identity;
}

const char *peer_link_software(const struct peer_link *link)
{
	return link->remote.software;
}

uint32_t peer_link_version(const struct peer_link *link)
{
	return link->version;
}

uint64_t peer_link_features(const struct peer_link *link)
{
	return link->features;
}

int64_t peer_link_rtt_us(const struct peer_link *link)
{
	return link->ka.rtt_us;
}

bool peer_link_ktls_tx(const struct peer_link *link)
{
	return link->tls && link->tls_up && tls_conn_ktls_send(link->tls);
}

bool peer_link_ktls_rx(const struct peer_link *link)
{
	return link->tls && link->tls_up && tls_conn_ktls_recv(link->tls);
}

time_t peer_link_created(const struct peer_link *link)
{
	return link->created;
}
