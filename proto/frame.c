/*
 * frame.c - frame headers, the type table with per-type size bounds, the incremental
 * parser, and the DATA body header. See frame.h for the format.
 */
#include <errno.h>
#include <string.h>

#include "frame.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

/*
 * Every frame type: its name, the connection it travels on, and the bounds of its body.
 * The caps leave room above the largest message the encoders can produce (the unit tests
 * encode the largest valid message of every type and check it fits), and are small for
 * the fixed-size notices so a peer cannot make us buffer more than a message needs.
 */
static const struct frame_type_info {
	uint16_t type;
	uint8_t link;
	uint32_t min; /* smallest body */
	uint32_t cap; /* largest body */
	const char *name;
} frame_types[] = {
	/* migrate carries up to PROTO_METADATA_TOTAL_MAX of metadata plus 32 device maps */
	{ FRAME_CTL_REQUEST, FRAME_LINK_CONTROL, 0, 4 * MiB + 256 * KiB, "CTL_REQUEST" },
	/* 256 device infos, 64 job statuses with 32 devices each, or 1 MiB of job metadata */
	{ FRAME_CTL_REPLY, FRAME_LINK_CONTROL, 0, 1 * MiB + 64 * KiB, "CTL_REPLY" },
	{ FRAME_CTL_EVENT, FRAME_LINK_CONTROL, 0, 64 * KiB, "CTL_EVENT" },
	{ FRAME_PEER_HELLO, FRAME_LINK_PEER, 0, 1 * KiB, "PEER_HELLO" },
	{ FRAME_PEER_PING, FRAME_LINK_PEER, 0, 32, "PEER_PING" },
	{ FRAME_PEER_PONG, FRAME_LINK_PEER, 0, 32, "PEER_PONG" },
	{ FRAME_PEER_PREPARE, FRAME_LINK_PEER, 0, 4 * MiB + 256 * KiB, "PEER_PREPARE" },
	{ FRAME_PEER_PREPARE_REPLY, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_PREPARE_REPLY" },
	{ FRAME_PEER_SWITCHOVER, FRAME_LINK_PEER, 0, 32, "PEER_SWITCHOVER" },
	{ FRAME_PEER_LOADED, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_LOADED" },
	{ FRAME_PEER_LOAD_FAILED, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_LOAD_FAILED" },
	{ FRAME_PEER_COMMIT, FRAME_LINK_PEER, 0, 32, "PEER_COMMIT" },
	{ FRAME_PEER_COMMIT_ACK, FRAME_LINK_PEER, 0, 32, "PEER_COMMIT_ACK" },
	{ FRAME_PEER_ABORT, FRAME_LINK_PEER, 0, 2 * KiB, "PEER_ABORT" },
	{ FRAME_PEER_RESUMED, FRAME_LINK_PEER, 0, 32, "PEER_RESUMED" },
	{ FRAME_STREAM_HELLO, FRAME_LINK_STREAM, 0, 256, "STREAM_HELLO" },
	{ FRAME_STREAM_DATA, FRAME_LINK_STREAM, FRAME_DATA_HDR_LEN,
	  FRAME_DATA_HDR_LEN + FRAME_DATA_MAX, "STREAM_DATA" },
	{ FRAME_STREAM_ACK, FRAME_LINK_STREAM, 0, 32, "STREAM_ACK" },
	{ FRAME_STREAM_END, FRAME_LINK_STREAM, 0, 64, "STREAM_END" },
};

#define N_TYPES (sizeof(frame_types) / sizeof(frame_types[0]))

static const struct frame_type_info *type_info(uint16_t type)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (frame_types[i].type == type)
			return &frame_types[i];
	return NULL;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Checks a complete header; fills *ret except body. */
static int parse_header(const uint8_t *p, struct frame_view *ret)
{
	uint32_t body_len = get_be32(p);
	uint16_t type = get_be16(p + 4);
	uint16_t flags = get_be16(p + 6);
	const struct frame_type_info *ti = type_info(type);

	if (!ti || flags != 0)
		return -EPROTO;
	if (body_len > ti->cap)
		return -EMSGSIZE;
	if (body_len < ti->min)
		return -EPROTO;
	ret->type = type;
	ret->flags = flags;
	ret->body_len = body_len;
	ret->body = NULL;
	ret->frame_len = (size_t)FRAME_HDR_LEN + body_len;
	return 0;
}

int frame_parse(const uint8_t *buf, size_t len, struct frame_view *ret)
{
	struct frame_view v = { 0 };
	int r;

	if (len < FRAME_HDR_LEN) {
		*ret = v;
		ret->frame_len = FRAME_HDR_LEN;
		return FRAME_NEED_MORE;
	}
	r = parse_header(buf, &v);
	if (r < 0)
		return r;
	if (len >= v.frame_len)
		v.body = buf + FRAME_HDR_LEN;
	*ret = v;
	return v.body ? FRAME_COMPLETE : FRAME_NEED_MORE;
}

int frame_header_encode(uint16_t type, size_t body_len, uint8_t out[FRAME_HDR_LEN])
{
	const struct frame_type_info *ti = type_info(type);

	if (!ti)
		return -EINVAL;
	if (body_len > ti->cap || body_len < ti->min)
		return -EMSGSIZE;
	put_be32(out, (uint32_t)body_len);
	put_be16(out + 4, type);
	put_be16(out + 6, 0);
	return 0;
}

int frame_encode(uint16_t type, const void *body, size_t body_len, uint8_t *out, size_t out_size)
{
	uint8_t hdr[FRAME_HDR_LEN];
	int r;

	r = frame_header_encode(type, body_len, hdr);
	if (r < 0)
		return r;
	if (out_size < FRAME_HDR_LEN + body_len)
		return -ENOBUFS;
	memcpy(out, hdr, FRAME_HDR_LEN);
	if (body_len)
		memcpy(out + FRAME_HDR_LEN, body, body_len);
	return (int)(FRAME_HDR_LEN + body_len);
}

int frame_data_prefix_encode(uint64_t seq, size_t data_len, uint8_t out[FRAME_DATA_PREFIX])
{
	if (data_len > FRAME_DATA_MAX)
		return -EMSGSIZE;
	put_be32(out, (uint32_t)(FRAME_DATA_HDR_LEN + data_len));
	put_be16(out + 4, FRAME_STREAM_DATA);
	put_be16(out + 6, 0);
	put_be64(out + FRAME_HDR_LEN, seq);
	return 0;
}

int frame_data_parse(const struct frame_view *f, struct frame_data *ret)
{
	if (f->type != FRAME_STREAM_DATA || !f->body || f->body_len < FRAME_DATA_HDR_LEN ||
	    f->body_len > FRAME_DATA_HDR_LEN + FRAME_DATA_MAX)
		return -EPROTO;
	ret->seq = get_be64(f->body);
	ret->data = f->body + FRAME_DATA_HDR_LEN;
	ret->len = f->body_len - FRAME_DATA_HDR_LEN;
	return 0;
}

const char *frame_type_name(uint16_t type)
{
	const struct frame_type_info *ti = type_info(type);

	return ti ? ti->name : "UNKNOWN";
}

uint32_t frame_type_cap(uint16_t type)
{
	const struct frame_type_info *ti = type_info(type);

	return ti ? ti->cap : 0;
}

int frame_type_link(uint16_t type)
{
	const struct frame_type_info *ti = type_info(type);

	return ti ? ti->link : FRAME_LINK_NONE;
}
