/*
 * ctlprobe_job.c - ctlprobe's migration job operations and their printing:
 *
 *     prepare source=IDENTITY devices=ID[,ID...] [expiry=SECONDS]
 *     migrate peer=HOST:PORT token=TOKEN map=SRC:DST[,SRC:DST...] [metadata=TEXT]
 *             [metadata_files=PATH[,PATH...]] [downtime=MS] [bandwidth=BPS] [precopy=0|1]
 *             [switchover=auto|manual] [resume=auto|manual] [timeout=SECONDS]
 *             (metadata goes with every device; metadata_files gives one file per device,
 *             in map order, an empty file for none)
 *     job-status job=N | job-list | job-cancel job=N | job-switchover job=N
 *     job-resume job=N | job-bandwidth job=N bps=N | job-wait job=N [timeout=MS]
 *     job-metadata job=N device=ID   (prints metadata_len=, metadata_sha256= and, for at
 *                                     most 64 bytes, metadata_hex=)
 *     subscribe [job=N] [finished=N]                      (see ctlprobe.c)
 *
 * A job status prints as "job_id=", "role=", "phase=", "devices=", "device.I.source_id=",
 * ..., "error_code=", "error_message=" lines (a list prefixes each with "job.I.").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlprobe.h"
#include "digest.h"
#include "fsm.h"

static uint64_t arg_u64(const struct args *a, const char *key, uint64_t dflt)
{
	const char *v = arg(a, key);
	unsigned long long n;
	char *end;

	if (!v)
		return dflt;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (!*v || *end || errno)
		die("%s=%s is not a number", key, v);
	return n;
}

/* "a,b,c" into up to max ids of the given size. */
static uint32_t split(const char *list, char *out, size_t size, uint32_t max, const char *key)
{
	char buf[4096];
	uint32_t n = 0;

	copy(buf, sizeof(buf), list, key);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			die("%s: more than %u items", key, max);
		copy(out + (size_t)n * size, size, t, key);
		n++;
	}
	return n;
}

/* Reads a whole metadata file (at most PROTO_METADATA_MAX + 1 bytes, so that a test can
 * send one byte too many). */
static void read_metadata(const char *path, struct ctl_map_entry *e)
{
	FILE *f = fopen(path, "rb");
	size_t cap = PROTO_METADATA_MAX + 1;

	if (!f)
		die("metadata_files: cannot open %s: %s", path, strerror(errno));
	e->metadata = malloc(cap + 1);
	if (!e->metadata)
		die("out of memory");
	e->metadata_len = fread(e->metadata, 1, cap + 1, f);
	if (ferror(f) || e->metadata_len > cap)
		die("metadata_files: %s: unreadable or above %zu bytes", path, cap);
	fclose(f);
}

static void build_prepare(const struct args *a, struct ctl_prepare_incoming *p)
{
	static const char *const k[] = { "source", "devices", "expiry", NULL };

	args_check(a, k);
	copy(p->source_identity, sizeof(p->source_identity), arg_need(a, "source"), "source");
	p->n_devices = split(arg_need(a, "devices"), p->devices[0], sizeof(p->devices[0]),
			     PROTO_JOB_DEVICES_MAX, "devices");
	p->expiry_s = arg_u32(a, "expiry", 0);
}

static uint32_t mode(const struct args *a, const char *key)
{
	const char *v = arg(a, key);

	if (!v || strcmp(v, "auto") == 0)
		return 0;
	if (strcmp(v, "manual") == 0)
		return 1;
	die("%s=%s: auto or manual", key, v);
}

static void build_migrate(const struct args *a, struct ctl_migrate *m)
{
	static const char *const k[] = { "peer",	   "token",    "map",	    "metadata",
					 "metadata_files", "downtime", "bandwidth", "precopy",
					 "switchover",	   "resume",   "timeout",   NULL };
	char pairs[PROTO_JOB_DEVICES_MAX][2 * PROTO_ID_MAX + 2];
	static char files[PROTO_JOB_DEVICES_MAX][1024];
	const char *meta = arg(a, "metadata"), *file_list = arg(a, "metadata_files");
	uint32_t n_files = 0;

	args_check(a, k);
	copy(m->peer, sizeof(m->peer), arg_need(a, "peer"), "peer");
	copy(m->token, sizeof(m->token), arg_need(a, "token"), "token");
	m->n_devices =
		split(arg_need(a, "map"), pairs[0], sizeof(pairs[0]), PROTO_JOB_DEVICES_MAX, "map");
	if (file_list)
		n_files = split(file_list, files[0], sizeof(files[0]), PROTO_JOB_DEVICES_MAX,
				"metadata_files");
	if (file_list && (meta || n_files != m->n_devices))
		die("metadata_files: one file per device (%u), and no metadata= with it",
		    m->n_devices);
	for (uint32_t i = 0; i < m->n_devices; i++) {
		char *colon = strchr(pairs[i], ':');

		if (!colon)
			die("map: '%s' is not SOURCE:TARGET", pairs[i]);
		*colon = '\0';
		copy(m->devices[i].source_id, sizeof(m->devices[i].source_id), pairs[i], "map");
		copy(m->devices[i].target_id, sizeof(m->devices[i].target_id), colon + 1, "map");
		if (meta) {
			m->devices[i].metadata = (uint8_t *)strdup(meta);
			m->devices[i].metadata_len = strlen(meta);
		}
		if (file_list)
			read_metadata(files[i], &m->devices[i]);
	}
	m->downtime_limit_ms = arg_u32(a, "downtime", 0);
	m->bandwidth_bps = arg_u64(a, "bandwidth", 0);
	m->precopy = arg_u32(a, "precopy", 1) != 0;
	m->switchover = mode(a, "switchover");
	m->resume = mode(a, "resume");
	m->timeout_s = arg_u32(a, "timeout", 0);
}

bool probe_build_job(const char *op, const struct args *a, struct ctl_request *q)
{
	static const char *const job[] = { "job", NULL };
	static const struct {
		const char *name;
		uint32_t op;
	} simple[] = {
		{ "job-status", CTL_OP_JOB_STATUS },
		{ "job-cancel", CTL_OP_JOB_CANCEL },
		{ "job-switchover", CTL_OP_JOB_SWITCHOVER },
		{ "job-resume", CTL_OP_JOB_RESUME },
	};

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(op, simple[i].name) != 0)
			continue;
		args_check(a, job);
		q->op = simple[i].op;
		q->u.job.job_id = arg_u64(a, "job", 0);
		return true;
	}
	if (strcmp(op, "prepare") == 0) {
		q->op = CTL_OP_PREPARE_INCOMING;
		build_prepare(a, &q->u.prepare);
	} else if (strcmp(op, "migrate") == 0) {
		q->op = CTL_OP_MIGRATE;
		build_migrate(a, &q->u.migrate);
	} else if (strcmp(op, "job-list") == 0) {
		args_check(a, job + 1);
		q->op = CTL_OP_JOB_LIST;
	} else if (strcmp(op, "job-bandwidth") == 0) {
		static const char *const k[] = { "job", "bps", NULL };

		args_check(a, k);
		q->op = CTL_OP_JOB_SET_BANDWIDTH;
		q->u.bandwidth.job_id = arg_u64(a, "job", 0);
		q->u.bandwidth.bandwidth_bps = arg_u64(a, "bps", 0);
	} else if (strcmp(op, "job-wait") == 0) {
		static const char *const k[] = { "job", "timeout", NULL };

		args_check(a, k);
		q->op = CTL_OP_JOB_WAIT;
		q->u.wait.job_id = arg_u64(a, "job", 0);
		q->u.wait.timeout_ms = arg_u32(a, "timeout", 0);
	} else if (strcmp(op, "job-metadata") == 0) {
		static const char *const k[] = { "job", "device", NULL };

		args_check(a, k);
		q->op = CTL_OP_JOB_METADATA;
		q->u.job_metadata.job_id = arg_u64(a, "job", 0);
		copy(q->u.job_metadata.device, sizeof(q->u.job_metadata.device),
		     arg_need(a, "device"), "device");
	} else if (strcmp(op, "subscribe") == 0) {
		static const char *const k[] = { "job", "finished", NULL };

		args_check(a, k);
		q->op = CTL_OP_SUBSCRIBE;
		q->u.subscribe.job_id = arg_u64(a, "job", 0);
	} else {
		return false;
	}
	return true;
}

static const char *mode_name(uint32_t v, const char *zero, const char *one)
{
	return v == 0 ? zero : v == 1 ? one : "UNKNOWN";
}

static void print_progress(const char *p, uint32_t i, const struct ctl_device_progress *d)
{
	printf("%sdevice.%u.source_id=%s\n%sdevice.%u.target_id=%s\n", p, i, d->source_id, p, i,
	       d->target_id);
	printf("%sdevice.%u.state=%s\n%sdevice.%u.bytes_sent=%llu\n", p, i,
	       fsm_state_name((int)d->state), p, i, (unsigned long long)d->bytes_sent);
	printf("%sdevice.%u.bytes_acked=%llu\n%sdevice.%u.bytes_remaining=%llu\n", p, i,
	       (unsigned long long)d->bytes_acked, p, i, (unsigned long long)d->bytes_remaining);
	printf("%sdevice.%u.reset=%d\n", p, i, d->reset);
	if (d->changing)
		printf("%sdevice.%u.changing_to=%s\n%sdevice.%u.changing_ms=%llu\n", p, i,
		       fsm_state_name((int)d->changing_to), p, i,
		       (unsigned long long)d->changing_ms);
}

static void print_status(const char *p, const struct ctl_job_status *s)
{
	printf("%sjob_id=%llu\n%srole=%s\n%sphase=%s\n%speer=%s\n%sdevices=%u\n", p,
	       (unsigned long long)s->job_id, p,
	       s->role == CTL_ROLE_SOURCE	 ? "SOURCE"
	       : s->role == CTL_ROLE_DESTINATION ? "DESTINATION"
						 : "UNKNOWN",
	       p, ctl_job_phase_name(s->phase), p, s->peer, p, s->n_devices);
	for (uint32_t i = 0; i < s->n_devices; i++)
		print_progress(p, i, &s->devices[i]);
	printf("%sprecopy_iterations=%u\n%sthroughput_bps=%llu\n%selapsed_ms=%llu\n", p,
	       s->precopy_iterations, p, (unsigned long long)s->throughput_bps, p,
	       (unsigned long long)s->elapsed_ms);
	printf("%sdowntime_ms=%llu\n%sstarted_at_ms=%llu\n%sfinished_at_ms=%llu\n", p,
	       (unsigned long long)s->downtime_ms, p, (unsigned long long)s->started_at_ms, p,
	       (unsigned long long)s->finished_at_ms);
	printf("%sbandwidth_bps=%llu\n%sdowntime_limit_ms=%u\n%sswitchover=%s\n%sresume=%s\n", p,
	       (unsigned long long)s->bandwidth_bps, p, s->downtime_limit_ms, p,
	       mode_name(s->switchover, "AUTO", "MANUAL"), p,
	       mode_name(s->resume, "AUTO", "MANUAL"));
	printf("%serror_code=%s\n%serror_message=%s\n", p, proto_err_name(s->error.code), p,
	       s->error.message);
	if (s->error.device[0])
		printf("%serror_device=%s\n", p, s->error.device);
}

static void print_metadata(const struct ctl_metadata *md)
{
	uint8_t sum[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN];

	if (digest_buffer(md->data, md->len, sum) < 0)
		die("SHA-256 failed");
	printf("metadata_len=%zu\nmetadata_sha256=%s\n", md->len, digest_hex(sum, hex));
	if (md->len <= 64) {
		printf("metadata_hex=");
		for (size_t i = 0; i < md->len; i++)
			printf("%02x", md->data[i]);
		printf("\n");
	}
}

bool probe_print_job_result(const struct ctl_reply *r)
{
	char p[32];

	switch (r->result) {
	case CTL_RESULT_PREPARE_INCOMING:
		printf("token=%s\njob_id=%llu\nexpires_at_ms=%llu\n", r->u.prepare.token,
		       (unsigned long long)r->u.prepare.job_id,
		       (unsigned long long)r->u.prepare.expires_at_ms);
		return true;
	case CTL_RESULT_MIGRATE:
		printf("job_id=%llu\n", (unsigned long long)r->u.job_id);
		return true;
	case CTL_RESULT_JOB:
		print_status("", &r->u.job);
		return true;
	case CTL_RESULT_METADATA:
		print_metadata(&r->u.metadata);
		return true;
	case CTL_RESULT_JOB_LIST:
		printf("jobs=%u\n", r->u.job_list.n_jobs);
		for (uint32_t i = 0; i < r->u.job_list.n_jobs; i++) {
			snprintf(p, sizeof(p), "job.%u.", i);
			print_status(p, &r->u.job_list.jobs[i]);
		}
		return true;
	default:
		return false;
	}
}

void probe_print_event(const struct ctl_event *ev)
{
	printf("event seq=%llu kind=%s job=%llu phase=%s", (unsigned long long)ev->seq,
	       ctl_event_kind_name(ev->kind), (unsigned long long)ev->job_id,
	       ctl_job_phase_name(ev->phase));
	if (ev->kind == CTL_EVENT_DEVICE_STATE)
		printf(" device=%s state=%s", ev->device, fsm_state_name((int)ev->device_state));
	if (ev->has_status && ev->status.n_devices)
		printf(" bytes=%llu", (unsigned long long)ev->status.devices[0].bytes_sent);
	if (ev->error.code != PROTO_ERR_OK)
		printf(" error=%s message=%s", proto_err_name(ev->error.code), ev->error.message);
	printf("\n");
	fflush(stdout);
}
