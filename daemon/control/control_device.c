/*
 * control_device.c - the device operations: list, add (by path, PCI address, mdev UUID, sim
 * spec or a passed fd, with an id derived when none is given), remove, info and manual state
 * changes. Devices a job holds are refused for remove and state changes.
 *
 * The server remembers how each device it added was named (its origin: kind and address), so
 * device_info reports what the orchestrator gave; devices from the configuration are
 * described from their backend.
 *
 * Nothing here calls into a device on the loop: add (open_device()), remove (the last close,
 * which the kernel may follow with a reset), set_state (a driver's arc) and info (the
 * content digest, sim) run their device call in a worker (control_work.c). Meanwhile the
 * device is kept safe: set_state holds a registry claim of its own (REGISTRY_CONTROL + n, so a
 * job or another operation is refused with "busy"), info pins it (it cannot be removed, a
 * job may still take it), remove has taken it out of the registry, and an add in flight
 * holds its id in srv->adds.
 *
 * Threading: the loop thread, except the *_run() functions, each in its operation's worker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_int.h"
#include "ctl_reply.h"
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

/* Describes d from what the loop may read (cached state, description); no device call. */
static void device_fill(struct control_server *srv, struct device *d, uint64_t owner,
			struct ctl_device_info *out)
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
	/* an operation of this socket is no job: the device shows as free while it runs */
	out->owner_job = owner >= REGISTRY_CONTROL ? REGISTRY_FREE : owner;
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

/* Refuses an operation on a device a job or another operation holds. */
static int device_check_free(struct control_server *srv, const char *id, const char *what,
			     struct ctl_reply *rep)
{
	uint64_t owner = registry_owner(srv->env.devices, id);
	char who[80];

	if (owner == REGISTRY_FREE && !registry_pinned(srv->env.devices, id))
		return 0;
	registry_owner_desc(owner == REGISTRY_FREE ? REGISTRY_CONTROL : owner, who, sizeof(who));
	if (owner == REGISTRY_FREE || owner >= REGISTRY_CONTROL)
		control_call_error(rep, -EBUSY, 0, id,
				   "device %s is busy with %s and cannot be %s now; try again when "
				   "it has finished",
				   id, who, what);
	else
		control_call_error(rep, -EBUSY, 0, id,
				   "device %s is held by %s and cannot be %s; cancel the job or "
				   "wait for it",
				   id, who, what);
	return -EBUSY;
}

/*
 * Holds a free device for one operation of this socket (a claim of its own, released by the
 * operation's done()). Returns the owner value, or REGISTRY_FREE after filling a reply.
 */
static uint64_t device_hold(struct control_server *srv, const char *id, const char *what,
			    struct ctl_reply *rep)
{
	uint64_t owner = REGISTRY_CONTROL + (srv->next_claim++ & (REGISTRY_CONTROL - 1));
	const char *ids[1] = { id };

	if (device_check_free(srv, id, what, rep) < 0)
		return REGISTRY_FREE;
	if (registry_claim(srv->env.devices, ids, 1, owner, NULL) < 0) {
		control_call_error(rep, -EBUSY, 0, id, "device %s cannot be held for this: busy",
				   id);
		return REGISTRY_FREE;
	}
	return owner;
}

/* The name of the client a call came from, for log lines written after it may have gone. */
static void device_who(struct control_call *call, char *who, size_t len)
{
	struct control_client *c = control_call_client(call);

	snprintf(who, len, "%s", c ? c->name : "client");
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

		device_fill(srv, d, owner, &l->devices[i]);
	}
	l->n_devices = (uint32_t)n;
	return CONTROL_REPLY_NOW;
}

/* ---- info ---- */

/*
 * device_info: the description, and the content digest computed in a worker. The device is
 * pinned (not claimed): a job may take it meanwhile, the backend's digest is safe against
 * that (sim hashes under its mutex); only a remove must wait.
 */
struct device_info_work {
	struct device *d;
	bool has_digest;
	uint8_t digest[sizeof(((struct ctl_device_info *)0)->digest)];
};

static void device_info_run(void *arg)
{
	struct device_info_work *w = arg;

	w->has_digest = backend_digest(device_backend(w->d), w->digest) == 0;
}

static void device_info_done(struct control_server *srv, void *arg, struct ctl_reply *rep)
{
	struct device_info_work *w = arg;
	const char *id = device_id(w->d);

	registry_unpin(srv->env.devices, id);
	device_fill(srv, w->d, registry_owner(srv->env.devices, id), &rep->u.device);
	rep->u.device.has_digest = w->has_digest;
	memcpy(rep->u.device.digest, w->digest, sizeof(w->digest));
	free(w);
}

int control_device_info(struct control_call *call, const struct ctl_request *req,
			struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const char *id = req->u.device.id;
	struct device *d = device_get(srv, id, rep);
	uint64_t owner = d ? registry_owner(srv->env.devices, id) : REGISTRY_FREE;
	struct device_info_work *w;

	if (!d)
		return CONTROL_REPLY_NOW;
	/* held: described without the digest, which would read a state in motion */
	if (owner != REGISTRY_FREE) {
		device_fill(srv, d, owner, &rep->u.device);
		return CONTROL_REPLY_NOW;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return control_call_error(rep, -ENOMEM, 0, id,
					  "the daemon is out of memory; try again later");
	w->d = d;
	registry_pin(srv->env.devices, id);
	return control_work_start(call, rep, device_info_run, device_info_done, w);
}

/* ---- remove ---- */

/* device_remove: the device is out of the registry; a worker closes it. */
struct device_remove_work {
	struct device *d;
	char id[PROTO_ID_MAX + 1];
	char who[64];
};

static void device_remove_run(void *arg)
{
	struct device_remove_work *w = arg;

	device_free(w->d);
}

static void device_remove_done(struct control_server *srv, void *arg, struct ctl_reply *rep)
{
	struct device_remove_work *w = arg;

	(void)srv;
	(void)rep;
	log_info("control: %s: device %s removed", w->who, w->id);
	free(w);
}

int control_device_remove(struct control_call *call, const struct ctl_request *req,
			  struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const char *id = req->u.device.id;
	struct device_remove_work *w;
	int r;

	if (!device_get(srv, id, rep) || device_check_free(srv, id, "removed", rep) < 0)
		return CONTROL_REPLY_NOW;
	w = calloc(1, sizeof(*w));
	if (!w)
		return control_call_error(rep, -ENOMEM, 0, id,
					  "the daemon is out of memory; try again later");
	r = registry_take(srv->env.devices, id, &w->d);
	if (r < 0) {
		free(w);
		return control_call_error(rep, r, 0, id, "device %s: cannot remove it: %s", id,
					  strerror(-r));
	}
	snprintf(w->id, sizeof(w->id), "%s", id);
	device_who(call, w->who, sizeof(w->who));
	device_origin_drop(srv, id);
	return control_work_start(call, rep, device_remove_run, device_remove_done, w);
}

/* ---- add ---- */

/* device_add: an add in flight, on srv->adds so its id stays taken until it is registered. */
struct control_add {
	TAILQ_ENTRY(control_add) entry;
	struct ctl_device_add a; /* the request; a.id is the id picked */
	int fd;			 /* CTL_SOURCE_FD: the fd passed, owned by open_device() */
	char who[64];
	struct device *d; /* run's result */
	int rc;
	char err[PROTO_MESSAGE_MAX / 2];
};

/* How many adds are in flight: each will take a place in the registry. */
static size_t device_adds_running(struct control_server *srv)
{
	const struct control_add *w;
	size_t n = 0;

	TAILQ_FOREACH(w, &srv->adds, entry)
	n++;
	return n;
}

/* An id in use: a device of the registry or an add in flight. */
static bool device_id_taken(struct control_server *srv, const char *id)
{
	const struct control_add *w;

	if (registry_find(srv->env.devices, id))
		return true;
	TAILQ_FOREACH(w, &srv->adds, entry)
	if (strcmp(w->a.id, id) == 0)
		return true;
	return false;
}

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
		if (device_id_valid(id) && !device_id_taken(srv, id))
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
	if (device_id_taken(srv, id)) {
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

/* The reply to an add that would go over limits.max_devices. */
static int device_full_error(struct control_server *srv, const char *id, struct ctl_reply *rep)
{
	return control_call_error(rep, -ENOSPC, 0, id,
				  "device %s: this daemon already owns %zu devices, its limit "
				  "(limits.max_devices); remove one first",
				  id, registry_max(srv->env.devices));
}

/*
 * Puts an opened device in the registry; frees it and fills an error reply on failure (which
 * device_add's checks before opening leave to bugs: its id and its place are kept for it).
 */
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
		return device_full_error(srv, id, rep);
	control_call_error(rep, r, 0, id, "device %s: cannot register it: %s", id, strerror(-r));
	return r;
}

static void device_add_run(void *arg)
{
	struct control_add *w = arg;
	const struct ctl_device_add *a = &w->a;

	w->rc = open_device(a->id, device_open_source(a->source),
			    a->source == CTL_SOURCE_FD ? NULL : a->spec, w->fd, &w->d, w->err,
			    sizeof(w->err));
}

static void device_add_done(struct control_server *srv, void *arg, struct ctl_reply *rep)
{
	struct control_add *w = arg;
	const struct ctl_device_add *a = &w->a;

	TAILQ_REMOVE(&srv->adds, w, entry);
	if (w->rc < 0) {
		device_open_error(rep, w->rc, a, a->id, w->err);
	} else if (device_register(srv, w->d, rep) == 0) {
		device_origin_set(srv, a->id, device_add_kind(a->source),
				  a->source == CTL_SOURCE_FD ? "" : a->spec);
		device_fill(srv, w->d, REGISTRY_FREE, &rep->u.device);
		log_info("control: %s: device %s added: %s %s, state %s", w->who, a->id,
			 device_desc(w->d)->kind, device_desc(w->d)->model,
			 fsm_state_name(device_state(w->d)));
	}
	free(w);
}

int control_device_add(struct control_call *call, const struct ctl_request *req,
		       struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const struct ctl_device_add *a = &req->u.device_add;
	struct control_add *w = calloc(1, sizeof(*w));

	if (!w)
		return control_call_error(rep, -ENOMEM, 0, NULL,
					  "the daemon is out of memory; try again later");
	if (device_pick_id(srv, a, w->a.id, rep) < 0) {
		free(w);
		return CONTROL_REPLY_NOW;
	}
	/* refused before opening: a device opened and then not kept would be closed here */
	if (registry_count(srv->env.devices) + device_adds_running(srv) >=
	    registry_max(srv->env.devices)) {
		device_full_error(srv, w->a.id, rep);
		free(w);
		return CONTROL_REPLY_NOW;
	}
	w->a.source = a->source;
	memcpy(w->a.spec, a->spec, sizeof(w->a.spec));
	w->fd = a->source == CTL_SOURCE_FD ? control_call_take_fd(call, a->fd_index) : -1;
	device_who(call, w->who, sizeof(w->who));
	TAILQ_INSERT_TAIL(&srv->adds, w, entry);
	return control_work_start(call, rep, device_add_run, device_add_done, w);
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

/* device_set_state: the change, run by a worker while this operation holds the device. */
struct device_state_work {
	struct device *d;
	uint64_t owner;
	enum fsm_state target;
	struct device_change chg;
	int rc;
	char who[64];
};

static void device_state_run(void *arg)
{
	struct device_state_work *w = arg;

	w->rc = device_set_state(w->d, w->target, device_state(w->d), &w->chg);
}

static void device_state_done(struct control_server *srv, void *arg, struct ctl_reply *rep)
{
	struct device_state_work *w = arg;
	const char *id = device_id(w->d);

	registry_release(srv->env.devices, w->owner);
	if (w->rc < 0) {
		device_change_error(rep, id, w->target, w->rc, &w->chg);
	} else {
		device_fill(srv, w->d, REGISTRY_FREE, &rep->u.device);
		log_info("control: %s: device %s: %s -> %s", w->who, id,
			 fsm_state_name(w->chg.from), fsm_state_name(w->chg.reached));
	}
	free(w);
}

int control_device_set_state(struct control_call *call, const struct ctl_request *req,
			     struct ctl_reply *rep)
{
	struct control_server *srv = control_call_server(call);
	const char *id = req->u.set_state.id;
	struct device *d = device_get(srv, id, rep);
	struct device_state_work *w;

	if (!d)
		return CONTROL_REPLY_NOW;
	w = calloc(1, sizeof(*w));
	if (!w)
		return control_call_error(rep, -ENOMEM, 0, id,
					  "the daemon is out of memory; try again later");
	w->owner = device_hold(srv, id, "moved by hand", rep);
	if (w->owner == REGISTRY_FREE) {
		free(w);
		return CONTROL_REPLY_NOW;
	}
	w->d = d;
	w->target = (enum fsm_state)req->u.set_state.state;
	device_who(call, w->who, sizeof(w->who));
	return control_work_start(call, rep, device_state_run, device_state_done, w);
}
