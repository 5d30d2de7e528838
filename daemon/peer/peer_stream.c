/*
 * peer_stream.c - outgoing data streams: peer_stream_connect() and peer_stream_cancel(), and
 * the two ends of such a link's life that are its own: the hand-over once its STREAM_HELLO is
 * written, and telling its caller when it closed before.
 *
 * A data stream is a struct peer_link with link->data set (link.h, struct link_stream): it
 * shares the CONNECTING steps, the TLS handshake, the deadlines, the close path and the logs
 * of control links, and differs only in HELLO, where it writes and never reads (link.c). It is
 * never a control link: no HELLO, no keepalive, not in peer_set_links(), never reused.
 *
 * Not here: reading or writing the stream itself (daemon/migrate/stream.c takes fd and TLS).
 * Threading: the loop thread only.
 */
#include <errno.h>

#include "link.h"
#include "peer_set.h"

int peer_stream_connect(struct peer_set *set, const char *addr, const char *expect_host,
			const struct peer_stream_hello *hello, peer_stream_dial_fn *done, void *arg)
{
	struct link_stream s = { .done = done, .arg = arg };

	if (!addr || !hello || !done)
		return -EINVAL;
	s.hello = *hello;
	return link_connect_stream(set, addr, expect_host, &s);
}

unsigned int peer_stream_cancel(struct peer_set *set, void *arg)
{
	struct peer_link *link;
	unsigned int n = 0;

	TAILQ_FOREACH(link, &set->links, entry)
	{
		if (!link->data || !link->stream.done || link->stream.arg != arg ||
		    link->state >= PEER_LINK_CLOSING)
			continue;
		link->stream.done = NULL;
		link_close(link, -ECANCELED, "cancelled");
		n++;
	}
	return n;
}

void peer_stream_deliver(struct peer_link *link)
{
	struct peer_stream_dialed s = {
		.fd = link->fd,
		.tls = link->tls,
		.addr = link->addr,
		.identity = link->identity,
		.fingerprint = link->fingerprint,
	};
	peer_stream_dial_fn *done = link->stream.done;

	link_log(link, LOG_LVL_INFO,
		 "data stream for job %llu device %u: connected (%s, %s, kTLS tx %s rx %s), "
		 "STREAM_HELLO sent; handed over",
		 (unsigned long long)link->stream.hello.job_id, link->stream.hello.device_index,
		 tls_conn_version(link->tls), tls_conn_cipher(link->tls),
		 tls_conn_ktls_send(link->tls) ? "on" : "off",
		 tls_conn_ktls_recv(link->tls) ? "on" : "off");
	link_release_fd(link);
	link->stream.done = NULL;
	link_set_state(link, PEER_LINK_CLOSED);
	done(link->stream.arg, 0, "", &s);
}

void peer_stream_failed(struct peer_link *link, int err, const char *why)
{
	peer_stream_dial_fn *done = link->stream.done;

	if (!done)
		return;
	link->stream.done = NULL;
	done(link->stream.arg, err, why, NULL);
}
