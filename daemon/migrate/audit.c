/*
 * audit.c - the audit trail of migrations. One line per decisive moment of a job: its start
 * (source) or preparation (destination), a switchover asked for and the switchover itself,
 * the commit, a cancel, a manual resume, and its outcome. Each is logged at NOTICE, begins
 * with "audit:" and is made of key=value fields (the error message quoted and escaped), so
 * that an operator can grep the journal or ship the lines elsewhere: who asked (the control
 * client's credentials), the peer's address and TLS identity, the devices, and at the end
 * the bytes, the elapsed time, the downtime and the error. It reads the job and changes
 * nothing. Loop thread only.
 */
#include <inttypes.h>
#include <stdio.h>

#include "migrate_int.h"

/*
 * A field's value in double quotes with backslash and quote escaped ("-" for an empty one), so
 * that text from a peer (an error message, an identity) cannot end a field and forge others.
 */
static const char *audit_quote(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!in || !*in)
		in = "-";
	out[o++] = '"';
	for (; *in && o + 3 < len; in++) {
		if (*in == '"' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* "-" for an empty value, so that every field has one. */
static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

/* The outcome's fields: bytes, times, and the error when there is one. */
static void audit_end_fields(const struct job *j, char *buf, size_t len)
{
	uint64_t end = j->finished_ns ? j->finished_ns : job_now_ns();
	char msg[2 * PROTO_MESSAGE_MAX + 3];

	snprintf(buf, len,
		 " outcome=%s bytes=%" PRIu64 " elapsed_ms=%" PRIu64 " downtime_ms=%" PRIu64
		 " error=%s%s%s",
		 ctl_job_phase_name(j->phase), job_bytes(j), (end - j->created_ns) / 1000000,
		 j->downtime_ms, proto_err_name(j->error.code),
		 *j->error.message ? " message=" : "",
		 *j->error.message ? audit_quote(j->error.message, msg, sizeof(msg)) : "");
}

void audit_job(const struct job *j, const char *event, const char *who)
{
	char devices[PROTO_JOB_DEVICES_MAX * (2 * PROTO_ID_MAX + 3)],
		end[2 * PROTO_MESSAGE_MAX + 160] = "";

	if (job_finished(j))
		audit_end_fields(j, end, sizeof(end));
	log_msg(LOG_LVL_NOTICE, 0,
		"audit: job=%llu role=%s event=%s by=\"%s\" peer=%s identity=%s devices=%s%s",
		(unsigned long long)j->id, j->role == CTL_ROLE_SOURCE ? "source" : "destination",
		event, dash(who), dash(j->peer), dash(j->identity),
		job_devices_str(j, ",", devices, sizeof(devices)), end);
}

void audit_phase(const struct job *j)
{
	if (job_finished(j))
		audit_job(j, "end", j->who);
	else if (j->phase == CTL_PHASE_STOP_COPY && j->role == CTL_ROLE_SOURCE)
		audit_job(j, j->switchover_asked ? "switchover-manual" : "switchover", j->who);
	else if (j->phase == CTL_PHASE_COMMITTING)
		audit_job(j, "commit", j->who);
}
