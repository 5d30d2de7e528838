/*
 * fsm.h - the VFIO migration state machine as data.
 *
 * Owns: the eight migration states with the kernel's numbering, the flag gates, the kernel's
 * next-step table, path planning and request validation. Pure: no I/O, no allocation, no
 * global state, safe from any thread.
 *
 * The next-step function agrees with the kernel's vfio_mig_get_next_state() for every
 * (current, target, flags) except one: where the kernel would loop forever (STOP_COPY to
 * PRE_COPY or PRE_COPY_P2P on a pre-copy device, see vfio-migration-uapi.md 2.6) it refuses
 * with -EINVAL, which is what the fixed kernel answers.
 */
#ifndef VFIO_MIGD_DEVICE_FSM_H
#define VFIO_MIGD_DEVICE_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* Migration states; the values are the kernel's enum vfio_device_mig_state. */
enum fsm_state {
	FSM_ERROR = 0,	      /* failed; only a device reset leaves it; never a target */
	FSM_STOP = 1,	      /* stopped, no session */
	FSM_RUNNING = 2,      /* fully running (after open and after reset) */
	FSM_STOP_COPY = 3,    /* stopped, save session streams the full state, then EOF */
	FSM_RESUMING = 4,     /* stopped, resume session accepts a saved stream */
	FSM_RUNNING_P2P = 5,  /* running, initiates no new P2P DMA (needs P2P) */
	FSM_PRE_COPY = 6,     /* running, save session streams initial then dirty state */
	FSM_PRE_COPY_P2P = 7, /* PRE_COPY with P2P quiesced (needs P2P and PRE_COPY) */
};

#define FSM_NSTATES 8

/* Migration flags; the values are the kernel's VFIO_MIGRATION_* bits. */
enum fsm_flag {
	FSM_F_STOP_COPY = 1u << 0, /* STOP, STOP_COPY, RESUMING; mandatory */
	FSM_F_P2P = 1u << 1,	   /* RUNNING_P2P (and PRE_COPY_P2P with PRE_COPY) */
	FSM_F_PRE_COPY = 1u << 2,  /* PRE_COPY (and PRE_COPY_P2P with P2P) */
};

#define FSM_F_ALL (FSM_F_STOP_COPY | FSM_F_P2P | FSM_F_PRE_COPY)

/* Longest path any request can take (five arcs, e.g. PRE_COPY -> RESUMING with P2P). */
#define FSM_PATH_MAX 8

/* The states a request passes through, after the current one, ending with the target. */
struct fsm_path {
	unsigned int len;
	enum fsm_state step[FSM_PATH_MAX];
};

/* Name of a state ("STOP_COPY"), or "INVALID" for a value outside the enum. */
const char *fsm_state_name(int state);

/* Parses a state name, case-insensitively ("running", "PRE_COPY_P2P"). -EINVAL if unknown. */
int fsm_state_parse(const char *name, enum fsm_state *ret);

/*
 * Writes the flag names joined by '|' ("STOP_COPY|P2P") into buf; returns buf. An unknown bit
 * appears as its hex value.
 */
const char *fsm_flags_str(uint32_t flags, char *buf, unsigned long size);

/* True when flags holds STOP_COPY and no bit beyond FSM_F_ALL: a set a device may report. */
bool fsm_flags_valid(uint32_t flags);

/* True when a device with these flags supports state s (ERROR never is). */
bool fsm_state_supported(int state, uint32_t flags);

/*
 * One step of the kernel's algorithm: the next state on the way from cur to target.
 * Returns 0 and *ret_next, or -EINVAL when cur or target is out of range or unsupported, when
 * target is ERROR, or when the path is blocked (STOP_COPY -> PRE_COPY[_P2P]). cur == target
 * gives *ret_next == target. *ret_next is not written on failure.
 */
int fsm_next_step(int cur, int target, uint32_t flags, enum fsm_state *ret_next);

/*
 * The whole arc sequence from cur to target. Returns 0 and fills *ret (len 0 when
 * cur == target), or the -EINVAL of fsm_next_step. *ret is not written on failure.
 */
int fsm_plan(int cur, int target, uint32_t flags, struct fsm_path *ret);

/*
 * Validates a user request. Returns 0, or -EINVAL with *ret_reason (may be NULL) set to a
 * static sentence naming the rule that refuses it ("ERROR is not a state that can be
 * requested", ...).
 */
int fsm_validate(int cur, int target, uint32_t flags, const char **ret_reason);

/* True for PRE_COPY, PRE_COPY_P2P and STOP_COPY: the states that share one save session. */
bool fsm_is_saving(int state);

/* True for states in which the device runs (RUNNING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P). */
bool fsm_is_running(int state);

/* True when the direct arc from -> to opens a new save session (returns a data fd). */
bool fsm_arc_opens_save(int from, int to);

/* True when the direct arc from -> to opens a resume session (STOP -> RESUMING). */
bool fsm_arc_opens_resume(int from, int to);

/* True when the direct arc from -> to ends the open session (leaves saving group or RESUMING). */
bool fsm_arc_ends_session(int from, int to);

#endif
