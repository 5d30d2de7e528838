/*
 * test_config_keys.c - config.c's keys and the settings as a whole: the defaults, every key
 * set from a file, the key list config_key_name() gives, overrides through config_set and the
 * keys it refuses, and config_validate's cross-field checks (with file, line, section and key
 * in each message).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_config_util.h"

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
	ck_assert_str_eq(cfg.daemon.metrics_listen.host, ""); /* off */
	ck_assert_uint_eq(cfg.daemon.stop_timeout_ms, 30000);
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
	ck_assert_uint_eq(cfg.limits.dest_timeout_ms, 6 * 3600000);
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
	"stop_timeout = 90s\n"
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
	"dest_timeout = 90s\n"
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
	ck_assert_uint_eq(cfg.daemon.stop_timeout_ms, 90000);
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
	ck_assert_uint_eq(cfg.limits.dest_timeout_ms, 90000);
	ck_assert_uint_eq(cfg.limits.max_devices, 3);
	ck_assert_uint_eq(cfg.n_devices, 2);
	ck_assert_str_eq(cfg.devices[0].name, "gpu0");
	ck_assert_int_eq(cfg.devices[0].backend, CONFIG_BACKEND_VFIO);
	ck_assert_str_eq(cfg.devices[0].path, "0000:3b:00.1");
	ck_assert_ptr_null(cfg.devices[0].spec);
	ck_assert_uint_eq(cfg.devices[0].line, 41);
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
	ck_assert_uint_eq(i, 35);
	ck_assert_ptr_null(config_key_name(i));
	ck_assert_uint_eq(cfg.n_devices, 0);
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
	/* stop_timeout: 0 (do not wait) or 100 ms to 1 h */
	set_ok("daemon.stop_timeout", "0");
	ck_assert_uint_eq(cfg.daemon.stop_timeout_ms, 0);
	set_ok("daemon.stop_timeout", "2m");
	ck_assert_uint_eq(cfg.daemon.stop_timeout_ms, 120000);
	ck_assert_int_eq(config_set(&cfg, "daemon.stop_timeout", "2h", &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "daemon.stop_timeout: '2h'"), "%s", err.msg);
	ck_assert_int_eq(config_set(&cfg, "daemon.stop_timeout", "50ms", &err), -EINVAL);
	ck_assert_int_eq(config_set(&cfg, "daemon.stop_timeout", "soon", &err), -EINVAL);
	ck_assert_uint_eq(cfg.daemon.stop_timeout_ms, 120000);
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

static Suite *config_keys_suite(void)
{
	Suite *s = suite_create("config_keys");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, cfg_setup, cfg_teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_key_names);
	tcase_add_test(tc, test_set);
	tcase_add_loop_test(tc, test_set_errors, 0, ARRAY_SIZE(set_errors));
	tcase_add_loop_test(tc, test_validate_errors, 0, ARRAY_SIZE(validate_errors));
	tcase_add_test(tc, test_validate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_keys_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
