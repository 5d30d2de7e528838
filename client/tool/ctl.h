/*
 * ctl.h - vfio-migctl's shared state: the exit codes of the command line contract, the
 * command table entry, the per-run context (struct ctl) with its lazy connection, and the
 * option parsing every command shares (--help, --json, --quiet).
 *
 * Single-threaded: the tool runs one command and exits.
 */
#ifndef CTL_H
#define CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "vfiomig.h"

/* The exit codes (cli.md; documented in vfio-migctl(1)). */
enum ctl_exit {
	CTL_EXIT_OK = 0,	    /* success; a waited-for job COMPLETED */
	CTL_EXIT_FAILED = 1,	    /* the daemon refused or an operation failed */
	CTL_EXIT_USAGE = 2,	    /* bad command line */
	CTL_EXIT_UNREACHABLE = 3,   /* no daemon, wrong socket, permission denied */
	CTL_EXIT_JOB_FAILED = 4,    /* the job ended FAILED */
	CTL_EXIT_JOB_CANCELLED = 5, /* the job ended CANCELLED */
	CTL_EXIT_TIMEOUT = 6,	    /* timed out waiting */
	CTL_EXIT_INTERRUPTED = 130, /* Ctrl-C: detached from a running job */
};

/* The long-only option value of --json, shared by every command. */
#define CTL_OPT_JSON 1000

/* Appended to every command's long option table (it ends the table). */
/* clang-format off */
#define CTL_COMMON_OPTIONS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, CTL_OPT_JSON }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ NULL, 0, NULL, 0 }
/* clang-format on */

struct ctl;

/* One command: "device" "list", or NULL "info" for a top-level one. */
struct ctl_cmd {
	const char *group;   /* "device", "peer", "job" or NULL */
	const char *name;    /* "list" */
	const char *args;    /* synopsis of the arguments */
	const char *summary; /* one line for the command list */
	const char *help;    /* the options and what the command prints */
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* The run's context. */
struct ctl {
	const char *socket;	       /* -s, NULL: $VFIOMIG_SOCKET or the default */
	bool json;		       /* --json */
	bool quiet;		       /* -q */
	uint32_t timeout_ms;	       /* -t, 0: the library's default */
	const struct ctl_cmd *cmd;     /* the command being run */
	struct vfiomig_client *client; /* once connected */
};

/*
 * Connects to the daemon once (later calls return the same client). Returns 0 and sets
 * ctl->client, or a CTL_EXIT_* code after printing what failed and what to do.
 */
int ctl_connect(struct ctl *ctl);

/* Closes the connection (NULL-safe on an unconnected ctl). */
void ctl_close(struct ctl *ctl);

/*
 * getopt_long over a command's arguments that handles the common options itself: --help
 * prints the command's help and exits 0, --json and -q set ctl, an unknown option or a
 * missing argument prints a usage error and exits 2. Returns the command's own option,
 * or -1 at the end. shortopts must include "hq".
 */
int ctl_getopt(struct ctl *ctl, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Prints the help of cmd (synopsis, summary, options) to stdout. */
void ctl_print_help(const struct ctl_cmd *cmd);

/* "device list" or "info": the command's full name in messages. Static buffer. */
const char *ctl_cmd_name(const struct ctl_cmd *cmd);

/*
 * Checks the number of positional arguments left after the options (argv[optind..]):
 * returns 0 when it is between min and max, else prints a usage error and returns
 * CTL_EXIT_USAGE.
 */
int ctl_positional(struct ctl *ctl, int argc, char **argv, int min, int max);

#endif
