/*
 * peer.c - daemon-to-daemon links as the orchestrator sees them: peer_connect and
 * peer_list, in blocking and async form, and the peer and peer list objects.
 *
 * Threading: operations as the client; objects are plain values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

VFIOMIG_EXPORT const char *vfiomig_peer_state_name(uint32_t state)
{
	return ctl_peer_state_name(state);
}

static int peer_connect_build(struct vfiomig_client *c, struct ctl_request *req,
			      const char *address, const char *expect_host, uint32_t flags)
{
	struct ctl_peer_connect *p = &req->u.peer_connect;
	int r = call_begin(c, req, CTL_OP_PEER_CONNECT, flags);

	if (r < 0)
		return r;
	r = check_text(c, p->address, address, PROTO_ADDR_MAX, true, "peer address");
	if (r < 0)
		return r;
	return check_text(c, p->expect_host, expect_host, PROTO_ADDR_MAX, false, "expect_host");
}

VFIOMIG_EXPORT int vfiomig_peer_connect(struct vfiomig_client *c, const char *address,
					const char *expect_host, uint32_t flags,
					struct vfiomig_peer **ret)
{
	struct ctl_request req;
	struct vfiomig_result *res;
	struct vfiomig_peer *p;
	int r = peer_connect_build(c, &req, address, expect_host, flags);

	if (r < 0)
		return r;
	/* the daemon answers once the handshake ended: allow for its own handshake timeout */
	r = call_run(c, &req, -1, c->timeout_ms, &res);
	if (r < 0)
		return r;
	p = result_take(res, CTL_RESULT_PEER);
	result_free(res);
	if (ret)
		*ret = p;
	else
		vfiomig_peer_free(p);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_peer_connect_async(struct vfiomig_client *c, const char *address,
					      const char *expect_host, uint32_t flags,
					      vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = peer_connect_build(c, &req, address, expect_host, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_peer_list(struct vfiomig_client *c, uint32_t flags,
				     struct vfiomig_peer_list **ret)
{
	struct ctl_request req;
	void *o = NULL;
	int r = call_begin(c, &req, CTL_OP_PEER_LIST, flags);

	if (r < 0)
		return r;
	if (!ret)
		return error_set(c, -EINVAL, "peer_list: ret is NULL");
	r = call_simple(c, &req, CTL_RESULT_PEER_LIST, &o);
	if (r >= 0)
		*ret = o;
	return r;
}

VFIOMIG_EXPORT int vfiomig_peer_list_async(struct vfiomig_client *c, uint32_t flags,
					   vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = call_begin(c, &req, CTL_OP_PEER_LIST, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* ---- objects ---- */

struct vfiomig_peer *peer_new(const struct ctl_peer_info *v)
{
	struct vfiomig_peer *p = malloc(sizeof(*p));

	if (p)
		p->v = *v;
	return p;
}

struct vfiomig_peer_list *peer_list_new(const struct ctl_peer_list *v)
{
	struct vfiomig_peer_list *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->items = calloc(v->n_peers ? v->n_peers : 1, sizeof(*l->items));
	if (!l->items) {
		free(l);
		return NULL;
	}
	for (uint32_t i = 0; i < v->n_peers; i++)
		l->items[i].v = v->peers[i];
	l->n = v->n_peers;
	return l;
}

VFIOMIG_EXPORT void vfiomig_peer_free(struct vfiomig_peer *p)
{
	free(p);
}

VFIOMIG_EXPORT const char *vfiomig_peer_get_address(const struct vfiomig_peer *p)
{
	return p->v.address;
}

VFIOMIG_EXPORT uint32_t vfiomig_peer_get_state(const struct vfiomig_peer *p)
{
	return p->v.state;
}

VFIOMIG_EXPORT bool vfiomig_peer_get_outgoing(const struct vfiomig_peer *p)
{
	return p->v.outgoing;
}

VFIOMIG_EXPORT const char *vfiomig_peer_get_identity(const struct vfiomig_peer *p)
{
	return p->v.identity;
}

VFIOMIG_EXPORT const char *vfiomig_peer_get_fingerprint(const struct vfiomig_peer *p)
{
	return p->v.fingerprint;
}

VFIOMIG_EXPORT uint32_t vfiomig_peer_get_protocol_version(const struct vfiomig_peer *p)
{
	return p->v.protocol_version;
}

VFIOMIG_EXPORT uint64_t vfiomig_peer_get_features(const struct vfiomig_peer *p)
{
	return p->v.features;
}

VFIOMIG_EXPORT const char *vfiomig_peer_get_host_identity(const struct vfiomig_peer *p)
{
	return p->v.host_identity;
}

VFIOMIG_EXPORT const char *vfiomig_peer_get_software(const struct vfiomig_peer *p)
{
	return p->v.software;
}

VFIOMIG_EXPORT int64_t vfiomig_peer_get_rtt_us(const struct vfiomig_peer *p)
{
	return p->v.rtt_us;
}

VFIOMIG_EXPORT bool vfiomig_peer_get_ktls_tx(const struct vfiomig_peer *p)
{
	return p->v.ktls_tx;
}

VFIOMIG_EXPORT bool vfiomig_peer_get_ktls_rx(const struct vfiomig_peer *p)
{
	return p->v.ktls_rx;
}

VFIOMIG_EXPORT uint64_t vfiomig_peer_get_connected_at_ms(const struct vfiomig_peer *p)
{
	return p->v.connected_at_ms;
}

VFIOMIG_EXPORT void vfiomig_peer_list_free(struct vfiomig_peer_list *l)
{
	if (!l)
		return;
	free(l->items);
	free(l);
}

VFIOMIG_EXPORT uint32_t vfiomig_peer_list_get_count(const struct vfiomig_peer_list *l)
{
	return l->n;
}

VFIOMIG_EXPORT const struct vfiomig_peer *vfiomig_peer_list_get(const struct vfiomig_peer_list *l,
								uint32_t index)
{
	return index < l->n ? &l->items[index] : NULL;
}
