/*
 * ctl_reply.h - control API replies (control.proto Reply) as plain C structs, and their
 * codec: a reply travels in one FRAME_CTL_REPLY frame and echoes its request's serial.
 *
 * Ownership: a struct ctl_reply is a value, except the device, job and peer lists and the
 * job metadata, which are malloc'ed; ctl_reply_clear() frees them. The daemon may point them
 * at its own memory for encoding (encode only reads: borrowed) as long as it does not clear
 * that reply. A decoded reply owns them.
 * Threading: reentrant; the failure reason is per thread (proto_last_error()).
 */
#ifndef VFIO_MIGD_PROTO_CTL_REPLY_H
#define VFIO_MIGD_PROTO_CTL_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_job.h"
#include "ctl_request.h"
#include "proto.h"

/* What a reply carries; the values are the Reply.result field numbers. */
enum ctl_result {
	CTL_RESULT_NONE = 0,		  /* error replies, and operations without a result */
	CTL_RESULT_HELLO = 10,		  /* u.hello */
	CTL_RESULT_DAEMON_INFO = 11,	  /* u.daemon_info */
	CTL_RESULT_DEVICE_LIST = 12,	  /* u.device_list */
	CTL_RESULT_DEVICE = 13,		  /* u.device */
	CTL_RESULT_PREPARE_INCOMING = 17, /* u.prepare */
	CTL_RESULT_MIGRATE = 18,	  /* u.job_id: the new job */
	CTL_RESULT_JOB = 19,		  /* u.job */
	CTL_RESULT_JOB_LIST = 20,	  /* u.job_list */
	CTL_RESULT_PEER = 27,		  /* u.peer */
	CTL_RESULT_PEER_LIST = 28,	  /* u.peer_list */
	CTL_RESULT_METADATA = 29,	  /* u.metadata */
};

/* Peers in a peer list. */
#define CTL_PEERS_MAX 64

/* control.proto DeviceKind. */
enum ctl_device_kind {
	CTL_KIND_VFIO_PCI = 1,
	CTL_KIND_VFIO_MDEV = 2,
	CTL_KIND_VFIO_FD = 3,
	CTL_KIND_SIM = 4,
};

/* control.proto TlsState. */
enum ctl_tls_state {
	CTL_TLS_NONE = 0,     /* not reported */
	CTL_TLS_DISABLED = 1, /* no TLS material: the peer listener is off */
	CTL_TLS_READY = 2,    /* certificates loaded and valid */
	CTL_TLS_FAILED = 3,   /* the last (re)load failed: see error */
};

struct ctl_tls_info {
	uint32_t state; /* enum ctl_tls_state */
	bool ktls_tx;
	bool ktls_rx;
	char identity[PROTO_ADDR_MAX + 1];
	uint64_t not_after_s; /* certificate expiry, Unix seconds */
	char error[PROTO_MESSAGE_MAX + 1];
};

struct ctl_daemon_info {
	char version[PROTO_NAME_MAX + 1]; /* required */
	uint32_t protocol_version;	  /* >= 1 */
	uint64_t features;
	char host_identity[PROTO_ADDR_MAX + 1];
	struct ctl_tls_info tls;
	uint32_t device_count;
	uint32_t active_jobs;
	uint64_t uptime_s;
	uint32_t n_listen;				   /* 0..PROTO_LISTEN_MAX */
	char listen[PROTO_LISTEN_MAX][PROTO_ADDR_MAX + 1]; /* printable ASCII */
};

struct ctl_device_info {
	char id[PROTO_ID_MAX + 1];	  /* required */
	uint32_t kind;			  /* enum ctl_device_kind, required */
	char driver[PROTO_NAME_MAX + 1];  /* kernel driver or "sim" */
	char model[PROTO_NAME_MAX + 1];	  /* vendor:device, mdev type or sim model */
	char address[PROTO_PATH_MAX + 1]; /* path, PCI address, UUID, sim spec; "" for fds */
	uint32_t state;			  /* VFIO migration state 0..7 */
	uint32_t migration_flags;	  /* VFIO_MIGRATION_* bits, at most 0x7 */
	uint64_t owner_job;		  /* 0: free */
	bool has_digest;
	uint8_t digest[PROTO_DIGEST_LEN]; /* SHA-256 of the device state when known */
};

struct ctl_device_list {
	uint32_t n_devices; /* 0..PROTO_LIST_MAX */
	struct ctl_device_info *devices;
};

struct ctl_prepare_result {
	char token[PROTO_TOKEN_MAX + 1]; /* printable ASCII, required */
	uint64_t job_id;		 /* the destination job, nonzero */
	uint64_t expires_at_ms;		 /* Unix milliseconds */
};

struct ctl_job_list {
	uint32_t n_jobs; /* 0..PROTO_JOBS_MAX */
	struct ctl_job_status *jobs;
};

/* control.proto PeerState: a daemon-to-daemon control link's state. */
enum ctl_peer_state {
	CTL_PEER_CONNECTING = 1,    /* outgoing: resolving the name and opening TCP */
	CTL_PEER_TLS_HANDSHAKE = 2, /* TCP up, TLS handshake running */
	CTL_PEER_HELLO = 3,	    /* TLS up, waiting for the peer's HELLO */
	CTL_PEER_READY = 4,	    /* HELLO exchanged: usable */
	CTL_PEER_CLOSING = 5,	    /* closing */
};

#define CTL_PEER_STATE_MAX CTL_PEER_CLOSING

/* SHA-256 as lower-case hex. */
#define CTL_FINGERPRINT_LEN (2 * PROTO_DIGEST_LEN)

struct ctl_peer_info {
	char address[PROTO_ADDR_MAX + 1];	   /* printable ASCII, required */
	uint32_t state;				   /* enum ctl_peer_state, required */
	bool outgoing;				   /* this daemon opened the link */
	char identity[PROTO_ADDR_MAX + 1];	   /* allow-list entry matched; "" before TLS */
	char fingerprint[CTL_FINGERPRINT_LEN + 1]; /* lower-case hex, or "" before TLS */
	uint32_t protocol_version;		   /* negotiated; 0 before READY */
	uint64_t features;			   /* negotiated */
	char host_identity[PROTO_ADDR_MAX + 1];	   /* the peer's, from HELLO; "" before */
	char software[PROTO_NAME_MAX + 1];	   /* the peer's, from HELLO; "" before */
	int64_t rtt_us;				   /* last PING round trip; -1: none yet */
	bool ktls_tx;
	bool ktls_rx;
	uint64_t connected_at_ms; /* Unix milliseconds the link was accepted or dialled */
};

struct ctl_peer_list {
	uint32_t n_peers; /* 0..CTL_PEERS_MAX */
	struct ctl_peer_info *peers;
};

/* A device's opaque metadata (job_metadata): owned when decoded, borrowed when encoded. */
struct ctl_metadata {
	uint8_t *data; /* NULL when len is 0; malloc'ed in a decoded reply */
	size_t len;    /* <= PROTO_METADATA_MAX */
};

struct ctl_reply {
	uint32_t serial;	  /* the request's; 0 only in an error reply to an unreadable one */
	struct proto_error error; /* code OK: success */
	uint32_t result;	  /* enum ctl_result; NONE when error.code is not OK */
	union {
		struct ctl_hello hello;
		struct ctl_daemon_info daemon_info;
		struct ctl_device_list device_list;
		struct ctl_device_info device;
		struct ctl_prepare_result prepare;
		uint64_t job_id;
		struct ctl_job_status job;
		struct ctl_job_list job_list;
		struct ctl_peer_info peer;
		struct ctl_peer_list peer_list;
		struct ctl_metadata metadata;
	} u;
};

/*
 * Encodes rep as a complete FRAME_CTL_REPLY frame in a malloc'ed buffer. Returns 0 with
 * *ret_buf (free() it) and *ret_len; -EINVAL when rep breaks a rule (reason in
 * proto_last_error()); -EMSGSIZE; -ENOMEM. Nothing is written on failure.
 */
int ctl_reply_encode(const struct ctl_reply *rep, uint8_t **ret_buf, size_t *ret_len);

/*
 * Decodes the body of a FRAME_CTL_REPLY frame. Returns 0 and *ret (ctl_reply_clear() it);
 * -EMSGSIZE, -EBADMSG, -ENOBUFS, -EPROTO, -ENOMEM as ctl_request_decode(). A result of a
 * kind this build does not know decodes as CTL_RESULT_NONE. *ret is not written on
 * failure.
 */
int ctl_reply_decode(const uint8_t *buf, size_t len, struct ctl_reply *ret);

/* Frees the lists and metadata a decoded reply holds and zeroes it; NULL-safe. */
void ctl_reply_clear(struct ctl_reply *rep);

/*
 * The result a successful reply to op carries (CTL_RESULT_NONE for operations without
 * one), so the daemon fills the right member and the client can check what it got.
 */
uint32_t ctl_reply_result_for(uint32_t op);

/* The peer state's name ("READY"), or "UNKNOWN". */
const char *ctl_peer_state_name(uint32_t state);

#endif
