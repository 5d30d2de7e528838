/*
 * ctl_pb.h - internal to proto/: the conversions the control codecs share (JobStatus for
 * replies and events, Hello for requests and replies). Never included outside proto/ (it
 * pulls in protobuf-c).
 */
#ifndef VFIO_MIGD_PROTO_CTL_PB_H
#define VFIO_MIGD_PROTO_CTL_PB_H

#include "control.pb-c.h"
#include "ctl_job.h"
#include "ctl_request.h"

/*
 * Storage for one encoded JobStatus: the protobuf-c structs point into it and into the
 * source struct ctl_job_status, so both must outlive the pack.
 */
struct ctl_job_pb {
	Vmig__JobStatus msg;
	Vmig__DeviceProgress dev[PROTO_JOB_DEVICES_MAX];
	Vmig__DeviceProgress *devp[PROTO_JOB_DEVICES_MAX];
	Vmig__Error error;
};

/* Checks *src and builds out->msg. Returns 0 or -EPROTO with the reason recorded. */
int ctl_job_to_pb(const struct ctl_job_status *src, struct ctl_job_pb *out);

/* Checks a decoded JobStatus and fills *dst. Returns 0 or -EPROTO. */
int ctl_job_from_pb(struct ctl_job_status *dst, const Vmig__JobStatus *src);

/* Hello both ways (ctl_request.c). Return 0 or -EPROTO. */
int ctl_request_hello_to_pb(const struct ctl_hello *src, Vmig__Hello *dst);
int ctl_request_hello_from_pb(struct ctl_hello *dst, const Vmig__Hello *src);

#endif
