/*
 * sim_helpers.h - helpers shared by the sim backend's unit tests (test_sim.c,
 * test_sim_config.c, test_sim_stream.c): short names for the flag bits, a growing byte buffer
 * for whole migration streams, and one-line ways to make a sim device, move it through the
 * FSM and read or write its stream. Every helper fails the running Check test when a step it
 * relies on fails, so the tests read as a list of expectations.
 *
 * The names are kept short and unprefixed (like test_proto_util.h) because they are the
 * vocabulary of the tests, not an API. Nothing here is thread-safe beyond what the backend
 * itself guarantees; buf_add() on one buffer must not race.
 */
#ifndef VFIO_MIGD_TEST_SIM_HELPERS_H
#define VFIO_MIGD_TEST_SIM_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim.h"

#define SC  FSM_F_STOP_COPY
#define P2P FSM_F_P2P
#define PRE FSM_F_PRE_COPY
#define ALL FSM_F_ALL

/* A growing byte buffer for whole streams; { 0 } is an empty buffer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* Appends n bytes of data to b, growing it; fails the test if memory runs out. */
void buf_add(struct buf *b, const void *data, size_t n);

/* Frees b's bytes and leaves it empty (reusable); safe on an empty buffer. */
void buf_free(struct buf *b);

/*
 * A sim device named "t" from sim_config_init() defaults with a 64 KiB size, then spec applied
 * with sim_config_parse(). Fails the test on a bad spec. The caller owns the result
 * (backend_free()).
 */
struct backend *mk(const char *spec);

/* b's current state; fails the test if backend_get_state() does. */
enum fsm_state state_of(struct backend *b);

/*
 * Moves b to target, which must succeed and land there. Returns whether the request opened a
 * new save or resume session.
 */
bool go(struct backend *b, enum fsm_state target);

/*
 * Reads b's stream in chunk-sized calls, appending to out when it is not NULL, until a read
 * returns -ENOMSG (returned) or 0 at EOF (returned). Any other result fails the test.
 */
ssize_t drain(struct backend *b, size_t chunk, struct buf *out);

/* Writes data[0, len) to b in chunk-sized calls; every call must take all it was given. */
void feed(struct backend *b, const unsigned char *data, size_t len, size_t chunk);

/* Appends to out the whole stop-copy stream of a fresh device made with mk(spec). */
void stream_of(const char *spec, struct buf *out);

/* Fills d with b's content digest; fails the test if backend_digest() does. */
void digest_of(struct backend *b, uint8_t d[32]);

/*
 * Resumes stream (written in chunk-sized calls) into a fresh device made with mk(spec) and
 * leaves it in STOP. The caller owns the result (backend_free()).
 */
struct backend *resume(const char *spec, const struct buf *stream, size_t chunk);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

#endif
