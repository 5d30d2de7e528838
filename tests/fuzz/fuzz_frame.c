/*
 * fuzz_frame.c - libFuzzer harness for the frame parser (proto/frame.c).
 *
 * Treats the input as a byte stream of back-to-back frames and parses it the way a
 * connection reader does, checking the parser's promises as it goes (abort() on a broken
 * one): a complete frame lies inside the buffer and within its type's cap; every prefix of
 * a frame is reported as incomplete with the same total length and header; a DATA frame
 * splits into sequence number and payload inside the body; re-encoding a parsed header
 * gives back the same bytes.
 *
 * Seeds: tests/fuzz/corpus/frame/ holds golden frames from tests/data/golden/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* Every shorter prefix of a complete frame: incomplete, same total, same header. */
static void check_prefixes(const uint8_t *p, const struct frame_view *v)
{
	size_t step = v->frame_len > 64 ? v->frame_len / 32 : 1;

	for (size_t n = 0; n < v->frame_len; n += step) {
		struct frame_view w;

		CHECK(frame_parse(p, n, &w) == FRAME_NEED_MORE);
		CHECK(w.body == NULL);
		if (n < FRAME_HDR_LEN) {
			CHECK(w.frame_len == FRAME_HDR_LEN);
			continue;
		}
		CHECK(w.frame_len == v->frame_len && w.type == v->type &&
		      w.body_len == v->body_len);
	}
}

static void check_frame(const uint8_t *p, size_t left, const struct frame_view *v)
{
	uint8_t hdr[FRAME_HDR_LEN];
	struct frame_data d;

	CHECK(v->frame_len == FRAME_HDR_LEN + (size_t)v->body_len);
	CHECK(v->frame_len <= left);
	CHECK(v->body == p + FRAME_HDR_LEN);
	CHECK(v->flags == 0);
	CHECK(v->body_len <= frame_type_cap(v->type));
	CHECK(frame_type_link(v->type) != FRAME_LINK_NONE);
	CHECK(frame_header_encode(v->type, v->body_len, hdr) == 0);
	CHECK(memcmp(hdr, p, FRAME_HDR_LEN) == 0);
	if (frame_data_parse(v, &d) == 0) {
		CHECK(v->type == FRAME_STREAM_DATA);
		CHECK(d.data == v->body + FRAME_DATA_HDR_LEN);
		CHECK(d.len + FRAME_DATA_HDR_LEN == v->body_len && d.len <= FRAME_DATA_MAX);
	} else {
		CHECK(v->type != FRAME_STREAM_DATA);
	}
	check_prefixes(p, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off <= size) {
		struct frame_view v;
		int r = frame_parse(data + off, size - off, &v);

		if (r == FRAME_COMPLETE) {
			check_frame(data + off, size - off, &v);
			off += v.frame_len;
			continue;
		}
		CHECK(r == FRAME_NEED_MORE || r == -EPROTO || r == -EMSGSIZE);
		if (r == FRAME_NEED_MORE)
			CHECK(v.frame_len > size - off);
		break;
	}
	return 0;
}
