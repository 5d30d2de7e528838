/*
 * fsm.c - the kernel's VFIO migration state machine as tables and a stepping loop.
 *
 * Pure: no I/O, no allocation. The tables are those of drivers/vfio/vfio_main.c (mainline
 * since 6.2; 5.18-6.1 use the same entries restricted to states 0-5), written from the uAPI
 * description in vfio-migration-uapi.md 2.6. The one deliberate difference from the kernel:
 * the stepping loop stops at ERROR instead of spinning (STOP_COPY -> PRE_COPY[_P2P]).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fsm.h"

#define S_ERR FSM_ERROR
#define S_STP FSM_STOP
#define S_RUN FSM_RUNNING
#define S_SCP FSM_STOP_COPY
#define S_RES FSM_RESUMING
#define S_R2P FSM_RUNNING_P2P
#define S_PCP FSM_PRE_COPY
#define S_P2P FSM_PRE_COPY_P2P

/*
 * next_step[cur][target]: the first arc the kernel takes from cur towards target, assuming
 * every optional state is supported; unsupported intermediate states are skipped by applying
 * the table again from them (fsm_next_step). Columns are in enum order.
 */
static const unsigned char next_step[FSM_NSTATES][FSM_NSTATES] = {
	/*               ERROR  STOP   RUN    SCOPY  RESUM  R_P2P  PCOPY  PC_P2P */
	[S_ERR] = { S_ERR, S_ERR, S_ERR, S_ERR, S_ERR, S_ERR, S_ERR, S_ERR },
	[S_STP] = { S_ERR, S_STP, S_R2P, S_SCP, S_RES, S_R2P, S_R2P, S_R2P },
	[S_RUN] = { S_ERR, S_R2P, S_RUN, S_R2P, S_R2P, S_R2P, S_PCP, S_R2P },
	[S_SCP] = { S_ERR, S_STP, S_STP, S_SCP, S_STP, S_STP, S_ERR, S_ERR },
	[S_RES] = { S_ERR, S_STP, S_STP, S_STP, S_RES, S_STP, S_STP, S_STP },
	[S_R2P] = { S_ERR, S_STP, S_RUN, S_STP, S_STP, S_R2P, S_RUN, S_P2P },
	[S_PCP] = { S_ERR, S_RUN, S_RUN, S_P2P, S_RUN, S_RUN, S_PCP, S_P2P },
	[S_P2P] = { S_ERR, S_R2P, S_R2P, S_SCP, S_R2P, S_R2P, S_PCP, S_P2P },
};

/* Flags a device must report for each state to exist; ERROR can never be satisfied. */
static const uint32_t state_needs[FSM_NSTATES] = {
	[S_ERR] = ~0u,
	[S_STP] = FSM_F_STOP_COPY,
	[S_RUN] = FSM_F_STOP_COPY,
	[S_SCP] = FSM_F_STOP_COPY,
	[S_RES] = FSM_F_STOP_COPY,
	[S_R2P] = FSM_F_STOP_COPY | FSM_F_P2P,
	[S_PCP] = FSM_F_STOP_COPY | FSM_F_PRE_COPY,
	[S_P2P] = FSM_F_STOP_COPY | FSM_F_P2P | FSM_F_PRE_COPY,
};

static const char *const state_names[FSM_NSTATES] = {
	[S_ERR] = "ERROR",     [S_STP] = "STOP",	 [S_RUN] = "RUNNING",
	[S_SCP] = "STOP_COPY", [S_RES] = "RESUMING",	 [S_R2P] = "RUNNING_P2P",
	[S_PCP] = "PRE_COPY",  [S_P2P] = "PRE_COPY_P2P",
};

static bool state_in_range(int s)
{
	return s >= 0 && s < FSM_NSTATES;
}

const char *fsm_state_name(int state)
{
	return state_in_range(state) ? state_names[state] : "INVALID";
}

int fsm_state_parse(const char *name, enum fsm_state *ret)
{
	for (int s = 0; s < FSM_NSTATES; s++) {
		if (strcasecmp(name, state_names[s]) == 0) {
			*ret = (enum fsm_state)s;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fsm_flags_str(uint32_t flags, char *buf, unsigned long size)
{
	static const char *const names[] = { "STOP_COPY", "P2P", "PRE_COPY" };
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 3 && n < size; i++) {
		if (flags & (1u << i))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "|" : "", names[i]);
	}
	if ((flags & ~FSM_F_ALL) && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s0x%x", n ? "|" : "",
				      flags & ~FSM_F_ALL);
	if (n == 0 && size > 1)
		snprintf(buf, size, "none");
	return buf;
}

bool fsm_flags_valid(uint32_t flags)
{
	return (flags & FSM_F_STOP_COPY) && !(flags & ~FSM_F_ALL);
}

bool fsm_state_supported(int state, uint32_t flags)
{
	/* ERROR needs all-ones, which all-ones flags would satisfy: exclude it by name. */
	return state_in_range(state) && state != S_ERR && (state_needs[state] & ~flags) == 0;
}

int fsm_next_step(int cur, int target, uint32_t flags, enum fsm_state *ret_next)
{
	int next;

	if (!fsm_state_supported(cur, flags) || !fsm_state_supported(target, flags))
		return -EINVAL;
	next = next_step[cur][target];
	/* The kernel loops here without the ERROR check and spins forever on a blocked arc. */
	while (next != S_ERR && !fsm_state_supported(next, flags))
		next = next_step[next][target];
	if (next == S_ERR)
		return -EINVAL;
	*ret_next = (enum fsm_state)next;
	return 0;
}

int fsm_plan(int cur, int target, uint32_t flags, struct fsm_path *ret)
{
	struct fsm_path path = { 0 };
	enum fsm_state s;
	int at = cur;
	int r;

	if (!fsm_state_supported(cur, flags) || !fsm_state_supported(target, flags))
		return -EINVAL;
	while (at != target) {
		r = fsm_next_step(at, target, flags, &s);
		if (r < 0)
			return r;
		/* Cannot happen with the kernel's table; guards against a bad edit of it. */
		if (path.len == FSM_PATH_MAX)
			return -ELOOP;
		path.step[path.len++] = s;
		at = s;
	}
	*ret = path;
	return 0;
}

int fsm_validate(int cur, int target, uint32_t flags, const char **ret_reason)
{
	const char *why = NULL;
	struct fsm_path path;

	if (!fsm_flags_valid(flags))
		why = "the device reports no valid migration flags (STOP_COPY is mandatory)";
	else if (!state_in_range(target))
		why = "the requested state is not a VFIO migration state";
	else if (target == S_ERR)
		why = "ERROR is not a state that can be requested";
	else if (!fsm_state_supported(target, flags))
		why = "the device's migration flags do not include the requested state";
	else if (cur == S_ERR)
		why = "the device is in ERROR; only a device reset leaves it";
	else if (!fsm_state_supported(cur, flags))
		why = "the device is in a state its flags do not allow (driver bug)";
	else if (cur == S_SCP && (target == S_PCP || target == S_P2P))
		why = "STOP_COPY cannot go back to pre-copy (the kernel refuses or hangs)";
	else if (fsm_plan(cur, target, flags, &path) < 0)
		why = "no path leads from the current state to the requested one";
	if (ret_reason)
		*ret_reason = why;
	return why ? -EINVAL : 0;
}

bool fsm_is_saving(int state)
{
	return state == S_SCP || state == S_PCP || state == S_P2P;
}

bool fsm_is_running(int state)
{
	return state == S_RUN || state == S_R2P || state == S_PCP || state == S_P2P;
}

bool fsm_arc_opens_save(int from, int to)
{
	return (from == S_RUN && to == S_PCP) || (from == S_R2P && to == S_P2P) ||
	       (from == S_STP && to == S_SCP);
}

bool fsm_arc_opens_resume(int from, int to)
{
	return from == S_STP && to == S_RES;
}

bool fsm_arc_ends_session(int from, int to)
{
	if (!state_in_range(from) || !state_in_range(to))
		return false;
	if (from == S_RES)
		return to != S_RES;
	return fsm_is_saving(from) && !fsm_is_saving(to);
}
