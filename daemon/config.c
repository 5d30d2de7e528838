/*
 * config.c - the configuration file, overrides and cross-field checks.
 *
 * libinih splits "key = value" lines; the rest is ours. A line reader feeds libinih one line at
 * a time from a private copy of the text, so this file always knows which line a value came
 * from (Debian's libinih calls its handler without a line number). The reader also strips
 * comments and indentation (libinih would take an indented line for the continuation of the
 * previous value) and handles "[section]" headers itself (libinih cuts section names at 50
 * bytes and does not report empty sections). A table maps every key to a field of struct config
 * and a value parser from config_value.c; the file and config_set share both.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_value.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEVICES_MAX 4096

#define DEF_STATE_DIR "/var/lib/vfio-migd"
#define DEF_SOCKET    "/run/vfio-migd/control.sock"
#define DEF_GROUP     "vfio-migd"

static const char *const section_names[] = {
	[CONFIG_SEC_NONE] = "",		  [CONFIG_SEC_DAEMON] = "daemon",
	[CONFIG_SEC_CONTROL] = "control", [CONFIG_SEC_PEER] = "peer",
	[CONFIG_SEC_TLS] = "tls",	  [CONFIG_SEC_LIMITS] = "limits",
	[CONFIG_SEC_DEVICE] = "device",
};

/* ---- the keys --------------------------------------------------------------------------- */

#define KEY(sec, secname, name, parse, clear, member, min, max, flags)                      \
	{                                                                                   \
		sec, name, secname "." name, parse, clear, offsetof(struct config, member), \
			sizeof(((struct config *)0)->member), min, max, flags               \
	}
#define DAEMON(name, parse, clear, member, min, max, flags) \
	KEY(CONFIG_SEC_DAEMON, "daemon", name, parse, clear, daemon.member, min, max, flags)
#define CONTROL(name, parse, clear, member, min, max, flags) \
	KEY(CONFIG_SEC_CONTROL, "control", name, parse, clear, control.member, min, max, flags)
#define PEER(name, parse, clear, member, min, max, flags) \
	KEY(CONFIG_SEC_PEER, "peer", name, parse, clear, peer.member, min, max, flags)
#define TLS(name, parse, clear, member, min, max, flags) \
	KEY(CONFIG_SEC_TLS, "tls", name, parse, clear, tls.member, min, max, flags)
#define LIMITS(name, parse, clear, member, min, max, flags) \
	KEY(CONFIG_SEC_LIMITS, "limits", name, parse, clear, limits.member, min, max, flags)
#define DEVICE(name, parse, clear, member)                                   \
	{                                                                    \
		CONFIG_SEC_DEVICE, name, "device.NAME." name, parse, clear,  \
			offsetof(struct config_device, member),              \
			sizeof(((struct config_device *)0)->member), 0, 0, 0 \
	}

/*
 * Table: every key, in the example file's order. Ranges keep values where the code using them
 * stays sane (a 1 ms handshake timeout, a TCP keepalive the kernel would refuse).
 */
static const struct config_key keys[] = {
	DAEMON("log_level", config_value_log_level, NULL, log_level, 0, 0, 0),
	DAEMON("log_target", config_value_log_target, NULL, log_target, 0, 0, 0),
	DAEMON("host_identity", config_value_host_identity, config_value_clear_str, host_identity,
	       0, 0, 0),
	DAEMON("state_dir", config_value_path, config_value_clear_str, state_dir, 0, 0, 0),
	DAEMON("metrics_listen", config_value_metrics, NULL, metrics_listen, 0, 0, 0),
	DAEMON("stop_timeout", config_value_duration, NULL, stop_timeout_ms, 100, CONFIG_HOUR_MS,
	       CONFIG_K_ZERO_OK),
	CONTROL("socket", config_value_socket, config_value_clear_str, socket, 0, 0, 0),
	CONTROL("group", config_value_group, config_value_clear_str, group, 0, 0, 0),
	CONTROL("mode", config_value_mode, NULL, mode, 0, 0, 0),
	CONTROL("max_clients", config_value_uint, NULL, max_clients, 1, 4096, 0),
	CONTROL("allowed_uids", config_value_uids, config_value_clear_uids, allowed_uids, 0, 0,
		CONFIG_K_LIST),
	PEER("listen", config_value_addrs, config_value_clear_addrs, listen, 0, 0, CONFIG_K_LIST),
	PEER("connect_timeout", config_value_duration, NULL, connect_timeout_ms, 100,
	     CONFIG_HOUR_MS, 0),
	PEER("handshake_timeout", config_value_duration, NULL, handshake_timeout_ms, 100,
	     CONFIG_HOUR_MS, 0),
	PEER("keepalive_interval", config_value_duration, NULL, keepalive_interval_ms,
	     CONFIG_SEC_MS, CONFIG_HOUR_MS, CONFIG_K_ZERO_OK),
	PEER("keepalive_count", config_value_uint, NULL, keepalive_count, 1, 100, 0),
	PEER("tcp_user_timeout", config_value_duration, NULL, tcp_user_timeout_ms, CONFIG_SEC_MS,
	     24 * CONFIG_HOUR_MS, CONFIG_K_ZERO_OK),
	PEER("tcp_keepalive_idle", config_value_duration, NULL, tcp_keepalive_idle_ms,
	     CONFIG_SEC_MS, 32767 * CONFIG_SEC_MS, CONFIG_K_SECONDS),
	PEER("tcp_keepalive_interval", config_value_duration, NULL, tcp_keepalive_interval_ms,
	     CONFIG_SEC_MS, 32767 * CONFIG_SEC_MS, CONFIG_K_SECONDS),
	PEER("tcp_keepalive_count", config_value_uint, NULL, tcp_keepalive_count, 1, 127, 0),
	TLS("ca", config_value_path_opt, config_value_clear_str, ca, 0, 0, 0),
	TLS("crl", config_value_path_opt, config_value_clear_str, crl, 0, 0, 0),
	TLS("cert", config_value_path_opt, config_value_clear_str, cert, 0, 0, 0),
	TLS("key", config_value_path_opt, config_value_clear_str, key, 0, 0, 0),
	TLS("allow", config_value_identities, config_value_clear_identities, allow, 0, 0,
	    CONFIG_K_LIST),
	TLS("ktls", config_value_bool, NULL, ktls, 0, 0, 0),
	LIMITS("max_jobs", config_value_uint, NULL, max_jobs, 1, 1024, 0),
	LIMITS("bandwidth", config_value_size, NULL, bandwidth, 0, 1ULL << 40, CONFIG_K_UNLIMITED),
	LIMITS("job_timeout", config_value_duration, NULL, job_timeout_ms, CONFIG_SEC_MS,
	       720 * CONFIG_HOUR_MS, CONFIG_K_ZERO_OK),
	LIMITS("finished_job_ttl", config_value_duration, NULL, finished_job_ttl_ms, 0,
	       720 * CONFIG_HOUR_MS, 0),
	LIMITS("dest_timeout", config_value_duration, NULL, dest_timeout_ms, CONFIG_SEC_MS,
	       720 * CONFIG_HOUR_MS, CONFIG_K_ZERO_OK),
	LIMITS("max_devices", config_value_uint, NULL, max_devices, 1, DEVICES_MAX, 0),
	DEVICE("backend", config_value_backend, NULL, backend),
	DEVICE("path", config_value_vfio_path, config_value_clear_str, path),
	DEVICE("spec", config_value_sim_spec, config_value_clear_str, spec),
};

static const struct config_key *key_find(enum config_section sec, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec == sec && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The field of k in c, or in d for device keys. */
static void *key_field(const struct config_key *k, struct config *c, struct config_device *d)
{
	return (char *)(k->sec == CONFIG_SEC_DEVICE ? (void *)d : (void *)c) + k->off;
}

/* Frees what the device keys own in d (device) or what the other keys own in c. */
static void keys_clear(bool device, struct config *c, struct config_device *d)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].clear && (keys[i].sec == CONFIG_SEC_DEVICE) == device)
			keys[i].clear(key_field(&keys[i], c, d));
}

const char *config_key_name(size_t i)
{
	return i < ARRAY_SIZE(keys) ? keys[i].dotted : NULL;
}

/* ---- parsing state and messages -------------------------------------------------------- */

/* One parse of a file or string, or one config_set. */
struct parse {
	struct config *c;
	struct config_error *err;
	const char *origin;		     /* file name; NULL for config_set */
	const char *dotted;		     /* config_set's "section.key" */
	char *pos, *end;		     /* the unread text, NUL-terminated at end */
	unsigned int line;		     /* the line being handled */
	int error;			     /* 0 or the first failure's -errno */
	enum config_section sec;	     /* the section of the line being handled */
	size_t dev;			     /* with CONFIG_SEC_DEVICE: index into c->devices */
	unsigned int seen[ARRAY_SIZE(keys)]; /* where each single-valued key was set */
};

/* Fills err: "ORIGIN:LINE: [SECTION] KEY: " (or "DOTTED: ") and fmt; returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int perr(struct parse *p, const char *key,
						      const char *fmt, ...)
{
	char *m = p->err->msg, shown[CONFIG_SHOWN_MAX];
	size_t at = 0, size = sizeof(p->err->msg);
	va_list ap;

	if (p->dotted) {
		config_value_escape(shown, sizeof(shown), p->dotted);
		config_value_append(m, size, &at, "%s: ", shown);
	} else {
		config_value_append(m, size, &at, "%s:%u: ", p->origin, p->line);
		if (p->sec == CONFIG_SEC_DEVICE)
			config_value_append(m, size, &at, "[device \"%s\"] ",
					    p->c->devices[p->dev].name);
		else if (p->sec != CONFIG_SEC_NONE)
			config_value_append(m, size, &at, "[%s] ", section_names[p->sec]);
		config_value_escape(shown, sizeof(shown), key ? key : "");
		if (key)
			config_value_append(m, size, &at, "%s: ", shown);
	}
	va_start(ap, fmt);
	if (at < size)
		vsnprintf(m + at, size - at, fmt, ap);
	va_end(ap);
	p->err->line = p->line;
	p->error = -EINVAL;
	return -EINVAL;
}

/* Sets k from v: a list key adds items unless replace; on failure the field is unchanged. */
static int value_apply(struct parse *p, const struct config_key *k, const char *v, bool replace)
{
	struct config_device *d = k->sec == CONFIG_SEC_DEVICE ? &p->c->devices[p->dev] : NULL;
	void *field = key_field(k, p->c, d);
	union {
		struct config_addrs a;
		struct config_uids u;
		struct config_identities i;
	} fresh;
	char why[CONFIG_WHY_MAX] = "";
	int r;

	if (!(k->flags & CONFIG_K_LIST) || !replace) {
		r = k->parse(k, v, field, why);
	} else {
		memset(&fresh, 0, sizeof(fresh));
		assert(k->size <= sizeof(fresh));
		r = k->parse(k, v, &fresh, why);
		k->clear(r < 0 ? (void *)&fresh : field);
		if (r == 0)
			memcpy(field, &fresh, k->size);
	}
	if (r < 0) {
		perr(p, k->name, "%s", why);
		p->error = r;
	}
	return r;
}

/* ---- sections --------------------------------------------------------------------------- */

static struct config_device *device_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (strcmp(c->devices[i].name, name) == 0)
			return &c->devices[i];
	return NULL;
}

/* Appends an empty device; -ENOSPC past DEVICES_MAX. */
static int device_add(struct config *c, const char *name, unsigned int line)
{
	struct config_device *v;

	if (c->n_devices == DEVICES_MAX)
		return -ENOSPC;
	v = reallocarray(c->devices, c->n_devices + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->devices = v;
	v[c->n_devices] = (struct config_device){ .line = line };
	snprintf(v[c->n_devices].name, sizeof(v->name), "%.*s", (int)sizeof(v->name) - 1, name);
	c->n_devices++;
	return 0;
}

/* The rest of a "[device ...]" header, after the word "device". */
static int device_open(struct parse *p, const char *rest)
{
	const struct config_device *dup;
	char name[CONFIG_NAME_MAX + 2], shown[CONFIG_SHOWN_MAX];
	size_t len;
	int r;

	while (config_value_space(*rest))
		rest++;
	len = strlen(rest);
	config_value_escape(shown, sizeof(shown), rest);
	if (len == 0)
		return perr(p, NULL, "[device] needs a name: [device \"gpu0\"]");
	if (len < 2 || rest[0] != '"' || rest[len - 1] != '"')
		return perr(p, NULL,
			    "[device %s]: put the name in double quotes: [device \"NAME\"]", shown);
	snprintf(name, sizeof(name), "%.*s", (int)(len - 2), rest + 1);
	if (len - 2 > CONFIG_NAME_MAX || !config_value_name_ok(name, CONFIG_NAME_MAX))
		return perr(p, NULL, "[device %s]: not a device name (1-%d of A-Z a-z 0-9 . _ : -)",
			    shown, CONFIG_NAME_MAX);
	if ((dup = device_find(p->c, name)))
		return perr(p, NULL, "[device %s]: defined twice (first on line %u)", shown,
			    dup->line);
	if ((r = device_add(p->c, name, p->line)) < 0) {
		if (r == -ENOSPC)
			perr(p, NULL, "[device %s]: too many devices (at most %d)", shown,
			     DEVICES_MAX);
		else
			perr(p, NULL, "[device %s]: out of memory", shown);
		return p->error = r;
	}
	p->sec = CONFIG_SEC_DEVICE;
	p->dev = p->c->n_devices - 1;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec == CONFIG_SEC_DEVICE)
			p->seen[i] = 0;
	return 0;
}

static int section_unknown(struct parse *p, const char *name)
{
	char shown[CONFIG_SHOWN_MAX];

	config_value_escape(shown, sizeof(shown), name);
	for (size_t s = CONFIG_SEC_DAEMON; s <= CONFIG_SEC_DEVICE; s++)
		if (config_value_near(name, section_names[s]))
			return perr(p, NULL, "unknown section [%s]; did you mean [%s]?", shown,
				    section_names[s]);
	return perr(p, NULL,
		    "unknown section [%s]; the sections are [daemon], [control], [peer], "
		    "[tls], [limits] and [device \"NAME\"]",
		    shown);
}

/* A "[...]" line (trimmed, comments gone). */
static int section_open(struct parse *p, char *s)
{
	char *close = strchr(s, ']'), *name = s + 1, shown[CONFIG_SHOWN_MAX];

	p->sec = CONFIG_SEC_NONE;
	config_value_escape(shown, sizeof(shown), s);
	if (!close)
		return perr(p, NULL, "'%s' has no closing ']'", shown);
	if (close[1])
		return perr(p, NULL, "'%s' has text after ']'", shown);
	while (close > name && config_value_space(close[-1]))
		close--;
	*close = '\0';
	while (config_value_space(*name))
		name++;
	for (size_t i = CONFIG_SEC_DAEMON; i < CONFIG_SEC_DEVICE; i++) {
		if (strcmp(name, section_names[i]) == 0) {
			p->sec = (enum config_section)i;
			return 0;
		}
	}
	if (strncmp(name, "device", 6) == 0 &&
	    (!name[6] || config_value_space(name[6]) || name[6] == '"'))
		return device_open(p, name + 6);
	return section_unknown(p, name);
}

/* ---- lines and pairs -------------------------------------------------------------------- */

/* Removes indentation, comments ('#' or ';' first or after a blank) and trailing blanks. */
static char *line_strip(char *s)
{
	size_t len;

	while (config_value_space(*s))
		s++;
	for (char *q = s; *q; q++) {
		if ((*q == '#' || *q == ';') && (q == s || config_value_space(q[-1]))) {
			*q = '\0';
			break;
		}
	}
	len = strlen(s);
	while (len && config_value_space(s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* libinih's reader: hands over one line at a time; headers and errors never reach libinih. */
static char *on_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	char *s = p->pos, *nl;

	if (p->error || p->pos >= p->end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(p->end - s));
	if (nl)
		*nl = '\0';
	p->pos = nl ? nl + 1 : p->end;
	p->line++;
	if (p->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	s = line_strip(s);
	buf[0] = '\0';
	if (*s == '[')
		section_open(p, s);
	else if (strlen(s) >= (size_t)size)
		perr(p, NULL, "line is longer than %d characters; split a list over repeated keys",
		     size - 1);
	else if (*s && !strpbrk(s, "=:"))
		perr(p, NULL, "expected 'key = value', '[section]' or a comment");
	else
		memcpy(buf, s, strlen(s) + 1);
	return p->error ? NULL : buf;
}

static int key_unknown(struct parse *p, const char *name)
{
	char list[512] = "";
	size_t at = 0;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec == p->sec && config_value_near(name, keys[i].name))
			return perr(p, name, "unknown key; did you mean '%s'?", keys[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec == p->sec)
			config_value_append(list, sizeof(list), &at, "%s%s", at ? ", " : "",
					    keys[i].name);
	return perr(p, name, "unknown key; the keys here are %s", list);
}

/* One "key = value" line. */
static int pair_set(struct parse *p, const char *name, const char *value)
{
	size_t len = strlen(value), idx;
	const struct config_key *k;
	char *v;
	int r;

	if (!*name)
		return perr(p, NULL, "expected a key before '='");
	if (p->sec == CONFIG_SEC_NONE)
		return perr(p, name,
			    "key outside any section; put it under [daemon], [control], "
			    "[peer], [tls], [limits] or [device \"NAME\"]");
	if (!(k = key_find(p->sec, name)))
		return key_unknown(p, name);
	idx = (size_t)(k - keys);
	if (!(k->flags & CONFIG_K_LIST) && p->seen[idx])
		return perr(p, name, "set twice (first on line %u); only list keys may repeat",
			    p->seen[idx]);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
		v = strndup(value + 1, len - 2);
	else
		v = strdup(value);
	if (!v) {
		perr(p, name, "out of memory");
		return p->error = -ENOMEM;
	}
	r = value_apply(p, k, v, false);
	free(v);
	p->seen[idx] = p->line;
	return r;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	return !p->error && pair_set(p, name, value) == 0;
}

/* Parses text (modified in place, NUL at text[len]) into c. */
static int config_parse(struct config *c, char *text, size_t len, const char *origin,
			struct config_error *err)
{
	struct parse p = { .c = c, .err = err, .origin = origin, .pos = text, .end = text + len };
	int r = ini_parse_stream(on_line, &p, on_pair, &p);

	if (p.error)
		return p.error;
	if (r < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", origin);
		return -ENOMEM;
	}
	if (r > 0) {
		/* libinih saw a syntax error the reader let through; not expected, but say so */
		p.line = (unsigned int)r;
		p.sec = CONFIG_SEC_NONE;
		return perr(&p, NULL, "expected 'key = value'");
	}
	return 0;
}

static int source_set(struct config *c, const char *origin, struct config_error *err)
{
	char *copy = strdup(origin);

	if (!copy) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", origin);
		return -ENOMEM;
	}
	free(c->source);
	c->source = copy;
	return 0;
}

int config_load_string(struct config *c, const char *text, const char *origin,
		       struct config_error *err)
{
	struct config_error ignored;
	char *copy;
	int r;

	err = err ? err : &ignored;
	*err = (struct config_error){ 0 };
	origin = origin ? origin : "<string>";
	if ((r = source_set(c, origin, err)) < 0)
		return r;
	if (!(copy = strdup(text))) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", origin);
		return -ENOMEM;
	}
	r = config_parse(c, copy, strlen(copy), origin, err);
	free(copy);
	return r;
}

/* Reads at most CONFIG_FILE_MAX bytes of path into a NUL-terminated buffer. */
static int file_read(const char *path, char **ret, size_t *ret_len)
{
	size_t len = 0;
	char *buf;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return -errno;
	if (!(buf = malloc(CONFIG_FILE_MAX + 2))) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= CONFIG_FILE_MAX) {
		ssize_t n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (r == 0 && len > CONFIG_FILE_MAX)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int config_load(struct config *c, const char *path, struct config_error *err)
{
	struct config_error ignored;
	char *text = NULL, *nul;
	unsigned int line = 1;
	size_t len = 0;
	int r;

	err = err ? err : &ignored;
	*err = (struct config_error){ 0 };
	if ((r = source_set(c, path, err)) < 0)
		return r;
	if ((r = file_read(path, &text, &len)) < 0) {
		if (r == -EFBIG)
			snprintf(err->msg, sizeof(err->msg),
				 "%s: larger than %d KiB; is this the right file?", path,
				 CONFIG_FILE_MAX / 1024);
		else
			snprintf(err->msg, sizeof(err->msg), "%s: cannot read: %s", path,
				 strerror(-r));
		return r;
	}
	if ((nul = memchr(text, '\0', len))) {
		for (const char *s = text; s < nul; s++)
			line += *s == '\n';
		snprintf(err->msg, sizeof(err->msg),
			 "%s:%u: contains a NUL byte; is this a text file?", path, line);
		err->line = line;
		r = -EINVAL;
	} else {
		r = config_parse(c, text, len, path, err);
	}
	free(text);
	return r;
}

/* ---- config_set ------------------------------------------------------------------------- */

/* "section.key" or "device.NAME.key" -> the key and, for devices, the name. */
static const struct config_key *set_key_find(const char *dotted, char name[CONFIG_NAME_MAX + 2])
{
	const char *dot = strchr(dotted, '.'), *last = strrchr(dotted, '.');
	size_t len = last && last > dot ? (size_t)(last - dot - 1) : 0;

	name[0] = '\0';
	if (!dot)
		return NULL;
	if (dot - dotted == 6 && strncmp(dotted, "device", 6) == 0) {
		if (last == dot)
			return NULL;
		/* one character too many is kept, so that config_value_name_ok() refuses a long name */
		snprintf(name, CONFIG_NAME_MAX + 2, "%.*s",
			 (int)(len > CONFIG_NAME_MAX ? CONFIG_NAME_MAX + 1 : len), dot + 1);
		return key_find(CONFIG_SEC_DEVICE, last + 1);
	}
	for (size_t s = CONFIG_SEC_DAEMON; s < CONFIG_SEC_DEVICE; s++)
		if (strlen(section_names[s]) == (size_t)(dot - dotted) &&
		    strncmp(dotted, section_names[s], (size_t)(dot - dotted)) == 0)
			return key_find((enum config_section)s, dot + 1);
	return NULL;
}

static int set_unknown(struct parse *p)
{
	if (strncmp(p->dotted, "device.", 7) == 0)
		return perr(p, NULL,
			    "unknown key; device keys are device.NAME.backend, "
			    "device.NAME.path and device.NAME.spec");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec != CONFIG_SEC_DEVICE &&
		    config_value_near(p->dotted, keys[i].dotted))
			return perr(p, NULL, "unknown key; did you mean '%s'?", keys[i].dotted);
	return perr(p, NULL,
		    "unknown key; keys are SECTION.KEY or device.NAME.KEY (see "
		    "vfio-migd.conf.example)");
}

int config_set(struct config *c, const char *section_key, const char *value,
	       struct config_error *err)
{
	struct config_error ignored;
	struct parse p = { .c = c, .err = err ? err : &ignored, .dotted = section_key };
	char name[CONFIG_NAME_MAX + 2];
	const struct config_key *k = set_key_find(section_key, name);
	struct config_device *d;
	bool added = false;
	int r;

	*p.err = (struct config_error){ 0 };
	if (!k)
		return set_unknown(&p);
	if (k->sec == CONFIG_SEC_DEVICE) {
		if (!config_value_name_ok(name, CONFIG_NAME_MAX))
			return perr(&p, NULL, "not a device name (1-%d of A-Z a-z 0-9 . _ : -)",
				    CONFIG_NAME_MAX);
		if (!(d = device_find(c, name))) {
			if ((r = device_add(c, name, 0)) < 0)
				return perr(&p, NULL, "cannot add a device: %s", strerror(-r));
			added = true;
			d = &c->devices[c->n_devices - 1];
		}
		p.dev = (size_t)(d - c->devices);
	}
	r = value_apply(&p, k, value ? value : "", true);
	if (r < 0 && added)
		c->n_devices--;
	return r;
}

/* ---- config_validate -------------------------------------------------------------------- */

/* Fills err with "SOURCE[:LINE]: " (when known) and fmt; returns -EINVAL. */
__attribute__((format(printf, 4, 5))) static int verr(struct config_error *err,
						      const struct config *c, unsigned int line,
						      const char *fmt, ...)
{
	size_t at = 0;
	va_list ap;

	if (c->source && line)
		config_value_append(err->msg, sizeof(err->msg), &at, "%s:%u: ", c->source, line);
	else if (c->source)
		config_value_append(err->msg, sizeof(err->msg), &at, "%s: ", c->source);
	va_start(ap, fmt);
	if (at < sizeof(err->msg))
		vsnprintf(err->msg + at, sizeof(err->msg) - at, fmt, ap);
	va_end(ap);
	err->line = line;
	return -EINVAL;
}

/* Peer links are mutual TLS: once peers may connect either way, all of it must be there. */
static int tls_check(const struct config *c, struct config_error *err)
{
	const char *missing = !c->tls.ca     ? "ca"
			      : !c->tls.cert ? "cert"
			      : !c->tls.key  ? "key"
					     : NULL;
	const char *because = c->peer.listen.n ? "[peer] listen is set" : "[tls] is partly set";

	if (!c->peer.listen.n && !c->tls.ca && !c->tls.crl && !c->tls.cert && !c->tls.key &&
	    !c->tls.allow.n)
		return 0;
	if (missing)
		return verr(err, c, 0,
			    "[tls] %s: not set, but %s; peer links use mutual TLS and need ca, "
			    "cert and key",
			    missing, because);
	if (!c->tls.allow.n)
		return verr(err, c, 0,
			    "[tls] allow: empty, so no peer would be accepted; list the peers "
			    "(dns:NAME, uri:URI or sha256:HEX)");
	return 0;
}

/* Fills err for device d: "SOURCE:LINE: [device "NAME"] KEY: " or "device.NAME.KEY: ". */
static int derr(struct config_error *err, const struct config *c, const struct config_device *d,
		const char *key, const char *what)
{
	if (d->line)
		return verr(err, c, d->line, "[device \"%s\"] %s: %s", d->name, key, what);
	*err = (struct config_error){ 0 };
	snprintf(err->msg, sizeof(err->msg), "device.%s.%s: %s", d->name, key, what);
	return -EINVAL;
}

static int device_check(const struct config *c, const struct config_device *d,
			struct config_error *err)
{
	if (d->backend == CONFIG_BACKEND_NONE)
		return derr(err, c, d, "backend", "not set (sim or vfio)");
	if (d->backend == CONFIG_BACKEND_VFIO && !d->path)
		return derr(err, c, d, "path",
			    "not set; backend vfio needs a PCI address, an mdev UUID or a "
			    "/dev/vfio path");
	if (d->backend == CONFIG_BACKEND_VFIO && d->spec)
		return derr(err, c, d, "spec", "only for backend sim");
	if (d->backend == CONFIG_BACKEND_SIM && d->path)
		return derr(err, c, d, "path", "only for backend vfio");
	for (const struct config_device *o = c->devices; o < d; o++)
		if (d->path && o->path && strcmp(o->path, d->path) == 0)
			return derr(err, c, d, "path", "the same device as another [device]");
	return 0;
}

int config_validate(const struct config *c, struct config_error *err)
{
	struct config_error ignored;
	int r;

	err = err ? err : &ignored;
	*err = (struct config_error){ 0 };
	if (!c->daemon.host_identity ||
	    !config_value_name_ok(c->daemon.host_identity, CONFIG_HOST_MAX))
		return verr(err, c, 0,
			    "[daemon] host_identity: the host name is not usable as an identity "
			    "(1-%d of A-Z a-z 0-9 . _ : -); set host_identity",
			    CONFIG_HOST_MAX);
	if ((r = tls_check(c, err)) < 0)
		return r;
	for (size_t i = 0; i < c->n_devices; i++)
		if ((r = device_check(c, &c->devices[i], err)) < 0)
			return r;
	if (c->n_devices > c->limits.max_devices)
		return verr(err, c, 0, "[limits] max_devices: %u, but %zu devices are configured",
			    c->limits.max_devices, c->n_devices);
	return 0;
}

/* ---- init and free ---------------------------------------------------------------------- */

int config_init(struct config *c)
{
	char host[CONFIG_HOST_MAX + 2] = "";

	*c = (struct config){
		.daemon = { .log_level = LOG_LVL_INFO,
			    .log_target = CONFIG_LOG_AUTO,
			    .stop_timeout_ms = 30 * CONFIG_SEC_MS },
		.control = { .mode = 0660, .max_clients = 64 },
		.peer = { .connect_timeout_ms = 10 * CONFIG_SEC_MS,
			  .handshake_timeout_ms = 10 * CONFIG_SEC_MS,
			  .keepalive_interval_ms = 5 * CONFIG_SEC_MS,
			  .keepalive_count = 3,
			  .tcp_user_timeout_ms = 30 * CONFIG_SEC_MS,
			  .tcp_keepalive_idle_ms = 15 * CONFIG_SEC_MS,
			  .tcp_keepalive_interval_ms = 5 * CONFIG_SEC_MS,
			  .tcp_keepalive_count = 3 },
		.limits = { .max_jobs = 4,
			    .finished_job_ttl_ms = 10 * CONFIG_MIN_MS,
			    .dest_timeout_ms = 6 * CONFIG_HOUR_MS,
			    .max_devices = 256 },
	};
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	c->daemon.host_identity = strdup(host);
	c->daemon.state_dir = strdup(DEF_STATE_DIR);
	c->control.socket = strdup(DEF_SOCKET);
	c->control.group = strdup(DEF_GROUP);
	if (!c->daemon.host_identity || !c->daemon.state_dir || !c->control.socket ||
	    !c->control.group) {
		config_free(c);
		return -ENOMEM;
	}
	return 0;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_devices; i++)
		keys_clear(true, NULL, &c->devices[i]);
	free(c->devices);
	keys_clear(false, c, NULL);
	free(c->source);
	*c = (struct config){ 0 };
}
