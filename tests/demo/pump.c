/*
 * pump.c - see pump.h.
 */
#include <errno.h>

#include "pump.h"

static int pump_write_all(struct pump *p, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = backend_stream_write(device_backend(p->dst), data, len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int pump_run(struct pump *p)
{
	for (;;) {
		ssize_t n = backend_stream_read(device_backend(p->src), p->buf, p->len);
		int r;

		if (n == -ENOMSG)
			return 1;
		if (n <= 0)
			return (int)n;
		r = pump_write_all(p, p->buf, (size_t)n);
		if (r < 0)
			return r;
		p->bytes += (uint64_t)n;
	}
}
