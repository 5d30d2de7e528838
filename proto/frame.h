/*
 * frame.h - the wire framing shared by the control socket and the peer links.
 *
 * A frame is an 8-byte header followed by a body:
 *
 *   be32 body length | be16 type | be16 flags (must be 0) | body
 *
 * The type says what the body holds: a protobuf message of the control API or the peer
 * protocol (the message type is implied by the frame type; there is no envelope), or, for
 * STREAM_DATA, a be64 sequence number followed by raw device bytes that never pass through
 * protobuf. Every type has a maximum body size, checked from the header alone, before the
 * body is read or any memory is allocated for it.
 *
 * Owns: the type table (names, links, caps), header parsing and encoding, the incremental
 * parser over a byte buffer, and the DATA body header. Does not own message encoding
 * (ctl_*.h, peer_*.h) or any I/O. Pure; safe from any thread.
 */
#ifndef VFIO_MIGD_PROTO_FRAME_H
#define VFIO_MIGD_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN	   8 /* be32 length, be16 type, be16 flags */
#define FRAME_DATA_HDR_LEN 8 /* be64 sequence number at the start of a DATA body */
#define FRAME_DATA_PREFIX  (FRAME_HDR_LEN + FRAME_DATA_HDR_LEN) /* bytes before DATA payload */
#define FRAME_DATA_MAX	   (UINT32_C(1) << 20) /* raw device bytes in one DATA frame */
#define FRAME_BODY_MAX	   ((UINT32_C(4) << 20) + (UINT32_C(256) << 10)) /* largest cap */

/*
 * Frame types. The high byte names the connection that carries them (enum frame_link);
 * the values are part of the wire format and never change.
 */
enum frame_type {
	FRAME_CTL_REQUEST = 0x0101,	   /* control.proto Request */
	FRAME_CTL_REPLY = 0x0102,	   /* control.proto Reply */
	FRAME_CTL_EVENT = 0x0103,	   /* control.proto Event */
	FRAME_PEER_HELLO = 0x0201,	   /* peer.proto PeerHello */
	FRAME_PEER_PING = 0x0202,	   /* PeerPing */
	FRAME_PEER_PONG = 0x0203,	   /* PeerPing (same nonce) */
	FRAME_PEER_PREPARE = 0x0204,	   /* PeerPrepare */
	FRAME_PEER_PREPARE_REPLY = 0x0205, /* PeerPrepareReply */
	FRAME_PEER_SWITCHOVER = 0x0206,	   /* JobNotice: source devices leave RUNNING */
	FRAME_PEER_LOADED = 0x0207,	   /* LoadResult without error */
	FRAME_PEER_LOAD_FAILED = 0x0208,   /* LoadResult with error */
	FRAME_PEER_COMMIT = 0x0209,	   /* JobNotice */
	FRAME_PEER_COMMIT_ACK = 0x020a,	   /* JobNotice */
	FRAME_PEER_ABORT = 0x020b,	   /* PeerAbort */
	FRAME_PEER_RESUMED = 0x020c,	   /* JobNotice: destination devices RUNNING */
	FRAME_STREAM_HELLO = 0x0301,	   /* StreamHello: first frame of a data connection */
	FRAME_STREAM_DATA = 0x0302,	   /* be64 sequence number + raw device bytes */
	FRAME_STREAM_ACK = 0x0303,	   /* StreamAck */
	FRAME_STREAM_END = 0x0304,	   /* StreamEnd: last frame of a data connection */
};

/* The connection a frame type belongs on. */
enum frame_link {
	FRAME_LINK_NONE = 0,	/* not a known type */
	FRAME_LINK_CONTROL = 1, /* orchestrator <-> daemon UNIX socket */
	FRAME_LINK_PEER = 2,	/* daemon <-> daemon control link */
	FRAME_LINK_STREAM = 3,	/* daemon <-> daemon per-device data connection */
};

/* A parsed frame (or, while incomplete, its header); body points into the parsed buffer. */
struct frame_view {
	uint16_t type;
	uint16_t flags;
	uint32_t body_len;
	const uint8_t *body; /* NULL until the frame is complete */
	size_t frame_len;    /* FRAME_HDR_LEN + body_len: bytes the whole frame occupies */
};

/* A DATA frame's body, split. */
struct frame_data {
	uint64_t seq;
	const uint8_t *data; /* points into the frame body */
	size_t len;	     /* 0..FRAME_DATA_MAX */
};

#define FRAME_NEED_MORE 0
#define FRAME_COMPLETE	1

/*
 * Parses the frame at the start of buf[0, len). Returns:
 *  FRAME_COMPLETE  *ret describes the frame; ret->body points into buf; the next frame
 *                  starts at buf + ret->frame_len;
 *  FRAME_NEED_MORE buf holds a valid prefix; ret->frame_len is the total the frame needs
 *                  (FRAME_HDR_LEN while the header is incomplete); once the header is
 *                  complete, type, flags and body_len are set too, body stays NULL;
 *  -EPROTO         unknown type, nonzero flags, or a body shorter than the type allows;
 *  -EMSGSIZE       body length above the type's cap.
 * The header is checked as soon as its 8 bytes are there, so a bad frame is refused
 * before its body is buffered. *ret is not written on error. buf may be NULL if len is 0.
 */
int frame_parse(const uint8_t *buf, size_t len, struct frame_view *ret);

/*
 * Writes a header for a body of body_len bytes. Returns 0, -EINVAL for an unknown type,
 * or -EMSGSIZE when body_len is outside the type's bounds.
 */
int frame_header_encode(uint16_t type, size_t body_len, uint8_t out[FRAME_HDR_LEN]);

/*
 * Writes header and body into out[0, out_size). Returns the bytes written
 * (FRAME_HDR_LEN + body_len), or the errors of frame_header_encode, or -ENOBUFS when
 * out_size is too small. out is not written on error.
 */
int frame_encode(uint16_t type, const void *body, size_t body_len, uint8_t *out, size_t out_size);

/*
 * Writes the FRAME_DATA_PREFIX bytes that precede data_len raw bytes in a DATA frame
 * (frame header and sequence number), so the caller can send prefix and payload with one
 * writev and no copy. Returns 0 or -EMSGSIZE when data_len > FRAME_DATA_MAX.
 */
int frame_data_prefix_encode(uint64_t seq, size_t data_len, uint8_t out[FRAME_DATA_PREFIX]);

/*
 * Splits a complete DATA frame. Returns 0 and *ret, or -EPROTO when f is not a complete
 * STREAM_DATA frame of a valid length. *ret is not written on error.
 */
int frame_data_parse(const struct frame_view *f, struct frame_data *ret);

/* The type's name ("PEER_PREPARE"), or "UNKNOWN". */
const char *frame_type_name(uint16_t type);

/* The type's maximum body length, or 0 for an unknown type. */
uint32_t frame_type_cap(uint16_t type);

/* The connection the type belongs on (enum frame_link), FRAME_LINK_NONE if unknown. */
int frame_type_link(uint16_t type);

#endif
