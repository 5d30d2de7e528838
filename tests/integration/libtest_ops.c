/*
 * libtest_ops.c - every device, daemon, job and event operation of libvfiomig against one
 * real daemon: results read through the accessors, daemon errors surfaced with their stable
 * code, message and device, a device added by fd (SCM_RIGHTS) refused by the daemon and a
 * sim device added by spec, state changes, and the async twins of a few calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtest.h"

static void ops_daemon(struct vfiomig_client *c)
{
	struct vfiomig_daemon_info *di = NULL;
	uint32_t version = 0;
	uint64_t features = 1;

	OK(c, vfiomig_hello(c, 0, &version, &features));
	CHECK(c, version == 1, "protocol version %u", version);
	OK(c, vfiomig_daemon_info(c, 0, &di));
	CHECK(c, *vfiomig_daemon_info_get_version(di), "no version");
	CHECK(c, vfiomig_daemon_info_get_protocol_version(di) == 1, "protocol");
	CHECK(c, strcmp(vfiomig_daemon_info_get_host_identity(di), "hostc") == 0, "host '%s'",
	      vfiomig_daemon_info_get_host_identity(di));
	CHECK(c, vfiomig_daemon_info_get_tls_state(di) == VFIOMIG_TLS_READY, "tls state %u",
	      vfiomig_daemon_info_get_tls_state(di));
	CHECK(c, vfiomig_daemon_info_get_device_count(di) == 1, "devices %u",
	      vfiomig_daemon_info_get_device_count(di));
	CHECK(c, vfiomig_daemon_info_get_active_jobs(di) == 0, "jobs");
	CHECK(c, vfiomig_daemon_info_get_listen_count(di) >= 1, "listen");
	CHECK(c, strncmp(vfiomig_daemon_info_get_listen(di, 0), "127.0.0.1:", 10) == 0, "listen %s",
	      vfiomig_daemon_info_get_listen(di, 0));
	CHECK(c, vfiomig_daemon_info_get_listen(di, 99) == NULL, "listen out of range");
	CHECK(c, vfiomig_daemon_info_get_tls_not_after_s(di) > 0, "cert expiry");
	vfiomig_daemon_info_free(di);
	lt_log("ops: hello, daemon_info");
}

static void ops_devices(struct vfiomig_client *c)
{
	struct vfiomig_device_list *l = NULL;
	struct vfiomig_device *d = NULL;
	uint8_t dg[VFIOMIG_DIGEST_LEN];
	int r;

	OK(c, vfiomig_device_list(c, 0, &l));
	CHECK(c, vfiomig_device_list_get_count(l) == 1, "count %u",
	      vfiomig_device_list_get_count(l));
	CHECK(c, strcmp(vfiomig_device_get_id(vfiomig_device_list_get(l, 0)), "s0") == 0, "s0");
	CHECK(c, vfiomig_device_list_get(l, 1) == NULL, "out of range");
	vfiomig_device_list_free(l);

	OK(c, vfiomig_device_add(c, "x1", VFIOMIG_SOURCE_SIM, "size=1M", 0, &d));
	CHECK(c, strcmp(vfiomig_device_get_id(d), "x1") == 0, "id");
	CHECK(c, vfiomig_device_get_kind(d) == VFIOMIG_KIND_SIM, "kind %u",
	      vfiomig_device_get_kind(d));
	CHECK(c, vfiomig_device_get_state(d) == VFIOMIG_STATE_RUNNING, "state %s",
	      vfiomig_device_state_name(vfiomig_device_get_state(d)));
	CHECK(c, strstr(vfiomig_device_get_driver(d), "sim") != NULL, "driver %s",
	      vfiomig_device_get_driver(d));
	CHECK(c, vfiomig_device_get_owner_job(d) == 0, "owner");
	CHECK(c, vfiomig_device_get_digest(d, dg) == -ENODATA, "digest only from device_info");
	vfiomig_device_free(d);
	d = NULL;
	/* the daemon refuses the id twice: ALREADY_EXISTS */
	EXPECT_RC(c, vfiomig_device_add(c, "x1", VFIOMIG_SOURCE_SIM, "size=1M", 0, NULL), -EEXIST);
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_ALREADY_EXISTS, "code");
	/* derived id */
	OK(c, vfiomig_device_add(c, NULL, VFIOMIG_SOURCE_SIM, "size=64K", 0, &d));
	CHECK(c, strncmp(vfiomig_device_get_id(d), "sim", 3) == 0, "derived id %s",
	      vfiomig_device_get_id(d));
	OK(c, vfiomig_device_remove(c, vfiomig_device_get_id(d), 0));
	vfiomig_device_free(d);

	OK(c, vfiomig_device_set_state(c, "x1", VFIOMIG_STATE_STOP, 0, &d));
	CHECK(c, vfiomig_device_get_state(d) == VFIOMIG_STATE_STOP, "STOP");
	vfiomig_device_free(d);
	OK(c, vfiomig_device_set_state(c, "x1", VFIOMIG_STATE_RUNNING, 0, NULL));
	OK(c, vfiomig_device_info(c, "x1", 0, &d));
	CHECK(c, vfiomig_device_get_state(d) == VFIOMIG_STATE_RUNNING, "RUNNING again");
	CHECK(c, vfiomig_device_get_digest(d, dg) == 0, "sim digest from device_info");
	vfiomig_device_free(d);
	OK(c, vfiomig_device_remove(c, "x1", 0));
	EXPECT_RC(c, vfiomig_device_remove(c, "x1", 0), -ENOENT);
	EXPECT_RC(c, vfiomig_device_info(c, "nosuch", 0, &d), -ENOENT);
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_NOT_FOUND, "code %u",
	      vfiomig_last_error_code(c));
	CHECK(c, strcmp(vfiomig_last_error_name(c), "NOT_FOUND") == 0, "name");
	CHECK(c, strstr(vfiomig_last_error_message(c), "nosuch"), "message '%s'",
	      vfiomig_last_error_message(c));
	r = vfiomig_device_add(c, "p1", VFIOMIG_SOURCE_PCI, "0000:ff:1f.7", 0, NULL);
	CHECK(c,
	      r < 0 && vfiomig_last_error_code(c) != VFIOMIG_ERR_OK &&
		      r == vfiomig_error_to_errno(vfiomig_last_error_code(c)),
	      "absent PCI device: %d", r);
	r = vfiomig_device_add(c, "p2", VFIOMIG_SOURCE_PATH, "/dev/vfio/devices/vfio999", 0, NULL);
	CHECK(c, r < 0 && vfiomig_last_error_code(c) != VFIOMIG_ERR_OK, "absent path: %d", r);
	r = vfiomig_device_add(c, "m1", VFIOMIG_SOURCE_MDEV, "0b2a6a2c-0000-4000-8000-000000000001",
			       0, NULL);
	CHECK(c, r < 0 && vfiomig_last_error_code(c) != VFIOMIG_ERR_OK, "absent mdev: %d", r);
	lt_log("ops: device list/add/info/set_state/remove, daemon errors (%s)",
	       vfiomig_last_error_name(c));
}

static void ops_fd(struct vfiomig_client *c)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r;

	CHECK(c, fd >= 0, "open /dev/null");
	r = vfiomig_device_add_fd(c, "fd1", fd, 0, NULL);
	CHECK(c, r == -EINVAL, "adding /dev/null by fd: %d (%s)", r, vfiomig_strerror(r));
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_INVALID_ARGUMENT, "code");
	CHECK(c, strstr(vfiomig_last_error_message(c), "not a VFIO device"), "message '%s'",
	      vfiomig_last_error_message(c));
	CHECK(c, fcntl(fd, F_GETFD) >= 0, "our fd was closed by the library");
	close(fd);
	lt_log("ops: device_add_fd passes the fd (SCM_RIGHTS), the daemon refuses it: %s",
	       vfiomig_last_error_message(c));
}

static void ops_jobs(struct vfiomig_client *c)
{
	struct vfiomig_job_list *jl = NULL;
	struct vfiomig_job *j = NULL;
	struct vfiomig_peer_list *pl = NULL;
	struct vfiomig_event *ev = NULL;
	void *md = NULL;
	size_t len = 0;

	OK(c, vfiomig_job_list(c, 0, &jl));
	CHECK(c, vfiomig_job_list_get_count(jl) == 0, "jobs");
	vfiomig_job_list_free(jl);
	EXPECT_RC(c, vfiomig_job_status(c, 999, 0, &j), -ENOENT);
	EXPECT_RC(c, vfiomig_job_wait(c, 999, 100, 0, &j), -ENOENT);
	EXPECT_RC(c, vfiomig_job_cancel(c, 999, 0), -ENOENT);
	EXPECT_RC(c, vfiomig_job_switchover(c, 999, 0), -ENOENT);
	EXPECT_RC(c, vfiomig_job_resume(c, 999, 0), -ENOENT);
	EXPECT_RC(c, vfiomig_job_set_bandwidth(c, 999, 1000, 0), -ENOENT);
	EXPECT_RC(c, vfiomig_job_metadata(c, 999, "d0", 0, &md, &len), -ENOENT);
	CHECK(c, vfiomig_last_error_code(c) == VFIOMIG_ERR_NOT_FOUND, "code");
	EXPECT_RC(c, vfiomig_subscribe(c, 999, 0), -ENOENT);
	OK(c, vfiomig_peer_list(c, 0, &pl));
	CHECK(c, vfiomig_peer_list_get_count(pl) == 0, "peers");
	vfiomig_peer_list_free(pl);
	OK(c, vfiomig_subscribe(c, 0, 0));
	EXPECT_RC(c, vfiomig_event_next(c, 0, &ev), -EAGAIN);
	EXPECT_RC(c, vfiomig_event_next(c, 200, &ev), -ETIMEDOUT);
	/* prepare then cancel: a destination job, events for it */
	{
		const char *ids[] = { "s0" };
		struct vfiomig_prepare *p = NULL;
		uint64_t job;

		OK(c, vfiomig_prepare_incoming(c, "dns:hostb.test", ids, 1, 60, 0, &p));
		CHECK(c, strlen(vfiomig_prepare_get_token(p)) == 32, "token %s",
		      vfiomig_prepare_get_token(p));
		job = vfiomig_prepare_get_job_id(p);
		CHECK(c, job > 0 && vfiomig_prepare_get_expires_at_ms(p) > 0, "job, expiry");
		vfiomig_prepare_free(p);
		EXPECT_RC(c, vfiomig_job_metadata(c, job, "s0", 0, &md, &len), -EBUSY);
		OK(c, vfiomig_job_status(c, job, 0, &j));
		CHECK(c, vfiomig_job_get_role(j) == VFIOMIG_ROLE_DESTINATION, "role");
		CHECK(c, vfiomig_job_get_phase(j) == VFIOMIG_PHASE_WAITING, "phase %s",
		      vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
		CHECK(c, vfiomig_job_get_device_count(j) == 1, "devices");
		CHECK(c, strcmp(vfiomig_job_get_device_target_id(j, 0), "s0") == 0, "target");
		CHECK(c, *vfiomig_job_get_device_source_id(j, 5) == 0, "out of range");
		vfiomig_job_free(j);
		OK(c, vfiomig_job_cancel(c, job, 0));
		OK(c, vfiomig_job_wait(c, job, 5000, 0, &j));
		CHECK(c, vfiomig_job_get_phase(j) == VFIOMIG_PHASE_CANCELLED, "phase %s",
		      vfiomig_job_phase_name(vfiomig_job_get_phase(j)));
		CHECK(c, vfiomig_job_get_error_code(j) == VFIOMIG_ERR_CANCELLED, "error %u",
		      vfiomig_job_get_error_code(j));
		vfiomig_job_free(j);
		EXPECT_RC(c, vfiomig_job_cancel(c, job, 0), -EINVAL);
		for (;;) {
			OK(c, vfiomig_event_next(c, 5000, &ev));
			CHECK(c, vfiomig_event_get_job_id(ev) == job, "event job");
			if (vfiomig_event_get_kind(ev) == VFIOMIG_EVENT_FINISHED)
				break;
			vfiomig_event_free(ev);
		}
		CHECK(c, vfiomig_event_get_phase(ev) == VFIOMIG_PHASE_CANCELLED, "final phase");
		CHECK(c, vfiomig_event_get_job(ev) != NULL, "status in FINISHED");
		vfiomig_event_free(ev);
	}
	lt_log("ops: job operations, NOT_FOUND surfaced, prepare/cancel/wait, events");
}

static void ops_async_cb(struct vfiomig_client *c, int status, struct vfiomig_result *res, void *ud)
{
	int *n = ud;

	CHECK(c, status >= 0, "async %u failed: %d", vfiomig_result_get_op(res), status);
	if (vfiomig_result_get_op(res) == VFIOMIG_OP_DEVICE_INFO) {
		struct vfiomig_device *d = vfiomig_result_take_device(res);

		CHECK(c, d && strcmp(vfiomig_device_get_id(d), "s0") == 0, "device");
		CHECK(c, vfiomig_result_take_device(res) == NULL, "second take");
		vfiomig_device_free(d); /* ours now */
	}
	if (vfiomig_result_get_op(res) == VFIOMIG_OP_DEVICE_LIST)
		CHECK(c, vfiomig_result_get_device_list(res) != NULL, "list");
	(*n)++;
}

static void ops_async(struct vfiomig_client *c)
{
	int n = 0;
	struct vfiomig_device_list *l = NULL;

	CHECK(c, vfiomig_device_list_async(c, 0, ops_async_cb, &n) > 0, "queue");
	CHECK(c, vfiomig_hello_async(c, 0, ops_async_cb, &n) > 0, "queue");
	/* a blocking call delivers the earlier async replies too (the daemon answers these two
	 * at once, so before the blocking call's own reply) */
	OK(c, vfiomig_device_list(c, 0, &l));
	vfiomig_device_list_free(l);
	CHECK(c, n == 2, "%d async callbacks ran during the blocking call", n);
	/* device_info reads the device in a daemon worker: its reply may overtake a later call's,
	 * or come after it */
	CHECK(c, vfiomig_device_info_async(c, "s0", 0, ops_async_cb, &n) > 0, "queue");
	OK(c, vfiomig_device_list(c, 0, &l));
	vfiomig_device_list_free(l);
	lt_process_until(c, &n, 3);
	lt_log("ops: async calls completed inside a blocking call and in vfiomig_process()");
}

int lt_ops(const char *sock)
{
	struct vfiomig_client *c = lt_connect(sock);

	ops_daemon(c);
	ops_devices(c);
	ops_fd(c);
	ops_jobs(c);
	ops_async(c);
	vfiomig_close(c);
	lt_log("ops: PASS");
	return 0;
}
