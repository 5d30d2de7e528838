/*
 * test_vfio_util.h - helpers shared by the vfio backend's unit tests (test_vfio_open.c,
 * test_vfio_mig.c, test_vfio_misc.c): the devices the fake kernel (fake_vfio.h) models, and
 * one-line ways to open, probe and drive a backend. Every helper fails the running Check test
 * when a step it relies on fails, so the tests read as a list of expectations.
 *
 * Short unprefixed names, like sim_helpers.h: the vocabulary of the tests, not an API.
 */
#ifndef VFIO_MIGD_TEST_VFIO_UTIL_H
#define VFIO_MIGD_TEST_VFIO_UTIL_H

#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "fake_vfio.h"
#include "fsm.h"
#include "vfio.h"

/* Fails the test unless expr is 0, naming it, its errno and vfio_last_error(). */
#define OK(expr)                                                                              \
	do {                                                                                  \
		int ok_r_ = (int)(expr);                                                      \
		ck_assert_msg(ok_r_ == 0, "%s = %d (%s): %s", #expr, ok_r_, strerror(-ok_r_), \
			      vfio_last_error());                                             \
	} while (0)

#define PCI61  "0000:01:00.0"
#define PCINEW "0000:03:00.0"
#define MDEV   "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

/* A vfio-pci variant driver device on Debian 12's 6.1: STOP_COPY|P2P, no MIG_DATA_SIZE. */
struct fake_vfio_dev *add_pci61(void);

/* A device on a newer kernel: PRE_COPY too, MIG_DATA_SIZE, ENOMSG at a pre-copy pause. */
struct fake_vfio_dev *add_pcinew(void);

/* mtty (6.7 style): PRE_COPY, returns 0 at a pre-copy pause, no-op DMA logging. */
struct fake_vfio_dev *add_mdev(void);

/* vfio_open(name) that must succeed; the backend. */
struct backend *open_ok(const char *name);

/* open_ok(name), then a backend_probe() into *caps that must succeed. */
struct backend *probe_ok(const char *name, struct backend_caps *caps);

/* Ends a test's fake kernel: no fd may be left open, then fake_vfio_fini(). */
void finish(void);

/* backend_set_state(target) that must succeed and report opened as given. */
void set_ok(struct backend *b, enum fsm_state target, bool opened);

#endif
