/*
 * output.h - the one place that turns daemon objects (daemon info, devices, peers, jobs,
 * events) into text (tables, detail blocks, the finished-job summary) or json-c objects
 * with stable snake_case keys, plus the number formatting (bytes, rates, durations).
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "vfiomig.h"

#define OUTPUT_NUM_LEN 32 /* buffer size for the formatting functions */

/* "4.00 MiB", "512 B". Returns buf. */
const char *output_bytes(char buf[OUTPUT_NUM_LEN], uint64_t bytes);
/* "12.5 MiB/s". */
const char *output_rate(char buf[OUTPUT_NUM_LEN], uint64_t bps);
/* "850 ms", "12.3 s", "4m05s", "2h10m". */
const char *output_duration(char buf[OUTPUT_NUM_LEN], uint64_t ms);
/* Unix ms as local "2026-12-05 19:55:01", "-" for 0. */
const char *output_time(char buf[OUTPUT_NUM_LEN], uint64_t unix_ms);

/* Prints obj as one JSON document (pretty when stdout is a terminal) and frees it. */
void output_json_print(struct json_object *obj);
/* Prints obj on one line and frees it. */
void output_json_line(struct json_object *obj);

/* ---- daemon, devices, peers (output.c) ---- */
struct json_object *output_daemon_info_json(const struct vfiomig_daemon_info *di);
void output_daemon_info_text(FILE *f, const struct vfiomig_daemon_info *di);
/* "READY, dns:hosta.test, expires 2027-12-05 (365 days)": the TLS line of info/status. */
void output_tls_line(FILE *f, const struct vfiomig_daemon_info *di);

struct json_object *output_device_json(const struct vfiomig_device *d);
void output_device_text(FILE *f, const struct vfiomig_device *d);
struct json_object *output_device_list_json(const struct vfiomig_device_list *l);
void output_device_list_text(FILE *f, const struct vfiomig_device_list *l);

struct json_object *output_peer_json(const struct vfiomig_peer *p);
void output_peer_text(FILE *f, const struct vfiomig_peer *p);
struct json_object *output_peer_list_json(const struct vfiomig_peer_list *l);
void output_peer_list_text(FILE *f, const struct vfiomig_peer_list *l);

/* ---- jobs and events (output_job.c) ---- */
struct json_object *output_job_json(const struct vfiomig_job *j);
/* Everything about a job: job status. */
void output_job_text(FILE *f, const struct vfiomig_job *j);
struct json_object *output_job_list_json(const struct vfiomig_job_list *l);
void output_job_list_text(FILE *f, const struct vfiomig_job_list *l);
/* One table row per job (the header first when header). */
void output_job_row(FILE *f, const struct vfiomig_job *j, int header);
/*
 * The finished-job block of migrate --wait, job wait and job watch: phase, elapsed,
 * downtime, throughput, bytes, one line per device; the error on failure.
 */
void output_job_summary(FILE *f, const struct vfiomig_job *j);

struct json_object *output_event_json(const struct vfiomig_event *ev);
/* One line per event. */
void output_event_text(FILE *f, const struct vfiomig_event *ev);

#endif
