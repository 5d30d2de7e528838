/*
 * control_device.c - the device operations: list, add (by path, PCI address, mdev UUID, sim
 * spec or a passed fd, with an id derived when none is given), remove, info and manual state
 * changes. Devices a job holds are refused for remove and state changes.
 *
 * The server remembers how each device it added was named (its origin: kind and address), so
 * device_info reports what the orchestrator gave; devices from the configuration are
 * described from their backend. Blocking: device_add opens the device (open_device());
 * device_info computes the content digest where the backend can (sim). Threading: the loop
 * thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_int.h"
#include "open.h"
#include "registry.h"

#define DEVICE_SUFFIX_MAX 10000 /* derived ids tried before giving up */

/* ---- origins ---- */

static struct control_origin *device_origin(struct control_server *srv, const char *id)
{
	for (size_t i = 0; i < srv->n_origins; i++)
		if (strcmp(srv->origins[i].id, id) == 0)
			return &srv->origins[i];
	return NULL;
}

static void device_origin_drop(struct control_server *srv, const char *id)
{
	struct control_origin *o = device_origin(srv, id);

	if (!o)
		return;
	free(o->address);
	*o = srv->origins[--srv->n_origins];
}

/* Best effort: without the record, device_info describes the device from its backend. */
static void device_origin_set(struct control_server *srv, const char *id, uint32_t kind,
			      const char *address)
{
	struct control_origin *v;
	char *copy = strdup(address);

	device_origin_drop(srv, id);
	v = realloc(srv->origins, (srv->n_origins + 1) * sizeof(*v));
	if (!copy || !v) {
		free(copy);
		if (v)
			srv->origins = v;
		return;
	}
	srv->origins = v;
	v = &srv->origins[srv->n_origins++];
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->kind = kind;
	v->address = copy;
}

void control_device_forget_all(struct control_server *srv)
{
	for (size_t i = 0; i < srv->n_origins; i++)
		free(srv->origins[i].address);
	free(srv->origins);
	srv->origins = NULL;
	srv->n_origins = 0;
}

/* ---- describing ---- */

/* A device the server did not add: its kind from the backend's description. */
static uint32_t device_kind(const struct backend_desc *desc)
{
	if (strcmp(desc->kind, "sim") == 0)
		return CTL_KIND_SIM;
	if (strncmp(desc->model, "mdev ", 5) == 0)
		return CTL_KIND_VFIO_MDEV;
	return CTL_KIND_VFIO_PCI;
}

static void device_fill(struct control_server *srv, struct device *d, uint64_t owner,
			bool with_digest, struct ctl_device_info *out)
{
	const struct backend_desc *desc = device_desc(d);
	const struct control_origin *o = device_origin(srv, device_id(d));

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", device_id(d));
	out->kind = o ? o->kind : device_kind(desc);
	snprintf(out->driver, sizeof(out->driver), "%s", desc->driver);
	snprintf(out->model, sizeof(out->model), "%s", desc->model);
	snprintf(out->address, sizeof(out->address), "%s", o ? o->address : desc->path);
	out->state = (uint32_t)device_state(d);
	out->migration_flags = device_caps(d)->mig_flags & FSM_F_ALL;
	out->owner_job = owner;
	/* never while a job streams: the digest would race the job's worker */
	if (with_digest && owner == REGISTRY_FREE)
		out->has_digest = backend_digest(device_backend(d), out->digest) == 0;
}

/* Finds a device for an operation; fills a NOT_FOUND reply when there is none. */
static struct device *device_get(struct control_server *srv, const char *id, struct ctl_reply *rep)
{
	struct device *d = registry_find(srv->env.devices, id);

	if (!d)
		control_call_error(
			rep, -ENOENT, 0, id,
			"device '%s' not found; 'vfio-migctl device list' shows the devices", id);
	return d;
}

/* Refuses an operation on a device a job holds. */
static int device_check_free(struct control_server *srv, const char *id, const char *what,
			     struct ctl_reply *rep)
{
	uint64_t owner = registry_owner(srv->env.devices, id);

	if (owner == REGISTRY_FREE)
		return 0;
	control_call_error(rep, -EBUSY, 0, id,
			   "device %s is held by job %llu and cannot be %s; cancel the job or "
			   "wait for it",
			   id, (unsigned long long)owner, what);
	return -EBUSY;
}

int control_device_list(struct control_call *call, const struct ctl_request *req,
			struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	size_t n = registry_count(srv->env.devices);
	struct ctl_device_list *l = &rep->u.device_list;

	if (n > PROTO_LIST_MAX)
		n = PROTO_LIST_MAX;
	if (n == 0)
		return CONTROL_REPLY_NOW;
	l->devices = calloc(n, sizeof(*l->devices));
	if (!l->devices)
		return control_call_error(rep, -ENOMEM, 0, NULL,
					  "the daemon is out of memory; try again later");
	for (size_t i = 0; i < n; i++) {
		uint64_t owner;
		struct device *d = registry_at(srv->env.devices, i, &owner);

		device_fill(srv, d, owner, false, &l->devices[i]);
	}
	l->n_devices = (uint32_t)n;
	return CONTROL_REPLY_NOW;
}

int control_device_info(struct control_call *call, const struct ctl_request *req,
			struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const char *id = req->u.device.id;
	struct device *d = device_get(srv, id, rep);

	if (d)
		device_fill(srv, d, registry_owner(srv->env.devices, id), true, &rep->u.device);
	return CONTROL_REPLY_NOW;
}

int control_device_remove(struct control_call *call, const struct ctl_request *req,
			  struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const char *id = req->u.device.id;
	int r;

	if (!device_get(srv, id, rep) || device_check_free(srv, id, "removed", rep) < 0)
		return CONTROL_REPLY_NOW;
	r = registry_remove(srv->env.devices, id);
	if (r < 0)
		return control_call_error(rep, r, 0, id, "device %s: cannot remove it: %s", id,
					  strerror(-r));
	device_origin_drop(srv, id);
	client_log(control_call_client(call), LOG_LVL_INFO, "device %s removed", id);
	return CONTROL_REPLY_NOW;
}

/* ---- add ---- */

/* Makes s a device id in place: characters outside the id set become '_'. */
static void device_sanitize(char *s)
{
	for (; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-",
			    *s))
			*s = '_';
}

/* Copies at most size - 1 bytes of src (names are cut, not refused: a suffix may follow). */
static void device_copy(char *dst, size_t size, const char *prefix, const char *src)
{
	size_t np = strlen(prefix), n = strlen(src);

	if (n > size - 1 - np)
		n = size - 1 - np;
	memcpy(dst, prefix, np);
	memcpy(dst + np, src, n);
	dst[np + n] = '\0';
}

/* The name an add without id starts from: the PCI address, UUID, node name, "sim", "fd". */
static void device_id_base(const struct ctl_device_add *a, char *base, size_t size)
{
	const char *p, *colon;

	if (a->source == CTL_SOURCE_SIM || a->source == CTL_SOURCE_FD) {
		device_copy(base, size, "", a->source == CTL_SOURCE_SIM ? "sim" : "fd");
		return;
	}
	if (a->source != CTL_SOURCE_PATH) {
		device_copy(base, size, "", a->spec);
		return;
	}
	p = strrchr(a->spec, '/');
	p = p && p[1] ? p + 1 : a->spec;
	/* /dev/vfio/GROUP:DEVICE names the device after the colon */
	colon = strchr(p, ':');
	if (colon && colon > p && strspn(p, "0123456789") == (size_t)(colon - p) && colon[1])
		p = colon + 1;
	device_copy(base, size, strspn(p, "0123456789") == strlen(p) ? "group" : "", p);
	device_sanitize(base);
}

/* A free id: sim0, sim1, ... and fd0, ...; otherwise the base, then base-1, base-2, ... */
static int device_derive_id(struct control_server *srv, const struct ctl_device_add *a,
			    char id[PROTO_ID_MAX + 1])
{
	bool numbered = a->source == CTL_SOURCE_SIM || a->source == CTL_SOURCE_FD;
	char base[PROTO_ID_MAX - 5];

	device_id_base(a, base, sizeof(base));
	for (int i = 0; i < DEVICE_SUFFIX_MAX; i++) {
		if (numbered)
			snprintf(id, PROTO_ID_MAX + 1, "%s%d", base, i);
		else if (i == 0)
			snprintf(id, PROTO_ID_MAX + 1, "%s", base);
		else
			snprintf(id, PROTO_ID_MAX + 1, "%s-%d", base, i);
		if (device_id_valid(id) && !registry_find(srv->env.devices, id))
			return 0;
	}
	return -ENOSPC;
}

/* The id to give the new device, or an error reply. */
static int device_pick_id(struct control_server *srv, const struct ctl_device_add *a,
			  char id[PROTO_ID_MAX + 1], struct ctl_reply *rep)
{
	if (!a->id[0]) {
		if (device_derive_id(srv, a, id) == 0)
			return 0;
		control_call_error(
			rep, -ENOSPC, 0, NULL,
			"cannot derive a free device id from '%s'; give one with id=", a->spec);
		return -ENOSPC;
	}
	snprintf(id, PROTO_ID_MAX + 1, "%s", a->id);
	if (!device_id_valid(id)) {
		control_call_error(
			rep, -EINVAL, 0, NULL,
			"'%s' is not a valid device id (1-%d characters of A-Z a-z 0-9 . _ "
			": -)",
			id, DEVICE_ID_MAX);
		return -EINVAL;
	}
	if (registry_find(srv->env.devices, id)) {
		control_call_error(rep, -EEXIST, 0, id,
				   "device id %s is already in use; choose another id or remove "
				   "that device first",
				   id);
		return -EEXIST;
	}
	return 0;
}

/* Why opening failed, with the code that fits the cause and what to do. */
static int device_open_error(struct ctl_reply *rep, int r, const struct ctl_device_add *a,
			     const char *id, const char *err)
{
	if (a->source == CTL_SOURCE_FD && (r == -ENOTTY || r == -EINVAL || r == -EBADF))
		return control_call_error(
			rep, r, PROTO_ERR_INVALID_ARGUMENT, id,
			"%s; the fd passed is not a VFIO device: pass an open "
			"/dev/vfio/devices/vfioN bound to an iommufd, or an fd from "
			"VFIO_GROUP_GET_DEVICE_FD",
			err);
	if (r == -ENOTTY)
		return control_call_error(rep, r, PROTO_ERR_INVALID_ARGUMENT, id,
					  "%s; %s is not a VFIO device", err, a->spec);
	if (r == -ENOENT)
		return control_call_error(
			rep, r, 0, id,
			"%s; check the name (ls /dev/vfio /sys/bus/pci/devices) and "
			"that the device is bound to a vfio driver",
			err);
	return control_call_error(rep, r, 0, id, "%s", err);
}

static enum open_source device_open_source(uint32_t source)
{
	if (source == CTL_SOURCE_SIM)
		return OPEN_SIM;
	return source == CTL_SOURCE_FD ? OPEN_FD : OPEN_VFIO;
}

static uint32_t device_add_kind(uint32_t source)
{
	switch (source) {
	case CTL_SOURCE_SIM:
		return CTL_KIND_SIM;
	case CTL_SOURCE_FD:
		return CTL_KIND_VFIO_FD;
	case CTL_SOURCE_MDEV:
		return CTL_KIND_VFIO_MDEV;
	default:
		return CTL_KIND_VFIO_PCI;
	}
}

/* Puts an opened device in the registry; frees it and fills an error reply on failure. */
static int device_register(struct control_server *srv, struct device *d, struct ctl_reply *rep)
{
	char id[PROTO_ID_MAX + 1];
	int r;

	snprintf(id, sizeof(id), "%s", device_id(d));
	r = registry_add(srv->env.devices, d);
	if (r == 0)
		return 0;
	device_free(d);
	if (r == -ENOSPC)
		return control_call_error(
			rep, r, 0, id,
			"device %s: this daemon already owns %zu devices, its limit "
			"(limits.max_devices); remove one first",
			id, registry_count(srv->env.devices));
	control_call_error(rep, r, 0, id, "device %s: cannot register it: %s", id, strerror(-r));
	return r;
}

int control_device_add(struct control_call *call, const struct ctl_request *req,
		       struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const struct ctl_device_add *a = &req->u.device_add;
	char id[PROTO_ID_MAX + 1], err[PROTO_MESSAGE_MAX / 2];
	struct device *d;
	int fd = -1, r;

	if (device_pick_id(srv, a, id, rep) < 0)
		return CONTROL_REPLY_NOW;
	if (a->source == CTL_SOURCE_FD)
		fd = control_call_take_fd(call, a->fd_index);
	r = open_device(id, device_open_source(a->source),
			a->source == CTL_SOURCE_FD ? NULL : a->spec, fd, &d, err, sizeof(err));
	if (r < 0)
		return device_open_error(rep, r, a, id, err);
	if (device_register(srv, d, rep) != 0)
		return CONTROL_REPLY_NOW;
	device_origin_set(srv, id, device_add_kind(a->source),
			  a->source == CTL_SOURCE_FD ? "" : a->spec);
	device_fill(srv, d, REGISTRY_FREE, false, &rep->u.device);
	client_log(control_call_client(call), LOG_LVL_INFO, "device %s added: %s %s, state %s", id,
		   device_desc(d)->kind, device_desc(d)->model, fsm_state_name(device_state(d)));
	return CONTROL_REPLY_NOW;
}

/* ---- set state ---- */

/* The reply to a failed change: a refusal (nothing touched) or a failed arc and recovery. */
static int device_change_error(struct ctl_reply *rep, const char *id, enum fsm_state target, int r,
			       const struct device_change *chg)
{
	const char *after;

	if (chg->failed_to == FSM_ERROR)
		return control_call_error(rep, -EINVAL, 0, id, "device %s: %s", id, chg->reason);
	if (chg->reset)
		after = "recovery needed a device reset: the device state was lost";
	else if (chg->recovered)
		after = "the device was brought back to its state before the request";
	else
		after = "recovery failed; remove the device and add it again";
	return control_call_error(
		rep, r, PROTO_ERR_DEVICE_FAILED, id, "device %s: %s -> %s failed: %s; %s", id,
		fsm_state_name(chg->from), fsm_state_name(target), chg->reason, after);
}

int control_device_set_state(struct control_call *call, const struct ctl_request *req,
			     struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const char *id = req->u.set_state.id;
	enum fsm_state target = (enum fsm_state)req->u.set_state.state;
	struct device_change chg;
	struct device *d = device_get(srv, id, rep);
	int r;

	if (!d || device_check_free(srv, id, "moved by hand", rep) < 0)
		return CONTROL_REPLY_NOW;
	r = device_set_state(d, target, device_state(d), &chg);
	if (r < 0)
		return device_change_error(rep, id, target, r, &chg);
	device_fill(srv, d, REGISTRY_FREE, false, &rep->u.device);
	client_log(control_call_client(call), LOG_LVL_INFO, "device %s: %s -> %s", id,
		   fsm_state_name(chg.from), fsm_state_name(chg.reached));
	return CONTROL_REPLY_NOW;
}
