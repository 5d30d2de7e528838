/*
 * log.c - line-at-a-time logging to stderr or a sink. Thread-safe: the level is an atomic and
 * every line is formatted into a local buffer and written with one call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static int log_level = LOG_LVL_INFO;
static log_sink_fn *log_sink;
static void *log_sink_data;

static const char *const log_names[] = {
	[LOG_LVL_ERR] = "err",	 [LOG_LVL_WARNING] = "warning", [LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return (enum log_level)__atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int log_level_parse(const char *name, enum log_level *ret)
{
	for (int i = LOG_LVL_ERR; i <= LOG_LVL_DEBUG; i++) {
		if (strcasecmp(name, log_names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_sink(log_sink_fn *fn, void *userdata)
{
	log_sink = fn;
	log_sink_data = userdata;
}

void log_msg(enum log_level level, int neg_errno, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if ((int)level > __atomic_load_n(&log_level, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (neg_errno)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(-neg_errno));
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (log_sink) {
		log_sink(level, line, log_sink_data);
		return;
	}
	dprintf(STDERR_FILENO, "<%d>%s: %s\n", (int)level, log_names[level], line);
}
