/*
 * log.h - the daemon's logging: levels, one line per event, stderr by default.
 *
 * Owns the log level and destination. log_*() may be called from any thread; each call writes
 * one whole line. log_warn()/log_err() append strerror of the -errno passed to them; the
 * *x variants do not (OpenBSD's log_warn/log_warnx habit). Every line about a device, a job or
 * a peer names it in the message.
 */
#ifndef VFIO_MIGD_UTIL_LOG_H
#define VFIO_MIGD_UTIL_LOG_H

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Sets the most verbose level that is written (default INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "err", "warning", "notice", "info", "debug". -EINVAL if unknown. */
int log_level_parse(const char *name, enum log_level *ret);

/* Sets a function that receives every line instead of stderr (journal, tests); NULL resets. */
typedef void log_sink_fn(enum log_level level, const char *line, void *userdata);
void log_set_sink(log_sink_fn *fn, void *userdata);

void log_msg(enum log_level level, int neg_errno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(e, ...)	 log_msg(LOG_LVL_ERR, (e), __VA_ARGS__)
#define log_errx(...)	 log_msg(LOG_LVL_ERR, 0, __VA_ARGS__)
#define log_warn(e, ...) log_msg(LOG_LVL_WARNING, (e), __VA_ARGS__)
#define log_warnx(...)	 log_msg(LOG_LVL_WARNING, 0, __VA_ARGS__)
#define log_notice(...)	 log_msg(LOG_LVL_NOTICE, 0, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...)	 log_msg(LOG_LVL_DEBUG, 0, __VA_ARGS__)

#endif
