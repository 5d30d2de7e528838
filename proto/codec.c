/*
 * codec.c - packing and budgeted unpacking of protobuf-c messages, the wire scan, string
 * classes, error conversion, and the per-thread last-failure text. See codec.h.
 *
 * Threading: everything here is reentrant; the last-failure text is thread-local.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "frame.h"

static __thread char last_error[512];

const char *proto_last_error(void)
{
	return last_error;
}

int codec_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

int codec_prefix(int err, const char *fmt, ...)
{
	char ctx[128];
	size_t n, len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	/* "<ctx>.<old>", the old text cut at the end if the whole does not fit */
	n = strlen(ctx);
	len = strlen(last_error);
	if (n + 1 + len >= sizeof(last_error))
		len = sizeof(last_error) - n - 2;
	memmove(last_error + n + 1, last_error, len);
	memcpy(last_error, ctx, n);
	last_error[n] = '.';
	last_error[n + 1 + len] = '\0';
	return err;
}

int codec_encode_err(int r)
{
	return r == -EPROTO ? -EINVAL : r;
}

/* ---- allocation budget ---- */

struct budget {
	size_t left;
	bool exceeded; /* an allocation was refused for the budget */
	bool nomem;    /* malloc itself failed */
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	void *p;

	if (size > b->left) {
		b->exceeded = true;
		return NULL;
	}
	p = malloc(size ? size : 1);
	if (!p) {
		b->nomem = true;
		return NULL;
	}
	b->left -= size;
	return p;
}

static void budget_free(void *data, void *p)
{
	free(p);
}

/* ---- wire scan ---- */

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*p == end)
			return -EBADMSG;
		b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EBADMSG;
}

/* Skips or inspects one length-delimited field: strings must not hold NUL bytes. */
static int scan(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
		unsigned int depth);

static int scan_delimited(const ProtobufCMessageDescriptor *d, uint32_t num, const uint8_t *p,
			  size_t len, unsigned int depth)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, num);

	if (!f)
		return 0;
	if (f->type == PROTOBUF_C_TYPE_STRING && memchr(p, '\0', len))
		return codec_fail(-EBADMSG, "%s.%s: string holds a NUL byte", d->short_name,
				  f->name);
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		if (depth >= CODEC_DEPTH_MAX)
			return codec_fail(-EBADMSG, "%s: nested too deep", d->short_name);
		return scan(f->descriptor, p, len, depth + 1);
	}
	return 0;
}

static int scan(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
		unsigned int depth)
{
	const uint8_t *end = p + len;
	uint64_t tag, v;
	int r;

	while (p < end) {
		if (read_varint(&p, end, &tag) < 0 || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
			return codec_fail(-EBADMSG, "%s: bad field tag", d->short_name);
		switch (tag & 7) {
		case 0:
			if (read_varint(&p, end, &v) < 0)
				return codec_fail(-EBADMSG, "%s: bad varint", d->short_name);
			break;
		case 1:
		case 5:
			v = (tag & 7) == 1 ? 8 : 4;
			if ((size_t)(end - p) < v)
				return codec_fail(-EBADMSG, "%s: truncated field", d->short_name);
			p += v;
			break;
		case 2:
			if (read_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
				return codec_fail(-EBADMSG, "%s: bad length", d->short_name);
			r = scan_delimited(d, (uint32_t)(tag >> 3), p, (size_t)v, depth);
			if (r < 0)
				return r;
			p += v;
			break;
		default:
			return codec_fail(-EBADMSG, "%s: unsupported wire type %u", d->short_name,
					  (unsigned int)(tag & 7));
		}
	}
	return 0;
}

/* ---- pack and unpack ---- */

int codec_pack(const ProtobufCMessage *m, uint16_t type, uint8_t **ret_buf, size_t *ret_len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf;
	int r;

	if (n > frame_type_cap(type))
		return codec_fail(-EMSGSIZE, "%s: %zu bytes encoded, the frame cap is %u",
				  frame_type_name(type), n, frame_type_cap(type));
	buf = malloc(FRAME_HDR_LEN + n);
	if (!buf)
		return codec_fail(-ENOMEM, "%s: out of memory", frame_type_name(type));
	r = frame_header_encode(type, n, buf);
	if (r < 0) {
		free(buf);
		return codec_fail(r, "%s: cannot frame %zu bytes", frame_type_name(type), n);
	}
	protobuf_c_message_pack(m, buf + FRAME_HDR_LEN);
	*ret_buf = buf;
	*ret_len = FRAME_HDR_LEN + n;
	return 0;
}

int codec_unpack(const ProtobufCMessageDescriptor *d, uint16_t type, const uint8_t *buf, size_t len,
		 ProtobufCMessage **ret)
{
	static const uint8_t empty[1];
	uint32_t cap = frame_type_cap(type);
	struct budget b = { 0 };
	ProtobufCAllocator a = { budget_alloc, budget_free, &b };
	ProtobufCMessage *m;
	int r;

	if (len > cap)
		return codec_fail(-EMSGSIZE, "%s: body of %zu bytes, at most %u",
				  frame_type_name(type), len, cap);
	if (!buf)
		buf = empty;
	r = scan(d, buf, len, 0);
	if (r < 0)
		return r;
	b.left = CODEC_BUDGET_BASE + CODEC_BUDGET_FACTOR * len;
	m = protobuf_c_message_unpack(d, &a, len, buf);
	if (!m) {
		if (b.nomem)
			return codec_fail(-ENOMEM, "%s: out of memory", d->short_name);
		if (b.exceeded)
			return codec_fail(-ENOBUFS, "%s: %zu-byte body needs more than %zu bytes",
					  d->short_name, len,
					  CODEC_BUDGET_BASE + CODEC_BUDGET_FACTOR * len);
		return codec_fail(-EBADMSG, "%s: not a valid encoding", d->short_name);
	}
	*ret = m;
	return 0;
}

void codec_free(void *m)
{
	/* budget_alloc hands out plain malloc() memory, so the default allocator frees it */
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- string classes ---- */

size_t codec_utf8_char_len(const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t n;

	if (len == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool is_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* True when s matches pat, where 'x' stands for a lower-case hex digit. */
static bool hex_pattern(const char *s, const char *pat)
{
	for (; *pat; s++, pat++) {
		if (*pat == 'x' ? !is_lhex(*s) : *s != *pat)
			return false;
	}
	return *s == '\0';
}

static bool class_ok(const char *s, size_t len, enum codec_class cls)
{
	switch (cls) {
	case CODEC_ID:
		return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789._:@-") == len;
	case CODEC_ASCII:
		for (size_t i = 0; i < len; i++)
			if (s[i] < 0x21 || s[i] > 0x7e)
				return false;
		return true;
	case CODEC_TEXT:
		for (size_t i = 0, n; i < len; i += n) {
			n = codec_utf8_char_len((const uint8_t *)s + i, len - i);
			if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
				return false;
		}
		return true;
	case CODEC_PCI:
		return hex_pattern(s, "xxxx:xx:xx.x") && strtoul(s + 8, NULL, 16) <= 0x1f &&
		       s[11] <= '7';
	case CODEC_UUID:
		return hex_pattern(s, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
	}
	return false;
}

static const char *class_name(enum codec_class cls)
{
	static const char *const names[] = {
		[CODEC_ID] = "id of [A-Za-z0-9._:@-]",
		[CODEC_TEXT] = "UTF-8 text without control characters",
		[CODEC_ASCII] = "printable ASCII without spaces",
		[CODEC_PCI] = "PCI address DDDD:BB:DD.F",
		[CODEC_UUID] = "lower-case UUID",
	};

	return names[cls];
}

bool codec_text_ok(const char *s, size_t max, enum codec_class cls)
{
	size_t len = strnlen(s, max + 1);

	return len <= max && (len == 0 || class_ok(s, len, cls));
}

int codec_str_check(const char *s, size_t max, enum codec_class cls, bool required,
		    const char *what)
{
	size_t len = s ? strnlen(s, max + 1) : 0;

	if (len == 0)
		return required ? codec_fail(-EPROTO, "%s: missing", what) : 0;
	if (len > max)
		return codec_fail(-EPROTO, "%s: longer than %zu bytes", what, max);
	if (!class_ok(s, len, cls))
		return codec_fail(-EPROTO, "%s: not %s", what, class_name(cls));
	return 0;
}

int codec_str_in(char *dst, size_t max, const char *src, enum codec_class cls, bool required,
		 const char *what)
{
	int r = codec_str_check(src, max, cls, required, what);

	if (r < 0)
		return r;
	if (src)
		strcpy(dst, src);
	else
		dst[0] = '\0';
	return 0;
}

int codec_str_out(char **dst, const char *src, size_t max, enum codec_class cls, bool required,
		  const char *what)
{
	int r = codec_str_check(src, max, cls, required, what);

	if (r < 0)
		return r;
	*dst = src[0] ? (char *)src : NULL;
	return 0;
}

char *codec_opt_str(const char *s)
{
	return s[0] ? (char *)s : NULL;
}

/* ---- scalars, bytes, errors ---- */

int codec_need(bool has, const char *what)
{
	return has ? 0 : codec_fail(-EPROTO, "%s: missing", what);
}

int codec_range(uint64_t v, uint64_t min, uint64_t max, const char *what)
{
	if (v < min || v > max)
		return codec_fail(-EPROTO, "%s: %llu is outside %llu..%llu", what,
				  (unsigned long long)v, (unsigned long long)min,
				  (unsigned long long)max);
	return 0;
}

int codec_enum_in(uint32_t *dst, protobuf_c_boolean has, int v, uint32_t max, const char *what)
{
	if (!has) {
		*dst = 0;
		return 0;
	}
	if (v < 0 || (uint32_t)v > max)
		return codec_fail(-EPROTO, "%s: %d is not a known value", what, v);
	*dst = (uint32_t)v;
	return 0;
}

int codec_bytes_in(uint8_t **dst, size_t *dst_len, ProtobufCBinaryData *src, size_t max,
		   const char *what)
{
	if (src->len > max)
		return codec_fail(-EPROTO, "%s: %zu bytes, at most %zu", what, src->len, max);
	*dst = NULL;
	*dst_len = src->len;
	if (src->len) {
		*dst = src->data;
		src->data = NULL;
		src->len = 0;
	}
	return 0;
}

int codec_distinct(const char *const *ids, size_t n, const char *what)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				return codec_fail(-EPROTO, "%s[%zu]: \"%s\" repeats [%zu]", what, i,
						  ids[i], j);
	return 0;
}

int codec_error_in(struct proto_error *dst, const Vmig__Error *src, const char *what)
{
	int r;

	memset(dst, 0, sizeof(*dst));
	if (!src)
		return 0;
	/* codes this build does not know are kept: a newer peer may send them */
	if (src->has_code && (int)src->code < 0)
		return codec_fail(-EPROTO, "%s.code: %d is negative", what, (int)src->code);
	dst->code = src->has_code ? (uint32_t)(int)src->code : PROTO_ERR_OK;
	r = codec_str_in(dst->message, PROTO_MESSAGE_MAX, src->message, CODEC_TEXT, false,
			 "message");
	if (r == 0)
		r = codec_str_in(dst->device, PROTO_ID_MAX, src->device, CODEC_ID, false, "device");
	return r < 0 ? codec_prefix(r, "%s", what) : 0;
}

int codec_error_out(Vmig__Error *dst, const struct proto_error *src, const char *what)
{
	int r;

	vmig__error__init(dst);
	if (src->code > INT32_MAX)
		return codec_fail(-EPROTO, "%s.code: %u is too large", what, src->code);
	dst->has_code = 1;
	dst->code = (Vmig__ErrorCode)src->code;
	r = codec_str_out(&dst->message, src->message, PROTO_MESSAGE_MAX, CODEC_TEXT, false,
			  "message");
	if (r == 0)
		r = codec_str_out(&dst->device, src->device, PROTO_ID_MAX, CODEC_ID, false,
				  "device");
	return r < 0 ? codec_prefix(r, "%s", what) : 0;
}

bool codec_error_set(const struct proto_error *e)
{
	return e->code != PROTO_ERR_OK || e->message[0] || e->device[0];
}
