/*
 * sim_save.h - the sim device's save session: the stream cursor that produces HEADER, the
 * initial pass over every page, dirty pages as they appear, and END once the device stopped.
 *
 * Owns the dirty bitmap (one bit per page) and the position in the current record; reads the
 * image it is given and never changes it. No locking: the sim device's mutex covers every call.
 */
#ifndef VFIO_MIGD_DEVICE_SIM_SAVE_H
#define VFIO_MIGD_DEVICE_SIM_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_content.h"
#include "sim_stream.h"

/* What the record being read is, for the precopy accounting. */
enum sim_save_rec {
	SIM_SAVE_REC_NONE,    /* nothing started yet */
	SIM_SAVE_REC_HEADER,  /* the stream header (initial data) */
	SIM_SAVE_REC_INITIAL, /* a page of the initial pass */
	SIM_SAVE_REC_DIRTY,   /* a page sent again because it was dirtied after its first send */
	SIM_SAVE_REC_END,     /* the END record */
};

struct sim_save {
	const struct sim_image *img;
	uint32_t flags;	    /* FSM_F_* written into the header */
	uint64_t *dirty;    /* one bit per page: dirtied since it was last started */
	uint64_t nwords;    /* words of dirty */
	uint64_t ndirty;    /* bits set in dirty */
	uint64_t cursor;    /* word of dirty where the next search starts */
	bool open;	    /* a session exists */
	bool stopped;	    /* the device reached STOP_COPY: END follows the last page */
	bool header_done;   /* HEADER was started */
	bool end_done;	    /* END was started */
	uint64_t init_next; /* next page of the initial pass; pages below it were started */
	uint64_t records;   /* PAGE records started */
	uint64_t offset;    /* stream bytes produced */
	/* The record being read: its head bytes, length, position and page key. */
	enum sim_save_rec kind;
	unsigned char head[SIM_STREAM_HEAD_MAX];
	uint32_t head_len;
	uint64_t rec_len, rec_off;
	uint64_t key;
};

/* Bytes left to read, split as VFIO_MIG_GET_PRECOPY_INFO and MIG_DATA_SIZE report them. */
struct sim_save_left {
	uint64_t initial; /* header and initial-pass pages not yet read */
	uint64_t dirty;	  /* pages waiting to be sent again */
	uint64_t total;	  /* everything up to and including END */
};

/* Prepares a closed session over img. Returns 0 or -ENOMEM. */
int sim_save_init(struct sim_save *s, const struct sim_image *img, uint32_t flags);
/* Frees the bitmap; safe on a zeroed or half-initialised struct. */
void sim_save_fini(struct sim_save *s);

/* Opens a new session at offset 0; stopped for STOP -> STOP_COPY. */
void sim_save_open(struct sim_save *s, bool stopped);
/* Ends the session (further reads are the caller's -EBADF). */
void sim_save_close(struct sim_save *s);
/* The device stopped (PRE_COPY[_P2P] -> STOP_COPY): END follows once everything was sent. */
void sim_save_stop(struct sim_save *s);

/* The page's version just changed; an open session sends it again if it was already started. */
void sim_save_dirty(struct sim_save *s, uint64_t page);

/*
 * Produces up to len bytes of the stream into buf. Returns the count, which is 0 when nothing
 * is pending (a temporary end before STOP_COPY, or the end after END was read).
 */
size_t sim_save_read(struct sim_save *s, void *buf, size_t len);

/* True once END was read completely: the stream's permanent end. */
bool sim_save_at_end(const struct sim_save *s);

/* What is left to read. */
void sim_save_left(const struct sim_save *s, struct sim_save_left *ret);

#endif
