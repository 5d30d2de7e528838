/*
 * test_config.c - config.c and config_value.c: defaults, every key, every message (with file,
 * line, section and key), overrides, cross-field checks, the shipped example file, garbage.
 *
 * Value errors are checked twice, through a file and through config_set, since both must say
 * the same thing with their own prefix. CONFIG_EXAMPLE is the path of
 * packaging/vfio-migd.conf.example (set by meson).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* by its path from the source root: unambiguous, even in a build dir that predates buildinfo.h */
#include "daemon/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct config cfg;
static struct config_error err;

static void setup(void)
{
	ck_assert_int_eq(config_init(&cfg), 0);
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	config_free(&cfg);
}

/* Loads text as "t.conf" into cfg. */
static int load(const char *text)
{
	return config_load_string(&cfg, text, "t.conf", &err);
}

/* Loads text and expects -EINVAL with exactly msg. */
static void load_fails(const char *text, const char *msg)
{
	ck_assert_int_eq(load(text), -EINVAL);
	ck_assert_str_eq(err.msg, msg);
}

static void load_ok(const char *text)
{
	int r = load(text);

	ck_assert_msg(r == 0, "load: %d %s", r, err.msg);
}

static void set_ok(const char *key, const char *value)
{
	int r = config_set(&cfg, key, value, &err);

	ck_assert_msg(r == 0, "set %s=%s: %d %s", key, value, r, err.msg);
}

/* Reads a whole file into a NUL-terminated buffer. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

/* A file in a fresh temporary directory; *dir gets the directory for cleanup. */
static char *tmpfile_with(const void *data, size_t len, char dir[64])
{
	static char path[128];
	int fd;

	snprintf(dir, 64, "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vfio-migd.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	for (size_t at = 0; at < len;) {
		ssize_t n = write(fd, (const char *)data + at, len - at);

		ck_assert_int_gt(n, 0);
		at += (size_t)n;
	}
	close(fd);
	return path;
}

static void tmpfile_remove(const char *path, const char *dir)
{
	unlink(path);
	rmdir(dir);
}

/* ---- defaults and every key ------------------------------------------------------------- */

START_TEST(test_defaults)
{
	char host[256] = "";

	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_ptr_null(cfg.source);
	ck_assert_int_eq(cfg.daemon.log_level, LOG_LVL_INFO);
	ck_assert_int_eq(cfg.daemon.log_target, CONFIG_LOG_AUTO);
	ck_assert_str_eq(cfg.daemon.host_identity, host);
	ck_assert_str_eq(cfg.daemon.state_dir, "/var/lib/vfio-migd");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 0);
	ck_assert_str_eq(cfg.control.socket, "/run/vfio-migd/control.sock");
	ck_assert_str_eq(cfg.control.group, "vfio-migd");
	ck_assert_uint_eq(cfg.control.mode, 0660);
	ck_assert_uint_eq(cfg.control.max_clients, 64);
	ck_assert_uint_eq(cfg.control.allowed_uids.n, 0);
	ck_assert_uint_eq(cfg.peer.listen.n, 0);
	ck_assert_uint_eq(cfg.peer.connect_timeout_ms, 10000);
	ck_assert_uint_eq(cfg.peer.handshake_timeout_ms, 10000);
	ck_assert_uint_eq(cfg.peer.keepalive_interval_ms, 5000);
	ck_assert_uint_eq(cfg.peer.keepalive_count, 3);
	ck_assert_uint_eq(cfg.peer.tcp_user_timeout_ms, 30000);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_idle_ms, 15000);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_interval_ms, 5000);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_count, 3);
	ck_assert_ptr_null(cfg.tls.ca);
	ck_assert_ptr_null(cfg.tls.crl);
	ck_assert_ptr_null(cfg.tls.cert);
	ck_assert_ptr_null(cfg.tls.key);
	ck_assert_uint_eq(cfg.tls.allow.n, 0);
	ck_assert(!cfg.tls.ktls);
	ck_assert_uint_eq(cfg.limits.max_jobs, 4);
	ck_assert_uint_eq(cfg.limits.bandwidth, 0);
	ck_assert_uint_eq(cfg.limits.job_timeout_ms, 0);
	ck_assert_uint_eq(cfg.limits.finished_job_ttl_ms, 600000);
	ck_assert_uint_eq(cfg.limits.max_devices, 256);
	ck_assert_uint_eq(cfg.n_devices, 0);
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
	/* an empty file changes nothing */
	load_ok("");
	ck_assert_uint_eq(cfg.control.mode, 0660);
	ck_assert_str_eq(cfg.source, "t.conf");
}
END_TEST

static const char every_key[] =
	"[daemon]\n"
	"log_level = debug\n"
	"log_target = journal\n"
	"host_identity = hv01.example.com\n"
	"state_dir = /srv/vm\n"
	"metrics_listen = 127.0.0.1:9100\n"
	"[control]\n"
	"socket = /run/x.sock\n"
	"group = kvm\n"
	"mode = 0600\n"
	"max_clients = 8\n"
	"allowed_uids = 0 1000\n"
	"allowed_uids = 64055\n"
	"[peer]\n"
	"listen = 0.0.0.0:7790 [::]:7791\n"
	"listen = localhost:7792\n"
	"connect_timeout = 3s\n"
	"handshake_timeout = 1500ms\n"
	"keepalive_interval = 0\n"
	"keepalive_count = 9\n"
	"tcp_user_timeout = 1m\n"
	"tcp_keepalive_idle = 20\n"
	"tcp_keepalive_interval = 2s\n"
	"tcp_keepalive_count = 7\n"
	"[tls]\n"
	"ca = /pki/ca.pem\n"
	"crl = /pki/crl.pem\n"
	"cert = /pki/cert.pem\n"
	"key = /pki/key.pem\n"
	"allow = dns:HV02.example.com uri:spiffe://example.org/hv03\n"
	"allow = sha256:" /* colons between bytes, as openssl prints it */
	"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:"
	"45:67:89\n"
	"ktls = yes\n"
	"[limits]\n"
	"max_jobs = 2\n"
	"bandwidth = 100M\n"
	"job_timeout = 1h\n"
	"finished_job_ttl = 0\n"
	"max_devices = 3\n"
	"[device \"gpu0\"]\n"
	"backend = vfio\n"
	"path = 3B:00.1\n"
	"[device \"sim.0:a-b_c\"]\n"
	"backend = sim\n"
	"spec = size=256M,flags=stop_copy|p2p|pre_copy\n";

START_TEST(test_every_key)
{
	const struct config_identities *a = &cfg.tls.allow;

	load_ok(every_key);
	ck_assert_int_eq(cfg.daemon.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(cfg.daemon.log_target, CONFIG_LOG_JOURNAL);
	ck_assert_str_eq(cfg.daemon.host_identity, "hv01.example.com");
	ck_assert_str_eq(cfg.daemon.state_dir, "/srv/vm");
	ck_assert_int_eq(cfg.daemon.metrics_listen.family, AF_INET);
	ck_assert_str_eq(cfg.daemon.metrics_listen.host, "127.0.0.1");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 9100);
	ck_assert_str_eq(cfg.control.socket, "/run/x.sock");
	ck_assert_str_eq(cfg.control.group, "kvm");
	ck_assert_uint_eq(cfg.control.mode, 0600);
	ck_assert_uint_eq(cfg.control.max_clients, 8);
	ck_assert_uint_eq(cfg.control.allowed_uids.n, 3);
	ck_assert_uint_eq(cfg.control.allowed_uids.v[0], 0);
	ck_assert_uint_eq(cfg.control.allowed_uids.v[1], 1000);
	ck_assert_uint_eq(cfg.control.allowed_uids.v[2], 64055);
	ck_assert_uint_eq(cfg.peer.listen.n, 3);
	ck_assert_int_eq(cfg.peer.listen.v[0].family, AF_INET);
	ck_assert_str_eq(cfg.peer.listen.v[0].host, "0.0.0.0");
	ck_assert_uint_eq(cfg.peer.listen.v[0].port, 7790);
	ck_assert_int_eq(cfg.peer.listen.v[1].family, AF_INET6);
	ck_assert_str_eq(cfg.peer.listen.v[1].host, "::");
	ck_assert_uint_eq(cfg.peer.listen.v[1].port, 7791);
	ck_assert_int_eq(cfg.peer.listen.v[2].family, AF_UNSPEC);
	ck_assert_str_eq(cfg.peer.listen.v[2].host, "localhost");
	ck_assert_uint_eq(cfg.peer.listen.v[2].port, 7792);
	ck_assert_uint_eq(cfg.peer.connect_timeout_ms, 3000);
	ck_assert_uint_eq(cfg.peer.handshake_timeout_ms, 1500);
	ck_assert_uint_eq(cfg.peer.keepalive_interval_ms, 0);
	ck_assert_uint_eq(cfg.peer.keepalive_count, 9);
	ck_assert_uint_eq(cfg.peer.tcp_user_timeout_ms, 60000);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_idle_ms, 20000);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_interval_ms, 2000);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_count, 7);
	ck_assert_str_eq(cfg.tls.ca, "/pki/ca.pem");
	ck_assert_str_eq(cfg.tls.crl, "/pki/crl.pem");
	ck_assert_str_eq(cfg.tls.cert, "/pki/cert.pem");
	ck_assert_str_eq(cfg.tls.key, "/pki/key.pem");
	ck_assert_uint_eq(a->n, 3);
	ck_assert_int_eq(a->v[0].kind, CONFIG_ID_DNS);
	ck_assert_str_eq(a->v[0].entry, "dns:hv02.example.com");
	ck_assert_int_eq(a->v[1].kind, CONFIG_ID_URI);
	ck_assert_str_eq(a->v[1].entry, "uri:spiffe://example.org/hv03");
	ck_assert_int_eq(a->v[2].kind, CONFIG_ID_SHA256);
	ck_assert_str_eq(a->v[2].entry,
			 "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	ck_assert_uint_eq(a->v[2].sha256[0], 0xab);
	ck_assert_uint_eq(a->v[2].sha256[31], 0x89);
	ck_assert(cfg.tls.ktls);
	ck_assert_uint_eq(cfg.limits.max_jobs, 2);
	ck_assert_uint_eq(cfg.limits.bandwidth, 100ULL << 20);
	ck_assert_uint_eq(cfg.limits.job_timeout_ms, 3600000);
	ck_assert_uint_eq(cfg.limits.finished_job_ttl_ms, 0);
	ck_assert_uint_eq(cfg.limits.max_devices, 3);
	ck_assert_uint_eq(cfg.n_devices, 2);
	ck_assert_str_eq(cfg.devices[0].name, "gpu0");
	ck_assert_int_eq(cfg.devices[0].backend, CONFIG_BACKEND_VFIO);
	ck_assert_str_eq(cfg.devices[0].path, "0000:3b:00.1");
	ck_assert_ptr_null(cfg.devices[0].spec);
	ck_assert_uint_eq(cfg.devices[0].line, 39);
	ck_assert_str_eq(cfg.devices[1].name, "sim.0:a-b_c");
	ck_assert_int_eq(cfg.devices[1].backend, CONFIG_BACKEND_SIM);
	ck_assert_ptr_null(cfg.devices[1].path);
	ck_assert_str_eq(cfg.devices[1].spec, "size=256M,flags=stop_copy|p2p|pre_copy");
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
}
END_TEST

/* Every key config_key_name lists is one config_set knows, with a value parser behind it. */
START_TEST(test_key_names)
{
	char key[128];
	size_t i;

	ck_assert_str_eq(config_key_name(0), "daemon.log_level");
	for (i = 0; config_key_name(i); i++) {
		const char *name = config_key_name(i), *dev = "device.NAME.";

		snprintf(key, sizeof(key), "%s", name);
		if (strncmp(name, dev, strlen(dev)) == 0)
			snprintf(key, sizeof(key), "device.d.%s", name + strlen(dev));
		ck_assert_int_eq(config_set(&cfg, key, "\x01", &err), -EINVAL);
		ck_assert_msg(strstr(err.msg, "unknown key") == NULL, "%s: %s", key, err.msg);
		ck_assert_msg(strstr(err.msg, "'\\x01'") != NULL, "%s: %s", key, err.msg);
	}
	ck_assert_uint_eq(i, 33);
	ck_assert_ptr_null(config_key_name(i));
	ck_assert_uint_eq(cfg.n_devices, 0);
}
END_TEST

/* ---- the file's grammar ----------------------------------------------------------------- */

START_TEST(test_syntax)
{
	load_ok("\xef\xbb\xbf# a comment\r\n"
		"; another\r\n"
		"   [ daemon ]   # trailing comment\r\n"
		"\tlog_level = debug ; inline comment\r\n"
		"    host_identity: hv9\r\n"
		"\n"
		"[peer]\n"
		"  listen = \"127.0.0.1:1\"\n"
		"  connect_timeout = 2s   # indented keys are keys, not continuations\n"
		"[device \"a\"]\n"
		"backend=sim\n"
		"spec = size=1M#not-a-comment\n"
		"[control]\n"
		"group = \"\"\n"
		"# a comment line longer than libinih's line buffer is fine: "
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xx"
		"\n"
		"mode = 640"); /* no final newline */
	ck_assert_int_eq(cfg.daemon.log_level, LOG_LVL_DEBUG);
	ck_assert_str_eq(cfg.daemon.host_identity, "hv9");
	ck_assert_uint_eq(cfg.peer.listen.n, 1);
	ck_assert_str_eq(cfg.peer.listen.v[0].host, "127.0.0.1");
	ck_assert_uint_eq(cfg.peer.connect_timeout_ms, 2000);
	ck_assert_uint_eq(cfg.n_devices, 1);
	ck_assert_str_eq(cfg.devices[0].spec, "size=1M#not-a-comment");
	ck_assert_str_eq(cfg.control.group, "");
	ck_assert_uint_eq(cfg.control.mode, 0640);
}
END_TEST

/* Table: file-level errors with their exact messages. */
static const struct {
	const char *text, *msg;
	unsigned int line;
} file_errors[] = {
	{ "[peer\n", "t.conf:1: '[peer' has no closing ']'", 1 },
	{ "\n[peer] x\n", "t.conf:2: '[peer] x' has text after ']'", 2 },
	{ "[peers]\n", "t.conf:1: unknown section [peers]; did you mean [peer]?", 1 },
	{ "[Daemon]\n", "t.conf:1: unknown section [Daemon]; did you mean [daemon]?", 1 },
	{ "[bogus]\n",
	  "t.conf:1: unknown section [bogus]; the sections are [daemon], [control], [peer], [tls], "
	  "[limits] and [device \"NAME\"]",
	  1 },
	{ "[\x1b[31m]\n",
	  "t.conf:1: unknown section [\\x1b[31m]; the sections are [daemon], [control], [peer], "
	  "[tls], [limits] and [device \"NAME\"]",
	  1 },
	{ "[device]\n", "t.conf:1: [device] needs a name: [device \"gpu0\"]", 1 },
	{ "[device gpu0]\n",
	  "t.conf:1: [device gpu0]: put the name in double quotes: [device \"NAME\"]", 1 },
	{ "[device \"a b\"]\n",
	  "t.conf:1: [device \"a b\"]: not a device name (1-63 of A-Z a-z 0-9 . _ : -)", 1 },
	{ "[device \"\"]\n",
	  "t.conf:1: [device \"\"]: not a device name (1-63 of A-Z a-z 0-9 . _ : -)", 1 },
	{ "[device \"" /* 65 characters */
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n",
	  "t.conf:1: [device "
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]: "
	  "not a device name (1-63 of A-Z a-z 0-9 . _ : -)",
	  1 },
	{ "[device \"a\"]\nbackend = sim\n[device \"b\"]\n[device \"a\"]\n",
	  "t.conf:4: [device \"a\"]: defined twice (first on line 1)", 4 },
	{ "log_level = info\n",
	  "t.conf:1: log_level: key outside any section; put it under [daemon], [control], "
	  "[peer], [tls], [limits] or [device \"NAME\"]",
	  1 },
	{ "[daemon]\n= x\n", "t.conf:2: [daemon] expected a key before '='", 2 },
	{ "[daemon]\nlog_levle = info\n",
	  "t.conf:2: [daemon] log_levle: unknown key; did you mean 'log_level'?", 2 },
	{ "[tls]\nfoo = 1\n",
	  "t.conf:2: [tls] foo: unknown key; the keys here are ca, crl, cert, key, allow, ktls",
	  2 },
	{ "[device \"d\"]\nbackedn = sim\n",
	  "t.conf:2: [device \"d\"] backedn: unknown key; did you mean 'backend'?", 2 },
	{ "[peer]\nlisten = 127.0.0.1:1\n[tls]\nlisten = 127.0.0.1:2\n",
	  "t.conf:4: [tls] listen: unknown key; the keys here are ca, crl, cert, key, allow, ktls",
	  4 },
	{ "[daemon]\nlog_level = info\nlog_level = debug\n",
	  "t.conf:3: [daemon] log_level: set twice (first on line 2); only list keys may repeat",
	  3 },
	{ "[peer]\nkeepalive_count = 1\n[daemon]\n[peer]\nkeepalive_count = 1\n",
	  "t.conf:5: [peer] keepalive_count: set twice (first on line 2); only list keys may "
	  "repeat",
	  5 },
	{ "[device \"a\"]\nbackend = sim\nbackend = vfio\n",
	  "t.conf:3: [device \"a\"] backend: set twice (first on line 2); only list keys may "
	  "repeat",
	  3 },
	{ "[daemon]\njunk\n", "t.conf:2: [daemon] expected 'key = value', '[section]' or a comment",
	  2 },
	{ "[daemon]\nhost_identity = "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxx\n",
	  "t.conf:2: [daemon] line is longer than 199 characters; split a list over repeated keys",
	  2 },
	/* the first error wins, later lines are not read */
	{ "[daemon]\nlog_level = loud\n[nonsense\n",
	  "t.conf:2: [daemon] log_level: 'loud' is not a log level (err, warning, notice, info, "
	  "debug)",
	  2 },
};

START_TEST(test_file_errors)
{
	load_fails(file_errors[_i].text, file_errors[_i].msg);
	ck_assert_uint_eq(err.line, file_errors[_i].line);
}
END_TEST

/* The message the brief asks for, word for word. */
START_TEST(test_message_shape)
{
	ck_assert_int_eq(config_load_string(&cfg,
					    "# line 1\n\n\n\n\n\n\n\n\n\n"
					    "[peer]\n"
					    "keepalive_interval = abc\n",
					    "/etc/vfio-migd/vfio-migd.conf", &err),
			 -EINVAL);
	ck_assert_str_eq(err.msg, "/etc/vfio-migd/vfio-migd.conf:12: [peer] keepalive_interval: "
				  "'abc' is not a duration (examples: 5s, 500ms, 2m)");
	ck_assert_uint_eq(err.line, 12);
	/* no origin */
	ck_assert_int_eq(config_load_string(&cfg, "[x]", NULL, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "<string>:1: unknown section [x]; the sections are [daemon], "
				  "[control], [peer], [tls], [limits] and [device \"NAME\"]");
	/* err may be NULL */
	ck_assert_int_eq(config_load_string(&cfg, "[x]", NULL, NULL), -EINVAL);
}
END_TEST

/* ---- values: good ----------------------------------------------------------------------- */

START_TEST(test_durations)
{
	static const struct {
		const char *v;
		uint64_t ms;
	} ok[] = {
		{ "0", 0 },	   { "0ms", 0 },	 { "1", 1000 },
		{ "1s", 1000 },	   { "500ms", 500 },	 { "2m", 120000 },
		{ "1h", 3600000 }, { "3600s", 3600000 }, { "0000720h", 720 * 3600000ULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		set_ok("limits.finished_job_ttl", ok[i].v);
		ck_assert_uint_eq(cfg.limits.finished_job_ttl_ms, ok[i].ms);
	}
	set_ok("peer.connect_timeout", "100ms"); /* both ends of a range */
	ck_assert_uint_eq(cfg.peer.connect_timeout_ms, 100);
	set_ok("peer.connect_timeout", "60m");
	ck_assert_uint_eq(cfg.peer.connect_timeout_ms, 3600000);
	set_ok("peer.tcp_keepalive_idle", "32767");
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_idle_ms, 32767000);
	set_ok("peer.tcp_keepalive_interval", "2000ms");
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_interval_ms, 2000);
	set_ok("peer.tcp_user_timeout", "0");
	ck_assert_uint_eq(cfg.peer.tcp_user_timeout_ms, 0);
	set_ok("peer.tcp_user_timeout", "24h");
	ck_assert_uint_eq(cfg.peer.tcp_user_timeout_ms, 86400000);
}
END_TEST

START_TEST(test_sizes_and_numbers)
{
	static const struct {
		const char *v;
		uint64_t b;
	} ok[] = {
		{ "0", 0 },	      { "unlimited", 0 },
		{ "UNLIMITED", 0 },   { "512", 512 },
		{ "1K", 1024 },	      { "1k", 1024 },
		{ "1KiB", 1024 },     { "1kib", 1024 },
		{ "3M", 3ULL << 20 }, { "3MiB", 3ULL << 20 },
		{ "2G", 2ULL << 30 }, { "2g", 2ULL << 30 },
		{ "1T", 1ULL << 40 }, { "1024G", 1ULL << 40 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		set_ok("limits.bandwidth", "7");
		set_ok("limits.bandwidth", ok[i].v);
		ck_assert_uint_eq(cfg.limits.bandwidth, ok[i].b);
	}
	set_ok("control.max_clients", "1");
	ck_assert_uint_eq(cfg.control.max_clients, 1);
	set_ok("control.max_clients", "4096");
	ck_assert_uint_eq(cfg.control.max_clients, 4096);
	set_ok("peer.keepalive_count", "0100");
	ck_assert_uint_eq(cfg.peer.keepalive_count, 100);
	set_ok("limits.max_devices", "4096");
	ck_assert_uint_eq(cfg.limits.max_devices, 4096);
}
END_TEST

START_TEST(test_booleans)
{
	static const char *yes[] = { "yes", "YES", "true", "True", "on", "ON", "1" };
	static const char *no[] = { "no", "No", "false", "FALSE", "off", "Off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		set_ok("tls.ktls", no[i]);
		ck_assert(!cfg.tls.ktls);
		set_ok("tls.ktls", yes[i]);
		ck_assert(cfg.tls.ktls);
	}
}
END_TEST

START_TEST(test_addresses)
{
	const struct config_addr *a;

	set_ok("peer.listen", "[fe80::1%eth0]:1 hv1.example.com:65535 [2001:db8::1]:7790 "
			      "10.1.2.3:7790");
	a = cfg.peer.listen.v;
	ck_assert_uint_eq(cfg.peer.listen.n, 4);
	ck_assert_int_eq(a[0].family, AF_INET6);
	ck_assert_str_eq(a[0].host, "fe80::1%eth0");
	ck_assert_uint_eq(a[0].port, 1);
	ck_assert_int_eq(a[1].family, AF_UNSPEC);
	ck_assert_str_eq(a[1].host, "hv1.example.com");
	ck_assert_uint_eq(a[1].port, 65535);
	ck_assert_str_eq(a[2].host, "2001:db8::1");
	ck_assert_int_eq(a[3].family, AF_INET);
	/* the same port on another address is fine; config_set replaces the list */
	set_ok("peer.listen", "127.0.0.1:7790 127.0.0.2:7790");
	ck_assert_uint_eq(cfg.peer.listen.n, 2);
	set_ok("peer.listen", "");
	ck_assert_uint_eq(cfg.peer.listen.n, 0);
	/* metrics: loopback only, "off" turns it off */
	set_ok("daemon.metrics_listen", "[::1]:9100");
	ck_assert_int_eq(cfg.daemon.metrics_listen.family, AF_INET6);
	set_ok("daemon.metrics_listen", "127.9.8.7:1");
	ck_assert_str_eq(cfg.daemon.metrics_listen.host, "127.9.8.7");
	set_ok("daemon.metrics_listen", "LOCALHOST:9100");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 9100);
	set_ok("daemon.metrics_listen", "off");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 0);
	set_ok("daemon.metrics_listen", "");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 0);
}
END_TEST

START_TEST(test_strings_and_paths)
{
	set_ok("control.group", "1000");
	ck_assert_str_eq(cfg.control.group, "1000");
	set_ok("control.group", "");
	ck_assert_str_eq(cfg.control.group, "");
	set_ok("control.mode", "0");
	ck_assert_uint_eq(cfg.control.mode, 0);
	set_ok("control.mode", "775");
	ck_assert_uint_eq(cfg.control.mode, 0775);
	set_ok("tls.crl", "/x");
	set_ok("tls.crl", "");
	ck_assert_ptr_null(cfg.tls.crl);
	set_ok("tls.crl", NULL);
	ck_assert_ptr_null(cfg.tls.crl);
	/* 107 bytes: the longest path sun_path holds */
	set_ok("control.socket",
	       "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_uint_eq(strlen(cfg.control.socket), 107);
	set_ok("daemon.host_identity", "a");
	set_ok("daemon.log_target", "stderr");
	ck_assert_int_eq(cfg.daemon.log_target, CONFIG_LOG_STDERR);
	set_ok("daemon.log_level", "err");
	ck_assert_int_eq(cfg.daemon.log_level, LOG_LVL_ERR);
	set_ok("daemon.log_level", "WARNING");
	ck_assert_int_eq(cfg.daemon.log_level, LOG_LVL_WARNING);
}
END_TEST

START_TEST(test_device_paths)
{
	static const struct {
		const char *v, *norm;
	} ok[] = {
		{ "0000:3b:00.1", "0000:3b:00.1" },
		{ "3b:00.1", "0000:3b:00.1" },
		{ "0001:3B:1f.7", "0001:3b:1f.7" },
		{ "10000:00:00.0", "10000:00:00.0" },
		{ "C0FFEE00-1234-4321-8765-0123456789AB", "c0ffee00-1234-4321-8765-0123456789ab" },
		{ "/dev/vfio/12", "/dev/vfio/12" },
		{ "/dev/vfio/12:3b:00.1", "/dev/vfio/12:0000:3b:00.1" },
		{ "/dev/vfio/7:C0FFEE00-1234-4321-8765-0123456789AB",
		  "/dev/vfio/7:c0ffee00-1234-4321-8765-0123456789ab" },
		{ "/dev/vfio/devices/vfio0", "/dev/vfio/devices/vfio0" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		set_ok("device.d.path", ok[i].v);
		ck_assert_str_eq(cfg.devices[0].path, ok[i].norm);
	}
	ck_assert_uint_eq(cfg.n_devices, 1);
	ck_assert_uint_eq(cfg.devices[0].line, 0);
}
END_TEST

START_TEST(test_identities)
{
	char longest[512];

	set_ok("tls.allow",
	       "sha256:00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff "
	       "DNS:a URI:urn:x");
	ck_assert_uint_eq(cfg.tls.allow.n, 3);
	ck_assert_str_eq(cfg.tls.allow.v[0].entry,
			 "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	ck_assert_uint_eq(cfg.tls.allow.v[0].sha256[10], 0xaa);
	ck_assert_int_eq(cfg.tls.allow.v[1].kind, CONFIG_ID_DNS);
	ck_assert_str_eq(cfg.tls.allow.v[1].entry, "dns:a");
	ck_assert_str_eq(cfg.tls.allow.v[2].entry, "uri:urn:x");
	/* tls/ keeps an entry in 512 bytes: 510 characters and no more */
	memset(longest, 'a', sizeof(longest));
	memcpy(longest, "uri:x:", 6);
	longest[510] = '\0';
	set_ok("tls.allow", longest);
	ck_assert_uint_eq(strlen(cfg.tls.allow.v[0].entry), 510);
	longest[510] = 'a';
	longest[511] = '\0';
	ck_assert_int_eq(config_set(&cfg, "tls.allow", longest, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "...' is too long (at most 510 characters)"));
	/* the file adds, line by line */
	load_ok("[tls]\nallow = dns:b\nallow = dns:c dns:d\n");
	ck_assert_uint_eq(cfg.tls.allow.n, 4);
	ck_assert_str_eq(cfg.tls.allow.v[3].entry, "dns:d");
}
END_TEST

/* ---- values: bad, through a file and through config_set --------------------------------- */

#define NOT_DUR	      "is not a duration (examples: 5s, 500ms, 2m)"
#define NOT_ADDR_PORT "has an invalid port (0 to 65535)" /* listeners: 0 = kernel picks */
#define NOT_SIZE      "is not a size (examples: unlimited, 512K, 100M, 2G)"
#define NOT_BOOL      "is not a boolean (yes/no, true/false, on/off, 1/0)"
#define NOT_VFIO                                                                \
	"is not a VFIO device (a PCI address like 0000:3b:00.1, an mdev UUID, " \
	"/dev/vfio/N[:DEVICE] or /dev/vfio/devices/vfioN)"
#define NOT_ID	"is not a peer identity (dns:NAME, uri:URI or sha256:HEX)"
#define NOT_SHA "is not a SHA-256 fingerprint (64 hex digits, or 32 pairs joined by ':')"
#define HEX63	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeef"

/* Table: a key, a bad value, and what must be said about it (after "where: "). */
static const struct {
	const char *key, *value, *why;
} value_errors[] = {
	{ "peer.keepalive_interval", "abc", "'abc' " NOT_DUR },
	{ "peer.keepalive_interval", "-1", "'-1' " NOT_DUR },
	{ "peer.keepalive_interval", "+5s", "'+5s' " NOT_DUR },
	{ "peer.keepalive_interval", "1.5s", "'1.5s' " NOT_DUR },
	{ "peer.keepalive_interval", "5S", "'5S' " NOT_DUR },
	{ "peer.keepalive_interval", "5sec", "'5sec' " NOT_DUR },
	{ "peer.keepalive_interval", "1d", "'1d' " NOT_DUR },
	{ "peer.keepalive_interval", "s", "'s' " NOT_DUR },
	{ "peer.keepalive_interval", "500ms", "'500ms' is out of range (0, or 1s to 1h)" },
	{ "peer.keepalive_interval", "61m", "'61m' is out of range (0, or 1s to 1h)" },
	{ "peer.keepalive_interval", "18446744073709551616",
	  "'18446744073709551616' is out of range (0, or 1s to 1h)" },
	{ "peer.keepalive_interval", "18446744073709551615s",
	  "'18446744073709551615s' is out of range (0, or 1s to 1h)" },
	{ "peer.keepalive_interval", "99999999999999999999999999999ms",
	  "'99999999999999999999999999999ms' is out of range (0, or 1s to 1h)" },
	{ "peer.connect_timeout", "0", "'0' is out of range (100ms to 1h)" },
	{ "peer.connect_timeout", "99ms", "'99ms' is out of range (100ms to 1h)" },
	{ "peer.tcp_keepalive_idle", "1500ms",
	  "'1500ms' is not a whole number of seconds (the kernel counts TCP keepalive in "
	  "seconds)" },
	{ "peer.tcp_keepalive_idle", "32768", "'32768' is out of range (1s to 32767s)" },
	{ "peer.tcp_keepalive_interval", "0", "'0' is out of range (1s to 32767s)" },
	{ "peer.tcp_user_timeout", "25h", "'25h' is out of range (0, or 1s to 24h)" },
	{ "limits.job_timeout", "721h", "'721h' is out of range (0, or 1s to 720h)" },
	{ "limits.finished_job_ttl", "30d", "'30d' " NOT_DUR },
	{ "limits.bandwidth", "12X", "'12X' " NOT_SIZE },
	{ "limits.bandwidth", "-1", "'-1' " NOT_SIZE },
	{ "limits.bandwidth", "1.5G", "'1.5G' " NOT_SIZE },
	{ "limits.bandwidth", "M", "'M' " NOT_SIZE },
	{ "limits.bandwidth", "100MB",
	  "'100MB' is ambiguous; sizes are binary: write M or MiB, not MB" },
	{ "limits.bandwidth", "1025G", "'1025G' is out of range (0 to 1T)" },
	{ "limits.bandwidth", "17179869184G", "'17179869184G' is out of range (0 to 1T)" },
	{ "tls.ktls", "maybe", "'maybe' " NOT_BOOL },
	{ "tls.ktls", "2", "'2' " NOT_BOOL },
	{ "tls.ktls", "y", "'y' " NOT_BOOL },
	{ "control.max_clients", "0", "'0' is out of range (1 to 4096)" },
	{ "control.max_clients", "4097", "'4097' is out of range (1 to 4096)" },
	{ "control.max_clients", "abc", "'abc' is not a whole number" },
	{ "control.max_clients", "-1", "'-1' is not a whole number" },
	{ "control.max_clients", "1e3", "'1e3' is not a whole number" },
	{ "control.max_clients", "0x10", "'0x10' is not a whole number" },
	{ "control.max_clients", "99999999999999999999999",
	  "'99999999999999999999999' is out of range (1 to 4096)" },
	{ "peer.keepalive_count", "101", "'101' is out of range (1 to 100)" },
	{ "peer.tcp_keepalive_count", "128", "'128' is out of range (1 to 127)" },
	{ "limits.max_jobs", "0", "'0' is out of range (1 to 1024)" },
	{ "limits.max_devices", "4097", "'4097' is out of range (1 to 4096)" },
	{ "daemon.log_level", "verbose",
	  "'verbose' is not a log level (err, warning, notice, info, debug)" },
	{ "daemon.log_target", "syslog", "'syslog' is not a log target (stderr, journal or auto)" },
	{ "daemon.host_identity", "a/b",
	  "'a/b' is not a host identity (1-253 of A-Z a-z 0-9 . _ : -)" },
	{ "daemon.state_dir", "var/lib", "'var/lib' is not an absolute path" },
	{ "daemon.state_dir", "~/x", "'~/x' is not an absolute path" },
	{ "daemon.state_dir", "/a\x7f", "'/a\\x7f' contains control characters" },
	{ "control.socket", "run/x.sock", "'run/x.sock' is not an absolute path" },
	{ "control.socket",
	  "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aa"
	  "aaaaaaaaaaaaaaaaaaa",
	  "'/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
	  "is "
	  "too long (at most 107 bytes)" },
	{ "tls.ca", "ca.pem", "'ca.pem' is not an absolute path" },
	{ "control.group", "-x", "'-x' is not a group name (up to 32 of A-Z a-z 0-9 _ . -)" },
	{ "control.group", "a:b", "'a:b' is not a group name (up to 32 of A-Z a-z 0-9 _ . -)" },
	{ "control.group", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not a group name (up to 32 of A-Z a-z 0-9 _ . "
	  "-)" },
	{ "control.group", "4294967295", "'4294967295' is not a group id (0 to 4294967294)" },
	{ "control.mode", "0666",
	  "'0666' lets every local user connect and drive devices; use 0660 and [control] group" },
	{ "control.mode", "0662",
	  "'0662' lets every local user connect and drive devices; use 0660 and [control] group" },
	{ "control.mode", "1770", "'1770' has bits other than permissions (at most 0777)" },
	{ "control.mode", "0680", "'0680' is not an octal mode (e.g. 0660)" },
	{ "control.mode", "00660", "'00660' is not an octal mode (e.g. 0660)" },
	{ "control.mode", "rw", "'rw' is not an octal mode (e.g. 0660)" },
	{ "control.allowed_uids", "root",
	  "'root' is not a user id (a number from 0 to 4294967294; names are not accepted)" },
	{ "control.allowed_uids", "4294967295",
	  "'4294967295' is not a user id (a number from 0 to 4294967294; names are not accepted)" },
	{ "control.allowed_uids", "0 1 0", "'0' is listed twice" },
	{ "daemon.metrics_listen", "0.0.0.0:9100",
	  "'0.0.0.0:9100' is not a loopback address; metrics have no authentication (use "
	  "127.0.0.1:PORT or [::1]:PORT)" },
	{ "daemon.metrics_listen", "[::]:9100",
	  "'[::]:9100' is not a loopback address; metrics have no authentication (use "
	  "127.0.0.1:PORT or [::1]:PORT)" },
	{ "daemon.metrics_listen", "127.0.0.1",
	  "'127.0.0.1' has no port (HOST:PORT, e.g. 0.0.0.0:7790)" },
	{ "peer.listen", "0.0.0.0", "'0.0.0.0' has no port (HOST:PORT, e.g. 0.0.0.0:7790)" },
	{ "daemon.metrics_listen", "127.0.0.1:0",
	  "'127.0.0.1:0' has an invalid port (1 to 65535)" },
	{ "peer.listen", "0.0.0.0:65536", "'0.0.0.0:65536' " NOT_ADDR_PORT },
	{ "peer.listen", "0.0.0.0:", "'0.0.0.0:' " NOT_ADDR_PORT },
	{ "peer.listen", "0.0.0.0:http", "'0.0.0.0:http' " NOT_ADDR_PORT },
	{ "peer.listen", "0.0.0.0:-1", "'0.0.0.0:-1' " NOT_ADDR_PORT },
	{ "peer.listen", "[::]:65536", "'[::]:65536' " NOT_ADDR_PORT },
	{ "peer.listen", "[::1:7790", "'[::1:7790' has an unclosed '['" },
	{ "peer.listen", "[::1]", "'[::1]' has no port (e.g. [::]:7790)" },
	{ "peer.listen", "[::1]7790", "'[::1]7790' has text after ']' where ':PORT' belongs" },
	{ "peer.listen", "[::g]:7790", "'[::g]:7790' has an invalid IPv6 address" },
	{ "peer.listen", "[]:7790", "'[]:7790' has an invalid IPv6 address" },
	{ "peer.listen", "[1.2.3.4]:7790", "'[1.2.3.4]:7790' has an invalid IPv6 address" },
	{ "peer.listen", "[fe80::1%]:7790", "'[fe80::1%]:7790' has an invalid IPv6 address" },
	{ "peer.listen", "[fe80::1%a/b]:7790", "'[fe80::1%a/b]:7790' has an invalid IPv6 address" },
	{ "peer.listen", "::1:7790",
	  "'::1:7790' looks like an IPv6 address: put it in brackets (e.g. [::1]:7790)" },
	{ "peer.listen", ":7790",
	  "':7790' has no host (0.0.0.0:PORT or [::]:PORT listen on every address)" },
	{ "peer.listen", "256.1.1.1:7790", "'256.1.1.1:7790' has an invalid IPv4 address" },
	{ "peer.listen", "1.2.3:7790", "'1.2.3:7790' has an invalid IPv4 address" },
	{ "peer.listen", "-bad:7790", "'-bad:7790' has an invalid host name" },
	{ "peer.listen", "bad-:7790", "'bad-:7790' has an invalid host name" },
	{ "peer.listen", "a..b:7790", "'a..b:7790' has an invalid host name" },
	{ "peer.listen", "host_1:7790", "'host_1:7790' has an invalid host name" },
	{ "peer.listen", "*:7790", "'*:7790' has an invalid host name" },
	{ "peer.listen", "127.0.0.1:1 127.0.0.1:1", "'127.0.0.1:1' is listed twice" },
	{ "peer.listen", /* short names, so that the file's line stays under 200 characters */
	  "h:1 h:2 h:3 h:4 h:5 h:6 h:7 h:8 h:9 h:10 h:11 h:12 h:13 h:14 h:15 h:16 h:17",
	  "'h:17' is one address too many (at most 16)" },
	{ "tls.allow", "foo", "'foo' " NOT_ID },
	{ "tls.allow", "spiffe://x/y", "'spiffe://x/y' " NOT_ID },
	{ "tls.allow", "dns:*.example.com",
	  "'dns:*.example.com' has a wildcard; list each peer's name" },
	{ "tls.allow", "dns:", "'dns:' has an invalid DNS name" },
	{ "tls.allow", "dns:a_b", "'dns:a_b' has an invalid DNS name" },
	{ "tls.allow", "uri:nocolon",
	  "'uri:nocolon' has an invalid URI (e.g. uri:spiffe://example.org/hv1)" },
	{ "tls.allow", "uri:1x:y",
	  "'uri:1x:y' has an invalid URI (e.g. uri:spiffe://example.org/hv1)" },
	{ "tls.allow",
	  "uri:x:", "'uri:x:' has an invalid URI (e.g. uri:spiffe://example.org/hv1)" },
	{ "tls.allow", "sha256:abcd", "'sha256:abcd' " NOT_SHA },
	{ "tls.allow", "sha256:" HEX63, "'sha256:" HEX63 "' " NOT_SHA },
	{ "tls.allow", "sha256:" HEX63 "ff", "'sha256:" HEX63 "ff' " NOT_SHA },
	{ "tls.allow", "sha256:" HEX63 "g", "'sha256:" HEX63 "g' " NOT_SHA },
	{ "tls.allow", "dns:a.b dns:A.B", "'dns:A.B' is listed twice" },
	/* colons between every pair or none, as tls/ takes them */
	{ "tls.allow", "sha256:00:112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	  "'sha256:00:112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' " NOT_SHA },
	{ "tls.allow",
	  "sha256:00:11-22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:10:21:32:43:54:65:76:87:98:a9:ba:"
	  "cb:dc:ed:fe:0f",
	  "'sha256:00:11-22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:10:21:32:43:54:65:76:87:9...'"
	  " " NOT_SHA },
	{ "tls.allow", "sha256:" HEX63 "f:", "'sha256:" HEX63 "f:' " NOT_SHA },
	{ "device.d.backend", "qemu", "'qemu' is not a backend (sim or vfio)" },
	{ "device.d.backend", "", "'' is not a backend (sim or vfio)" },
	{ "device.d.path", "0000:3b:00.8", "'0000:3b:00.8' " NOT_VFIO },
	{ "device.d.path", "0000:3b:20.0", "'0000:3b:20.0' " NOT_VFIO },
	{ "device.d.path", "0000:3b:00", "'0000:3b:00' " NOT_VFIO },
	{ "device.d.path", "0000:3b:00.1x", "'0000:3b:00.1x' " NOT_VFIO },
	{ "device.d.path", "000000000:3b:00.1", "'000000000:3b:00.1' " NOT_VFIO },
	{ "device.d.path", "0x00:3b:00.1", "'0x00:3b:00.1' " NOT_VFIO },
	{ "device.d.path", "c0ffee00-1234-4321-8765-0123456789ag",
	  "'c0ffee00-1234-4321-8765-0123456789ag' " NOT_VFIO },
	{ "device.d.path", "c0ffee00-1234-4321-8765-0123456789a",
	  "'c0ffee00-1234-4321-8765-0123456789a' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/vfio", "'/dev/vfio/vfio' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/", "'/dev/vfio/' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/12:", "'/dev/vfio/12:' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/12:eth0", "'/dev/vfio/12:eth0' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/12345678901", "'/dev/vfio/12345678901' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/devices/vfio", "'/dev/vfio/devices/vfio' " NOT_VFIO },
	{ "device.d.path", "/dev/vfio/devices/vfioX", "'/dev/vfio/devices/vfioX' " NOT_VFIO },
	{ "device.d.path", "/sys/bus/pci/devices/0000:3b:00.1",
	  "'/sys/bus/pci/devices/0000:3b:00.1' " NOT_VFIO },
	{ "device.d.spec", "size=1\x01",
	  "'size=1\\x01' is not a sim spec (e.g. size=256M,flags=stop_copy|pre_copy; printable, "
	  "no spaces)" },
};

/* "section.key" -> a file that sets it on line 2, and the prefix its message must have. */
static void file_for(const char *dotted, const char *value, char *text, size_t tlen, char *where,
		     size_t wlen)
{
	const char *dot = strchr(dotted, '.'), *last = strrchr(dotted, '.');

	if (strncmp(dotted, "device.", 7) == 0) {
		snprintf(text, tlen, "[device \"%.*s\"]\n%s = %s\n", (int)(last - dot - 1), dot + 1,
			 last + 1, value);
		snprintf(where, wlen, "t.conf:2: [device \"%.*s\"] %s", (int)(last - dot - 1),
			 dot + 1, last + 1);
	} else {
		snprintf(text, tlen, "[%.*s]\n%s = %s\n", (int)(dot - dotted), dotted, dot + 1,
			 value);
		snprintf(where, wlen, "t.conf:2: [%.*s] %s", (int)(dot - dotted), dotted, dot + 1);
	}
}

/* A listener may ask for port 0: the kernel picks one and the daemon reports it. */
START_TEST(test_listen_port_zero)
{
	ck_assert_int_eq(config_set(&cfg, "peer.listen", "127.0.0.1:0 [::1]:0", &err), 0);
	ck_assert_uint_eq(cfg.peer.listen.n, 2);
	ck_assert_uint_eq(cfg.peer.listen.v[0].port, 0);
	ck_assert_uint_eq(cfg.peer.listen.v[1].port, 0);
}
END_TEST

START_TEST(test_value_errors)
{
	const char *key = value_errors[_i].key, *value = value_errors[_i].value;
	char text[1024], where[256], want[1400];
	size_t before;

	/* config_set: "section.key: why", nothing changed */
	before = cfg.peer.listen.n;
	ck_assert_int_eq(config_set(&cfg, key, value, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s: %s", key, value_errors[_i].why);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(err.line, 0);
	ck_assert_uint_eq(cfg.n_devices, 0);
	ck_assert_uint_eq(cfg.peer.listen.n, before);

	/* the file: "t.conf:2: [section] key: why" */
	file_for(key, value, text, sizeof(text), where, sizeof(where));
	ck_assert_int_eq(load(text), -EINVAL);
	snprintf(want, sizeof(want), "%s: %s", where, value_errors[_i].why);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(err.line, 2);
}
END_TEST

/* A bad item leaves a list as it was, in the file and in config_set. */
START_TEST(test_list_rollback)
{
	load_ok("[peer]\nlisten = 127.0.0.1:1\n[control]\nallowed_uids = 5\n[tls]\nallow = "
		"dns:a\n");
	ck_assert_int_eq(config_set(&cfg, "peer.listen", "127.0.0.1:2 nope", &err), -EINVAL);
	ck_assert_uint_eq(cfg.peer.listen.n, 1);
	ck_assert_uint_eq(cfg.peer.listen.v[0].port, 1);
	ck_assert_int_eq(config_set(&cfg, "control.allowed_uids", "6 x", &err), -EINVAL);
	ck_assert_uint_eq(cfg.control.allowed_uids.n, 1);
	ck_assert_int_eq(config_set(&cfg, "tls.allow", "dns:b dns:b", &err), -EINVAL);
	ck_assert_uint_eq(cfg.tls.allow.n, 1);
	ck_assert_str_eq(cfg.tls.allow.v[0].entry, "dns:a");
	/* a file's line adds all of its items or none */
	ck_assert_int_eq(load("[tls]\nallow = dns:c dns:a\n"), -EINVAL);
	ck_assert_str_eq(err.msg, "t.conf:2: [tls] allow: 'dns:a' is listed twice");
	ck_assert_uint_eq(cfg.tls.allow.n, 1);
	ck_assert_int_eq(load("[peer]\nlisten = 127.0.0.1:2 127.0.0.1:1\n"), -EINVAL);
	ck_assert_uint_eq(cfg.peer.listen.n, 1);
	ck_assert_int_eq(load("[control]\nallowed_uids = 6 5\n"), -EINVAL);
	ck_assert_uint_eq(cfg.control.allowed_uids.n, 1);
}
END_TEST

/* ---- config_set ------------------------------------------------------------------------- */

START_TEST(test_set)
{
	load_ok("[peer]\nlisten = 0.0.0.0:7790 [::]:7790\n[device \"a\"]\nbackend = sim\n");
	set_ok("peer.listen", "127.0.0.1:7777");
	ck_assert_uint_eq(cfg.peer.listen.n, 1);
	ck_assert_str_eq(cfg.peer.listen.v[0].host, "127.0.0.1");
	/* a device from the file, then a new one */
	set_ok("device.a.spec", "size=1M");
	ck_assert_str_eq(cfg.devices[0].spec, "size=1M");
	set_ok("device.b:0.backend", "vfio");
	set_ok("device.b:0.path", "/dev/vfio/3");
	ck_assert_uint_eq(cfg.n_devices, 2);
	ck_assert_str_eq(cfg.devices[1].name, "b:0");
	ck_assert_uint_eq(cfg.devices[1].line, 0);
	/* a name with dots: the key is after the last one */
	set_ok("device.x.y.z.backend", "sim");
	ck_assert_str_eq(cfg.devices[2].name, "x.y.z");
	/* a value the file could not hold: spaces around it are not trimmed by config_set */
	ck_assert_int_eq(config_set(&cfg, "peer.keepalive_count", " 3", &err), -EINVAL);
	ck_assert_str_eq(err.msg, "peer.keepalive_count: ' 3' is not a whole number");
	set_ok("limits.max_devices", "3");
	set_ok("peer.listen", ""); /* or TLS would be required */
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
}
END_TEST

static const struct {
	const char *key, *msg;
} set_errors[] = {
	{ "peer.lisen", "peer.lisen: unknown key; did you mean 'peer.listen'?" },
	{ "peers.listen", "peers.listen: unknown key; did you mean 'peer.listen'?" },
	{ "peer", "peer: unknown key; keys are SECTION.KEY or device.NAME.KEY (see "
		  "vfio-migd.conf.example)" },
	{ "", ": unknown key; keys are SECTION.KEY or device.NAME.KEY (see "
	      "vfio-migd.conf.example)" },
	{ "nosuch.thing.at.all", "nosuch.thing.at.all: unknown key; keys are SECTION.KEY or "
				 "device.NAME.KEY (see vfio-migd.conf.example)" },
	{ "device.backend", "device.backend: unknown key; device keys are device.NAME.backend, "
			    "device.NAME.path and device.NAME.spec" },
	{ "device.a.kind", "device.a.kind: unknown key; device keys are device.NAME.backend, "
			   "device.NAME.path and device.NAME.spec" },
	{ "device..backend", "device..backend: not a device name (1-63 of A-Z a-z 0-9 . _ : -)" },
	{ "device.a b.backend",
	  "device.a b.backend: not a device name (1-63 of A-Z a-z 0-9 . _ : -)" },
	{ "device.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.backend",
	  "device.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.backend: not a "
	  "device name (1-63 of A-Z a-z 0-9 . _ : -)" },
	{ "peer.listen\x1b", "peer.listen\\x1b: unknown key; did you mean 'peer.listen'?" },
};

START_TEST(test_set_errors)
{
	ck_assert_int_eq(config_set(&cfg, set_errors[_i].key, "sim", &err), -EINVAL);
	ck_assert_str_eq(err.msg, set_errors[_i].msg);
	ck_assert_uint_eq(cfg.n_devices, 0);
	ck_assert_int_eq(config_set(&cfg, set_errors[_i].key, "sim", NULL), -EINVAL);
}
END_TEST

/* ---- config_validate -------------------------------------------------------------------- */

static const char tls_files[] = "ca = /ca.pem\ncert = /c.pem\nkey = /k.pem\n";

static const struct {
	const char *text, *msg;
	unsigned int line;
} validate_errors[] = {
	{ "[peer]\nlisten = [::]:7790\n",
	  "t.conf: [tls] ca: not set, but [peer] listen is set; peer links use mutual TLS and "
	  "need ca, cert and key",
	  0 },
	{ "[peer]\nlisten = [::]:7790\n[tls]\nca = /ca.pem\nkey = /k.pem\nallow = dns:x\n",
	  "t.conf: [tls] cert: not set, but [peer] listen is set; peer links use mutual TLS and "
	  "need ca, cert and key",
	  0 },
	{ "[tls]\nca = /ca.pem\ncert = /c.pem\n",
	  "t.conf: [tls] key: not set, but [tls] is partly set; peer links use mutual TLS and "
	  "need ca, cert and key",
	  0 },
	{ "[tls]\nallow = dns:x\n",
	  "t.conf: [tls] ca: not set, but [tls] is partly set; peer links use mutual TLS and "
	  "need ca, cert and key",
	  0 },
	{ "[peer]\nlisten = [::]:7790\n[tls]\nca = /ca.pem\ncert = /c.pem\nkey = /k.pem\n",
	  "t.conf: [tls] allow: empty, so no peer would be accepted; list the peers (dns:NAME, "
	  "uri:URI or sha256:HEX)",
	  0 },
	{ "\n[device \"a\"]\n", "t.conf:2: [device \"a\"] backend: not set (sim or vfio)", 2 },
	{ "[device \"a\"]\nbackend = vfio\n",
	  "t.conf:1: [device \"a\"] path: not set; backend vfio needs a PCI address, an mdev UUID "
	  "or a /dev/vfio path",
	  1 },
	{ "[device \"a\"]\nbackend = vfio\npath = 3b:00.0\nspec = size=1M\n",
	  "t.conf:1: [device \"a\"] spec: only for backend sim", 1 },
	{ "[device \"a\"]\npath = 3b:00.0\nbackend = sim\n",
	  "t.conf:1: [device \"a\"] path: only for backend vfio", 1 },
	{ "[device \"a\"]\nbackend = vfio\npath = 3b:00.0\n"
	  "[device \"b\"]\nbackend = vfio\npath = 0000:3B:00.0\n",
	  "t.conf:4: [device \"b\"] path: the same device as another [device]", 4 },
	{ "[limits]\nmax_devices = 2\n[device \"a\"]\nbackend = sim\n[device \"b\"]\nbackend = "
	  "sim\n[device \"c\"]\nbackend = sim\n",
	  "t.conf: [limits] max_devices: 2, but 3 devices are configured", 0 },
};

START_TEST(test_validate_errors)
{
	load_ok(validate_errors[_i].text);
	ck_assert_int_eq(config_validate(&cfg, &err), -EINVAL);
	ck_assert_str_eq(err.msg, validate_errors[_i].msg);
	ck_assert_uint_eq(err.line, validate_errors[_i].line);
	ck_assert_int_eq(config_validate(&cfg, NULL), -EINVAL);
}
END_TEST

START_TEST(test_validate)
{
	char text[512];

	/* a complete TLS setup passes, with or without a listener */
	snprintf(text, sizeof(text), "[tls]\n%sallow = dns:peer\n", tls_files);
	load_ok(text);
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
	set_ok("peer.listen", "[::]:7790");
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
	/* devices made by config_set are named the config_set way */
	set_ok("device.z.path", "3b:00.1");
	ck_assert_int_eq(config_validate(&cfg, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "device.z.backend: not set (sim or vfio)");
	set_ok("device.z.backend", "vfio");
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
	/* a host name that cannot be an identity (as gethostname might return) */
	free(cfg.daemon.host_identity);
	cfg.daemon.host_identity = strdup("bad name");
	ck_assert_int_eq(config_validate(&cfg, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "t.conf: [daemon] host_identity: the host name is not usable as "
				  "an identity (1-253 of A-Z a-z 0-9 . _ : -); set host_identity");
	/* without a source there is no file to name */
	free(cfg.source);
	cfg.source = NULL;
	ck_assert_int_eq(config_validate(&cfg, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "[daemon] host_identity: the host name is not usable as an "
				  "identity (1-253 of A-Z a-z 0-9 . _ : -); set host_identity");
}
END_TEST

/* ---- files ------------------------------------------------------------------------------ */

START_TEST(test_load_file)
{
	static const char text[] = "[daemon]\nlog_level = notice\n[limits]\nmax_jobs = x\n";
	char dir[64], want[256], *path;

	path = tmpfile_with(text, 28, dir); /* the first two lines */
	ck_assert_int_eq(config_load(&cfg, path, &err), 0);
	ck_assert_int_eq(cfg.daemon.log_level, LOG_LVL_NOTICE);
	ck_assert_str_eq(cfg.source, path);
	tmpfile_remove(path, dir);

	path = tmpfile_with(text, sizeof(text) - 1, dir);
	ck_assert_int_eq(config_load(&cfg, path, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: [limits] max_jobs: 'x' is not a whole number", path);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(err.line, 4);
	tmpfile_remove(path, dir);

	/* a NUL byte: not a text file */
	path = tmpfile_with("[daemon]\n\n# x\0y\n", 16, dir);
	ck_assert_int_eq(config_load(&cfg, path, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: contains a NUL byte; is this a text file?", path);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(err.line, 3);
	tmpfile_remove(path, dir);

	ck_assert_int_eq(config_load(&cfg, "/nonexistent/vfio-migd.conf", &err), -ENOENT);
	ck_assert_str_eq(err.msg, "/nonexistent/vfio-migd.conf: cannot read: No such file or "
				  "directory");
	ck_assert_int_eq(config_load(&cfg, "/", &err), -EISDIR);
	ck_assert_str_eq(err.msg, "/: cannot read: Is a directory");
	ck_assert_int_eq(config_load(&cfg, "/nonexistent", NULL), -ENOENT);
}
END_TEST

/* CONFIG_FILE_MAX bytes load; one more does not. */
START_TEST(test_file_size_limit)
{
	char *big = malloc(CONFIG_FILE_MAX + 64), dir[64], want[256], *path;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < CONFIG_FILE_MAX + 1; i += 64) {
		memset(big + i, '#', 63);
		big[i + 63] = '\n';
	}
	path = tmpfile_with(big, CONFIG_FILE_MAX, dir);
	ck_assert_int_eq(config_load(&cfg, path, &err), 0);
	tmpfile_remove(path, dir);
	path = tmpfile_with(big, CONFIG_FILE_MAX + 1, dir);
	ck_assert_int_eq(config_load(&cfg, path, &err), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1024 KiB; is this the right file?", path);
	ck_assert_str_eq(err.msg, want);
	tmpfile_remove(path, dir);
	free(big);
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Pieces that make garbage look like a config, so the parser gets past line 1. */
static const char *const pieces[] = {
	"[daemon]",	"[peer]",    "[device \"", "\"]",     "\n",	  " = ",  "=",
	"listen",	"allow",     "dns:",	   "[::]:",   "7790",	  "#",	  ";",
	"\"",		" ",	     "\t",	   "backend", "sim",	  "\r",	  "log_level",
	"\xef\xbb\xbf", "0.0.0.0:1", "sha256:",	   "]",	      "[",	  ":",	  "5s",
	"mode",		"0660",	     "path",	   "3b:00.1", "\xff\xfe", "\x01", "spec",
};

/* A megabyte of garbage, three kinds, through config_load: an error or success, no crash. */
START_TEST(test_garbage)
{
	const size_t len = 1000000;
	char *g = malloc(len + 1), dir[64], *path;
	int r;

	ck_assert_ptr_nonnull(g);
	for (size_t i = 0; i < len; i++) /* bytes, NULs included */
		g[i] = (char)xorshift();
	path = tmpfile_with(g, len, dir);
	ck_assert_int_lt(config_load(&cfg, path, &err), 0);
	ck_assert_uint_gt(strlen(err.msg), 0);
	for (size_t i = 0; i < len; i++) /* no NULs: the parser proper */
		g[i] = (char)(xorshift() % 255 + 1);
	g[len] = '\0';
	ck_assert_int_eq(config_load_string(&cfg, g, "g", &err), -EINVAL);
	for (size_t i = 0; i < len;) { /* config-shaped */
		const char *p = pieces[xorshift() % ARRAY_SIZE(pieces)];
		size_t n = strlen(p) < len - i ? strlen(p) : len - i;

		memcpy(g + i, p, n);
		i += n;
	}
	for (int round = 0; round < 50; round++) {
		r = config_load_string(&cfg, g + round * 1000, "g", &err);
		ck_assert(r == 0 || r == -EINVAL);
		if (r == 0)
			config_validate(&cfg, &err);
	}
	tmpfile_remove(path, dir);
	free(g);
}
END_TEST

/* ---- the shipped example ---------------------------------------------------------------- */

/* The example as shipped: everything commented out, so exactly the defaults. */
START_TEST(test_example_as_shipped)
{
	struct config def;

	ck_assert_int_eq(config_init(&def), 0);
	ck_assert_int_eq(config_load(&cfg, CONFIG_EXAMPLE, &err), 0);
	ck_assert_int_eq(config_validate(&cfg, &err), 0);
	ck_assert_uint_eq(cfg.n_devices, 0);
	ck_assert_uint_eq(cfg.peer.listen.n, 0);
	ck_assert_uint_eq(cfg.control.mode, def.control.mode);
	config_free(&def);
}
END_TEST

/* Uncomments "#key = value" and "#[device" lines. */
static char *example_uncommented(void)
{
	char *text = slurp(CONFIG_EXAMPLE), *out = calloc(1, strlen(text) + 1), *o = out;

	ck_assert_ptr_nonnull(out);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		size_t keylen = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");

		if (line[0] == '#' && ((keylen && strncmp(line + 1 + keylen, " = ", 3) == 0) ||
				       strncmp(line, "#[device", 8) == 0))
			line++;
		o += sprintf(o, "%s\n", line);
	}
	free(text);
	return out;
}

/*
 * Uncommented, the example sets every key; it must parse and validate, and where it shows a
 * default that must be config_init's.
 */
START_TEST(test_example_uncommented)
{
	char *text = example_uncommented(), *shipped = slurp(CONFIG_EXAMPLE), pat[64];
	struct config def;

	ck_assert_int_eq(config_init(&def), 0);
	ck_assert_int_eq(config_load_string(&cfg, text, "example", &err), 0);
	ck_assert_msg(config_validate(&cfg, &err) == 0, "%s", err.msg);
	for (size_t i = 0; config_key_name(i); i++) {
		const char *key = strrchr(config_key_name(i), '.') + 1;

		snprintf(pat, sizeof(pat), "\n#%s = ", key);
		ck_assert_msg(strstr(shipped, pat), "%s is not in the example", config_key_name(i));
	}
	ck_assert_uint_eq(cfg.n_devices, 2);
	ck_assert_uint_eq(cfg.peer.listen.n, 1);
	ck_assert_uint_eq(cfg.tls.allow.n, 2);
	ck_assert_int_eq(cfg.daemon.log_level, def.daemon.log_level);
	ck_assert_int_eq(cfg.daemon.log_target, def.daemon.log_target);
	ck_assert_str_eq(cfg.daemon.state_dir, def.daemon.state_dir);
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, def.daemon.metrics_listen.port);
	ck_assert_str_eq(cfg.control.socket, def.control.socket);
	ck_assert_str_eq(cfg.control.group, def.control.group);
	ck_assert_uint_eq(cfg.control.mode, def.control.mode);
	ck_assert_uint_eq(cfg.control.max_clients, def.control.max_clients);
	ck_assert_uint_eq(cfg.peer.connect_timeout_ms, def.peer.connect_timeout_ms);
	ck_assert_uint_eq(cfg.peer.handshake_timeout_ms, def.peer.handshake_timeout_ms);
	ck_assert_uint_eq(cfg.peer.keepalive_interval_ms, def.peer.keepalive_interval_ms);
	ck_assert_uint_eq(cfg.peer.keepalive_count, def.peer.keepalive_count);
	ck_assert_uint_eq(cfg.peer.tcp_user_timeout_ms, def.peer.tcp_user_timeout_ms);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_idle_ms, def.peer.tcp_keepalive_idle_ms);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_interval_ms, def.peer.tcp_keepalive_interval_ms);
	ck_assert_uint_eq(cfg.peer.tcp_keepalive_count, def.peer.tcp_keepalive_count);
	ck_assert_int_eq(cfg.tls.ktls, def.tls.ktls);
	ck_assert_uint_eq(cfg.limits.max_jobs, def.limits.max_jobs);
	ck_assert_uint_eq(cfg.limits.bandwidth, def.limits.bandwidth);
	ck_assert_uint_eq(cfg.limits.job_timeout_ms, def.limits.job_timeout_ms);
	ck_assert_uint_eq(cfg.limits.finished_job_ttl_ms, def.limits.finished_job_ttl_ms);
	ck_assert_uint_eq(cfg.limits.max_devices, def.limits.max_devices);
	config_free(&def);
	free(shipped);
	free(text);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_key_names);
	tcase_add_test(tc, test_syntax);
	tcase_add_loop_test(tc, test_file_errors, 0, ARRAY_SIZE(file_errors));
	tcase_add_test(tc, test_message_shape);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_sizes_and_numbers);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_strings_and_paths);
	tcase_add_test(tc, test_device_paths);
	tcase_add_test(tc, test_identities);
	tcase_add_loop_test(tc, test_value_errors, 0, ARRAY_SIZE(value_errors));
	tcase_add_test(tc, test_listen_port_zero);
	tcase_add_test(tc, test_list_rollback);
	tcase_add_test(tc, test_set);
	tcase_add_loop_test(tc, test_set_errors, 0, ARRAY_SIZE(set_errors));
	tcase_add_loop_test(tc, test_validate_errors, 0, ARRAY_SIZE(validate_errors));
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_example_as_shipped);
	tcase_add_test(tc, test_example_uncommented);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
