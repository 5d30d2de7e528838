/*
 * test_sim.c - the sim backend's state machine against the kernel's rules: every arc of every
 * flag set against fsm_plan(), sessions opened and ended by the arcs, every injected fault
 * (failed arcs, corruption, slow reads, resets mid-stream and under a blocked reader), reset,
 * and when the device may be dirtied.
 *
 * Configuration parsing is in test_sim_config.c, streams (save/resume, validation, partial
 * I/O, precopy info, scale and threads) in test_sim_stream.c; the shared helpers in
 * sim_helpers.c.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"
#include "sim_helpers.h"
#include "sim_stream.h"

static const uint32_t flag_sets[] = { SC, SC | P2P, SC | PRE, ALL };

/* ---- the FSM ---- */

/* A tiny device with these flags brought to cur: RESUMING holds a complete valid stream, ERROR
 * comes from an injected failure. */
static struct backend *at_state(uint32_t flags, enum fsm_state cur, const struct buf *stream)
{
	struct sim_config c;
	struct backend *b = NULL;
	struct sim_faults none;
	enum fsm_state first;

	sim_config_init(&c);
	c.size = 2048;
	c.page_size = 512;
	c.mig_flags = flags;
	ck_assert_int_eq(sim_new("fsm", &c, &b), 0);
	none = c.faults;
	if (cur == FSM_ERROR) {
		struct sim_faults f = none;

		ck_assert_int_eq(fsm_next_step(FSM_RUNNING, FSM_STOP, flags, &first), 0);
		f.fail_from = FSM_RUNNING;
		f.fail_to = (int)first;
		f.fail_to_error = true;
		ck_assert_int_eq(sim_set_faults(b, &f), 0);
		ck_assert_int_eq(backend_set_state(b, FSM_STOP, NULL), -EIO);
		ck_assert_int_eq(sim_set_faults(b, &none), 0);
	} else {
		go(b, cur);
		if (cur == FSM_RESUMING)
			feed(b, stream->p, stream->len, stream->len);
	}
	ck_assert_int_eq(state_of(b), cur);
	return b;
}

/* A session is open for reading/writing exactly when target says so. */
static void check_session(struct backend *b, enum fsm_state s)
{
	unsigned char c;
	ssize_t r = backend_stream_read(b, &c, 1);

	if (fsm_is_saving(s))
		ck_assert_msg(r == 1 || r == 0 || r == -ENOMSG, "%s read %zd", fsm_state_name(s),
			      r);
	else
		ck_assert_int_eq(r, -EBADF);
	ck_assert_int_eq(backend_stream_write(b, &c, 0), s == FSM_RESUMING ? 0 : -EBADF);
}

/* True when the last arc of path (taken from cur) opens a save or resume session. */
static bool last_arc_opens(int cur, const struct fsm_path *path)
{
	enum fsm_state from, to;

	if (path->len == 0)
		return false;
	from = path->len > 1 ? path->step[path->len - 2] : (enum fsm_state)cur;
	to = path->step[path->len - 1];
	return fsm_arc_opens_save(from, to) || fsm_arc_opens_resume(from, to);
}

/*
 * One request from cur: it succeeds exactly when fsm_validate() accepts it (a refusal changes
 * nothing), reaches the target, reports a new session exactly when the last planned arc opens
 * one, and leaves a session open exactly in the states that have one. Fills *ret_path with the
 * plan, len 0 for a refused request.
 */
static void check_request(uint32_t flags, int cur, int target, const struct buf *stream,
			  struct fsm_path *ret_path)
{
	struct backend *b = at_state(flags, (enum fsm_state)cur, stream);
	bool opened = false;
	int r = backend_set_state(b, (enum fsm_state)target, &opened);

	*ret_path = (struct fsm_path){ 0 };
	if (fsm_validate(cur, target, flags, NULL) < 0) {
		ck_assert_msg(r == -EINVAL, "%s -> %d flags %x: %d", fsm_state_name(cur), target,
			      flags, r);
		ck_assert_int_eq(state_of(b), cur);
		backend_free(b);
		return;
	}
	ck_assert_msg(r == 0, "%s -> %s flags %x: %d", fsm_state_name(cur), fsm_state_name(target),
		      flags, r);
	ck_assert_int_eq(state_of(b), target);
	ck_assert_int_eq(fsm_plan(cur, target, flags, ret_path), 0);
	ck_assert_int_eq(opened, last_arc_opens(cur, ret_path));
	check_session(b, (enum fsm_state)target);
	backend_free(b);
}

/*
 * The device takes exactly the arcs of path: failing the i-th planned arc stops the request
 * right before it (or in ERROR when asked), which it can only do if it took arcs 0 .. i-1 as
 * planned and then tried arc i.
 */
static void check_arcs_taken(uint32_t flags, int cur, int target, const struct fsm_path *path,
			     const struct buf *stream)
{
	struct sim_config d;

	sim_config_init(&d);
	for (unsigned int i = 0; i < path->len; i++) {
		enum fsm_state from = i ? path->step[i - 1] : (enum fsm_state)cur;

		for (int to_error = 0; to_error < 2; to_error++) {
			struct backend *b = at_state(flags, (enum fsm_state)cur, stream);
			struct sim_faults f = d.faults;
			enum fsm_state want = to_error ? FSM_ERROR : from;

			f.fail_from = (int)from;
			f.fail_to = (int)path->step[i];
			f.fail_errno = EAGAIN;
			f.fail_to_error = to_error;
			ck_assert_int_eq(sim_set_faults(b, &f), 0);
			ck_assert_int_eq(backend_set_state(b, (enum fsm_state)target, NULL),
					 -EAGAIN);
			ck_assert_msg(state_of(b) == want, "%s -> %s, arc %u failed: in %s",
				      fsm_state_name(cur), fsm_state_name(target), i,
				      fsm_state_name(state_of(b)));
			backend_free(b);
		}
	}
}

/* Every flag set, every supported current state (and ERROR), every target (and one beyond). */
START_TEST(test_arcs_like_kernel)
{
	struct buf stream = { 0 };

	for (size_t fi = 0; fi < sizeof(flag_sets) / sizeof(flag_sets[0]); fi++) {
		uint32_t flags = flag_sets[fi];
		char spec[80], fs[64];

		snprintf(spec, sizeof(spec), "size=2048,page=512,flags=%s",
			 fsm_flags_str(flags, fs, sizeof(fs)));
		buf_free(&stream);
		stream_of(spec, &stream);
		for (int cur = 0; cur < FSM_NSTATES; cur++) {
			if (cur != FSM_ERROR && !fsm_state_supported(cur, flags))
				continue;
			for (int target = 0; target <= FSM_NSTATES; target++) {
				struct fsm_path path;

				check_request(flags, cur, target, &stream, &path);
				check_arcs_taken(flags, cur, target, &path, &stream);
			}
		}
	}
	buf_free(&stream);
}
END_TEST

START_TEST(test_sessions_follow_arcs)
{
	struct backend *b = mk("flags=stop_copy|p2p|pre_copy");
	unsigned char head[40];
	uint64_t i, d;

	/* RUNNING -> PRE_COPY opens; the P2P toggle and STOP_COPY keep the same stream. */
	ck_assert(go(b, FSM_PRE_COPY));
	ck_assert_int_eq(backend_stream_read(b, head, 40), 40);
	ck_assert_uint_eq(head[0], SIM_STREAM_HEADER);
	ck_assert(!go(b, FSM_PRE_COPY_P2P));
	ck_assert(!go(b, FSM_PRE_COPY));
	ck_assert(!go(b, FSM_PRE_COPY)); /* the current state: a no-op, no new session */
	ck_assert_int_eq(backend_stream_read(b, head, 4), 4);
	ck_assert_uint_eq(head[0], SIM_STREAM_PAGE);
	ck_assert(!go(b, FSM_STOP_COPY));
	ck_assert_int_eq(drain(b, 1000, NULL), 0);
	/* STOP_COPY -> STOP ends it. */
	ck_assert(!go(b, FSM_STOP));
	ck_assert_int_eq(backend_stream_read(b, head, 1), -EBADF);
	/* PRE_COPY -> RUNNING ends it; a new RUNNING -> PRE_COPY starts over with a header. */
	ck_assert(go(b, FSM_PRE_COPY));
	ck_assert_int_eq(backend_stream_read(b, head, 7), 7);
	ck_assert(!go(b, FSM_RUNNING));
	ck_assert_int_eq(backend_stream_read(b, head, 1), -EBADF);
	ck_assert_int_eq(backend_precopy_info(b, &i, &d), -EINVAL);
	ck_assert(go(b, FSM_PRE_COPY));
	ck_assert_int_eq(backend_stream_read(b, head, 40), 40);
	ck_assert_uint_eq(head[0], SIM_STREAM_HEADER);
	/* stream_close ends the save session early; the state stays. */
	backend_stream_close(b);
	ck_assert_int_eq(backend_stream_read(b, head, 1), -EBADF);
	ck_assert_int_eq(backend_precopy_info(b, &i, &d), -EBADF);
	ck_assert_int_eq(state_of(b), FSM_PRE_COPY);
	/* A multi-arc request whose last arc opens a session reports it. */
	ck_assert(go(b, FSM_STOP_COPY) == false);
	ck_assert_int_eq(backend_stream_read(b, head, 1), -EBADF);
	ck_assert(!go(b, FSM_RUNNING));
	ck_assert(go(b, FSM_STOP_COPY));
	ck_assert_int_eq(backend_stream_read(b, head, 40), 40);
	ck_assert_uint_eq(head[0], SIM_STREAM_HEADER);
	/* STOP -> RESUMING opens a write session; reads have none. */
	ck_assert(go(b, FSM_RESUMING));
	ck_assert_int_eq(backend_stream_read(b, head, 1), -EBADF);
	ck_assert_int_eq(backend_stream_write(b, head, 0), 0);
	/* Leaving RESUMING with nothing written fails the validation: ERROR. */
	ck_assert_int_eq(backend_set_state(b, FSM_RUNNING, NULL), -EINVAL);
	ck_assert_int_eq(state_of(b), FSM_ERROR);
	ck_assert_int_eq(backend_stream_write(b, head, 0), -EBADF);
	backend_free(b);
}
END_TEST

/* ---- faults ---- */

START_TEST(test_fault_fail_arc)
{
	struct backend *b = mk("fail_arc=STOP>STOP_COPY,fail_errno=EBUSY");
	unsigned char c;

	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, NULL), -EBUSY);
	ck_assert_int_eq(state_of(b), FSM_STOP);
	ck_assert_int_eq(backend_stream_read(b, &c, 1), -EBADF);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, NULL), -EBUSY);
	ck_assert_int_eq(state_of(b), FSM_STOP);
	go(b, FSM_RUNNING);
	backend_free(b);

	b = mk("fail_arc=PRE_COPY_P2P>STOP_COPY,fail_to_error=1");
	go(b, FSM_PRE_COPY);
	ck_assert_int_eq(backend_stream_read(b, &c, 1), 1);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP_COPY, NULL), -EIO);
	ck_assert_int_eq(state_of(b), FSM_ERROR);
	ck_assert_int_eq(backend_stream_read(b, &c, 1), -EBADF);
	/* Only a reset leaves ERROR. */
	ck_assert_int_eq(backend_set_state(b, FSM_RUNNING, NULL), -EINVAL);
	ck_assert_int_eq(state_of(b), FSM_ERROR);
	ck_assert_int_eq(backend_reset(b), 0);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	backend_free(b);
}
END_TEST

START_TEST(test_fault_corrupt)
{
	const int64_t at = 40 + 16 + 100;
	struct buf clean = { 0 }, bad = { 0 };
	struct backend *dst;
	uint8_t before[32], after[32];
	char spec[64];
	size_t diff = 0;

	stream_of("size=64K,seed=4", &clean);
	snprintf(spec, sizeof(spec), "size=64K,seed=4,corrupt_at=%lld", (long long)at);
	stream_of(spec, &bad);
	ck_assert_uint_eq(clean.len, bad.len);
	for (size_t i = 0; i < clean.len; i++)
		diff += clean.p[i] != bad.p[i];
	ck_assert_uint_eq(diff, 1);
	ck_assert_uint_ne(clean.p[at], bad.p[at]);
	/* Content corruption: every write is taken, RESUMING -> STOP refuses. */
	dst = mk("size=64K,seed=6");
	digest_of(dst, before);
	go(dst, FSM_RESUMING);
	feed(dst, bad.p, bad.len, 4096);
	ck_assert_int_eq(backend_set_state(dst, FSM_STOP, NULL), -EINVAL);
	ck_assert_int_eq(state_of(dst), FSM_ERROR);
	ck_assert_int_eq(backend_reset(dst), 0);
	digest_of(dst, after);
	ck_assert_mem_eq(before, after, 32);
	backend_free(dst);
	buf_free(&bad);
	/* Corruption of a record's type fails the write at once. */
	stream_of("size=64K,seed=4,corrupt_at=40", &bad);
	dst = mk("size=64K,seed=6");
	go(dst, FSM_RESUMING);
	ck_assert_int_eq(backend_stream_write(dst, bad.p, 40), 40);
	ck_assert_int_eq(backend_stream_write(dst, bad.p + 40, bad.len - 40), -EINVAL);
	ck_assert_int_eq(backend_set_state(dst, FSM_STOP, NULL), -EINVAL);
	backend_free(dst);
	buf_free(&bad);
	/* Corruption of END's counts fails at RESUMING -> STOP. */
	snprintf(spec, sizeof(spec), "size=64K,seed=4,corrupt_at=%zu", clean.len - 1);
	stream_of(spec, &bad);
	dst = mk("size=64K,seed=6");
	go(dst, FSM_RESUMING);
	feed(dst, bad.p, bad.len, bad.len);
	ck_assert_int_eq(backend_set_state(dst, FSM_STOP, NULL), -EINVAL);
	ck_assert_int_eq(state_of(dst), FSM_ERROR);
	backend_free(dst);
	buf_free(&bad);
	buf_free(&clean);
}
END_TEST

START_TEST(test_fault_slow_read)
{
	struct backend *b = mk("size=16K,slow_read_us=20000");
	unsigned char tmp[64];
	uint64_t t0 = now_ns();

	go(b, FSM_STOP_COPY);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(backend_stream_read(b, tmp, sizeof(tmp)), sizeof(tmp));
	ck_assert_uint_ge(now_ns() - t0, 5 * 20000 * 1000ULL);
	backend_free(b);
}
END_TEST

START_TEST(test_fault_reset_at)
{
	struct backend *b = mk("size=64K,reset_at=10000");
	uint8_t before[32], after[32];
	unsigned char tmp[4096];
	struct sim_faults f;
	struct sim_config c;
	size_t total = 0;
	ssize_t n;

	ck_assert_int_eq(sim_touch(b, 1), 0);
	digest_of(b, before);
	go(b, FSM_PRE_COPY);
	while ((n = backend_stream_read(b, tmp, sizeof(tmp))) > 0)
		total += (size_t)n;
	ck_assert_int_eq(n, -ENODEV);
	ck_assert_uint_eq(total, 10000);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	ck_assert_uint_eq(sim_resets(b), 1);
	ck_assert_int_eq(backend_stream_read(b, tmp, 1), -EBADF);
	digest_of(b, after);
	ck_assert_mem_eq(before, after, 32);
	/* Once: the next session runs to the end. */
	go(b, FSM_PRE_COPY);
	ck_assert_int_eq(drain(b, sizeof(tmp), NULL), -ENOMSG);
	ck_assert_uint_eq(sim_resets(b), 1);
	/* Re-armed, at offset 0: the first read resets. */
	sim_config_init(&c);
	f = c.faults;
	f.reset_at = 0;
	ck_assert_int_eq(sim_set_faults(b, &f), 0);
	go(b, FSM_STOP_COPY);
	ck_assert_int_eq(backend_stream_read(b, tmp, 1), -ENODEV);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	ck_assert_uint_eq(sim_resets(b), 2);
	f.fail_errno = 0;
	ck_assert_int_eq(sim_set_faults(b, &f), -EINVAL);
	backend_free(b);
}
END_TEST

struct reader {
	struct backend *b;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;
	ssize_t result;
};

static void *slow_reader(void *arg)
{
	struct reader *r = arg;
	unsigned char c;

	pthread_mutex_lock(&r->lock);
	r->started = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	r->result = backend_stream_read(r->b, &c, 1);
	return NULL;
}

/* A session killed while a reader is inside stream_read: the reader sees -ENODEV. */
START_TEST(test_reset_under_reader)
{
	struct reader r = { .b = mk("size=16K,slow_read_us=1000000") };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	unsigned char head[SIM_STREAM_HEADER_LEN];
	struct sim_faults none;
	struct sim_config c;
	pthread_t t;

	sim_config_init(&c);
	none = c.faults;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	go(r.b, FSM_PRE_COPY);
	ck_assert_int_eq(pthread_create(&t, NULL, slow_reader, &r), 0);
	pthread_mutex_lock(&r.lock);
	while (!r.started)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	nanosleep(&ts, NULL);
	/* Reset and open a new session before the reader wakes: its session is still dead. */
	ck_assert_int_eq(backend_reset(r.b), 0);
	ck_assert(go(r.b, FSM_PRE_COPY));
	pthread_join(t, NULL);
	ck_assert_int_eq(r.result, -ENODEV);
	ck_assert_int_eq(sim_set_faults(r.b, &none), 0);
	ck_assert_int_eq(backend_stream_read(r.b, head, sizeof(head)), sizeof(head));
	ck_assert_uint_eq(head[0], SIM_STREAM_HEADER);
	backend_free(r.b);
}
END_TEST

/* ---- reset ---- */

START_TEST(test_reset)
{
	struct backend *b = mk("size=64K");
	struct buf s = { 0 };
	uint8_t before[32], after[32];
	unsigned char tmp[100];

	ck_assert_int_eq(sim_touch(b, 5), 0);
	digest_of(b, before);
	/* In pre-copy: RUNNING, session gone, content kept. */
	go(b, FSM_PRE_COPY_P2P);
	ck_assert_int_eq(backend_stream_read(b, tmp, sizeof(tmp)), sizeof(tmp));
	ck_assert_int_eq(backend_reset(b), 0);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	ck_assert_int_eq(backend_stream_read(b, tmp, 1), -EBADF);
	ck_assert_uint_eq(sim_resets(b), 1);
	digest_of(b, after);
	ck_assert_mem_eq(before, after, 32);
	/* A new session starts from the header. */
	ck_assert(go(b, FSM_PRE_COPY));
	ck_assert_int_eq(backend_stream_read(b, tmp, 40), 40);
	ck_assert_uint_eq(tmp[0], SIM_STREAM_HEADER);
	/* In RESUMING with half a stream: staging dropped, content untouched. */
	stream_of("size=64K,seed=77", &s);
	go(b, FSM_RESUMING);
	feed(b, s.p, s.len / 2, 4096);
	ck_assert_int_eq(backend_reset(b), 0);
	ck_assert_int_eq(backend_stream_write(b, s.p, 1), -EBADF);
	digest_of(b, after);
	ck_assert_mem_eq(before, after, 32);
	/* The next resume starts from scratch: the rest of the old stream is not a stream. */
	go(b, FSM_RESUMING);
	ck_assert_int_eq(backend_stream_write(b, s.p + s.len / 2, s.len - s.len / 2), -EINVAL);
	ck_assert_int_eq(backend_set_state(b, FSM_STOP, NULL), -EINVAL);
	ck_assert_int_eq(state_of(b), FSM_ERROR);
	ck_assert_int_eq(backend_reset(b), 0);
	ck_assert_uint_eq(sim_resets(b), 3);
	ck_assert_int_eq(state_of(b), FSM_RUNNING);
	buf_free(&s);
	backend_free(b);
}
END_TEST

START_TEST(test_touch_rules)
{
	struct backend *b = mk("size=64K");
	uint8_t a[32], c[32];

	digest_of(b, a);
	ck_assert_int_eq(sim_touch(b, 16), -EINVAL);
	ck_assert_int_eq(sim_touch(b, 15), 0);
	digest_of(b, c);
	ck_assert_mem_ne(a, c, 32);
	go(b, FSM_RUNNING_P2P);
	ck_assert_int_eq(sim_touch(b, 0), 0);
	for (enum fsm_state st = FSM_STOP; st <= FSM_RESUMING; st++) {
		if (st == FSM_RUNNING)
			continue;
		go(b, st);
		ck_assert_int_eq(sim_touch(b, 0), -EBUSY);
		if (st == FSM_RESUMING)
			ck_assert_int_eq(backend_reset(b), 0);
		else
			go(b, FSM_STOP);
	}
	backend_free(b);
}
END_TEST

static Suite *sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *fsm = tcase_create("fsm");
	TCase *faults = tcase_create("faults");

	tcase_add_test(fsm, test_arcs_like_kernel);
	tcase_add_test(fsm, test_sessions_follow_arcs);
	tcase_add_test(fsm, test_touch_rules);
	tcase_add_test(fsm, test_reset);
	tcase_add_test(faults, test_fault_fail_arc);
	tcase_add_test(faults, test_fault_corrupt);
	tcase_add_test(faults, test_fault_slow_read);
	tcase_add_test(faults, test_fault_reset_at);
	tcase_add_test(faults, test_reset_under_reader);
	suite_add_tcase(s, fsm);
	suite_add_tcase(s, faults);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
