/*
 * cmd_device.c - the device commands: list, info, add (by path, PCI address, mdev UUID,
 * sim spec or an fd of this process), remove, set-state.
 *
 * Single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "err.h"
#include "output.h"

/* Prints one device as the command's result (-q: only its id). */
static void cmd_device_print(struct ctl *ctl, const struct vfiomig_device *d)
{
	if (ctl->json)
		output_json_print(output_device_json(d));
	else if (ctl->quiet)
		printf("%s\n", vfiomig_device_get_id(d));
	else
		output_device_text(stdout, d);
}

/* The common options and exactly n positional arguments. */
static int cmd_device_args(struct ctl *ctl, int argc, char **argv, int n)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS };

	if (ctl_getopt(ctl, argc, argv, "hq", opts) != -1)
		return err_usage(ctl, "unexpected option");
	return ctl_positional(ctl, argc, argv, n, n);
}

int cmd_device_list(struct ctl *ctl, int argc, char **argv)
{
	struct vfiomig_device_list *l;
	int r;

	r = cmd_device_args(ctl, argc, argv, 0);
	if (r || (r = ctl_connect(ctl)))
		return r;
	r = vfiomig_device_list(ctl->client, 0, &l);
	if (r < 0)
		return err_call(ctl, r, "device list");
	if (ctl->json) {
		output_json_print(output_device_list_json(l));
	} else if (ctl->quiet) {
		for (uint32_t i = 0; i < vfiomig_device_list_get_count(l); i++)
			printf("%s\n", vfiomig_device_get_id(vfiomig_device_list_get(l, i)));
	} else {
		output_device_list_text(stdout, l);
	}
	vfiomig_device_list_free(l);
	return CTL_EXIT_OK;
}

int cmd_device_info(struct ctl *ctl, int argc, char **argv)
{
	struct vfiomig_device *d;
	char what[128];
	int r;

	r = cmd_device_args(ctl, argc, argv, 1);
	if (r || (r = ctl_connect(ctl)))
		return r;
	snprintf(what, sizeof(what), "device info %s", argv[optind]);
	r = vfiomig_device_info(ctl->client, argv[optind], 0, &d);
	if (r < 0)
		return err_call(ctl, r, what);
	cmd_device_print(ctl, d);
	vfiomig_device_free(d);
	return CTL_EXIT_OK;
}

/* What device add was asked to add. */
struct cmd_device_spec {
	const char *id;
	int source; /* enum vfiomig_device_source, or -1 for --fd */
	const char *spec;
	int fd;
	int given; /* how many of --path/--pci/--mdev/--sim/--fd */
};

static int cmd_device_add_opt(struct ctl *ctl, int o, struct cmd_device_spec *s)
{
	uint32_t fd;

	switch (o) {
	case 'i':
		s->id = optarg;
		return 0;
	case 'p':
	case 'P':
	case 'm':
	case 's':
		s->source = o == 'p'   ? VFIOMIG_SOURCE_PATH
			    : o == 'P' ? VFIOMIG_SOURCE_PCI
			    : o == 'm' ? VFIOMIG_SOURCE_MDEV
				       : VFIOMIG_SOURCE_SIM;
		s->spec = optarg;
		s->given++;
		return 0;
	case 'f':
		if (args_u32(optarg, 0, 1u << 30, &fd) < 0)
			return err_usage(ctl, "--fd: '%s' is not a file descriptor number", optarg);
		s->source = -1;
		s->fd = (int)fd;
		s->given++;
		return 0;
	default:
		return err_usage(ctl, "unexpected option");
	}
}

int cmd_device_add(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "path", required_argument, NULL, 'p' },
		{ "pci", required_argument, NULL, 'P' },
		{ "mdev", required_argument, NULL, 'm' },
		{ "sim", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		CTL_COMMON_OPTIONS,
	};
	struct cmd_device_spec s = { .fd = -1 };
	struct vfiomig_device *d;
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hq", opts)) != -1)
		if ((r = cmd_device_add_opt(ctl, o, &s)))
			return r;
	if (s.given != 1)
		return err_usage(ctl, "give exactly one of --path, --pci, --mdev, --sim, --fd");
	r = ctl_positional(ctl, argc, argv, 0, 0);
	if (r)
		return r;
	if (s.source == -1 && fcntl(s.fd, F_GETFD) < 0)
		return err_usage(ctl, "--fd %d: not an open file descriptor of vfio-migctl", s.fd);
	r = ctl_connect(ctl);
	if (r)
		return r;
	if (s.source == -1)
		r = vfiomig_device_add_fd(ctl->client, s.id, s.fd, 0, &d);
	else
		r = vfiomig_device_add(ctl->client, s.id, s.source, s.spec, 0, &d);
	if (r < 0)
		return err_call(ctl, r, "device add");
	cmd_device_print(ctl, d);
	vfiomig_device_free(d);
	return CTL_EXIT_OK;
}

int cmd_device_remove(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *o;
	char what[128];
	int r;

	r = cmd_device_args(ctl, argc, argv, 1);
	if (r || (r = ctl_connect(ctl)))
		return r;
	snprintf(what, sizeof(what), "device remove %s", argv[optind]);
	r = vfiomig_device_remove(ctl->client, argv[optind], 0);
	if (r < 0)
		return err_call(ctl, r, what);
	if (ctl->json) {
		o = json_object_new_object();
		json_object_object_add(o, "removed", json_object_new_string(argv[optind]));
		output_json_print(o);
	} else if (!ctl->quiet) {
		printf("device %s removed\n", argv[optind]);
	}
	return CTL_EXIT_OK;
}

int cmd_device_set_state(struct ctl *ctl, int argc, char **argv)
{
	enum vfiomig_device_state st;
	struct vfiomig_device *d;
	char what[128];
	int r;

	r = cmd_device_args(ctl, argc, argv, 2);
	if (r)
		return r;
	if (args_state(argv[optind + 1], &st) < 0)
		return err_usage(ctl,
				 "'%s' is not a state: stop, running, stop_copy, resuming, "
				 "running_p2p, pre_copy, pre_copy_p2p",
				 argv[optind + 1]);
	r = ctl_connect(ctl);
	if (r)
		return r;
	snprintf(what, sizeof(what), "device set-state %s %s", argv[optind],
		 vfiomig_device_state_name(st));
	r = vfiomig_device_set_state(ctl->client, argv[optind], st, 0, &d);
	if (r < 0)
		return err_call(ctl, r, what);
	cmd_device_print(ctl, d);
	vfiomig_device_free(d);
	return CTL_EXIT_OK;
}
