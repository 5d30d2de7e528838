/*
 * peer_msg.c - the peer message codec: a table maps each peer frame type to its protobuf
 * descriptor and its two conversions; PEER_PREPARE is delegated to peer_prepare.c. Each
 * message's rules are one check function on the C struct, run after decoding and before
 * encoding, so both directions agree.
 */
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "frame.h"
#include "peer.pb-c.h"
#include "peer_msg.h"

/* Protobuf-c storage for encoding any message but PREPARE; it points into the source. */
struct peer_pb {
	union {
		Vmig__PeerHello hello;
		Vmig__PeerPing ping;
		Vmig__PeerPrepareReply prepare_reply;
		Vmig__JobNotice notice;
		Vmig__LoadResult load;
		Vmig__PeerAbort abort;
		Vmig__StreamHello stream_hello;
		Vmig__StreamAck stream_ack;
		Vmig__StreamEnd stream_end;
	} u;
	Vmig__Error error;
};

static int index_check(uint32_t device_index)
{
	return codec_range(device_index, 0, PROTO_JOB_DEVICES_MAX - 1, "device_index");
}

static int job_check(uint64_t job_id)
{
	return codec_need(job_id != 0, "job_id");
}

/* Encodes e (field what) into p->error and returns it, or NULL when e is empty. */
static Vmig__Error *error_to_pb(const struct proto_error *e, const char *what, struct peer_pb *p,
				int *r)
{
	if (!codec_error_set(e))
		return NULL;
	*r = codec_error_out(&p->error, e, what);
	return &p->error;
}

/* ---- hello ---- */

static int hello_check(const struct peer_msg *m)
{
	const struct peer_hello *h = &m->u.hello;
	int r = codec_range(h->version, 1, UINT32_MAX, "version");

	if (r == 0)
		r = codec_range(h->min_version, 1, h->version, "min_version");
	if (r == 0)
		r = codec_str_check(h->host_identity, PROTO_ADDR_MAX, CODEC_TEXT, false,
				    "host_identity");
	if (r == 0)
		r = codec_str_check(h->software, PROTO_NAME_MAX, CODEC_TEXT, false, "software");
	return r;
}

static int hello_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	Vmig__PeerHello *pm = &p->u.hello;

	vmig__peer_hello__init(pm);
	CODEC_SET(pm, version, m->u.hello.version);
	CODEC_SET(pm, min_version, m->u.hello.min_version);
	CODEC_OPT(pm, features, m->u.hello.features);
	pm->host_identity = codec_opt_str(m->u.hello.host_identity);
	pm->software = codec_opt_str(m->u.hello.software);
	return 0;
}

static int hello_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__PeerHello *pm = (const Vmig__PeerHello *)base;
	struct peer_hello *h = &m->u.hello;
	int r = codec_need(pm->has_version && pm->has_min_version, "version, min_version");

	if (r == 0)
		r = codec_str_in(h->host_identity, PROTO_ADDR_MAX, pm->host_identity, CODEC_TEXT,
				 false, "host_identity");
	if (r == 0)
		r = codec_str_in(h->software, PROTO_NAME_MAX, pm->software, CODEC_TEXT, false,
				 "software");
	h->version = pm->version;
	h->min_version = pm->min_version;
	h->features = pm->features;
	return r;
}

/* ---- ping and pong ---- */

static int ping_check(const struct peer_msg *m)
{
	return 0;
}

static int ping_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	vmig__peer_ping__init(&p->u.ping);
	CODEC_SET(&p->u.ping, nonce, m->u.ping.nonce);
	return 0;
}

static int ping_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__PeerPing *pm = (const Vmig__PeerPing *)base;

	m->u.ping.nonce = pm->nonce;
	return codec_need(pm->has_nonce, "nonce");
}

/* ---- prepare reply ---- */

static int prepare_reply_check(const struct peer_msg *m)
{
	const struct peer_prepare_reply *q = &m->u.prepare_reply;
	int r = job_check(q->job_id);

	if (r == 0 && q->error.code == PROTO_ERR_OK)
		r = codec_need(q->dest_job_id != 0, "dest_job_id");
	return r;
}

static int prepare_reply_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	Vmig__PeerPrepareReply *pm = &p->u.prepare_reply;
	int r = 0;

	vmig__peer_prepare_reply__init(pm);
	CODEC_SET(pm, job_id, m->u.prepare_reply.job_id);
	CODEC_OPT(pm, dest_job_id, m->u.prepare_reply.dest_job_id);
	pm->error = error_to_pb(&m->u.prepare_reply.error, "error", p, &r);
	return r;
}

static int prepare_reply_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__PeerPrepareReply *pm = (const Vmig__PeerPrepareReply *)base;

	m->u.prepare_reply.job_id = pm->job_id;
	m->u.prepare_reply.dest_job_id = pm->dest_job_id;
	return codec_error_in(&m->u.prepare_reply.error, pm->error, "error");
}

/* ---- notices: switchover, commit, commit ack, resumed ---- */

static int notice_check(const struct peer_msg *m)
{
	return job_check(m->u.notice.job_id);
}

static int notice_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	vmig__job_notice__init(&p->u.notice);
	CODEC_SET(&p->u.notice, job_id, m->u.notice.job_id);
	return 0;
}

static int notice_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	m->u.notice.job_id = ((const Vmig__JobNotice *)base)->job_id;
	return 0;
}

/* ---- loaded and load failed ---- */

static int load_check(const struct peer_msg *m)
{
	const struct peer_load *l = &m->u.load;
	bool failed = m->type == FRAME_PEER_LOAD_FAILED;
	int r = job_check(l->job_id);

	if (r == 0)
		r = index_check(l->device_index);
	if (r == 0 && failed && l->error.code == PROTO_ERR_OK)
		r = codec_fail(-EPROTO, "error: missing in LOAD_FAILED");
	if (r == 0 && !failed && l->error.code != PROTO_ERR_OK)
		r = codec_fail(-EPROTO, "error: %s in LOADED", proto_err_name(l->error.code));
	return r;
}

static int load_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	Vmig__LoadResult *pm = &p->u.load;
	int r = 0;

	vmig__load_result__init(pm);
	CODEC_SET(pm, job_id, m->u.load.job_id);
	CODEC_SET(pm, device_index, m->u.load.device_index);
	pm->error = error_to_pb(&m->u.load.error, "error", p, &r);
	return r;
}

static int load_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__LoadResult *pm = (const Vmig__LoadResult *)base;

	m->u.load.job_id = pm->job_id;
	m->u.load.device_index = pm->device_index;
	if (!pm->has_device_index)
		return codec_need(false, "device_index");
	return codec_error_in(&m->u.load.error, pm->error, "error");
}

/* ---- abort ---- */

static int abort_check(const struct peer_msg *m)
{
	int r = job_check(m->u.abort.job_id);

	if (r == 0 && m->u.abort.reason.code == PROTO_ERR_OK)
		r = codec_fail(-EPROTO, "reason: missing");
	return r;
}

static int abort_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	Vmig__PeerAbort *pm = &p->u.abort;
	int r = 0;

	vmig__peer_abort__init(pm);
	CODEC_SET(pm, job_id, m->u.abort.job_id);
	pm->reason = error_to_pb(&m->u.abort.reason, "reason", p, &r);
	return r;
}

static int abort_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__PeerAbort *pm = (const Vmig__PeerAbort *)base;

	m->u.abort.job_id = pm->job_id;
	return codec_error_in(&m->u.abort.reason, pm->reason, "reason");
}

/* ---- stream hello, ack, end ---- */

static int stream_hello_check(const struct peer_msg *m)
{
	const struct peer_stream_hello *h = &m->u.stream_hello;
	int r = job_check(h->job_id);

	if (r == 0)
		r = index_check(h->device_index);
	if (r == 0)
		r = codec_str_check(h->token, PROTO_TOKEN_MAX, CODEC_ASCII, true, "token");
	return r;
}

static int stream_hello_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	Vmig__StreamHello *pm = &p->u.stream_hello;

	vmig__stream_hello__init(pm);
	CODEC_SET(pm, job_id, m->u.stream_hello.job_id);
	CODEC_SET(pm, device_index, m->u.stream_hello.device_index);
	pm->token = (char *)m->u.stream_hello.token;
	return 0;
}

static int stream_hello_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__StreamHello *pm = (const Vmig__StreamHello *)base;
	struct peer_stream_hello *h = &m->u.stream_hello;

	h->job_id = pm->job_id;
	h->device_index = pm->device_index;
	if (!pm->has_device_index)
		return codec_need(false, "device_index");
	return codec_str_in(h->token, PROTO_TOKEN_MAX, pm->token, CODEC_ASCII, true, "token");
}

static int stream_ack_check(const struct peer_msg *m)
{
	return index_check(m->u.stream_ack.device_index);
}

static int stream_ack_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	vmig__stream_ack__init(&p->u.stream_ack);
	CODEC_SET(&p->u.stream_ack, device_index, m->u.stream_ack.device_index);
	CODEC_SET(&p->u.stream_ack, bytes, m->u.stream_ack.bytes);
	return 0;
}

static int stream_ack_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__StreamAck *pm = (const Vmig__StreamAck *)base;

	m->u.stream_ack.device_index = pm->device_index;
	m->u.stream_ack.bytes = pm->bytes;
	return codec_need(pm->has_device_index && pm->has_bytes, "device_index, bytes");
}

static int stream_end_check(const struct peer_msg *m)
{
	return index_check(m->u.stream_end.device_index);
}

static int stream_end_to_pb(const struct peer_msg *m, struct peer_pb *p)
{
	Vmig__StreamEnd *pm = &p->u.stream_end;

	vmig__stream_end__init(pm);
	CODEC_SET(pm, device_index, m->u.stream_end.device_index);
	CODEC_SET(pm, bytes, m->u.stream_end.bytes);
	pm->has_sha256 = 1;
	pm->sha256.len = PROTO_DIGEST_LEN;
	pm->sha256.data = (uint8_t *)m->u.stream_end.sha256;
	return 0;
}

static int stream_end_from_pb(struct peer_msg *m, const ProtobufCMessage *base)
{
	const Vmig__StreamEnd *pm = (const Vmig__StreamEnd *)base;
	int r = codec_need(pm->has_device_index && pm->has_bytes && pm->has_sha256,
			   "device_index, bytes, sha256");

	if (r == 0 && pm->sha256.len != PROTO_DIGEST_LEN)
		r = codec_fail(-EPROTO, "sha256: %zu bytes, not %d", pm->sha256.len,
			       PROTO_DIGEST_LEN);
	if (r < 0)
		return r;
	m->u.stream_end.device_index = pm->device_index;
	m->u.stream_end.bytes = pm->bytes;
	memcpy(m->u.stream_end.sha256, pm->sha256.data, PROTO_DIGEST_LEN);
	return 0;
}

/* ---- dispatch ---- */

/* Every peer frame type but PREPARE (peer_prepare.c) and DATA (raw, frame.c). */
static const struct peer_codec {
	uint16_t type;
	const ProtobufCMessageDescriptor *desc;
	int (*check)(const struct peer_msg *m);
	int (*to_pb)(const struct peer_msg *m, struct peer_pb *p);
	int (*from_pb)(struct peer_msg *m, const ProtobufCMessage *pm);
} codecs[] = {
	{ FRAME_PEER_HELLO, &vmig__peer_hello__descriptor, hello_check, hello_to_pb,
	  hello_from_pb },
	{ FRAME_PEER_PING, &vmig__peer_ping__descriptor, ping_check, ping_to_pb, ping_from_pb },
	{ FRAME_PEER_PONG, &vmig__peer_ping__descriptor, ping_check, ping_to_pb, ping_from_pb },
	{ FRAME_PEER_PREPARE_REPLY, &vmig__peer_prepare_reply__descriptor, prepare_reply_check,
	  prepare_reply_to_pb, prepare_reply_from_pb },
	{ FRAME_PEER_SWITCHOVER, &vmig__job_notice__descriptor, notice_check, notice_to_pb,
	  notice_from_pb },
	{ FRAME_PEER_LOADED, &vmig__load_result__descriptor, load_check, load_to_pb, load_from_pb },
	{ FRAME_PEER_LOAD_FAILED, &vmig__load_result__descriptor, load_check, load_to_pb,
	  load_from_pb },
	{ FRAME_PEER_COMMIT, &vmig__job_notice__descriptor, notice_check, notice_to_pb,
	  notice_from_pb },
	{ FRAME_PEER_COMMIT_ACK, &vmig__job_notice__descriptor, notice_check, notice_to_pb,
	  notice_from_pb },
	{ FRAME_PEER_ABORT, &vmig__peer_abort__descriptor, abort_check, abort_to_pb,
	  abort_from_pb },
	{ FRAME_PEER_RESUMED, &vmig__job_notice__descriptor, notice_check, notice_to_pb,
	  notice_from_pb },
	{ FRAME_STREAM_HELLO, &vmig__stream_hello__descriptor, stream_hello_check,
	  stream_hello_to_pb, stream_hello_from_pb },
	{ FRAME_STREAM_ACK, &vmig__stream_ack__descriptor, stream_ack_check, stream_ack_to_pb,
	  stream_ack_from_pb },
	{ FRAME_STREAM_END, &vmig__stream_end__descriptor, stream_end_check, stream_end_to_pb,
	  stream_end_from_pb },
};

static const struct peer_codec *codec_for(uint16_t type)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].type == type)
			return &codecs[i];
	return NULL;
}

int peer_msg_encode(const struct peer_msg *m, uint8_t **ret_buf, size_t *ret_len)
{
	const struct peer_codec *c;
	struct peer_pb p;
	int r;

	if (m->type == FRAME_PEER_PREPARE)
		return peer_prepare_encode(&m->u.prepare, ret_buf, ret_len);
	c = codec_for(m->type);
	if (!c)
		return codec_fail(-EINVAL, "type: 0x%04x (%s) is not a peer message", m->type,
				  frame_type_name(m->type));
	r = c->check(m);
	if (r == 0)
		r = c->to_pb(m, &p);
	if (r < 0)
		return codec_encode_err(codec_prefix(r, "%s", frame_type_name(m->type)));
	/* every member starts with its ProtobufCMessage, which names its own descriptor */
	return codec_pack(&p.u.hello.base, m->type, ret_buf, ret_len);
}

int peer_msg_decode(uint16_t type, const uint8_t *buf, size_t len, struct peer_msg *ret)
{
	struct peer_msg m = { .type = type };
	const struct peer_codec *c;
	ProtobufCMessage *pm;
	int r;

	if (type == FRAME_PEER_PREPARE) {
		r = peer_prepare_decode(buf, len, &m.u.prepare);
		if (r == 0)
			*ret = m;
		return r;
	}
	c = codec_for(type);
	if (!c)
		return codec_fail(-EPROTO, "type: 0x%04x (%s) is not a peer message", type,
				  frame_type_name(type));
	r = codec_unpack(c->desc, type, buf, len, &pm);
	if (r < 0)
		return r;
	r = c->from_pb(&m, pm);
	codec_free(pm);
	if (r == 0)
		r = c->check(&m);
	if (r < 0)
		return codec_prefix(r, "%s", frame_type_name(type));
	*ret = m;
	return 0;
}

void peer_msg_clear(struct peer_msg *m)
{
	if (!m)
		return;
	if (m->type == FRAME_PEER_PREPARE)
		peer_prepare_clear(&m->u.prepare);
	memset(m, 0, sizeof(*m));
}
