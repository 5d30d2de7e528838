/*
 * stream_send.c - the SEND worker: device -> DATA frames -> STREAM_END -> final StreamAck.
 *
 * One buffer, FRAME_DATA_PREFIX + chunk bytes: the device's bytes are read straight into
 * buf + FRAME_DATA_PREFIX, the prefix (frame header and sequence number) is written in front
 * of them, and the whole frame goes to TLS in one write, so a data byte is copied only by the
 * device read and the TLS encryption. The bandwidth caps are consulted after the read, when
 * the exact size is known, and before the write.
 *
 * Acknowledgements: after every frame the worker reads, without waiting, whatever StreamAck
 * frames have arrived; an acknowledgement may not exceed what was sent nor go backwards. A
 * destination that closes, or sends anything but StreamAck, fails the stream.
 *
 * Pre-copy: -ENOMSG from the device means "nothing for now" (backend.h). The worker goes
 * IDLE, refreshes the device's pre-copy estimates, and sleeps poll_ms on the cancel fd before
 * reading again. Only a read of 0 ends the stream, which the device returns only once the job
 * has moved it to STOP_COPY and every byte has been read.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "stream_int.h"

/* The destination closed or reset the connection while we were still sending. */
static int stream_send_peer_closed(struct stream *s, int r)
{
	if (r == 0 || r == -ECONNRESET)
		return stream_error(s, -EPIPE,
				    "destination closed the stream after %" PRIu64
				    " bytes sent, %" PRIu64 " acknowledged (%s)",
				    s->bytes, s->acked,
				    r == 0 ? "close_notify" : tls_conn_error(s->cfg.tls));
	return stream_error(s, r, "reading from the destination failed: %s",
			    tls_conn_error(s->cfg.tls));
}

static int stream_send_on_ack(struct stream *s, const struct frame_view *f)
{
	struct peer_msg m;
	uint64_t bytes;
	uint32_t index;
	int r;

	r = peer_msg_decode(f->type, f->body, f->body_len, &m);
	if (r < 0)
		return stream_error(s, -EPROTO, "bad StreamAck from the destination: %s",
				    proto_last_error());
	bytes = m.u.stream_ack.bytes;
	index = m.u.stream_ack.device_index;
	peer_msg_clear(&m);
	if (index != s->cfg.device_index)
		return stream_error(s, -EPROTO,
				    "StreamAck for device %u on the stream of device %u", index,
				    s->cfg.device_index);
	if (bytes > s->bytes || bytes < s->acked)
		return stream_error(s, -EPROTO,
				    "StreamAck of %" PRIu64 " bytes, but %" PRIu64
				    " were sent and %" PRIu64 " acknowledged before",
				    bytes, s->bytes, s->acked);
	s->acked = bytes;
	return 0;
}

/*
 * Handles the acknowledgements that are already there (wait false) or that arrive before
 * deadline_ns (wait true, until everything sent is acknowledged). Returns 0, 1 when the
 * destination closed with close_notify after STREAM_END, or -errno (recorded).
 */
static int stream_send_acks(struct stream *s, bool wait, uint64_t deadline_ns)
{
	struct frame_view f;
	int r;

	while (!wait || s->acked < s->bytes) {
		r = stream_frame_read(s, &f, wait, deadline_ns);
		if (r == -EAGAIN && !wait)
			return 0;
		if (r == -EAGAIN)
			return stream_error(s, -ETIMEDOUT,
					    "no final StreamAck within %u ms of STREAM_END "
					    "(%" PRIu64 " of %" PRIu64 " bytes acknowledged)",
					    s->cfg.end_ack_ms, s->acked, s->bytes);
		if (r == 0 && s->end)
			return 1;
		/* Cancelled, or failed with the reason recorded (stall, bad frame). */
		if (r == -ECANCELED || (r < 0 && s->error))
			return r;
		if (r <= 0)
			return stream_send_peer_closed(s, r);
		r = stream_send_on_ack(s, &f);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Waits for the bandwidth caps to allow n more bytes. */
static int stream_send_throttle(struct stream *s, size_t n)
{
	uint64_t job = ratelimit_take(s->cfg.job_limit, n);
	uint64_t host = ratelimit_take(s->cfg.host_limit, n);
	uint64_t us = job > host ? job : host;

	if (!us)
		return 0;
	s->throttled_us += us;
	stream_progress(s, false);
	return stream_io_sleep(s, us);
}

static void stream_send_precopy(struct stream *s)
{
	uint64_t initial, dirty;
	int r;

	if (s->precopy_unsupported)
		return;
	r = backend_precopy_info(s->cfg.backend, &initial, &dirty);
	s->precopy_valid = r == 0;
	if (r == -ENOTTY)
		s->precopy_unsupported = true;
	if (r == 0) {
		s->precopy_initial = initial;
		s->precopy_dirty = dirty;
	}
}

/* The device has nothing for now: IDLE, then look again after poll_ms. */
static int stream_send_idle(struct stream *s)
{
	int r;

	if (s->wstate != STREAM_IDLE) {
		s->idle_periods++;
		stream_send_precopy(s);
		stream_set_state(s, STREAM_IDLE);
	}
	r = stream_send_acks(s, false, 0);
	if (r < 0)
		return r;
	return stream_io_sleep(s, (uint64_t)s->cfg.poll_ms * 1000u);
}

/* Frames and sends the n device bytes at buf + FRAME_DATA_PREFIX. */
static int stream_send_frame(struct stream *s, size_t n)
{
	int r;

	digest_update(s->digest, s->buf + FRAME_DATA_PREFIX, n);
	frame_data_prefix_encode(s->seq, n, s->buf);
	r = stream_send_throttle(s, n);
	if (r < 0)
		return r;
	r = stream_io_write(s, s->buf, FRAME_DATA_PREFIX + n);
	if (r < 0)
		return r;
	s->seq++;
	s->frames++;
	s->bytes += n;
	return stream_send_acks(s, false, 0);
}

/* Reads one chunk from the device: > 0 bytes, 0 at EOF, -ENOMSG, or -errno (recorded). */
static ssize_t stream_send_read(struct stream *s)
{
	ssize_t n = backend_stream_read(s->cfg.backend, s->buf + FRAME_DATA_PREFIX, s->cfg.chunk);

	if (n >= 0 || n == -ENOMSG)
		return n;
	return stream_error(s, (int)n, "device read failed at stream offset %" PRIu64 ": %s%s",
			    s->bytes, strerror((int)-n),
			    n == -ENODEV || n == -EBADF ? " (the session ended: reset?)" : "");
}

/* STREAM_END, the final StreamAck (or close_notify), then our close_notify. */
static int stream_send_end(struct stream *s)
{
	struct peer_msg m = { .type = FRAME_STREAM_END };
	uint64_t deadline;
	int r;

	m.u.stream_end.device_index = s->cfg.device_index;
	m.u.stream_end.bytes = s->bytes;
	digest_final(s->digest, m.u.stream_end.sha256);
	stream_io_nodelay(s);
	r = stream_frame_send(s, &m);
	if (r < 0)
		return r;
	s->end = true;
	stream_progress(s, true);
	deadline = stream_now_ns() + (uint64_t)s->cfg.end_ack_ms * 1000000u;
	r = stream_send_acks(s, true, deadline);
	if (r < 0)
		return r;
	stream_io_shutdown(s);
	return 0;
}

int stream_send_run(struct stream *s)
{
	ssize_t n;
	int r;

	for (;;) {
		if (stream_is_cancelled(s))
			return -ECANCELED;
		n = stream_send_read(s);
		if (n == 0)
			break;
		if (n == -ENOMSG) {
			r = stream_send_idle(s);
		} else if (n > 0) {
			stream_set_state(s, STREAM_RUNNING);
			r = stream_send_frame(s, (size_t)n);
		} else {
			r = (int)n;
		}
		if (r < 0)
			return r;
		if (s->wstate == STREAM_RUNNING && !s->precopy_unsupported &&
		    stream_now_ns() - s->last_notify_ns >= (uint64_t)s->cfg.notify_ms * 1000000u)
			stream_send_precopy(s);
		stream_progress(s, false);
	}
	s->precopy_valid = false;
	stream_set_state(s, STREAM_RUNNING);
	return stream_send_end(s);
}
