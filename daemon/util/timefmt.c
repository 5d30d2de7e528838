/*
 * timefmt.c - see timefmt.h.
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

const char *timefmt_utc(int64_t unix_s, char *buf, size_t len)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}
