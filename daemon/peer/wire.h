/*
 * wire.h - the bounded byte buffers between a link's TLS session and its frames.
 *
 * Input: frames are parsed in place (frame_parse()); the buffer grows only to the size the
 * current frame's header announces, which frame_parse() has checked against the type's cap,
 * so a link holds at most one frame plus what one read brought. Output: encoded frames wait
 * here until TLS takes them; the caller gives the limit and gets -ENOBUFS beyond it.
 * No I/O besides tls_conn_read()/tls_conn_write(); no logging.
 */
#ifndef VFIO_MIGD_PEER_WIRE_H
#define VFIO_MIGD_PEER_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame.h"

struct tls_conn;

struct wire_buf {
	uint8_t *data;
	size_t head; /* first unconsumed byte */
	size_t len;  /* unconsumed bytes from head */
	size_t cap;  /* allocated */
};

/* Frees the memory and empties b. */
void wire_free(struct wire_buf *b);

/*
 * The next frame in the input: FRAME_COMPLETE (ret->body points into b), FRAME_NEED_MORE
 * (ret->frame_len says how many bytes it needs), or frame_parse()'s -EPROTO / -EMSGSIZE.
 */
int wire_in_frame(const struct wire_buf *b, struct frame_view *ret);

/* Drops n bytes (a parsed frame) from the front of the input. */
void wire_in_consume(struct wire_buf *b, size_t n);

/* Unconsumed input bytes and their count (after a frame was consumed: what follows it). */
const uint8_t *wire_in_rest(const struct wire_buf *b, size_t *ret_len);

/*
 * Reads once from c into the input, after making room for at least need bytes in total.
 * Returns tls_conn_read()'s result (> 0, 0 for close_notify, -EAGAIN, errors) or -ENOMEM.
 */
ssize_t wire_in_fill(struct wire_buf *b, struct tls_conn *c, size_t need);

/*
 * Describes why frame_parse() refused the header at the front of the input (err its result),
 * e.g. "unknown frame type 0x7777" or "PEER_PING frame of 1000 bytes (its cap is 32)".
 */
void wire_in_explain(const struct wire_buf *b, int err, char *buf, size_t len);

/* Appends n bytes to the output unless that would exceed max: 0, -ENOBUFS or -ENOMEM. */
int wire_out_queue(struct wire_buf *b, size_t max, const void *p, size_t n);

/* Writes the output to c until it is empty (0), TLS would block (-EAGAIN), or an error. */
int wire_out_flush(struct wire_buf *b, struct tls_conn *c);

#endif
