/*
 * fuzz_msg.c - libFuzzer harness for every message decoder of proto/.
 *
 * The first input byte picks a decoder from the table below (modulo its size); the rest is
 * the frame body handed to it. Whatever a decoder accepts must encode again, and the result
 * must decode and re-encode to the very same bytes (abort() otherwise): the decoders and
 * encoders apply the same rules, and nothing accepted is lost on the way back.
 *
 * Seeds: tests/fuzz/corpus/msg/<name> is the body of the golden frame of that name,
 * prefixed by the decoder's index in the table, e.g. for index 6 (PEER_PREPARE):
 *
 *   { printf '\006'; tail -c +9 tests/data/golden/peer_prepare.bin; } \
 *       > tests/fuzz/corpus/msg/peer_prepare
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "frame.h"
#include "peer_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* The decoders, by index; PEEK is ctl_request_peek_serial(). */
#define PEEK 0
static const uint16_t decoders[] = {
	FRAME_CTL_REQUEST,	  /* 0 */
	FRAME_CTL_REPLY,	  /* 1 */
	FRAME_CTL_EVENT,	  /* 2 */
	FRAME_PEER_HELLO,	  /* 3 */
	FRAME_PEER_PING,	  /* 4 */
	FRAME_PEER_PONG,	  /* 5 */
	FRAME_PEER_PREPARE,	  /* 6 */
	FRAME_PEER_PREPARE_REPLY, /* 7 */
	FRAME_PEER_SWITCHOVER,	  /* 8 */
	FRAME_PEER_LOADED,	  /* 9 */
	FRAME_PEER_LOAD_FAILED,	  /* 10 */
	FRAME_PEER_COMMIT,	  /* 11 */
	FRAME_PEER_COMMIT_ACK,	  /* 12 */
	FRAME_PEER_ABORT,	  /* 13 */
	FRAME_PEER_RESUMED,	  /* 14 */
	FRAME_STREAM_HELLO,	  /* 15 */
	FRAME_STREAM_ACK,	  /* 16 */
	FRAME_STREAM_END,	  /* 17 */
	PEEK,			  /* 18 */
};

#define N_DECODERS (sizeof(decoders) / sizeof(decoders[0]))

static void check_decode_error(int r)
{
	CHECK(r == -EBADMSG || r == -EPROTO || r == -EMSGSIZE || r == -ENOBUFS || r == -EOPNOTSUPP);
}

/*
 * The second encoding (of what the first one decodes to) must equal the first. The first
 * may be refused only for size: canonical re-encoding can add a few bytes of explicit
 * defaults to a body that was at its cap.
 */
static void check_stable(uint16_t type, uint8_t *buf1, size_t len1, int r1, uint8_t *buf2,
			 size_t len2, int r2)
{
	CHECK(r1 == 0 || r1 == -EMSGSIZE);
	if (r1 == 0) {
		CHECK(r2 == 0);
		CHECK(len1 == len2 && memcmp(buf1, buf2, len1) == 0);
		CHECK(buf1[4] == (uint8_t)(type >> 8) && buf1[5] == (uint8_t)type);
	}
	free(buf1);
	free(buf2);
}

static void fuzz_request(const uint8_t *body, size_t len)
{
	struct ctl_request a, b;
	uint8_t *buf1 = NULL, *buf2 = NULL;
	size_t len1 = 0, len2 = 0;
	int r1, r2 = -1;

	r1 = ctl_request_decode(body, len, &a);
	if (r1 < 0) {
		check_decode_error(r1);
		return;
	}
	r1 = ctl_request_encode(&a, &buf1, &len1);
	if (r1 == 0) {
		CHECK(ctl_request_decode(buf1 + FRAME_HDR_LEN, len1 - FRAME_HDR_LEN, &b) == 0);
		r2 = ctl_request_encode(&b, &buf2, &len2);
		ctl_request_clear(&b);
	}
	ctl_request_clear(&a);
	check_stable(FRAME_CTL_REQUEST, buf1, len1, r1, buf2, len2, r2);
}

static void fuzz_reply(const uint8_t *body, size_t len)
{
	struct ctl_reply a, b;
	uint8_t *buf1 = NULL, *buf2 = NULL;
	size_t len1 = 0, len2 = 0;
	int r1, r2 = -1;

	r1 = ctl_reply_decode(body, len, &a);
	if (r1 < 0) {
		check_decode_error(r1);
		return;
	}
	r1 = ctl_reply_encode(&a, &buf1, &len1);
	if (r1 == 0) {
		CHECK(ctl_reply_decode(buf1 + FRAME_HDR_LEN, len1 - FRAME_HDR_LEN, &b) == 0);
		r2 = ctl_reply_encode(&b, &buf2, &len2);
		ctl_reply_clear(&b);
	}
	ctl_reply_clear(&a);
	check_stable(FRAME_CTL_REPLY, buf1, len1, r1, buf2, len2, r2);
}

static void fuzz_event(const uint8_t *body, size_t len)
{
	struct ctl_event a, b;
	uint8_t *buf1 = NULL, *buf2 = NULL;
	size_t len1 = 0, len2 = 0;
	int r1, r2 = -1;

	r1 = ctl_event_decode(body, len, &a);
	if (r1 < 0) {
		check_decode_error(r1);
		return;
	}
	r1 = ctl_event_encode(&a, &buf1, &len1);
	if (r1 == 0) {
		CHECK(ctl_event_decode(buf1 + FRAME_HDR_LEN, len1 - FRAME_HDR_LEN, &b) == 0);
		r2 = ctl_event_encode(&b, &buf2, &len2);
	}
	check_stable(FRAME_CTL_EVENT, buf1, len1, r1, buf2, len2, r2);
}

static void fuzz_peer(uint16_t type, const uint8_t *body, size_t len)
{
	struct peer_msg a, b;
	uint8_t *buf1 = NULL, *buf2 = NULL;
	size_t len1 = 0, len2 = 0;
	int r1, r2 = -1;

	r1 = peer_msg_decode(type, body, len, &a);
	if (r1 < 0) {
		check_decode_error(r1);
		return;
	}
	CHECK(a.type == type);
	r1 = peer_msg_encode(&a, &buf1, &len1);
	if (r1 == 0) {
		CHECK(peer_msg_decode(type, buf1 + FRAME_HDR_LEN, len1 - FRAME_HDR_LEN, &b) == 0);
		r2 = peer_msg_encode(&b, &buf2, &len2);
		peer_msg_clear(&b);
	}
	peer_msg_clear(&a);
	check_stable(type, buf1, len1, r1, buf2, len2, r2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t type;
	uint32_t serial;
	int r;

	if (size < 1)
		return 0;
	type = decoders[data[0] % N_DECODERS];
	data++;
	size--;
	switch (type) {
	case PEEK:
		r = ctl_request_peek_serial(data, size, &serial);
		CHECK(r == 0 || r == -EBADMSG || r == -EMSGSIZE || r == -ENOBUFS);
		break;
	case FRAME_CTL_REQUEST:
		fuzz_request(data, size);
		break;
	case FRAME_CTL_REPLY:
		fuzz_reply(data, size);
		break;
	case FRAME_CTL_EVENT:
		fuzz_event(data, size);
		break;
	default:
		fuzz_peer(type, data, size);
		break;
	}
	return 0;
}
