/*
 * codec.h - internal to proto/: what every message codec shares. Never included outside
 * proto/ (it pulls in protobuf-c).
 *
 * Owns: packing a protobuf-c message into a complete frame; unpacking a frame body under
 * the type's size cap, after a wire scan that refuses NUL bytes inside string fields, with
 * a per-call allocation budget; the string classes and their checks; the structured-error
 * conversion; and the per-thread text of the last failure (proto_last_error()).
 *
 * Error convention of the helpers: -EPROTO with the reason recorded by codec_fail(). The
 * decoders return it as is; the encoders turn it into -EINVAL (codec_encode_err()),
 * because there it means the caller passed an invalid struct.
 */
#ifndef VFIO_MIGD_PROTO_CODEC_H
#define VFIO_MIGD_PROTO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common.pb-c.h"
#include "proto.h"

/*
 * Decode budget: one unpack may allocate at most CODEC_BUDGET_BASE + CODEC_BUDGET_FACTOR
 * times the body length, in total. protobuf-c turns a 2-byte empty sub-message into a
 * struct of a hundred bytes or more, so without a budget a body inside its frame cap could
 * still cost tens of times its size; the largest valid messages stay well below the budget.
 */
#define CODEC_BUDGET_BASE   (512u * 1024u)
#define CODEC_BUDGET_FACTOR 4u

/* Nesting the wire scan follows before refusing (the schemas nest 4 deep at most). */
#define CODEC_DEPTH_MAX 8

/* String classes. */
enum codec_class {
	CODEC_ID,    /* [A-Za-z0-9._:@-]: device ids */
	CODEC_TEXT,  /* valid UTF-8 without control characters: messages, names, paths */
	CODEC_ASCII, /* printable ASCII without space (0x21-0x7e): tokens, addresses */
	CODEC_PCI,   /* DDDD:BB:DD.F, lower-case hex, device <= 0x1f, function <= 7 */
	CODEC_UUID,  /* 8-4-4-4-12 lower-case hex */
};

/* Sets an optional scalar protobuf-c field, present only when the value is nonzero. */
#define CODEC_OPT(m, field, v) ((m)->field = (v), (m)->has_##field = (m)->field != 0)

/* Sets a scalar protobuf-c field that is always sent. */
#define CODEC_SET(m, field, v) ((m)->field = (v), (m)->has_##field = 1)

/* Length of the valid UTF-8 character at p (1..4), or 0 if invalid or cut short. */
size_t codec_utf8_char_len(const uint8_t *p, size_t len);

/* True when s is at most max bytes long and belongs to cls (empty strings are fine). */
bool codec_text_ok(const char *s, size_t max, enum codec_class cls);

/* Records the reason of a failure for proto_last_error(); returns err. */
int codec_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "<context>." to the recorded reason; returns err. */
int codec_prefix(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -EPROTO (invalid struct) becomes -EINVAL; other values pass. */
int codec_encode_err(int r);

/*
 * Packs m into a malloc'ed frame of the given type: header and body. Returns 0 with
 * *ret_buf (free() it) and *ret_len, -EMSGSIZE if the body exceeds the type's cap, or
 * -ENOMEM.
 */
int codec_pack(const ProtobufCMessage *m, uint16_t type, uint8_t **ret_buf, size_t *ret_len);

/*
 * Unpacks a frame body of the given type. Returns 0 and *ret (release with codec_free()),
 * -EMSGSIZE when len exceeds the type's cap, -EBADMSG when the bytes are not a message
 * of descriptor d or a string field holds a NUL byte, -ENOBUFS when the allocation budget
 * is exceeded, -ENOMEM.
 */
int codec_unpack(const ProtobufCMessageDescriptor *d, uint16_t type, const uint8_t *buf, size_t len,
		 ProtobufCMessage **ret);

/* Frees an unpacked message; NULL-safe. */
void codec_free(void *m);

/* Fails with "<what>: missing" unless has. */
int codec_need(bool has, const char *what);

/* Fails unless min <= v <= max. */
int codec_range(uint64_t v, uint64_t min, uint64_t max, const char *what);

/* An enum field: absent gives 0; present must lie in 0..max. */
int codec_enum_in(uint32_t *dst, protobuf_c_boolean has, int v, uint32_t max, const char *what);

/* Checks a string's length and class; a required string must be non-empty. */
int codec_str_check(const char *s, size_t max, enum codec_class cls, bool required,
		    const char *what);

/*
 * Copies a decoded string (NULL: absent) into dst[max + 1] after checking its length and
 * class; a required string must be present and non-empty.
 */
int codec_str_in(char *dst, size_t max, const char *src, enum codec_class cls, bool required,
		 const char *what);

/*
 * Checks a C string before encoding and points *dst at it, or sets *dst NULL (field
 * absent) when it is empty and not required.
 */
int codec_str_out(char **dst, const char *src, size_t max, enum codec_class cls, bool required,
		  const char *what);

/* s for a protobuf-c string field, or NULL (absent) when s is empty; s was checked. */
char *codec_opt_str(const char *s);

/*
 * Takes a decoded bytes field: checks len <= max, moves the buffer to *dst (free() it;
 * NULL when empty) and empties src so freeing the message leaves it alone.
 */
int codec_bytes_in(uint8_t **dst, size_t *dst_len, ProtobufCBinaryData *src, size_t max,
		   const char *what);

/* Fails when two of the n ids are equal, naming both positions. */
int codec_distinct(const char *const *ids, size_t n, const char *what);

/* Decodes an Error (NULL: no error, code OK). */
int codec_error_in(struct proto_error *dst, const Vmig__Error *src, const char *what);

/* Checks *src and fills dst, which points into src. */
int codec_error_out(Vmig__Error *dst, const struct proto_error *src, const char *what);

/* True when e carries something worth sending (a code other than OK, or a message). */
bool codec_error_set(const struct proto_error *e);

#endif
