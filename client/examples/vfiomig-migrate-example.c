/*
 * vfiomig-migrate-example.c - a complete orchestrator in one file: migrates devices from
 * one vfio-migd to another through libvfiomig and follows the job to its end.
 *
 *   vfiomig-migrate-example [-b BYTES_PER_S] [-d DOWNTIME_MS] [-m METADATA] [-p PEER]
 *                           SRC_SOCKET DST_SOCKET SOURCE_IDENTITY SRC_DEV:DST_DEV...
 *
 * 1. connect to both daemons' control sockets;
 * 2. on the destination: prepare_incoming for SOURCE_IDENTITY (the source daemon's TLS
 *    identity, e.g. dns:hosta.example) and the target devices; this yields a token;
 * 3. on the source: subscribe to events, then migrate with that token to PEER (default:
 *    the destination's first listen address, from daemon_info, unless it is a wildcard
 *    such as 0.0.0.0 or [::]: then -p is needed);
 * 4. print phase and progress events until the job finished (after a LOST event, some
 *    were dropped: the job's status says whether it already finished);
 * 5. wait for both jobs and print the result. Exit status 0 when both completed.
 * A failure before the source job exists cancels the prepared destination job.
 *
 * Build against an installed libvfiomig:
 *   cc vfiomig-migrate-example.c $(pkg-config --cflags --libs libvfiomig)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vfiomig.h>

#define MAX_DEVICES VFIOMIG_JOB_DEVICES_MAX

struct options {
	uint64_t bandwidth;
	uint32_t downtime_ms;
	const char *metadata, *peer;
	const char *src_sock, *dst_sock, *identity;
	int n;
	char src[MAX_DEVICES][VFIOMIG_ID_MAX + 1], dst[MAX_DEVICES][VFIOMIG_ID_MAX + 1];
};

/* The prepared destination job to cancel when the migration cannot start (0: none). */
static struct vfiomig_client *prepared_dst;
static uint64_t prepared_job;

/*
 * Prints what failed, with the daemon's structured error when there is one, cancels the
 * prepared destination job if any, and exits.
 */
static void die(struct vfiomig_client *c, const char *what, int err)
{
	fprintf(stderr, "vfiomig-migrate-example: %s: %s", what, vfiomig_strerror(err));
	if (c && *vfiomig_last_error_message(c))
		fprintf(stderr, " [%s] %s", vfiomig_last_error_name(c),
			vfiomig_last_error_message(c));
	fputc('\n', stderr);
	if (prepared_job) {
		int r = vfiomig_job_cancel(prepared_dst, prepared_job, 0);

		fprintf(stderr, "vfiomig-migrate-example: destination job %" PRIu64 " %s%s\n",
			prepared_job, r < 0 ? "not cancelled: " : "cancelled",
			r < 0 ? vfiomig_strerror(r) : "");
	}
	exit(1);
}

/* True for a wildcard listen address ("0.0.0.0:7790", "[::]:7790"): no one can dial it. */
static bool is_wildcard(const char *addr)
{
	return strncmp(addr, "0.0.0.0:", 8) == 0 || strncmp(addr, "[::]:", 5) == 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfiomig-migrate-example [-b BPS] [-d DOWNTIME_MS] [-m METADATA] "
			"[-p PEER]\n"
			"       SRC_SOCKET DST_SOCKET SOURCE_IDENTITY SRC_DEV:DST_DEV...\n");
	exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
	int opt;

	while ((opt = getopt(argc, argv, "b:d:m:p:")) != -1) {
		if (opt == 'b')
			o->bandwidth = strtoull(optarg, NULL, 0);
		else if (opt == 'd')
			o->downtime_ms = (uint32_t)strtoul(optarg, NULL, 0);
		else if (opt == 'm')
			o->metadata = optarg;
		else if (opt == 'p')
			o->peer = optarg;
		else
			usage();
	}
	if (argc - optind < 4 || argc - optind - 3 > MAX_DEVICES)
		usage();
	o->src_sock = argv[optind];
	o->dst_sock = argv[optind + 1];
	o->identity = argv[optind + 2];
	for (int i = optind + 3; i < argc; i++, o->n++) {
		const char *colon = strchr(argv[i], ':');

		if (!colon || colon == argv[i] || !colon[1] || colon - argv[i] > VFIOMIG_ID_MAX ||
		    strlen(colon + 1) > VFIOMIG_ID_MAX)
			usage();
		snprintf(o->src[o->n], sizeof(o->src[o->n]), "%.*s", (int)(colon - argv[i]),
			 argv[i]);
		snprintf(o->dst[o->n], sizeof(o->dst[o->n]), "%s", colon + 1);
	}
}

/* The destination's peer address: -p, or its first listen address. */
static void peer_address(struct vfiomig_client *dst, const struct options *o, char *buf,
			 size_t size)
{
	struct vfiomig_daemon_info *di = NULL;
	int r;

	if (o->peer) {
		snprintf(buf, size, "%s", o->peer);
		return;
	}
	r = vfiomig_daemon_info(dst, 0, &di);
	if (r < 0)
		die(dst, "daemon_info on the destination", r);
	if (vfiomig_daemon_info_get_listen_count(di) == 0)
		die(dst, "the destination listens for no peers (give -p)", -EDESTADDRREQ);
	snprintf(buf, size, "%s", vfiomig_daemon_info_get_listen(di, 0));
	vfiomig_daemon_info_free(di);
	if (is_wildcard(buf)) {
		fprintf(stderr,
			"vfiomig-migrate-example: the destination listens on %s, a wildcard "
			"address; give the address the source should dial with -p HOST:PORT\n",
			buf);
		exit(2);
	}
}

/* Step 2: prepare_incoming; returns the destination job, the token goes into p. */
static uint64_t prepare(struct vfiomig_client *dst, const struct options *o,
			struct vfiomig_migrate_params *p)
{
	const char *ids[MAX_DEVICES];
	struct vfiomig_prepare *pr = NULL;
	uint64_t djob;
	int r;

	for (int i = 0; i < o->n; i++)
		ids[i] = o->dst[i];
	r = vfiomig_prepare_incoming(dst, o->identity, ids, (size_t)o->n, 300, 0, &pr);
	if (r < 0)
		die(dst, "prepare_incoming on the destination", r);
	vfiomig_migrate_params_set_token(p, vfiomig_prepare_get_token(pr));
	djob = vfiomig_prepare_get_job_id(pr);
	vfiomig_prepare_free(pr);
	prepared_dst = dst;
	prepared_job = djob;
	printf("destination job %" PRIu64 " prepared\n", djob);
	return djob;
}

/* Step 3: the migration parameters and the job. */
static uint64_t migrate(struct vfiomig_client *src, const struct options *o,
			struct vfiomig_migrate_params *p, const char *peer)
{
	size_t mlen = o->metadata ? strlen(o->metadata) : 0;
	uint64_t job = 0;
	int r;

	if (vfiomig_migrate_params_set_peer(p, peer) < 0)
		die(NULL, "bad peer address", -EINVAL);
	for (int i = 0; i < o->n; i++)
		if ((r = vfiomig_migrate_params_add_device(p, o->src[i], o->dst[i], o->metadata,
							   mlen)) < 0)
			die(NULL, "bad device pair", r);
	vfiomig_migrate_params_set_downtime_limit(p, o->downtime_ms);
	vfiomig_migrate_params_set_bandwidth(p, o->bandwidth);
	r = vfiomig_subscribe(src, 0, 0);
	if (r < 0)
		die(src, "subscribe on the source", r);
	r = vfiomig_migrate(src, p, 0, &job);
	if (r < 0)
		die(src, "migrate on the source", r);
	printf("source job %" PRIu64 " started to %s\n", job, peer);
	prepared_job = 0; /* the source job drives it from now on */
	return job;
}

/* After a LOST event: true when the job is already terminal (its FINISHED was dropped). */
static bool finished_meanwhile(struct vfiomig_client *src, uint64_t job)
{
	struct vfiomig_job *j = NULL;
	bool done;
	int r = vfiomig_job_status(src, job, 0, &j);

	if (r < 0)
		die(src, "job_status on the source", r);
	done = vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j));
	vfiomig_job_free(j);
	return done;
}

/* Step 4: events until the job finished. */
static void follow(struct vfiomig_client *src, uint64_t job)
{
	for (;;) {
		struct vfiomig_event *ev = NULL;
		const struct vfiomig_job *st;
		uint32_t kind;
		int r = vfiomig_event_next(src, 120000, &ev);

		if (r < 0)
			die(src, "waiting for events", r);
		kind = vfiomig_event_get_kind(ev);
		st = vfiomig_event_get_job(ev);
		if (vfiomig_event_get_job_id(ev) != job && kind != VFIOMIG_EVENT_LOST) {
			vfiomig_event_free(ev);
			continue;
		}
		if (kind == VFIOMIG_EVENT_PHASE)
			printf("phase %s\n", vfiomig_job_phase_name(vfiomig_event_get_phase(ev)));
		else if (kind == VFIOMIG_EVENT_PROGRESS && st)
			printf("progress: %" PRIu64 " bytes sent, %" PRIu64 " remaining, %" PRIu64
			       " B/s\n",
			       vfiomig_job_get_bytes_sent(st), vfiomig_job_get_bytes_remaining(st),
			       vfiomig_job_get_throughput_bps(st));
		else if (kind == VFIOMIG_EVENT_LOST)
			printf("(some events were dropped)\n");
		vfiomig_event_free(ev);
		if (kind == VFIOMIG_EVENT_FINISHED)
			return;
		if (kind == VFIOMIG_EVENT_LOST && finished_meanwhile(src, job))
			return;
	}
}

/* Step 5: the final status of one side; true when it completed. */
static bool result(struct vfiomig_client *c, uint64_t job, const char *side)
{
	struct vfiomig_job *j = NULL;
	bool ok;
	int r = vfiomig_job_wait(c, job, 60000, 0, &j);

	if (r < 0)
		die(c, "job_wait", r);
	ok = vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED;
	printf("%s: %s, %" PRIu64 " bytes, downtime %" PRIu64 " ms%s%s\n", side,
	       vfiomig_job_phase_name(vfiomig_job_get_phase(j)), vfiomig_job_get_bytes_sent(j),
	       vfiomig_job_get_downtime_ms(j), ok ? "" : ": ",
	       ok ? "" : vfiomig_job_get_error_message(j));
	vfiomig_job_free(j);
	return ok;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct vfiomig_client *src = NULL, *dst = NULL;
	struct vfiomig_migrate_params *p = NULL;
	char peer[VFIOMIG_ADDR_MAX + 1];
	uint64_t job, djob;
	bool ok;
	int r;

	parse(argc, argv, &o);
	if ((r = vfiomig_connect(o.src_sock, 0, &src)) < 0)
		die(NULL, o.src_sock, r);
	if ((r = vfiomig_connect(o.dst_sock, 0, &dst)) < 0)
		die(NULL, o.dst_sock, r);
	if (vfiomig_migrate_params_new(&p) < 0)
		die(NULL, "out of memory", -ENOMEM);
	peer_address(dst, &o, peer, sizeof(peer));
	djob = prepare(dst, &o, p);
	job = migrate(src, &o, p, peer);
	vfiomig_migrate_params_free(p);
	follow(src, job);
	ok = result(src, job, "source");
	ok = result(dst, djob, "destination") && ok;
	printf("result: %s\n", ok ? "migrated" : "failed");
	vfiomig_close(src);
	vfiomig_close(dst);
	return ok ? 0 : 1;
}
