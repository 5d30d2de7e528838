/*
 * ctlprobe.c - a small control-socket client for the integration tests: sends one request
 * and prints the reply as key=value lines, or sends arbitrary bytes and reports what comes
 * back and whether the daemon closed the connection.
 *
 *   ctlprobe [-t SECONDS] [-i SECONDS] [-r] SOCKET OP [key=value...]
 *     hello [version=N] [min_version=N] [name=TEXT]
 *     info
 *     device-list
 *     device-add [id=ID] (sim=SPEC | path=PATH | pci=ADDR | mdev=UUID | fd=PATH)
 *                        fd=PATH opens PATH and passes the fd with SCM_RIGHTS
 *     device-remove id=ID
 *     device-info id=ID
 *     device-set-state id=ID state=NAME        (RUNNING, STOP, PRE_COPY, ...)
 *     peer-connect address=HOST:PORT [expect_host=NAME]
 *     peer-list
 *     prepare, migrate, job-status, job-list, job-cancel, job-switchover, job-resume,
 *     job-bandwidth, job-wait, subscribe      (see ctlprobe_job.c)
 *     raw HEX            send the bytes (whitespace ignored)
 *     raw-file FILE      send the file's bytes
 *
 * Output: "error=NAME" first (OK, NOT_FOUND, ...), then "message=..." and "device=..." for an
 * error, then the result's fields ("state=RUNNING", "device.0.id=gpu0", ...). raw prints every
 * reply it receives the same way, each after a "frame=N type=NAME" line, then "closed=1" if
 * the daemon closed the connection (or "closed=0"). subscribe prints the reply, then one
 * "event seq=N kind=KIND job=N phase=PHASE ..." line per event until finished=N (default 1)
 * FINISHED events came (exit 0; 0 waits for the timeout), then "events_end=..." if it stopped
 * early (exit 2). -r adds "probe_rtt_ms=N" last: connect to reply in ms, measured here, so
 * without the time the probe itself took to start (the daemon's answer time, not the shell's).
 *
 * Exit status: 0 OK reply (raw: the exchange ran), 1 error reply, 2 usage or transport error
 * (connect, write, timeout: -t, default 10 s, on every wait; raw stops -i seconds, default 1,
 * after the last data once something came back).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctlprobe.h"
#include "ctl_event.h"
#include "ctl_reply.h"
#include "ctl_request.h"
#include "frame.h"
#include "fsm.h"

#define PROBE_SERIAL 1
#define RAW_MAX	     ((size_t)16 << 20)

struct probe {
	int fd;
	double timeout_s, idle_s;
	uint8_t *buf; /* received bytes not yet consumed */
	size_t len;
};

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ctlprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ctlprobe [-t SECONDS] [-i SECONDS] [-r] SOCKET OP [key=value...]\n"
		"ops: hello, info, device-list, device-add, device-remove, device-info,\n"
		"     device-set-state, peer-connect, peer-list, prepare, migrate, job-status,\n"
		"     job-list, job-cancel, job-switchover, job-resume, job-bandwidth, job-wait,\n"
		"     subscribe, raw HEX, raw-file FILE\n");
	exit(2);
}

/* ---- arguments ---- */

/* The value of key, or NULL; every argument must be one of the allowed keys. */
const char *arg(const struct args *a, const char *key)
{
	size_t k = strlen(key);

	for (int i = 0; i < a->n; i++)
		if (strncmp(a->v[i], key, k) == 0 && a->v[i][k] == '=')
			return a->v[i] + k + 1;
	return NULL;
}

void args_check(const struct args *a, const char *const *allowed)
{
	for (int i = 0; i < a->n; i++) {
		size_t k = strcspn(a->v[i], "=");
		bool ok = false;

		for (const char *const *p = allowed; *p && !ok; p++)
			ok = strlen(*p) == k && strncmp(*p, a->v[i], k) == 0 && a->v[i][k] == '=';
		if (!ok)
			die("unexpected argument '%s'", a->v[i]);
	}
}

const char *arg_need(const struct args *a, const char *key)
{
	const char *v = arg(a, key);

	if (!v || !*v)
		die("%s= is required", key);
	return v;
}

uint32_t arg_u32(const struct args *a, const char *key, uint32_t dflt)
{
	const char *v = arg(a, key);
	char *end;
	unsigned long n;

	if (!v)
		return dflt;
	errno = 0;
	n = strtoul(v, &end, 0);
	if (!*v || *end || errno || n > UINT32_MAX)
		die("%s=%s is not a number", key, v);
	return (uint32_t)n;
}

void copy(char *dst, size_t size, const char *src, const char *key)
{
	if (strlen(src) >= size)
		die("%s: longer than %zu bytes", key, size - 1);
	memcpy(dst, src, strlen(src) + 1);
}

/* ---- building requests ---- */

/* Fills q->u.device_add; returns an fd to pass, or -1. */
static int build_add(const struct args *a, struct ctl_request *q)
{
	static const struct {
		const char *key;
		uint32_t source;
	} sources[] = {
		{ "sim", CTL_SOURCE_SIM },   { "path", CTL_SOURCE_PATH }, { "pci", CTL_SOURCE_PCI },
		{ "mdev", CTL_SOURCE_MDEV }, { "fd", CTL_SOURCE_FD },
	};
	struct ctl_device_add *d = &q->u.device_add;
	const char *v = NULL;
	int fd = -1;

	copy(d->id, sizeof(d->id), arg(a, "id") ? arg(a, "id") : "", "id");
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		const char *s = arg(a, sources[i].key);

		if (s && v)
			die("give one of sim=, path=, pci=, mdev=, fd=");
		if (s) {
			v = s;
			d->source = sources[i].source;
		}
	}
	if (!v)
		die("device-add needs one of sim=, path=, pci=, mdev=, fd=");
	if (d->source != CTL_SOURCE_FD) {
		copy(d->spec, sizeof(d->spec), v, "spec");
		return -1;
	}
	fd = open(v, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = open(v, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s: %s", v, strerror(errno));
	q->fd_count = 1;
	return fd;
}

static void build_state(const struct args *a, struct ctl_request *q)
{
	enum fsm_state s;
	const char *name = arg_need(a, "state");

	copy(q->u.set_state.id, sizeof(q->u.set_state.id), arg_need(a, "id"), "id");
	if (fsm_state_parse(name, &s) < 0)
		die("state=%s is not a migration state name (RUNNING, STOP, PRE_COPY, ...)", name);
	q->u.set_state.state = (uint32_t)s;
}

static void build_hello(const struct args *a, struct ctl_request *q)
{
	q->u.hello.version = arg_u32(a, "version", PROTO_VERSION);
	q->u.hello.min_version = arg_u32(a, "min_version", PROTO_MIN_VERSION);
	copy(q->u.hello.name, sizeof(q->u.hello.name), arg(a, "name") ? arg(a, "name") : "ctlprobe",
	     "name");
}

/* The operations: name, wire op, keys allowed. Returns the fd to pass or -1. */
static int build(const char *op, const struct args *a, struct ctl_request *q)
{
	static const char *const none[] = { NULL };
	static const char *const id[] = { "id", NULL };

	memset(q, 0, sizeof(*q));
	q->serial = PROBE_SERIAL;
	if (strcmp(op, "hello") == 0) {
		static const char *const k[] = { "version", "min_version", "name", NULL };

		args_check(a, k);
		q->op = CTL_OP_HELLO;
		build_hello(a, q);
	} else if (strcmp(op, "info") == 0 || strcmp(op, "device-list") == 0 ||
		   strcmp(op, "peer-list") == 0) {
		args_check(a, none);
		q->op = op[0] == 'i'   ? CTL_OP_DAEMON_INFO
			: op[0] == 'd' ? CTL_OP_DEVICE_LIST
				       : CTL_OP_PEER_LIST;
	} else if (strcmp(op, "device-add") == 0) {
		static const char *const k[] = { "id", "sim", "path", "pci", "mdev", "fd", NULL };

		args_check(a, k);
		q->op = CTL_OP_DEVICE_ADD;
		return build_add(a, q);
	} else if (strcmp(op, "device-remove") == 0 || strcmp(op, "device-info") == 0) {
		args_check(a, id);
		q->op = op[7] == 'r' ? CTL_OP_DEVICE_REMOVE : CTL_OP_DEVICE_INFO;
		copy(q->u.device.id, sizeof(q->u.device.id), arg_need(a, "id"), "id");
	} else if (strcmp(op, "device-set-state") == 0) {
		static const char *const k[] = { "id", "state", NULL };

		args_check(a, k);
		q->op = CTL_OP_DEVICE_SET_STATE;
		build_state(a, q);
	} else if (strcmp(op, "peer-connect") == 0) {
		static const char *const k[] = { "address", "expect_host", NULL };

		args_check(a, k);
		q->op = CTL_OP_PEER_CONNECT;
		copy(q->u.peer_connect.address, sizeof(q->u.peer_connect.address),
		     arg_need(a, "address"), "address");
		copy(q->u.peer_connect.expect_host, sizeof(q->u.peer_connect.expect_host),
		     arg(a, "expect_host") ? arg(a, "expect_host") : "", "expect_host");
	} else if (!probe_build_job(op, a, q)) {
		die("unknown operation '%s'", op);
	}
	return -1;
}

/* ---- printing replies ---- */

static const char *kind_name(uint32_t k)
{
	static const char *const names[] = { "NONE", "VFIO_PCI", "VFIO_MDEV", "VFIO_FD", "SIM" };

	return k < sizeof(names) / sizeof(names[0]) ? names[k] : "UNKNOWN";
}

static void print_device(const char *p, const struct ctl_device_info *d)
{
	char flags[64], hex[2 * PROTO_DIGEST_LEN + 1];

	printf("%sid=%s\n%skind=%s\n%sdriver=%s\n%smodel=%s\n%saddress=%s\n", p, d->id, p,
	       kind_name(d->kind), p, d->driver, p, d->model, p, d->address);
	printf("%sstate=%s\n%smigration_flags=%s\n%sowner_job=%llu\n", p,
	       fsm_state_name((int)d->state), p,
	       fsm_flags_str(d->migration_flags, flags, sizeof(flags)), p,
	       (unsigned long long)d->owner_job);
	if (d->has_digest) {
		for (int i = 0; i < PROTO_DIGEST_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", d->digest[i]);
		printf("%sdigest=%s\n", p, hex);
	}
}

static void print_peer(const char *p, const struct ctl_peer_info *x)
{
	printf("%saddress=%s\n%sstate=%s\n%soutgoing=%d\n%sidentity=%s\n%sfingerprint=%s\n", p,
	       x->address, p, ctl_peer_state_name(x->state), p, x->outgoing, p, x->identity, p,
	       x->fingerprint);
	printf("%sprotocol_version=%u\n%sfeatures=0x%llx\n%shost_identity=%s\n%ssoftware=%s\n", p,
	       x->protocol_version, p, (unsigned long long)x->features, p, x->host_identity, p,
	       x->software);
	printf("%srtt_us=%lld\n%sktls_tx=%d\n%sktls_rx=%d\n%sconnected_at_ms=%llu\n", p,
	       (long long)x->rtt_us, p, x->ktls_tx, p, x->ktls_rx, p,
	       (unsigned long long)x->connected_at_ms);
}

static void print_info(const struct ctl_daemon_info *d)
{
	static const char *const tls[] = { "NONE", "DISABLED", "READY", "FAILED" };

	printf("version=%s\nprotocol_version=%u\nfeatures=0x%llx\nhost_identity=%s\n", d->version,
	       d->protocol_version, (unsigned long long)d->features, d->host_identity);
	printf("tls.state=%s\ntls.ktls_tx=%d\ntls.ktls_rx=%d\ntls.identity=%s\n",
	       d->tls.state <= CTL_TLS_FAILED ? tls[d->tls.state] : "UNKNOWN", d->tls.ktls_tx,
	       d->tls.ktls_rx, d->tls.identity);
	printf("tls.not_after_s=%llu\ntls.error=%s\n", (unsigned long long)d->tls.not_after_s,
	       d->tls.error);
	printf("device_count=%u\nactive_jobs=%u\nuptime_s=%llu\nlisten=%u\n", d->device_count,
	       d->active_jobs, (unsigned long long)d->uptime_s, d->n_listen);
	for (uint32_t i = 0; i < d->n_listen; i++)
		printf("listen.%u=%s\n", i, d->listen[i]);
}

static void print_result(const struct ctl_reply *r)
{
	char p[32];

	switch (r->result) {
	case CTL_RESULT_HELLO:
		printf("version=%u\nmin_version=%u\nfeatures=0x%llx\nname=%s\n", r->u.hello.version,
		       r->u.hello.min_version, (unsigned long long)r->u.hello.features,
		       r->u.hello.name);
		break;
	case CTL_RESULT_DAEMON_INFO:
		print_info(&r->u.daemon_info);
		break;
	case CTL_RESULT_DEVICE:
		print_device("", &r->u.device);
		break;
	case CTL_RESULT_DEVICE_LIST:
		printf("devices=%u\n", r->u.device_list.n_devices);
		for (uint32_t i = 0; i < r->u.device_list.n_devices; i++) {
			snprintf(p, sizeof(p), "device.%u.", i);
			print_device(p, &r->u.device_list.devices[i]);
		}
		break;
	case CTL_RESULT_PEER:
		print_peer("", &r->u.peer);
		break;
	case CTL_RESULT_PEER_LIST:
		printf("peers=%u\n", r->u.peer_list.n_peers);
		for (uint32_t i = 0; i < r->u.peer_list.n_peers; i++) {
			snprintf(p, sizeof(p), "peer.%u.", i);
			print_peer(p, &r->u.peer_list.peers[i]);
		}
		break;
	default:
		probe_print_job_result(r);
		break;
	}
}

/* Prints a reply; returns 0 for OK, 1 for an error. */
static int print_reply(const struct ctl_reply *r)
{
	printf("error=%s\n", proto_err_name(r->error.code));
	if (r->error.code != PROTO_ERR_OK || r->error.message[0])
		printf("message=%s\n", r->error.message);
	if (r->error.device[0])
		printf("device=%s\n", r->error.device);
	printf("serial=%u\n", r->serial);
	print_result(r);
	fflush(stdout);
	return r->error.code == PROTO_ERR_OK ? 0 : 1;
}

/* ---- transport ---- */

static void probe_connect(struct probe *p, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = (time_t)p->timeout_s };

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path %s is too long", path);
	memcpy(sa.sun_path, path, strlen(path));
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot connect to %s: %s", path, strerror(errno));
	p->buf = malloc(FRAME_HDR_LEN + FRAME_BODY_MAX);
	if (!p->buf)
		die("out of memory");
}

/* Sends buf with fd (>= 0) attached to its first byte. */
static void probe_send(struct probe *p, const uint8_t *buf, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.b;
		msg.msg_controllen = sizeof(ctl.b);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (iov.iov_len) {
		ssize_t n = sendmsg(p->fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write: %s", strerror(errno));
		iov.iov_base = (uint8_t *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
}

/*
 * Reads until a complete frame is buffered (1 and *ret), the daemon closes (0), or no data
 * came until deadline (-ETIMEDOUT). A malformed frame from the daemon ends the program.
 */
static int probe_frame(struct probe *p, double deadline, struct frame_view *ret)
{
	for (;;) {
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };
		int r = frame_parse(p->buf, p->len, ret);
		double left = deadline - now_s();
		ssize_t n;

		if (r < 0)
			die("the daemon sent a malformed frame header");
		if (r == FRAME_COMPLETE)
			return 1;
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)(left * 1000) + 1) == 0)
			continue;
		n = recv(p->fd, p->buf + p->len, FRAME_HDR_LEN + FRAME_BODY_MAX - p->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p->len += (size_t)n;
	}
}

static void probe_consume(struct probe *p, const struct frame_view *f)
{
	memmove(p->buf, p->buf + f->frame_len, p->len - f->frame_len);
	p->len -= f->frame_len;
}

/* One request, its reply printed. */
static int run_request(struct probe *p, const struct ctl_request *q, int fd)
{
	struct frame_view f;
	struct ctl_reply rep;
	uint8_t *buf;
	size_t len;
	int r;

	if (ctl_request_encode(q, &buf, &len) < 0)
		die("cannot encode the request: %s", proto_last_error());
	probe_send(p, buf, len, fd);
	free(buf);
	r = probe_frame(p, now_s() + p->timeout_s, &f);
	if (r == -ETIMEDOUT)
		die("no reply within %.0f s", p->timeout_s);
	if (r == 0)
		die("the daemon closed the connection without a reply");
	if (f.type != FRAME_CTL_REPLY)
		die("the daemon sent a %s frame instead of a reply", frame_type_name(f.type));
	if (ctl_reply_decode(f.body, f.body_len, &rep) < 0)
		die("cannot decode the reply: %s", proto_last_error());
	r = print_reply(&rep);
	ctl_reply_clear(&rep);
	probe_consume(p, &f);
	return r;
}

/*
 * subscribe: after the OK reply, prints every event until `finished` FINISHED events came
 * (0: until the timeout). Returns 0, or 2 when the daemon closed or the timeout passed first.
 */
static int run_events(struct probe *p, uint32_t finished)
{
	double deadline = now_s() + p->timeout_s;
	uint32_t seen = 0;

	while (!finished || seen < finished) {
		struct frame_view f;
		struct ctl_event ev;
		int r = probe_frame(p, deadline, &f);

		if (r <= 0) {
			printf("events_end=%s\n", r == 0 ? "closed" : "timeout");
			fflush(stdout);
			return finished ? 2 : 0;
		}
		if (f.type != FRAME_CTL_EVENT || ctl_event_decode(f.body, f.body_len, &ev) < 0)
			die("the daemon sent a %s frame that is not an event: %s",
			    frame_type_name(f.type), proto_last_error());
		probe_print_event(&ev);
		seen += ev.kind == CTL_EVENT_FINISHED;
		probe_consume(p, &f);
	}
	return 0;
}

/* ---- raw ---- */

static uint8_t *hex_decode(const char *s, size_t *ret_len)
{
	uint8_t *out = malloc(strlen(s) / 2 + 1);
	size_t n = 0;
	int hi = -1;

	if (!out)
		die("out of memory");
	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (*s | 0x20) - 'a' + 10;
		else
			die("'%c' is not a hex digit", *s);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		die("odd number of hex digits");
	*ret_len = n;
	return out;
}

static uint8_t *file_read(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(RAW_MAX);
	size_t n;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	if (!buf)
		die("out of memory");
	n = fread(buf, 1, RAW_MAX, f);
	if (ferror(f))
		die("cannot read %s", path);
	fclose(f);
	*ret_len = n;
	return buf;
}

/* Sends bytes, prints every frame that comes back, then whether the daemon closed. */
static int run_raw(struct probe *p, const uint8_t *bytes, size_t len)
{
	double deadline = now_s() + p->timeout_s;
	int n = 0, r;

	probe_send(p, bytes, len, -1);
	for (;;) {
		struct frame_view f;
		struct ctl_reply rep;

		r = probe_frame(
			p,
			n ? (now_s() + p->idle_s < deadline ? now_s() + p->idle_s : deadline)
			  : deadline,
			&f);
		if (r <= 0)
			break;
		printf("frame=%d type=%s\n", n++, frame_type_name(f.type));
		if (f.type == FRAME_CTL_REPLY && ctl_reply_decode(f.body, f.body_len, &rep) == 0) {
			print_reply(&rep);
			ctl_reply_clear(&rep);
		} else {
			printf("undecodable=%s\n", proto_last_error());
		}
		probe_consume(p, &f);
	}
	printf("closed=%d\n", r == 0);
	return 0;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || v <= 0)
		die("'%s' is not a number of seconds", s);
	return v;
}

int main(int argc, char **argv)
{
	struct probe p = { .fd = -1, .timeout_s = 10, .idle_s = 1 };
	struct ctl_request q;
	struct args a;
	bool rtt = false;
	double t0;
	int opt, fd, r;

	while ((opt = getopt(argc, argv, "+t:i:rh")) != -1) {
		if (opt == 't')
			p.timeout_s = parse_seconds(optarg);
		else if (opt == 'i')
			p.idle_s = parse_seconds(optarg);
		else if (opt == 'r')
			rtt = true;
		else
			usage();
	}
	if (argc - optind < 2)
		usage();
	a = (struct args){ .n = argc - optind - 2, .v = argv + optind + 2 };
	if (strcmp(argv[optind + 1], "raw") == 0 || strcmp(argv[optind + 1], "raw-file") == 0) {
		uint8_t *bytes;
		size_t len;

		if (a.n != 1)
			usage();
		bytes = argv[optind + 1][3] ? file_read(a.v[0], &len) : hex_decode(a.v[0], &len);
		probe_connect(&p, argv[optind]);
		r = run_raw(&p, bytes, len);
		free(bytes);
	} else {
		fd = build(argv[optind + 1], &a, &q);
		t0 = now_s();
		probe_connect(&p, argv[optind]);
		r = run_request(&p, &q, fd);
		if (rtt)
			printf("probe_rtt_ms=%ld\n", (long)((now_s() - t0) * 1000));
		if (r == 0 && q.op == CTL_OP_SUBSCRIBE)
			r = run_events(&p, arg_u32(&a, "finished", 1));
		ctl_request_clear(&q);
		if (fd >= 0)
			close(fd);
	}
	close(p.fd);
	free(p.buf);
	return r;
}
