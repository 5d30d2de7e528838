/*
 * ctl_request.c - the Request codec: struct ctl_request <-> FRAME_CTL_REQUEST frame, every
 * field checked in both directions by the same rules (see ctl_request.h, control.proto).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ctl_pb.h"
#include "frame.h"

static const char *const op_names[] = {
	"hello",       "daemon_info",	   "device_list",      "device_add", "device_remove",
	"device_info", "device_set_state", "prepare_incoming", "migrate",    "job_status",
	"job_list",    "job_cancel",	   "job_switchover",   "job_resume", "job_set_bandwidth",
	"job_wait",    "subscribe",	   "peer_connect",     "peer_list",  "job_metadata",
};

const char *ctl_request_op_name(uint32_t op)
{
	if (op < CTL_OP_MIN || op > CTL_OP_MAX)
		return "unknown";
	return op_names[op - CTL_OP_MIN];
}

/* Protobuf-c storage for encoding any request; it points into the source struct. */
struct request_pb {
	Vmig__Request req;
	Vmig__Empty empty;
	Vmig__Hello hello;
	Vmig__DeviceAdd add;
	Vmig__FdSource fd;
	Vmig__DeviceRef ref;
	Vmig__DeviceSetState set_state;
	Vmig__PrepareIncoming prepare;
	char *prepare_devs[PROTO_JOB_DEVICES_MAX];
	Vmig__Migrate migrate;
	Vmig__DeviceMapEntry map[PROTO_JOB_DEVICES_MAX];
	Vmig__DeviceMapEntry *mapp[PROTO_JOB_DEVICES_MAX];
	Vmig__JobRef job;
	Vmig__JobSetBandwidth bandwidth;
	Vmig__JobWait wait;
	Vmig__Subscribe subscribe;
	Vmig__PeerConnect peer_connect;
	Vmig__JobMetadata job_metadata;
};

/* ---- hello (shared with ctl_reply.c) ---- */

static int hello_check(uint32_t version, uint32_t min_version)
{
	int r = codec_range(version, 1, UINT32_MAX, "version");

	if (r == 0)
		r = codec_range(min_version, 1, version, "min_version");
	return r;
}

int ctl_request_hello_to_pb(const struct ctl_hello *h, Vmig__Hello *m)
{
	int r = hello_check(h->version, h->min_version);

	vmig__hello__init(m);
	if (r == 0)
		r = codec_str_out(&m->name, h->name, PROTO_NAME_MAX, CODEC_TEXT, false, "name");
	if (r < 0)
		return r;
	CODEC_SET(m, version, h->version);
	CODEC_SET(m, min_version, h->min_version);
	CODEC_OPT(m, features, h->features);
	return 0;
}

int ctl_request_hello_from_pb(struct ctl_hello *h, const Vmig__Hello *m)
{
	int r = codec_need(m->has_version && m->has_min_version, "version, min_version");

	if (r == 0)
		r = hello_check(m->version, m->min_version);
	if (r == 0)
		r = codec_str_in(h->name, PROTO_NAME_MAX, m->name, CODEC_TEXT, false, "name");
	if (r < 0)
		return r;
	h->version = m->version;
	h->min_version = m->min_version;
	h->features = m->features;
	return 0;
}

/* ---- device add ---- */

/* Checks spec for the source kind; an absent or empty spec is refused except for sims. */
static int spec_check(uint32_t source, const char *spec)
{
	switch (source) {
	case CTL_SOURCE_PATH:
		if (spec[0] && spec[0] != '/')
			return codec_fail(-EPROTO, "path: \"%s\" is not absolute", spec);
		return codec_str_check(spec, PROTO_PATH_MAX, CODEC_TEXT, true, "path");
	case CTL_SOURCE_PCI:
		return codec_str_check(spec, 12, CODEC_PCI, true, "pci_address");
	case CTL_SOURCE_MDEV:
		return codec_str_check(spec, 36, CODEC_UUID, true, "mdev_uuid");
	case CTL_SOURCE_SIM:
		return codec_str_check(spec, PROTO_SPEC_MAX, CODEC_TEXT, false, "sim_spec");
	case CTL_SOURCE_FD:
		return spec[0] ? codec_fail(-EPROTO, "fd: takes no spec") : 0;
	}
	return codec_fail(-EPROTO, "source: %u is not a known source", source);
}

static int device_add_to_pb(const struct ctl_device_add *a, struct request_pb *p)
{
	Vmig__DeviceAdd *m = &p->add;
	int r;

	vmig__device_add__init(m);
	r = codec_str_out(&m->id, a->id, PROTO_ID_MAX, CODEC_ID, false, "id");
	if (r == 0)
		r = spec_check(a->source, a->spec);
	if (r < 0)
		return r;
	m->source_case = (Vmig__DeviceAdd__SourceCase)a->source;
	if (a->source == CTL_SOURCE_FD) {
		vmig__fd_source__init(&p->fd);
		CODEC_SET(&p->fd, index, a->fd_index);
		m->fd = &p->fd;
	} else {
		/* every oneof member is a char *: the spec goes in whichever is selected */
		m->path = (char *)a->spec;
	}
	p->req.device_add = m;
	return 0;
}

static int device_add_from_pb(struct ctl_device_add *a, const Vmig__DeviceAdd *m)
{
	int r = codec_str_in(a->id, PROTO_ID_MAX, m->id, CODEC_ID, false, "id");

	if (r < 0)
		return r;
	a->source = m->source_case;
	switch (m->source_case) {
	case VMIG__DEVICE_ADD__SOURCE_FD:
		a->fd_index = m->fd->index;
		return codec_need(m->fd->has_index, "fd.index");
	case VMIG__DEVICE_ADD__SOURCE_PATH:
	case VMIG__DEVICE_ADD__SOURCE_PCI_ADDRESS:
	case VMIG__DEVICE_ADD__SOURCE_MDEV_UUID:
	case VMIG__DEVICE_ADD__SOURCE_SIM_SPEC:
		/* bounded by the largest spec before the per-kind check */
		r = codec_str_in(a->spec, PROTO_PATH_MAX, m->path, CODEC_TEXT, false, "spec");
		return r < 0 ? r : spec_check(a->source, a->spec);
	default:
		return codec_fail(-EPROTO, "source: missing");
	}
}

/* ---- simple operations ---- */

static int set_state_check(const char *id, uint32_t state)
{
	int r = codec_str_check(id, PROTO_ID_MAX, CODEC_ID, true, "id");

	return r < 0 ? r : codec_range(state, 1, PROTO_STATE_MAX, "state");
}

static int set_state_from_pb(struct ctl_device_set_state *s, const Vmig__DeviceSetState *m)
{
	int r = codec_str_in(s->id, PROTO_ID_MAX, m->id, CODEC_ID, true, "id");

	if (r == 0)
		r = codec_need(m->has_state, "state");
	if (r == 0)
		r = codec_range((uint32_t)m->state, 1, PROTO_STATE_MAX, "state");
	s->state = (uint32_t)m->state;
	return r;
}

static int job_id_check(bool has, uint64_t job_id)
{
	return codec_need(has && job_id != 0, "job_id");
}

/* ---- prepare_incoming ---- */

static int prepare_check(const struct ctl_prepare_incoming *q)
{
	const char *ids[PROTO_JOB_DEVICES_MAX];
	int r;

	r = codec_str_check(q->source_identity, PROTO_ADDR_MAX, CODEC_TEXT, true,
			    "source_identity");
	if (r == 0)
		r = codec_range(q->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");
	for (uint32_t i = 0; r == 0 && i < q->n_devices; i++) {
		r = codec_str_check(q->devices[i], PROTO_ID_MAX, CODEC_ID, true, "id");
		if (r < 0)
			return codec_prefix(r, "devices[%u]", i);
		ids[i] = q->devices[i];
	}
	if (r == 0)
		r = codec_distinct(ids, q->n_devices, "devices");
	if (r == 0)
		r = codec_range(q->expiry_s, 0, PROTO_EXPIRY_MAX_S, "expiry_s");
	return r;
}

static int prepare_to_pb(const struct ctl_prepare_incoming *q, struct request_pb *p)
{
	Vmig__PrepareIncoming *m = &p->prepare;
	int r = prepare_check(q);

	if (r < 0)
		return r;
	vmig__prepare_incoming__init(m);
	m->source_identity = (char *)q->source_identity;
	for (uint32_t i = 0; i < q->n_devices; i++)
		p->prepare_devs[i] = (char *)q->devices[i];
	m->n_devices = q->n_devices;
	m->devices = p->prepare_devs;
	CODEC_OPT(m, expiry_s, q->expiry_s);
	p->req.prepare_incoming = m;
	return 0;
}

static int prepare_from_pb(struct ctl_prepare_incoming *q, const Vmig__PrepareIncoming *m)
{
	int r = codec_range(m->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");

	for (size_t i = 0; r == 0 && i < m->n_devices; i++) {
		r = codec_str_in(q->devices[i], PROTO_ID_MAX, m->devices[i], CODEC_ID, true, "id");
		if (r < 0)
			return codec_prefix(r, "devices[%zu]", i);
	}
	if (r == 0)
		r = codec_str_in(q->source_identity, PROTO_ADDR_MAX, m->source_identity, CODEC_TEXT,
				 true, "source_identity");
	if (r < 0)
		return r;
	q->n_devices = (uint32_t)m->n_devices;
	q->expiry_s = m->expiry_s;
	return prepare_check(q);
}

/* ---- migrate ---- */

static int migrate_check(const struct ctl_migrate *q)
{
	const char *src[PROTO_JOB_DEVICES_MAX], *dst[PROTO_JOB_DEVICES_MAX];
	size_t total = 0;
	int r;

	r = codec_str_check(q->peer, PROTO_ADDR_MAX, CODEC_ASCII, true, "peer");
	if (r == 0)
		r = codec_str_check(q->token, PROTO_TOKEN_MAX, CODEC_ASCII, true, "token");
	if (r == 0)
		r = codec_range(q->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");
	for (uint32_t i = 0; r == 0 && i < q->n_devices; i++) {
		const struct ctl_map_entry *e = &q->devices[i];

		r = codec_str_check(e->source_id, PROTO_ID_MAX, CODEC_ID, true, "source_id");
		if (r == 0)
			r = codec_str_check(e->target_id, PROTO_ID_MAX, CODEC_ID, true,
					    "target_id");
		if (r == 0)
			r = codec_range(e->metadata_len, 0, PROTO_METADATA_MAX, "metadata");
		if (r == 0 && e->metadata_len && !e->metadata)
			r = codec_fail(-EPROTO, "metadata: NULL with a length");
		if (r < 0)
			return codec_prefix(r, "devices[%u]", i);
		src[i] = e->source_id;
		dst[i] = e->target_id;
		total += e->metadata_len;
	}
	if (r == 0)
		r = codec_range(total, 0, PROTO_METADATA_TOTAL_MAX, "devices.metadata (total)");
	if (r == 0)
		r = codec_distinct(src, q->n_devices, "devices.source_id");
	if (r == 0)
		r = codec_distinct(dst, q->n_devices, "devices.target_id");
	if (r == 0)
		r = codec_range(q->switchover, 0, CTL_SWITCHOVER_MANUAL, "switchover");
	if (r == 0)
		r = codec_range(q->resume, 0, CTL_RESUME_MANUAL, "resume");
	return r;
}

static int migrate_to_pb(const struct ctl_migrate *q, struct request_pb *p)
{
	Vmig__Migrate *m = &p->migrate;
	int r = migrate_check(q);

	if (r < 0)
		return r;
	vmig__migrate__init(m);
	m->peer = (char *)q->peer;
	m->token = (char *)q->token;
	for (uint32_t i = 0; i < q->n_devices; i++) {
		Vmig__DeviceMapEntry *e = &p->map[i];

		vmig__device_map_entry__init(e);
		e->source_id = (char *)q->devices[i].source_id;
		e->target_id = (char *)q->devices[i].target_id;
		e->has_metadata = q->devices[i].metadata_len != 0;
		e->metadata.len = q->devices[i].metadata_len;
		e->metadata.data = q->devices[i].metadata;
		p->mapp[i] = e;
	}
	m->n_devices = q->n_devices;
	m->devices = p->mapp;
	CODEC_OPT(m, downtime_limit_ms, q->downtime_limit_ms);
	CODEC_OPT(m, bandwidth_bps, q->bandwidth_bps);
	CODEC_SET(m, precopy, q->precopy);
	CODEC_OPT(m, switchover, q->switchover);
	CODEC_OPT(m, resume, q->resume);
	CODEC_OPT(m, timeout_s, q->timeout_s);
	p->req.migrate = m;
	return 0;
}

/* Takes the metadata buffers out of m: on failure the caller's clear frees them. */
static int migrate_from_pb(struct ctl_migrate *q, Vmig__Migrate *m)
{
	int r = codec_range(m->n_devices, 1, PROTO_JOB_DEVICES_MAX, "devices");

	for (size_t i = 0; r == 0 && i < m->n_devices; i++) {
		struct ctl_map_entry *e = &q->devices[i];
		Vmig__DeviceMapEntry *pe = m->devices[i];

		r = codec_str_in(e->source_id, PROTO_ID_MAX, pe->source_id, CODEC_ID, true,
				 "source_id");
		if (r == 0)
			r = codec_str_in(e->target_id, PROTO_ID_MAX, pe->target_id, CODEC_ID, true,
					 "target_id");
		if (r == 0)
			r = codec_bytes_in(&e->metadata, &e->metadata_len, &pe->metadata,
					   PROTO_METADATA_MAX, "metadata");
		if (r < 0)
			return codec_prefix(r, "devices[%zu]", i);
		q->n_devices = (uint32_t)i + 1;
	}
	if (r == 0)
		r = codec_str_in(q->peer, PROTO_ADDR_MAX, m->peer, CODEC_ASCII, true, "peer");
	if (r == 0)
		r = codec_str_in(q->token, PROTO_TOKEN_MAX, m->token, CODEC_ASCII, true, "token");
	if (r == 0)
		r = codec_enum_in(&q->switchover, m->has_switchover, m->switchover,
				  CTL_SWITCHOVER_MANUAL, "switchover");
	if (r == 0)
		r = codec_enum_in(&q->resume, m->has_resume, m->resume, CTL_RESUME_MANUAL,
				  "resume");
	if (r < 0)
		return r;
	q->downtime_limit_ms = m->downtime_limit_ms;
	q->bandwidth_bps = m->bandwidth_bps;
	q->precopy = m->has_precopy ? m->precopy != 0 : true;
	q->timeout_s = m->timeout_s;
	return migrate_check(q);
}

/* ---- peer_connect ---- */

static int peer_connect_check(const struct ctl_peer_connect *c)
{
	int r = codec_str_check(c->address, PROTO_ADDR_MAX, CODEC_ASCII, true, "address");

	if (r == 0)
		r = codec_str_check(c->expect_host, PROTO_ADDR_MAX, CODEC_ASCII, false,
				    "expect_host");
	return r;
}

static int peer_connect_to_pb(const struct ctl_peer_connect *c, struct request_pb *p)
{
	Vmig__PeerConnect *m = &p->peer_connect;
	int r = peer_connect_check(c);

	if (r < 0)
		return r;
	vmig__peer_connect__init(m);
	m->address = (char *)c->address;
	m->expect_host = codec_opt_str(c->expect_host);
	p->req.peer_connect = m;
	return 0;
}

static int peer_connect_from_pb(struct ctl_peer_connect *c, const Vmig__PeerConnect *m)
{
	int r = codec_str_in(c->address, PROTO_ADDR_MAX, m->address, CODEC_ASCII, true, "address");

	if (r == 0)
		r = codec_str_in(c->expect_host, PROTO_ADDR_MAX, m->expect_host, CODEC_ASCII, false,
				 "expect_host");
	return r;
}

/* ---- job_metadata ---- */

static int job_metadata_to_pb(const struct ctl_job_metadata *q, struct request_pb *p)
{
	Vmig__JobMetadata *m = &p->job_metadata;
	int r = job_id_check(true, q->job_id);

	vmig__job_metadata__init(m);
	if (r == 0)
		r = codec_str_out(&m->device, q->device, PROTO_ID_MAX, CODEC_ID, true, "device");
	if (r < 0)
		return r;
	CODEC_SET(m, job_id, q->job_id);
	p->req.job_metadata = m;
	return 0;
}

static int job_metadata_from_pb(struct ctl_job_metadata *q, const Vmig__JobMetadata *m)
{
	int r = job_id_check(m->has_job_id, m->job_id);

	if (r == 0)
		r = codec_str_in(q->device, PROTO_ID_MAX, m->device, CODEC_ID, true, "device");
	q->job_id = m->job_id;
	return r;
}

/* ---- the envelope ---- */

/* fd_count must match what the operation uses: only device_add by fd takes fds. */
static int fds_check(const struct ctl_request *q)
{
	bool by_fd = q->op == CTL_OP_DEVICE_ADD && q->u.device_add.source == CTL_SOURCE_FD;
	int r = codec_range(q->fd_count, 0, PROTO_FDS_MAX, "fd_count");

	if (r == 0 && by_fd && q->u.device_add.fd_index >= q->fd_count)
		r = codec_fail(-EPROTO, "device_add.fd.index: %u, but fd_count is %u",
			       q->u.device_add.fd_index, q->fd_count);
	if (r == 0 && !by_fd && q->fd_count)
		r = codec_fail(-EPROTO, "fd_count: %u, but %s takes no fd", q->fd_count,
			       ctl_request_op_name(q->op));
	return r;
}

static int op_to_pb(const struct ctl_request *q, struct request_pb *p)
{
	Vmig__Request *m = &p->req;
	int r = 0;

	m->op_case = (Vmig__Request__OpCase)q->op;
	switch (q->op) {
	case CTL_OP_HELLO:
		m->hello = &p->hello;
		return ctl_request_hello_to_pb(&q->u.hello, &p->hello);
	case CTL_OP_DAEMON_INFO:
	case CTL_OP_DEVICE_LIST:
	case CTL_OP_JOB_LIST:
	case CTL_OP_PEER_LIST:
		/* the Empty members share one union slot: any of them carries the pointer */
		m->daemon_info = &p->empty;
		return 0;
	case CTL_OP_DEVICE_ADD:
		return device_add_to_pb(&q->u.device_add, p);
	case CTL_OP_DEVICE_REMOVE:
	case CTL_OP_DEVICE_INFO:
		r = codec_str_out(&p->ref.id, q->u.device.id, PROTO_ID_MAX, CODEC_ID, true, "id");
		m->device_info = &p->ref;
		return r;
	case CTL_OP_DEVICE_SET_STATE:
		r = set_state_check(q->u.set_state.id, q->u.set_state.state);
		p->set_state.id = (char *)q->u.set_state.id;
		CODEC_SET(&p->set_state, state, q->u.set_state.state);
		m->device_set_state = &p->set_state;
		return r;
	case CTL_OP_PREPARE_INCOMING:
		return prepare_to_pb(&q->u.prepare, p);
	case CTL_OP_MIGRATE:
		return migrate_to_pb(&q->u.migrate, p);
	case CTL_OP_JOB_STATUS:
	case CTL_OP_JOB_CANCEL:
	case CTL_OP_JOB_SWITCHOVER:
	case CTL_OP_JOB_RESUME:
		CODEC_SET(&p->job, job_id, q->u.job.job_id);
		m->job_status = &p->job;
		return job_id_check(true, q->u.job.job_id);
	case CTL_OP_JOB_SET_BANDWIDTH:
		CODEC_SET(&p->bandwidth, job_id, q->u.bandwidth.job_id);
		CODEC_OPT(&p->bandwidth, bandwidth_bps, q->u.bandwidth.bandwidth_bps);
		m->job_set_bandwidth = &p->bandwidth;
		return job_id_check(true, q->u.bandwidth.job_id);
	case CTL_OP_JOB_WAIT:
		CODEC_SET(&p->wait, job_id, q->u.wait.job_id);
		CODEC_OPT(&p->wait, timeout_ms, q->u.wait.timeout_ms);
		m->job_wait = &p->wait;
		return job_id_check(true, q->u.wait.job_id);
	case CTL_OP_SUBSCRIBE:
		CODEC_OPT(&p->subscribe, job_id, q->u.subscribe.job_id);
		m->subscribe = &p->subscribe;
		return 0;
	case CTL_OP_PEER_CONNECT:
		return peer_connect_to_pb(&q->u.peer_connect, p);
	case CTL_OP_JOB_METADATA:
		return job_metadata_to_pb(&q->u.job_metadata, p);
	}
	return codec_fail(-EPROTO, "op: %u is not a known operation", q->op);
}

int ctl_request_encode(const struct ctl_request *req, uint8_t **ret_buf, size_t *ret_len)
{
	struct request_pb p;
	int r;

	vmig__request__init(&p.req);
	vmig__empty__init(&p.empty);
	vmig__device_ref__init(&p.ref);
	vmig__device_set_state__init(&p.set_state);
	vmig__job_ref__init(&p.job);
	vmig__job_set_bandwidth__init(&p.bandwidth);
	vmig__job_wait__init(&p.wait);
	vmig__subscribe__init(&p.subscribe);
	r = codec_need(req->serial != 0, "serial");
	if (r == 0)
		r = op_to_pb(req, &p);
	if (r == 0)
		r = fds_check(req);
	if (r < 0)
		return codec_encode_err(r);
	CODEC_SET(&p.req, serial, req->serial);
	CODEC_OPT(&p.req, fd_count, req->fd_count);
	return codec_pack(&p.req.base, FRAME_CTL_REQUEST, ret_buf, ret_len);
}

static int op_from_pb(struct ctl_request *q, Vmig__Request *m)
{
	switch (m->op_case) {
	case VMIG__REQUEST__OP_HELLO:
		return ctl_request_hello_from_pb(&q->u.hello, m->hello);
	case VMIG__REQUEST__OP_DAEMON_INFO:
	case VMIG__REQUEST__OP_DEVICE_LIST:
	case VMIG__REQUEST__OP_JOB_LIST:
	case VMIG__REQUEST__OP_PEER_LIST:
		return 0;
	case VMIG__REQUEST__OP_DEVICE_ADD:
		return device_add_from_pb(&q->u.device_add, m->device_add);
	case VMIG__REQUEST__OP_DEVICE_REMOVE:
	case VMIG__REQUEST__OP_DEVICE_INFO:
		return codec_str_in(q->u.device.id, PROTO_ID_MAX, m->device_info->id, CODEC_ID,
				    true, "id");
	case VMIG__REQUEST__OP_DEVICE_SET_STATE:
		return set_state_from_pb(&q->u.set_state, m->device_set_state);
	case VMIG__REQUEST__OP_PREPARE_INCOMING:
		return prepare_from_pb(&q->u.prepare, m->prepare_incoming);
	case VMIG__REQUEST__OP_MIGRATE:
		return migrate_from_pb(&q->u.migrate, m->migrate);
	case VMIG__REQUEST__OP_JOB_STATUS:
	case VMIG__REQUEST__OP_JOB_CANCEL:
	case VMIG__REQUEST__OP_JOB_SWITCHOVER:
	case VMIG__REQUEST__OP_JOB_RESUME:
		q->u.job.job_id = m->job_status->job_id;
		return job_id_check(m->job_status->has_job_id, m->job_status->job_id);
	case VMIG__REQUEST__OP_JOB_SET_BANDWIDTH:
		q->u.bandwidth.job_id = m->job_set_bandwidth->job_id;
		q->u.bandwidth.bandwidth_bps = m->job_set_bandwidth->bandwidth_bps;
		return job_id_check(m->job_set_bandwidth->has_job_id, q->u.bandwidth.job_id);
	case VMIG__REQUEST__OP_JOB_WAIT:
		q->u.wait.job_id = m->job_wait->job_id;
		q->u.wait.timeout_ms = m->job_wait->timeout_ms;
		return job_id_check(m->job_wait->has_job_id, q->u.wait.job_id);
	case VMIG__REQUEST__OP_SUBSCRIBE:
		q->u.subscribe.job_id = m->subscribe->job_id;
		return 0;
	case VMIG__REQUEST__OP_PEER_CONNECT:
		return peer_connect_from_pb(&q->u.peer_connect, m->peer_connect);
	case VMIG__REQUEST__OP_JOB_METADATA:
		return job_metadata_from_pb(&q->u.job_metadata, m->job_metadata);
	default:
		/* a oneof member this build does not know lands among the unknown fields */
		if (m->base.n_unknown_fields)
			return codec_fail(-EOPNOTSUPP, "op: not one this daemon knows");
		return codec_fail(-EPROTO, "op: missing");
	}
}

int ctl_request_decode(const uint8_t *buf, size_t len, struct ctl_request *ret)
{
	struct ctl_request q = { 0 };
	Vmig__Request *m;
	int r;

	r = codec_unpack(&vmig__request__descriptor, FRAME_CTL_REQUEST, buf, len,
			 (ProtobufCMessage **)&m);
	if (r < 0)
		return r;
	q.op = m->op_case;
	q.serial = m->serial;
	q.fd_count = m->fd_count;
	r = codec_need(m->has_serial && m->serial, "serial");
	if (r == 0)
		r = op_from_pb(&q, m);
	if (r < 0 && q.op >= CTL_OP_MIN && q.op <= CTL_OP_MAX)
		codec_prefix(r, "%s", ctl_request_op_name(q.op));
	if (r == 0)
		r = fds_check(&q);
	codec_free(m);
	if (r < 0) {
		ctl_request_clear(&q);
		return r;
	}
	*ret = q;
	return 0;
}

int ctl_request_peek_serial(const uint8_t *buf, size_t len, uint32_t *ret)
{
	Vmig__Request *m;
	int r;

	r = codec_unpack(&vmig__request__descriptor, FRAME_CTL_REQUEST, buf, len,
			 (ProtobufCMessage **)&m);
	if (r < 0)
		return r;
	*ret = m->serial;
	codec_free(m);
	return 0;
}

void ctl_request_clear(struct ctl_request *req)
{
	if (!req)
		return;
	if (req->op == CTL_OP_MIGRATE)
		for (uint32_t i = 0; i < req->u.migrate.n_devices && i < PROTO_JOB_DEVICES_MAX; i++)
			free(req->u.migrate.devices[i].metadata);
	memset(req, 0, sizeof(*req));
}
