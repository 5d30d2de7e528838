/*
 * backend.h - the one interface every device backend implements (vfio, sim).
 *
 * Everything above daemon/device/ sees devices only through this interface and device.h.
 *
 * Stream model: a backend owns at most one migration session at a time. A set_state whose last
 * arc opens a session (RUNNING -> PRE_COPY, RUNNING_P2P -> PRE_COPY_P2P, STOP -> STOP_COPY,
 * STOP -> RESUMING) makes it the open stream; the caller then moves bytes with stream_read
 * (save) or stream_write (resume). For vfio those are read()/write() on the kernel's data fd;
 * for sim they generate or consume bytes in place, so the stream costs no thread hand-off.
 * The backend closes the session itself when a set_state leaves the saving group or RESUMING,
 * on reset, and on free; stream_close ends it early (the resume side may close before
 * RESUMING -> STOP, as QEMU does; the driver validates at the arc).
 *
 * stream_read results, the same for both backends:
 *   > 0       bytes read
 *   0         end of stream (STOP_COPY: every byte has been read)
 *   -ENOMSG   no data for now (PRE_COPY states; the kernel's ENOMSG and mtty's 0 both map here)
 *   -EBADF    no open save session (none was opened, or it already ended)
 *   -ENODEV   a reset or a state change killed the session while this call was in it
 *   < 0       other -errno from the driver
 *
 * Threading: one thread may run stream_read / stream_write / precopy_info while another calls
 * get_state or a set_state that stays inside the session's group (PRE_COPY -> STOP_COPY). A
 * set_state that ends the session, reset and free must not race a stream call: the caller
 * stops its stream worker first. All other calls are made by one thread at a time.
 *
 * Errors are -errno, as the kernel returns them.
 */
#ifndef VFIO_MIGD_DEVICE_BACKEND_H
#define VFIO_MIGD_DEVICE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fsm.h"

/* What a device can do, learned once when it is opened. */
struct backend_caps {
	uint32_t mig_flags; /* FSM_F_* as the driver reports them (GET MIGRATION) */
	bool precopy_info;  /* VFIO_MIG_GET_PRECOPY_INFO answers in PRE_COPY states */
	bool data_size;	    /* MIG_DATA_SIZE answers */
	bool dma_logging;   /* PROBE of DMA_LOGGING_START succeeded */
};

/* What the destination compares before accepting a device's stream. */
struct backend_desc {
	char kind[8];	     /* "vfio" or "sim" */
	char driver[64];     /* kernel driver name, or "vfio-migd-sim" */
	char model[128];     /* "pci 10de:2236", "mdev mtty-2", "sim 1073741824x4096" ... */
	char path[256];	     /* where the device was opened from, for logs */
	uint64_t state_size; /* estimate of a full stop-copy stream in bytes, 0 if unknown */
};

struct backend;

struct backend_ops {
	/* Capabilities; called once after open. */
	int (*probe)(struct backend *b, struct backend_caps *ret);
	/* Identity and compatibility data. */
	int (*describe)(struct backend *b, struct backend_desc *ret);
	/* The state the device is in now (the kernel's GET). */
	int (*get_state)(struct backend *b, enum fsm_state *ret);
	/*
	 * Requests target (the kernel's SET); the driver walks the arcs. On success *ret_opened
	 * says whether a new session was opened. On failure the device may be anywhere on the
	 * path or in ERROR: the caller GETs and recovers (device.c does).
	 */
	int (*set_state)(struct backend *b, enum fsm_state target, bool *ret_opened);
	ssize_t (*stream_read)(struct backend *b, void *buf, size_t len);
	/* Writes up to len bytes of a resume stream; returns bytes taken or -errno. */
	ssize_t (*stream_write)(struct backend *b, const void *buf, size_t len);
	/* Ends the open session early, if any. */
	void (*stream_close)(struct backend *b);
	/* Pre-copy estimates (PRE_COPY states only); -ENOTTY when the device lacks them. */
	int (*precopy_info)(struct backend *b, uint64_t *ret_initial, uint64_t *ret_dirty);
	/* Bytes still needed to finish STOP_COPY; -ENOTTY when the device lacks it. */
	int (*data_size)(struct backend *b, uint64_t *ret);
	/* VFIO_DEVICE_RESET: back to RUNNING, open sessions die. */
	int (*reset)(struct backend *b);
	/* SHA-256 of the device's content, for tests; -EOPNOTSUPP where it cannot be known. */
	int (*digest)(struct backend *b, uint8_t ret[32]);
	/* Closes everything; NULL-safe callers go through backend_free(). */
	void (*free)(struct backend *b);
};

/* Each backend embeds this as its first member. */
struct backend {
	const struct backend_ops *ops;
};

static inline int backend_probe(struct backend *b, struct backend_caps *ret)
{
	return b->ops->probe(b, ret);
}

static inline int backend_describe(struct backend *b, struct backend_desc *ret)
{
	return b->ops->describe(b, ret);
}

static inline int backend_get_state(struct backend *b, enum fsm_state *ret)
{
	return b->ops->get_state(b, ret);
}

static inline int backend_set_state(struct backend *b, enum fsm_state target, bool *ret_opened)
{
	return b->ops->set_state(b, target, ret_opened);
}

static inline ssize_t backend_stream_read(struct backend *b, void *buf, size_t len)
{
	return b->ops->stream_read(b, buf, len);
}

static inline ssize_t backend_stream_write(struct backend *b, const void *buf, size_t len)
{
	return b->ops->stream_write(b, buf, len);
}

static inline void backend_stream_close(struct backend *b)
{
	b->ops->stream_close(b);
}

static inline int backend_precopy_info(struct backend *b, uint64_t *ret_initial,
				       uint64_t *ret_dirty)
{
	return b->ops->precopy_info(b, ret_initial, ret_dirty);
}

static inline int backend_data_size(struct backend *b, uint64_t *ret)
{
	return b->ops->data_size(b, ret);
}

static inline int backend_reset(struct backend *b)
{
	return b->ops->reset(b);
}

static inline int backend_digest(struct backend *b, uint8_t ret[32])
{
	return b->ops->digest(b, ret);
}

/* Frees a backend of any kind; NULL is a no-op. */
static inline void backend_free(struct backend *b)
{
	if (b)
		b->ops->free(b);
}

#endif
