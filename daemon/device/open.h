/*
 * open.h - makes a device from what an operator or orchestrator names: a sim spec, a VFIO
 * path, PCI address or mdev UUID, or a device fd handed over by SCM_RIGHTS.
 *
 * The one place that knows every backend's constructor, so the configuration (devices owned at
 * start) and the control socket (device add) make devices the same way and report the same
 * errors. Blocking (opening a VFIO device can take a while): call it where that is acceptable.
 */
#ifndef VFIO_MIGD_DEVICE_OPEN_H
#define VFIO_MIGD_DEVICE_OPEN_H

#include <stddef.h>

#include "device.h"

enum open_source {
	OPEN_SIM = 1,  /* arg: sim spec, "size=256M,flags=..." */
	OPEN_VFIO = 2, /* arg: PCI address, mdev UUID, /dev/vfio/N[:dev], /dev/vfio/devices/vfioX */
	OPEN_FD = 3,   /* fd: a VFIO device fd; arg: a label (PCI address or UUID when known) */
};

/*
 * Opens and probes a device called id. Takes ownership of fd (OPEN_FD; -1 otherwise), also on
 * failure. Returns 0 and *ret, or -errno with err holding one sentence naming the device, what
 * failed and what to do: -EINVAL (bad id or spec), -ENOTSUP (no usable migration support),
 * or the backend's error.
 */
int open_device(const char *id, enum open_source source, const char *arg, int fd,
		struct device **ret, char *err, size_t errlen);

#endif
