/*
 * ctlprobe.h - what ctlprobe.c (transport, device and peer operations) and ctlprobe_job.c
 * (the migration job operations and events) share.
 */
#ifndef VFIO_MIGD_TESTS_CTLPROBE_H
#define VFIO_MIGD_TESTS_CTLPROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"

/* The key=value arguments after the operation. */
struct args {
	int n;
	char **v;
};

/* Prints "ctlprobe: ..." and exits 2. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The value of key, or NULL. */
const char *arg(const struct args *a, const char *key);
/* Dies unless every argument is one of the allowed keys (NULL-terminated). */
void args_check(const struct args *a, const char *const *allowed);
/* The value of key, dying when it is missing or empty. */
const char *arg_need(const struct args *a, const char *key);
uint32_t arg_u32(const struct args *a, const char *key, uint32_t dflt);
/* Copies src into dst[size], dying when it does not fit. */
void copy(char *dst, size_t size, const char *src, const char *key);

/* Builds a job operation's request; false when op is not one. */
bool probe_build_job(const char *op, const struct args *a, struct ctl_request *q);
/* Prints a job result (prepare, migrate, job, job list); false when r is not one. */
bool probe_print_job_result(const struct ctl_reply *r);
/* Prints one event as one "event seq=..." line. */
void probe_print_event(const struct ctl_event *ev);

#endif
