/*
 * device.h - one owned device: its backend, what it can do, and safe state changes.
 *
 * Owns the backend handed to device_new() and the last known migration state. State changes go
 * through device_set_state(), which validates the request against the FSM, walks the kernel's
 * path one arc at a time, and on failure re-reads the state and recovers (recovery state first,
 * reset only as the last resort), saying exactly what happened. Stream calls pass straight to
 * the backend (see backend.h for their threading rules).
 *
 * Threading: device_set_state/device_refresh/device_reset from one thread at a time: the event
 * loop for a device no job holds, a job's change worker (daemon/migrate/change.c) for a
 * device the job claimed; the registry claim keeps the two apart. device_state() and
 * device_reset_count() may be read from any thread at any time (atomics: the cached state is
 * one word, stored by the changing thread after each arc and read without a lock, which is
 * all a per-device mutex would give here); id, caps and desc never change.
 */
#ifndef VFIO_MIGD_DEVICE_DEVICE_H
#define VFIO_MIGD_DEVICE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "fsm.h"

#define DEVICE_ID_MAX 63

struct device;

/* What a device_set_state() call did, filled on success and on failure. */
struct device_change {
	enum fsm_state from;	/* state before the call */
	enum fsm_state reached; /* state after the call, recovery included */
	bool opened;		/* the last arc opened a save or resume session */
	/* On failure: */
	enum fsm_state failed_from, failed_to; /* the arc that failed */
	int error;			       /* the arc's -errno */
	bool recovered;			       /* the device was brought to the recovery state */
	bool reset;	  /* recovery needed VFIO_DEVICE_RESET; the device is RUNNING */
	char reason[160]; /* one sentence for logs and replies */
};

/* True for 1-63 characters of [A-Za-z0-9._:-]. */
bool device_id_valid(const char *id);

/*
 * Takes ownership of b (freed on failure too), probes it and reads its state.
 * Returns 0, -EINVAL for a bad id, -ENOTSUP when the device reports unusable migration flags,
 * -ENOMEM, or the backend's -errno.
 */
int device_new(const char *id, struct backend *b, struct device **ret);

/* Closes the backend. NULL-safe. */
void device_free(struct device *d);

const char *device_id(const struct device *d);
struct backend *device_backend(const struct device *d);
const struct backend_caps *device_caps(const struct device *d);
const struct backend_desc *device_desc(const struct device *d);

/* Last known state (updated by every set, refresh and failure). */
enum fsm_state device_state(const struct device *d);

/* How many times recovery had to reset this device since it was added. */
uint64_t device_reset_count(const struct device *d);

/* Re-reads the state from the backend. */
int device_refresh(struct device *d);

/*
 * Moves the device to target, one arc at a time along the kernel's path. If an arc fails the
 * state is read back and the device is brought to recover: recover == FSM_ERROR means "reset"
 * (as QEMU's set_state_or_reset); any other state is walked to, and if that fails too, or the
 * device sits in ERROR, it is reset. Returns 0, -EINVAL (with ret->reason) for a request the
 * FSM refuses (nothing is touched), or the failed arc's -errno after recovery. ret may be NULL.
 */
int device_set_state(struct device *d, enum fsm_state target, enum fsm_state recover,
		     struct device_change *ret);

/*
 * device_set_state() that never resets: when the arc and the recovery both fail, the device
 * is left where it is (ret->reached; possibly ERROR) and nothing of its state is discarded.
 * For devices whose state may be the only copy (a source past COMMIT, a destination after
 * COMMIT): a reset would lose it, or start an empty device.
 */
int device_set_state_keep(struct device *d, enum fsm_state target, enum fsm_state recover,
			  struct device_change *ret);

/* Resets the device (VFIO_DEVICE_RESET); afterwards it is RUNNING with no session. */
int device_reset(struct device *d);

#endif
