/*
 * main.c - vfio-migd's entry point: options, check mode, then the daemon. Wiring only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildinfo.h"
#include "config.h"
#include "daemon.h"
#include "journal.h"
#include "log.h"
#include "settings.h"

#define MAX_OVERRIDES 128

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vfio-migd [OPTIONS]\n"
		"Owns VFIO devices and migrates their state to the vfio-migd on another host.\n\n"
		"  -c, --config FILE        configuration file (default %s)\n"
		"  -n, --check              check the configuration (syntax, TLS material, device\n"
		"                           specs) and exit: 0 when it is usable\n"
		"  -s, --set SECTION.KEY=VALUE\n"
		"                           override one configuration key (repeatable), e.g.\n"
		"                           --set peer.listen=[::]:7790\n"
		"  -l, --log-level LEVEL    err, warning, notice, info or debug\n"
		"      --control-socket PATH  same as --set control.socket=PATH\n"
		"      --listen ADDR        same as --set peer.listen=ADDR\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               this text\n\n"
		"Signals: SIGTERM/SIGINT stop, SIGHUP reloads TLS material and limits.\n"
		"See vfio-migd(8) and vfio-migd.conf(5).\n",
		CONFIG_DEFAULT_PATH);
}

struct options {
	struct daemon_args args;
	char *over[MAX_OVERRIDES];
	bool check;
};

/* Adds "key=value" (built from key and value when key is non-NULL) to the override list. */
static int add_override(struct options *o, const char *key, const char *value)
{
	char *s;

	if (o->args.n_overrides == MAX_OVERRIDES) {
		fprintf(stderr, "vfio-migd: more than %d overrides\n", MAX_OVERRIDES);
		return -E2BIG;
	}
	if (key) {
		if (asprintf(&s, "%s=%s", key, value) < 0)
			return -ENOMEM;
	} else {
		s = strdup(value);
		if (!s)
			return -ENOMEM;
	}
	o->over[o->args.n_overrides++] = s;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CONTROL = 256, OPT_LISTEN };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "set", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "control-socket", required_argument, NULL, OPT_CONTROL },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, r = 0;

	o->args.config_path = CONFIG_DEFAULT_PATH;
	o->args.overrides = o->over;
	while (r == 0 && (c = getopt_long(argc, argv, "c:ns:l:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->args.config_path = optarg;
			break;
		case 'n':
			o->check = true;
			break;
		case 's':
			r = add_override(o, NULL, optarg);
			break;
		case 'l':
			r = add_override(o, "daemon.log_level", optarg);
			break;
		case OPT_CONTROL:
			r = add_override(o, "control.socket", optarg);
			break;
		case OPT_LISTEN:
			r = add_override(o, "peer.listen", optarg);
			break;
		case 'V':
			printf("vfio-migd %s\n", VFIO_MIGD_VERSION);
			exit(EXIT_SUCCESS);
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (r == 0 && optind < argc) {
		fprintf(stderr, "vfio-migd: unexpected argument '%s'\n", argv[optind]);
		r = -EINVAL;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct config_error err = { 0 };
	struct tls_ctx *tls = NULL;
	struct config cfg;
	struct daemon *d = NULL;
	int r;

	r = parse_options(argc, argv, &o);
	if (r < 0)
		goto out;
	r = settings_load(o.args.config_path, o.args.overrides, o.args.n_overrides, &cfg,
			  o.check ? NULL : &tls, &err);
	if (r < 0) {
		fprintf(stderr, "vfio-migd: %s\n", err.msg);
		goto out;
	}
	if (o.check) {
		printf("%s: configuration OK\n",
		       o.args.config_path ? o.args.config_path : "(no file)");
		config_free(&cfg);
		goto out;
	}
	log_set_level(cfg.daemon.log_level);
	journal_use(journal_wanted(cfg.daemon.log_target));
	r = daemon_new(&o.args, &cfg, tls, &d);
	if (r == 0)
		r = daemon_run(d);
	daemon_free(d);
out:
	for (size_t i = 0; i < o.args.n_overrides; i++)
		free(o.over[i]);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
