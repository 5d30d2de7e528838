/*
 * fake_backend.h - a scriptable backend for unit tests of the layers above the backend seam.
 * It records every SET it receives, insists that each one is a single kernel arc, and fails
 * arcs on request.
 */
#ifndef VFIO_MIGD_TEST_FAKE_BACKEND_H
#define VFIO_MIGD_TEST_FAKE_BACKEND_H

#include "backend.h"

#define FAKE_LOG_MAX 64

struct fake_backend {
	struct backend base;
	uint32_t flags;
	enum fsm_state state;
	enum fsm_state sets[FAKE_LOG_MAX]; /* every SET target, in order */
	unsigned int nsets;
	unsigned int non_arc_sets; /* SETs that were not a single kernel arc */
	/* Fail the arc fail_from -> fail_to fail_times times (-1: always) with -fail_errno,
	 * leaving the device in fail_lands. */
	int fail_from, fail_to, fail_errno, fail_times;
	enum fsm_state fail_lands;
	int reset_errno; /* reset fails with -reset_errno when non-zero */
	unsigned int resets;
	bool session; /* a session is open */
	bool *freed;  /* set on free when non-NULL */
};

/* A fake in RUNNING with the given flags and no failures. */
struct fake_backend *fake_backend_new(uint32_t flags);

#endif
