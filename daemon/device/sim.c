/*
 * sim.c - the sim backend: a simulated VFIO migration device with the kernel's semantics.
 *
 * Owns the device's state, its content image (sim_content.h), one save session (sim_save.h),
 * one resume session (sim_resume.h), the dirtying model (sim_dirty.h) and the faults. Does no
 * I/O beyond logging and an optional sleep.
 *
 * Kernel rules it follows (vfio-migration-uapi.md 2.1-2.6): SET accepts any target that
 * fsm_validate() accepts and walks it one arc at a time with fsm_next_step(), exactly like
 * the kernel's loop; a refused request changes nothing; asking for the current state is a
 * no-op; an arc opens, keeps or ends a session exactly as fsm_arc_opens_save(),
 * fsm_arc_opens_resume() and fsm_arc_ends_session() say; RESUMING -> STOP validates the resumed
 * stream and fails the SET with -EINVAL leaving the device in ERROR (old content intact) when
 * it is incomplete or invalid; ERROR is reached only that way or by an injected fault.
 *
 * One deliberate difference: VFIO_DEVICE_RESET keeps the content. A real device loses its
 * state on reset; the sim keeps it so that a test can show that a reset on the source (a
 * failed migration's last resort) does not change what the guest sees, and so that the
 * reset_at fault can prove "the device is RUNNING with content intact". Sessions die as in the
 * kernel.
 *
 * Faults (struct sim_faults):
 *   fail_arc      every time the walk takes fail_from -> fail_to, SET returns -fail_errno and
 *                 the device stays in fail_from, or with fail_to_error sits in ERROR with its
 *                 session killed;
 *   corrupt_at    the byte at that offset of every save stream is inverted (the resume side
 *                 then fails the write or RESUMING -> STOP);
 *   slow_read_us  every stream_read sleeps that long first, outside the mutex;
 *   reset_at      when a save stream has produced that many bytes the next read resets the
 *                 device (RUNNING, session killed, content kept) and returns -ENODEV; once per
 *                 device until sim_set_faults() re-arms it;
 *   slow_arc_ms   a SET sleeps that long for each arc of its walk that is slow_arc (every arc
 *                 without one) before it takes the walk, as a driver saving or validating a
 *                 large state would; outside the mutex, so stream calls and GET go on.
 *
 * Session errors: stream calls without a session return -EBADF; a reader whose session was
 * killed while it was inside stream_read (reset_at, or a reset during its slow_read sleep)
 * gets -ENODEV, as from mtty's disabled file.
 *
 * Threading: one mutex guards everything; each call holds it for work bounded by its length
 * (at most SIM_IO_MAX bytes per stream call, SIM_DIRTY_MAX_PER_CALL page bumps), so a stream
 * worker and the thread that calls get_state/set_state interleave as backend.h allows.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sim.h"
#include "sim_dirty.h"
#include "sim_resume.h"
#include "sim_save.h"

/* Most bytes one stream_read or stream_write handles, to bound the time the mutex is held. */
#define SIM_IO_MAX (4u << 20)

struct sim {
	struct backend base;
	pthread_mutex_t lock;
	char name[64];
	struct sim_config cfg;
	struct sim_image img;
	enum fsm_state state;
	struct sim_save save;
	struct sim_resume resume;
	struct sim_dirty dirty;
	uint64_t session_gen; /* bumped when a session opens: tells a reader its session died */
	uint64_t resets;
	bool reset_at_fired; /* the reset_at fault has fired */
};

static const struct backend_ops sim_ops;

static struct sim *sim_of(struct backend *b)
{
	assert(b && b->ops == &sim_ops);
	return (struct sim *)b;
}

/* Applies the dirtying the running device did since the last call. Locked. */
static void sim_advance(struct sim *s)
{
	uint64_t n = sim_dirty_due(&s->dirty, sim_dirty_now_ns(), fsm_is_running(s->state));

	while (n--) {
		uint64_t p = sim_dirty_pick(&s->dirty, s->img.npages);

		s->img.versions[p]++;
		sim_save_dirty(&s->save, p);
	}
}

/* Ends whatever session is open, as leaving the group, an error or a reset does. Locked. */
static void sim_end_sessions(struct sim *s)
{
	sim_save_close(&s->save);
	sim_resume_close(&s->resume);
}

/* VFIO_DEVICE_RESET: RUNNING, sessions dead, content kept. Locked. */
static void sim_reset_locked(struct sim *s)
{
	sim_advance(s);
	sim_end_sessions(s);
	s->state = FSM_RUNNING;
	s->resets++;
}

static int sim_arc_fail(struct sim *s, enum fsm_state from, enum fsm_state to)
{
	const struct sim_faults *f = &s->cfg.faults;

	if (f->fail_to_error) {
		sim_end_sessions(s);
		s->state = FSM_ERROR;
	}
	log_warnx("sim %s: injected failure of arc %s -> %s (errno %d); device is %s", s->name,
		  fsm_state_name(from), fsm_state_name(to), f->fail_errno,
		  fsm_state_name(s->state));
	return -f->fail_errno;
}

/* RESUMING -> STOP: the kernel's validation of everything written. */
static int sim_arc_load(struct sim *s)
{
	const char *why;
	int r;

	r = sim_resume_finish(&s->resume, &s->img, &why);
	if (r < 0) {
		sim_end_sessions(s);
		s->state = FSM_ERROR;
		log_warnx("sim %s: RESUMING -> STOP refused: %s; device is ERROR, reset it",
			  s->name, why);
		return r;
	}
	return 0;
}

/* Takes one direct arc, as a driver's step function does. Locked. */
static int sim_arc(struct sim *s, enum fsm_state from, enum fsm_state to, bool *ret_opened)
{
	const struct sim_faults *f = &s->cfg.faults;
	int r;

	if ((int)from == f->fail_from && (int)to == f->fail_to)
		return sim_arc_fail(s, from, to);
	if (from == FSM_RESUMING && to == FSM_STOP) {
		r = sim_arc_load(s);
		if (r < 0)
			return r;
	} else if (fsm_arc_ends_session(from, to)) {
		sim_end_sessions(s);
	}
	*ret_opened = fsm_arc_opens_save(from, to) || fsm_arc_opens_resume(from, to);
	if (fsm_arc_opens_save(from, to))
		sim_save_open(&s->save, to == FSM_STOP_COPY);
	else if (fsm_arc_opens_resume(from, to))
		sim_resume_open(&s->resume);
	else if (to == FSM_STOP_COPY)
		sim_save_stop(&s->save);
	if (*ret_opened)
		s->session_gen++;
	s->state = to;
	log_debug("sim %s: %s -> %s", s->name, fsm_state_name(from), fsm_state_name(to));
	return 0;
}

static void sim_sleep_us(uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The slow_arc_ms fault: how long a walk from the current state to target takes. Locked. */
static uint64_t sim_slow_ms(const struct sim *s, enum fsm_state target)
{
	const struct sim_faults *f = &s->cfg.faults;
	enum fsm_state at = s->state, next;
	uint64_t ms = 0;

	if (!f->slow_arc_ms || fsm_validate(at, target, s->cfg.mig_flags, NULL) < 0)
		return 0;
	while (at != target && fsm_next_step(at, target, s->cfg.mig_flags, &next) == 0) {
		if (f->slow_from == -1 || ((int)at == f->slow_from && (int)next == f->slow_to))
			ms += f->slow_arc_ms;
		at = next;
	}
	return ms;
}

static int sim_set_state(struct backend *b, enum fsm_state target, bool *ret_opened)
{
	struct sim *s = sim_of(b);
	bool opened = false;
	enum fsm_state next;
	uint64_t slow;
	int r;

	pthread_mutex_lock(&s->lock);
	slow = sim_slow_ms(s, target);
	if (slow) {
		log_debug("sim %s: the walk to %s takes %llu ms (slow_arc_ms)", s->name,
			  fsm_state_name(target), (unsigned long long)slow);
		pthread_mutex_unlock(&s->lock);
		sim_sleep_us((uint32_t)(slow * 1000));
		pthread_mutex_lock(&s->lock);
	}
	sim_advance(s);
	r = fsm_validate(s->state, target, s->cfg.mig_flags, NULL);
	while (r == 0 && s->state != target) {
		r = fsm_next_step(s->state, target, s->cfg.mig_flags, &next);
		if (r == 0)
			r = sim_arc(s, s->state, next, &opened);
	}
	pthread_mutex_unlock(&s->lock);
	if (r == 0 && ret_opened)
		*ret_opened = opened;
	return r;
}

static int sim_get_state(struct backend *b, enum fsm_state *ret)
{
	struct sim *s = sim_of(b);

	pthread_mutex_lock(&s->lock);
	sim_advance(s);
	*ret = s->state;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int sim_probe(struct backend *b, struct backend_caps *ret)
{
	struct sim *s = sim_of(b);

	*ret = (struct backend_caps){
		.mig_flags = s->cfg.mig_flags,
		.precopy_info = (s->cfg.mig_flags & FSM_F_PRE_COPY) != 0,
		.data_size = true,
		.dma_logging = false,
	};
	return 0;
}

static uint64_t sim_full_size(const struct sim *s)
{
	return sim_stream_full_size(s->img.npages, s->img.page_size);
}

static int sim_describe(struct backend *b, struct backend_desc *ret)
{
	struct sim *s = sim_of(b);
	char flags[64];

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->kind, sizeof(ret->kind), "sim");
	snprintf(ret->driver, sizeof(ret->driver), "vfio-migd-sim");
	snprintf(ret->model, sizeof(ret->model), "sim %" PRIu64 "x%u flags %s",
		 s->img.npages * s->img.page_size, s->img.page_size,
		 fsm_flags_str(s->cfg.mig_flags, flags, sizeof(flags)));
	snprintf(ret->path, sizeof(ret->path), "sim:%s", s->name);
	ret->state_size = sim_full_size(s);
	return 0;
}

/* The reset_at fault: limits len so the stream stops at the offset, then fires. Locked. */
static int sim_read_reset_fault(struct sim *s, size_t *len)
{
	int64_t at = s->cfg.faults.reset_at;

	if (at < 0 || s->reset_at_fired)
		return 0;
	if (s->save.offset < (uint64_t)at) {
		if (*len > (uint64_t)at - s->save.offset)
			*len = (size_t)((uint64_t)at - s->save.offset);
		return 0;
	}
	s->reset_at_fired = true;
	sim_reset_locked(s);
	log_warnx("sim %s: injected reset at save-stream offset %" PRId64
		  "; device is RUNNING, session killed",
		  s->name, at);
	return -ENODEV;
}

/* Produces up to len bytes and applies corrupt_at to them. Locked. */
static ssize_t sim_read_locked(struct sim *s, void *buf, size_t len)
{
	int64_t bad = s->cfg.faults.corrupt_at;
	uint64_t start = s->save.offset;
	size_t n;
	int r;

	sim_advance(s);
	if (len > SIM_IO_MAX)
		len = SIM_IO_MAX;
	r = sim_read_reset_fault(s, &len);
	if (r < 0 || len == 0)
		return r;
	n = sim_save_read(&s->save, buf, len);
	if (bad >= 0 && (uint64_t)bad >= start && (uint64_t)bad - start < n)
		((unsigned char *)buf)[(uint64_t)bad - start] ^= 0xff;
	if (n == 0)
		return sim_save_at_end(&s->save) ? 0 : -ENOMSG;
	return (ssize_t)n;
}

static ssize_t sim_read(struct backend *b, void *buf, size_t len)
{
	struct sim *s = sim_of(b);
	uint32_t slow;
	uint64_t id;
	ssize_t r;

	pthread_mutex_lock(&s->lock);
	slow = s->cfg.faults.slow_read_us;
	id = s->session_gen;
	if (!s->save.open) {
		r = -EBADF;
		goto out;
	}
	if (slow) {
		pthread_mutex_unlock(&s->lock);
		sim_sleep_us(slow);
		pthread_mutex_lock(&s->lock);
		if (!s->save.open || s->session_gen != id) {
			r = -ENODEV;
			goto out;
		}
	}
	r = sim_read_locked(s, buf, len);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

static ssize_t sim_write(struct backend *b, const void *buf, size_t len)
{
	struct sim *s = sim_of(b);
	ssize_t r;

	pthread_mutex_lock(&s->lock);
	if (!s->resume.open || !s->resume.writable)
		r = -EBADF;
	else
		r = sim_resume_write(&s->resume, buf, len > SIM_IO_MAX ? SIM_IO_MAX : len);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void sim_close_stream(struct backend *b)
{
	struct sim *s = sim_of(b);

	pthread_mutex_lock(&s->lock);
	sim_save_close(&s->save);
	sim_resume_close_writer(&s->resume);
	pthread_mutex_unlock(&s->lock);
}

static int sim_precopy_info(struct backend *b, uint64_t *ret_initial, uint64_t *ret_dirty)
{
	struct sim *s = sim_of(b);
	struct sim_save_left left;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	sim_advance(s);
	if (!(s->cfg.mig_flags & FSM_F_PRE_COPY))
		r = -ENOTTY;
	else if (s->state != FSM_PRE_COPY && s->state != FSM_PRE_COPY_P2P)
		r = -EINVAL;
	else if (!s->save.open)
		r = -EBADF;
	if (r == 0)
		sim_save_left(&s->save, &left);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return r;
	*ret_initial = left.initial;
	*ret_dirty = left.dirty;
	return 0;
}

static int sim_data_size(struct backend *b, uint64_t *ret)
{
	struct sim *s = sim_of(b);
	struct sim_save_left left;

	pthread_mutex_lock(&s->lock);
	sim_advance(s);
	if (s->save.open) {
		sim_save_left(&s->save, &left);
		*ret = left.total;
	} else {
		*ret = sim_full_size(s);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int sim_reset(struct backend *b)
{
	struct sim *s = sim_of(b);

	pthread_mutex_lock(&s->lock);
	sim_reset_locked(s);
	pthread_mutex_unlock(&s->lock);
	log_info("sim %s: reset; device is RUNNING", s->name);
	return 0;
}

static int sim_digest(struct backend *b, uint8_t ret[32])
{
	struct sim *s = sim_of(b);
	int r;

	pthread_mutex_lock(&s->lock);
	sim_advance(s);
	r = sim_content_digest(&s->img, ret);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void sim_free(struct backend *b)
{
	struct sim *s;

	if (!b)
		return;
	s = sim_of(b);
	pthread_mutex_destroy(&s->lock);
	sim_resume_fini(&s->resume);
	sim_save_fini(&s->save);
	free(s->img.versions);
	free(s);
}

static const struct backend_ops sim_ops = {
	.probe = sim_probe,
	.describe = sim_describe,
	.get_state = sim_get_state,
	.set_state = sim_set_state,
	.stream_read = sim_read,
	.stream_write = sim_write,
	.stream_close = sim_close_stream,
	.precopy_info = sim_precopy_info,
	.data_size = sim_data_size,
	.reset = sim_reset,
	.digest = sim_digest,
	.free = sim_free,
};

int sim_new(const char *name, const struct sim_config *cfg, struct backend **ret)
{
	const char *why;
	struct sim *s;
	int r;

	r = sim_config_check(cfg, &why);
	if (r < 0) {
		log_warnx("sim %s: bad configuration: %s", name, why);
		return r;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &sim_ops;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->cfg = *cfg;
	s->state = FSM_RUNNING;
	s->img = (struct sim_image){
		.seed = cfg->seed,
		.npages = (cfg->size + cfg->page_size - 1) / cfg->page_size,
		.page_size = cfg->page_size,
	};
	/* calloc'd: version 0 everywhere, and untouched pages cost no memory. */
	s->img.versions = calloc(s->img.npages, sizeof(*s->img.versions));
	if (!s->img.versions)
		goto err_free;
	if (sim_save_init(&s->save, &s->img, cfg->mig_flags) < 0)
		goto err_free_versions;
	if (sim_resume_init(&s->resume, s->img.npages, s->img.page_size) < 0)
		goto err_fini_save;
	sim_dirty_init(&s->dirty, cfg->dirty_rate, cfg->page_size, cfg->seed, sim_dirty_now_ns());
	pthread_mutex_init(&s->lock, NULL);
	*ret = &s->base;
	return 0;

err_fini_save:
	sim_save_fini(&s->save);
err_free_versions:
	free(s->img.versions);
err_free:
	free(s);
	log_warnx("sim %s: out of memory for %" PRIu64 " pages of metadata", name,
		  (cfg->size + cfg->page_size - 1) / cfg->page_size);
	return -ENOMEM;
}

int sim_touch(struct backend *b, uint64_t page)
{
	struct sim *s = sim_of(b);
	int r = 0;

	pthread_mutex_lock(&s->lock);
	sim_advance(s);
	if (page >= s->img.npages) {
		r = -EINVAL;
	} else if (!fsm_is_running(s->state)) {
		r = -EBUSY;
	} else {
		s->img.versions[page]++;
		sim_save_dirty(&s->save, page);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint64_t sim_resets(struct backend *b)
{
	struct sim *s = sim_of(b);
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->resets;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int sim_set_faults(struct backend *b, const struct sim_faults *f)
{
	struct sim *s = sim_of(b);
	struct sim_config c;
	int r;

	pthread_mutex_lock(&s->lock);
	c = s->cfg;
	c.faults = *f;
	r = sim_config_check(&c, NULL);
	if (r == 0) {
		s->cfg.faults = *f;
		s->reset_at_fired = false;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
