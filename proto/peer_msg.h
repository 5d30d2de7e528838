/*
 * peer_msg.h - every message of the peer protocol (peer.proto) as a plain C struct behind
 * one tagged union, and one codec that dispatches on the frame type: the peer link and
 * the stream code parse a frame (frame.h), call peer_msg_decode(view.type, ...) and switch
 * on msg.type. STREAM_DATA frames carry raw bytes and never come here (frame_data_parse()).
 *
 * Which union member each frame type uses:
 *   PEER_HELLO -> hello               PEER_PING, PEER_PONG -> ping
 *   PEER_PREPARE -> prepare            PEER_PREPARE_REPLY -> prepare_reply
 *   PEER_SWITCHOVER, PEER_COMMIT, PEER_COMMIT_ACK, PEER_RESUMED -> notice
 *   PEER_LOADED, PEER_LOAD_FAILED -> load (LOADED: error.code OK; LOAD_FAILED: not OK)
 *   PEER_ABORT -> abort                STREAM_HELLO -> stream_hello
 *   STREAM_ACK -> stream_ack           STREAM_END -> stream_end
 *
 * Ownership: only PEER_PREPARE holds heap memory (metadata); peer_msg_clear() frees it.
 * Threading: reentrant; the failure reason is per thread (proto_last_error()).
 */
#ifndef VFIO_MIGD_PROTO_PEER_MSG_H
#define VFIO_MIGD_PROTO_PEER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer_prepare.h"
#include "proto.h"

struct peer_hello {
	uint32_t version;     /* >= 1 */
	uint32_t min_version; /* 1..version */
	uint64_t features;    /* PROTO_FEAT_* */
	char host_identity[PROTO_ADDR_MAX + 1];
	char software[PROTO_NAME_MAX + 1];
};

struct peer_ping {
	uint64_t nonce; /* a PONG echoes the PING's */
};

struct peer_prepare_reply {
	uint64_t job_id;	  /* the source's job id, nonzero */
	uint64_t dest_job_id;	  /* nonzero when accepted */
	struct proto_error error; /* code OK: accepted */
};

/* SWITCHOVER, COMMIT, COMMIT_ACK, RESUMED. */
struct peer_notice {
	uint64_t job_id; /* nonzero */
};

/* LOADED and LOAD_FAILED. */
struct peer_load {
	uint64_t job_id;	  /* nonzero */
	uint32_t device_index;	  /* < PROTO_JOB_DEVICES_MAX */
	struct proto_error error; /* OK for LOADED; a failure code for LOAD_FAILED */
};

struct peer_abort {
	uint64_t job_id;	   /* nonzero */
	struct proto_error reason; /* code not OK */
};

struct peer_stream_hello {
	uint64_t job_id;		 /* nonzero */
	uint32_t device_index;		 /* < PROTO_JOB_DEVICES_MAX */
	char token[PROTO_TOKEN_MAX + 1]; /* the PREPARE token, required */
};

struct peer_stream_ack {
	uint32_t device_index;
	uint64_t bytes; /* data bytes received and verified so far */
};

struct peer_stream_end {
	uint32_t device_index;
	uint64_t bytes;			  /* data bytes in all DATA frames of the stream */
	uint8_t sha256[PROTO_DIGEST_LEN]; /* over those bytes */
};

struct peer_msg {
	uint16_t type; /* enum frame_type: a PEER_* or STREAM_* type other than STREAM_DATA */
	union {
		struct peer_hello hello;
		struct peer_ping ping;
		struct peer_prepare prepare;
		struct peer_prepare_reply prepare_reply;
		struct peer_notice notice;
		struct peer_load load;
		struct peer_abort abort;
		struct peer_stream_hello stream_hello;
		struct peer_stream_ack stream_ack;
		struct peer_stream_end stream_end;
	} u;
};

/*
 * Encodes m as a complete frame of type m->type in a malloc'ed buffer. Returns 0 with
 * *ret_buf (free() it) and *ret_len; -EINVAL when the type is not a peer message type or
 * a field breaks a rule (reason in proto_last_error()); -EMSGSIZE; -ENOMEM.
 */
int peer_msg_encode(const struct peer_msg *m, uint8_t **ret_buf, size_t *ret_len);

/*
 * Decodes the body of a frame of the given type. Returns 0 and *ret (peer_msg_clear() it);
 * -EPROTO for a type that is not a peer message type (including STREAM_DATA and control
 * types) or a field that breaks a rule; -EMSGSIZE, -EBADMSG, -ENOBUFS, -ENOMEM as
 * ctl_request_decode(). *ret is not written on failure.
 */
int peer_msg_decode(uint16_t type, const uint8_t *buf, size_t len, struct peer_msg *ret);

/* Frees what a message holds and zeroes it; NULL-safe. */
void peer_msg_clear(struct peer_msg *m);

#endif
