/*
 * result.c - struct vfiomig_result: an async call's outcome, made from a decoded reply (or
 * a library failure), read by the callback through borrowed views, or taken: the typed
 * object then becomes the caller's. Also the one function that frees an object by its
 * result kind.
 *
 * Threading: a result belongs to the callback that receives it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The typed object for a reply's result; NULL for kinds without one or out of memory. */
static void *result_object(const struct ctl_reply *rep, bool *ret_oom)
{
	void *o = NULL;

	switch (rep->result) {
	case CTL_RESULT_DAEMON_INFO:
		o = malloc(sizeof(struct vfiomig_daemon_info));
		if (o)
			memcpy(o, &rep->u.daemon_info, sizeof(rep->u.daemon_info));
		break;
	case CTL_RESULT_DEVICE:
		o = device_new(&rep->u.device);
		break;
	case CTL_RESULT_DEVICE_LIST:
		o = device_list_new(&rep->u.device_list);
		break;
	case CTL_RESULT_PREPARE_INCOMING:
		o = malloc(sizeof(struct vfiomig_prepare));
		if (o)
			memcpy(o, &rep->u.prepare, sizeof(rep->u.prepare));
		break;
	case CTL_RESULT_JOB:
		o = job_new(&rep->u.job);
		break;
	case CTL_RESULT_JOB_LIST:
		o = job_list_new(&rep->u.job_list);
		break;
	case CTL_RESULT_PEER:
		o = peer_new(&rep->u.peer);
		break;
	case CTL_RESULT_PEER_LIST:
		o = peer_list_new(&rep->u.peer_list);
		break;
	default:
		return NULL;
	}
	*ret_oom = !o;
	return o;
}

#ifdef VFIOMIG_HAVE_METADATA
/* job_metadata: a copy of the bytes (the reply's are freed with it). */
static int result_metadata(struct vfiomig_result *res, const struct ctl_reply *rep)
{
	if (rep->result != CTL_RESULT_METADATA || rep->u.metadata.len == 0)
		return 0;
	res->metadata = malloc(rep->u.metadata.len);
	if (!res->metadata)
		return -ENOMEM;
	memcpy(res->metadata, rep->u.metadata.data, rep->u.metadata.len);
	res->metadata_len = rep->u.metadata.len;
	return 0;
}
#else
static int result_metadata(struct vfiomig_result *res, const struct ctl_reply *rep)
{
	(void)res;
	(void)rep;
	return 0;
}
#endif

struct vfiomig_result *result_from_reply(uint32_t op, struct ctl_reply *rep)
{
	struct vfiomig_result *res = calloc(1, sizeof(*res));
	bool oom = false;

	if (!res)
		return NULL;
	res->op = op;
	res->error = rep->error;
	if (rep->error.code != PROTO_ERR_OK) {
		res->status = proto_err_to_errno(rep->error.code);
		return res;
	}
	res->kind = rep->result;
	res->obj = result_object(rep, &oom);
	if (rep->result == CTL_RESULT_MIGRATE)
		res->job_id = rep->u.job_id;
	if (rep->result == CTL_RESULT_HELLO) {
		res->version = rep->u.hello.version;
		res->features = rep->u.hello.features;
	}
	if (oom || result_metadata(res, rep) < 0) {
		result_free(res);
		return NULL;
	}
	if (rep->result != ctl_reply_result_for(op)) {
		res->status = -EPROTO;
		snprintf(res->error.message, sizeof(res->error.message),
			 "%s: the daemon answered with the wrong kind of result (%u)",
			 ctl_request_op_name(op), rep->result);
	}
	return res;
}

struct vfiomig_result *result_failed(uint32_t op, int err, const char *fmt, ...)
{
	struct vfiomig_result *res = calloc(1, sizeof(*res));
	va_list ap;

	if (!res)
		return NULL;
	res->op = op;
	res->status = err;
	va_start(ap, fmt);
	vsnprintf(res->error.message, sizeof(res->error.message), fmt, ap);
	va_end(ap);
	return res;
}

void result_obj_free(uint32_t kind, void *obj)
{
	switch (kind) {
	case CTL_RESULT_DEVICE_LIST:
		vfiomig_device_list_free(obj);
		break;
	case CTL_RESULT_JOB_LIST:
		vfiomig_job_list_free(obj);
		break;
	case CTL_RESULT_PEER_LIST:
		vfiomig_peer_list_free(obj);
		break;
	default:
		free(obj); /* the flat objects */
		break;
	}
}

void *result_take(struct vfiomig_result *res, uint32_t kind)
{
	void *o;

	if (!res || res->kind != kind || !res->obj)
		return NULL;
	o = res->obj;
	res->obj = NULL;
	return o;
}

void result_free(struct vfiomig_result *res)
{
	if (!res)
		return;
	if (res->obj)
		result_obj_free(res->kind, res->obj);
	free(res->metadata);
	free(res);
}

/* ---- public accessors ---- */

VFIOMIG_EXPORT uint32_t vfiomig_result_get_op(const struct vfiomig_result *res)
{
	return res->op;
}

VFIOMIG_EXPORT int vfiomig_result_get_status(const struct vfiomig_result *res)
{
	return res->status;
}

VFIOMIG_EXPORT uint32_t vfiomig_result_get_error_code(const struct vfiomig_result *res)
{
	return res->error.code;
}

VFIOMIG_EXPORT const char *vfiomig_result_get_error_message(const struct vfiomig_result *res)
{
	return res->error.message;
}

VFIOMIG_EXPORT const char *vfiomig_result_get_error_device(const struct vfiomig_result *res)
{
	return res->error.device;
}

/* The object of kind, borrowed; NULL when the result is another kind or failed. */
static const void *result_view(const struct vfiomig_result *res, uint32_t kind)
{
	return res && res->status >= 0 && res->kind == kind ? res->obj : NULL;
}

VFIOMIG_EXPORT const struct vfiomig_daemon_info *vfiomig_result_get_daemon_info(
	const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_DAEMON_INFO);
}

VFIOMIG_EXPORT const struct vfiomig_device *vfiomig_result_get_device(
	const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_DEVICE);
}

VFIOMIG_EXPORT const struct vfiomig_device_list *vfiomig_result_get_device_list(
	const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_DEVICE_LIST);
}

VFIOMIG_EXPORT const struct vfiomig_prepare *vfiomig_result_get_prepare(
	const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_PREPARE_INCOMING);
}

VFIOMIG_EXPORT const struct vfiomig_job *vfiomig_result_get_job(const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_JOB);
}

VFIOMIG_EXPORT const struct vfiomig_job_list *vfiomig_result_get_job_list(
	const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_JOB_LIST);
}

VFIOMIG_EXPORT const struct vfiomig_peer *vfiomig_result_get_peer(const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_PEER);
}

VFIOMIG_EXPORT const struct vfiomig_peer_list *vfiomig_result_get_peer_list(
	const struct vfiomig_result *res)
{
	return result_view(res, CTL_RESULT_PEER_LIST);
}

VFIOMIG_EXPORT uint64_t vfiomig_result_get_job_id(const struct vfiomig_result *res)
{
	return res->job_id;
}

VFIOMIG_EXPORT uint32_t vfiomig_result_get_protocol_version(const struct vfiomig_result *res)
{
	return res->version;
}

VFIOMIG_EXPORT uint64_t vfiomig_result_get_features(const struct vfiomig_result *res)
{
	return res->features;
}

VFIOMIG_EXPORT const void *vfiomig_result_get_metadata(const struct vfiomig_result *res,
						       size_t *ret_len)
{
	if (ret_len)
		*ret_len = res->metadata_len;
	return res->metadata;
}

VFIOMIG_EXPORT struct vfiomig_daemon_info *vfiomig_result_take_daemon_info(
	struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_DAEMON_INFO);
}

VFIOMIG_EXPORT struct vfiomig_device *vfiomig_result_take_device(struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_DEVICE);
}

VFIOMIG_EXPORT struct vfiomig_device_list *vfiomig_result_take_device_list(
	struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_DEVICE_LIST);
}

VFIOMIG_EXPORT struct vfiomig_prepare *vfiomig_result_take_prepare(struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_PREPARE_INCOMING);
}

VFIOMIG_EXPORT struct vfiomig_job *vfiomig_result_take_job(struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_JOB);
}

VFIOMIG_EXPORT struct vfiomig_job_list *vfiomig_result_take_job_list(struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_JOB_LIST);
}

VFIOMIG_EXPORT struct vfiomig_peer *vfiomig_result_take_peer(struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_PEER);
}

VFIOMIG_EXPORT struct vfiomig_peer_list *vfiomig_result_take_peer_list(struct vfiomig_result *res)
{
	return result_take(res, CTL_RESULT_PEER_LIST);
}
