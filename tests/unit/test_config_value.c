/*
 * test_config_value.c - config_value.c's value syntax: good values of every kind (durations,
 * sizes and numbers, booleans, addresses, strings and paths, device paths, identities), and
 * every bad value's message. Value errors are checked twice, through a file and through
 * config_set, since both must say the same thing with their own prefix; a bad item leaves a
 * list as it was.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "test_config_util.h"

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
	set_ok("daemon.metrics_listen", "127.0.0.1:0"); /* the kernel picks the port */
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 0);
	ck_assert_str_eq(cfg.daemon.metrics_listen.host, "127.0.0.1");
	set_ok("daemon.metrics_listen", "off");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 0);
	ck_assert_str_eq(cfg.daemon.metrics_listen.host, "");
	set_ok("daemon.metrics_listen", "");
	ck_assert_uint_eq(cfg.daemon.metrics_listen.port, 0);
	ck_assert_str_eq(cfg.daemon.metrics_listen.host, "");
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
	{ "daemon.metrics_listen", "127.0.0.1:65536",
	  "'127.0.0.1:65536' has an invalid port (0 to 65535)" },
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

static Suite *config_value_suite(void)
{
	Suite *s = suite_create("config_value");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, cfg_setup, cfg_teardown);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_value_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
