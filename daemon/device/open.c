/*
 * open.c - backend constructors by source, with one error sentence for every failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "open.h"
#include "sim.h"
#include "vfio.h"

static int open_sim(const char *id, const char *spec, struct backend **ret, char *err,
		    size_t errlen)
{
	struct sim_config cfg;
	const char *why = NULL;
	int r;

	sim_config_init(&cfg);
	r = sim_config_parse(spec ? spec : "", &cfg, &why);
	if (r < 0) {
		snprintf(err, errlen, "device %s: bad sim spec '%s': %s", id, spec ? spec : "",
			 why ? why : "invalid");
		return r;
	}
	r = sim_new(id, &cfg, ret);
	if (r < 0)
		snprintf(err, errlen, "device %s: cannot create the sim device: %s", id,
			 strerror(-r));
	return r;
}

static int open_backend(const char *id, enum open_source source, const char *arg, int fd,
			struct backend **ret, char *err, size_t errlen)
{
	int r;

	switch (source) {
	case OPEN_SIM:
		return open_sim(id, arg, ret, err, errlen);
	case OPEN_VFIO:
		r = vfio_open(arg ? arg : "", NULL, ret);
		break;
	case OPEN_FD:
		r = vfio_adopt_fd(fd, arg && *arg ? arg : id, NULL, ret);
		break;
	default:
		snprintf(err, errlen, "device %s: unknown device source %d", id, (int)source);
		return -EINVAL;
	}
	if (r < 0)
		snprintf(err, errlen, "device %s: %s", id, vfio_last_error());
	return r;
}

int open_device(const char *id, enum open_source source, const char *arg, int fd,
		struct device **ret, char *err, size_t errlen)
{
	struct backend *b = NULL;
	int r;

	if (!device_id_valid(id)) {
		if (source == OPEN_FD && fd >= 0)
			close(fd);
		snprintf(err, errlen,
			 "'%s' is not a valid device id (1-%d characters of A-Z a-z 0-9 . _ : -)",
			 id, DEVICE_ID_MAX);
		return -EINVAL;
	}
	r = open_backend(id, source, arg, fd, &b, err, errlen);
	if (r < 0)
		return r;
	r = device_new(id, b, ret);
	if (r == -ENOTSUP)
		snprintf(err, errlen,
			 "device %s: the driver reports no usable migration support "
			 "(STOP_COPY is required)",
			 id);
	else if (r < 0 && source != OPEN_SIM)
		snprintf(err, errlen, "device %s: %s", id,
			 *vfio_last_error() ? vfio_last_error() : strerror(-r));
	else if (r < 0)
		snprintf(err, errlen, "device %s: %s", id, strerror(-r));
	return r;
}
