/*
 * cmd_migrate.c - starting migrations: prepare (the destination admits one incoming
 * migration and prints its token) and migrate (the source starts the job, optionally
 * following it with --wait like job watch).
 *
 * Single-threaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cmd.h"
#include "err.h"
#include "output.h"
#include "watch.h"

/* One --map SRC=DST, with its --metadata. */
struct cmd_migrate_map {
	char buf[2 * VFIOMIG_ID_MAX + 2];
	const char *src, *dst;
	void *meta;
	size_t meta_len;
};

/* One --metadata SRC=FILE. */
struct cmd_migrate_meta {
	char buf[VFIOMIG_ID_MAX + 4096 + 2];
	const char *src, *file;
};

/* What migrate was asked for. */
struct cmd_migrate_args {
	const char *peer, *token;
	struct cmd_migrate_map maps[VFIOMIG_JOB_DEVICES_MAX];
	unsigned int n_maps;
	struct cmd_migrate_meta metas[VFIOMIG_JOB_DEVICES_MAX];
	unsigned int n_metas;
	uint32_t downtime_ms, timeout_s;
	uint64_t bandwidth;
	bool no_precopy, wait;
	enum vfiomig_switchover switchover;
	enum vfiomig_resume resume;
};

/* ---- prepare ---- */

static void cmd_migrate_prepare_print(struct ctl *ctl, const struct vfiomig_prepare *p)
{
	struct json_object *o;
	char when[OUTPUT_NUM_LEN];
	uint64_t exp = vfiomig_prepare_get_expires_at_ms(p);

	if (ctl->json) {
		o = json_object_new_object();
		json_object_object_add(o, "token",
				       json_object_new_string(vfiomig_prepare_get_token(p)));
		json_object_object_add(o, "job_id",
				       json_object_new_uint64(vfiomig_prepare_get_job_id(p)));
		json_object_object_add(o, "expires_at_ms", json_object_new_uint64(exp));
		output_json_print(o);
	} else if (ctl->quiet) {
		printf("%s\n", vfiomig_prepare_get_token(p));
	} else {
		printf("token:   %s\njob:     %" PRIu64 "\nexpires: %s (in %" PRId64 " s)\n",
		       vfiomig_prepare_get_token(p), vfiomig_prepare_get_job_id(p),
		       output_time(when, exp), ((int64_t)exp - (int64_t)time(NULL) * 1000) / 1000);
	}
}

int cmd_migrate_prepare(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "expiry", required_argument, NULL, 'e' },
		CTL_COMMON_OPTIONS,
	};
	const char *devs[VFIOMIG_JOB_DEVICES_MAX], *source = NULL;
	struct vfiomig_prepare *p;
	uint32_t expiry = 0;
	size_t n = 0;
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hq", opts)) != -1) {
		if (o == 's')
			source = optarg;
		else if (o == 'e' && args_u32(optarg, 1, 86400, &expiry) < 0)
			return err_usage(ctl, "--expiry: '%s' is not 1..86400 seconds", optarg);
		else if (o == 'd' && n == VFIOMIG_JOB_DEVICES_MAX)
			return err_usage(ctl, "at most %d devices", VFIOMIG_JOB_DEVICES_MAX);
		else if (o == 'd')
			devs[n++] = optarg;
	}
	if (!source || !n)
		return err_usage(ctl, "--source IDENTITY and at least one --device ID are needed");
	r = ctl_positional(ctl, argc, argv, 0, 0);
	if (r || (r = ctl_connect(ctl)))
		return r;
	r = vfiomig_prepare_incoming(ctl->client, source, devs, n, expiry, 0, &p);
	if (r < 0)
		return err_call(ctl, r, "prepare");
	cmd_migrate_prepare_print(ctl, p);
	vfiomig_prepare_free(p);
	return CTL_EXIT_OK;
}

/* ---- migrate: options ---- */

static int cmd_migrate_add_map(struct ctl *ctl, struct cmd_migrate_args *a, const char *s)
{
	struct cmd_migrate_map *m;

	if (a->n_maps == VFIOMIG_JOB_DEVICES_MAX)
		return err_usage(ctl, "at most %d --map", VFIOMIG_JOB_DEVICES_MAX);
	m = &a->maps[a->n_maps];
	if (args_pair(s, m->buf, sizeof(m->buf), &m->src, &m->dst) < 0)
		return err_usage(ctl, "--map '%s': expected SRC=DST (device ids)", s);
	a->n_maps++;
	return 0;
}

static int cmd_migrate_add_meta(struct ctl *ctl, struct cmd_migrate_args *a, const char *s)
{
	struct cmd_migrate_meta *m;

	if (a->n_metas == VFIOMIG_JOB_DEVICES_MAX)
		return err_usage(ctl, "at most %d --metadata", VFIOMIG_JOB_DEVICES_MAX);
	m = &a->metas[a->n_metas];
	if (args_pair(s, m->buf, sizeof(m->buf), &m->src, &m->file) < 0)
		return err_usage(ctl, "--metadata '%s': expected SRC=FILE", s);
	a->n_metas++;
	return 0;
}

/* One option of migrate; 0 or an exit code. */
static int cmd_migrate_opt(struct ctl *ctl, int o, struct cmd_migrate_args *a)
{
	switch (o) {
	case 'p':
		a->peer = optarg;
		return 0;
	case 'T':
		a->token = optarg;
		return 0;
	case 'm':
		return cmd_migrate_add_map(ctl, a, optarg);
	case 'M':
		return cmd_migrate_add_meta(ctl, a, optarg);
	case 'd':
		return args_u32(optarg, 1, UINT32_MAX, &a->downtime_ms) < 0
			       ? err_usage(ctl, "--downtime-limit: '%s' is not milliseconds",
					   optarg)
			       : 0;
	case 'b':
		return args_size(optarg, &a->bandwidth) < 0
			       ? err_usage(ctl, "--bandwidth: '%s' is not a rate (e.g. 100M)",
					   optarg)
			       : 0;
	case 'n':
		a->no_precopy = true;
		return 0;
	case 's':
		return args_switchover(optarg, &a->switchover) < 0
			       ? err_usage(ctl, "--switchover: '%s' is not auto or manual", optarg)
			       : 0;
	case 'r':
		return args_resume(optarg, &a->resume) < 0
			       ? err_usage(ctl, "--resume: '%s' is not auto or manual", optarg)
			       : 0;
	case 't':
		return args_u32(optarg, 1, UINT32_MAX, &a->timeout_s) < 0
			       ? err_usage(ctl, "--timeout: '%s' is not seconds", optarg)
			       : 0;
	case 'w':
		a->wait = true;
		return 0;
	default:
		return err_usage(ctl, "unexpected option");
	}
}

static int cmd_migrate_parse(struct ctl *ctl, int argc, char **argv, struct cmd_migrate_args *a)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "token", required_argument, NULL, 'T' },
		{ "map", required_argument, NULL, 'm' },
		{ "metadata", required_argument, NULL, 'M' },
		{ "downtime-limit", required_argument, NULL, 'd' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "no-precopy", no_argument, NULL, 'n' },
		{ "switchover", required_argument, NULL, 's' },
		{ "resume", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "wait", no_argument, NULL, 'w' },
		CTL_COMMON_OPTIONS,
	};
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hq", opts)) != -1)
		if ((r = cmd_migrate_opt(ctl, o, a)))
			return r;
	if (!a->peer || !a->token || !a->n_maps)
		return err_usage(ctl, "--peer HOST:PORT, --token TOKEN and at least one "
				      "--map SRC=DST are needed");
	return ctl_positional(ctl, argc, argv, 0, 0);
}

/* Reads each --metadata file into its map. */
static int cmd_migrate_load_meta(struct ctl *ctl, struct cmd_migrate_args *a)
{
	for (unsigned int i = 0; i < a->n_metas; i++) {
		struct cmd_migrate_meta *m = &a->metas[i];
		struct cmd_migrate_map *map = NULL;
		int r;

		for (unsigned int k = 0; k < a->n_maps && !map; k++)
			if (strcmp(a->maps[k].src, m->src) == 0)
				map = &a->maps[k];
		if (!map)
			return err_usage(ctl, "--metadata %s: no --map %s=...", m->src, m->src);
		if (map->meta)
			return err_usage(ctl, "--metadata %s given twice", m->src);
		r = args_read_file(m->file, VFIOMIG_METADATA_MAX, &map->meta, &map->meta_len);
		if (r < 0)
			return err_report(ctl, "METADATA_FILE", -r, CTL_EXIT_FAILED,
					  "--metadata %s: cannot read %s: %s%s", m->src, m->file,
					  strerror(-r), r == -EFBIG ? " (at most 1 MiB)" : "");
	}
	return 0;
}

/* The library's parameter set from the arguments. */
static int cmd_migrate_params(struct ctl *ctl, const struct cmd_migrate_args *a,
			      struct vfiomig_migrate_params **ret)
{
	struct vfiomig_migrate_params *p;
	int r;

	if (vfiomig_migrate_params_new(&p) < 0)
		return err_report(ctl, "NO_MEMORY", ENOMEM, CTL_EXIT_FAILED, "out of memory");
	if (vfiomig_migrate_params_set_peer(p, a->peer) < 0) {
		r = err_usage(ctl, "--peer '%s': not a peer address", a->peer);
		goto err_free;
	}
	if (vfiomig_migrate_params_set_token(p, a->token) < 0) {
		r = err_usage(ctl, "--token: empty or too long");
		goto err_free;
	}
	for (unsigned int i = 0; i < a->n_maps; i++) {
		const struct cmd_migrate_map *m = &a->maps[i];

		r = vfiomig_migrate_params_add_device(p, m->src, m->dst, m->meta, m->meta_len);
		if (r < 0) {
			r = err_usage(ctl, "--map %s=%s: %s", m->src, m->dst,
				      r == -EEXIST ? "a device given twice"
						   : "not valid device ids");
			goto err_free;
		}
	}
	vfiomig_migrate_params_set_downtime_limit(p, a->downtime_ms);
	vfiomig_migrate_params_set_bandwidth(p, a->bandwidth);
	vfiomig_migrate_params_set_precopy(p, !a->no_precopy);
	vfiomig_migrate_params_set_switchover(p, a->switchover);
	vfiomig_migrate_params_set_resume(p, a->resume);
	vfiomig_migrate_params_set_timeout(p, a->timeout_s);
	*ret = p;
	return 0;
err_free:
	vfiomig_migrate_params_free(p);
	return r;
}

static void cmd_migrate_free(struct cmd_migrate_args *a)
{
	for (unsigned int i = 0; i < a->n_maps; i++)
		free(a->maps[i].meta);
}

/* Prints the new job's id (not in --json --wait, whose document is the final status). */
static void cmd_migrate_started(struct ctl *ctl, const struct cmd_migrate_args *a, uint64_t job)
{
	struct json_object *o;

	if (ctl->json) {
		if (a->wait)
			return;
		o = json_object_new_object();
		json_object_object_add(o, "job_id", json_object_new_uint64(job));
		output_json_print(o);
	} else if (ctl->quiet) {
		printf("%" PRIu64 "\n", job);
	} else {
		printf("job %" PRIu64 ": migrating %u device%s to %s\n", job, a->n_maps,
		       a->n_maps == 1 ? "" : "s", a->peer);
	}
	fflush(stdout);
}

int cmd_migrate_start(struct ctl *ctl, int argc, char **argv)
{
	struct cmd_migrate_args a = { 0 };
	struct vfiomig_migrate_params *p = NULL;
	uint64_t job;
	int r;

	r = cmd_migrate_parse(ctl, argc, argv, &a);
	if (r || (r = cmd_migrate_load_meta(ctl, &a)) || (r = cmd_migrate_params(ctl, &a, &p)))
		goto out;
	r = ctl_connect(ctl);
	if (r)
		goto out;
	r = vfiomig_migrate(ctl->client, p, 0, &job);
	if (r < 0) {
		r = err_call(ctl, r, "migrate");
		goto out;
	}
	cmd_migrate_started(ctl, &a, job);
	r = a.wait ? watch_job(ctl, job, !ctl->json && !ctl->quiet, 0) : CTL_EXIT_OK;
out:
	vfiomig_migrate_params_free(p);
	cmd_migrate_free(&a);
	return r;
}
