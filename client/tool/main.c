/*
 * main.c - vfio-migctl's entry point: the global options (-s, --json, -t, -q, --help,
 * --version), the table of commands with their help, and the dispatch to one command.
 *
 * The command line is a fixed contract (vfio-migctl(1)); new options may be added, the given
 * ones never change. Single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "ctl.h"
#include "err.h"

/* Every command, in the order the help lists them. */
static const struct ctl_cmd main_cmds[] = {
	{ NULL, "info", "",
	  "daemon version, identity, TLS state and expiry, kTLS, listen addresses",
	  "Prints what the daemon says about itself: version, protocol, host identity, TLS state,\n"
	  "certificate identity and expiry, kTLS, device and job counts, peer listen addresses,\n"
	  "uptime.\n",
	  cmd_daemon_info },
	{ NULL, "status", "", "one-screen overview: daemon, TLS, peers, devices by state, jobs",
	  "The operator's overview: the daemon line, TLS, peer links, devices grouped by state,\n"
	  "active jobs with their progress and the most recent finished ones.\n",
	  cmd_daemon_status },
	{ "device", "list", "", "every device the daemon owns", "One row per device.\n",
	  cmd_device_list },
	{ "device", "info", "ID", "one device: kind, state, owner job, digest", "",
	  cmd_device_info },
	{ "device", "add",
	  "[--id ID] (--path P | --pci DDDD:BB:DD.F | --mdev UUID | --sim SPEC | --fd N)",
	  "hands the daemon a device",
	  "  --id ID          the device's id (default: the daemon derives one)\n"
	  "  --path P         /dev/vfio/devices/vfioN or a sysfs device directory\n"
	  "  --pci ADDR       a PCI address DDDD:BB:DD.F\n"
	  "  --mdev UUID      a mediated device\n"
	  "  --sim SPEC       a simulated device, e.g. size=4M,dirty_rate=1M\n"
	  "  --fd N           an open VFIO device fd of this process (sent with SCM_RIGHTS)\n",
	  cmd_device_add },
	{ "device", "remove", "ID", "releases a device", "", cmd_device_remove },
	{ "device", "set-state", "ID STATE", "moves a device to a migration state by hand",
	  "  STATE            stop, running, stop_copy, resuming, running_p2p, pre_copy,\n"
	  "                   pre_copy_p2p (any case)\n",
	  cmd_device_set_state },
	{ "peer", "connect", "ADDRESS [--expect-host NAME]", "opens a link to a peer daemon",
	  "  ADDRESS          host:port or [v6]:port of the peer's listener\n"
	  "  --expect-host NAME  a name the peer's certificate must also carry\n",
	  cmd_peer_connect },
	{ "peer", "list", "", "every daemon-to-daemon link", "", cmd_peer_list },
	{ NULL, "prepare", "--source IDENTITY --device ID [--device ID]... [--expiry SECONDS]",
	  "destination: admits one incoming migration, prints its token",
	  "  --source IDENTITY  the source daemon's TLS identity (dns:hosta.example or a\n"
	  "                   SHA-256 fingerprint)\n"
	  "  --device ID      a target device (repeat for several, at most 32)\n"
	  "  --expiry SECONDS the token's lifetime (default: the daemon's; at most 86400)\n"
	  "Prints the token, the destination job id and the expiry; with -q only the token.\n",
	  cmd_migrate_prepare },
	{ NULL, "migrate",
	  "--peer HOST:PORT --token TOKEN --map SRC=DST [--map SRC=DST]... [options] [--wait]",
	  "source: starts a migration job",
	  "  --peer HOST:PORT   the destination daemon's peer listener\n"
	  "  --token TOKEN      the token `prepare` printed on the destination\n"
	  "  --map SRC=DST      a local device and its target on the destination (repeat)\n"
	  "  --metadata SRC=FILE  opaque bytes (at most 1 MiB) for the destination's orchestrator\n"
	  "  --downtime-limit MS  the downtime limit (default: the daemon's)\n"
	  "  --bandwidth RATE   bytes/s cap with K/M/G suffix (binary), 0 = unlimited\n"
	  "  --no-precopy       skip pre-copy: stop the devices at once\n"
	  "  --switchover auto|manual  manual waits for `job switchover`\n"
	  "  --resume auto|manual      manual: the destination waits for `job resume`\n"
	  "  --timeout SECONDS  the whole job's timeout (default: none)\n"
	  "  --wait             follow the job like `job watch` and exit with its outcome\n"
	  "Prints the job id (-q: only the id).\n",
	  cmd_migrate_start },
	{ "job", "list", "", "every job, running and finished", "", cmd_job_list },
	{ "job", "status", "ID", "one job's phase, progress, devices and error", "",
	  cmd_job_status },
	{ "job", "watch", "ID", "live progress until the job ends",
	  "On a terminal one redrawn block (phase, bytes, rate, ETA, a bar, one line per device);\n"
	  "otherwise one plain line per progress event. Ctrl-C offers to cancel the job.\n",
	  cmd_job_watch },
	{ "job", "wait", "ID [--timeout SECONDS]", "waits until the job ends",
	  "  --timeout SECONDS  give up after that long (exit 6; the job keeps running)\n",
	  cmd_job_wait },
	{ "job", "cancel", "ID", "cancels a job; its devices are rolled back", "", cmd_job_cancel },
	{ "job", "switchover", "ID", "forces a source job's switchover", "", cmd_job_switchover },
	{ "job", "resume", "ID", "starts the devices of a destination job in RESUME_PENDING", "",
	  cmd_job_resume },
	{ "job", "bandwidth", "ID RATE", "changes a running job's bandwidth cap",
	  "  RATE             bytes/s with K/M/G suffix (binary), 0 = unlimited\n",
	  cmd_job_bandwidth },
	{ "job", "metadata", "ID DEVICE [-o FILE]", "the metadata the source sent for a device",
	  "  DEVICE           the device's source or target id\n"
	  "  -o, --output FILE  write the bytes to FILE (default: stdout)\n",
	  cmd_job_metadata },
	{ NULL, "events", "[--job ID]", "prints job events until Ctrl-C",
	  "  --job ID         only this job's events (default: every job)\n"
	  "One line per event, or one JSON object per line with --json.\n",
	  cmd_daemon_events },
};

#define MAIN_N_CMDS (sizeof(main_cmds) / sizeof(main_cmds[0]))

static void main_usage(FILE *f)
{
	fprintf(f, "Usage: vfio-migctl [-s|--socket PATH] [--json] [-t|--timeout SECONDS] "
		   "[-q|--quiet] COMMAND [ARGS]\n\n"
		   "Drives the vfio-migd daemon of this host.\n\nCommands:\n");
	for (size_t i = 0; i < MAIN_N_CMDS; i++) {
		const struct ctl_cmd *c = &main_cmds[i];

		fprintf(f, "  %-18s %s\n", ctl_cmd_name(c), c->summary);
	}
	fprintf(f,
		"\nGlobal options:\n"
		"  -s, --socket PATH    the control socket (default: $%s, else %s)\n"
		"      --json           one JSON document on stdout\n"
		"  -t, --timeout SECONDS  the timeout of each call to the daemon (default %u)\n"
		"  -q, --quiet          print only the essential value\n"
		"  -h, --help           this text; COMMAND --help for a command's options\n"
		"  -V, --version        the tool's version\n\n"
		"Exit codes: 0 success, 1 the daemon refused or an operation failed, 2 usage,\n"
		"3 cannot reach the daemon, 4 job FAILED, 5 job CANCELLED, 6 timed out,\n"
		"130 interrupted. See vfio-migctl(1).\n",
		VFIOMIG_SOCKET_ENV, VFIOMIG_DEFAULT_SOCKET, VFIOMIG_DEFAULT_TIMEOUT_MS / 1000);
}

/* The command named by argv[0] (and argv[1] for a group); *used: words consumed. */
static const struct ctl_cmd *main_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < MAIN_N_CMDS; i++) {
		const struct ctl_cmd *c = &main_cmds[i];

		if (!c->group && strcmp(argv[0], c->name) == 0) {
			*used = 1;
			return c;
		}
		if (c->group && strcmp(argv[0], c->group) == 0 && argc > 1 &&
		    strcmp(argv[1], c->name) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

/* Whether argv[0] is a command group ("device"). */
static bool main_is_group(const char *word)
{
	for (size_t i = 0; i < MAIN_N_CMDS; i++)
		if (main_cmds[i].group && strcmp(main_cmds[i].group, word) == 0)
			return true;
	return false;
}

/* The help of a group: its commands. */
static void main_group_help(FILE *f, const char *group)
{
	fprintf(f, "Usage: vfio-migctl %s COMMAND [ARGS]\n\nCommands:\n", group);
	for (size_t i = 0; i < MAIN_N_CMDS; i++)
		if (main_cmds[i].group && strcmp(main_cmds[i].group, group) == 0)
			fprintf(f, "  %-18s %s\n", ctl_cmd_name(&main_cmds[i]),
				main_cmds[i].summary);
}

/* The global options, up to the command name. Returns -1 to go on, else an exit code. */
static int main_global(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		CTL_COMMON_OPTIONS,
	};
	uint32_t secs;
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "+s:t:qhV", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (!*optarg)
				return err_usage(ctl, "--socket: empty path");
			ctl->socket = optarg;
			break;
		case 't':
			if (args_u32(optarg, 1, 86400, &secs) < 0)
				return err_usage(ctl,
						 "--timeout: '%s' is not a number of seconds "
						 "(1..86400)",
						 optarg);
			ctl->timeout_ms = secs * 1000;
			break;
		case 'q':
			ctl->quiet = true;
			break;
		case CTL_OPT_JSON:
			ctl->json = true;
			break;
		case 'h':
			main_usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("vfio-migctl %d.%d\n", VFIOMIG_VERSION_MAJOR, VFIOMIG_VERSION_MINOR);
			return CTL_EXIT_OK;
		default:
			return err_usage(ctl, "unknown or incomplete option '%s'",
					 argv[optind - 1]);
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	int r, used = 0;

	r = main_global(&ctl, argc, argv);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	ctl.cmd = main_find(argc, argv, &used);
	if (!ctl.cmd) {
		if (main_is_group(argv[0]) &&
		    (argc == 1 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			main_group_help(argc == 1 ? stderr : stdout, argv[0]);
			return argc == 1 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
		}
		if (main_is_group(argv[0]))
			return err_usage(&ctl, "unknown command '%s %s'; see vfio-migctl %s --help",
					 argv[0], argv[1], argv[0]);
		return err_usage(&ctl, "unknown command '%s'; see vfio-migctl --help", argv[0]);
	}
	optind = 0; /* getopt starts over for the command (GNU: full reset) */
	/* the command sees its name as argv[0] and its arguments after it */
	r = ctl.cmd->run(&ctl, argc - used + 1, argv + used - 1);
	ctl_close(&ctl);
	return r;
}
