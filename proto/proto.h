/*
 * proto.h - the protocol's shared vocabulary: version, feature bits, limits, the stable
 * error codes, the structured error, and the reason for the last failed encode or decode.
 *
 * Everything the control API (ctl_*.h) and the peer protocol (peer_*.h) have in common.
 * No protobuf-c types appear here or in any other header of proto/ that the daemon or the
 * client library includes. Pure; the last-error text is per thread.
 */
#ifndef VFIO_MIGD_PROTO_PROTO_H
#define VFIO_MIGD_PROTO_PROTO_H

#include <stdint.h>

/* Protocol versions this code speaks (control and peer links share the number). */
#define PROTO_VERSION	  1
#define PROTO_MIN_VERSION 1

/*
 * Peer feature bits (PeerHello.features); unknown bits are ignored by the receiver. The
 * control Hello defines no bits yet: clients send 0 and ignore bits they do not know.
 */
#define PROTO_FEAT_STREAM_ACK	     (UINT64_C(1) << 0) /* StreamAck on data connections */
#define PROTO_FEAT_SWITCHOVER_NOTICE (UINT64_C(1) << 1) /* Switchover is sent */
#define PROTO_FEAT_MANUAL_RESUME     (UINT64_C(1) << 2) /* Prepare.resume_manual honoured */
#define PROTO_FEATURES \
	(PROTO_FEAT_STREAM_ACK | PROTO_FEAT_SWITCHOVER_NOTICE | PROTO_FEAT_MANUAL_RESUME)

/*
 * Limits, enforced by every decoder (-EPROTO) and every encoder (-EINVAL). String limits
 * are in bytes and exclude the terminating NUL: the C structs hold them in char arrays of
 * limit + 1.
 */
#define PROTO_ID_MAX		 63   /* device ids: 1..63 bytes of [A-Za-z0-9._:@-] */
#define PROTO_NAME_MAX		 127  /* drivers, models, software names, mdev types */
#define PROTO_ADDR_MAX		 255  /* peer addresses, TLS identities, listen addresses */
#define PROTO_PATH_MAX		 1023 /* device paths */
#define PROTO_SPEC_MAX		 255  /* sim device specs */
#define PROTO_MESSAGE_MAX	 1023 /* human error messages */
#define PROTO_TOKEN_MAX		 127  /* prepare tokens: printable ASCII, no space */
#define PROTO_JOB_DEVICES_MAX	 32   /* devices in one job */
#define PROTO_LIST_MAX		 256  /* devices in a device list */
#define PROTO_JOBS_MAX		 64   /* jobs in a job list */
#define PROTO_LISTEN_MAX	 16   /* listen addresses in daemon info */
#define PROTO_FDS_MAX		 8    /* fds attached to one control request */
#define PROTO_METADATA_MAX	 (UINT32_C(1) << 20) /* opaque metadata per device */
#define PROTO_METADATA_TOTAL_MAX (UINT32_C(4) << 20) /* opaque metadata per message */
#define PROTO_EXPIRY_MAX_S	 86400		     /* prepare token lifetime */
#define PROTO_DIGEST_LEN	 32		     /* SHA-256 */
#define PROTO_STATE_MAX		 7 /* highest VFIO migration state (PRE_COPY_P2P) */

/*
 * Stable error codes (common.proto ErrorCode): the same numbers on the wire, in replies,
 * in job errors and in libvfiomig. Never renumbered; new codes get new numbers.
 */
enum proto_err {
	PROTO_ERR_OK = 0,
	PROTO_ERR_INVALID_ARGUMENT = 1,
	PROTO_ERR_NOT_FOUND = 2,
	PROTO_ERR_ALREADY_EXISTS = 3,
	PROTO_ERR_BUSY = 4,
	PROTO_ERR_PERMISSION_DENIED = 5,
	PROTO_ERR_INCOMPATIBLE = 6,
	PROTO_ERR_TOKEN_INVALID = 7,
	PROTO_ERR_TOKEN_EXPIRED = 8,
	PROTO_ERR_PEER_UNREACHABLE = 9,
	PROTO_ERR_TLS_FAILED = 10,
	PROTO_ERR_TIMEOUT = 11,
	PROTO_ERR_CANCELLED = 12,
	PROTO_ERR_DEVICE_FAILED = 13,
	PROTO_ERR_INTEGRITY = 14,
	PROTO_ERR_PROTOCOL = 15,
	PROTO_ERR_INTERNAL = 16,
	PROTO_ERR_UNSUPPORTED = 17,
	PROTO_ERR_RESOURCE_EXHAUSTED = 18,
};

/* One past the highest code this build knows. */
#define PROTO_ERR_COUNT 19

/*
 * A structured error (common.proto Error). code PROTO_ERR_OK with an empty message means
 * "no error". Codes this build does not know are kept as received (a newer peer may send
 * them) and mean failure.
 */
struct proto_error {
	uint32_t code;			     /* enum proto_err */
	char message[PROTO_MESSAGE_MAX + 1]; /* printable UTF-8, "" when none */
	char device[PROTO_ID_MAX + 1];	     /* device id concerned, "" when none */
};

/* The code's name ("TOKEN_EXPIRED"), or "UNKNOWN" for a code this build does not know. */
const char *proto_err_name(uint32_t code);

/*
 * The code for a negative (or positive) errno value as returned by the daemon's functions:
 * -ENOENT -> NOT_FOUND, -EBUSY -> BUSY, -ETIMEDOUT -> TIMEOUT, 0 -> OK, and so on; errno
 * values without a closer match give INTERNAL.
 */
uint32_t proto_err_from_errno(int err);

/*
 * The negative errno value libvfiomig returns for a code: NOT_FOUND -> -ENOENT, OK -> 0,
 * unknown codes -> -EIO. proto_err_from_errno(proto_err_to_errno(c)) == c for every known c.
 */
int proto_err_to_errno(uint32_t code);

/*
 * Fills *e with a code and a printf-style message (truncated to PROTO_MESSAGE_MAX bytes at
 * a UTF-8 character boundary) and an optional device id (NULL: none; truncated to
 * PROTO_ID_MAX). Never fails.
 */
void proto_error_set(struct proto_error *e, uint32_t code, const char *device, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Why the last encode or decode on this thread failed, naming the field
 * ("migrate.devices[3].metadata: 1048577 bytes, at most 1048576"). Valid until the next
 * proto call on this thread; "" if none failed yet.
 */
const char *proto_last_error(void);

#endif
