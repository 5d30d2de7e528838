/*
 * test_control_util.h - the harness of the control server tests: a real server on a socket
 * in a temporary directory, in a libevent loop that the test thread pumps, a registry of sim
 * devices, env callbacks that record what they are asked, captured log lines, and raw
 * clients (non-blocking sockets driven from the same thread).
 */
#ifndef VFIO_MIGD_TEST_CONTROL_UTIL_H
#define VFIO_MIGD_TEST_CONTROL_UTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "ctl_reply.h"
#include "ctl_request.h"

#define TPEND_MAX 32   /* peer_connect calls the test env can hold */
#define TWAIT_MS  5000 /* how long a test waits for anything */

/* A peer_connect the test env accepted and has not completed. */
struct tpending {
	control_peer_done_fn *done;
	void *done_arg;
	char address[PROTO_ADDR_MAX + 1];
	char expect_host[PROTO_ADDR_MAX + 1]; /* "(none)" when NULL was passed */
};

/* The daemon under test. */
struct tenv {
	struct event_base *base;
	struct registry *reg; /* gpu0 and nic0: sim devices of 64 KiB */
	struct control_server *srv;
	struct control_env env;
	char dir[64];  /* a fresh temporary directory */
	char path[96]; /* dir/ctl.sock */
	struct tpending pend[TPEND_MAX];
	int n_pend;
	int connect_result; /* what env peer_connect returns (0: accepts) */
};

extern struct tenv T;

/* Check fixtures: setup starts a server with tenv_options(); teardown frees everything. */
void tenv_setup(void);
void tenv_teardown(void);

/* Defaults for the tests: T.path, mode 0600, 8 clients. */
void tenv_options(struct control_options *o);

/* Replaces the running server (if any) with one made from o; returns control_server_new(). */
int tenv_restart(const struct control_options *o, char *err, size_t errlen);

/* Completes the i-th pending peer_connect and removes it. */
void tenv_complete(int i, int err, const char *message, const struct ctl_peer_info *info);

/* A sim device added straight to the registry. */
void tenv_add_sim(const char *id, const char *spec);

/* Captured log lines (every level). */
void tlog_reset(void);
bool tlog_has(const char *needle);
/* Fails the test, listing the lines, unless a line contains every one of the NULL-ended
 * needles. */
void tlog_expect(const char *needle, ...);

/* Runs the loop for about ms milliseconds. */
void tpump(int ms);

/* Open file descriptors of this process. */
int tcount_fds(void);

/* A raw client. */
struct tclient {
	int fd;
	uint8_t *buf;
	size_t len;
	uint32_t serial; /* the last serial tc_request() used */
};

void tc_open(struct tclient *t);
void tc_close(struct tclient *t);
void tc_send(struct tclient *t, const void *buf, size_t len);
/* Sends buf in one sendmsg with fds attached (SCM_RIGHTS). */
void tc_send_fds(struct tclient *t, const void *buf, size_t len, const int *fds, int n);
/* Encodes and sends q; gives it the next serial when q->serial is 0. */
void tc_request(struct tclient *t, struct ctl_request *q);
/* The next reply: 0, -EPIPE (EOF or reset first), -ETIMEDOUT. Clear it with ctl_reply_clear. */
int tc_reply(struct tclient *t, struct ctl_reply *rep, int timeout_ms);
/* Sends q and waits for its reply (same serial). */
void tc_call(struct tclient *t, struct ctl_request *q, struct ctl_reply *rep);
/* Sends q and expects an error reply with code whose message contains needle. */
void tc_expect_error(struct tclient *t, struct ctl_request *q, uint32_t code, const char *needle);
/* Pumps until the server closes the connection: true, or false after timeout_ms. */
bool tc_eof(struct tclient *t, int timeout_ms);
/* A hello round trip that must succeed (the connection works). */
void tc_hello_ok(struct tclient *t);

/* A frame with any header; free() it. */
uint8_t *tframe(uint16_t type, uint16_t flags, uint32_t len_field, const void *body,
		size_t body_len, size_t *ret_len);

/* The test cases of test_control_wire.c (hostile input) and test_control_socket.c (the
 * socket file, limits, credentials); test_control.c holds the operations and main(). */
TCase *control_wire_tcase(void);
TCase *control_socket_tcase(void);

#endif
