/*
 * hello.c - version and feature negotiation (peer.proto, step 1 "Link"). Each side runs the
 * same rule on the two HELLOs, so both reach the same verdict without another round trip.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buildinfo.h"
#include "hello.h"
#include "peer.h"

void hello_make(struct peer_msg *m, const char *host_identity)
{
	memset(m, 0, sizeof(*m));
	m->type = FRAME_PEER_HELLO;
	m->u.hello.version = PROTO_VERSION;
	m->u.hello.min_version = PROTO_MIN_VERSION;
	m->u.hello.features = PROTO_FEATURES;
	snprintf(m->u.hello.host_identity, sizeof(m->u.hello.host_identity), "%s", host_identity);
	snprintf(m->u.hello.software, sizeof(m->u.hello.software), "vfio-migd %s",
		 VFIO_MIGD_VERSION);
}

int hello_negotiate(const struct peer_hello *ours, const struct peer_hello *theirs,
		    uint32_t *ret_version, uint64_t *ret_features, char *why, size_t whylen)
{
	uint32_t v = ours->version < theirs->version ? ours->version : theirs->version;

	if (v < ours->min_version || v < theirs->min_version) {
		snprintf(why, whylen, "incompatible protocol: we speak %u..%u, it speaks %u..%u",
			 ours->min_version, ours->version, theirs->min_version, theirs->version);
		return -EPROTONOSUPPORT;
	}
	*ret_version = v;
	*ret_features = ours->features & theirs->features;
	return 0;
}

void hello_abort_make(struct peer_msg *m, const struct peer_hello *ours,
		      const struct peer_hello *theirs)
{
	memset(m, 0, sizeof(*m));
	m->type = FRAME_PEER_ABORT;
	m->u.abort.job_id = PEER_LINK_JOB_ID;
	proto_error_set(&m->u.abort.reason, PROTO_ERR_INCOMPATIBLE, NULL,
			"incompatible protocol: %s speaks %u..%u, you speak %u..%u",
			ours->host_identity[0] ? ours->host_identity : "the peer",
			ours->min_version, ours->version, theirs->min_version, theirs->version);
}
