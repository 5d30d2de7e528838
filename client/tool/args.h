/*
 * args.h - parsing command line values: sizes and rates with binary suffixes, numbers,
 * job ids, device states, SRC=DST pairs, switchover and resume modes. Every parser returns
 * 0 and writes its result, or -EINVAL and writes nothing.
 */
#ifndef ARGS_H
#define ARGS_H

#include <stdint.h>

#include "vfiomig.h"

/* "1048576", "512K", "4M", "1G", "2T", optional "i", "B" and "/s" ("4MiB/s"); binary. */
int args_size(const char *s, uint64_t *ret);

/* A decimal number in [min, max]. */
int args_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int args_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret);

/* A job id: a decimal number >= 1. */
int args_job_id(const char *s, uint64_t *ret);

/* A device state name, any case, "pre-copy" allowed for "pre_copy"; not "error". */
int args_state(const char *s, enum vfiomig_device_state *ret);

/*
 * "LEFT=RIGHT" with both sides non-empty: *left and *right point into buf (a copy of s of
 * size len). -EINVAL when there is no '=' or a side is empty, -ENAMETOOLONG when s does
 * not fit.
 */
int args_pair(const char *s, char *buf, size_t len, const char **left, const char **right);

/* "auto" / "manual". */
int args_switchover(const char *s, enum vfiomig_switchover *ret);
int args_resume(const char *s, enum vfiomig_resume *ret);

/*
 * Reads a whole file of at most max bytes into a malloc'ed buffer. Returns 0, *ret and
 * *ret_len; -EFBIG when larger; -errno of open/read.
 */
int args_read_file(const char *path, size_t max, void **ret, size_t *ret_len);

#endif
