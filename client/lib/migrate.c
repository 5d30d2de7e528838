/*
 * migrate.c - starting migrations: the destination's prepare_incoming (and its result:
 * token, job id, expiry), the migration parameter builder, and the source's migrate, in
 * blocking and async form.
 *
 * The parameters are a builder rather than a public struct so that new options become new
 * setters without breaking the ABI. Each setter checks its value at once (-EINVAL), so a
 * bad parameter is found where it is set. Threading: as the client; a parameter set may be
 * used by one thread at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- prepare_incoming ---- */

static int prepare_build(struct vfiomig_client *c, struct ctl_request *req, const char *source,
			 const char *const *ids, size_t n, uint32_t expiry_s, uint32_t flags)
{
	struct ctl_prepare_incoming *p = &req->u.prepare;
	int r = call_begin(c, req, CTL_OP_PREPARE_INCOMING, flags);

	if (r < 0)
		return r;
	r = check_text(c, p->source_identity, source, PROTO_ADDR_MAX, true, "source identity");
	if (r < 0)
		return r;
	if (!ids || n == 0 || n > PROTO_JOB_DEVICES_MAX)
		return error_set(c, -EINVAL, "prepare_incoming: %zu devices, give 1..%d",
				 ids ? n : 0, PROTO_JOB_DEVICES_MAX);
	if (expiry_s > PROTO_EXPIRY_MAX_S)
		return error_set(c, -EINVAL, "expiry %u s: at most %d", expiry_s,
				 PROTO_EXPIRY_MAX_S);
	for (size_t i = 0; i < n; i++) {
		r = check_id(c, p->devices[i], ids[i], "device id");
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->devices[k], p->devices[i]) == 0)
				return error_set(c, -EINVAL, "device %s is listed twice", ids[i]);
	}
	p->n_devices = (uint32_t)n;
	p->expiry_s = expiry_s;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_prepare_incoming(struct vfiomig_client *c, const char *source_identity,
					    const char *const *device_ids, size_t n_devices,
					    uint32_t expiry_s, uint32_t flags,
					    struct vfiomig_prepare **ret)
{
	struct ctl_request req;
	void *o = NULL;
	int r = prepare_build(c, &req, source_identity, device_ids, n_devices, expiry_s, flags);

	if (r >= 0 && !ret)
		r = error_set(c, -EINVAL, "prepare_incoming: ret is NULL");
	if (r < 0)
		return r;
	r = call_simple(c, &req, CTL_RESULT_PREPARE_INCOMING, &o);
	if (r >= 0)
		*ret = o;
	return r;
}

VFIOMIG_EXPORT int vfiomig_prepare_incoming_async(struct vfiomig_client *c,
						  const char *source_identity,
						  const char *const *device_ids, size_t n_devices,
						  uint32_t expiry_s, uint32_t flags,
						  vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = prepare_build(c, &req, source_identity, device_ids, n_devices, expiry_s, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}

VFIOMIG_EXPORT void vfiomig_prepare_free(struct vfiomig_prepare *p)
{
	free(p);
}

VFIOMIG_EXPORT const char *vfiomig_prepare_get_token(const struct vfiomig_prepare *p)
{
	return p->v.token;
}

VFIOMIG_EXPORT uint64_t vfiomig_prepare_get_job_id(const struct vfiomig_prepare *p)
{
	return p->v.job_id;
}

VFIOMIG_EXPORT uint64_t vfiomig_prepare_get_expires_at_ms(const struct vfiomig_prepare *p)
{
	return p->v.expires_at_ms;
}

/* ---- parameters ---- */

VFIOMIG_EXPORT int vfiomig_migrate_params_new(struct vfiomig_migrate_params **ret)
{
	struct vfiomig_migrate_params *p;

	if (!ret)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->v.precopy = true;
	p->v.switchover = CTL_SWITCHOVER_AUTO;
	p->v.resume = CTL_RESUME_AUTO;
	*ret = p;
	return 0;
}

VFIOMIG_EXPORT void vfiomig_migrate_params_free(struct vfiomig_migrate_params *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->v.n_devices; i++)
		free(p->v.devices[i].metadata);
	free(p);
}

/* Copies printable text of 1..max bytes into dst[max + 1]. */
static int params_text(char *dst, const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len > max)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return -EINVAL;
	memcpy(dst, s, len + 1);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_peer(struct vfiomig_migrate_params *p,
						   const char *address)
{
	return p ? params_text(p->v.peer, address, PROTO_ADDR_MAX) : -EINVAL;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_token(struct vfiomig_migrate_params *p,
						    const char *token)
{
	return p ? params_text(p->v.token, token, PROTO_TOKEN_MAX) : -EINVAL;
}

/* -EEXIST when either id is already in the map on its side. */
static int params_dup(const struct vfiomig_migrate_params *p, const char *src, const char *dst)
{
	for (uint32_t i = 0; i < p->v.n_devices; i++)
		if (strcmp(p->v.devices[i].source_id, src) == 0 ||
		    strcmp(p->v.devices[i].target_id, dst) == 0)
			return -EEXIST;
	return 0;
}

/* The metadata bytes of the devices added so far. */
static size_t params_metadata_total(const struct vfiomig_migrate_params *p)
{
	size_t total = 0;

	for (uint32_t i = 0; i < p->v.n_devices; i++)
		total += p->v.devices[i].metadata_len;
	return total;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_add_device(struct vfiomig_migrate_params *p,
						     const char *source_id, const char *target_id,
						     const void *metadata, size_t len)
{
	struct ctl_map_entry *e;
	int r;

	if (!p || check_id_syntax(source_id) < 0 || check_id_syntax(target_id) < 0)
		return -EINVAL;
	if (len > PROTO_METADATA_MAX || (len && !metadata))
		return -EINVAL;
	if (p->v.n_devices >= PROTO_JOB_DEVICES_MAX)
		return -EINVAL;
	if (len > PROTO_METADATA_TOTAL_MAX - params_metadata_total(p))
		return -EINVAL;
	r = params_dup(p, source_id, target_id);
	if (r < 0)
		return r;
	e = &p->v.devices[p->v.n_devices];
	memset(e, 0, sizeof(*e));
	if (len) {
		e->metadata = malloc(len);
		if (!e->metadata)
			return -ENOMEM;
		memcpy(e->metadata, metadata, len);
		e->metadata_len = len;
	}
	strcpy(e->source_id, source_id);
	strcpy(e->target_id, target_id);
	p->v.n_devices++;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_downtime_limit(struct vfiomig_migrate_params *p,
							     uint32_t ms)
{
	if (!p)
		return -EINVAL;
	p->v.downtime_limit_ms = ms;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_bandwidth(struct vfiomig_migrate_params *p,
							uint64_t bps)
{
	if (!p)
		return -EINVAL;
	p->v.bandwidth_bps = bps;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_precopy(struct vfiomig_migrate_params *p, bool on)
{
	if (!p)
		return -EINVAL;
	p->v.precopy = on;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_switchover(struct vfiomig_migrate_params *p,
							 enum vfiomig_switchover mode)
{
	if (!p || (mode != VFIOMIG_SWITCHOVER_AUTO && mode != VFIOMIG_SWITCHOVER_MANUAL))
		return -EINVAL;
	p->v.switchover = (uint32_t)mode;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_resume(struct vfiomig_migrate_params *p,
						     enum vfiomig_resume mode)
{
	if (!p || (mode != VFIOMIG_RESUME_AUTO && mode != VFIOMIG_RESUME_MANUAL))
		return -EINVAL;
	p->v.resume = (uint32_t)mode;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_params_set_timeout(struct vfiomig_migrate_params *p,
						      uint32_t seconds)
{
	if (!p)
		return -EINVAL;
	p->v.timeout_s = seconds;
	return 0;
}

/* ---- migrate ---- */

/*
 * The request borrows the parameters' metadata buffers (encoding only reads them), so the
 * request is never cleared with ctl_request_clear().
 */
static int migrate_build(struct vfiomig_client *c, struct ctl_request *req,
			 const struct vfiomig_migrate_params *p, uint32_t flags)
{
	size_t total = 0;
	int r = call_begin(c, req, CTL_OP_MIGRATE, flags);

	if (r < 0)
		return r;
	if (!p)
		return error_set(c, -EINVAL, "migrate: no parameters (NULL)");
	if (!p->v.peer[0])
		return error_set(c, -EINVAL,
				 "migrate: no peer address; call "
				 "vfiomig_migrate_params_set_peer()");
	if (!p->v.token[0])
		return error_set(c, -EINVAL,
				 "migrate: no token; call "
				 "vfiomig_migrate_params_set_token() with the "
				 "destination's prepare_incoming token");
	if (!p->v.n_devices)
		return error_set(c, -EINVAL,
				 "migrate: no devices; call "
				 "vfiomig_migrate_params_add_device()");
	for (uint32_t i = 0; i < p->v.n_devices; i++)
		total += p->v.devices[i].metadata_len;
	if (total > PROTO_METADATA_TOTAL_MAX)
		return error_set(c, -EINVAL, "migrate: %zu bytes of metadata, at most %u per job",
				 total, PROTO_METADATA_TOTAL_MAX);
	req->u.migrate = p->v;
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate(struct vfiomig_client *c, const struct vfiomig_migrate_params *p,
				   uint32_t flags, uint64_t *ret_job_id)
{
	struct ctl_request req;
	struct vfiomig_result *res;
	int r = migrate_build(c, &req, p, flags);

	if (r < 0)
		return r;
	r = call_run(c, &req, -1, c->timeout_ms, &res);
	if (r < 0)
		return r;
	if (ret_job_id)
		*ret_job_id = res->job_id;
	result_free(res);
	return 0;
}

VFIOMIG_EXPORT int vfiomig_migrate_async(struct vfiomig_client *c,
					 const struct vfiomig_migrate_params *p, uint32_t flags,
					 vfiomig_callback cb, void *userdata)
{
	struct ctl_request req;
	int r = migrate_build(c, &req, p, flags);

	return r < 0 ? r : call_submit(c, &req, -1, cb, userdata);
}
