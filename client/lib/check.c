/*
 * check.c - argument checks made before a request is built, so that a bad argument costs
 * no round trip and its error names the argument (-EINVAL, recorded as the client's last
 * error). The daemon checks everything again; these checks only mirror the schema's limits
 * (proto/proto.h). Threading: per client.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int check_flags(struct vfiomig_client *c, uint32_t flags)
{
	if (flags)
		return error_set(c, -EINVAL, "flags 0x%x: no flags are defined, pass 0", flags);
	return 0;
}

int check_id_syntax(const char *id)
{
	size_t len;

	if (!id)
		return -EINVAL;
	len = strlen(id);
	if (len == 0 || len > PROTO_ID_MAX)
		return -EINVAL;
	if (strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") !=
	    len)
		return -EINVAL;
	return 0;
}

int check_id(struct vfiomig_client *c, char *dst, const char *id, const char *what)
{
	if (!id)
		return error_set(c, -EINVAL, "%s: missing (NULL)", what);
	if (check_id_syntax(id) < 0)
		return error_set(
			c, -EINVAL,
			"%s '%.80s': an id is 1..%d bytes of letters, digits and . _ : @ -", what,
			id, PROTO_ID_MAX);
	memcpy(dst, id, strlen(id) + 1);
	return 0;
}

int check_text(struct vfiomig_client *c, char *dst, const char *s, size_t max, bool required,
	       const char *what)
{
	size_t len = s ? strlen(s) : 0;

	if (required && len == 0)
		return error_set(c, -EINVAL, "%s: missing or empty", what);
	if (len > max)
		return error_set(c, -EINVAL, "%s: %zu bytes, at most %zu", what, len, max);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return error_set(c, -EINVAL, "%s: control character at byte %zu", what, i);
	memcpy(dst, s ? s : "", len + 1);
	return 0;
}

int check_job(struct vfiomig_client *c, uint64_t job_id)
{
	if (job_id == 0)
		return error_set(c, -EINVAL, "job id 0: job ids start at 1");
	return 0;
}
