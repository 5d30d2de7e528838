/*
 * control_peer.c - the peer operations: peer_connect (async: answered when the daemon's
 * env->peer_connect completes) and peer_list. The links themselves belong to daemon/peer/;
 * this file only passes requests through the env and turns results into replies.
 * Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_int.h"

/* The reply code for a failed connect: TLS and name failures get their own codes. */
static uint32_t peer_code(int err)
{
	switch (err) {
	case -EACCES:
	case -ENOKEY:
		return PROTO_ERR_TLS_FAILED;
	case -ENOENT:
		return PROTO_ERR_PEER_UNREACHABLE;
	default:
		return proto_err_from_errno(err);
	}
}

/* env->peer_connect's completion; the call is kept valid until here (see control.h). */
static void peer_done(void *done_arg, int err, const char *message,
		      const struct ctl_peer_info *info)
{
	struct control_call *call = done_arg;
	struct ctl_reply rep = { .result = CTL_RESULT_PEER };

	if (err == 0 && info)
		rep.u.peer = *info;
	else
		control_call_error(&rep, err ? err : -EPROTO, peer_code(err ? err : -EPROTO), NULL,
				   "%s",
				   message && *message ? message : strerror(err ? -err : EPROTO));
	control_call_finish(call, &rep);
}

int control_peer_connect(struct control_call *call, const struct ctl_request *req,
			 struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const struct ctl_peer_connect *p = &req->u.peer_connect;
	int r;

	if (!srv->env.peer_connect)
		return control_call_error(rep, -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED, NULL,
					  "peer links are not available in this daemon");
	r = srv->env.peer_connect(srv->env.arg, p->address,
				  p->expect_host[0] ? p->expect_host : NULL, peer_done, call);
	if (r < 0)
		return control_call_error(rep, r, peer_code(r), NULL,
					  "peer %s: cannot start connecting: %s", p->address,
					  strerror(-r));
	return CONTROL_REPLY_LATER;
}

int control_peer_list(struct control_call *call, const struct ctl_request *req,
		      struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	struct ctl_peer_list *l = &rep->u.peer_list;
	uint32_t n;

	if (!srv->env.peer_list)
		return control_call_error(rep, -EOPNOTSUPP, PROTO_ERR_UNSUPPORTED, NULL,
					  "peer links are not available in this daemon");
	l->peers = calloc(CTL_PEERS_MAX, sizeof(*l->peers));
	if (!l->peers)
		return control_call_error(rep, -ENOMEM, 0, NULL,
					  "the daemon is out of memory; try again later");
	n = srv->env.peer_list(srv->env.arg, l->peers, CTL_PEERS_MAX);
	l->n_peers = n < CTL_PEERS_MAX ? n : CTL_PEERS_MAX;
	return CONTROL_REPLY_NOW;
}
