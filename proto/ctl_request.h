/*
 * ctl_request.h - control API requests (control.proto Request) as plain C structs, and
 * their codec: a request travels in one FRAME_CTL_REQUEST frame.
 *
 * Ownership: a struct ctl_request is a value; only the migrate metadata buffers live on
 * the heap (malloc), and ctl_request_clear() frees them. A decoded request owns its
 * buffers; an encoded one is only read.
 * Threading: reentrant; the failure reason is per thread (proto_last_error()).
 */
#ifndef VFIO_MIGD_PROTO_CTL_REQUEST_H
#define VFIO_MIGD_PROTO_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_job.h"
#include "proto.h"

/*
 * Operations; the values are the Request.op field numbers. The union member each one uses
 * is named after the colon.
 */
enum ctl_op {
	CTL_OP_HELLO = 10,	       /* hello */
	CTL_OP_DAEMON_INFO = 11,       /* (none) */
	CTL_OP_DEVICE_LIST = 12,       /* (none) */
	CTL_OP_DEVICE_ADD = 13,	       /* device_add */
	CTL_OP_DEVICE_REMOVE = 14,     /* device */
	CTL_OP_DEVICE_INFO = 15,       /* device */
	CTL_OP_DEVICE_SET_STATE = 16,  /* set_state */
	CTL_OP_PREPARE_INCOMING = 17,  /* prepare */
	CTL_OP_MIGRATE = 18,	       /* migrate */
	CTL_OP_JOB_STATUS = 19,	       /* job */
	CTL_OP_JOB_LIST = 20,	       /* (none) */
	CTL_OP_JOB_CANCEL = 21,	       /* job */
	CTL_OP_JOB_SWITCHOVER = 22,    /* job */
	CTL_OP_JOB_RESUME = 23,	       /* job */
	CTL_OP_JOB_SET_BANDWIDTH = 24, /* bandwidth */
	CTL_OP_JOB_WAIT = 25,	       /* wait */
	CTL_OP_SUBSCRIBE = 26,	       /* subscribe */
	CTL_OP_PEER_CONNECT = 27,      /* peer_connect */
	CTL_OP_PEER_LIST = 28,	       /* (none) */
	CTL_OP_JOB_METADATA = 29,      /* job_metadata */
};

#define CTL_OP_MIN CTL_OP_HELLO
#define CTL_OP_MAX CTL_OP_JOB_METADATA

/* Version handshake, in a request and in its result. */
struct ctl_hello {
	uint32_t version;     /* >= 1 */
	uint32_t min_version; /* 1..version */
	uint64_t features;
	char name[PROTO_NAME_MAX + 1]; /* software name and version, may be "" */
};

/* Where a device comes from; the values are the DeviceAdd.source field numbers. */
enum ctl_source {
	CTL_SOURCE_PATH = 2, /* spec: a path, at most PROTO_PATH_MAX bytes of text */
	CTL_SOURCE_PCI = 3,  /* spec: DDDD:BB:DD.F */
	CTL_SOURCE_MDEV = 4, /* spec: lower-case UUID */
	CTL_SOURCE_SIM = 5,  /* spec: sim spec, at most PROTO_SPEC_MAX bytes of text */
	CTL_SOURCE_FD = 6,   /* fd_index: an fd attached to the request frame */
};

struct ctl_device_add {
	char id[PROTO_ID_MAX + 1]; /* "" lets the daemon derive one */
	uint32_t source;	   /* enum ctl_source */
	char spec[PROTO_PATH_MAX + 1];
	uint32_t fd_index; /* CTL_SOURCE_FD: < ctl_request.fd_count */
};

struct ctl_device_ref {
	char id[PROTO_ID_MAX + 1];
};

struct ctl_device_set_state {
	char id[PROTO_ID_MAX + 1];
	uint32_t state; /* 1..7, the kernel's numbering; ERROR cannot be requested */
};

struct ctl_prepare_incoming {
	char source_identity[PROTO_ADDR_MAX + 1]; /* required */
	uint32_t n_devices;			  /* 1..PROTO_JOB_DEVICES_MAX, distinct */
	char devices[PROTO_JOB_DEVICES_MAX][PROTO_ID_MAX + 1];
	uint32_t expiry_s; /* 0: the daemon's default; at most PROTO_EXPIRY_MAX_S */
};

struct ctl_map_entry {
	char source_id[PROTO_ID_MAX + 1];
	char target_id[PROTO_ID_MAX + 1];
	uint8_t *metadata;   /* malloc'ed, NULL when metadata_len is 0 */
	size_t metadata_len; /* <= PROTO_METADATA_MAX */
};

struct ctl_migrate {
	char peer[PROTO_ADDR_MAX + 1];	 /* printable ASCII, required */
	char token[PROTO_TOKEN_MAX + 1]; /* printable ASCII, required */
	uint32_t n_devices;		 /* 1..PROTO_JOB_DEVICES_MAX, ids distinct per side */
	struct ctl_map_entry devices[PROTO_JOB_DEVICES_MAX]; /* metadata sum <= 4 MiB */
	uint32_t downtime_limit_ms;			     /* 0: daemon default */
	uint64_t bandwidth_bps;				     /* 0: unlimited */
	bool precopy;					     /* absent on the wire: true */
	uint32_t switchover;				     /* enum ctl_switchover */
	uint32_t resume;				     /* enum ctl_resume */
	uint32_t timeout_s;				     /* 0: none */
};

struct ctl_job_ref {
	uint64_t job_id; /* nonzero */
};

struct ctl_job_bandwidth {
	uint64_t job_id;
	uint64_t bandwidth_bps; /* 0: unlimited */
};

struct ctl_job_wait {
	uint64_t job_id;
	uint32_t timeout_ms; /* 0: no timeout */
};

struct ctl_subscribe {
	uint64_t job_id; /* 0: every job */
};

/* The metadata a destination job received for one of its devices. */
struct ctl_job_metadata {
	uint64_t job_id;	       /* nonzero */
	char device[PROTO_ID_MAX + 1]; /* the job's source or target id of the device, required */
};

struct ctl_peer_connect {
	char address[PROTO_ADDR_MAX + 1]; /* printable ASCII, required; syntax left to the daemon */
	char expect_host[PROTO_ADDR_MAX + 1]; /* printable ASCII; "" for none */
};

struct ctl_request {
	uint32_t serial;   /* nonzero */
	uint32_t fd_count; /* fds attached by SCM_RIGHTS; nonzero only for device_add by fd */
	uint32_t op;	   /* enum ctl_op */
	union {
		struct ctl_hello hello;
		struct ctl_device_add device_add;
		struct ctl_device_ref device;
		struct ctl_device_set_state set_state;
		struct ctl_prepare_incoming prepare;
		struct ctl_migrate migrate;
		struct ctl_job_ref job;
		struct ctl_job_bandwidth bandwidth;
		struct ctl_job_wait wait;
		struct ctl_subscribe subscribe;
		struct ctl_peer_connect peer_connect;
		struct ctl_job_metadata job_metadata;
	} u;
};

/*
 * Encodes req as a complete FRAME_CTL_REQUEST frame (header + body) in a malloc'ed buffer.
 * Returns 0 with *ret_buf (free() it) and *ret_len; -EINVAL when req breaks a rule of the
 * schema (reason in proto_last_error()); -EMSGSIZE; -ENOMEM. Nothing is written on failure.
 */
int ctl_request_encode(const struct ctl_request *req, uint8_t **ret_buf, size_t *ret_len);

/*
 * Decodes the body of a FRAME_CTL_REQUEST frame. Returns 0 and *ret (ctl_request_clear()
 * it); -EMSGSIZE (body above the frame cap); -EBADMSG (not a Request); -ENOBUFS
 * (allocation budget exceeded); -EPROTO (a field breaks a rule, see proto_last_error());
 * -EOPNOTSUPP (no operation this build knows, but unknown fields: a newer client's
 * operation); -ENOMEM. *ret is not written on failure.
 */
int ctl_request_decode(const uint8_t *buf, size_t len, struct ctl_request *ret);

/*
 * Reads only the serial of a request body, so that a request that fails to decode can
 * still be answered. Returns 0 and *ret (0 if absent), or the errors of decoding that are
 * about the encoding itself (-EMSGSIZE, -EBADMSG, -ENOBUFS, -ENOMEM).
 */
int ctl_request_peek_serial(const uint8_t *buf, size_t len, uint32_t *ret);

/* Frees the metadata a request holds and zeroes it; NULL-safe. */
void ctl_request_clear(struct ctl_request *req);

/* The operation's name ("job_cancel"), or "unknown". */
const char *ctl_request_op_name(uint32_t op);

#endif
