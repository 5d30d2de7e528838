/*
 * test_proto_util.h - helpers shared by the proto/ unit tests: representative messages of
 * every kind (the same ones the golden frames hold), field-by-field comparisons that fail
 * the running Check test, and small frame and protobuf-c helpers.
 */
#ifndef VFIO_MIGD_TEST_PROTO_UTIL_H
#define VFIO_MIGD_TEST_PROTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "peer_msg.h"

/* Every control operation, result kind, event kind and peer message type. */
extern const uint32_t all_ops[];
extern const size_t n_all_ops;
extern const uint32_t all_results[];
extern const size_t n_all_results;
extern const uint32_t all_event_kinds[];
extern const size_t n_all_event_kinds;
extern const uint16_t all_peer_types[];
extern const size_t n_all_peer_types;

/* Valid, representative messages with every field the kind allows set to a non-zero value. */
void sample_job(struct ctl_job_status *s, uint64_t job_id, uint32_t n_devices);
void sample_request(struct ctl_request *q, uint32_t op);
void sample_reply(struct ctl_reply *r, uint32_t result); /* ctl_reply_clear() it */
void sample_peer_info(struct ctl_peer_info *p, uint32_t i);
void sample_event(struct ctl_event *e, uint32_t kind);
void sample_peer(struct peer_msg *m, uint16_t type); /* peer_msg_clear() it */

/* Field-by-field equality; a difference fails the current test, naming the field. */
void expect_job_eq(const struct ctl_job_status *a, const struct ctl_job_status *b);
void expect_request_eq(const struct ctl_request *a, const struct ctl_request *b);
void expect_reply_eq(const struct ctl_reply *a, const struct ctl_reply *b);
void expect_peer_info_eq(const struct ctl_peer_info *a, const struct ctl_peer_info *b);
void expect_event_eq(const struct ctl_event *a, const struct ctl_event *b);
void expect_peer_eq(const struct peer_msg *a, const struct peer_msg *b);

/* Checks that frame[0, len) is exactly one complete frame of the type; returns its body. */
const uint8_t *frame_body(const uint8_t *frame, size_t len, uint16_t type, size_t *ret_len);

/* Packs a protobuf-c message built in a test into a malloc'ed buffer. */
uint8_t *pb_pack(const ProtobufCMessage *m, size_t *ret_len);

/* Fails the test unless proto_last_error() contains needle. */
void expect_reason(const char *needle);

/* A malloc'ed buffer of len bytes of a fixed pattern. */
uint8_t *pattern(size_t len, uint8_t seed);

/* Fills a char array with n copies of c and a NUL. */
void fill(char *dst, size_t n, char c);

#endif
