/*
 * sim_resume.h - the sim device's resume session: parses a save stream split at any byte
 * boundary, checks every page byte against the generator, stages what it receives, and
 * validates and commits it at RESUMING -> STOP.
 *
 * Owns the staged versions and the received bitmap (allocated once, sized by the device); the
 * device's image is written only by a successful sim_resume_finish(). No locking: the sim
 * device's mutex covers every call.
 */
#ifndef VFIO_MIGD_DEVICE_SIM_RESUME_H
#define VFIO_MIGD_DEVICE_SIM_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim_content.h"
#include "sim_stream.h"

struct sim_resume {
	uint64_t npages;    /* what the device expects */
	uint32_t page_size; /* what the device expects */
	uint32_t *staged;   /* npages versions, valid where received */
	uint64_t *received; /* one bit per page received intact */
	uint64_t nwords;    /* words of received */
	bool open;	    /* a session exists (the device is in RESUMING) */
	bool writable;	    /* its writer was not closed */
	bool header_seen, end_seen;
	bool broken;   /* a structural error: every later write fails */
	bool poisoned; /* the stream is not valid; RESUMING -> STOP will fail */
	uint64_t seed; /* from the header */
	uint64_t nreceived, records;
	struct sim_stream_end end;
	/* Parser: the record head being collected, or the page whose content is arriving. */
	unsigned char head[SIM_STREAM_HEAD_MAX];
	unsigned int head_have, head_need;
	bool in_page, page_ok;
	uint64_t page, key, page_off;
	uint32_t version;
	char why[160]; /* the first problem found, for the log */
};

/* Prepares a closed session for a device of this geometry. Returns 0 or -ENOMEM. */
int sim_resume_init(struct sim_resume *r, uint64_t npages, uint32_t page_size);
/* Frees the staging; safe on a zeroed or half-initialised struct. */
void sim_resume_fini(struct sim_resume *r);

/* Opens a new session with nothing received. */
void sim_resume_open(struct sim_resume *r);
/* Ends the session and drops whatever was staged. */
void sim_resume_close(struct sim_resume *r);
/* Closes only the writer (the kernel keeps its reference; RESUMING -> STOP still validates). */
void sim_resume_close_writer(struct sim_resume *r);

/*
 * Consumes len bytes of the stream. Returns len, or -EINVAL for a structural error (a header
 * that does not match this device, an unknown record type, a page out of range, bytes after
 * END), which poisons the session and fails every later write. Content that does not match
 * its page's generator poisons the session without failing the write: the kernel reports that
 * at RESUMING -> STOP.
 */
ssize_t sim_resume_write(struct sim_resume *r, const void *buf, size_t len);

/*
 * RESUMING -> STOP: validates the session (header seen, not poisoned, every page received, END
 * seen with counts that match what arrived) and on success moves the staged content into img.
 * Ends the session either way. Returns 0, or -EINVAL with *ret_why a sentence that stays valid
 * until the next call on r; img is untouched on failure.
 */
int sim_resume_finish(struct sim_resume *r, struct sim_image *img, const char **ret_why);

#endif
