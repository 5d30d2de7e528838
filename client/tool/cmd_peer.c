/*
 * cmd_peer.c - the peer link commands: connect (open or reuse a TLS control link to another
 * daemon, reporting the daemon's TLS verdict when it fails) and list.
 *
 * Single-threaded.
 */
#include <stdio.h>

#include "cmd.h"
#include "err.h"
#include "output.h"

int cmd_peer_connect(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { { "expect-host", required_argument, NULL, 'e' },
					      CTL_COMMON_OPTIONS };
	const char *expect = NULL;
	struct vfiomig_peer *p;
	char what[320];
	int o, r;

	while ((o = ctl_getopt(ctl, argc, argv, "hq", opts)) != -1)
		if (o == 'e')
			expect = optarg;
	r = ctl_positional(ctl, argc, argv, 1, 1);
	if (r || (r = ctl_connect(ctl)))
		return r;
	snprintf(what, sizeof(what), "peer connect %s", argv[optind]);
	r = vfiomig_peer_connect(ctl->client, argv[optind], expect, 0, &p);
	if (r < 0)
		return err_call(ctl, r, what);
	if (ctl->json)
		output_json_print(output_peer_json(p));
	else if (ctl->quiet)
		printf("%s\n", vfiomig_peer_state_name(vfiomig_peer_get_state(p)));
	else
		output_peer_text(stdout, p);
	vfiomig_peer_free(p);
	return CTL_EXIT_OK;
}

int cmd_peer_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS };
	struct vfiomig_peer_list *l;
	int r;

	if (ctl_getopt(ctl, argc, argv, "hq", opts) != -1)
		return err_usage(ctl, "unexpected option");
	r = ctl_positional(ctl, argc, argv, 0, 0);
	if (r || (r = ctl_connect(ctl)))
		return r;
	r = vfiomig_peer_list(ctl->client, 0, &l);
	if (r < 0)
		return err_call(ctl, r, "peer list");
	if (ctl->json) {
		output_json_print(output_peer_list_json(l));
	} else if (ctl->quiet) {
		for (uint32_t i = 0; i < vfiomig_peer_list_get_count(l); i++)
			printf("%s\n", vfiomig_peer_get_address(vfiomig_peer_list_get(l, i)));
	} else {
		output_peer_list_text(stdout, l);
	}
	vfiomig_peer_list_free(l);
	return CTL_EXIT_OK;
}
