/*
 * hello.h - the HELLO exchange as data: our HELLO, negotiation against the peer's, and the
 * ABORT an incompatible peer gets. Pure; no I/O, no logging.
 */
#ifndef VFIO_MIGD_PEER_HELLO_H
#define VFIO_MIGD_PEER_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "peer_msg.h"

/* Fills m with our PEER_HELLO: PROTO_VERSION, PROTO_MIN_VERSION, PROTO_FEATURES, the host
 * identity (truncated to PROTO_ADDR_MAX) and "vfio-migd VERSION". */
void hello_make(struct peer_msg *m, const char *host_identity);

/*
 * Negotiates ours against theirs: version = min of both, features = intersection. Returns 0
 * with *ret_version and *ret_features, or -EPROTONOSUPPORT when that version is below either
 * side's minimum, with "incompatible protocol: we speak A..B, it speaks C..D" in why.
 * Outputs are not written on failure.
 */
int hello_negotiate(const struct peer_hello *ours, const struct peer_hello *theirs,
		    uint32_t *ret_version, uint64_t *ret_features, char *why, size_t whylen);

/* Fills m with the PEER_ABORT (job PEER_LINK_JOB_ID, INCOMPATIBLE) telling the peer why. */
void hello_abort_make(struct peer_msg *m, const struct peer_hello *ours,
		      const struct peer_hello *theirs);

#endif
