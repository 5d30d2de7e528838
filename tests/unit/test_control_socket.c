/*
 * test_control_socket.c - the control socket file and who may use it: stale sockets
 * replaced, live ones refused, missing directory, unknown group, mode and group applied (by
 * stat), removal only of our own file, socket activation (new_from_fd), max_clients, the
 * allowed_uids check (end to end with a child that drops to another uid when run as root),
 * option checks, and the connect log line with the peer credentials.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry.h"
#include "test_control_util.h"

/* A socket bound at path; listening if listen_too. Returns its fd. */
static int bound_socket(const char *path, bool listen_too)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listen_too)
		ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

static void stop_server(void)
{
	control_server_free(T.srv);
	T.srv = NULL;
}

/* Starting a server on o must fail with r and a message holding needle. */
static void expect_start_fails(const struct control_options *o, int r, const char *needle)
{
	struct control_server *srv = NULL;
	char err[512] = "";

	ck_assert_int_eq(control_server_new(T.base, o, &T.env, &srv, err, sizeof(err)), r);
	ck_assert_ptr_null(srv);
	ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
}

START_TEST(test_connect_logged)
{
	struct tclient t;
	char line[128];

	tc_open(&t);
	tc_hello_ok(&t);
	snprintf(line, sizeof(line), "control: client pid=%d uid=%u gid=%u connected",
		 (int)getpid(), (unsigned)getuid(), (unsigned)getgid());
	tlog_expect(line, NULL);
	ck_assert_uint_eq(control_server_clients(T.srv), 1);
	ck_assert_str_eq(control_server_path(T.srv), T.path);
	tc_close(&t);
	tpump(50);
	tlog_expect("control: client pid=", "disconnected", NULL);
	ck_assert_uint_eq(control_server_clients(T.srv), 0);
}
END_TEST

START_TEST(test_stale_replaced)
{
	struct control_options o;
	struct tclient t;
	char err[512];

	stop_server();
	ck_assert_int_ne(access(T.path, F_OK), 0); /* free removed our socket */
	close(bound_socket(T.path, false));	   /* a file nobody listens on */
	tenv_options(&o);
	ck_assert_msg(tenv_restart(&o, err, sizeof(err)) == 0, "%s", err);
	tlog_expect("control: removed the stale socket", T.path, NULL);
	tc_open(&t);
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

START_TEST(test_live_refused)
{
	struct control_options o;
	struct tclient t;
	char msg[256];
	int fd;

	/* our own running server */
	tenv_options(&o);
	snprintf(msg, sizeof(msg), "control socket %s is in use by a running daemon", T.path);
	expect_start_fails(&o, -EADDRINUSE, msg);
	tc_open(&t);
	tc_hello_ok(&t);
	tc_close(&t);
	/* someone else's */
	stop_server();
	fd = bound_socket(T.path, true);
	expect_start_fails(&o, -EADDRINUSE, msg);
	close(fd);
	unlink(T.path);
}
END_TEST

START_TEST(test_bad_paths)
{
	struct control_options o;
	char path[256], msg[300];
	int fd;

	stop_server();
	tenv_options(&o);
	fd = open(T.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	expect_start_fails(&o, -EEXIST, "exists and is not a socket");
	unlink(T.path);
	snprintf(path, sizeof(path), "%s/missing/ctl.sock", T.dir);
	o.path = path;
	snprintf(msg, sizeof(msg), "directory %s/missing: No such file or directory", T.dir);
	expect_start_fails(&o, -ENOENT, msg);
	memset(path, 'p', 200);
	path[0] = '/';
	path[200] = '\0';
	expect_start_fails(&o, -ENAMETOOLONG, "a UNIX socket path holds at most 107");
	o.path = T.path;
	o.group = "no-such-group-vmctl";
	expect_start_fails(&o, -ENOENT,
			   "control socket group no-such-group-vmctl does not exist; create it");
	o.group = NULL;
	o.mode = 01777;
	expect_start_fails(&o, -EINVAL, "not a permission mode");
	ck_assert_int_ne(access(T.path, F_OK), 0);
}
END_TEST

START_TEST(test_bad_options)
{
	struct control_options o;
	struct control_env env = T.env;
	struct control_server *srv = NULL;
	char err[256];

	stop_server();
	tenv_options(&o);
	o.max_clients = 0;
	expect_start_fails(&o, -EINVAL, "control.max_clients must be at least 1");
	tenv_options(&o);
	o.max_output = 100;
	expect_start_fails(&o, -EINVAL, "below the minimum 4096");
	tenv_options(&o);
	env.devices = NULL;
	ck_assert_int_eq(control_server_new(T.base, &o, &env, &srv, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(srv);
	o.path = NULL;
	expect_start_fails(&o, -EINVAL, "no control socket path configured");
}
END_TEST

/* A group other than ours when we may chown (root), else our own. */
static gid_t other_group(char *name, size_t size)
{
	struct group *g;
	gid_t want = getegid();

	if (geteuid() == 0) {
		setgrent();
		while ((g = getgrent()))
			if (g->gr_gid != want)
				break;
		if (g) {
			snprintf(name, size, "%s", g->gr_name);
			want = g->gr_gid;
			endgrent();
			return want;
		}
		endgrent();
	}
	g = getgrgid(want);
	ck_assert_ptr_nonnull(g);
	snprintf(name, size, "%s", g->gr_name);
	return want;
}

START_TEST(test_mode_and_group)
{
	struct control_options o;
	struct stat st;
	char name[128], err[512], num[32];
	gid_t gid = other_group(name, sizeof(name));

	tenv_options(&o);
	o.mode = 0640;
	o.group = name;
	ck_assert_msg(tenv_restart(&o, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(T.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_gid, gid);
	/* a group by number, and the default mode */
	snprintf(num, sizeof(num), "%u", (unsigned)gid);
	tenv_options(&o);
	o.mode = CONTROL_DEFAULT_MODE;
	o.group = num;
	ck_assert_msg(tenv_restart(&o, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(T.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, gid);
	stop_server();
	ck_assert_int_ne(access(T.path, F_OK), 0);
}
END_TEST

/* A file put in place of our socket is not ours to remove. */
START_TEST(test_foreign_file_kept)
{
	int fd;

	ck_assert_int_eq(unlink(T.path), 0);
	fd = open(T.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	stop_server();
	ck_assert_int_eq(access(T.path, F_OK), 0);
	tlog_expect("is no longer our socket; leaving it", NULL);
	unlink(T.path);
}
END_TEST

START_TEST(test_from_fd)
{
	struct control_options o;
	struct control_server *srv = NULL;
	struct tclient t;
	char err[512];
	int fd, p[2];

	stop_server();
	fd = bound_socket(T.path, true);
	tenv_options(&o);
	o.path = NULL;
	ck_assert_msg(
		control_server_new_from_fd(T.base, fd, &o, &T.env, &T.srv, err, sizeof(err)) == 0,
		"%s", err);
	ck_assert_str_eq(control_server_path(T.srv), T.path);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	tc_open(&t);
	tc_hello_ok(&t);
	tc_close(&t);
	stop_server();
	/* the file belongs to whoever made it (systemd) */
	ck_assert_int_eq(access(T.path, F_OK), 0);
	unlink(T.path);
	/* not a listening socket: refused, and the fd is taken (closed) */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(
		control_server_new_from_fd(T.base, p[0], &o, &T.env, &srv, err, sizeof(err)),
		-EINVAL);
	ck_assert_ptr_null(srv);
	ck_assert_msg(strstr(err, "is not a listening UNIX stream socket"), "%s", err);
	ck_assert_int_eq(fcntl(p[0], F_GETFD), -1);
	close(p[1]);
	fd = bound_socket(T.path, false);
	ck_assert_int_eq(control_server_new_from_fd(T.base, fd, &o, &T.env, &srv, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	unlink(T.path);
}
END_TEST

START_TEST(test_max_clients)
{
	struct control_options o;
	struct tclient a, b, c;
	char err[256];

	tenv_options(&o);
	o.max_clients = 2;
	ck_assert_int_eq(tenv_restart(&o, err, sizeof(err)), 0);
	tc_open(&a);
	tc_hello_ok(&a);
	tc_open(&b);
	tc_hello_ok(&b);
	tc_open(&c);
	ck_assert(tc_eof(&c, TWAIT_MS));
	ck_assert_uint_eq(c.len, 0);
	tlog_expect("control: refusing client pid=",
		    "2 clients are connected, the limit "
		    "(control.max_clients)",
		    NULL);
	tc_hello_ok(&a);
	tc_close(&c);
	tc_close(&a);
	tpump(50);
	tc_open(&c);
	tc_hello_ok(&c);
	tc_close(&c);
	tc_close(&b);
}
END_TEST

/* In a child: become uid/gid 65534, connect, and report whether the daemon hung up at once. */
static void child_connect_as_nobody(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char c;
	int fd;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		_exit(10);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", T.path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(11);
	_exit(read(fd, &c, 1) == 0 ? 0 : 12);
}

START_TEST(test_allowed_uids)
{
	static const uid_t allowed[] = { 4242, 4343 };
	struct control_options o;
	struct tclient t;
	char err[256], line[160];
	int status = -1;
	pid_t pid;

	ck_assert(control_uid_allowed(allowed, 2, 0));
	ck_assert(control_uid_allowed(allowed, 2, 4343));
	ck_assert(!control_uid_allowed(allowed, 2, 65534));
	ck_assert(control_uid_allowed(NULL, 0, 65534));
	if (geteuid() != 0) {
		fprintf(stderr, "test_allowed_uids: not root, the end-to-end part is skipped\n");
		return;
	}
	tenv_options(&o);
	o.mode = 0666;
	o.allowed_uids = allowed;
	o.n_allowed_uids = 2;
	ck_assert_int_eq(tenv_restart(&o, err, sizeof(err)), 0);
	ck_assert_int_eq(chmod(T.dir, 0755), 0);
	tc_open(&t); /* root is always allowed */
	tc_hello_ok(&t);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_connect_as_nobody();
	for (int i = 0; i < TWAIT_MS && waitpid(pid, &status, WNOHANG) == 0; i++)
		tpump(1);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	snprintf(line, sizeof(line),
		 "control: refusing client pid=%d uid=65534: uid 65534 is not in "
		 "control.allowed_uids",
		 (int)pid);
	tlog_expect(line, NULL);
	tc_hello_ok(&t);
	tc_close(&t);
}
END_TEST

TCase *control_socket_tcase(void)
{
	TCase *tc = tcase_create("socket");

	tcase_add_checked_fixture(tc, tenv_setup, tenv_teardown);
	tcase_add_test(tc, test_connect_logged);
	tcase_add_test(tc, test_stale_replaced);
	tcase_add_test(tc, test_live_refused);
	tcase_add_test(tc, test_bad_paths);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_mode_and_group);
	tcase_add_test(tc, test_foreign_file_kept);
	tcase_add_test(tc, test_from_fd);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_allowed_uids);
	return tc;
}
