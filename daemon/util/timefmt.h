/*
 * timefmt.h - times as people read them in logs: "2026-11-24T09:12:00Z".
 */
#ifndef VFIO_MIGD_UTIL_TIMEFMT_H
#define VFIO_MIGD_UTIL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Unix seconds as ISO 8601 UTC into buf; returns buf ("?" when it does not fit). */
const char *timefmt_utc(int64_t unix_s, char *buf, size_t len);

#endif
