/*
 * stream_recv.c - the RECV worker: DATA frames -> device, StreamAck now and then, and the
 * integrity check at STREAM_END.
 *
 * A frame is read into the stream's one buffer (sized for the largest DATA frame) and its
 * bytes are written to the device from there, looping on partial writes; any device error is
 * fatal, since a resume stream cannot skip bytes. Sequence numbers must be exactly 0, 1, 2...
 *
 * Only STREAM_END completes a stream: its byte count and SHA-256 must match what arrived. A
 * close_notify or a reset before it is a failure (-EPIPE), never success: over libevent 2.1
 * and OpenSSL 3 a truncated TLS stream can look like an orderly end (anchors.md 4.2), so the
 * transport's end proves nothing. After a good END the destination sends its final StreamAck
 * and close_notify.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "stream_int.h"

/* Writes every byte of data to the device. */
static int stream_recv_write(struct stream *s, const uint8_t *data, size_t len)
{
	ssize_t n;

	while (len) {
		if (stream_is_cancelled(s))
			return -ECANCELED;
		n = backend_stream_write(s->cfg.backend, data, len);
		if (n <= 0)
			return stream_error(s, n < 0 ? (int)n : -EIO,
					    "device write failed at stream offset %" PRIu64 ": %s",
					    s->bytes, n < 0 ? strerror((int)-n) : "wrote nothing");
		data += n;
		len -= (size_t)n;
		s->bytes += (uint64_t)n;
	}
	return 0;
}

static int stream_recv_data(struct stream *s, const struct frame_view *f)
{
	struct frame_data d;
	int r;

	if (frame_data_parse(f, &d) < 0)
		return stream_error(s, -EPROTO, "malformed DATA frame");
	if (d.seq != s->seq)
		return stream_error(s, -EPROTO,
				    "DATA frame out of sequence: got %" PRIu64
				    ", expected %" PRIu64,
				    d.seq, s->seq);
	digest_update(s->digest, d.data, d.len);
	r = stream_recv_write(s, d.data, d.len);
	if (r < 0)
		return r;
	s->seq++;
	s->frames++;
	if (s->bytes - s->acked >= STREAM_ACK_EVERY)
		return stream_frame_send_ack(s);
	return 0;
}

/* Checks STREAM_END against what arrived. */
static int stream_recv_check_end(struct stream *s, const struct peer_stream_end *e)
{
	uint8_t got[DIGEST_LEN];
	char hg[DIGEST_HEX_LEN], he[DIGEST_HEX_LEN];

	if (e->device_index != s->cfg.device_index)
		return stream_error(s, -EPROTO,
				    "STREAM_END for device %u on the stream of device %u",
				    e->device_index, s->cfg.device_index);
	if (e->bytes != s->bytes)
		return stream_error(s, -EBADMSG,
				    "integrity: byte count mismatch (received %" PRIu64
				    ", STREAM_END says %" PRIu64 ")",
				    s->bytes, e->bytes);
	digest_final(s->digest, got);
	if (memcmp(got, e->sha256, DIGEST_LEN) != 0)
		return stream_error(s, -EBADMSG,
				    "integrity: stream digest mismatch (got %s, expected %s)",
				    digest_hex(got, hg), digest_hex(e->sha256, he));
	return 0;
}

static int stream_recv_end(struct stream *s, const struct frame_view *f)
{
	struct peer_msg m;
	int r;

	r = peer_msg_decode(f->type, f->body, f->body_len, &m);
	if (r < 0)
		return stream_error(s, -EPROTO, "bad STREAM_END: %s", proto_last_error());
	r = stream_recv_check_end(s, &m.u.stream_end);
	peer_msg_clear(&m);
	if (r < 0)
		return r;
	s->end = true;
	stream_io_nodelay(s);
	r = stream_frame_send_ack(s);
	if (r < 0)
		return r;
	stream_io_shutdown(s);
	return 0;
}

/* The connection ended, or failed, before STREAM_END. */
static int stream_recv_cut(struct stream *s, int r)
{
	if (r == 0 || r == -ECONNRESET)
		return stream_error(s, -EPIPE,
				    "stream ended before END: %" PRIu64 " bytes received (%s)",
				    s->bytes, r == 0 ? "close_notify" : tls_conn_error(s->cfg.tls));
	return stream_error(s, r, "reading the stream failed after %" PRIu64 " bytes: %s", s->bytes,
			    tls_conn_error(s->cfg.tls));
}

int stream_recv_run(struct stream *s)
{
	struct frame_view f;
	int r;

	for (;;) {
		r = stream_frame_read(s, &f, true, 0);
		/* Cancelled, or failed with the reason recorded (stall, bad frame). */
		if (r == -ECANCELED || (r < 0 && s->error))
			return r;
		if (r <= 0)
			return stream_recv_cut(s, r);
		if (f.type == FRAME_STREAM_END)
			return stream_recv_end(s, &f);
		r = stream_recv_data(s, &f);
		if (r < 0)
			return r;
		stream_progress(s, false);
	}
}
