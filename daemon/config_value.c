/*
 * config_value.c - the syntax of every kind of configuration value.
 *
 * Numbers, durations, sizes, booleans, names, paths, socket modes, addresses, peer identities,
 * uid lists and VFIO device paths. Pure string work: nothing is resolved, opened or checked
 * against the system. Each parser is strict (no signs, no blanks, no guessing between decimal
 * and binary units) and says what a right value looks like.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config_value.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define WORD_MAX 1024 /* one item of a list value */
#define SHOW_MAX CONFIG_SHOW_MAX

#define LISTEN_MAX   16
#define ALLOW_MAX    1024
#define UIDS_MAX     256
#define UID_MAX	     4294967294ULL /* (uid_t)-1 means "no uid" */
#define IDENTITY_MAX 510	   /* tls/ keeps an allow-list entry in 512 bytes */

/* ---- small helpers ---------------------------------------------------------------------- */

bool config_value_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_alnum(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int hex_value(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool all_of(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

/* Appends printf output at *at without overrunning size; *at may end past size (clamped). */
__attribute__((format(printf, 4, 5))) void config_value_append(char *buf, size_t size, size_t *at,
							       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, size - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

/* Writes v with anything but printable ASCII as \xNN, cut after SHOW_MAX characters. */
void config_value_escape(char *out, size_t size, const char *v)
{
	size_t at = 0, shown = 0;

	out[0] = '\0';
	for (; *v && shown < SHOW_MAX; v++, shown++) {
		unsigned char ch = (unsigned char)*v;

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			config_value_append(out, size, &at, "%c", ch);
		else
			config_value_append(out, size, &at, "\\x%02x", ch);
	}
	if (*v)
		config_value_append(out, size, &at, "...");
}

/* why = "'V' " + fmt. Returns -EINVAL so that parsers can return it. */
__attribute__((format(printf, 3, 4))) static int why_bad(char *why, const char *v, const char *fmt,
							 ...)
{
	char shown[CONFIG_SHOWN_MAX];
	size_t at = 0;
	va_list ap;

	config_value_escape(shown, sizeof(shown), v);
	config_value_append(why, CONFIG_WHY_MAX, &at, "'%s' ", shown);
	va_start(ap, fmt);
	if (at < CONFIG_WHY_MAX)
		vsnprintf(why + at, CONFIG_WHY_MAX - at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int why_oom(char *why)
{
	snprintf(why, CONFIG_WHY_MAX, "out of memory");
	return -ENOMEM;
}

/* Levenshtein distance, for "did you mean"; large for long strings. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* Close enough to be a typo of candidate. */
bool config_value_near(const char *typed, const char *candidate)
{
	size_t d = distance(typed, candidate);

	return d <= 2 && d < strlen(candidate);
}

/* ---- numbers, durations, sizes --------------------------------------------------------- */

/* Decimal digits at s; -EINVAL if none, -ERANGE past UINT64_MAX. */
static int u64_parse(const char *s, uint64_t *ret, const char **ret_end)
{
	uint64_t n = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	*ret = n;
	*ret_end = s;
	return 0;
}

struct unit {
	const char *name;
	uint64_t mult;
};

/* Table: duration suffixes to milliseconds; a bare number is seconds. */
static const struct unit duration_units[] = {
	{ "", CONFIG_SEC_MS },	 { "ms", 1 }, { "s", CONFIG_SEC_MS }, { "m", CONFIG_MIN_MS },
	{ "h", CONFIG_HOUR_MS },
};

/* Table: size suffixes (binary, any case). */
static const struct unit size_units[] = {
	{ "", 1 },
	{ "K", 1ULL << 10 },
	{ "KiB", 1ULL << 10 },
	{ "M", 1ULL << 20 },
	{ "MiB", 1ULL << 20 },
	{ "G", 1ULL << 30 },
	{ "GiB", 1ULL << 30 },
	{ "T", 1ULL << 40 },
	{ "TiB", 1ULL << 40 },
};

/* NUMBER[UNIT]: -EINVAL if not that shape, -ERANGE if it overflows. */
static int scaled_parse(const char *v, const struct unit *u, size_t n, bool fold, uint64_t *ret)
{
	const char *end;
	uint64_t x = 0;
	int r = u64_parse(v, &x, &end);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((fold ? strcasecmp(end, u[i].name) : strcmp(end, u[i].name)) != 0)
			continue;
		if (x > UINT64_MAX / u[i].mult)
			return -ERANGE;
		*ret = x * u[i].mult;
		return 0;
	}
	return -EINVAL;
}

static void show_uint(char *out, size_t size, uint64_t x)
{
	snprintf(out, size, "%llu", (unsigned long long)x);
}

/* The largest unit that divides ms exactly: 90000 -> "90s", 7200000 -> "2h". */
static void show_duration(char *out, size_t size, uint64_t ms)
{
	for (size_t i = ARRAY_SIZE(duration_units) - 1; ms && i > 0; i--) {
		if (ms % duration_units[i].mult == 0) {
			snprintf(out, size, "%llu%s",
				 (unsigned long long)(ms / duration_units[i].mult),
				 duration_units[i].name);
			return;
		}
	}
	show_uint(out, size, ms);
}

static void show_size(char *out, size_t size, uint64_t b)
{
	/* odd indices: the one-letter units, largest first */
	for (int i = (int)ARRAY_SIZE(size_units) - 2; b && i > 0; i -= 2) {
		if (b % size_units[i].mult == 0) {
			snprintf(out, size, "%llu%s", (unsigned long long)(b / size_units[i].mult),
				 size_units[i].name);
			return;
		}
	}
	show_uint(out, size, b);
}

typedef void show_fn(char *out, size_t size, uint64_t x);

/*
 * x within [min, max] (or 0 with CONFIG_K_ZERO_OK) and no overflow (r, from the number parser, not
 * -ERANGE); otherwise a reason naming the range.
 */
static int range_check(const struct config_key *k, int r, uint64_t x, const char *v, show_fn *show,
		       char *why)
{
	char lo[32], hi[32];

	if (r != -ERANGE &&
	    ((x == 0 && (k->flags & CONFIG_K_ZERO_OK)) || (x >= k->min && x <= k->max)))
		return 0;
	show(lo, sizeof(lo), k->min);
	show(hi, sizeof(hi), k->max);
	return why_bad(why, v, "is out of range (%s%s to %s)",
		       k->flags & CONFIG_K_ZERO_OK ? "0, or " : "", lo, hi);
}

int config_value_uint(const struct config_key *k, const char *v, void *field, char *why)
{
	const char *end;
	uint64_t x = 0;
	int r = u64_parse(v, &x, &end);

	assert(k->size == sizeof(unsigned int));
	if (r == -EINVAL || (r == 0 && *end))
		return why_bad(why, v, "is not a whole number");
	if ((r = range_check(k, r, x, v, show_uint, why)) < 0)
		return r;
	*(unsigned int *)field = (unsigned int)x;
	return 0;
}

int config_value_duration(const struct config_key *k, const char *v, void *field, char *why)
{
	uint64_t ms = 0;
	int r = scaled_parse(v, duration_units, ARRAY_SIZE(duration_units), false, &ms);

	assert(k->size == sizeof(uint64_t));
	if (r == -EINVAL)
		return why_bad(why, v, "is not a duration (examples: 5s, 500ms, 2m)");
	if (r == 0 && (k->flags & CONFIG_K_SECONDS) && ms % CONFIG_SEC_MS)
		return why_bad(why, v,
			       "is not a whole number of seconds (the kernel counts TCP "
			       "keepalive in seconds)");
	if ((r = range_check(k, r, ms, v, show_duration, why)) < 0)
		return r;
	*(uint64_t *)field = ms;
	return 0;
}

/* "100MB": decimal or binary? Refuse to guess. */
static bool size_ambiguous(const char *v)
{
	size_t len = strlen(v);

	return len >= 2 && strchr("kKmMgGtT", v[len - 2]) &&
	       (v[len - 1] == 'B' || v[len - 1] == 'b');
}

int config_value_size(const struct config_key *k, const char *v, void *field, char *why)
{
	uint64_t b = 0;
	int r;

	assert(k->size == sizeof(uint64_t));
	if ((k->flags & CONFIG_K_UNLIMITED) && strcasecmp(v, "unlimited") == 0) {
		*(uint64_t *)field = 0;
		return 0;
	}
	r = scaled_parse(v, size_units, ARRAY_SIZE(size_units), true, &b);
	if (r == -EINVAL && size_ambiguous(v))
		return why_bad(why, v, "is ambiguous; sizes are binary: write M or MiB, not MB");
	if (r == -EINVAL)
		return why_bad(why, v, "is not a size (examples: %s512K, 100M, 2G)",
			       k->flags & CONFIG_K_UNLIMITED ? "unlimited, " : "");
	if ((r = range_check(k, r, b, v, show_size, why)) < 0)
		return r;
	*(uint64_t *)field = b;
	return 0;
}

/* Table: the words a boolean may be written as. */
static const struct {
	const char *word;
	bool value;
} bool_words[] = {
	{ "yes", true }, { "no", false },  { "true", true }, { "false", false },
	{ "on", true },	 { "off", false }, { "1", true },    { "0", false },
};

int config_value_bool(const struct config_key *k, const char *v, void *field, char *why)
{
	assert(k->size == sizeof(bool));
	for (size_t i = 0; i < ARRAY_SIZE(bool_words); i++) {
		if (strcasecmp(v, bool_words[i].word) == 0) {
			*(bool *)field = bool_words[i].value;
			return 0;
		}
	}
	return why_bad(why, v, "is not a boolean (yes/no, true/false, on/off, 1/0)");
}

/* ---- names, enums, paths --------------------------------------------------------------- */

int config_value_log_level(const struct config_key *k, const char *v, void *field, char *why)
{
	enum log_level level;

	if (log_level_parse(v, &level) < 0)
		return why_bad(why, v, "is not a log level (err, warning, notice, info, debug)");
	*(enum log_level *)field = level;
	return 0;
}

int config_value_log_target(const struct config_key *k, const char *v, void *field, char *why)
{
	static const char *const names[] = {
		[CONFIG_LOG_AUTO] = "auto",
		[CONFIG_LOG_STDERR] = "stderr",
		[CONFIG_LOG_JOURNAL] = "journal",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(v, names[i]) == 0) {
			*(enum config_log_target *)field = (enum config_log_target)i;
			return 0;
		}
	}
	return why_bad(why, v, "is not a log target (stderr, journal or auto)");
}

int config_value_backend(const struct config_key *k, const char *v, void *field, char *why)
{
	if (strcmp(v, "sim") == 0)
		*(enum config_backend *)field = CONFIG_BACKEND_SIM;
	else if (strcmp(v, "vfio") == 0)
		*(enum config_backend *)field = CONFIG_BACKEND_VFIO;
	else
		return why_bad(why, v, "is not a backend (sim or vfio)");
	return 0;
}

void config_value_clear_str(void *field)
{
	char **s = field;

	free(*s);
	*s = NULL;
}

/* Replaces the string in field with a copy of v. */
static int str_set(void *field, const char *v, char *why)
{
	char *copy = strdup(v);

	if (!copy)
		return why_oom(why);
	config_value_clear_str(field);
	*(char **)field = copy;
	return 0;
}

/* Host identities and device names: 1-max of [A-Za-z0-9._:-]. */
bool config_value_name_ok(const char *v, size_t max)
{
	size_t len = strlen(v);

	return len >= 1 && len <= max && all_of(v, len, "._:-");
}

int config_value_host_identity(const struct config_key *k, const char *v, void *field, char *why)
{
	if (!config_value_name_ok(v, CONFIG_HOST_MAX))
		return why_bad(why, v, "is not a host identity (1-%d of A-Z a-z 0-9 . _ : -)",
			       CONFIG_HOST_MAX);
	return str_set(field, v, why);
}

static int path_check(const char *v, size_t max, char *why)
{
	if (!*v)
		return why_bad(why, v, "is empty; an absolute path is needed");
	if (v[0] != '/')
		return why_bad(why, v, "is not an absolute path");
	for (const char *s = v; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return why_bad(why, v, "contains control characters");
	if (strlen(v) > max)
		return why_bad(why, v, "is too long (at most %zu bytes)", max);
	return 0;
}

int config_value_path(const struct config_key *k, const char *v, void *field, char *why)
{
	int r = path_check(v, PATH_MAX - 1, why);

	return r < 0 ? r : str_set(field, v, why);
}

/* An optional path: empty unsets it. */
int config_value_path_opt(const struct config_key *k, const char *v, void *field, char *why)
{
	if (!*v) {
		config_value_clear_str(field);
		return 0;
	}
	return config_value_path(k, v, field, why);
}

int config_value_socket(const struct config_key *k, const char *v, void *field, char *why)
{
	int r = path_check(v, sizeof(((struct sockaddr_un *)0)->sun_path) - 1, why);

	return r < 0 ? r : str_set(field, v, why);
}

/* A group name as useradd(8) takes it, a numeric gid, or empty. */
int config_value_group(const struct config_key *k, const char *v, void *field, char *why)
{
	size_t len = strlen(v);
	const char *end;
	uint64_t gid;

	if (len && is_digit(v[0])) {
		if (u64_parse(v, &gid, &end) < 0 || *end || gid > UID_MAX)
			return why_bad(why, v, "is not a group id (0 to %llu)", UID_MAX);
	} else if (len > 32 || (len && (v[0] == '-' || v[0] == '.')) || !all_of(v, len, "_.-")) {
		return why_bad(why, v, "is not a group name (up to 32 of A-Z a-z 0-9 _ . -)");
	}
	return str_set(field, v, why);
}

int config_value_mode(const struct config_key *k, const char *v, void *field, char *why)
{
	size_t len = strlen(v);
	unsigned int mode = 0;

	if (len < 1 || len > 4 || strspn(v, "01234567") != len)
		return why_bad(why, v, "is not an octal mode (e.g. 0660)");
	for (size_t i = 0; i < len; i++)
		mode = mode * 8 + (unsigned int)(v[i] - '0');
	if (mode > 0777)
		return why_bad(why, v, "has bits other than permissions (at most 0777)");
	if (mode & 0002)
		return why_bad(why, v,
			       "lets every local user connect and drive devices; use 0660 "
			       "and [control] group");
	*(unsigned int *)field = mode;
	return 0;
}

/* ---- addresses -------------------------------------------------------------------------- */

/* RFC 1123 host name: dot-separated labels of 1-63 letters, digits and inner hyphens. */
static bool hostname_ok(const char *h)
{
	size_t len = strlen(h), label = 0;

	if (len == 0 || len > CONFIG_HOST_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (h[i] == '.' || h[i] == '\0') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(h[i]) || (h[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* A port, 1-65535; 0 too when min is 0 (a listener on a port the kernel picks). */
static int port_parse(const char *s, uint16_t min, uint16_t *ret)
{
	const char *end;
	uint64_t n;

	if (u64_parse(s, &n, &end) < 0 || *end || n < min || n > 65535)
		return -EINVAL;
	*ret = (uint16_t)n;
	return 0;
}

/* "[IPV6[%SCOPE]]:PORT" */
static int addr6_parse(const char *w, uint16_t min_port, struct config_addr *ret, char *why)
{
	const char *close = strchr(w, ']');
	char ip[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;
	size_t len, iplen;

	if (!close)
		return why_bad(why, w, "has an unclosed '['");
	len = (size_t)(close - w - 1);
	iplen = strcspn(w + 1, "%]");
	if (iplen >= sizeof(ip) || len - iplen > 16 ||
	    (iplen < len && (len - iplen < 2 || !all_of(w + 2 + iplen, len - iplen - 1, "_.-"))))
		return why_bad(why, w, "has an invalid IPv6 address");
	memcpy(ip, w + 1, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET6, ip, &a) != 1)
		return why_bad(why, w, "has an invalid IPv6 address");
	if (close[1] != ':')
		return why_bad(why, w,
			       close[1] ? "has text after ']' where ':PORT' belongs"
					: "has no port (e.g. [::]:7790)");
	if (port_parse(close + 2, min_port, &ret->port) < 0)
		return why_bad(why, w, "has an invalid port (%u to 65535)", min_port);
	memcpy(ret->host, w + 1, len);
	ret->host[len] = '\0';
	ret->family = AF_INET6;
	return 0;
}

/* "HOST:PORT", "[IPV6]:PORT"; HOST an IPv4 address or a host name. */
static int addr_parse(const char *w, uint16_t min_port, struct config_addr *ret, char *why)
{
	const char *colon = strrchr(w, ':');
	size_t len = colon ? (size_t)(colon - w) : 0;
	struct in_addr a;

	*ret = (struct config_addr){ 0 };
	if (w[0] == '[')
		return addr6_parse(w, min_port, ret, why);
	if (!colon)
		return why_bad(why, w, "has no port (HOST:PORT, e.g. 0.0.0.0:7790)");
	if (memchr(w, ':', len))
		return why_bad(why, w,
			       "looks like an IPv6 address: put it in brackets "
			       "(e.g. [::1]:7790)");
	if (len == 0)
		return why_bad(why, w,
			       "has no host (0.0.0.0:PORT or [::]:PORT listen on every "
			       "address)");
	if (len > CONFIG_HOST_MAX)
		return why_bad(why, w, "has a host name longer than %d", CONFIG_HOST_MAX);
	memcpy(ret->host, w, len);
	ret->host[len] = '\0';
	ret->family = AF_UNSPEC;
	if (strspn(ret->host, "0123456789.") == len) {
		if (inet_pton(AF_INET, ret->host, &a) != 1)
			return why_bad(why, w, "has an invalid IPv4 address");
		ret->family = AF_INET;
	} else if (!hostname_ok(ret->host)) {
		return why_bad(why, w, "has an invalid host name");
	}
	if (port_parse(colon + 1, min_port, &ret->port) < 0)
		return why_bad(why, w, "has an invalid port (%u to 65535)", min_port);
	return 0;
}

static bool addr_loopback(const struct config_addr *a)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (a->family == AF_INET)
		return inet_pton(AF_INET, a->host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
	if (a->family == AF_INET6)
		return inet_pton(AF_INET6, a->host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	return strcasecmp(a->host, "localhost") == 0;
}

int config_value_metrics(const struct config_key *k, const char *v, void *field, char *why)
{
	struct config_addr a = { 0 };
	int r;

	if (*v && strcmp(v, "off") != 0) {
		/* port 0: the kernel picks one, the log says which (tests use it) */
		if ((r = addr_parse(v, 0, &a, why)) < 0)
			return r;
		if (!addr_loopback(&a))
			return why_bad(why, v,
				       "is not a loopback address; metrics have no "
				       "authentication (use 127.0.0.1:PORT or [::1]:PORT)");
	}
	*(struct config_addr *)field = a;
	return 0;
}

/* ---- lists ------------------------------------------------------------------------------ */

typedef int item_fn(const char *w, void *field, char *why);

/* Calls item for each space-separated word of v, stopping at the first failure. */
static int words_each(const char *v, item_fn *item, void *field, char *why)
{
	char w[WORD_MAX + 1];
	int r;

	for (;;) {
		size_t len;

		while (config_value_space(*v))
			v++;
		if (!*v)
			return 0;
		len = strcspn(v, " \t\r\v\f");
		memcpy(w, v, len < WORD_MAX ? len : WORD_MAX);
		w[len < WORD_MAX ? len : WORD_MAX] = '\0';
		if (len > WORD_MAX)
			return why_bad(why, w, "is too long");
		if ((r = item(w, field, why)) < 0)
			return r;
		v += len;
	}
}

void config_value_clear_addrs(void *field)
{
	struct config_addrs *l = field;

	free(l->v);
	*l = (struct config_addrs){ 0 };
}

static int addrs_item(const char *w, void *field, char *why)
{
	struct config_addrs *l = field;
	struct config_addr a, *v;
	/* port 0: the kernel picks a free port, logged and shown in daemon info */
	int r = addr_parse(w, 0, &a, why);

	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++)
		if (a.port != 0 && l->v[i].port == a.port && strcmp(l->v[i].host, a.host) == 0)
			return why_bad(why, w, "is listed twice");
	if (l->n == LISTEN_MAX)
		return why_bad(why, w, "is one address too many (at most %d)", LISTEN_MAX);
	if (!(v = reallocarray(l->v, l->n + 1, sizeof(*v))))
		return why_oom(why);
	l->v = v;
	l->v[l->n++] = a;
	return 0;
}

/* The list keys add to what is there; on failure nothing is added. */
int config_value_addrs(const struct config_key *k, const char *v, void *field, char *why)
{
	struct config_addrs *l = field;
	size_t old = l->n;
	int r = words_each(v, addrs_item, l, why);

	if (r < 0)
		l->n = old;
	return r;
}

void config_value_clear_uids(void *field)
{
	struct config_uids *l = field;

	free(l->v);
	*l = (struct config_uids){ 0 };
}

static int uids_item(const char *w, void *field, char *why)
{
	struct config_uids *l = field;
	const char *end;
	uint64_t uid;
	uid_t *v;

	if (u64_parse(w, &uid, &end) < 0 || *end || uid > UID_MAX)
		return why_bad(why, w,
			       "is not a user id (a number from 0 to %llu; names are not "
			       "accepted)",
			       UID_MAX);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == (uid_t)uid)
			return why_bad(why, w, "is listed twice");
	if (l->n == UIDS_MAX)
		return why_bad(why, w, "is one uid too many (at most %d)", UIDS_MAX);
	if (!(v = reallocarray(l->v, l->n + 1, sizeof(*v))))
		return why_oom(why);
	l->v = v;
	l->v[l->n++] = (uid_t)uid;
	return 0;
}

int config_value_uids(const struct config_key *k, const char *v, void *field, char *why)
{
	struct config_uids *l = field;
	size_t old = l->n;
	int r = words_each(v, uids_item, l, why);

	if (r < 0)
		l->n = old;
	return r;
}

/* 32 bytes as 64 hex digits, or as 32 pairs joined by ':' (openssl's fingerprint form). */
static bool sha256_parse(const char *s, uint8_t out[32])
{
	size_t len = strlen(s), step = len == 95 ? 3 : 2;

	if (len != 64 && len != 95)
		return false;
	for (size_t i = 0; i < 32; i++, s += step) {
		int hi = hex_value(s[0]), lo = hex_value(s[1]);

		if (hi < 0 || lo < 0 || (step == 3 && i < 31 && s[2] != ':'))
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* scheme ":" rest, RFC 3986 scheme, printable non-space rest. */
static bool uri_ok(const char *u)
{
	size_t scheme = strcspn(u, ":");

	if (scheme == 0 || !u[scheme] || !u[scheme + 1] || !is_alnum(u[0]) || is_digit(u[0]) ||
	    !all_of(u, scheme, "+.-"))
		return false;
	for (const char *s = u + scheme + 1; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* "kind:" + rest as a new string, the prefix in lower case. */
static char *entry_make(const char *kind, const char *rest)
{
	char *e;

	return asprintf(&e, "%s:%s", kind, rest) < 0 ? NULL : e;
}

static int identity_parse(const char *w, struct config_identity *id, char *why)
{
	char hex[65];

	*id = (struct config_identity){ 0 };
	if (strlen(w) > IDENTITY_MAX)
		return why_bad(why, w, "is too long (at most %d characters)", IDENTITY_MAX);
	if (strncasecmp(w, "dns:", 4) == 0) {
		if (strchr(w + 4, '*'))
			return why_bad(why, w, "has a wildcard; list each peer's name");
		if (!hostname_ok(w + 4))
			return why_bad(why, w, "has an invalid DNS name");
		id->kind = CONFIG_ID_DNS;
		if ((id->entry = entry_make("dns", w + 4)))
			for (char *s = id->entry; *s; s++)
				*s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
	} else if (strncasecmp(w, "uri:", 4) == 0) {
		if (!uri_ok(w + 4))
			return why_bad(why, w,
				       "has an invalid URI (e.g. uri:spiffe://example.org/hv1)");
		id->kind = CONFIG_ID_URI;
		id->entry = entry_make("uri", w + 4);
	} else if (strncasecmp(w, "sha256:", 7) == 0) {
		if (!sha256_parse(w + 7, id->sha256))
			return why_bad(why, w,
				       "is not a SHA-256 fingerprint (64 hex digits, or 32 pairs "
				       "joined by ':')");
		for (size_t i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", id->sha256[i]);
		id->kind = CONFIG_ID_SHA256;
		id->entry = entry_make("sha256", hex);
	} else {
		return why_bad(why, w, "is not a peer identity (dns:NAME, uri:URI or sha256:HEX)");
	}
	return id->entry ? 0 : why_oom(why);
}

void config_value_clear_identities(void *field)
{
	struct config_identities *l = field;

	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].entry);
	free(l->v);
	*l = (struct config_identities){ 0 };
}

static int identities_item(const char *w, void *field, char *why)
{
	struct config_identities *l = field;
	struct config_identity id, *v;
	int r = identity_parse(w, &id, why);

	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].kind == id.kind && strcmp(l->v[i].entry, id.entry) == 0) {
			free(id.entry);
			return why_bad(why, w, "is listed twice");
		}
	}
	if (l->n == ALLOW_MAX || !(v = reallocarray(l->v, l->n + 1, sizeof(*v)))) {
		free(id.entry);
		if (l->n == ALLOW_MAX)
			return why_bad(why, w, "is one identity too many (at most %d)", ALLOW_MAX);
		return why_oom(why);
	}
	l->v = v;
	l->v[l->n++] = id;
	return 0;
}

int config_value_identities(const struct config_key *k, const char *v, void *field, char *why)
{
	struct config_identities *l = field;
	size_t old = l->n;
	int r = words_each(v, identities_item, l, why);

	while (r < 0 && l->n > old)
		free(l->v[--l->n].entry);
	return r;
}

/* ---- device paths ----------------------------------------------------------------------- */

/* 1 to max hex digits at *s; advances *s. The caller checks the separator that follows. */
static bool hex_field(const char **s, size_t max, unsigned long *ret)
{
	size_t n = 0;

	*ret = 0;
	while (n < max && hex_value(**s) >= 0) {
		*ret = *ret * 16 + (unsigned long)hex_value(**s);
		(*s)++;
		n++;
	}
	return n > 0;
}

/* "[DOMAIN:]BUS:DEV.FN" (hex) -> "dddd:bb:dd.f"; false if s is not one. */
static bool pci_norm(const char *s, char *out, size_t size)
{
	unsigned long f[4] = { 0 };
	const char *p = s;
	bool domain = strchr(s, ':') != strrchr(s, ':');

	if ((domain && (!hex_field(&p, 8, &f[0]) || *p++ != ':')) || !hex_field(&p, 2, &f[1]) ||
	    *p++ != ':' || !hex_field(&p, 2, &f[2]) || *p++ != '.' || !hex_field(&p, 1, &f[3]) ||
	    *p || f[2] > 0x1f || f[3] > 7)
		return false;
	snprintf(out, size, "%04lx:%02lx:%02lx.%lx", f[0], f[1], f[2], f[3]);
	return true;
}

/* An mdev UUID, 8-4-4-4-12 hex digits -> lower case. */
static bool uuid_norm(const char *s, char *out, size_t size)
{
	if (strlen(s) != 36 || size < 37)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : hex_value(s[i]) < 0)
			return false;
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	}
	out[36] = '\0';
	return true;
}

static bool sysfs_name_norm(const char *s, char *out, size_t size)
{
	return pci_norm(s, out, size) || uuid_norm(s, out, size);
}

/* Digits, at most 10, then *end. */
static bool number_at(const char *s, const char **end)
{
	size_t n = strspn(s, "0123456789");

	*end = s + n;
	return n >= 1 && n <= 10;
}

/* The forms struct config_device.path documents, normalised into out. */
static bool vfio_path_norm(const char *v, char *out, size_t size)
{
	static const char group[] = "/dev/vfio/", cdev[] = "/dev/vfio/devices/vfio";
	char dev[64];
	const char *end;

	if (strncmp(v, cdev, sizeof(cdev) - 1) == 0)
		return number_at(v + sizeof(cdev) - 1, &end) && !*end &&
		       snprintf(out, size, "%s", v) < (int)size;
	if (strncmp(v, group, sizeof(group) - 1) == 0) {
		if (!number_at(v + sizeof(group) - 1, &end) ||
		    (*end && (*end != ':' || !sysfs_name_norm(end + 1, dev, sizeof(dev)))))
			return false;
		snprintf(out, size, "%.*s%s%s", (int)(end - v), v, *end ? ":" : "",
			 *end ? dev : "");
		return true;
	}
	return sysfs_name_norm(v, out, size);
}

int config_value_vfio_path(const struct config_key *k, const char *v, void *field, char *why)
{
	char norm[128];

	if (strlen(v) >= sizeof(norm) - 16 || !vfio_path_norm(v, norm, sizeof(norm)))
		return why_bad(why, v,
			       "is not a VFIO device (a PCI address like 0000:3b:00.1, an "
			       "mdev UUID, /dev/vfio/N[:DEVICE] or /dev/vfio/devices/vfioN)");
	return str_set(field, norm, why);
}

/* The sim backend parses the spec; here only: printable, no spaces. Empty unsets it. */
int config_value_sim_spec(const struct config_key *k, const char *v, void *field, char *why)
{
	for (const char *s = v; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return why_bad(why, v,
				       "is not a sim spec (e.g. size=256M,flags=stop_copy|"
				       "pre_copy; printable, no spaces)");
	if (!*v) {
		config_value_clear_str(field);
		return 0;
	}
	return str_set(field, v, why);
}
