/*
 * device.c - devices: the operations device_list, device_add (by path, PCI address, mdev
 * UUID, sim spec, or an fd passed with SCM_RIGHTS), device_remove, device_info and
 * device_set_state, in blocking and async form, and the device and device list objects.
 *
 * Threading: operations as the client (one thread at a time); objects are plain values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const device_state_names[] = {
	"ERROR",    "STOP",	   "RUNNING",  "STOP_COPY",
	"RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
};

#define N_STATES (sizeof(device_state_names) / sizeof(device_state_names[0]))

VFIOMIG_EXPORT const char *vfiomig_device_state_name(uint32_t state)
{
	return state < N_STATES ? device_state_names[state] : "UNKNOWN";
}

VFIOMIG_EXPORT int vfiomig_device_state_parse(const char *name, enum vfiomig_device_state *ret)
{
	if (!name || !ret)
		return -EINVAL;
	for (uint32_t i = 0; i < N_STATES; i++) {
		if (strcasecmp(name, device_state_names[i]) == 0) {
			*ret = (enum vfiomig_device_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Runs req blocking and hands back the device (ret may be NULL). */
static int device_run(struct vfiomig_client *c, struct ctl_request *req,
		      struct vfiomig_device **ret)
{
	void *o = NULL;
	int r = call_simple(c, req, CTL_RESULT_DEVICE, ret ? &o : NULL);

	if (r >= 0 && ret)
		*ret = o;
	return r;
}

/* ---- device_list ---- */

VFIOMIG_EXPORT int vfiomig_device_list(struct vfiomig_client *c, uint32_t flags,
				       struct vfiomig_device_list **ret)
{
	struct ctl_request req;
	void *o = NULL;
	int r = call_begin(c, &req, CTL_OP_DEVICE_LIST, flags);

	if (r < 0)
		return r;
	if (!ret)
		return error_set(c, -EINVAL, "device_list: ret is NULL");
	r = call_simple(c, &req, CTL_RESULT_DEVICE_LIST, &o);
	if (r >= 0)
		*ret = o;
	return r;
}

VFIOMIG_EXPORT int vfiomig_device_list_async(struct vfiomig_client *c, uint32_t flags,
					     vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = call_begin(c, &req, CTL_OP_DEVICE_LIST, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* ---- device_add ---- */

static int device_add_build(struct vfiomig_client *c, struct ctl_request *req, const char *id,
			    uint32_t source, const char *spec, uint32_t flags)
{
	struct ctl_device_add *a = &req->u.device_add;
	int r = call_begin(c, req, CTL_OP_DEVICE_ADD, flags);

	if (r < 0)
		return r;
	if (id && *id && (r = check_id(c, a->id, id, "device id")) < 0)
		return r;
	a->source = source;
	switch (source) {
	case CTL_SOURCE_PATH:
		return check_text(c, a->spec, spec, PROTO_PATH_MAX, true, "device path");
	case CTL_SOURCE_PCI:
	case CTL_SOURCE_MDEV:
		return check_text(c, a->spec, spec, PROTO_NAME_MAX, true,
				  source == CTL_SOURCE_PCI ? "PCI address" : "mdev UUID");
	case CTL_SOURCE_SIM:
		return check_text(c, a->spec, spec, PROTO_SPEC_MAX, true, "sim spec");
	case CTL_SOURCE_FD:
		return 0;
	}
	return error_set(c, -EINVAL,
			 "device source %u: use VFIOMIG_SOURCE_PATH, _PCI, _MDEV or _SIM", source);
}

VFIOMIG_EXPORT int vfiomig_device_add(struct vfiomig_client *c, const char *id,
				      enum vfiomig_device_source source, const char *spec,
				      uint32_t flags, struct vfiomig_device **ret)
{
	struct ctl_request req;
	int r = source == (enum vfiomig_device_source)CTL_SOURCE_FD
			? error_set(c, -EINVAL, "pass fds with vfiomig_device_add_fd()")
			: device_add_build(c, &req, id, source, spec, flags);

	return r < 0 ? r : device_run(c, &req, ret);
}

VFIOMIG_EXPORT int vfiomig_device_add_async(struct vfiomig_client *c, const char *id,
					    enum vfiomig_device_source source, const char *spec,
					    uint32_t flags, vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = source == (enum vfiomig_device_source)CTL_SOURCE_FD
			? error_set(c, -EINVAL, "pass fds with vfiomig_device_add_fd_async()")
			: device_add_build(c, &req, id, source, spec, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

static int device_check_fd(struct vfiomig_client *c, int fd)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return error_set(c, -EBADF, "device fd %d is not an open file descriptor", fd);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_device_add_fd(struct vfiomig_client *c, const char *id, int fd,
					 uint32_t flags, struct vfiomig_device **ret)
{
	struct ctl_request req;
	void *o = NULL;
	struct vfiomig_result *res;
	int r = device_add_build(c, &req, id, CTL_SOURCE_FD, NULL, flags);

	if (r < 0 || (r = device_check_fd(c, fd)) < 0)
		return r;
	r = call_run(c, &req, fd, c->timeout_ms, &res);
	if (r < 0)
		return r;
	o = result_take(res, CTL_RESULT_DEVICE);
	result_free(res);
	if (ret)
		*ret = o;
	else
		vfiomig_device_free(o);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_device_add_fd_async(struct vfiomig_client *c, const char *id, int fd,
					       uint32_t flags, vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = device_add_build(c, &req, id, CTL_SOURCE_FD, NULL, flags);

	if (r < 0 || (r = device_check_fd(c, fd)) < 0)
		return r;
	return call_submit(c, &req, fd, cb, userdata);
}

/* ---- device_remove, device_info ---- */

static int device_ref_build(struct vfiomig_client *c, struct ctl_request *req, uint32_t op,
			    const char *id, uint32_t flags)
{
	int r = call_begin(c, req, op, flags);

	return r < 0 ? r : check_id(c, req->u.device.id, id, "device id");
}

VFIOMIG_EXPORT int vfiomig_device_remove(struct vfiomig_client *c, const char *id, uint32_t flags)
{
	struct ctl_request req;
	int r = device_ref_build(c, &req, CTL_OP_DEVICE_REMOVE, id, flags);

	return r < 0 ? r : call_simple(c, &req, CTL_RESULT_NONE, NULL);
}

VFIOMIG_EXPORT int vfiomig_device_remove_async(struct vfiomig_client *c, const char *id,
					       uint32_t flags, vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = device_ref_build(c, &req, CTL_OP_DEVICE_REMOVE, id, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

VFIOMIG_EXPORT int vfiomig_device_info(struct vfiomig_client *c, const char *id, uint32_t flags,
				       struct vfiomig_device **ret)
{
	struct ctl_request req;
	int r = device_ref_build(c, &req, CTL_OP_DEVICE_INFO, id, flags);

	if (r >= 0 && !ret)
		r = error_set(c, -EINVAL, "device_info: ret is NULL");
	return r < 0 ? r : device_run(c, &req, ret);
}

VFIOMIG_EXPORT int vfiomig_device_info_async(struct vfiomig_client *c, const char *id,
					     uint32_t flags, vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = device_ref_build(c, &req, CTL_OP_DEVICE_INFO, id, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* ---- device_set_state ---- */

static int device_state_build(struct vfiomig_client *c, struct ctl_request *req, const char *id,
			      uint32_t state, uint32_t flags)
{
	int r = call_begin(c, req, CTL_OP_DEVICE_SET_STATE, flags);

	if (r < 0 || (r = check_id(c, req->u.set_state.id, id, "device id")) < 0)
		return r;
	if (state < VFIOMIG_STATE_STOP || state > VFIOMIG_STATE_PRE_COPY_P2P)
		return error_set(c, -EINVAL,
				 "state %u: a device can be moved to STOP (1) .. PRE_COPY_P2P (7)",
				 state);
	req->u.set_state.state = state;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_device_set_state(struct vfiomig_client *c, const char *id,
					    enum vfiomig_device_state state, uint32_t flags,
					    struct vfiomig_device **ret)
{
	struct ctl_request req;
	int r = device_state_build(c, &req, id, (uint32_t)state, flags);

	return r < 0 ? r : device_run(c, &req, ret);
}

VFIOMIG_EXPORT int vfiomig_device_set_state_async(struct vfiomig_client *c, const char *id,
						  enum vfiomig_device_state state, uint32_t flags,
						  vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = device_state_build(c, &req, id, (uint32_t)state, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

/* ---- objects ---- */

struct vfiomig_device *device_new(const struct ctl_device_info *v)
{
	struct vfiomig_device *d = malloc(sizeof(*d));

	if (d)
		d->v = *v;
	return d;
}

struct vfiomig_device_list *device_list_new(const struct ctl_device_list *v)
{
	struct vfiomig_device_list *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->items = calloc(v->n_devices ? v->n_devices : 1, sizeof(*l->items));
	if (!l->items) {
		free(l);
		return NULL;
	}
	for (uint32_t i = 0; i < v->n_devices; i++)
		l->items[i].v = v->devices[i];
	l->n = v->n_devices;
	return l;
}

VFIOMIG_EXPORT void vfiomig_device_free(struct vfiomig_device *d)
{
	free(d);
}

VFIOMIG_EXPORT const char *vfiomig_device_get_id(const struct vfiomig_device *d)
{
	return d->v.id;
}

VFIOMIG_EXPORT uint32_t vfiomig_device_get_kind(const struct vfiomig_device *d)
{
	return d->v.kind;
}

VFIOMIG_EXPORT const char *vfiomig_device_get_driver(const struct vfiomig_device *d)
{
	return d->v.driver;
}

VFIOMIG_EXPORT const char *vfiomig_device_get_model(const struct vfiomig_device *d)
{
	return d->v.model;
}

VFIOMIG_EXPORT const char *vfiomig_device_get_address(const struct vfiomig_device *d)
{
	return d->v.address;
}

VFIOMIG_EXPORT uint32_t vfiomig_device_get_state(const struct vfiomig_device *d)
{
	return d->v.state;
}

VFIOMIG_EXPORT uint32_t vfiomig_device_get_migration_flags(const struct vfiomig_device *d)
{
	return d->v.migration_flags;
}

VFIOMIG_EXPORT uint64_t vfiomig_device_get_owner_job(const struct vfiomig_device *d)
{
	return d->v.owner_job;
}

VFIOMIG_EXPORT int vfiomig_device_get_digest(const struct vfiomig_device *d,
					     uint8_t out[VFIOMIG_DIGEST_LEN])
{
	if (!d->v.has_digest)
		return -ENODATA;
	memcpy(out, d->v.digest, VFIOMIG_DIGEST_LEN);
	return 0;
}

VFIOMIG_EXPORT void vfiomig_device_list_free(struct vfiomig_device_list *l)
{
	if (!l)
		return;
	free(l->items);
	free(l);
}

VFIOMIG_EXPORT uint32_t vfiomig_device_list_get_count(const struct vfiomig_device_list *l)
{
	return l->n;
}

VFIOMIG_EXPORT const struct vfiomig_device *vfiomig_device_list_get(
	const struct vfiomig_device_list *l, uint32_t index)
{
	return index < l->n ? &l->items[index] : NULL;
}
