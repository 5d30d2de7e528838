/*
 * control_ops.c - the daemon-level operations: hello (version negotiation) and daemon_info.
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buildinfo.h"
#include "control_int.h"
#include "registry.h"

#define OPS_SOFTWARE "vfio-migd " VFIO_MIGD_VERSION

/*
 * The client says which versions it speaks; ours must be among them. The reply always
 * carries our range, so a client can tell what to upgrade. The control Hello defines no
 * feature bits yet: we send 0 and ignore the client's.
 */
int control_ops_hello(struct control_call *call, const struct ctl_request *req,
		      struct ctl_reply *rep)
{
	const struct ctl_hello *h = &req->u.hello;

	if (h->min_version > PROTO_VERSION)
		return control_call_error(
			rep, -EPROTONOSUPPORT, 0, NULL,
			"client%s%s speaks control protocol versions %u..%u, this "
			"daemon (%s) only %u..%u; upgrade vfio-migd",
			h->name[0] ? " " : "", h->name, h->min_version, h->version, OPS_SOFTWARE,
			PROTO_MIN_VERSION, PROTO_VERSION);
	if (h->version < PROTO_MIN_VERSION)
		return control_call_error(
			rep, -EPROTONOSUPPORT, 0, NULL,
			"client%s%s speaks control protocol versions %u..%u, this "
			"daemon (%s) needs %u or later; upgrade the client",
			h->name[0] ? " " : "", h->name, h->min_version, h->version, OPS_SOFTWARE,
			PROTO_MIN_VERSION);
	rep->u.hello.version = PROTO_VERSION;
	rep->u.hello.min_version = PROTO_MIN_VERSION;
	rep->u.hello.features = 0;
	snprintf(rep->u.hello.name, sizeof(rep->u.hello.name), "%s", OPS_SOFTWARE);
	return CONTROL_REPLY_NOW;
}

int control_ops_daemon_info(struct control_call *call, const struct ctl_request *req,
			    struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	struct ctl_daemon_info *info = &rep->u.daemon_info;

	snprintf(info->version, sizeof(info->version), "%s", VFIO_MIGD_VERSION);
	info->protocol_version = PROTO_VERSION;
	info->device_count = (uint32_t)registry_count(srv->env.devices);
	if (srv->env.daemon_info)
		srv->env.daemon_info(srv->env.arg, info);
	return CONTROL_REPLY_NOW;
}
