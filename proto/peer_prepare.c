/*
 * peer_prepare.c - the PeerPrepare codec: struct peer_prepare <-> FRAME_PEER_PREPARE frame,
 * every field checked by the same rules in both directions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "frame.h"
#include "peer.pb-c.h"
#include "peer_prepare.h"

/* ---- checks shared by both directions ---- */

static int compat_check(const struct peer_compat *c)
{
	int r;

	r = codec_str_check(c->driver, PROTO_NAME_MAX, CODEC_TEXT, true, "driver");
	if (r == 0)
		r = codec_range(c->vendor_id, 0, 0xffff, "vendor_id");
	if (r == 0)
		r = codec_range(c->device_id, 0, 0xffff, "device_id");
	if (r == 0)
		r = codec_range(c->subsystem_vendor_id, 0, 0xffff, "subsystem_vendor_id");
	if (r == 0)
		r = codec_range(c->subsystem_device_id, 0, 0xffff, "subsystem_device_id");
	if (r == 0)
		r = codec_str_check(c->mdev_type, PROTO_NAME_MAX, CODEC_TEXT, false, "mdev_type");
	if (r == 0)
		r = codec_str_check(c->model, PROTO_NAME_MAX, CODEC_TEXT, false, "model");
	return r < 0 ? codec_prefix(r, "compat") : 0;
}

static int device_check(const struct peer_prepare_device *d)
{
	int r;

	r = codec_str_check(d->source_id, PROTO_ID_MAX, CODEC_ID, true, "source_id");
	if (r == 0)
		r = codec_str_check(d->target_id, PROTO_ID_MAX, CODEC_ID, true, "target_id");
	if (r == 0 &&
	    (!(d->migration_flags & PEER_MIG_STOP_COPY) || (d->migration_flags & ~PEER_MIG_ALL)))
		r = codec_fail(-EPROTO, "migration_flags: 0x%x lacks STOP_COPY or has unknown bits",
			       d->migration_flags);
	if (r == 0)
		r = compat_check(&d->compat);
	if (r == 0)
		r = codec_range(d->metadata_len, 0, PROTO_METADATA_MAX, "metadata");
	if (r == 0 && d->metadata_len && !d->metadata)
		r = codec_fail(-EPROTO, "metadata: NULL with a length");
	return r;
}

static int prepare_check(const struct peer_prepare *p)
{
	const char *src[PROTO_JOB_DEVICES_MAX], *dst[PROTO_JOB_DEVICES_MAX];
	size_t total = 0;
	int r;

	r = codec_need(p->job_id != 0, "job_id");
	if (r == 0)
		r = codec_str_check(p->token, PROTO_TOKEN_MAX, CODEC_ASCII, true, "token");
	if (r == 0)
		r = codec_range(p->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");
	for (uint32_t i = 0; r == 0 && i < p->n_devices; i++) {
		r = device_check(&p->devices[i]);
		if (r < 0)
			return codec_prefix(r, "devices[%u]", i);
		src[i] = p->devices[i].source_id;
		dst[i] = p->devices[i].target_id;
		total += p->devices[i].metadata_len;
	}
	if (r == 0)
		r = codec_range(total, 0, PROTO_METADATA_TOTAL_MAX, "devices.metadata (total)");
	if (r == 0)
		r = codec_distinct(src, p->n_devices, "devices.source_id");
	if (r == 0)
		r = codec_distinct(dst, p->n_devices, "devices.target_id");
	return r;
}

/* ---- encode ---- */

struct prepare_pb {
	Vmig__PeerPrepare msg;
	Vmig__PrepareDevice dev[PROTO_JOB_DEVICES_MAX];
	Vmig__PrepareDevice *devp[PROTO_JOB_DEVICES_MAX];
	Vmig__DeviceCompat compat[PROTO_JOB_DEVICES_MAX];
};

static void device_to_pb(const struct peer_prepare_device *d, Vmig__PrepareDevice *m,
			 Vmig__DeviceCompat *c)
{
	vmig__prepare_device__init(m);
	vmig__device_compat__init(c);
	m->source_id = (char *)d->source_id;
	m->target_id = (char *)d->target_id;
	CODEC_SET(m, migration_flags, d->migration_flags);
	c->driver = (char *)d->compat.driver;
	CODEC_OPT(c, vendor_id, d->compat.vendor_id);
	CODEC_OPT(c, device_id, d->compat.device_id);
	CODEC_OPT(c, subsystem_vendor_id, d->compat.subsystem_vendor_id);
	CODEC_OPT(c, subsystem_device_id, d->compat.subsystem_device_id);
	c->mdev_type = codec_opt_str(d->compat.mdev_type);
	c->model = codec_opt_str(d->compat.model);
	CODEC_OPT(c, state_size, d->compat.state_size);
	m->compat = c;
	m->has_metadata = d->metadata_len != 0;
	m->metadata.len = d->metadata_len;
	m->metadata.data = d->metadata;
}

int peer_prepare_encode(const struct peer_prepare *p, uint8_t **ret_buf, size_t *ret_len)
{
	struct prepare_pb pb;
	Vmig__PeerPrepare *m = &pb.msg;
	int r = prepare_check(p);

	if (r < 0)
		return codec_encode_err(r);
	vmig__peer_prepare__init(m);
	CODEC_SET(m, job_id, p->job_id);
	m->token = (char *)p->token;
	for (uint32_t i = 0; i < p->n_devices; i++) {
		device_to_pb(&p->devices[i], &pb.dev[i], &pb.compat[i]);
		pb.devp[i] = &pb.dev[i];
	}
	m->n_devices = p->n_devices;
	m->devices = pb.devp;
	CODEC_SET(m, precopy, p->precopy);
	CODEC_SET(m, resume_manual, p->resume_manual);
	CODEC_OPT(m, downtime_limit_ms, p->downtime_limit_ms);
	CODEC_OPT(m, timeout_ms, p->timeout_ms);
	return codec_pack(&m->base, FRAME_PEER_PREPARE, ret_buf, ret_len);
}

/* ---- decode ---- */

static int compat_from_pb(struct peer_compat *c, const Vmig__DeviceCompat *m)
{
	int r;

	if (!m)
		return codec_fail(-EPROTO, "compat: missing");
	r = codec_str_in(c->driver, PROTO_NAME_MAX, m->driver, CODEC_TEXT, true, "driver");
	if (r == 0)
		r = codec_str_in(c->mdev_type, PROTO_NAME_MAX, m->mdev_type, CODEC_TEXT, false,
				 "mdev_type");
	if (r == 0)
		r = codec_str_in(c->model, PROTO_NAME_MAX, m->model, CODEC_TEXT, false, "model");
	if (r < 0)
		return codec_prefix(r, "compat");
	c->vendor_id = m->vendor_id;
	c->device_id = m->device_id;
	c->subsystem_vendor_id = m->subsystem_vendor_id;
	c->subsystem_device_id = m->subsystem_device_id;
	c->state_size = m->state_size;
	return 0;
}

/* Takes the metadata buffer out of m. */
static int device_from_pb(struct peer_prepare_device *d, Vmig__PrepareDevice *m)
{
	int r;

	r = codec_str_in(d->source_id, PROTO_ID_MAX, m->source_id, CODEC_ID, true, "source_id");
	if (r == 0)
		r = codec_str_in(d->target_id, PROTO_ID_MAX, m->target_id, CODEC_ID, true,
				 "target_id");
	if (r == 0)
		r = codec_need(m->has_migration_flags, "migration_flags");
	if (r == 0)
		r = compat_from_pb(&d->compat, m->compat);
	if (r == 0)
		r = codec_bytes_in(&d->metadata, &d->metadata_len, &m->metadata, PROTO_METADATA_MAX,
				   "metadata");
	d->migration_flags = m->migration_flags;
	return r;
}

int peer_prepare_decode(const uint8_t *buf, size_t len, struct peer_prepare *ret)
{
	struct peer_prepare p = { 0 };
	Vmig__PeerPrepare *m;
	int r;

	r = codec_unpack(&vmig__peer_prepare__descriptor, FRAME_PEER_PREPARE, buf, len,
			 (ProtobufCMessage **)&m);
	if (r < 0)
		return r;
	r = codec_range(m->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");
	for (size_t i = 0; r == 0 && i < m->n_devices; i++) {
		/* count the device first: its metadata may be taken even if a check fails */
		p.n_devices = (uint32_t)i + 1;
		r = device_from_pb(&p.devices[i], m->devices[i]);
		if (r < 0)
			codec_prefix(r, "devices[%zu]", i);
	}
	if (r == 0)
		r = codec_str_in(p.token, PROTO_TOKEN_MAX, m->token, CODEC_ASCII, true, "token");
	p.job_id = m->job_id;
	p.precopy = m->precopy;
	p.resume_manual = m->resume_manual;
	p.downtime_limit_ms = m->downtime_limit_ms;
	p.timeout_ms = m->timeout_ms;
	codec_free(m);
	if (r == 0)
		r = prepare_check(&p);
	if (r < 0) {
		peer_prepare_clear(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void peer_prepare_clear(struct peer_prepare *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->n_devices && i < PROTO_JOB_DEVICES_MAX; i++)
		free(p->devices[i].metadata);
	memset(p, 0, sizeof(*p));
}
