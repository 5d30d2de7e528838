/*
 * cmd_job.c - the job commands: list, status, watch and wait (following a job to its end,
 * watch.c), cancel, switchover, resume, bandwidth and metadata.
 *
 * Single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cmd.h"
#include "err.h"
#include "output.h"
#include "watch.h"

/* After the options: ID and n_more further positional arguments. */
static int cmd_job_positional(struct ctl *ctl, int argc, char **argv, int n_more, uint64_t *job)
{
	int r = ctl_positional(ctl, argc, argv, 1 + n_more, 1 + n_more);

	if (r)
		return r;
	if (args_job_id(argv[optind], job) < 0)
		return err_usage(ctl, "'%s' is not a job id (a number from 1)", argv[optind]);
	return 0;
}

/* The common options, then ID and n_more further positional arguments. */
static int cmd_job_args(struct ctl *ctl, int argc, char **argv, int n_more, uint64_t *job)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS };

	if (ctl_getopt(ctl, argc, argv, "hq", opts) != -1)
		return err_usage(ctl, "unexpected option");
	return cmd_job_positional(ctl, argc, argv, n_more, job);
}

int cmd_job_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS };
	struct vfiomig_job_list *l;
	int r;

	if (ctl_getopt(ctl, argc, argv, "hq", opts) != -1)
		return err_usage(ctl, "unexpected option");
	r = ctl_positional(ctl, argc, argv, 0, 0);
	if (r || (r = ctl_connect(ctl)))
		return r;
	r = vfiomig_job_list(ctl->client, 0, &l);
	if (r < 0)
		return err_call(ctl, r, "job list");
	if (ctl->json) {
		output_json_print(output_job_list_json(l));
	} else if (ctl->quiet) {
		for (uint32_t i = 0; i < vfiomig_job_list_get_count(l); i++)
			printf("%" PRIu64 "\n", vfiomig_job_get_id(vfiomig_job_list_get(l, i)));
	} else {
		output_job_list_text(stdout, l);
	}
	vfiomig_job_list_free(l);
	return CTL_EXIT_OK;
}

int cmd_job_status(struct ctl *ctl, int argc, char **argv)
{
	struct vfiomig_job *j;
	char what[64];
	uint64_t id;
	int r;

	r = cmd_job_args(ctl, argc, argv, 0, &id);
	if (r || (r = ctl_connect(ctl)))
		return r;
	snprintf(what, sizeof(what), "job status %" PRIu64, id);
	r = vfiomig_job_status(ctl->client, id, 0, &j);
	if (r < 0)
		return err_call(ctl, r, what);
	if (ctl->json)
		output_json_print(output_job_json(j));
	else if (ctl->quiet)
		printf("%s\n", vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
	else
		output_job_text(stdout, j);
	vfiomig_job_free(j);
	return CTL_EXIT_OK;
}

int cmd_job_watch(struct ctl *ctl, int argc, char **argv)
{
	uint64_t id;
	int r;

	r = cmd_job_args(ctl, argc, argv, 0, &id);
	if (r || (r = ctl_connect(ctl)))
		return r;
	return watch_job(ctl, id, !ctl->json && !ctl->quiet, 0);
}

int cmd_job_wait(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' },
					      CTL_COMMON_OPTIONS };
	uint32_t secs = 0;
	uint64_t id;
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hq", opts)) != -1)
		if (o == 't' && args_u32(optarg, 1, UINT32_MAX / 1000, &secs) < 0)
			return err_usage(ctl, "--timeout: '%s' is not seconds", optarg);
	r = cmd_job_positional(ctl, argc, argv, 0, &id);
	if (r || (r = ctl_connect(ctl)))
		return r;
	return watch_job(ctl, id, false, secs ? watch_now_ms() + (uint64_t)secs * 1000 : 0);
}

/* Prints the outcome of a job operation without result: "job 3: cancel requested". */
static void cmd_job_done(struct ctl *ctl, uint64_t id, const char *op, const char *text)
{
	struct json_object *o;

	if (ctl->json) {
		o = json_object_new_object();
		json_object_object_add(o, "job_id", json_object_new_uint64(id));
		json_object_object_add(o, "operation", json_object_new_string(op));
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		output_json_print(o);
	} else if (!ctl->quiet) {
		printf("job %" PRIu64 ": %s\n", id, text);
		if (strcmp(op, "cancel") == 0)
			printf("follow it to its end with: vfio-migctl job wait %" PRIu64 "\n", id);
	}
}

/* cancel, switchover, resume: ID only, one call. */
static int cmd_job_simple(struct ctl *ctl, int argc, char **argv, const char *op,
			  int (*fn)(struct vfiomig_client *, uint64_t, uint32_t), const char *text)
{
	char what[64];
	uint64_t id;
	int r;

	r = cmd_job_args(ctl, argc, argv, 0, &id);
	if (r || (r = ctl_connect(ctl)))
		return r;
	snprintf(what, sizeof(what), "job %s %" PRIu64, op, id);
	r = fn(ctl->client, id, 0);
	if (r < 0)
		return err_call(ctl, r, what);
	cmd_job_done(ctl, id, op, text);
	return CTL_EXIT_OK;
}

int cmd_job_cancel(struct ctl *ctl, int argc, char **argv)
{
	return cmd_job_simple(ctl, argc, argv, "cancel", vfiomig_job_cancel,
			      "cancel requested; its devices are rolled back");
}

int cmd_job_switchover(struct ctl *ctl, int argc, char **argv)
{
	return cmd_job_simple(ctl, argc, argv, "switchover", vfiomig_job_switchover,
			      "switchover requested");
}

int cmd_job_resume(struct ctl *ctl, int argc, char **argv)
{
	return cmd_job_simple(ctl, argc, argv, "resume", vfiomig_job_resume,
			      "resume requested: the devices start here");
}

int cmd_job_bandwidth(struct ctl *ctl, int argc, char **argv)
{
	char what[64], rate[OUTPUT_NUM_LEN], text[96];
	uint64_t id, bps;
	int r;

	r = cmd_job_args(ctl, argc, argv, 1, &id);
	if (r)
		return r;
	if (args_size(argv[optind + 1], &bps) < 0)
		return err_usage(ctl, "'%s' is not a rate (bytes/s, K/M/G suffix, 0 = unlimited)",
				 argv[optind + 1]);
	r = ctl_connect(ctl);
	if (r)
		return r;
	snprintf(what, sizeof(what), "job bandwidth %" PRIu64, id);
	r = vfiomig_job_set_bandwidth(ctl->client, id, bps, 0);
	if (r < 0)
		return err_call(ctl, r, what);
	snprintf(text, sizeof(text), "bandwidth cap %s",
		 bps ? output_rate(rate, bps) : "removed (unlimited)");
	cmd_job_done(ctl, id, "bandwidth", text);
	return CTL_EXIT_OK;
}

/* Writes all of buf to fd. */
static int cmd_job_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The metadata to FILE (or stdout), or as JSON with hex data. */
static int cmd_job_metadata_out(struct ctl *ctl, const char *file, const void *data, size_t len)
{
	int fd = STDOUT_FILENO, r;

	if (ctl->json && !file) {
		struct json_object *o = json_object_new_object();
		char *hex = malloc(2 * len + 1);

		if (!hex)
			return err_report(ctl, "NO_MEMORY", ENOMEM, CTL_EXIT_FAILED,
					  "out of memory");
		for (size_t i = 0; i < len; i++)
			sprintf(hex + 2 * i, "%02x", ((const unsigned char *)data)[i]);
		hex[2 * len] = '\0';
		json_object_object_add(o, "length", json_object_new_uint64(len));
		json_object_object_add(o, "data_hex", json_object_new_string(hex));
		free(hex);
		output_json_print(o);
		return 0;
	}
	if (file) {
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_report(ctl, "OUTPUT_FILE", errno, CTL_EXIT_FAILED,
					  "cannot write %s: %s", file, strerror(errno));
	}
	r = cmd_job_write_all(fd, data, len);
	if (file)
		close(fd);
	if (r < 0)
		return err_report(ctl, "OUTPUT_FILE", -r, CTL_EXIT_FAILED, "writing %s: %s",
				  file ? file : "stdout", strerror(-r));
	if (file && ctl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "length", json_object_new_uint64(len));
		json_object_object_add(o, "file", json_object_new_string(file));
		output_json_print(o);
	}
	return 0;
}

int cmd_job_metadata(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      CTL_COMMON_OPTIONS };
	const char *file = NULL;
	char what[128];
	void *data = NULL;
	size_t len = 0;
	uint64_t id;
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hqo:", opts)) != -1)
		if (o == 'o')
			file = optarg;
	r = cmd_job_positional(ctl, argc, argv, 1, &id);
	if (r || (r = ctl_connect(ctl)))
		return r;
	snprintf(what, sizeof(what), "job metadata %" PRIu64 " %s", id, argv[optind + 1]);
	r = vfiomig_job_metadata(ctl->client, id, argv[optind + 1], 0, &data, &len);
	if (r < 0)
		return err_call(ctl, r, what);
	r = cmd_job_metadata_out(ctl, file, data, len);
	free(data);
	return r;
}
