/*
 * error.c - errors: vfiomig_strerror(), the daemon's error code names and errno mapping,
 * and the structured error of the last failed call on a client.
 *
 * A client keeps one struct proto_error: the daemon's code, message and device for a
 * refused request, or code OK with the library's own sentence for a failure found before
 * or outside the daemon (bad argument, lost connection, timeout). Not here: argument
 * checks (check.c). Threading: per client; vfiomig_strerror() returns static text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

VFIOMIG_EXPORT const char *vfiomig_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	/* strerrordesc_np: static text, no locale, thread-safe (glibc >= 2.32) */
	s = strerrordesc_np(err);
	return s ? s : "Unknown error";
}

VFIOMIG_EXPORT const char *vfiomig_error_name(uint32_t code)
{
	return proto_err_name(code);
}

VFIOMIG_EXPORT int vfiomig_error_to_errno(uint32_t code)
{
	return proto_err_to_errno(code);
}

VFIOMIG_EXPORT uint32_t vfiomig_last_error_code(const struct vfiomig_client *c)
{
	return c ? c->last_error.code : VFIOMIG_ERR_OK;
}

VFIOMIG_EXPORT const char *vfiomig_last_error_name(const struct vfiomig_client *c)
{
	return vfiomig_error_name(vfiomig_last_error_code(c));
}

VFIOMIG_EXPORT const char *vfiomig_last_error_message(const struct vfiomig_client *c)
{
	return c ? c->last_error.message : "";
}

VFIOMIG_EXPORT const char *vfiomig_last_error_device(const struct vfiomig_client *c)
{
	return c ? c->last_error.device : "";
}

VFIOMIG_EXPORT void vfiomig_clear_error(struct vfiomig_client *c)
{
	if (c)
		memset(&c->last_error, 0, sizeof(c->last_error));
}

int error_set(struct vfiomig_client *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (!c)
		return err;
	memset(&c->last_error, 0, sizeof(c->last_error));
	va_start(ap, fmt);
	vsnprintf(c->last_error.message, sizeof(c->last_error.message), fmt, ap);
	va_end(ap);
	return err;
}

void error_from_result(struct vfiomig_client *c, const struct vfiomig_result *res)
{
	if (res->status >= 0)
		return;
	c->last_error = res->error;
	if (!c->last_error.message[0])
		snprintf(c->last_error.message, sizeof(c->last_error.message), "%s: %s",
			 ctl_request_op_name(res->op), vfiomig_strerror(res->status));
}
