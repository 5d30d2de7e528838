/*
 * test_config_file.c - config files: the grammar (comments, quoting, BOM, CRLF, long lines),
 * every file-level message, the message shape, loading from disk (partial files, NUL bytes,
 * missing files, directories, the size limit), a megabyte of garbage, and the shipped example.
 *
 * CONFIG_EXAMPLE is the path of packaging/vfio-migd.conf.example (set by meson).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_config_util.h"

/* Loads text and expects -EINVAL with exactly msg. */
static void load_fails(const char *text, const char *msg)
{
	ck_assert_int_eq(load(text), -EINVAL);
	ck_assert_str_eq(err.msg, msg);
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
	ck_assert_uint_eq(cfg.daemon.stop_timeout_ms, def.daemon.stop_timeout_ms);
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
	ck_assert_uint_eq(cfg.limits.dest_timeout_ms, def.limits.dest_timeout_ms);
	ck_assert_uint_eq(cfg.limits.max_devices, def.limits.max_devices);
	config_free(&def);
	free(shipped);
	free(text);
}
END_TEST

static Suite *config_file_suite(void)
{
	Suite *s = suite_create("config_file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, cfg_setup, cfg_teardown);
	tcase_add_test(tc, test_syntax);
	tcase_add_loop_test(tc, test_file_errors, 0, ARRAY_SIZE(file_errors));
	tcase_add_test(tc, test_message_shape);
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
	SRunner *sr = srunner_create(config_file_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
