/*
 * cmd_daemon.c - the daemon-wide commands: info (what the daemon says about itself),
 * status (the operator's one-screen overview: daemon, TLS, peers, devices by state, active
 * and recent jobs) and events (a subscription printed until Ctrl-C).
 *
 * Single-threaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "err.h"
#include "output.h"
#include "watch.h"

#define CMD_DAEMON_RECENT_JOBS 5 /* finished jobs the overview lists */

/* Parses a command that takes no arguments but the common options. */
static int cmd_daemon_no_args(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS };

	if (ctl_getopt(ctl, argc, argv, "hq", opts) != -1)
		return err_usage(ctl, "unexpected option");
	return ctl_positional(ctl, argc, argv, 0, 0);
}

int cmd_daemon_info(struct ctl *ctl, int argc, char **argv)
{
	struct vfiomig_daemon_info *di;
	int r;

	r = cmd_daemon_no_args(ctl, argc, argv);
	if (r || (r = ctl_connect(ctl)))
		return r;
	r = vfiomig_daemon_info(ctl->client, 0, &di);
	if (r < 0)
		return err_call(ctl, r, "info");
	if (ctl->json)
		output_json_print(output_daemon_info_json(di));
	else if (ctl->quiet)
		printf("%s\n", vfiomig_daemon_info_get_version(di));
	else
		output_daemon_info_text(stdout, di);
	vfiomig_daemon_info_free(di);
	return CTL_EXIT_OK;
}

/* Everything the overview shows, fetched with one connection. */
struct cmd_daemon_overview {
	struct vfiomig_daemon_info *info;
	struct vfiomig_peer_list *peers;
	struct vfiomig_device_list *devices;
	struct vfiomig_job_list *jobs;
};

static void cmd_daemon_overview_free(struct cmd_daemon_overview *o)
{
	vfiomig_daemon_info_free(o->info);
	vfiomig_peer_list_free(o->peers);
	vfiomig_device_list_free(o->devices);
	vfiomig_job_list_free(o->jobs);
}

static int cmd_daemon_overview_fetch(struct ctl *ctl, struct cmd_daemon_overview *o)
{
	int r;

	r = vfiomig_daemon_info(ctl->client, 0, &o->info);
	if (r < 0)
		return err_call(ctl, r, "status: daemon info");
	r = vfiomig_peer_list(ctl->client, 0, &o->peers);
	if (r < 0)
		return err_call(ctl, r, "status: peer list");
	r = vfiomig_device_list(ctl->client, 0, &o->devices);
	if (r < 0)
		return err_call(ctl, r, "status: device list");
	r = vfiomig_job_list(ctl->client, 0, &o->jobs);
	if (r < 0)
		return err_call(ctl, r, "status: job list");
	return 0;
}

/* Whether the index-th job of the list is one of the recent finished ones to show. */
static bool cmd_daemon_recent(const struct vfiomig_job_list *l, uint32_t index)
{
	uint32_t later = 0;

	for (uint32_t i = index + 1; i < vfiomig_job_list_get_count(l); i++)
		if (vfiomig_job_phase_is_terminal(
			    vfiomig_job_get_phase(vfiomig_job_list_get(l, i))))
			later++;
	return later < CMD_DAEMON_RECENT_JOBS;
}

static struct json_object *cmd_daemon_jobs_json(const struct vfiomig_job_list *l)
{
	struct json_object *o = json_object_new_object();
	struct json_object *active = json_object_new_array();
	struct json_object *recent = json_object_new_array();

	for (uint32_t i = 0; i < vfiomig_job_list_get_count(l); i++) {
		const struct vfiomig_job *j = vfiomig_job_list_get(l, i);

		if (!vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j)))
			json_object_array_add(active, output_job_json(j));
		else if (cmd_daemon_recent(l, i))
			json_object_array_add(recent, output_job_json(j));
	}
	json_object_object_add(o, "active", active);
	json_object_object_add(o, "recent", recent);
	return o;
}

/* {"RUNNING": 2, "STOP": 1} */
static struct json_object *cmd_daemon_states_json(const struct vfiomig_device_list *l)
{
	struct json_object *o = json_object_new_object();

	for (uint32_t st = VFIOMIG_STATE_ERROR; st <= VFIOMIG_STATE_PRE_COPY_P2P; st++) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < vfiomig_device_list_get_count(l); i++)
			n += vfiomig_device_get_state(vfiomig_device_list_get(l, i)) == st;
		if (n)
			json_object_object_add(o, vfiomig_device_state_name(st),
					       json_object_new_int((int)n));
	}
	return o;
}

static void cmd_daemon_status_json(const struct cmd_daemon_overview *o)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *devs = output_device_list_json(o->devices);
	struct json_object *peers = output_peer_list_json(o->peers);
	struct json_object *arr;

	json_object_object_add(doc, "daemon", output_daemon_info_json(o->info));
	json_object_object_get_ex(peers, "peers", &arr);
	json_object_object_add(doc, "peers", json_object_get(arr));
	json_object_put(peers);
	json_object_object_get_ex(devs, "devices", &arr);
	json_object_object_add(doc, "devices", json_object_get(arr));
	json_object_put(devs);
	json_object_object_add(doc, "devices_by_state", cmd_daemon_states_json(o->devices));
	json_object_object_add(doc, "jobs", cmd_daemon_jobs_json(o->jobs));
	output_json_print(doc);
}

/* "devices:  3 — RUNNING 2 (s0 s1), STOP 1 (s2)". */
static void cmd_daemon_states_text(const struct vfiomig_device_list *l)
{
	uint32_t total = vfiomig_device_list_get_count(l);

	printf("devices:  %u", total);
	for (uint32_t st = VFIOMIG_STATE_ERROR; st <= VFIOMIG_STATE_PRE_COPY_P2P; st++) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < total; i++)
			n += vfiomig_device_get_state(vfiomig_device_list_get(l, i)) == st;
		if (!n)
			continue;
		printf("%s %s %u (", st == VFIOMIG_STATE_ERROR ? " !" : ",",
		       vfiomig_device_state_name(st), n);
		for (uint32_t i = 0, k = 0; i < total; i++) {
			const struct vfiomig_device *d = vfiomig_device_list_get(l, i);

			if (vfiomig_device_get_state(d) != st)
				continue;
			printf("%s%s", k++ ? " " : "", vfiomig_device_get_id(d));
			if (vfiomig_device_get_owner_job(d))
				printf("@job%" PRIu64, vfiomig_device_get_owner_job(d));
		}
		printf(")");
	}
	putchar('\n');
}

static void cmd_daemon_peers_text(const struct vfiomig_peer_list *l)
{
	uint32_t n = vfiomig_peer_list_get_count(l);

	printf("peers:    %u link%s\n", n, n == 1 ? "" : "s");
	for (uint32_t i = 0; i < n; i++) {
		const struct vfiomig_peer *p = vfiomig_peer_list_get(l, i);

		printf("  %s %s %s %s", vfiomig_peer_get_address(p),
		       vfiomig_peer_get_outgoing(p) ? "out" : "in",
		       vfiomig_peer_state_name(vfiomig_peer_get_state(p)),
		       vfiomig_peer_get_identity(p));
		if (vfiomig_peer_get_rtt_us(p) >= 0)
			printf(" rtt %.2f ms", (double)vfiomig_peer_get_rtt_us(p) / 1000);
		putchar('\n');
	}
}

/* An active job: "  2 SOURCE PRECOPY 1.00 MiB / 8.03 MiB (12%) 672 KiB/s s2->d2 to PEER". */
static void cmd_daemon_active_text(const struct vfiomig_job *j)
{
	uint64_t sent = vfiomig_job_get_bytes_sent(j), left = vfiomig_job_get_bytes_remaining(j);
	char a[OUTPUT_NUM_LEN], b[OUTPUT_NUM_LEN], c[OUTPUT_NUM_LEN];

	printf("  job %" PRIu64 " %s %s: %s / %s (%.0f%%), %s,", vfiomig_job_get_id(j),
	       vfiomig_job_get_role(j) == VFIOMIG_ROLE_SOURCE ? "to" : "from",
	       vfiomig_job_get_peer(j), output_bytes(a, sent), output_bytes(b, sent + left),
	       sent + left ? 100.0 * (double)sent / (double)(sent + left) : 0.0,
	       output_rate(c, vfiomig_job_get_throughput_bps(j)));
	for (uint32_t i = 0; i < vfiomig_job_get_device_count(j); i++)
		printf(" %s->%s", vfiomig_job_get_device_source_id(j, i),
		       vfiomig_job_get_device_target_id(j, i));
	printf(" [%s]\n", vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
}

static void cmd_daemon_jobs_text(const struct vfiomig_job_list *l)
{
	uint32_t n = vfiomig_job_list_get_count(l), active = 0;
	bool header = true;

	for (uint32_t i = 0; i < n; i++)
		active += !vfiomig_job_phase_is_terminal(
			vfiomig_job_get_phase(vfiomig_job_list_get(l, i)));
	printf("jobs:     %u active, %u finished\n", active, n - active);
	for (uint32_t i = 0; i < n; i++) {
		const struct vfiomig_job *j = vfiomig_job_list_get(l, i);

		if (!vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j)))
			cmd_daemon_active_text(j);
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct vfiomig_job *j = vfiomig_job_list_get(l, i);

		if (!vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j)) ||
		    !cmd_daemon_recent(l, i))
			continue;
		if (header)
			printf("recent:\n");
		header = false;
		printf("  ");
		output_job_row(stdout, j, 0);
		if (vfiomig_job_get_error_code(j))
			printf("        %s: %s\n",
			       vfiomig_error_name(vfiomig_job_get_error_code(j)),
			       vfiomig_job_get_error_message(j));
	}
}

static void cmd_daemon_status_text(const struct cmd_daemon_overview *o)
{
	const struct vfiomig_daemon_info *di = o->info;
	char up[OUTPUT_NUM_LEN];

	printf("vfio-migd %s on %s, up %s, %u device%s, %u active job%s, listening on",
	       vfiomig_daemon_info_get_version(di), vfiomig_daemon_info_get_host_identity(di),
	       output_duration(up, vfiomig_daemon_info_get_uptime_s(di) * 1000),
	       vfiomig_daemon_info_get_device_count(di),
	       vfiomig_daemon_info_get_device_count(di) == 1 ? "" : "s",
	       vfiomig_daemon_info_get_active_jobs(di),
	       vfiomig_daemon_info_get_active_jobs(di) == 1 ? "" : "s");
	for (uint32_t i = 0; i < vfiomig_daemon_info_get_listen_count(di); i++)
		printf(" %s", vfiomig_daemon_info_get_listen(di, i));
	if (!vfiomig_daemon_info_get_listen_count(di))
		printf(" nothing (peer listener off)");
	printf("\nTLS:      ");
	output_tls_line(stdout, di);
	cmd_daemon_peers_text(o->peers);
	cmd_daemon_states_text(o->devices);
	cmd_daemon_jobs_text(o->jobs);
}

int cmd_daemon_status(struct ctl *ctl, int argc, char **argv)
{
	struct cmd_daemon_overview o = { 0 };
	int r;

	r = cmd_daemon_no_args(ctl, argc, argv);
	if (r || (r = ctl_connect(ctl)))
		return r;
	r = cmd_daemon_overview_fetch(ctl, &o);
	if (r == 0) {
		if (ctl->json)
			cmd_daemon_status_json(&o);
		else
			cmd_daemon_status_text(&o);
	}
	cmd_daemon_overview_free(&o);
	return r;
}

/* Prints events until Ctrl-C or the connection is lost. */
static int cmd_daemon_events_loop(struct ctl *ctl)
{
	struct vfiomig_event *ev;
	int r;

	while (!watch_interrupted(false)) {
		r = vfiomig_event_next(ctl->client, 250, &ev);
		if (r == -ETIMEDOUT || r == -EAGAIN || r == -EINTR)
			continue;
		if (r < 0)
			return err_call(ctl, r, "events");
		if (ctl->json)
			output_json_line(output_event_json(ev));
		else
			output_event_text(stdout, ev);
		vfiomig_event_free(ev);
	}
	return CTL_EXIT_INTERRUPTED;
}

int cmd_daemon_events(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { { "job", required_argument, NULL, 'j' },
					      CTL_COMMON_OPTIONS };
	uint64_t job = 0;
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hqj:", opts)) != -1)
		if (o == 'j' && args_job_id(optarg, &job) < 0)
			return err_usage(ctl, "--job: '%s' is not a job id", optarg);
	r = ctl_positional(ctl, argc, argv, 0, 0);
	if (r || (r = ctl_connect(ctl)))
		return r;
	watch_signals();
	r = vfiomig_subscribe(ctl->client, job, 0);
	if (r < 0)
		return err_call(ctl, r, "events");
	if (!ctl->json && !ctl->quiet)
		fprintf(stderr, "following the events of %s; Ctrl-C ends\n",
			job ? "one job" : "every job");
	return cmd_daemon_events_loop(ctl);
}
