/*
 * proto.c - the stable error codes: names, the errno mapping both ways, and building a
 * structured error that is always encodable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "proto.h"

/*
 * Code <-> errno. The errno column is what libvfiomig returns for the code, and the code
 * the daemon reports for that errno; the extra errno values below map onto a code too.
 */
static const struct {
	const char *name;
	int err;
} codes[PROTO_ERR_COUNT] = {
	[PROTO_ERR_OK] = { "OK", 0 },
	[PROTO_ERR_INVALID_ARGUMENT] = { "INVALID_ARGUMENT", EINVAL },
	[PROTO_ERR_NOT_FOUND] = { "NOT_FOUND", ENOENT },
	[PROTO_ERR_ALREADY_EXISTS] = { "ALREADY_EXISTS", EEXIST },
	[PROTO_ERR_BUSY] = { "BUSY", EBUSY },
	[PROTO_ERR_PERMISSION_DENIED] = { "PERMISSION_DENIED", EACCES },
	[PROTO_ERR_INCOMPATIBLE] = { "INCOMPATIBLE", EPROTONOSUPPORT },
	[PROTO_ERR_TOKEN_INVALID] = { "TOKEN_INVALID", EKEYREJECTED },
	[PROTO_ERR_TOKEN_EXPIRED] = { "TOKEN_EXPIRED", EKEYEXPIRED },
	[PROTO_ERR_PEER_UNREACHABLE] = { "PEER_UNREACHABLE", EHOSTUNREACH },
	[PROTO_ERR_TLS_FAILED] = { "TLS_FAILED", ECONNABORTED },
	[PROTO_ERR_TIMEOUT] = { "TIMEOUT", ETIMEDOUT },
	[PROTO_ERR_CANCELLED] = { "CANCELLED", ECANCELED },
	[PROTO_ERR_DEVICE_FAILED] = { "DEVICE_FAILED", EIO },
	[PROTO_ERR_INTEGRITY] = { "INTEGRITY", EILSEQ },
	[PROTO_ERR_PROTOCOL] = { "PROTOCOL", EPROTO },
	[PROTO_ERR_INTERNAL] = { "INTERNAL", ENOTRECOVERABLE },
	[PROTO_ERR_UNSUPPORTED] = { "UNSUPPORTED", EOPNOTSUPP },
	[PROTO_ERR_RESOURCE_EXHAUSTED] = { "RESOURCE_EXHAUSTED", ENOSPC },
};

/* Further errno values the daemon's layers return, and the code each one means. */
static const struct {
	int err;
	uint32_t code;
} aliases[] = {
	{ EPERM, PROTO_ERR_PERMISSION_DENIED },
	{ ENODEV, PROTO_ERR_NOT_FOUND },
	{ ESRCH, PROTO_ERR_NOT_FOUND },
	{ ENXIO, PROTO_ERR_NOT_FOUND },
	{ EAGAIN, PROTO_ERR_BUSY },
	{ EALREADY, PROTO_ERR_BUSY },
	{ ECONNREFUSED, PROTO_ERR_PEER_UNREACHABLE },
	{ ECONNRESET, PROTO_ERR_PEER_UNREACHABLE },
	{ ENETUNREACH, PROTO_ERR_PEER_UNREACHABLE },
	{ EPIPE, PROTO_ERR_PEER_UNREACHABLE },
	{ ENOTCONN, PROTO_ERR_PEER_UNREACHABLE },
	{ EHOSTDOWN, PROTO_ERR_PEER_UNREACHABLE },
	{ EBADMSG, PROTO_ERR_PROTOCOL },
	{ EMSGSIZE, PROTO_ERR_PROTOCOL },
	{ ENOSYS, PROTO_ERR_UNSUPPORTED },
	{ ENOMEM, PROTO_ERR_RESOURCE_EXHAUSTED },
	{ ENOBUFS, PROTO_ERR_RESOURCE_EXHAUSTED },
	{ EMFILE, PROTO_ERR_RESOURCE_EXHAUSTED },
	{ ENFILE, PROTO_ERR_RESOURCE_EXHAUSTED },
	{ EDQUOT, PROTO_ERR_RESOURCE_EXHAUSTED },
	{ ERANGE, PROTO_ERR_INVALID_ARGUMENT },
	{ E2BIG, PROTO_ERR_INVALID_ARGUMENT },
	{ EKEYREVOKED, PROTO_ERR_TOKEN_INVALID },
};

const char *proto_err_name(uint32_t code)
{
	return code < PROTO_ERR_COUNT ? codes[code].name : "UNKNOWN";
}

uint32_t proto_err_from_errno(int err)
{
	if (err < 0)
		err = -err;
	for (uint32_t c = 0; c < PROTO_ERR_COUNT; c++)
		if (codes[c].err == err)
			return c;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (aliases[i].err == err)
			return aliases[i].code;
	return PROTO_ERR_INTERNAL;
}

int proto_err_to_errno(uint32_t code)
{
	/* a newer peer's code we cannot name: a failure on the far side */
	if (code >= PROTO_ERR_COUNT)
		return -EREMOTEIO;
	return -codes[code].err;
}

/*
 * Makes s an acceptable error message in place: control characters become spaces and bytes
 * that are not valid UTF-8 become '?'.
 */
static void sanitize_text(char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = codec_utf8_char_len((const uint8_t *)s + i, len - i);

		if (n == 0) {
			s[i++] = '?';
			continue;
		}
		if (n == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f))
			s[i] = ' ';
		i += n;
	}
}

/* After truncation to len bytes: drops a multi-byte character cut at the end. */
static void drop_cut_char(char *s, size_t len)
{
	size_t start = len;

	while (start > 0 && len - start < 3 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (start > 0 && (unsigned char)s[start - 1] >= 0xc0 &&
	    codec_utf8_char_len((const uint8_t *)s + start - 1, len - start + 1) == 0)
		s[start - 1] = '\0';
}

void proto_error_set(struct proto_error *e, uint32_t code, const char *device, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(e, 0, sizeof(*e));
	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->message[0] = '\0';
	else if ((size_t)n >= sizeof(e->message))
		drop_cut_char(e->message, sizeof(e->message) - 1);
	sanitize_text(e->message);
	if (device && codec_text_ok(device, PROTO_ID_MAX, CODEC_ID))
		strcpy(e->device, device);
}
