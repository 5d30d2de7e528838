/*
 * libtest.h - what the libvfiomig test driver's files share: the check macros (a failed
 * check prints file, line, the expression, the library's last error, and exits 1) and the
 * scenarios each file implements. The driver uses only the public vfiomig.h.
 */
#ifndef VFIO_MIGD_TESTS_LIBTEST_H
#define VFIO_MIGD_TESTS_LIBTEST_H

#include <stdint.h>

#include "vfiomig.h"

/* Prints the failure (with c's last error when c is not NULL) and exits 1. */
void lt_fail(const char *file, int line, struct vfiomig_client *c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

/* CHECK(c, cond, fmt, ...): fails the test unless cond. */
#define CHECK(c, cond, ...)                                                \
	do {                                                               \
		if (!(cond))                                               \
			lt_fail(__FILE__, __LINE__, (c),                   \
				"check '" #cond "' failed: " __VA_ARGS__); \
	} while (0)

/* EXPECT_RC(c, expr, want): the call returned exactly want. */
#define EXPECT_RC(c, expr, want)                                                                  \
	do {                                                                                      \
		int rc_ = (expr);                                                                 \
		if (rc_ != (want))                                                                \
			lt_fail(__FILE__, __LINE__, (c), "%s returned %d (%s), expected %d (%s)", \
				#expr, rc_, vfiomig_strerror(rc_), (want),                        \
				vfiomig_strerror(want));                                          \
	} while (0)

/* OK(c, expr): the call succeeded (>= 0). */
#define OK(c, expr)                                                                        \
	do {                                                                               \
		int rc_ = (expr);                                                          \
		if (rc_ < 0)                                                               \
			lt_fail(__FILE__, __LINE__, (c), "%s failed: %d (%s)", #expr, rc_, \
				vfiomig_strerror(rc_));                                    \
	} while (0)

/* Logs a progress line to stdout. */
void lt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A connected client or the test fails. */
struct vfiomig_client *lt_connect(const char *path);
/* Monotonic milliseconds. */
int64_t lt_now_ms(void);
/* Runs vfiomig_process() on c until *done (a callback counter) reaches at_least; fails after 5 s. */
void lt_process_until(struct vfiomig_client *c, const int *done, int at_least);
/* The destination daemon's first peer listen address. */
void lt_listen_addr(struct vfiomig_client *c, char *buf, size_t size);
/* The device's digest as hex; fails unless it has one. */
void lt_digest(struct vfiomig_client *c, const char *id, char hex[2 * VFIOMIG_DIGEST_LEN + 1]);
/* Polls job_status until the job is in phase (or fails after timeout_ms). */
void lt_wait_phase(struct vfiomig_client *c, uint64_t job, uint32_t phase, int timeout_ms);

/* The fake daemon (libtest.c): a listening UNIX socket at path, or the test fails. */
int lt_fake_listen(const char *path);
/* Sends an error reply (code, msg, device gpu0) with this serial on the fake's socket. */
void lt_fake_reply(int srv, uint32_t serial, uint32_t code, const char *msg);

/* The scenarios: each returns 0 or fails the process. */
int lt_fake(const char *dir);				  /* libtest.c: local checks */
int lt_proto(const char *dir, const char *only);	  /* libtest_proto.c; only: one case */
int lt_ops(const char *sock);				  /* libtest_ops.c */
int lt_migrate(const char *src, const char *dst);	  /* libtest_migrate.c */
int lt_manual(const char *src, const char *dst);	  /* libtest_migrate.c */
int lt_kill(const char *sock, int pid, const char *mark); /* libtest_migrate.c */
int lt_async(const char *src, const char *dst);		  /* libtest_async.c */

#endif
