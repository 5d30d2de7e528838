/*
 * registry.h - the devices this daemon owns: ids, backends, and which job holds each.
 *
 * Owns every device added to it (device_free on remove and on registry_free). A device belongs
 * to at most one job at a time: jobs claim devices (all of a set or none) and release them.
 * Listing is in id order. Not thread-safe: the event loop owns the registry.
 */
#ifndef VFIO_MIGD_DEVICE_REGISTRY_H
#define VFIO_MIGD_DEVICE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

/* Owner value of a device no job holds. */
#define REGISTRY_FREE 0
/*
 * Owners from here up are not jobs: a control-socket operation running off the loop (a state
 * change asked for by hand, the content digest) holds the device meanwhile. Job ids count up
 * from 1 and never get here.
 */
#define REGISTRY_CONTROL (UINT64_C(1) << 63)

struct registry;

/* A registry for at most max devices. Returns 0 or -ENOMEM. */
int registry_new(size_t max, struct registry **ret);

/* Frees every device, then the registry. NULL-safe. */
void registry_free(struct registry *r);

/* Takes ownership of d on success. -EEXIST for a taken id, -ENOSPC when full. */
int registry_add(struct registry *r, struct device *d);

/* Removes and frees a device. -ENOENT if unknown, -EBUSY while a job holds it or it is pinned. */
int registry_remove(struct registry *r, const char *id);

/*
 * Removes a device without freeing it: *ret is the caller's. -ENOENT if unknown, -EBUSY while
 * a job holds it or it is pinned.
 */
int registry_take(struct registry *r, const char *id, struct device **ret);

/*
 * Pins a device for a reader working outside the loop (a digest): it cannot be removed until
 * unpinned, but jobs may still claim it (the reader must be safe against them: backend calls
 * are). Pins count. Returns 0 or -ENOENT.
 */
int registry_pin(struct registry *r, const char *id);
void registry_unpin(struct registry *r, const char *id);
bool registry_pinned(const struct registry *r, const char *id);

/* Who holds a device, for messages: "job N" or what REGISTRY_CONTROL stands for; buf. */
const char *registry_owner_desc(uint64_t owner, char *buf, size_t len);

/* The device with this id, or NULL. */
struct device *registry_find(const struct registry *r, const char *id);

/* The job holding the device, REGISTRY_FREE, or REGISTRY_FREE for an unknown id. */
uint64_t registry_owner(const struct registry *r, const char *id);

/*
 * Claims every listed device for job (job != REGISTRY_FREE), all or none. -ENOENT names an
 * unknown device, -EBUSY one held by another job, -EINVAL a duplicate in the list;
 * *ret_bad (may be NULL) is then the index of the offending id.
 */
int registry_claim(struct registry *r, const char *const *ids, size_t n, uint64_t job,
		   size_t *ret_bad);

/* Releases every device job holds. Returns how many were released. */
size_t registry_release(struct registry *r, uint64_t job);

size_t registry_count(const struct registry *r);

/* How many devices it holds at most (registry_new's max). */
size_t registry_max(const struct registry *r);

/* The i-th device in id order (i < registry_count), with its owner in *ret_owner if non-NULL. */
struct device *registry_at(const struct registry *r, size_t i, uint64_t *ret_owner);

#endif
