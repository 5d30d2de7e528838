/*
 * sim_config.c - sim device configuration: defaults, the "key=value,..." parser and the
 * whole-configuration check.
 *
 * The parser works on a copy and writes the caller's configuration only when every key parsed
 * and the result passed sim_config_check(). Error messages name the key and the value and say
 * what was expected; they live in a thread-local buffer, so parsing is safe from any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

#define SIM_CONFIG_ITEM_MAX 256

static __thread char sim_config_err[256];

/* One key of the spec: its name, what a value looks like, and its parser. */
struct sim_config_key {
	const char *name;
	const char *expect; /* completes "expected ..." in error messages */
	int (*parse)(const char *val, struct sim_config *c);
};

void sim_config_init(struct sim_config *c)
{
	*c = (struct sim_config){
		.size = 64ULL << 20,
		.page_size = 4096,
		.mig_flags = FSM_F_ALL,
		.seed = 1,
		.dirty_rate = 0,
		.faults = {
			.fail_from = -1,
			.fail_to = -1,
			.fail_errno = EIO,
			.fail_to_error = false,
			.corrupt_at = -1,
			.slow_read_us = 0,
			.reset_at = -1,
			.slow_arc_ms = 0,
			.slow_from = -1,
			.slow_to = -1,
		},
	};
}

/* A decimal or 0x-hex unsigned number with nothing after it. */
static int sim_config_u64(const char *val, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (val[0] < '0' || val[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A number with an optional K, M, G or T suffix (binary units). */
static int sim_config_size(const char *val, uint64_t *ret)
{
	char num[32];
	size_t n = strlen(val);
	unsigned int shift;
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, val, n + 1);
	switch (val[n - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		shift = 0;
	}
	if (shift)
		num[n - 1] = '\0';
	if (sim_config_u64(num, &v) < 0)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

/* An offset: a size below INT64_MAX, or "none" / "-1" for no fault. */
static int sim_config_offset(const char *val, int64_t *ret)
{
	uint64_t v;

	if (strcasecmp(val, "none") == 0 || strcmp(val, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	if (sim_config_size(val, &v) < 0 || v > INT64_MAX)
		return -EINVAL;
	*ret = (int64_t)v;
	return 0;
}

static int sim_config_parse_size(const char *val, struct sim_config *c)
{
	return sim_config_size(val, &c->size);
}

static int sim_config_parse_page(const char *val, struct sim_config *c)
{
	uint64_t v;

	if (sim_config_size(val, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	c->page_size = (uint32_t)v;
	return 0;
}

static int sim_config_parse_flags(const char *val, struct sim_config *c)
{
	static const char *const names[] = { "stop_copy", "p2p", "pre_copy" };
	uint32_t flags = 0;
	const char *p = val;

	for (;;) {
		size_t n = strcspn(p, "|");
		unsigned int i;

		for (i = 0; i < 3; i++) {
			if (strlen(names[i]) == n && strncasecmp(p, names[i], n) == 0)
				break;
		}
		if (i == 3)
			return -EINVAL;
		flags |= 1u << i;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	c->mig_flags = flags;
	return 0;
}

static int sim_config_parse_seed(const char *val, struct sim_config *c)
{
	return sim_config_u64(val, &c->seed);
}

static int sim_config_parse_dirty_rate(const char *val, struct sim_config *c)
{
	return sim_config_size(val, &c->dirty_rate);
}

/* "FROM>TO" with state names into *from and *to, or "none" for -1 and -1. */
static int sim_config_arc(const char *val, int *ret_from, int *ret_to)
{
	char from[32];
	const char *gt = strchr(val, '>');
	enum fsm_state f, t;
	size_t n;

	if (strcasecmp(val, "none") == 0) {
		*ret_from = *ret_to = -1;
		return 0;
	}
	if (!gt || (n = (size_t)(gt - val)) >= sizeof(from))
		return -EINVAL;
	memcpy(from, val, n);
	from[n] = '\0';
	if (fsm_state_parse(from, &f) < 0 || fsm_state_parse(gt + 1, &t) < 0)
		return -EINVAL;
	*ret_from = (int)f;
	*ret_to = (int)t;
	return 0;
}

static int sim_config_parse_fail_arc(const char *val, struct sim_config *c)
{
	return sim_config_arc(val, &c->faults.fail_from, &c->faults.fail_to);
}

static int sim_config_parse_slow_arc(const char *val, struct sim_config *c)
{
	return sim_config_arc(val, &c->faults.slow_from, &c->faults.slow_to);
}

static int sim_config_parse_slow_arc_ms(const char *val, struct sim_config *c)
{
	uint64_t v;

	if (sim_config_u64(val, &v) < 0 || v > SIM_SLOW_ARC_MAX_MS)
		return -EINVAL;
	c->faults.slow_arc_ms = (uint32_t)v;
	return 0;
}

static int sim_config_parse_fail_errno(const char *val, struct sim_config *c)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "EIO", EIO },	      { "EINVAL", EINVAL },	  { "ENOMEM", ENOMEM },
		{ "EBUSY", EBUSY },   { "ENODEV", ENODEV },	  { "EAGAIN", EAGAIN },
		{ "EPERM", EPERM },   { "ETIMEDOUT", ETIMEDOUT }, { "EFAULT", EFAULT },
		{ "ENOSPC", ENOSPC }, { "EPROTO", EPROTO },	  { "ENXIO", ENXIO },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(val, names[i].name) == 0) {
			c->faults.fail_errno = names[i].value;
			return 0;
		}
	}
	if (sim_config_u64(val, &v) < 0 || v == 0 || v > 4095)
		return -EINVAL;
	c->faults.fail_errno = (int)v;
	return 0;
}

static int sim_config_parse_fail_to_error(const char *val, struct sim_config *c)
{
	if (strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0 || strcasecmp(val, "yes") == 0)
		c->faults.fail_to_error = true;
	else if (strcmp(val, "0") == 0 || strcasecmp(val, "false") == 0 ||
		 strcasecmp(val, "no") == 0)
		c->faults.fail_to_error = false;
	else
		return -EINVAL;
	return 0;
}

static int sim_config_parse_corrupt_at(const char *val, struct sim_config *c)
{
	return sim_config_offset(val, &c->faults.corrupt_at);
}

static int sim_config_parse_slow_read_us(const char *val, struct sim_config *c)
{
	uint64_t v;

	if (sim_config_u64(val, &v) < 0 || v > SIM_SLOW_READ_MAX_US)
		return -EINVAL;
	c->faults.slow_read_us = (uint32_t)v;
	return 0;
}

static int sim_config_parse_reset_at(const char *val, struct sim_config *c)
{
	return sim_config_offset(val, &c->faults.reset_at);
}

/* Every key the spec knows, with what its value must look like. */
static const struct sim_config_key sim_config_keys[] = {
	{ "size", "a byte count with optional K/M/G/T suffix", sim_config_parse_size },
	{ "page", "a byte count with optional K/M suffix", sim_config_parse_page },
	{ "flags", "stop_copy, p2p, pre_copy joined by '|'", sim_config_parse_flags },
	{ "seed", "an unsigned decimal or 0x-hex number", sim_config_parse_seed },
	{ "dirty_rate", "bytes per second with optional K/M/G/T suffix",
	  sim_config_parse_dirty_rate },
	{ "fail_arc", "FROM>TO with migration state names, or none", sim_config_parse_fail_arc },
	{ "fail_errno", "an errno name such as EIO or a number 1..4095",
	  sim_config_parse_fail_errno },
	{ "fail_to_error", "0 or 1", sim_config_parse_fail_to_error },
	{ "corrupt_at", "a stream offset with optional K/M/G/T suffix, or none",
	  sim_config_parse_corrupt_at },
	{ "slow_read_us", "microseconds, at most 10000000", sim_config_parse_slow_read_us },
	{ "reset_at", "a stream offset with optional K/M/G/T suffix, or none",
	  sim_config_parse_reset_at },
	{ "slow_arc_ms", "milliseconds, at most 60000", sim_config_parse_slow_arc_ms },
	{ "slow_arc", "FROM>TO with migration state names, or none", sim_config_parse_slow_arc },
};

static const struct sim_config_key *sim_config_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sim_config_keys) / sizeof(sim_config_keys[0]); i++) {
		if (strcmp(sim_config_keys[i].name, name) == 0)
			return &sim_config_keys[i];
	}
	return NULL;
}

/* Parses one "key=value" item of length n into c; on failure fills sim_config_err. */
static int sim_config_item(const char *item, size_t n, struct sim_config *c)
{
	char buf[SIM_CONFIG_ITEM_MAX];
	const struct sim_config_key *k;
	char *eq;

	if (n == 0 || n >= sizeof(buf)) {
		snprintf(sim_config_err, sizeof(sim_config_err),
			 n ? "sim config: item '%.40s...' is too long" : "sim config: empty item",
			 item);
		return -EINVAL;
	}
	memcpy(buf, item, n);
	buf[n] = '\0';
	eq = strchr(buf, '=');
	if (!eq) {
		snprintf(sim_config_err, sizeof(sim_config_err),
			 "sim config: '%.60s' is not key=value", buf);
		return -EINVAL;
	}
	*eq = '\0';
	k = sim_config_find(buf);
	if (!k) {
		snprintf(sim_config_err, sizeof(sim_config_err),
			 "sim config: unknown key '%.40s' (known: size, page, flags, seed, "
			 "dirty_rate, fail_arc, fail_errno, fail_to_error, corrupt_at, "
			 "slow_read_us, reset_at, slow_arc_ms, slow_arc)",
			 buf);
		return -EINVAL;
	}
	if (k->parse(eq + 1, c) < 0) {
		snprintf(sim_config_err, sizeof(sim_config_err),
			 "sim config: %s='%.60s' is invalid: expected %s", k->name, eq + 1,
			 k->expect);
		return -EINVAL;
	}
	return 0;
}

int sim_config_parse(const char *spec, struct sim_config *ret, const char **ret_err)
{
	struct sim_config c = *ret;
	const char *p = spec;
	const char *why;
	int r;

	/* An empty spec changes nothing; otherwise every comma separates two items. */
	while (*spec) {
		size_t n = strcspn(p, ",");

		r = sim_config_item(p, n, &c);
		if (r < 0)
			goto err;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	r = sim_config_check(&c, &why);
	if (r < 0) {
		snprintf(sim_config_err, sizeof(sim_config_err), "sim config: %s", why);
		goto err;
	}
	*ret = c;
	return 0;

err:
	if (ret_err)
		*ret_err = sim_config_err;
	return r;
}

/* Whether from -> to is a direct arc of a device with flags (or -1 -> -1: none). */
static bool sim_config_arc_ok(int from, int to, uint32_t flags)
{
	enum fsm_state next;

	if (from == -1 && to == -1)
		return true;
	if (from < 0 || from >= FSM_NSTATES || to < 0 || to >= FSM_NSTATES || from == to)
		return false;
	return fsm_next_step(from, to, flags, &next) == 0 && (int)next == to;
}

static int sim_config_check_faults(const struct sim_config *c, const char **ret_err)
{
	const struct sim_faults *f = &c->faults;

	if (!sim_config_arc_ok(f->fail_from, f->fail_to, c->mig_flags)) {
		*ret_err = "fail_arc is not a direct arc of a device with these flags";
		return -EINVAL;
	}
	if (!sim_config_arc_ok(f->slow_from, f->slow_to, c->mig_flags)) {
		*ret_err = "slow_arc is not a direct arc of a device with these flags";
		return -EINVAL;
	}
	if (f->slow_arc_ms > SIM_SLOW_ARC_MAX_MS) {
		*ret_err = "slow_arc_ms must be at most 60000";
		return -EINVAL;
	}
	if (f->fail_errno <= 0 || f->fail_errno > 4095) {
		*ret_err = "fail_errno must be a positive errno value";
		return -EINVAL;
	}
	if (f->corrupt_at < -1 || f->reset_at < -1) {
		*ret_err = "corrupt_at and reset_at must be an offset or -1";
		return -EINVAL;
	}
	if (f->slow_read_us > SIM_SLOW_READ_MAX_US) {
		*ret_err = "slow_read_us must be at most 10000000";
		return -EINVAL;
	}
	return 0;
}

int sim_config_check(const struct sim_config *c, const char **ret_err)
{
	const char *why = NULL;
	int r;

	if (c->page_size < 512 || c->page_size > (1u << 20) || (c->page_size & (c->page_size - 1)))
		why = "page must be a power of two from 512 to 1M";
	else if (c->size == 0)
		why = "size must be greater than 0";
	else if ((c->size - 1) / c->page_size >= SIM_NPAGES_MAX)
		why = "size is too large: at most 2^32 pages";
	else if (!fsm_flags_valid(c->mig_flags))
		why = "flags must include stop_copy";
	if (why) {
		if (ret_err)
			*ret_err = why;
		return -EINVAL;
	}
	r = sim_config_check_faults(c, &why);
	if (r < 0 && ret_err)
		*ret_err = why;
	return r;
}
