/*
 * vfio_err.h - the text of the last vfio backend failure, per thread.
 *
 * Every failing path of the vfio backend records one sentence naming the device, what failed
 * and what to do ("0000:01:00.0: no IOMMU group (...)"); vfio_last_error() in vfio.h hands
 * it out. The text stays until the next failure on the same thread.
 */
#ifndef VFIO_MIGD_DEVICE_VFIO_ERR_H
#define VFIO_MIGD_DEVICE_VFIO_ERR_H

/* Records the message and returns err (a -errno) so callers can "return vfio_err_set(...)". */
int vfio_err_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread, "" if none. */
const char *vfio_err_text(void);

/* The errno's symbolic name ("ENOTTY") for an -errno or errno value; "E?" if unknown. */
const char *vfio_err_name(int err);

#endif
