/*
 * vfio_feature.h - VFIO_DEVICE_FEATURE calls on a device fd.
 *
 * One ioctl carries an 8-byte header { argsz, flags } and the feature's payload; argsz is
 * always 8 + the payload size and a PROBE carries no payload. The kernel's answers are
 * returned unchanged (-errno); callers decide what "unsupported" means. Stateless.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_FEATURE_H
#define VFIO_MIGD_DEVICE_VFIO_FEATURE_H

#include <stddef.h>
#include <stdint.h>

#include "vfio_sys.h"

/* Largest payload any call here passes (DMA_LOGGING_REPORT). */
#define VFIO_FEATURE_PAYLOAD_MAX 32

/*
 * Issues VFIO_DEVICE_FEATURE with flags (feature index | GET/SET/PROBE) and len payload
 * bytes, copying the payload back afterwards (the kernel writes GET results and some SET
 * replies there). Returns the ioctl's result or -errno; -EINVAL if len is too large.
 */
int vfio_feature(const struct vfio_sys *sys, int fd, uint32_t flags, void *payload, size_t len);

/* PROBE of feature for ops (GET and/or SET bits). 0 when supported, else the kernel's -errno. */
int vfio_feature_probe(const struct vfio_sys *sys, int fd, uint32_t feature, uint32_t ops);

/* GET MIGRATION: the device's VFIO_MIGRATION_* flags. */
int vfio_feature_migration(const struct vfio_sys *sys, int fd, uint64_t *ret_flags);

/* GET MIG_DEVICE_STATE: the raw state value (may be a state newer than this daemon knows). */
int vfio_feature_get_state(const struct vfio_sys *sys, int fd, uint32_t *ret_state);

/*
 * SET MIG_DEVICE_STATE to state. Returns 0 with *ret_data_fd the new session's fd or -1, or
 * the kernel's -errno (*ret_data_fd untouched; the kernel opens no fd on failure).
 */
int vfio_feature_set_state(const struct vfio_sys *sys, int fd, uint32_t state, int *ret_data_fd);

/* GET MIG_DATA_SIZE (6.2+): bytes still needed to complete STOP_COPY. */
int vfio_feature_data_size(const struct vfio_sys *sys, int fd, uint64_t *ret);

#endif
