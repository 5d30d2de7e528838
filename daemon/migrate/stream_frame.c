/*
 * stream_frame.c - frames on a data connection: reading whole frames with exact-length reads,
 * and sending the small protobuf messages (StreamAck, StreamEnd).
 *
 * The reader asks TLS for exactly the bytes the current frame still needs (its 8-byte header,
 * then the rest), so a frame is assembled in place, nothing is ever moved, and bytes past the
 * frame stay inside the TLS layer for the next call. A frame is checked as soon as its header
 * is in: a type this role does not accept (SEND accepts STREAM_ACK; RECV accepts STREAM_DATA
 * and STREAM_END) or a bad length fails the stream before its body is read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream_int.h"

void stream_frame_init(struct stream *s)
{
	if (s->cfg.role == STREAM_RECV) {
		s->rx.buf = s->buf;
		s->rx.cap = s->buf_len;
	} else {
		s->rx.buf = s->small;
		s->rx.cap = sizeof(s->small);
	}
	s->rx.have = 0;
	s->rx.need = FRAME_HDR_LEN;
	s->rx.hdr_done = false;
}

static bool stream_frame_accepted(const struct stream *s, uint16_t type)
{
	if (s->cfg.role == STREAM_SEND)
		return type == FRAME_STREAM_ACK;
	return type == FRAME_STREAM_DATA || type == FRAME_STREAM_END;
}

/* The header is in: check it and learn the frame's full length. */
static int stream_frame_header(struct stream *s)
{
	struct stream_rx *rx = &s->rx;
	struct frame_view v;
	int r;

	r = frame_parse(rx->buf, rx->have, &v);
	if (r < 0)
		return stream_error(s, -EPROTO, "malformed frame header: %s", strerror(-r));
	if (!stream_frame_accepted(s, v.type))
		return stream_error(s, -EPROTO, "unexpected %s frame (type 0x%04x) on a %s stream",
				    frame_type_name(v.type), v.type,
				    s->cfg.role == STREAM_SEND ? "sending" : "receiving");
	if (v.frame_len > rx->cap)
		return stream_error(s, -EPROTO, "%s frame of %zu bytes is larger than %zu",
				    frame_type_name(v.type), v.frame_len, rx->cap);
	rx->need = v.frame_len;
	rx->hdr_done = true;
	return 0;
}

/* The frame is complete: parse it and start the next one. */
static int stream_frame_complete(struct stream *s, struct frame_view *ret)
{
	struct stream_rx *rx = &s->rx;
	int r;

	r = frame_parse(rx->buf, rx->have, ret);
	rx->have = 0;
	rx->need = FRAME_HDR_LEN;
	rx->hdr_done = false;
	if (r != FRAME_COMPLETE)
		return stream_error(s, -EPROTO, "malformed frame: %s",
				    r < 0 ? strerror(-r) : "incomplete");
	return 1;
}

int stream_frame_read(struct stream *s, struct frame_view *ret, bool wait, uint64_t deadline_ns)
{
	struct stream_rx *rx = &s->rx;
	ssize_t n;
	int r;

	for (;;) {
		if (!rx->hdr_done && rx->have == FRAME_HDR_LEN) {
			r = stream_frame_header(s);
			if (r < 0)
				return r;
		}
		if (rx->hdr_done && rx->have == rx->need)
			return stream_frame_complete(s, ret);
		n = stream_io_read(s, rx->buf + rx->have, rx->need - rx->have, wait, deadline_ns);
		if (n <= 0)
			return (int)n;
		rx->have += (size_t)n;
	}
}

int stream_frame_send(struct stream *s, const struct peer_msg *m)
{
	uint8_t *buf;
	size_t len;
	int r;

	r = peer_msg_encode(m, &buf, &len);
	if (r < 0)
		return stream_error(s, r, "cannot encode %s: %s", frame_type_name(m->type),
				    proto_last_error());
	r = stream_io_write(s, buf, len);
	free(buf);
	return r;
}

int stream_frame_send_ack(struct stream *s)
{
	struct peer_msg m = { .type = FRAME_STREAM_ACK };
	int r;

	m.u.stream_ack.device_index = s->cfg.device_index;
	m.u.stream_ack.bytes = s->bytes;
	r = stream_frame_send(s, &m);
	if (r == 0)
		s->acked = s->bytes;
	return r;
}
