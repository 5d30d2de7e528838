/*
 * fsm_oracle.c - the FSM oracle of fsm_oracle.h, transcribed from vfio-migration-uapi.md:
 * the doc's tables (2.1, 2.6), the kernel's next-step algorithm (2.6) with its step-3 loop
 * bounded, and the direct arcs of 2.2/2.3/2.6 with a shortest-path search over them.
 *
 * Deliberately does not include fsm.h: nothing here may be derived from the code under test.
 * No I/O, no mutable state; safe from any thread. Internal inconsistencies (a state missing
 * from the doc's table order, a path that does not converge) fail the running Check test.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "fsm_oracle.h"

/* State names as the doc spells them, by value. */
const char *const k_names[K_NSTATES] = {
	[K_ERROR] = "ERROR",	   [K_STOP] = "STOP",
	[K_RUNNING] = "RUNNING",   [K_STOP_COPY] = "STOP_COPY",
	[K_RESUMING] = "RESUMING", [K_RUNNING_P2P] = "RUNNING_P2P",
	[K_PRE_COPY] = "PRE_COPY", [K_PRE_COPY_P2P] = "PRE_COPY_P2P",
};

/* 2.1's "required migration flags" column, by value; ERROR's is all-ones (2.1, 2.6). */
static const uint32_t k_need[K_NSTATES] = {
	[K_ERROR] = 0xffffffffu,
	[K_STOP] = K_F_STOP_COPY,
	[K_RUNNING] = K_F_STOP_COPY,
	[K_STOP_COPY] = K_F_STOP_COPY,
	[K_RESUMING] = K_F_STOP_COPY,
	[K_RUNNING_P2P] = K_F_STOP_COPY | K_F_P2P,
	[K_PRE_COPY] = K_F_STOP_COPY | K_F_PRE_COPY,
	[K_PRE_COPY_P2P] = K_F_STOP_COPY | K_F_P2P | K_F_PRE_COPY,
};

/* The row and column order of 2.6's table: STOP .. PRE_COPY_P2P, then ERROR last. */
static const enum k_state k_order[K_NSTATES] = {
	K_STOP,	       K_RUNNING,  K_STOP_COPY,	   K_RESUMING,
	K_RUNNING_P2P, K_PRE_COPY, K_PRE_COPY_P2P, K_ERROR,
};

/* 2.6's next-step table T[cur][target], transcribed row by row in the doc's layout. */
/* clang-format off */
static const enum k_state k_doc_table[K_NSTATES][K_NSTATES] = {
/* cur \ target       STOP           RUNNING        STOP_COPY       RESUMING       RUNNING_P2P    PRE_COPY        PRE_COPY_P2P    ERROR */
/* STOP         */ { K_STOP,        K_RUNNING_P2P, K_STOP_COPY,    K_RESUMING,    K_RUNNING_P2P, K_RUNNING_P2P,  K_RUNNING_P2P,  K_ERROR },
/* RUNNING      */ { K_RUNNING_P2P, K_RUNNING,     K_RUNNING_P2P,  K_RUNNING_P2P, K_RUNNING_P2P, K_PRE_COPY,     K_RUNNING_P2P,  K_ERROR },
/* STOP_COPY    */ { K_STOP,        K_STOP,        K_STOP_COPY,    K_STOP,        K_STOP,        K_ERROR,        K_ERROR,        K_ERROR },
/* RESUMING     */ { K_STOP,        K_STOP,        K_STOP,         K_RESUMING,    K_STOP,        K_STOP,         K_STOP,         K_ERROR },
/* RUNNING_P2P  */ { K_STOP,        K_RUNNING,     K_STOP,         K_STOP,        K_RUNNING_P2P, K_RUNNING,      K_PRE_COPY_P2P, K_ERROR },
/* PRE_COPY     */ { K_RUNNING,     K_RUNNING,     K_PRE_COPY_P2P, K_RUNNING,     K_RUNNING,     K_PRE_COPY,     K_PRE_COPY_P2P, K_ERROR },
/* PRE_COPY_P2P */ { K_RUNNING_P2P, K_RUNNING_P2P, K_STOP_COPY,    K_RUNNING_P2P, K_RUNNING_P2P, K_PRE_COPY,     K_PRE_COPY_P2P, K_ERROR },
/* ERROR        */ { K_ERROR,       K_ERROR,       K_ERROR,        K_ERROR,       K_ERROR,       K_ERROR,        K_ERROR,        K_ERROR },
};
/* clang-format on */

bool k_in_range(int s)
{
	return s >= 0 && s < K_NSTATES;
}

/* Name for messages; also names the out-of-range values the tests feed in. */
const char *k_name(int s)
{
	return k_in_range(s) ? k_names[s] : "(out of range)";
}

/* need[s] is a subset of flags (2.1); out-of-range states are never supported. */
bool k_supported(int s, uint32_t flags)
{
	return k_in_range(s) && (k_need[s] & flags) == k_need[s];
}

/* The saving group of 2.2: PRE_COPY, PRE_COPY_P2P, STOP_COPY. */
bool k_saving(int s)
{
	return s == K_PRE_COPY || s == K_PRE_COPY_P2P || s == K_STOP_COPY;
}

/* A set a device may report: STOP_COPY is mandatory (1.3), no bit beyond the known three. */
bool k_flags_valid(uint32_t flags)
{
	return (flags & K_F_STOP_COPY) && !(flags & ~K_F_KNOWN);
}

static unsigned int k_pos(enum k_state s)
{
	for (unsigned int i = 0; i < K_NSTATES; i++) {
		if (k_order[i] == s)
			return i;
	}
	ck_abort_msg("state %d is not in the doc's table order", (int)s);
	return 0;
}

/* T[cur][target], looked up through the doc's layout. */
static enum k_state k_table(enum k_state cur, enum k_state target)
{
	return k_doc_table[k_pos(cur)][k_pos(target)];
}

/* ---- The oracle: 2.6 steps 1-4, with the step-3 loop bounded ---------------------------- */

/*
 * Far more iterations than there are states: once the loop has gone past it, it has visited
 * some state twice and, being deterministic for a fixed target, it cycles for ever.
 */
#define ORACLE_SPIN_BOUND 64

/*
 * vfio_mig_get_next_state() as 2.6 describes it. The kernel's states are unsigned, so a
 * negative value arrives as a huge one and fails the ">= 8" test like 8 does. Returns 0 and
 * *ret_next, -EINVAL, or ORACLE_SPINS.
 */
int oracle_next_step(int cur, int target, uint32_t flags, enum k_state *ret_next)
{
	unsigned int c = (unsigned int)cur, t = (unsigned int)target;
	unsigned int spins = 0;
	enum k_state next;

	if (c >= K_NSTATES || !k_supported((int)c, flags))
		return -EINVAL; /* step 1 */
	if (t >= K_NSTATES || !k_supported((int)t, flags))
		return -EINVAL; /* step 2 */
	next = k_table(c, t);
	while (!k_supported(next, flags)) { /* step 3, as the kernel has it: no stop at ERROR */
		if (++spins > ORACLE_SPIN_BOUND)
			return ORACLE_SPINS;
		next = k_table(next, t);
	}
	if (next == K_ERROR)
		return -EINVAL; /* step 4 */
	*ret_next = next;
	return 0;
}

/*
 * What a driver does with it: validate the request (steps 1-2 apply even to a no-op), then
 * step until the target is reached ("while state != new", 2.6).
 */
int oracle_plan(int cur, int target, uint32_t flags, struct k_path *ret)
{
	struct k_path p = { 0 };
	enum k_state next;
	int state = cur;
	int r;

	r = oracle_next_step(cur, target, flags, &next);
	if (r != 0)
		return r;
	while (state != target) {
		r = oracle_next_step(state, target, flags, &next);
		if (r != 0)
			return r;
		ck_assert_msg(p.len < ORACLE_PATH_BOUND,
			      "oracle: %s -> %s flags 0x%x does not converge", k_name(cur),
			      k_name(target), flags);
		p.step[p.len++] = next;
		state = next;
	}
	*ret = p;
	return 0;
}

/* ---- The doc's direct arcs (2.2 and the must-implement list of 2.6) ----------------------- */

#define SC K_F_STOP_COPY
#define P2 K_F_P2P
#define PC K_F_PRE_COPY

const struct doc_arc doc_arcs[] = {
	/* always */
	{ K_RESUMING, K_STOP, SC, 0, false, false, true },
	{ K_STOP, K_RESUMING, SC, 0, false, true, false },
	{ K_STOP, K_STOP_COPY, SC, 0, true, false, false },
	{ K_STOP_COPY, K_STOP, SC, 0, false, false, true },
	/* with P2P */
	{ K_RUNNING, K_RUNNING_P2P, SC | P2, 0, false, false, false },
	{ K_RUNNING_P2P, K_RUNNING, SC | P2, 0, false, false, false },
	{ K_RUNNING_P2P, K_STOP, SC | P2, 0, false, false, false },
	{ K_STOP, K_RUNNING_P2P, SC | P2, 0, false, false, false },
	/* without P2P */
	{ K_RUNNING, K_STOP, SC, P2, false, false, false },
	{ K_STOP, K_RUNNING, SC, P2, false, false, false },
	/* with PRE_COPY; 2.2: PRE_COPY -> STOP_COPY directly only when P2P is unsupported */
	{ K_RUNNING, K_PRE_COPY, SC | PC, 0, true, false, false },
	{ K_PRE_COPY, K_RUNNING, SC | PC, 0, false, false, true },
	{ K_PRE_COPY, K_STOP_COPY, SC | PC, P2, false, false, false },
	/* with PRE_COPY and P2P */
	{ K_PRE_COPY, K_PRE_COPY_P2P, SC | P2 | PC, 0, false, false, false },
	{ K_PRE_COPY_P2P, K_PRE_COPY, SC | P2 | PC, 0, false, false, false },
	{ K_PRE_COPY_P2P, K_RUNNING_P2P, SC | P2 | PC, 0, false, false, true },
	{ K_PRE_COPY_P2P, K_STOP_COPY, SC | P2 | PC, 0, false, false, false },
	{ K_RUNNING_P2P, K_PRE_COPY_P2P, SC | P2 | PC, 0, true, false, false },
};

#undef SC
#undef P2
#undef PC

/* The header's count must match the list; a mismatch also conflicts with its declaration. */
_Static_assert(sizeof(doc_arcs) / sizeof(doc_arcs[0]) == N_DOC_ARCS,
	       "N_DOC_ARCS differs from the doc_arcs list");

const struct doc_arc *doc_arc_find(int from, int to)
{
	for (unsigned int i = 0; i < N_DOC_ARCS; i++) {
		if ((int)doc_arcs[i].from == from && (int)doc_arcs[i].to == to)
			return &doc_arcs[i];
	}
	return NULL;
}

bool doc_arc_gated_in(const struct doc_arc *a, uint32_t flags)
{
	return (flags & a->gate_all) == a->gate_all && !(flags & a->gate_none);
}

/*
 * Length of the shortest path the uapi rules of 2.2 allow over the gated arcs: saving-group
 * states are interior only when the request starts and ends in the saving group (the one such
 * path, PRE_COPY -> PRE_COPY_P2P -> STOP_COPY, keeps the same fd throughout). UINT_MAX if none.
 */
unsigned int doc_shortest(int cur, int target, uint32_t flags)
{
	unsigned int dist[K_NSTATES];
	int queue[K_NSTATES];
	unsigned int head = 0, tail = 0;
	bool through_saving = k_saving(cur) && k_saving(target);

	for (int s = 0; s < K_NSTATES; s++)
		dist[s] = UINT_MAX;
	dist[cur] = 0;
	queue[tail++] = cur;
	while (head < tail) {
		int s = queue[head++];

		if (s == target)
			return dist[s];
		if (s != cur && k_saving(s) && !through_saving)
			continue;
		for (unsigned int i = 0; i < N_DOC_ARCS; i++) {
			const struct doc_arc *a = &doc_arcs[i];

			if ((int)a->from != s || !doc_arc_gated_in(a, flags) ||
			    dist[a->to] != UINT_MAX)
				continue;
			dist[a->to] = dist[s] + 1;
			queue[tail++] = a->to;
		}
	}
	return UINT_MAX;
}
