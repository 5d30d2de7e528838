/*
 * peer_set.h - the body of struct peer_set, shared inside daemon/peer/ only (peer_set.c owns
 * it; links and listeners read the options, the TLS context and the callbacks).
 */
#ifndef VFIO_MIGD_PEER_PEER_SET_H
#define VFIO_MIGD_PEER_PEER_SET_H

#include <sys/queue.h>

#include "peer.h"
#include "proto.h"

struct listener;

struct peer_set {
	struct event_base *base;
	struct peer_options opts; /* opts.host_identity points to host_identity below */
	char host_identity[PROTO_ADDR_MAX + 1];
	struct tls_ctx *tls; /* for new connections; NULL: none configured */
	TAILQ_HEAD(peer_link_list, peer_link) links; /* every link not yet freed */
	unsigned int n_links;
	struct listener **listeners;
	size_t n_listeners;
	peer_message_fn *on_message;
	void *on_message_arg;
	peer_closed_fn *on_closed;
	void *on_closed_arg;
	peer_stream_fn *on_stream;
	void *on_stream_arg;
	uint64_t tls_failures[PEER_TLS_FAIL_COUNT]; /* peer_set_tls_failures() */
};

/* Counts a TLS handshake failure with the link's close error (link_close()). */
void peer_set_tls_failed(struct peer_set *set, int err);

#endif
