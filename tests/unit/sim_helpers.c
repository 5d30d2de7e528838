/*
 * sim_helpers.c - the helpers of sim_helpers.h for the sim backend's unit tests. Each one
 * asserts on the calls it makes, so a failure points at the step of the test that broke.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_helpers.h"

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

/* A sim device from defaults plus spec; tests use small devices unless they say otherwise. */
struct backend *mk(const char *spec)
{
	struct sim_config c;
	struct backend *b = NULL;
	const char *err = NULL;

	sim_config_init(&c);
	c.size = 64 << 10;
	ck_assert_msg(sim_config_parse(spec, &c, &err) == 0, "%s: %s", spec, err);
	ck_assert_int_eq(sim_new("t", &c, &b), 0);
	return b;
}

enum fsm_state state_of(struct backend *b)
{
	enum fsm_state s;

	ck_assert_int_eq(backend_get_state(b, &s), 0);
	return s;
}

bool go(struct backend *b, enum fsm_state target)
{
	bool opened = false;

	ck_assert_msg(backend_set_state(b, target, &opened) == 0, "-> %s", fsm_state_name(target));
	ck_assert_int_eq(state_of(b), target);
	return opened;
}

/* Reads with chunk-sized calls into out until -ENOMSG (returned) or EOF (0). */
ssize_t drain(struct backend *b, size_t chunk, struct buf *out)
{
	unsigned char *tmp = malloc(chunk);
	ssize_t n;

	ck_assert_ptr_nonnull(tmp);
	while ((n = backend_stream_read(b, tmp, chunk)) > 0) {
		ck_assert_uint_le((size_t)n, chunk);
		if (out)
			buf_add(out, tmp, (size_t)n);
	}
	free(tmp);
	ck_assert_msg(n == 0 || n == -ENOMSG, "read returned %zd", n);
	return n;
}

/* Writes data in chunk-sized calls; every call must take everything. */
void feed(struct backend *b, const unsigned char *data, size_t len, size_t chunk)
{
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		ck_assert_int_eq(backend_stream_write(b, data + off, n), (ssize_t)n);
	}
}

/* The whole stop-copy stream of a fresh device made from spec. */
void stream_of(const char *spec, struct buf *out)
{
	struct backend *b = mk(spec);

	go(b, FSM_STOP_COPY);
	ck_assert_int_eq(drain(b, 65536, out), 0);
	backend_free(b);
}

void digest_of(struct backend *b, uint8_t d[32])
{
	ck_assert_int_eq(backend_digest(b, d), 0);
}

/* Resumes stream into a fresh device made from spec and leaves it in STOP. */
struct backend *resume(const char *spec, const struct buf *stream, size_t chunk)
{
	struct backend *b = mk(spec);

	ck_assert(go(b, FSM_RESUMING));
	feed(b, stream->p, stream->len, chunk);
	go(b, FSM_STOP);
	return b;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
