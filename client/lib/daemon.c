/*
 * daemon.c - the daemon itself: the hello version handshake and daemon_info, in blocking
 * and async form, and the daemon info object's accessors.
 *
 * Threading: operations as the client; the object is a plain value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buildinfo.h"
#include "internal.h"

static int hello_build(struct vfiomig_client *c, struct ctl_request *req, uint32_t flags)
{
	int r = call_begin(c, req, CTL_OP_HELLO, flags);

	if (r < 0)
		return r;
	req->u.hello.version = PROTO_VERSION;
	req->u.hello.min_version = PROTO_MIN_VERSION;
	strcpy(req->u.hello.name, "libvfiomig " VFIO_MIGD_VERSION);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_hello(struct vfiomig_client *c, uint32_t flags, uint32_t *ret_version,
				 uint64_t *ret_features)
{
	struct ctl_request req;
	struct vfiomig_result *res;
	int r = hello_build(c, &req, flags);

	if (r < 0)
		return r;
	r = call_run(c, &req, -1, c->timeout_ms, &res);
	if (r < 0)
		return r;
	if (ret_version)
		*ret_version = res->version;
	if (ret_features)
		*ret_features = res->features;
	result_free(res);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_hello_async(struct vfiomig_client *c, uint32_t flags,
				       vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = hello_build(c, &req, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_daemon_info(struct vfiomig_client *c, uint32_t flags,
				       struct vfiomig_daemon_info **ret)
{
	struct ctl_request req;
	void *o = NULL;
	int r = call_begin(c, &req, CTL_OP_DAEMON_INFO, flags);

	if (r < 0)
		return r;
	if (!ret)
		return error_set(c, -EINVAL, "daemon_info: ret is NULL");
	r = call_simple(c, &req, CTL_RESULT_DAEMON_INFO, &o);
	if (r >= 0)
		*ret = o;
	return r;
}

VFIOMIG_EXPORT int vfiomig_daemon_info_async(struct vfiomig_client *c, uint32_t flags,
					     vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = call_begin(c, &req, CTL_OP_DAEMON_INFO, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* ---- the object ---- */

VFIOMIG_EXPORT void vfiomig_daemon_info_free(struct vfiomig_daemon_info *di)
{
	free(di);
}

VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_version(const struct vfiomig_daemon_info *di)
{
	return di->v.version;
}

VFIOMIG_EXPORT uint32_t
vfiomig_daemon_info_get_protocol_version(const struct vfiomig_daemon_info *di)
{
	return di->v.protocol_version;
}

VFIOMIG_EXPORT uint64_t vfiomig_daemon_info_get_features(const struct vfiomig_daemon_info *di)
{
	return di->v.features;
}

VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_host_identity(
	const struct vfiomig_daemon_info *di)
{
	return di->v.host_identity;
}

VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_tls_state(const struct vfiomig_daemon_info *di)
{
	return di->v.tls.state;
}

VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_tls_error(const struct vfiomig_daemon_info *di)
{
	return di->v.tls.error;
}

VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_tls_identity(
	const struct vfiomig_daemon_info *di)
{
	return di->v.tls.identity;
}

VFIOMIG_EXPORT uint64_t
vfiomig_daemon_info_get_tls_not_after_s(const struct vfiomig_daemon_info *di)
{
	return di->v.tls.not_after_s;
}

VFIOMIG_EXPORT bool vfiomig_daemon_info_get_ktls_tx(const struct vfiomig_daemon_info *di)
{
	return di->v.tls.ktls_tx;
}

VFIOMIG_EXPORT bool vfiomig_daemon_info_get_ktls_rx(const struct vfiomig_daemon_info *di)
{
	return di->v.tls.ktls_rx;
}

VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_device_count(const struct vfiomig_daemon_info *di)
{
	return di->v.device_count;
}

VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_active_jobs(const struct vfiomig_daemon_info *di)
{
	return di->v.active_jobs;
}

VFIOMIG_EXPORT uint64_t vfiomig_daemon_info_get_uptime_s(const struct vfiomig_daemon_info *di)
{
	return di->v.uptime_s;
}

VFIOMIG_EXPORT uint32_t vfiomig_daemon_info_get_listen_count(const struct vfiomig_daemon_info *di)
{
	return di->v.n_listen;
}

VFIOMIG_EXPORT const char *vfiomig_daemon_info_get_listen(const struct vfiomig_daemon_info *di,
							  uint32_t index)
{
	return index < di->v.n_listen ? di->v.listen[index] : NULL;
}
