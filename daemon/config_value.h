/*
 * config_value.h - the syntax of configuration values; internal to config.c.
 *
 * A value parser reads one value (unquoted, trimmed) into the field its key names. It writes
 * the field only when the whole value is good; otherwise the field is as it was and why (at
 * least CONFIG_WHY_MAX bytes) holds a reason for the user that quotes the value and says what a
 * right one looks like: "'abc' is not a duration (examples: 5s, 500ms, 2m)". The caller adds
 * where the value came from. List parsers add items (all of a value's items or none). Parsers
 * return 0, -EINVAL or -ENOMEM (why: "out of memory").
 */
#ifndef VFIO_MIGD_DAEMON_CONFIG_VALUE_H
#define VFIO_MIGD_DAEMON_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CONFIG_WHY_MAX	 512
#define CONFIG_SHOW_MAX	 80 /* characters of a bad value quoted in a message */
#define CONFIG_SHOWN_MAX (CONFIG_SHOW_MAX * 4 + 8) /* config_value_escape's output, at most */

#define CONFIG_SEC_MS  1000ULL
#define CONFIG_MIN_MS  (60 * CONFIG_SEC_MS)
#define CONFIG_HOUR_MS (60 * CONFIG_MIN_MS)

#define CONFIG_K_LIST	   0x1 /* repeatable; each line adds items */
#define CONFIG_K_ZERO_OK   0x2 /* 0 ("off") is allowed below min */
#define CONFIG_K_SECONDS   0x4 /* a duration the kernel takes in whole seconds */
#define CONFIG_K_UNLIMITED 0x8 /* "unlimited" means 0 */

enum config_section {
	CONFIG_SEC_NONE, /* before the first header */
	CONFIG_SEC_DAEMON,
	CONFIG_SEC_CONTROL,
	CONFIG_SEC_PEER,
	CONFIG_SEC_TLS,
	CONFIG_SEC_LIMITS,
	CONFIG_SEC_DEVICE, /* fields are in struct config_device */
};

struct config_key;
typedef int config_value_fn(const struct config_key *k, const char *v, void *field, char *why);
typedef void config_clear_fn(void *field);

/* One key: where its value lives and how to read it. */
struct config_key {
	enum config_section sec;
	const char *name;
	const char *dotted; /* as config_set and config_key_name spell it */
	config_value_fn *parse;
	config_clear_fn *clear; /* frees what the field owns; NULL for plain values */
	size_t off, size;	/* the field in struct config (or struct config_device) */
	uint64_t min, max;	/* numbers, durations (ms) and sizes */
	unsigned int flags;	/* CONFIG_K_* */
};

/* Field types: unsigned int, uint64_t (ms), uint64_t (bytes), bool. Ranges from the key. */
config_value_fn config_value_uint, config_value_duration, config_value_size, config_value_bool;

/* enum log_level, enum config_log_target, enum config_backend. */
config_value_fn config_value_log_level, config_value_log_target, config_value_backend;

/*
 * char * fields: a host identity, an absolute path (path_opt: empty unsets it), a UNIX socket
 * path (fits sun_path), a group name or gid (empty allowed), a VFIO device (normalised, see
 * struct config_device), a sim spec (printable, no spaces; empty unsets it).
 */
config_value_fn config_value_host_identity, config_value_path, config_value_path_opt,
	config_value_socket, config_value_group, config_value_vfio_path, config_value_sim_spec;

/* unsigned int: an octal mode, at most 0777, never writable by others. */
config_value_fn config_value_mode;

/* struct config_addr: "off", empty or a loopback HOST:PORT. */
config_value_fn config_value_metrics;

/* Lists of space-separated items: struct config_addrs, config_uids, config_identities. */
config_value_fn config_value_addrs, config_value_uids, config_value_identities;

/* Free what a field owns and empty it. */
config_clear_fn config_value_clear_str, config_value_clear_addrs, config_value_clear_uids,
	config_value_clear_identities;

/* 1-max characters of [A-Za-z0-9._:-]: device names and host identities. */
bool config_value_name_ok(const char *v, size_t max);

/* Writes v into out (CONFIG_SHOWN_MAX bytes do) with non-printables as \xNN, cut with "...". */
void config_value_escape(char *out, size_t size, const char *v);

/* printf at buf + *at, never past size; *at advances (and may pass size, then nothing more). */
void config_value_append(char *buf, size_t size, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* typed is within a typo or two of candidate ("did you mean"). */
bool config_value_near(const char *typed, const char *candidate);

/* ' ', '\t', '\r', '\v', '\f': what separates words and surrounds values. */
bool config_value_space(char ch);

#endif
