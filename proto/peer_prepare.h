/*
 * peer_prepare.h - the PREPARE message of the peer protocol (peer.proto PeerPrepare): the
 * source asks the destination to accept a migration, presenting the token and, per
 * device, ids, migration flags, compatibility data and opaque metadata.
 *
 * Ownership: a struct peer_prepare is a value except each device's metadata (malloc'ed),
 * which peer_prepare_clear() frees. Threading: reentrant; failure reason per thread.
 */
#ifndef VFIO_MIGD_PROTO_PEER_PREPARE_H
#define VFIO_MIGD_PROTO_PEER_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* VFIO_MIGRATION_STOP_COPY, which every migratable device has, and all known bits. */
#define PEER_MIG_STOP_COPY 0x1u
#define PEER_MIG_ALL	   0x7u

/* What the destination needs to judge whether it can load a device's state. */
struct peer_compat {
	char driver[PROTO_NAME_MAX + 1]; /* required */
	uint32_t vendor_id;		 /* PCI ids, <= 0xffff; 0 for mdev and sim */
	uint32_t device_id;
	uint32_t subsystem_vendor_id;
	uint32_t subsystem_device_id;
	char mdev_type[PROTO_NAME_MAX + 1];
	char model[PROTO_NAME_MAX + 1];
	uint64_t state_size; /* estimated bytes of device state */
};

struct peer_prepare_device {
	char source_id[PROTO_ID_MAX + 1];
	char target_id[PROTO_ID_MAX + 1];
	uint32_t migration_flags; /* has PEER_MIG_STOP_COPY, within PEER_MIG_ALL */
	struct peer_compat compat;
	uint8_t *metadata;   /* malloc'ed, NULL when metadata_len is 0 */
	size_t metadata_len; /* <= PROTO_METADATA_MAX */
};

struct peer_prepare {
	uint64_t job_id;		 /* the source's job id, nonzero */
	char token[PROTO_TOKEN_MAX + 1]; /* printable ASCII, required */
	uint32_t n_devices;		 /* 1..PROTO_JOB_DEVICES_MAX; stream index = position */
	struct peer_prepare_device devices[PROTO_JOB_DEVICES_MAX]; /* metadata sum <= 4 MiB */
	bool precopy;
	bool resume_manual;
	uint32_t downtime_limit_ms;
	uint64_t timeout_ms; /* the source job's time left; 0: none (absent on the wire) */
};

/*
 * Encodes p as a complete FRAME_PEER_PREPARE frame in a malloc'ed buffer. Returns 0 with
 * *ret_buf (free() it) and *ret_len; -EINVAL (reason in proto_last_error()); -EMSGSIZE;
 * -ENOMEM.
 */
int peer_prepare_encode(const struct peer_prepare *p, uint8_t **ret_buf, size_t *ret_len);

/*
 * Decodes the body of a FRAME_PEER_PREPARE frame. Returns 0 and *ret (peer_prepare_clear()
 * it); -EMSGSIZE, -EBADMSG, -ENOBUFS, -EPROTO, -ENOMEM. *ret is not written on failure.
 */
int peer_prepare_decode(const uint8_t *buf, size_t len, struct peer_prepare *ret);

/* Frees the metadata and zeroes p; NULL-safe. */
void peer_prepare_clear(struct peer_prepare *p);

#endif
