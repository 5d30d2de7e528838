/*
 * fsm_oracle.h - an independent oracle for the migration FSM, written from
 * vfio-migration-uapi.md alone (not from fsm.c or fsm.h): the doc's state numbering (2.1) and
 * flag bits (1.3), its next-step table (2.6) in the doc's own row and column order, a
 * transcription of the kernel's vfio_mig_get_next_state() with the step-3 loop bounded so that
 * the kernel's hang stays observable, and the doc's list of direct arcs (2.2, 2.3 and the
 * must-implement list of 2.6).
 *
 * Owns no state; every table is const. Failures of the oracle's own invariants fail the running
 * Check test. Names keep the short k_ (the kernel's numbering), oracle_ (the algorithm) and doc_
 * (the arc list) prefixes of the doc they transcribe rather than the file stem, so the tests
 * read like the doc.
 */
#ifndef VFIO_MIGD_TEST_FSM_ORACLE_H
#define VFIO_MIGD_TEST_FSM_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

/* Migration states as 2.1 numbers them (the kernel's enum vfio_device_mig_state). */
enum k_state {
	K_ERROR = 0,
	K_STOP = 1,
	K_RUNNING = 2,
	K_STOP_COPY = 3,
	K_RESUMING = 4,
	K_RUNNING_P2P = 5,
	K_PRE_COPY = 6,
	K_PRE_COPY_P2P = 7,
};

#define K_NSTATES     8
#define K_F_STOP_COPY 0x1u /* VFIO_MIGRATION_STOP_COPY, 1.3 */
#define K_F_P2P	      0x2u /* VFIO_MIGRATION_P2P */
#define K_F_PRE_COPY  0x4u /* VFIO_MIGRATION_PRE_COPY */
#define K_F_KNOWN     (K_F_STOP_COPY | K_F_P2P | K_F_PRE_COPY)

/* State names as the doc spells them, indexed by value. */
extern const char *const k_names[K_NSTATES];

/* True when s is one of the eight states of 2.1. */
bool k_in_range(int s);

/* The doc's name of s, or "(out of range)" for the values outside the enum the tests feed in. */
const char *k_name(int s);

/* 2.1: s is supported when its required flags are a subset of flags; out-of-range never is. */
bool k_supported(int s, uint32_t flags);

/* True for the saving group of 2.2: PRE_COPY, PRE_COPY_P2P, STOP_COPY. */
bool k_saving(int s);

/* A flag set a device may report (1.3): STOP_COPY present, no bit beyond the known three. */
bool k_flags_valid(uint32_t flags);

/* ---- The oracle: 2.6 steps 1-4, with the step-3 loop bounded ---------------------------- */

/* oracle_next_step() result: the kernel's step-3 loop would never stop. */
#define ORACLE_SPINS 1

/* Longest path the oracle follows before declaring that the algorithm does not converge. */
#define ORACLE_PATH_BOUND 16

/* A path as oracle_plan() returns it: the states after cur, in order, the target last. */
struct k_path {
	unsigned int len;
	enum k_state step[ORACLE_PATH_BOUND];
};

/*
 * vfio_mig_get_next_state() as 2.6 describes it. The kernel's states are unsigned, so a
 * negative value arrives as a huge one and fails the ">= 8" test like 8 does. Returns 0 and
 * sets *ret_next, -EINVAL (steps 1, 2 or 4) or ORACLE_SPINS; *ret_next is untouched on any
 * non-zero return.
 */
int oracle_next_step(int cur, int target, uint32_t flags, enum k_state *ret_next);

/*
 * What a driver does with oracle_next_step(): validate the request (steps 1-2 apply even to a
 * no-op), then step until the target is reached ("while state != new", 2.6). Returns 0 and
 * sets *ret (len 0 for cur == target), or what oracle_next_step() returned; *ret is untouched
 * on failure. Fails the running test if the path exceeds ORACLE_PATH_BOUND.
 */
int oracle_plan(int cur, int target, uint32_t flags, struct k_path *ret);

/* ---- The doc's direct arcs (2.2 and the must-implement list of 2.6) ----------------------- */

struct doc_arc {
	enum k_state from, to;
	uint32_t gate_all;  /* implemented when the device has all of these flags ... */
	uint32_t gate_none; /* ... and none of these (2.6: "without P2P: RUNNING<->STOP") */
	bool opens_save;    /* 2.2/2.3: returns a new save data_fd */
	bool opens_resume;  /* 2.2/2.3: returns a new resume data_fd */
	bool ends_session;  /* 2.2/2.3: leaves the saving group or RESUMING */
};

/* Number of entries in doc_arcs. */
#define N_DOC_ARCS 18u

/* Every direct arc any device may implement, each with its flag gate and session effects. */
extern const struct doc_arc doc_arcs[N_DOC_ARCS];

/* The doc_arcs entry for from -> to, or NULL when the doc names no such arc. */
const struct doc_arc *doc_arc_find(int from, int to);

/* True when a device reporting flags implements arc a. */
bool doc_arc_gated_in(const struct doc_arc *a, uint32_t flags);

/*
 * Length of the shortest path the uapi rules of 2.2 allow over the gated arcs: saving-group
 * states are interior only when the request starts and ends in the saving group (the one such
 * path, PRE_COPY -> PRE_COPY_P2P -> STOP_COPY, keeps the same fd throughout). UINT_MAX if none.
 * cur and target must be in range.
 */
unsigned int doc_shortest(int cur, int target, uint32_t flags);

#endif
