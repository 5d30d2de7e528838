/*
 * device.c - a device: backend + capabilities + state changes with recovery.
 *
 * The walk is done here, one arc per backend SET, for both backends: every intermediate state
 * is then known exactly, a session can only be opened by the final arc (the planner never puts
 * a saving state in the middle), and a failure names the arc that failed. Recovery follows the
 * uAPI's advice (vfio-migration-uapi.md 2.5) and Cloud Hypervisor's practice: GET, go to the
 * recovery state, reset only when that fails or the device is in ERROR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "log.h"

struct device {
	char id[DEVICE_ID_MAX + 1];
	struct backend *backend;
	struct backend_caps caps;
	struct backend_desc desc;
	int state;	 /* enum fsm_state; atomic so other threads may read it */
	uint64_t resets; /* atomic likewise */
};

bool device_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > DEVICE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';

		if (!ok)
			return false;
	}
	return true;
}

static void device_store_state(struct device *d, enum fsm_state s)
{
	__atomic_store_n(&d->state, (int)s, __ATOMIC_RELEASE);
}

enum fsm_state device_state(const struct device *d)
{
	return (enum fsm_state)__atomic_load_n(&d->state, __ATOMIC_ACQUIRE);
}

int device_new(const char *id, struct backend *b, struct device **ret)
{
	struct device *d;
	char flags[64];
	int r;

	if (!device_id_valid(id)) {
		backend_free(b);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		backend_free(b);
		return -ENOMEM;
	}
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->backend = b;
	r = backend_probe(b, &d->caps);
	if (r < 0)
		goto err_free;
	if (!fsm_flags_valid(d->caps.mig_flags)) {
		log_warnx("device %s: unusable migration flags %s", id,
			  fsm_flags_str(d->caps.mig_flags, flags, sizeof(flags)));
		r = -ENOTSUP;
		goto err_free;
	}
	r = backend_describe(b, &d->desc);
	if (r < 0)
		goto err_free;
	r = device_refresh(d);
	if (r < 0)
		goto err_free;
	*ret = d;
	return 0;

err_free:
	device_free(d);
	return r;
}

void device_free(struct device *d)
{
	if (!d)
		return;
	backend_free(d->backend);
	free(d);
}

const char *device_id(const struct device *d)
{
	return d->id;
}

struct backend *device_backend(const struct device *d)
{
	return d->backend;
}

const struct backend_caps *device_caps(const struct device *d)
{
	return &d->caps;
}

const struct backend_desc *device_desc(const struct device *d)
{
	return &d->desc;
}

uint64_t device_reset_count(const struct device *d)
{
	return __atomic_load_n(&d->resets, __ATOMIC_RELAXED);
}

int device_refresh(struct device *d)
{
	enum fsm_state s;
	int r = backend_get_state(d->backend, &s);

	if (r < 0)
		return r;
	device_store_state(d, s);
	return 0;
}

int device_reset(struct device *d)
{
	int r = backend_reset(d->backend);

	if (r < 0) {
		log_err(r, "device %s: reset failed", d->id);
		device_refresh(d);
		return r;
	}
	__atomic_add_fetch(&d->resets, 1, __ATOMIC_RELAXED);
	if (device_refresh(d) < 0)
		device_store_state(d, FSM_RUNNING);
	return 0;
}

/*
 * Walks from the current state to target one arc at a time. On failure fills *failed_* and
 * refreshes the cached state from the backend. No recovery here.
 */
static int device_walk(struct device *d, enum fsm_state target, bool *ret_opened,
		       enum fsm_state *failed_from, enum fsm_state *failed_to)
{
	struct fsm_path path;
	enum fsm_state at = device_state(d);
	bool opened = false;
	int r;

	r = fsm_plan(at, target, d->caps.mig_flags, &path);
	if (r < 0) {
		*failed_from = at;
		*failed_to = target;
		return r;
	}
	for (unsigned int i = 0; i < path.len; i++) {
		r = backend_set_state(d->backend, path.step[i], &opened);
		if (r < 0) {
			*failed_from = at;
			*failed_to = path.step[i];
			if (device_refresh(d) < 0)
				device_store_state(d, FSM_ERROR);
			return r;
		}
		at = path.step[i];
		device_store_state(d, at);
	}
	*ret_opened = opened;
	return 0;
}

/* Brings a device whose arc failed to recover, or (unless keep) resets it. Fills the
 * recovery fields. */
static void device_recover(struct device *d, enum fsm_state recover, bool keep,
			   struct device_change *c)
{
	enum fsm_state ff, ft;
	bool opened;
	int r;

	if (recover != FSM_ERROR && device_state(d) != FSM_ERROR &&
	    fsm_validate(device_state(d), recover, d->caps.mig_flags, NULL) == 0) {
		r = device_walk(d, recover, &opened, &ff, &ft);
		if (r == 0) {
			c->recovered = true;
			return;
		}
		log_warn(r, "device %s: recovery to %s failed at %s -> %s", d->id,
			 fsm_state_name(recover), fsm_state_name(ff), fsm_state_name(ft));
	}
	if (keep) {
		log_warn(0, "device %s: left %s (a reset would discard its state)", d->id,
			 fsm_state_name(device_state(d)));
		return;
	}
	r = device_reset(d);
	c->reset = r == 0;
	c->recovered = r == 0 && (recover == FSM_ERROR || recover == FSM_RUNNING);
}

static int device_change_state(struct device *d, enum fsm_state target, enum fsm_state recover,
			       bool keep, struct device_change *ret)
{
	struct device_change c = { .from = device_state(d) };
	const char *why;
	int r;

	r = fsm_validate(c.from, target, d->caps.mig_flags, &why);
	if (r < 0) {
		c.reached = c.from;
		c.error = r;
		snprintf(c.reason, sizeof(c.reason), "%s -> %s refused: %s", fsm_state_name(c.from),
			 fsm_state_name(target), why);
		goto out;
	}
	r = device_walk(d, target, &c.opened, &c.failed_from, &c.failed_to);
	if (r == 0) {
		c.reached = target;
		goto out;
	}
	c.error = r;
	log_warn(r, "device %s: arc %s -> %s failed on the way from %s to %s; device now %s", d->id,
		 fsm_state_name(c.failed_from), fsm_state_name(c.failed_to), fsm_state_name(c.from),
		 fsm_state_name(target), fsm_state_name(device_state(d)));
	device_recover(d, recover, keep, &c);
	c.reached = device_state(d);
	snprintf(c.reason, sizeof(c.reason), "arc %s -> %s failed (%s); device %s%s",
		 fsm_state_name(c.failed_from), fsm_state_name(c.failed_to), strerror(-r),
		 c.reset ? "was reset and is " : "is ", fsm_state_name(c.reached));
	if (c.reset)
		log_notice("device %s: reset after a failed transition; now %s", d->id,
			   fsm_state_name(c.reached));
out:
	if (ret)
		*ret = c;
	return r;
}

int device_set_state(struct device *d, enum fsm_state target, enum fsm_state recover,
		     struct device_change *ret)
{
	return device_change_state(d, target, recover, false, ret);
}

int device_set_state_keep(struct device *d, enum fsm_state target, enum fsm_state recover,
			  struct device_change *ret)
{
	return device_change_state(d, target, recover, true, ret);
}
