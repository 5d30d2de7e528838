/*
 * output.c - text and JSON for the daemon, its devices and its peer links, the number
 * formatting every output uses, and printing JSON documents. JSON keys are stable
 * snake_case, enum values are names, byte counts and times are integers.
 *
 * Jobs and events are in output_job.c. Single-threaded (static buffers are not used).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

/* A value with one binary-prefix unit, from bytes. */
static const char *output_scaled(char buf[OUTPUT_NUM_LEN], uint64_t v, const char *suffix)
{
	static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi" };
	double d = (double)v;
	unsigned int u = 0;

	if (v < 1024) {
		snprintf(buf, OUTPUT_NUM_LEN, "%" PRIu64 " %s", v, suffix);
		return buf;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, OUTPUT_NUM_LEN, "%.*f %s%s",
		 d < 10	   ? 2
		 : d < 100 ? 1
			   : 0,
		 d, units[u], suffix);
	return buf;
}

const char *output_bytes(char buf[OUTPUT_NUM_LEN], uint64_t bytes)
{
	return output_scaled(buf, bytes, "B");
}

const char *output_rate(char buf[OUTPUT_NUM_LEN], uint64_t bps)
{
	return output_scaled(buf, bps, "B/s");
}

const char *output_duration(char buf[OUTPUT_NUM_LEN], uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, OUTPUT_NUM_LEN, "%" PRIu64 " ms", ms);
	else if (ms < 60000)
		snprintf(buf, OUTPUT_NUM_LEN, "%.1f s", (double)ms / 1000);
	else if (s < 3600)
		snprintf(buf, OUTPUT_NUM_LEN, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, OUTPUT_NUM_LEN, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 (s / 60) % 60);
	return buf;
}

const char *output_time(char buf[OUTPUT_NUM_LEN], uint64_t unix_ms)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;

	if (!unix_ms || !localtime_r(&t, &tm))
		snprintf(buf, OUTPUT_NUM_LEN, "-");
	else
		strftime(buf, OUTPUT_NUM_LEN, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

void output_json_print(struct json_object *obj)
{
	int flags = isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;

	printf("%s\n", json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	fflush(stdout);
}

void output_json_line(struct json_object *obj)
{
	printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	fflush(stdout);
}

/* Small adders so the object builders read as a list of keys. */
static void output_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

static void output_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void output_add_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

/* ---- daemon info ---- */

static const char *output_tls_state_name(uint32_t st)
{
	static const char *const names[] = { "NONE", "DISABLED", "READY", "FAILED" };

	return st < 4 ? names[st] : "UNKNOWN";
}

struct json_object *output_daemon_info_json(const struct vfiomig_daemon_info *di)
{
	struct json_object *o = json_object_new_object();
	struct json_object *tls = json_object_new_object();
	struct json_object *listen = json_object_new_array();

	output_add_str(o, "version", vfiomig_daemon_info_get_version(di));
	output_add_u64(o, "protocol_version", vfiomig_daemon_info_get_protocol_version(di));
	output_add_u64(o, "features", vfiomig_daemon_info_get_features(di));
	output_add_str(o, "host_identity", vfiomig_daemon_info_get_host_identity(di));
	output_add_str(tls, "state", output_tls_state_name(vfiomig_daemon_info_get_tls_state(di)));
	output_add_str(tls, "error", vfiomig_daemon_info_get_tls_error(di));
	output_add_str(tls, "identity", vfiomig_daemon_info_get_tls_identity(di));
	output_add_u64(tls, "not_after_s", vfiomig_daemon_info_get_tls_not_after_s(di));
	output_add_bool(tls, "ktls_tx", vfiomig_daemon_info_get_ktls_tx(di));
	output_add_bool(tls, "ktls_rx", vfiomig_daemon_info_get_ktls_rx(di));
	json_object_object_add(o, "tls", tls);
	output_add_u64(o, "device_count", vfiomig_daemon_info_get_device_count(di));
	output_add_u64(o, "active_jobs", vfiomig_daemon_info_get_active_jobs(di));
	output_add_u64(o, "uptime_s", vfiomig_daemon_info_get_uptime_s(di));
	for (uint32_t i = 0; i < vfiomig_daemon_info_get_listen_count(di); i++)
		json_object_array_add(
			listen, json_object_new_string(vfiomig_daemon_info_get_listen(di, i)));
	json_object_object_add(o, "listen", listen);
	return o;
}

void output_tls_line(FILE *f, const struct vfiomig_daemon_info *di)
{
	uint32_t st = vfiomig_daemon_info_get_tls_state(di);
	uint64_t na = vfiomig_daemon_info_get_tls_not_after_s(di);
	const char *err = vfiomig_daemon_info_get_tls_error(di);
	char when[OUTPUT_NUM_LEN];

	fprintf(f, "%s", output_tls_state_name(st));
	if (*vfiomig_daemon_info_get_tls_identity(di))
		fprintf(f, ", %s", vfiomig_daemon_info_get_tls_identity(di));
	if (na) {
		int64_t days = ((int64_t)na - (int64_t)time(NULL)) / 86400;

		fprintf(f, ", expires %s (%s%" PRId64 " days)", output_time(when, na * 1000),
			days < 0 ? "EXPIRED " : "", days);
	}
	fprintf(f, ", kTLS tx %s rx %s", vfiomig_daemon_info_get_ktls_tx(di) ? "on" : "off",
		vfiomig_daemon_info_get_ktls_rx(di) ? "on" : "off");
	if (*err)
		fprintf(f, "; last load failed: %s", err);
	fputc('\n', f);
}

void output_daemon_info_text(FILE *f, const struct vfiomig_daemon_info *di)
{
	char up[OUTPUT_NUM_LEN];

	fprintf(f, "version:        %s (protocol %u, features 0x%" PRIx64 ")\n",
		vfiomig_daemon_info_get_version(di), vfiomig_daemon_info_get_protocol_version(di),
		vfiomig_daemon_info_get_features(di));
	fprintf(f, "host identity:  %s\n", vfiomig_daemon_info_get_host_identity(di));
	fprintf(f, "tls:            ");
	output_tls_line(f, di);
	fprintf(f, "listen:        ");
	for (uint32_t i = 0; i < vfiomig_daemon_info_get_listen_count(di); i++)
		fprintf(f, " %s", vfiomig_daemon_info_get_listen(di, i));
	if (!vfiomig_daemon_info_get_listen_count(di))
		fprintf(f, " (none: the peer listener is off)");
	fprintf(f, "\ndevices:        %u\nactive jobs:    %u\nuptime:         %s\n",
		vfiomig_daemon_info_get_device_count(di), vfiomig_daemon_info_get_active_jobs(di),
		output_duration(up, vfiomig_daemon_info_get_uptime_s(di) * 1000));
}

/* ---- devices ---- */

static const char *output_kind_name(uint32_t kind)
{
	static const char *const names[] = { "NONE", "VFIO_PCI", "VFIO_MDEV", "VFIO_FD", "SIM" };

	return kind < 5 ? names[kind] : "UNKNOWN";
}

/* "stop_copy,p2p,pre_copy" from VFIO_MIGRATION_* bits. */
static const char *output_mig_flags(char buf[OUTPUT_NUM_LEN], uint32_t flags)
{
	snprintf(buf, OUTPUT_NUM_LEN, "%s%s%s", flags & 1 ? "stop_copy" : "-",
		 flags & 2 ? ",p2p" : "", flags & 4 ? ",pre_copy" : "");
	return buf;
}

/* The digest in hex, "" when the backend does not know it. */
static const char *output_digest(char buf[2 * VFIOMIG_DIGEST_LEN + 1],
				 const struct vfiomig_device *d)
{
	uint8_t dg[VFIOMIG_DIGEST_LEN];

	buf[0] = '\0';
	if (vfiomig_device_get_digest(d, dg) < 0)
		return buf;
	for (int i = 0; i < VFIOMIG_DIGEST_LEN; i++)
		sprintf(buf + 2 * i, "%02x", dg[i]);
	return buf;
}

struct json_object *output_device_json(const struct vfiomig_device *d)
{
	struct json_object *o = json_object_new_object();
	char dg[2 * VFIOMIG_DIGEST_LEN + 1], fl[OUTPUT_NUM_LEN];

	output_add_str(o, "id", vfiomig_device_get_id(d));
	output_add_str(o, "kind", output_kind_name(vfiomig_device_get_kind(d)));
	output_add_str(o, "driver", vfiomig_device_get_driver(d));
	output_add_str(o, "model", vfiomig_device_get_model(d));
	output_add_str(o, "address", vfiomig_device_get_address(d));
	output_add_str(o, "state", vfiomig_device_state_name(vfiomig_device_get_state(d)));
	output_add_str(o, "migration_flags",
		       output_mig_flags(fl, vfiomig_device_get_migration_flags(d)));
	output_add_u64(o, "owner_job", vfiomig_device_get_owner_job(d));
	if (*output_digest(dg, d))
		output_add_str(o, "digest", dg);
	else
		json_object_object_add(o, "digest", NULL);
	return o;
}

void output_device_text(FILE *f, const struct vfiomig_device *d)
{
	char dg[2 * VFIOMIG_DIGEST_LEN + 1], fl[OUTPUT_NUM_LEN];
	uint64_t owner = vfiomig_device_get_owner_job(d);

	fprintf(f, "id:         %s\nkind:       %s\ndriver:     %s\nmodel:      %s\n",
		vfiomig_device_get_id(d), output_kind_name(vfiomig_device_get_kind(d)),
		vfiomig_device_get_driver(d), vfiomig_device_get_model(d));
	fprintf(f, "address:    %s\nstate:      %s\nmigration:  %s\n",
		vfiomig_device_get_address(d),
		vfiomig_device_state_name(vfiomig_device_get_state(d)),
		output_mig_flags(fl, vfiomig_device_get_migration_flags(d)));
	if (owner)
		fprintf(f, "owner job:  %" PRIu64 "\n", owner);
	else
		fprintf(f, "owner job:  - (free)\n");
	fprintf(f, "digest:     %s\n", *output_digest(dg, d) ? dg : "- (not known)");
}

struct json_object *output_device_list_json(const struct vfiomig_device_list *l)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < vfiomig_device_list_get_count(l); i++)
		json_object_array_add(a, output_device_json(vfiomig_device_list_get(l, i)));
	json_object_object_add(o, "devices", a);
	return o;
}

void output_device_list_text(FILE *f, const struct vfiomig_device_list *l)
{
	uint32_t n = vfiomig_device_list_get_count(l);

	if (!n) {
		fprintf(f, "no devices (add one with vfio-migctl device add)\n");
		return;
	}
	fprintf(f, "%-16s %-9s %-12s %-6s %-24s %s\n", "ID", "KIND", "STATE", "JOB", "DRIVER",
		"ADDRESS");
	for (uint32_t i = 0; i < n; i++) {
		const struct vfiomig_device *d = vfiomig_device_list_get(l, i);
		char job[24] = "-";

		if (vfiomig_device_get_owner_job(d))
			snprintf(job, sizeof(job), "%" PRIu64, vfiomig_device_get_owner_job(d));
		fprintf(f, "%-16s %-9s %-12s %-6s %-24s %s\n", vfiomig_device_get_id(d),
			output_kind_name(vfiomig_device_get_kind(d)),
			vfiomig_device_state_name(vfiomig_device_get_state(d)), job,
			vfiomig_device_get_driver(d), vfiomig_device_get_address(d));
	}
}

/* ---- peers ---- */

struct json_object *output_peer_json(const struct vfiomig_peer *p)
{
	struct json_object *o = json_object_new_object();

	output_add_str(o, "address", vfiomig_peer_get_address(p));
	output_add_str(o, "state", vfiomig_peer_state_name(vfiomig_peer_get_state(p)));
	output_add_str(o, "direction", vfiomig_peer_get_outgoing(p) ? "outgoing" : "incoming");
	output_add_str(o, "identity", vfiomig_peer_get_identity(p));
	output_add_str(o, "fingerprint", vfiomig_peer_get_fingerprint(p));
	output_add_str(o, "host_identity", vfiomig_peer_get_host_identity(p));
	output_add_str(o, "software", vfiomig_peer_get_software(p));
	output_add_u64(o, "protocol_version", vfiomig_peer_get_protocol_version(p));
	output_add_u64(o, "features", vfiomig_peer_get_features(p));
	json_object_object_add(o, "rtt_us", json_object_new_int64(vfiomig_peer_get_rtt_us(p)));
	output_add_bool(o, "ktls_tx", vfiomig_peer_get_ktls_tx(p));
	output_add_bool(o, "ktls_rx", vfiomig_peer_get_ktls_rx(p));
	output_add_u64(o, "connected_at_ms", vfiomig_peer_get_connected_at_ms(p));
	return o;
}

void output_peer_text(FILE *f, const struct vfiomig_peer *p)
{
	char when[OUTPUT_NUM_LEN];

	fprintf(f, "address:    %s (%s)\nstate:      %s\nidentity:   %s\nhost:       %s\n",
		vfiomig_peer_get_address(p), vfiomig_peer_get_outgoing(p) ? "outgoing" : "incoming",
		vfiomig_peer_state_name(vfiomig_peer_get_state(p)), vfiomig_peer_get_identity(p),
		vfiomig_peer_get_host_identity(p));
	fprintf(f, "software:   %s (protocol %u)\nfingerprint: %s\n", vfiomig_peer_get_software(p),
		vfiomig_peer_get_protocol_version(p), vfiomig_peer_get_fingerprint(p));
	if (vfiomig_peer_get_rtt_us(p) >= 0)
		fprintf(f, "rtt:        %.2f ms\n", (double)vfiomig_peer_get_rtt_us(p) / 1000);
	fprintf(f, "kTLS:       tx %s rx %s\nconnected:  %s\n",
		vfiomig_peer_get_ktls_tx(p) ? "on" : "off",
		vfiomig_peer_get_ktls_rx(p) ? "on" : "off",
		output_time(when, vfiomig_peer_get_connected_at_ms(p)));
}

struct json_object *output_peer_list_json(const struct vfiomig_peer_list *l)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < vfiomig_peer_list_get_count(l); i++)
		json_object_array_add(a, output_peer_json(vfiomig_peer_list_get(l, i)));
	json_object_object_add(o, "peers", a);
	return o;
}

void output_peer_list_text(FILE *f, const struct vfiomig_peer_list *l)
{
	uint32_t n = vfiomig_peer_list_get_count(l);

	if (!n) {
		fprintf(f, "no peer links\n");
		return;
	}
	fprintf(f, "%-24s %-4s %-14s %-24s %-9s %s\n", "ADDRESS", "DIR", "STATE", "IDENTITY", "RTT",
		"KTLS");
	for (uint32_t i = 0; i < n; i++) {
		const struct vfiomig_peer *p = vfiomig_peer_list_get(l, i);
		char rtt[24] = "-";

		if (vfiomig_peer_get_rtt_us(p) >= 0)
			snprintf(rtt, sizeof(rtt), "%.2fms",
				 (double)vfiomig_peer_get_rtt_us(p) / 1000);
		fprintf(f, "%-24s %-4s %-14s %-24s %-9s %s/%s\n", vfiomig_peer_get_address(p),
			vfiomig_peer_get_outgoing(p) ? "out" : "in",
			vfiomig_peer_state_name(vfiomig_peer_get_state(p)),
			vfiomig_peer_get_identity(p), rtt, vfiomig_peer_get_ktls_tx(p) ? "tx" : "-",
			vfiomig_peer_get_ktls_rx(p) ? "rx" : "-");
	}
}
