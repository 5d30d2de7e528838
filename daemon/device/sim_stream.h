/*
 * sim_stream.h - the sim device's save/resume stream format: record layouts, sizes, and the
 * encoders and decoders of the fixed-size record heads.
 *
 * The format (all integers little-endian):
 *
 *   stream  = HEADER PAGE* END
 *   HEADER  = u32 type = 1, u32 format = SIM_STREAM_FORMAT, u64 magic = SIM_STREAM_MAGIC,
 *             u32 page_size, u32 flags (the source's FSM_F_*, informational),
 *             u64 npages, u64 seed                                              (40 bytes)
 *   PAGE    = u32 type = 2, u32 version, u64 page index,
 *             then page_size bytes: the content of that page at that version    (16 + page_size)
 *   END     = u32 type = 3, u32 reserved = 0,
 *             u64 pages (distinct pages sent), u64 records (PAGE records sent)   (24 bytes)
 *
 * A stream sends every page at least once (the initial pass) and any page again after it was
 * dirtied; the last record of a page wins. A stream without dirtying is exactly
 * SIM_STREAM_HEADER_LEN + npages * (SIM_STREAM_PAGE_HEAD_LEN + page_size) + SIM_STREAM_END_LEN
 * bytes (sim_stream_full_size).
 *
 * Pure: no I/O, no allocation, safe from any thread.
 */
#ifndef VFIO_MIGD_DEVICE_SIM_STREAM_H
#define VFIO_MIGD_DEVICE_SIM_STREAM_H

#include <stdint.h>

#define SIM_STREAM_MAGIC  0x314d495344474d56ULL /* "VMGDSIM1" as little-endian bytes */
#define SIM_STREAM_FORMAT 1u

/* Record types: the first u32 of every record. */
enum sim_stream_type {
	SIM_STREAM_HEADER = 1, /* stream header, exactly once, first */
	SIM_STREAM_PAGE = 2,   /* one page at one version */
	SIM_STREAM_END = 3,    /* end of the stream with counts, exactly once, last */
};

#define SIM_STREAM_HEADER_LEN	 40u
#define SIM_STREAM_PAGE_HEAD_LEN 16u
#define SIM_STREAM_END_LEN	 24u
#define SIM_STREAM_HEAD_MAX	 SIM_STREAM_HEADER_LEN

/* The HEADER record's fields. */
struct sim_stream_header {
	uint32_t format;
	uint64_t magic;
	uint32_t page_size;
	uint32_t flags;
	uint64_t npages;
	uint64_t seed;
};

/* The END record's fields. */
struct sim_stream_end {
	uint32_t reserved;
	uint64_t pages;
	uint64_t records;
};

/* Bytes of one PAGE record. */
uint64_t sim_stream_page_len(uint32_t page_size);

/* Bytes of a stream that sends every page exactly once. */
uint64_t sim_stream_full_size(uint64_t npages, uint32_t page_size);

/*
 * Length of the fixed part (the whole record for HEADER and END, the head for PAGE) of a record
 * of this type, or 0 for an unknown type.
 */
unsigned int sim_stream_head_len(uint32_t type);

/* Encoders: write the record (head) into out, which holds at least its head length. */
void sim_stream_put_header(unsigned char *out, const struct sim_stream_header *h);
void sim_stream_put_page(unsigned char *out, uint64_t page, uint32_t version);
void sim_stream_put_end(unsigned char *out, uint64_t pages, uint64_t records);

/* The type of a record whose first 4 bytes are in; in holds at least 4 bytes. */
uint32_t sim_stream_get_type(const unsigned char *in);

/* Decoders: read a complete record (head) of the matching type. */
void sim_stream_get_header(const unsigned char *in, struct sim_stream_header *ret);
void sim_stream_get_page(const unsigned char *in, uint64_t *ret_page, uint32_t *ret_version);
void sim_stream_get_end(const unsigned char *in, struct sim_stream_end *ret);

#endif
