/*
 * ctl_reply.c - the Reply codec: struct ctl_reply <-> FRAME_CTL_REPLY frame, with the
 * daemon info, device info, peer info and list results (job results come from ctl_job.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ctl_pb.h"
#include "ctl_reply.h"
#include "frame.h"

#define MIG_FLAGS_ALL 0x7u /* VFIO_MIGRATION_STOP_COPY | P2P | PRE_COPY */

uint32_t ctl_reply_result_for(uint32_t op)
{
	switch (op) {
	case CTL_OP_HELLO:
		return CTL_RESULT_HELLO;
	case CTL_OP_DAEMON_INFO:
		return CTL_RESULT_DAEMON_INFO;
	case CTL_OP_DEVICE_LIST:
		return CTL_RESULT_DEVICE_LIST;
	case CTL_OP_DEVICE_ADD:
	case CTL_OP_DEVICE_INFO:
	case CTL_OP_DEVICE_SET_STATE:
		return CTL_RESULT_DEVICE;
	case CTL_OP_PREPARE_INCOMING:
		return CTL_RESULT_PREPARE_INCOMING;
	case CTL_OP_MIGRATE:
		return CTL_RESULT_MIGRATE;
	case CTL_OP_JOB_STATUS:
	case CTL_OP_JOB_WAIT:
		return CTL_RESULT_JOB;
	case CTL_OP_JOB_LIST:
		return CTL_RESULT_JOB_LIST;
	case CTL_OP_PEER_CONNECT:
		return CTL_RESULT_PEER;
	case CTL_OP_PEER_LIST:
		return CTL_RESULT_PEER_LIST;
	case CTL_OP_JOB_METADATA:
		return CTL_RESULT_METADATA;
	default:
		return CTL_RESULT_NONE;
	}
}

/* Protobuf-c storage for encoding a reply; the list arrays are malloc'ed. */
struct reply_pb {
	Vmig__Reply rep;
	Vmig__Error error;
	Vmig__Hello hello;
	Vmig__DaemonInfo info;
	Vmig__TlsInfo tls;
	char *listen[PROTO_LISTEN_MAX];
	Vmig__DeviceInfo device;
	Vmig__DeviceList list;
	Vmig__DeviceInfo *devs;
	Vmig__DeviceInfo **devp;
	Vmig__PrepareIncomingResult prepare;
	Vmig__MigrateResult migrate;
	struct ctl_job_pb job;
	Vmig__JobList jobs;
	struct ctl_job_pb *jobv;
	Vmig__JobStatus **jobp;
	Vmig__PeerInfo peer;
	Vmig__PeerList peers;
	Vmig__PeerInfo *peerv;
	Vmig__PeerInfo **peerp;
};

/* ---- device info ---- */

static int device_to_pb(const struct ctl_device_info *d, Vmig__DeviceInfo *m)
{
	int r;

	vmig__device_info__init(m);
	r = codec_str_out(&m->id, d->id, PROTO_ID_MAX, CODEC_ID, true, "id");
	if (r == 0)
		r = codec_range(d->kind, CTL_KIND_VFIO_PCI, CTL_KIND_SIM, "kind");
	if (r == 0)
		r = codec_str_out(&m->driver, d->driver, PROTO_NAME_MAX, CODEC_TEXT, false,
				  "driver");
	if (r == 0)
		r = codec_str_out(&m->model, d->model, PROTO_NAME_MAX, CODEC_TEXT, false, "model");
	if (r == 0)
		r = codec_str_out(&m->address, d->address, PROTO_PATH_MAX, CODEC_TEXT, false,
				  "address");
	if (r == 0)
		r = codec_range(d->state, 0, PROTO_STATE_MAX, "state");
	if (r == 0)
		r = codec_range(d->migration_flags, 0, MIG_FLAGS_ALL, "migration_flags");
	if (r < 0)
		return r;
	CODEC_SET(m, kind, d->kind);
	CODEC_SET(m, state, d->state);
	CODEC_OPT(m, migration_flags, d->migration_flags);
	CODEC_OPT(m, owner_job, d->owner_job);
	m->has_digest = d->has_digest;
	m->digest.len = d->has_digest ? PROTO_DIGEST_LEN : 0;
	m->digest.data = (uint8_t *)d->digest;
	return 0;
}

static int device_from_pb(struct ctl_device_info *d, const Vmig__DeviceInfo *m)
{
	int r;

	r = codec_str_in(d->id, PROTO_ID_MAX, m->id, CODEC_ID, true, "id");
	if (r == 0)
		r = codec_need(m->has_kind && m->has_state, "kind, state");
	if (r == 0)
		r = codec_range((uint32_t)m->kind, CTL_KIND_VFIO_PCI, CTL_KIND_SIM, "kind");
	if (r == 0)
		r = codec_range((uint32_t)m->state, 0, PROTO_STATE_MAX, "state");
	if (r == 0)
		r = codec_range(m->migration_flags, 0, MIG_FLAGS_ALL, "migration_flags");
	if (r == 0)
		r = codec_str_in(d->driver, PROTO_NAME_MAX, m->driver, CODEC_TEXT, false, "driver");
	if (r == 0)
		r = codec_str_in(d->model, PROTO_NAME_MAX, m->model, CODEC_TEXT, false, "model");
	if (r == 0)
		r = codec_str_in(d->address, PROTO_PATH_MAX, m->address, CODEC_TEXT, false,
				 "address");
	if (r == 0 && m->has_digest && m->digest.len != PROTO_DIGEST_LEN)
		r = codec_fail(-EPROTO, "digest: %zu bytes, not %d", m->digest.len,
			       PROTO_DIGEST_LEN);
	if (r < 0)
		return r;
	d->kind = (uint32_t)m->kind;
	d->state = (uint32_t)m->state;
	d->migration_flags = m->migration_flags;
	d->owner_job = m->owner_job;
	d->has_digest = m->has_digest;
	if (m->has_digest)
		memcpy(d->digest, m->digest.data, PROTO_DIGEST_LEN);
	return 0;
}

/* ---- daemon info ---- */

static int tls_check(const struct ctl_tls_info *t)
{
	int r = codec_range(t->state, 0, CTL_TLS_FAILED, "tls.state");

	if (r == 0)
		r = codec_str_check(t->identity, PROTO_ADDR_MAX, CODEC_TEXT, false, "tls.identity");
	if (r == 0)
		r = codec_str_check(t->error, PROTO_MESSAGE_MAX, CODEC_TEXT, false, "tls.error");
	return r;
}

static int info_check(const struct ctl_daemon_info *d)
{
	int r;

	r = codec_str_check(d->version, PROTO_NAME_MAX, CODEC_TEXT, true, "version");
	if (r == 0)
		r = codec_range(d->protocol_version, 1, UINT32_MAX, "protocol_version");
	if (r == 0)
		r = codec_str_check(d->host_identity, PROTO_ADDR_MAX, CODEC_TEXT, false,
				    "host_identity");
	if (r == 0)
		r = codec_range(d->n_listen, 0, PROTO_LISTEN_MAX, "listen");
	for (uint32_t i = 0; r == 0 && i < d->n_listen; i++) {
		char what[32];

		snprintf(what, sizeof(what), "listen[%u]", i);
		r = codec_str_check(d->listen[i], PROTO_ADDR_MAX, CODEC_ASCII, true, what);
	}
	return r == 0 ? tls_check(&d->tls) : r;
}

static int info_to_pb(const struct ctl_daemon_info *d, struct reply_pb *p)
{
	Vmig__DaemonInfo *m = &p->info;
	Vmig__TlsInfo *t = &p->tls;
	int r = info_check(d);

	if (r < 0)
		return r;
	vmig__daemon_info__init(m);
	vmig__tls_info__init(t);
	m->version = (char *)d->version;
	CODEC_SET(m, protocol_version, d->protocol_version);
	CODEC_OPT(m, features, d->features);
	m->host_identity = codec_opt_str(d->host_identity);
	CODEC_SET(t, state, d->tls.state);
	CODEC_OPT(t, ktls_tx, d->tls.ktls_tx);
	CODEC_OPT(t, ktls_rx, d->tls.ktls_rx);
	t->identity = codec_opt_str(d->tls.identity);
	CODEC_OPT(t, not_after_s, d->tls.not_after_s);
	t->error = codec_opt_str(d->tls.error);
	m->tls = t;
	CODEC_OPT(m, device_count, d->device_count);
	CODEC_OPT(m, active_jobs, d->active_jobs);
	CODEC_OPT(m, uptime_s, d->uptime_s);
	for (uint32_t i = 0; i < d->n_listen; i++)
		p->listen[i] = (char *)d->listen[i];
	m->n_listen = d->n_listen;
	m->listen = p->listen;
	p->rep.daemon_info = m;
	return 0;
}

static int info_from_pb(struct ctl_daemon_info *d, const Vmig__DaemonInfo *m)
{
	const Vmig__TlsInfo *t = m->tls;
	int r;

	r = codec_str_in(d->version, PROTO_NAME_MAX, m->version, CODEC_TEXT, true, "version");
	if (r == 0)
		r = codec_str_in(d->host_identity, PROTO_ADDR_MAX, m->host_identity, CODEC_TEXT,
				 false, "host_identity");
	if (r == 0)
		r = codec_range(m->n_listen, 0, PROTO_LISTEN_MAX, "listen");
	for (size_t i = 0; r == 0 && i < m->n_listen; i++) {
		char what[32];

		snprintf(what, sizeof(what), "listen[%zu]", i);
		r = codec_str_in(d->listen[i], PROTO_ADDR_MAX, m->listen[i], CODEC_ASCII, true,
				 what);
	}
	if (r == 0 && t) {
		r = codec_enum_in(&d->tls.state, t->has_state, t->state, CTL_TLS_FAILED,
				  "tls.state");
		if (r == 0)
			r = codec_str_in(d->tls.identity, PROTO_ADDR_MAX, t->identity, CODEC_TEXT,
					 false, "tls.identity");
		if (r == 0)
			r = codec_str_in(d->tls.error, PROTO_MESSAGE_MAX, t->error, CODEC_TEXT,
					 false, "tls.error");
		d->tls.ktls_tx = t->ktls_tx;
		d->tls.ktls_rx = t->ktls_rx;
		d->tls.not_after_s = t->not_after_s;
	}
	if (r < 0)
		return r;
	d->protocol_version = m->protocol_version;
	d->features = m->features;
	d->device_count = m->device_count;
	d->active_jobs = m->active_jobs;
	d->uptime_s = m->uptime_s;
	d->n_listen = (uint32_t)m->n_listen;
	return info_check(d);
}

/* ---- peer info ---- */

static const char *const peer_state_names[] = {
	"NONE", "CONNECTING", "TLS_HANDSHAKE", "HELLO", "READY", "CLOSING",
};

const char *ctl_peer_state_name(uint32_t state)
{
	if (state > CTL_PEER_STATE_MAX)
		return "UNKNOWN";
	return peer_state_names[state];
}

/* A fingerprint is empty (not known yet) or exactly 64 lower-case hex digits. */
static int fingerprint_check(const char *f)
{
	size_t n = strlen(f);

	if (n == 0)
		return 0;
	if (n != CTL_FINGERPRINT_LEN || strspn(f, "0123456789abcdef") != n)
		return codec_fail(-EPROTO, "fingerprint: \"%.80s\" is not %d lower-case hex digits",
				  f, CTL_FINGERPRINT_LEN);
	return 0;
}

static int peer_check(const struct ctl_peer_info *p)
{
	int r = codec_str_check(p->address, PROTO_ADDR_MAX, CODEC_ASCII, true, "address");

	if (r == 0)
		r = codec_range(p->state, CTL_PEER_CONNECTING, CTL_PEER_STATE_MAX, "state");
	if (r == 0)
		r = codec_str_check(p->identity, PROTO_ADDR_MAX, CODEC_TEXT, false, "identity");
	if (r == 0)
		r = fingerprint_check(p->fingerprint);
	if (r == 0)
		r = codec_str_check(p->host_identity, PROTO_ADDR_MAX, CODEC_TEXT, false,
				    "host_identity");
	if (r == 0)
		r = codec_str_check(p->software, PROTO_NAME_MAX, CODEC_TEXT, false, "software");
	if (r == 0 && p->rtt_us < -1)
		r = codec_fail(-EPROTO, "rtt_us: %lld is negative (-1 means none)",
			       (long long)p->rtt_us);
	return r;
}

static int peer_to_pb(const struct ctl_peer_info *p, Vmig__PeerInfo *m)
{
	int r = peer_check(p);

	if (r < 0)
		return r;
	vmig__peer_info__init(m);
	m->address = (char *)p->address;
	CODEC_SET(m, state, p->state);
	CODEC_OPT(m, outgoing, p->outgoing);
	m->identity = codec_opt_str(p->identity);
	m->fingerprint = codec_opt_str(p->fingerprint);
	CODEC_OPT(m, protocol_version, p->protocol_version);
	CODEC_OPT(m, features, p->features);
	m->host_identity = codec_opt_str(p->host_identity);
	m->software = codec_opt_str(p->software);
	m->has_rtt_us = p->rtt_us >= 0;
	m->rtt_us = p->rtt_us >= 0 ? (uint64_t)p->rtt_us : 0;
	CODEC_OPT(m, ktls_tx, p->ktls_tx);
	CODEC_OPT(m, ktls_rx, p->ktls_rx);
	CODEC_OPT(m, connected_at_ms, p->connected_at_ms);
	return 0;
}

static int peer_from_pb(struct ctl_peer_info *p, const Vmig__PeerInfo *m)
{
	int r = codec_str_in(p->address, PROTO_ADDR_MAX, m->address, CODEC_ASCII, true, "address");

	if (r == 0)
		r = codec_need(m->has_state, "state");
	if (r == 0)
		r = codec_str_in(p->identity, PROTO_ADDR_MAX, m->identity, CODEC_TEXT, false,
				 "identity");
	if (r == 0)
		r = codec_str_in(p->fingerprint, CTL_FINGERPRINT_LEN, m->fingerprint, CODEC_ASCII,
				 false, "fingerprint");
	if (r == 0)
		r = codec_str_in(p->host_identity, PROTO_ADDR_MAX, m->host_identity, CODEC_TEXT,
				 false, "host_identity");
	if (r == 0)
		r = codec_str_in(p->software, PROTO_NAME_MAX, m->software, CODEC_TEXT, false,
				 "software");
	if (r == 0 && m->has_rtt_us)
		r = codec_range(m->rtt_us, 0, INT64_MAX, "rtt_us");
	if (r < 0)
		return r;
	p->state = (uint32_t)m->state;
	p->outgoing = m->outgoing;
	p->protocol_version = m->protocol_version;
	p->features = m->features;
	p->rtt_us = m->has_rtt_us ? (int64_t)m->rtt_us : -1;
	p->ktls_tx = m->ktls_tx;
	p->ktls_rx = m->ktls_rx;
	p->connected_at_ms = m->connected_at_ms;
	return peer_check(p);
}

/* ---- lists ---- */

static int device_list_to_pb(const struct ctl_device_list *l, struct reply_pb *p)
{
	int r = codec_range(l->n_devices, 0, PROTO_LIST_MAX, "devices");

	if (r == 0 && l->n_devices && !l->devices)
		r = codec_fail(-EPROTO, "devices: NULL with a count");
	if (r < 0)
		return r;
	vmig__device_list__init(&p->list);
	p->rep.device_list = &p->list;
	if (l->n_devices == 0)
		return 0;
	p->devs = calloc(l->n_devices, sizeof(*p->devs));
	p->devp = calloc(l->n_devices, sizeof(*p->devp));
	if (!p->devs || !p->devp)
		return codec_fail(-ENOMEM, "device_list: out of memory");
	for (uint32_t i = 0; i < l->n_devices; i++) {
		r = device_to_pb(&l->devices[i], &p->devs[i]);
		if (r < 0)
			return codec_prefix(r, "devices[%u]", i);
		p->devp[i] = &p->devs[i];
	}
	p->list.n_devices = l->n_devices;
	p->list.devices = p->devp;
	return 0;
}

static int job_list_to_pb(const struct ctl_job_list *l, struct reply_pb *p)
{
	int r = codec_range(l->n_jobs, 0, PROTO_JOBS_MAX, "jobs");

	if (r == 0 && l->n_jobs && !l->jobs)
		r = codec_fail(-EPROTO, "jobs: NULL with a count");
	if (r < 0)
		return r;
	vmig__job_list__init(&p->jobs);
	p->rep.job_list = &p->jobs;
	if (l->n_jobs == 0)
		return 0;
	p->jobv = calloc(l->n_jobs, sizeof(*p->jobv));
	p->jobp = calloc(l->n_jobs, sizeof(*p->jobp));
	if (!p->jobv || !p->jobp)
		return codec_fail(-ENOMEM, "job_list: out of memory");
	for (uint32_t i = 0; i < l->n_jobs; i++) {
		r = ctl_job_to_pb(&l->jobs[i], &p->jobv[i]);
		if (r < 0)
			return codec_prefix(r, "jobs[%u]", i);
		p->jobp[i] = &p->jobv[i].msg;
	}
	p->jobs.n_jobs = l->n_jobs;
	p->jobs.jobs = p->jobp;
	return 0;
}

static int device_list_from_pb(struct ctl_device_list *l, const Vmig__DeviceList *m)
{
	int r = codec_range(m->n_devices, 0, PROTO_LIST_MAX, "devices");

	if (r < 0 || m->n_devices == 0)
		return r;
	l->devices = calloc(m->n_devices, sizeof(*l->devices));
	if (!l->devices)
		return codec_fail(-ENOMEM, "device_list: out of memory");
	l->n_devices = (uint32_t)m->n_devices;
	for (size_t i = 0; i < m->n_devices; i++) {
		r = device_from_pb(&l->devices[i], m->devices[i]);
		if (r < 0)
			return codec_prefix(r, "devices[%zu]", i);
	}
	return 0;
}

static int job_list_from_pb(struct ctl_job_list *l, const Vmig__JobList *m)
{
	int r = codec_range(m->n_jobs, 0, PROTO_JOBS_MAX, "jobs");

	if (r < 0 || m->n_jobs == 0)
		return r;
	l->jobs = calloc(m->n_jobs, sizeof(*l->jobs));
	if (!l->jobs)
		return codec_fail(-ENOMEM, "job_list: out of memory");
	l->n_jobs = (uint32_t)m->n_jobs;
	for (size_t i = 0; i < m->n_jobs; i++) {
		r = ctl_job_from_pb(&l->jobs[i], m->jobs[i]);
		if (r < 0)
			return codec_prefix(r, "jobs[%zu]", i);
	}
	return 0;
}

static int peer_list_to_pb(const struct ctl_peer_list *l, struct reply_pb *p)
{
	int r = codec_range(l->n_peers, 0, CTL_PEERS_MAX, "peers");

	if (r == 0 && l->n_peers && !l->peers)
		r = codec_fail(-EPROTO, "peers: NULL with a count");
	if (r < 0)
		return r;
	vmig__peer_list__init(&p->peers);
	p->rep.peer_list = &p->peers;
	if (l->n_peers == 0)
		return 0;
	p->peerv = calloc(l->n_peers, sizeof(*p->peerv));
	p->peerp = calloc(l->n_peers, sizeof(*p->peerp));
	if (!p->peerv || !p->peerp)
		return codec_fail(-ENOMEM, "peer_list: out of memory");
	for (uint32_t i = 0; i < l->n_peers; i++) {
		r = peer_to_pb(&l->peers[i], &p->peerv[i]);
		if (r < 0)
			return codec_prefix(r, "peers[%u]", i);
		p->peerp[i] = &p->peerv[i];
	}
	p->peers.n_peers = l->n_peers;
	p->peers.peers = p->peerp;
	return 0;
}

static int peer_list_from_pb(struct ctl_peer_list *l, const Vmig__PeerList *m)
{
	int r = codec_range(m->n_peers, 0, CTL_PEERS_MAX, "peers");

	if (r < 0 || m->n_peers == 0)
		return r;
	l->peers = calloc(m->n_peers, sizeof(*l->peers));
	if (!l->peers)
		return codec_fail(-ENOMEM, "peer_list: out of memory");
	l->n_peers = (uint32_t)m->n_peers;
	for (size_t i = 0; i < m->n_peers; i++) {
		r = peer_from_pb(&l->peers[i], m->peers[i]);
		if (r < 0)
			return codec_prefix(r, "peers[%zu]", i);
	}
	return 0;
}

/* ---- the envelope ---- */

static int prepare_check(const struct ctl_prepare_result *q)
{
	int r = codec_str_check(q->token, PROTO_TOKEN_MAX, CODEC_ASCII, true, "token");

	return r < 0 ? r : codec_need(q->job_id != 0, "job_id");
}

static int prepare_from_pb(struct ctl_prepare_result *q, const Vmig__PrepareIncomingResult *m)
{
	int r = codec_str_in(q->token, PROTO_TOKEN_MAX, m->token, CODEC_ASCII, true, "token");

	q->job_id = m->job_id;
	q->expires_at_ms = m->expires_at_ms;
	return r < 0 ? r : prepare_check(q);
}

static int result_to_pb(const struct ctl_reply *q, struct reply_pb *p)
{
	Vmig__Reply *m = &p->rep;

	m->result_case = (Vmig__Reply__ResultCase)q->result;
	switch (q->result) {
	case CTL_RESULT_NONE:
		return 0;
	case CTL_RESULT_HELLO:
		m->hello = &p->hello;
		return ctl_request_hello_to_pb(&q->u.hello, &p->hello);
	case CTL_RESULT_DAEMON_INFO:
		return info_to_pb(&q->u.daemon_info, p);
	case CTL_RESULT_DEVICE_LIST:
		return device_list_to_pb(&q->u.device_list, p);
	case CTL_RESULT_DEVICE:
		m->device = &p->device;
		return device_to_pb(&q->u.device, &p->device);
	case CTL_RESULT_PREPARE_INCOMING:
		vmig__prepare_incoming_result__init(&p->prepare);
		p->prepare.token = (char *)q->u.prepare.token;
		CODEC_SET(&p->prepare, job_id, q->u.prepare.job_id);
		CODEC_OPT(&p->prepare, expires_at_ms, q->u.prepare.expires_at_ms);
		m->prepare_incoming = &p->prepare;
		return prepare_check(&q->u.prepare);
	case CTL_RESULT_MIGRATE:
		vmig__migrate_result__init(&p->migrate);
		CODEC_SET(&p->migrate, job_id, q->u.job_id);
		m->migrate = &p->migrate;
		return codec_need(q->u.job_id != 0, "job_id");
	case CTL_RESULT_JOB:
		m->job = &p->job.msg;
		return ctl_job_to_pb(&q->u.job, &p->job);
	case CTL_RESULT_JOB_LIST:
		return job_list_to_pb(&q->u.job_list, p);
	case CTL_RESULT_PEER:
		m->peer = &p->peer;
		return peer_to_pb(&q->u.peer, &p->peer);
	case CTL_RESULT_PEER_LIST:
		return peer_list_to_pb(&q->u.peer_list, p);
	case CTL_RESULT_METADATA:
		m->metadata.len = q->u.metadata.len;
		m->metadata.data = q->u.metadata.data;
		if (q->u.metadata.len && !q->u.metadata.data)
			return codec_fail(-EPROTO, "metadata: NULL with a length");
		return codec_range(q->u.metadata.len, 0, PROTO_METADATA_MAX, "metadata");
	}
	return codec_fail(-EPROTO, "result: %u is not a known result", q->result);
}

/* Rules tying serial, error and result together. */
static int envelope_check(const struct ctl_reply *q)
{
	bool failed = q->error.code != PROTO_ERR_OK;

	if (q->serial == 0 && !failed)
		return codec_fail(-EPROTO, "serial: missing in a successful reply");
	if (failed && q->result != CTL_RESULT_NONE)
		return codec_fail(-EPROTO, "result: set in a reply with error %s",
				  proto_err_name(q->error.code));
	return 0;
}

int ctl_reply_encode(const struct ctl_reply *rep, uint8_t **ret_buf, size_t *ret_len)
{
	struct reply_pb p = { 0 };
	int r;

	vmig__reply__init(&p.rep);
	r = envelope_check(rep);
	if (r == 0)
		r = result_to_pb(rep, &p);
	if (r < 0 && rep->result != CTL_RESULT_NONE)
		codec_prefix(r, "result");
	if (r == 0 && codec_error_set(&rep->error)) {
		r = codec_error_out(&p.error, &rep->error, "error");
		p.rep.error = &p.error;
	}
	if (r == 0) {
		CODEC_OPT(&p.rep, serial, rep->serial);
		r = codec_pack(&p.rep.base, FRAME_CTL_REPLY, ret_buf, ret_len);
	}
	free(p.devs);
	free(p.devp);
	free(p.jobv);
	free(p.jobp);
	free(p.peerv);
	free(p.peerp);
	return codec_encode_err(r);
}

/* Takes the metadata buffer out of m: on failure the caller's clear frees it. */
static int result_from_pb(struct ctl_reply *q, Vmig__Reply *m)
{
	switch (m->result_case) {
	case VMIG__REPLY__RESULT_HELLO:
		return ctl_request_hello_from_pb(&q->u.hello, m->hello);
	case VMIG__REPLY__RESULT_DAEMON_INFO:
		return info_from_pb(&q->u.daemon_info, m->daemon_info);
	case VMIG__REPLY__RESULT_DEVICE_LIST:
		return device_list_from_pb(&q->u.device_list, m->device_list);
	case VMIG__REPLY__RESULT_DEVICE:
		return device_from_pb(&q->u.device, m->device);
	case VMIG__REPLY__RESULT_PREPARE_INCOMING:
		return prepare_from_pb(&q->u.prepare, m->prepare_incoming);
	case VMIG__REPLY__RESULT_MIGRATE:
		q->u.job_id = m->migrate->job_id;
		return codec_need(q->u.job_id != 0, "job_id");
	case VMIG__REPLY__RESULT_JOB:
		return ctl_job_from_pb(&q->u.job, m->job);
	case VMIG__REPLY__RESULT_JOB_LIST:
		return job_list_from_pb(&q->u.job_list, m->job_list);
	case VMIG__REPLY__RESULT_PEER:
		return peer_from_pb(&q->u.peer, m->peer);
	case VMIG__REPLY__RESULT_PEER_LIST:
		return peer_list_from_pb(&q->u.peer_list, m->peer_list);
	case VMIG__REPLY__RESULT_METADATA:
		return codec_bytes_in(&q->u.metadata.data, &q->u.metadata.len, &m->metadata,
				      PROTO_METADATA_MAX, "metadata");
	default:
		return 0;
	}
}

int ctl_reply_decode(const uint8_t *buf, size_t len, struct ctl_reply *ret)
{
	struct ctl_reply q = { 0 };
	Vmig__Reply *m;
	int r;

	r = codec_unpack(&vmig__reply__descriptor, FRAME_CTL_REPLY, buf, len,
			 (ProtobufCMessage **)&m);
	if (r < 0)
		return r;
	q.serial = m->serial;
	r = codec_error_in(&q.error, m->error, "error");
	if (r == 0) {
		q.result = m->result_case;
		r = result_from_pb(&q, m);
		if (r < 0)
			codec_prefix(r, "result");
	}
	if (r == 0)
		r = envelope_check(&q);
	codec_free(m);
	if (r < 0) {
		ctl_reply_clear(&q);
		return r;
	}
	*ret = q;
	return 0;
}

void ctl_reply_clear(struct ctl_reply *rep)
{
	if (!rep)
		return;
	if (rep->result == CTL_RESULT_DEVICE_LIST)
		free(rep->u.device_list.devices);
	if (rep->result == CTL_RESULT_JOB_LIST)
		free(rep->u.job_list.jobs);
	if (rep->result == CTL_RESULT_PEER_LIST)
		free(rep->u.peer_list.peers);
	if (rep->result == CTL_RESULT_METADATA)
		free(rep->u.metadata.data);
	memset(rep, 0, sizeof(*rep));
}
