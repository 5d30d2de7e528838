/*
 * vfio_err.c - thread-local last-error text for the vfio backend. No locking needed: each
 * thread has its own buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vfio_err.h"

static __thread char vfio_err_buf[512];

int vfio_err_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vfio_err_buf, sizeof(vfio_err_buf), fmt, ap);
	va_end(ap);
	return err;
}

const char *vfio_err_text(void)
{
	return vfio_err_buf;
}

const char *vfio_err_name(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	return name ? name : "E?";
}
