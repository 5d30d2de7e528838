/*
 * output_job.c - text and JSON for jobs (status, list rows, the finished-job summary) and
 * events. JSON keys are stable snake_case; phases, roles and states are names; byte
 * counts and times integers.
 *
 * Single-threaded.
 */
#include <inttypes.h>
#include <string.h>

#include "output.h"

static const char *output_role_name(uint32_t role)
{
	return role == VFIOMIG_ROLE_SOURCE	  ? "SOURCE"
	       : role == VFIOMIG_ROLE_DESTINATION ? "DESTINATION"
						  : "NONE";
}

static void output_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void output_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

/* One device of a job. */
static struct json_object *output_job_device_json(const struct vfiomig_job *j, uint32_t i)
{
	struct json_object *o = json_object_new_object();

	output_add_str(o, "source_id", vfiomig_job_get_device_source_id(j, i));
	output_add_str(o, "target_id", vfiomig_job_get_device_target_id(j, i));
	output_add_str(o, "state", vfiomig_device_state_name(vfiomig_job_get_device_state(j, i)));
	output_add_u64(o, "bytes_sent", vfiomig_job_get_device_bytes_sent(j, i));
	output_add_u64(o, "bytes_acked", vfiomig_job_get_device_bytes_acked(j, i));
	output_add_u64(o, "bytes_remaining", vfiomig_job_get_device_bytes_remaining(j, i));
	json_object_object_add(o, "reset",
			       json_object_new_boolean(vfiomig_job_get_device_reset(j, i)));
	return o;
}

/* The job's error, or JSON null when it has none. */
static struct json_object *output_job_error_json(const struct vfiomig_job *j)
{
	struct json_object *o;

	if (vfiomig_job_get_error_code(j) == VFIOMIG_ERR_OK)
		return NULL;
	o = json_object_new_object();
	output_add_str(o, "code", vfiomig_error_name(vfiomig_job_get_error_code(j)));
	output_add_str(o, "message", vfiomig_job_get_error_message(j));
	output_add_str(o, "device", vfiomig_job_get_error_device(j));
	return o;
}

struct json_object *output_job_json(const struct vfiomig_job *j)
{
	struct json_object *o = json_object_new_object();
	struct json_object *devs = json_object_new_array();

	output_add_u64(o, "job_id", vfiomig_job_get_id(j));
	output_add_str(o, "role", output_role_name(vfiomig_job_get_role(j)));
	output_add_str(o, "phase", vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
	output_add_str(o, "peer", vfiomig_job_get_peer(j));
	output_add_u64(o, "precopy_iterations", vfiomig_job_get_precopy_iterations(j));
	output_add_u64(o, "bytes_sent", vfiomig_job_get_bytes_sent(j));
	output_add_u64(o, "bytes_acked", vfiomig_job_get_bytes_acked(j));
	output_add_u64(o, "bytes_remaining", vfiomig_job_get_bytes_remaining(j));
	output_add_u64(o, "throughput_bps", vfiomig_job_get_throughput_bps(j));
	output_add_u64(o, "elapsed_ms", vfiomig_job_get_elapsed_ms(j));
	output_add_u64(o, "downtime_ms", vfiomig_job_get_downtime_ms(j));
	output_add_u64(o, "started_at_ms", vfiomig_job_get_started_at_ms(j));
	output_add_u64(o, "finished_at_ms", vfiomig_job_get_finished_at_ms(j));
	output_add_u64(o, "bandwidth_bps", vfiomig_job_get_bandwidth_bps(j));
	output_add_u64(o, "downtime_limit_ms", vfiomig_job_get_downtime_limit_ms(j));
	output_add_str(o, "switchover",
		       vfiomig_job_get_switchover(j) == VFIOMIG_SWITCHOVER_MANUAL ? "manual"
										  : "auto");
	output_add_str(o, "resume",
		       vfiomig_job_get_resume(j) == VFIOMIG_RESUME_MANUAL ? "manual" : "auto");
	json_object_object_add(o, "error", output_job_error_json(j));
	for (uint32_t i = 0; i < vfiomig_job_get_device_count(j); i++)
		json_object_array_add(devs, output_job_device_json(j, i));
	json_object_object_add(o, "devices", devs);
	return o;
}

/* One line per device: "  s0 -> d0  STOP  4.00 MiB sent, 4.00 MiB acked, 0 B left". */
static void output_job_devices_text(FILE *f, const struct vfiomig_job *j)
{
	char s[OUTPUT_NUM_LEN], a[OUTPUT_NUM_LEN], r[OUTPUT_NUM_LEN];

	for (uint32_t i = 0; i < vfiomig_job_get_device_count(j); i++)
		fprintf(f, "  %s -> %s  %s  %s sent, %s acked, %s left%s\n",
			vfiomig_job_get_device_source_id(j, i),
			vfiomig_job_get_device_target_id(j, i),
			vfiomig_device_state_name(vfiomig_job_get_device_state(j, i)),
			output_bytes(s, vfiomig_job_get_device_bytes_sent(j, i)),
			output_bytes(a, vfiomig_job_get_device_bytes_acked(j, i)),
			output_bytes(r, vfiomig_job_get_device_bytes_remaining(j, i)),
			vfiomig_job_get_device_reset(j, i) ? "  RESET (state lost)" : "");
}

/* "error: DEVICE_FAILED (device d0): message" when the job has an error. */
static void output_job_error_text(FILE *f, const struct vfiomig_job *j)
{
	uint32_t code = vfiomig_job_get_error_code(j);

	if (code == VFIOMIG_ERR_OK)
		return;
	fprintf(f, "error:      %s", vfiomig_error_name(code));
	if (*vfiomig_job_get_error_device(j))
		fprintf(f, " (device %s)", vfiomig_job_get_error_device(j));
	fprintf(f, ": %s\n", vfiomig_job_get_error_message(j));
}

void output_job_text(FILE *f, const struct vfiomig_job *j)
{
	char a[OUTPUT_NUM_LEN], b[OUTPUT_NUM_LEN], c[OUTPUT_NUM_LEN], d[OUTPUT_NUM_LEN];

	fprintf(f, "job:        %" PRIu64 " (%s, peer %s)\nphase:      %s\n", vfiomig_job_get_id(j),
		output_role_name(vfiomig_job_get_role(j)), vfiomig_job_get_peer(j),
		vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
	fprintf(f, "started:    %s\nfinished:   %s\nelapsed:    %s\n",
		output_time(a, vfiomig_job_get_started_at_ms(j)),
		output_time(b, vfiomig_job_get_finished_at_ms(j)),
		output_duration(c, vfiomig_job_get_elapsed_ms(j)));
	fprintf(f, "bytes:      %s sent, %s acked, %s remaining\n",
		output_bytes(a, vfiomig_job_get_bytes_sent(j)),
		output_bytes(b, vfiomig_job_get_bytes_acked(j)),
		output_bytes(c, vfiomig_job_get_bytes_remaining(j)));
	fprintf(f, "throughput: %s (cap %s)\niterations: %u\n",
		output_rate(a, vfiomig_job_get_throughput_bps(j)),
		vfiomig_job_get_bandwidth_bps(j) ? output_rate(b, vfiomig_job_get_bandwidth_bps(j))
						 : "unlimited",
		vfiomig_job_get_precopy_iterations(j));
	fprintf(f, "downtime:   %s (limit %s)\nswitchover: %s, resume %s\n",
		output_duration(c, vfiomig_job_get_downtime_ms(j)),
		vfiomig_job_get_downtime_limit_ms(j)
			? output_duration(d, vfiomig_job_get_downtime_limit_ms(j))
			: "daemon default",
		vfiomig_job_get_switchover(j) == VFIOMIG_SWITCHOVER_MANUAL ? "manual" : "auto",
		vfiomig_job_get_resume(j) == VFIOMIG_RESUME_MANUAL ? "manual" : "auto");
	output_job_error_text(f, j);
	fprintf(f, "devices:\n");
	output_job_devices_text(f, j);
}

void output_job_row(FILE *f, const struct vfiomig_job *j, int header)
{
	char b[OUTPUT_NUM_LEN], e[OUTPUT_NUM_LEN], devs[96] = "";
	size_t used = 0;

	if (header)
		fprintf(f, "%-5s %-11s %-18s %-22s %-10s %-9s %s\n", "JOB", "ROLE", "PHASE", "PEER",
			"SENT", "ELAPSED", "DEVICES");
	for (uint32_t i = 0; i < vfiomig_job_get_device_count(j) && used < sizeof(devs); i++)
		used += (size_t)snprintf(devs + used, sizeof(devs) - used, "%s%s->%s", i ? "," : "",
					 vfiomig_job_get_device_source_id(j, i),
					 vfiomig_job_get_device_target_id(j, i));
	fprintf(f, "%-5" PRIu64 " %-11s %-18s %-22s %-10s %-9s %s\n", vfiomig_job_get_id(j),
		output_role_name(vfiomig_job_get_role(j)),
		vfiomig_job_phase_name(vfiomig_job_get_phase(j)), vfiomig_job_get_peer(j),
		output_bytes(b, vfiomig_job_get_bytes_sent(j)),
		output_duration(e, vfiomig_job_get_elapsed_ms(j)), devs);
}

struct json_object *output_job_list_json(const struct vfiomig_job_list *l)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < vfiomig_job_list_get_count(l); i++)
		json_object_array_add(a, output_job_json(vfiomig_job_list_get(l, i)));
	json_object_object_add(o, "jobs", a);
	return o;
}

void output_job_list_text(FILE *f, const struct vfiomig_job_list *l)
{
	uint32_t n = vfiomig_job_list_get_count(l);

	if (!n) {
		fprintf(f, "no jobs\n");
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		output_job_row(f, vfiomig_job_list_get(l, i), i == 0);
}

void output_job_summary(FILE *f, const struct vfiomig_job *j)
{
	char a[OUTPUT_NUM_LEN], b[OUTPUT_NUM_LEN], c[OUTPUT_NUM_LEN], d[OUTPUT_NUM_LEN];

	fprintf(f, "job %" PRIu64 " %s: elapsed %s, downtime %s, throughput %s, %s sent\n",
		vfiomig_job_get_id(j), vfiomig_job_phase_name(vfiomig_job_get_phase(j)),
		output_duration(a, vfiomig_job_get_elapsed_ms(j)),
		output_duration(b, vfiomig_job_get_downtime_ms(j)),
		output_rate(c, vfiomig_job_get_throughput_bps(j)),
		output_bytes(d, vfiomig_job_get_bytes_sent(j)));
	output_job_devices_text(f, j);
	output_job_error_text(f, j);
}

/* ---- events ---- */

struct json_object *output_event_json(const struct vfiomig_event *ev)
{
	struct json_object *o = json_object_new_object();
	const struct vfiomig_job *j = vfiomig_event_get_job(ev);
	uint32_t kind = vfiomig_event_get_kind(ev);

	output_add_u64(o, "seq", vfiomig_event_get_seq(ev));
	output_add_str(o, "kind", vfiomig_event_kind_name(kind));
	output_add_u64(o, "job_id", vfiomig_event_get_job_id(ev));
	output_add_str(o, "phase", vfiomig_job_phase_name(vfiomig_event_get_phase(ev)));
	output_add_u64(o, "time_ms", vfiomig_event_get_time_ms(ev));
	if (kind == VFIOMIG_EVENT_DEVICE_STATE) {
		output_add_str(o, "device", vfiomig_event_get_device(ev));
		output_add_str(o, "state",
			       vfiomig_device_state_name(vfiomig_event_get_device_state(ev)));
	}
	if (vfiomig_event_get_error_code(ev) != VFIOMIG_ERR_OK) {
		struct json_object *e = json_object_new_object();

		output_add_str(e, "code", vfiomig_error_name(vfiomig_event_get_error_code(ev)));
		output_add_str(e, "message", vfiomig_event_get_error_message(ev));
		json_object_object_add(o, "error", e);
	}
	if (j)
		json_object_object_add(o, "job", output_job_json(j));
	return o;
}

void output_event_text(FILE *f, const struct vfiomig_event *ev)
{
	const struct vfiomig_job *j = vfiomig_event_get_job(ev);
	uint32_t kind = vfiomig_event_get_kind(ev);
	char t[OUTPUT_NUM_LEN], a[OUTPUT_NUM_LEN], r[OUTPUT_NUM_LEN];

	fprintf(f, "%s #%" PRIu64 " job %" PRIu64 " %-12s %s",
		output_time(t, vfiomig_event_get_time_ms(ev)), vfiomig_event_get_seq(ev),
		vfiomig_event_get_job_id(ev), vfiomig_event_kind_name(kind),
		vfiomig_job_phase_name(vfiomig_event_get_phase(ev)));
	if (kind == VFIOMIG_EVENT_DEVICE_STATE)
		fprintf(f, " device %s -> %s", vfiomig_event_get_device(ev),
			vfiomig_device_state_name(vfiomig_event_get_device_state(ev)));
	if (kind == VFIOMIG_EVENT_PROGRESS && j)
		fprintf(f, " %s sent, %s left", output_bytes(a, vfiomig_job_get_bytes_sent(j)),
			output_bytes(r, vfiomig_job_get_bytes_remaining(j)));
	if (kind == VFIOMIG_EVENT_LOST)
		fprintf(f, " (events were dropped)");
	if (vfiomig_event_get_error_code(ev) != VFIOMIG_ERR_OK)
		fprintf(f, " %s: %s", vfiomig_error_name(vfiomig_event_get_error_code(ev)),
			vfiomig_event_get_error_message(ev));
	fputc('\n', f);
	fflush(f);
}
