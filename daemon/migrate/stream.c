/*
 * stream.c - struct stream: start, stats, cancel, wait, free, and the worker's state and
 * progress publishing. The byte moving lives in stream_send.c and stream_recv.c.
 *
 * The worker keeps its counters in worker-only fields and publishes them under the lock at
 * most once per chunk (stream_progress), so stream_stats() never waits for a device call or
 * the network. A state change is logged once ("old -> new") and notified; progress is
 * notified at most every notify_ms. The notify callback always runs outside the lock, so it
 * may call stream_stats().
 *
 * Teardown: the worker publishes its terminal state, makes the final notify call, and only
 * then marks itself finished for stream_wait(), so a returned stream_wait() also means the last
 * notification was made. stream_free() joins, so whoever reacts to the terminal notification
 * may free the stream (from another thread) without waiting for anything else.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stream_int.h"
#include "thread.h"

static const char *const stream_state_names[] = {
	[STREAM_RUNNING] = "RUNNING", [STREAM_IDLE] = "IDLE",		[STREAM_DONE] = "DONE",
	[STREAM_FAILED] = "FAILED",   [STREAM_CANCELLED] = "CANCELLED",
};

const char *stream_state_name(enum stream_state st)
{
	if ((unsigned int)st >= sizeof(stream_state_names) / sizeof(stream_state_names[0]) ||
	    !stream_state_names[st])
		return "UNKNOWN";
	return stream_state_names[st];
}

static const char *stream_role_name(const struct stream *s)
{
	return s->cfg.role == STREAM_SEND ? "send" : "recv";
}

uint64_t stream_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool stream_is_cancelled(struct stream *s)
{
	return atomic_load(&s->cancelled);
}

int stream_error(struct stream *s, int r, const char *fmt, ...)
{
	va_list ap;

	if (s->error)
		return r;
	s->error = r;
	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
	return r;
}

/* Copies the worker's counters into the shared stats. Locked. */
static void stream_publish(struct stream *s, uint64_t now)
{
	s->st.bytes = s->bytes;
	s->st.bytes_acked = s->acked;
	s->st.frames = s->frames;
	s->st.end = s->end;
	s->st.precopy_valid = s->precopy_valid;
	s->st.precopy_initial = s->precopy_initial;
	s->st.precopy_dirty = s->precopy_dirty;
	s->st.idle_periods = s->idle_periods;
	s->st.throttled_us = s->throttled_us;
	stream_rate_add(&s->rate, now, s->bytes);
}

static void stream_notify(struct stream *s, uint64_t now)
{
	s->last_notify_ns = now;
	if (s->cfg.notify)
		s->cfg.notify(s, s->cfg.notify_arg);
}

void stream_set_state(struct stream *s, enum stream_state st)
{
	uint64_t now = stream_now_ns();

	if (st == s->wstate)
		return;
	log_debug("stream %s (%s, device %u): %s -> %s", s->name, stream_role_name(s),
		  s->cfg.device_index, stream_state_name(s->wstate), stream_state_name(st));
	s->wstate = st;
	pthread_mutex_lock(&s->lock);
	stream_publish(s, now);
	s->st.state = st;
	pthread_mutex_unlock(&s->lock);
	stream_notify(s, now);
}

void stream_progress(struct stream *s, bool force)
{
	uint64_t now = stream_now_ns();

	pthread_mutex_lock(&s->lock);
	stream_publish(s, now);
	pthread_mutex_unlock(&s->lock);
	if (force || now - s->last_notify_ns >= (uint64_t)s->cfg.notify_ms * 1000000u)
		stream_notify(s, now);
}

/* The worker's last acts: publish the terminal state, notify, then wake stream_wait(). */
static void stream_finish(struct stream *s, int r)
{
	enum stream_state st = STREAM_DONE;
	uint64_t now = stream_now_ns();

	/* A failure that came first stays a failure even if a cancel followed it. */
	if (r == -ECANCELED && stream_is_cancelled(s)) {
		st = STREAM_CANCELLED;
		s->error = -ECANCELED;
		snprintf(s->message, sizeof(s->message), "cancelled after %" PRIu64 " bytes",
			 s->bytes);
	} else if (r < 0) {
		st = STREAM_FAILED;
		if (!s->error)
			stream_error(s, r, "%s", strerror(-r));
	}
	if (st == STREAM_FAILED)
		log_warnx("stream %s (%s, device %u): %s -> FAILED after %" PRIu64 " bytes: %s",
			  s->name, stream_role_name(s), s->cfg.device_index,
			  stream_state_name(s->wstate), s->bytes, s->message);
	else
		log_info("stream %s (%s, device %u): %s -> %s, %" PRIu64 " bytes in %" PRIu64
			 " frames",
			 s->name, stream_role_name(s), s->cfg.device_index,
			 stream_state_name(s->wstate), stream_state_name(st), s->bytes, s->frames);
	s->wstate = st;
	pthread_mutex_lock(&s->lock);
	stream_publish(s, now);
	s->st.state = st;
	s->st.error = st == STREAM_DONE ? 0 : s->error;
	snprintf(s->st.message, sizeof(s->st.message), "%s", st == STREAM_DONE ? "" : s->message);
	s->st.finished_ns = now;
	pthread_mutex_unlock(&s->lock);
	stream_notify(s, now);
	pthread_mutex_lock(&s->lock);
	s->finished = true;
	pthread_cond_broadcast(&s->finished_cond);
	pthread_mutex_unlock(&s->lock);
}

static void *stream_worker(void *arg)
{
	struct stream *s = arg;
	int r;

	r = stream_io_setup(s);
	if (r == 0)
		r = s->cfg.role == STREAM_SEND ? stream_send_run(s) : stream_recv_run(s);
	stream_finish(s, r);
	return NULL;
}

static int stream_check_config(const struct stream_config *c)
{
	if (c->role != STREAM_SEND && c->role != STREAM_RECV)
		return -EINVAL;
	if (!c->backend || !c->tls || c->fd < 0 || (c->prefix_len && !c->prefix))
		return -EINVAL;
	if (c->chunk && (c->chunk < STREAM_CHUNK_MIN || c->chunk > FRAME_DATA_MAX))
		return -EINVAL;
	return 0;
}

/* Copies the configuration with defaults filled in. */
static void stream_apply_config(struct stream *s, const struct stream_config *c)
{
	s->cfg = *c;
	snprintf(s->name, sizeof(s->name), "%s", c->name ? c->name : "");
	s->cfg.name = s->name;
	if (!s->cfg.chunk)
		s->cfg.chunk = STREAM_CHUNK_DEFAULT;
	if (!s->cfg.notify_ms)
		s->cfg.notify_ms = STREAM_NOTIFY_MS_DEFAULT;
	if (!s->cfg.poll_ms)
		s->cfg.poll_ms = STREAM_POLL_MS_DEFAULT;
	if (!s->cfg.end_ack_ms)
		s->cfg.end_ack_ms = STREAM_END_ACK_MS_DEFAULT;
}

/* Everything but the mutex, condition and thread. */
static int stream_alloc(const struct stream_config *c, struct stream **ret)
{
	struct stream *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;

	if (!s)
		return -ENOMEM;
	stream_apply_config(s, c);
	s->buf_len = c->role == STREAM_SEND ? FRAME_DATA_PREFIX + s->cfg.chunk
					    : FRAME_DATA_PREFIX + FRAME_DATA_MAX;
	s->buf = malloc(s->buf_len);
	if (!s->buf)
		goto err_free;
	if (c->prefix_len) {
		s->prefix = malloc(c->prefix_len);
		if (!s->prefix)
			goto err_free_buf;
		memcpy(s->prefix, c->prefix, c->prefix_len);
		s->prefix_len = c->prefix_len;
	}
	s->cfg.prefix = NULL;
	s->cfg.prefix_len = 0;
	if (digest_new(&s->digest) < 0)
		goto err_free_prefix;
	s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->cancel_fd < 0) {
		r = -errno;
		goto err_free_digest;
	}
	*ret = s;
	return 0;

err_free_digest:
	digest_free(s->digest);
err_free_prefix:
	free(s->prefix);
err_free_buf:
	free(s->buf);
err_free:
	free(s);
	return r;
}

/* The lock, and a condition that waits on CLOCK_MONOTONIC (immune to clock changes). */
static void stream_init_sync(struct stream *s)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->finished_cond, &ca);
	pthread_condattr_destroy(&ca);
}

int stream_start(const struct stream_config *c, struct stream **ret)
{
	struct stream *s = NULL;
	int r;

	r = stream_check_config(c);
	if (r < 0)
		return r;
	r = stream_alloc(c, &s);
	if (r < 0)
		return r;
	stream_init_sync(s);
	stream_frame_init(s);
	s->st.role = c->role;
	s->st.device_index = c->device_index;
	s->st.state = s->wstate = STREAM_RUNNING;
	s->st.started_ns = s->last_io_ns = s->last_notify_ns = stream_now_ns();
	stream_rate_add(&s->rate, s->st.started_ns, 0);
	r = thread_spawn(&s->thread, NULL, stream_worker, s);
	if (r < 0) {
		/* The caller keeps fd and tls: detach them so stream_free() leaves them alone. */
		s->cfg.fd = -1;
		s->cfg.tls = NULL;
		s->joined = true;
		stream_free(s);
		return r;
	}
	log_debug("stream %s (%s, device %u): started, chunk %u", s->name, stream_role_name(s),
		  s->cfg.device_index, s->cfg.chunk);
	*ret = s;
	return 0;
}

void stream_stats(struct stream *s, struct stream_stats *ret)
{
	uint64_t now = stream_now_ns();

	pthread_mutex_lock(&s->lock);
	*ret = s->st;
	if (s->st.finished_ns > s->st.started_ns)
		ret->rate = (uint64_t)((double)s->st.bytes * 1e9 /
				       (double)(s->st.finished_ns - s->st.started_ns));
	else
		ret->rate = stream_rate_get(&s->rate, now, s->st.bytes);
	pthread_mutex_unlock(&s->lock);
}

void stream_cancel(struct stream *s)
{
	uint64_t one = 1;

	if (atomic_exchange(&s->cancelled, true))
		return;
	/* An eventfd write of 1 cannot fail short of a counter overflow, which needs 2^64 - 1. */
	if (write(s->cancel_fd, &one, sizeof(one)) < 0)
		log_warn(-errno, "stream %s: cannot signal cancel", s->name);
}

int stream_wait(struct stream *s, int timeout_ms)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ms >= 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&s->lock);
	while (!s->finished && r == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&s->finished_cond, &s->lock);
		else
			r = pthread_cond_timedwait(&s->finished_cond, &s->lock, &until);
	}
	r = s->finished ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&s->lock);
	return r;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	if (!s->joined) {
		stream_cancel(s);
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	tls_conn_free(s->cfg.tls);
	if (s->cfg.fd >= 0)
		close(s->cfg.fd);
	close(s->cancel_fd);
	pthread_cond_destroy(&s->finished_cond);
	pthread_mutex_destroy(&s->lock);
	digest_free(s->digest);
	free(s->prefix);
	free(s->buf);
	free(s);
}
