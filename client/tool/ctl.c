/*
 * ctl.c - the per-run context of vfio-migctl: the lazy connection to the daemon (with the
 * per-call timeout of -t) and the option parsing every command shares.
 *
 * Single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "err.h"

int ctl_connect(struct ctl *ctl)
{
	const char *path = ctl->socket;
	int r;

	if (ctl->client)
		return 0;
	if (!path) {
		path = getenv(VFIOMIG_SOCKET_ENV);
		if (!path || !*path)
			path = VFIOMIG_DEFAULT_SOCKET;
	}
	r = vfiomig_connect(path, 0, &ctl->client);
	if (r < 0)
		return err_connect(ctl, path, r);
	if (ctl->timeout_ms)
		vfiomig_set_timeout(ctl->client, ctl->timeout_ms);
	/* Ctrl-C (where a command catches it) ends a blocking call at once with -EINTR */
	vfiomig_set_interruptible(ctl->client, true);
	return 0;
}

void ctl_close(struct ctl *ctl)
{
	vfiomig_close(ctl->client);
	ctl->client = NULL;
}

const char *ctl_cmd_name(const struct ctl_cmd *cmd)
{
	static char buf[64];

	if (!cmd)
		return "vfio-migctl";
	if (cmd->group)
		snprintf(buf, sizeof(buf), "%s %s", cmd->group, cmd->name);
	else
		snprintf(buf, sizeof(buf), "%s", cmd->name);
	return buf;
}

void ctl_print_help(const struct ctl_cmd *cmd)
{
	printf("Usage: vfio-migctl [global options] %s%s%s\n\n%s.\n", ctl_cmd_name(cmd),
	       *cmd->args ? " " : "", cmd->args, cmd->summary);
	if (*cmd->help)
		printf("\n%s", cmd->help);
	printf("\nCommon options:\n"
	       "  --json           one JSON document on stdout\n"
	       "  -q, --quiet      print only the essential value\n"
	       "  -h, --help       this text\n"
	       "Global options (before the command): -s PATH, -t SECONDS; see vfio-migctl "
	       "--help.\n");
}

int ctl_getopt(struct ctl *ctl, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	int o;

	opterr = 0;
	for (;;) {
		o = getopt_long(argc, argv, shortopts, longopts, NULL);
		switch (o) {
		case 'h':
			ctl_print_help(ctl->cmd);
			exit(CTL_EXIT_OK);
		case CTL_OPT_JSON:
			ctl->json = true;
			continue;
		case 'q':
			ctl->quiet = true;
			continue;
		case '?':
		case ':':
			if (optopt && strchr(shortopts, optopt))
				exit(err_usage(ctl, "option -%c needs a value", optopt));
			exit(err_usage(ctl, "unknown option or missing value: '%s'",
				       argv[optind - 1]));
		default:
			return o;
		}
	}
}

int ctl_positional(struct ctl *ctl, int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		return err_usage(ctl, "missing argument (%s %s)", ctl_cmd_name(ctl->cmd),
				 ctl->cmd->args);
	if (n > max)
		return err_usage(ctl, "unexpected argument '%s'", argv[optind + max]);
	return 0;
}
