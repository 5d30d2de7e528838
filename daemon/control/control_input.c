/*
 * control_input.c - a client's input: one frame at a time, header first (checked with
 * frame_parse() before any body byte is buffered), then exactly the body, with the file
 * descriptors (SCM_RIGHTS) that arrive with the frame's bytes.
 *
 * Reads never cross the end of the current frame. A client attaches fds to the sendmsg that
 * starts a frame, and the kernel delivers them with the first recvmsg that returns bytes of
 * that sendmsg; since no read returns bytes of two frames, every fd received belongs to the
 * frame being read, and fds can never be credited to the wrong request.
 *
 * Memory: the body buffer grows with the bytes actually received, up to the frame's body
 * length, itself capped by frame_parse() (CTL_REQUEST: 4.25 MiB); at most PROTO_FDS_MAX fds
 * per frame (the control buffer holds no more; the kernel closes any excess and says so with
 * MSG_CTRUNC). Threading: the loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_int.h"

#define INPUT_KEEP ((size_t)64 << 10) /* body buffer kept between frames */

static uint32_t input_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t input_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Checks a complete header: a known, well-formed CTL_REQUEST within its cap. */
static int input_header(struct control_input *in, char *why, size_t whylen)
{
	uint32_t len = input_be32(in->hdr);
	uint16_t type = input_be16(in->hdr + 4), flags = input_be16(in->hdr + 6);
	int r = frame_parse(in->hdr, FRAME_HDR_LEN, &in->view);

	if (r == -EMSGSIZE) {
		snprintf(why, whylen,
			 "frame body of %u bytes is above the %u-byte cap of %s frames", len,
			 frame_type_cap(type), frame_type_name(type));
		return r;
	}
	if (r < 0 && frame_type_link(type) == FRAME_LINK_NONE) {
		snprintf(why, whylen, "unknown frame type 0x%04x", type);
		return -EPROTO;
	}
	if (r < 0) {
		snprintf(why, whylen, "%s frame with flags 0x%04x (must be 0)",
			 frame_type_name(type), flags);
		return -EPROTO;
	}
	if (type != FRAME_CTL_REQUEST) {
		snprintf(why, whylen, "a %s frame (type 0x%04x); clients may only send CTL_REQUEST",
			 frame_type_name(type), type);
		return -EPROTO;
	}
	return 0;
}

/* Keeps the fds of one SCM_RIGHTS message; returns false when there were too many. */
static bool input_take_fds(struct control_input *in, struct cmsghdr *cm)
{
	size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	const unsigned char *p = CMSG_DATA(cm);
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(int));
		if (in->n_fds < PROTO_FDS_MAX) {
			in->fds[in->n_fds++] = fd;
		} else {
			close(fd);
			ok = false;
		}
	}
	return ok;
}

/* recvmsg into dst, collecting fds. Returns bytes, 0 at EOF, or -errno with why. */
static ssize_t input_recv(struct control_input *in, int fd, void *dst, size_t want, char *why,
			  size_t whylen)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
	} ctl;
	struct iovec iov = { .iov_base = dst, .iov_len = want };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	bool ok = true;
	ssize_t n;

	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0) {
		snprintf(why, whylen, "read: %s", strerror(errno));
		return -errno;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			ok = input_take_fds(in, cm) && ok;
	if (!ok || (msg.msg_flags & MSG_CTRUNC)) {
		snprintf(why, whylen, "more than %d file descriptors came with one frame",
			 PROTO_FDS_MAX);
		return -EMSGSIZE;
	}
	return n;
}

/* Where the next bytes go and how many; grows the body buffer as they arrive. */
static int input_window(struct control_input *in, uint8_t **dst, size_t *want)
{
	size_t total = in->view.body_len;

	if (in->hdr_len < FRAME_HDR_LEN) {
		*dst = in->hdr + in->hdr_len;
		*want = FRAME_HDR_LEN - in->hdr_len;
		return 0;
	}
	if (in->body_len == in->body_cap) {
		size_t cap = in->body_cap ? 2 * in->body_cap : INPUT_KEEP;
		uint8_t *p;

		cap = cap < total ? cap : total;
		p = realloc(in->body, cap);
		if (!p)
			return -ENOMEM;
		in->body = p;
		in->body_cap = cap;
	}
	*dst = in->body + in->body_len;
	*want = (total < in->body_cap ? total : in->body_cap) - in->body_len;
	return 0;
}

static bool input_complete(const struct control_input *in)
{
	return in->hdr_len == FRAME_HDR_LEN && in->body_len == in->view.body_len;
}

/* EOF: clean at a frame boundary, an error inside a frame. */
static int input_eof(const struct control_input *in, char *why, size_t whylen)
{
	if (in->hdr_len == 0 && in->n_fds == 0)
		return CONTROL_INPUT_EOF;
	if (in->hdr_len < FRAME_HDR_LEN)
		snprintf(why, whylen,
			 "connection closed inside a frame header (%zu of %d bytes, %u fds)",
			 in->hdr_len, FRAME_HDR_LEN, in->n_fds);
	else
		snprintf(why, whylen,
			 "connection closed inside a %s frame (%zu of %u body bytes, %u fds)",
			 frame_type_name(in->view.type), in->body_len, in->view.body_len,
			 in->n_fds);
	return -EPIPE;
}

int control_input_read(struct control_input *in, int fd, char *why, size_t whylen)
{
	for (;;) {
		uint8_t *dst;
		size_t want;
		ssize_t n;
		int r;

		if (in->hdr_len == FRAME_HDR_LEN && input_complete(in))
			return CONTROL_INPUT_FRAME;
		r = input_window(in, &dst, &want);
		if (r < 0) {
			snprintf(why, whylen, "out of memory for a %u-byte request",
				 in->view.body_len);
			return r;
		}
		n = input_recv(in, fd, dst, want, why, whylen);
		if (n == -EAGAIN || n == -EINTR)
			return CONTROL_INPUT_AGAIN;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return input_eof(in, why, whylen);
		if (in->hdr_len < FRAME_HDR_LEN) {
			in->hdr_len += (size_t)n;
			if (in->hdr_len == FRAME_HDR_LEN && (r = input_header(in, why, whylen)) < 0)
				return r;
		} else {
			in->body_len += (size_t)n;
		}
	}
}

void control_input_close_fds(struct control_input *in)
{
	for (unsigned int i = 0; i < in->n_fds; i++)
		close(in->fds[i]);
	in->n_fds = 0;
}

void control_input_next(struct control_input *in)
{
	control_input_close_fds(in);
	in->hdr_len = 0;
	in->body_len = 0;
	memset(&in->view, 0, sizeof(in->view));
	if (in->body_cap > INPUT_KEEP) {
		free(in->body);
		in->body = NULL;
		in->body_cap = 0;
	}
}

void control_input_free(struct control_input *in)
{
	control_input_close_fds(in);
	free(in->body);
	in->body = NULL;
	in->body_cap = in->body_len = in->hdr_len = 0;
}
