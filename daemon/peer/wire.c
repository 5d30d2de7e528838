/*
 * wire.c - a link's input and output buffers. Both are one contiguous allocation with a
 * consumed prefix that is compacted away when room is needed; both give their memory back
 * when they empty after growing past WIRE_KEEP (a PREPARE can be megabytes, PINGs are tiny).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "wire.h"

#define WIRE_IN_MIN  (16u * 1024) /* one TLS record */
#define WIRE_OUT_MIN (4u * 1024)  /* first allocation: a few control frames */
#define WIRE_KEEP    (64u * 1024) /* larger buffers are freed when empty */

void wire_free(struct wire_buf *b)
{
	free(b->data);
	*b = (struct wire_buf){ 0 };
}

/* Moves the unconsumed bytes to the front. */
static void wire_compact(struct wire_buf *b)
{
	if (b->head == 0)
		return;
	if (b->len)
		memmove(b->data, b->data + b->head, b->len);
	b->head = 0;
}

/* Makes cap at least want (after compacting). */
static int wire_reserve(struct wire_buf *b, size_t want)
{
	uint8_t *p;

	if (b->head + want <= b->cap)
		return 0;
	wire_compact(b);
	if (want <= b->cap)
		return 0;
	p = realloc(b->data, want);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = want;
	return 0;
}

/* An empty buffer that grew large gives its memory back. */
static void wire_trim(struct wire_buf *b)
{
	if (b->len == 0 && b->cap > WIRE_KEEP)
		wire_free(b);
	else if (b->len == 0)
		b->head = 0;
}

int wire_in_frame(const struct wire_buf *b, struct frame_view *ret)
{
	return frame_parse(b->len ? b->data + b->head : NULL, b->len, ret);
}

void wire_in_consume(struct wire_buf *b, size_t n)
{
	b->head += n;
	b->len -= n;
	wire_trim(b);
}

const uint8_t *wire_in_rest(const struct wire_buf *b, size_t *ret_len)
{
	*ret_len = b->len;
	return b->len ? b->data + b->head : NULL;
}

ssize_t wire_in_fill(struct wire_buf *b, struct tls_conn *c, size_t need)
{
	size_t want = need > WIRE_IN_MIN ? need : WIRE_IN_MIN;
	ssize_t n;

	if (wire_reserve(b, want) < 0)
		return -ENOMEM;
	n = tls_conn_read(c, b->data + b->head + b->len, b->cap - b->head - b->len);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

static uint32_t wire_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void wire_in_explain(const struct wire_buf *b, int err, char *buf, size_t len)
{
	const uint8_t *h = b->data + b->head;
	uint32_t body = wire_be32(h);
	uint16_t type = (uint16_t)(h[4] << 8 | h[5]);
	uint16_t flags = (uint16_t)(h[6] << 8 | h[7]);

	if (frame_type_link(type) == FRAME_LINK_NONE)
		snprintf(buf, len, "unknown frame type 0x%04x", type);
	else if (flags)
		snprintf(buf, len, "%s frame with flags 0x%04x (must be 0)", frame_type_name(type),
			 flags);
	else if (err == -EMSGSIZE)
		snprintf(buf, len, "%s frame of %u bytes (its cap is %u)", frame_type_name(type),
			 body, frame_type_cap(type));
	else
		snprintf(buf, len, "%s frame of %u bytes is too short", frame_type_name(type),
			 body);
}

int wire_out_queue(struct wire_buf *b, size_t max, const void *p, size_t n)
{
	size_t want;

	if (n > max || b->len > max - n)
		return -ENOBUFS;
	want = b->len + n;
	if (b->head + want > b->cap && want > b->cap) {
		want = b->cap * 2 > want ? b->cap * 2 : want;
		want = want < WIRE_OUT_MIN ? WIRE_OUT_MIN : want;
		if (want > max)
			want = max;
	}
	if (wire_reserve(b, want) < 0)
		return -ENOMEM;
	memcpy(b->data + b->head + b->len, p, n);
	b->len += n;
	return 0;
}

int wire_out_flush(struct wire_buf *b, struct tls_conn *c)
{
	ssize_t n;

	while (b->len) {
		n = tls_conn_write(c, b->data + b->head, b->len);
		if (n < 0)
			return (int)n;
		b->head += (size_t)n;
		b->len -= (size_t)n;
	}
	wire_trim(b);
	return 0;
}
