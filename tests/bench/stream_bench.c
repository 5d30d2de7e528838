/*
 * stream_bench.c - throughput of the migration data path: sim devices migrated over loopback
 * TCP + TLS 1.3 by daemon/migrate/stream (one SEND and one RECV worker per device), or, with
 * --raw, only the sim device's stream_read into a buffer (what the device side costs alone).
 *
 *   stream_bench [--raw] [--runs N] [--devices N] [--chunk BYTES] [--ktls] [--pki DIR] SIZE
 *
 * SIZE takes K/M/G suffixes (binary). Prints each run's MB/s (10^6 bytes of stream per second of
 * wall time), CPU seconds per GiB (user + system of the whole process, both ends), and at the
 * end the median of each and the peak RSS. Without --pki, the test PKI is made in a temporary
 * directory with tests/pki/make-pki.sh. Built by meson, run by hand; no test suite runs it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sim.h"
#include "stream.h"

#define RUNS_MAX    15
#define DEVICES_MAX 16

struct opts {
	bool raw, ktls;
	int runs, devices;
	uint32_t chunk;
	uint64_t size;
	const char *pki;
};

struct result {
	double mbps, cpu_per_gib;
};

static char pki_tmp[PATH_MAX];

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("stream_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uint64_t parse_size(const char *s)
{
	static const char units[] = "KMG";
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	const char *u = end != s && *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
	int shift = u ? 10 * (int)(u - units + 1) : 0;

	if (u)
		end++;
	if (end == s || *end || !v)
		die("bad size '%s' (a number with an optional K, M or G)", s);
	return (uint64_t)v << shift;
}

static void usage(void)
{
	fprintf(stderr, "usage: stream_bench [--raw] [--runs N] [--devices N] [--chunk BYTES] "
			"[--ktls] [--pki DIR] SIZE\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .runs = 3, .devices = 1, .chunk = STREAM_CHUNK_DEFAULT };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--raw"))
			o->raw = true;
		else if (!strcmp(argv[i], "--ktls"))
			o->ktls = true;
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			o->runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--devices") && i + 1 < argc)
			o->devices = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
			o->chunk = (uint32_t)parse_size(argv[++i]);
		else if (!strcmp(argv[i], "--pki") && i + 1 < argc)
			o->pki = argv[++i];
		else if (argv[i][0] != '-' && !o->size)
			o->size = parse_size(argv[i]);
		else
			usage();
	}
	if (!o->size || o->runs < 1 || o->runs > RUNS_MAX || o->devices < 1 ||
	    o->devices > DEVICES_MAX)
		usage();
}

static struct backend *sim_device(const char *name, uint64_t size, uint64_t seed)
{
	struct sim_config c;
	struct backend *b;

	sim_config_init(&c);
	c.size = size;
	c.seed = seed;
	c.mig_flags = FSM_F_STOP_COPY | FSM_F_P2P;
	if (sim_new(name, &c, &b) < 0)
		die("cannot make a sim device of %llu bytes", (unsigned long long)size);
	return b;
}

static void set_state(struct backend *b, enum fsm_state st)
{
	bool opened;
	int r = backend_set_state(b, st, &opened);

	if (r < 0)
		die("device -> %s: %s", fsm_state_name(st), strerror(-r));
}

/* --raw: one device's STOP_COPY stream read into a buffer and dropped. Returns its bytes. */
static uint64_t run_raw(const struct opts *o)
{
	struct backend *b = sim_device("raw", o->size, 1);
	uint8_t *buf = malloc(o->chunk);
	uint64_t total = 0;
	ssize_t n;

	if (!buf)
		die("out of memory");
	set_state(b, FSM_STOP_COPY);
	while ((n = backend_stream_read(b, buf, o->chunk)) > 0)
		total += (uint64_t)n;
	if (n < 0)
		die("stream_read: %s", strerror((int)-n));
	free(buf);
	backend_free(b);
	return total;
}

/* The PKI: --pki, or make-pki.sh into a temporary directory. */
static void pki_make(struct opts *o)
{
	const char *src = getenv("VFIO_MIGD_SRCDIR");
	char cmd[2 * PATH_MAX];

	if (o->pki)
		return;
	if (!src)
		src = VFIO_MIGD_SOURCE_ROOT;
	snprintf(pki_tmp, sizeof(pki_tmp), "/tmp/stream_bench.XXXXXX");
	if (!mkdtemp(pki_tmp))
		die("mkdtemp: %s", strerror(errno));
	snprintf(cmd, sizeof(cmd), "'%s/tests/pki/make-pki.sh' '%s' >/dev/null", src, pki_tmp);
	if (system(cmd) != 0)
		die("make-pki.sh failed (set VFIO_MIGD_SRCDIR or pass --pki DIR)");
	o->pki = pki_tmp;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static struct tls_ctx *pki_ctx(const struct opts *o, const char *host)
{
	static const char *const allow[] = { "dns:hosta.test", "dns:hostb.test" };
	char ca[PATH_MAX + 16], crt[PATH_MAX + 16], key[PATH_MAX + 16], err[512];
	struct tls_config c = { .ca_file = ca,
				.cert_file = crt,
				.key_file = key,
				.allow = allow,
				.n_allow = 2,
				.ktls = o->ktls };
	struct tls_ctx *ctx;

	snprintf(ca, sizeof(ca), "%s/ca.crt", o->pki);
	snprintf(crt, sizeof(crt), "%s/%s.crt", o->pki, host);
	snprintf(key, sizeof(key), "%s/%s.key", o->pki, host);
	if (tls_ctx_new(&c, &ctx, err, sizeof(err)) < 0)
		die("TLS context for %s: %s", host, err);
	return ctx;
}

/* A loopback TCP connection, both ends non-blocking. */
static void tcp_pair(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
		die("listen: %s", strerror(errno));
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect: %s", strerror(errno));
	*srv = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (*srv < 0)
		die("accept: %s", strerror(errno));
	close(l);
	fcntl(*cli, F_SETFL, fcntl(*cli, F_GETFL) | O_NONBLOCK);
}

/* Handshakes both ends of one connection in a poll loop. */
static void handshake(struct tls_conn *a, struct tls_conn *b)
{
	struct tls_conn *c[2] = { a, b };
	int r[2] = { -EAGAIN, -EAGAIN };

	while (r[0] == -EAGAIN || r[1] == -EAGAIN) {
		struct pollfd p[2];

		for (int i = 0; i < 2; i++) {
			if (r[i] == -EAGAIN)
				r[i] = tls_conn_handshake(c[i]);
			if (r[i] != 0 && r[i] != -EAGAIN)
				die("handshake: %s", tls_conn_error(c[i]));
			p[i].fd = r[i] == -EAGAIN ? tls_conn_fd(c[i]) : -1;
			p[i].events = tls_conn_want(c[i]) == TLS_WANT_WRITE ? POLLOUT : POLLIN;
		}
		if (r[0] == -EAGAIN || r[1] == -EAGAIN)
			poll(p, 2, 1000);
	}
}

struct pair {
	struct backend *src, *dst;
	struct stream *send, *recv;
};

static struct stream *start_stream(enum stream_role role, struct backend *b, int fd,
				   struct tls_conn *tls, uint32_t chunk)
{
	struct stream_config c = {
		.role = role, .name = "bench", .backend = b, .fd = fd, .tls = tls, .chunk = chunk
	};
	struct stream *s;
	int r = stream_start(&c, &s);

	if (r < 0)
		die("stream_start: %s", strerror(-r));
	return s;
}

static void pair_start(struct pair *p, const struct opts *o, struct tls_ctx *ca, struct tls_ctx *cb,
		       uint64_t seed, bool *ktls)
{
	struct tls_conn *ta, *tb;
	int fa, fb;

	p->src = sim_device("src", o->size, seed);
	p->dst = sim_device("dst", o->size, seed + 1);
	set_state(p->src, FSM_STOP_COPY);
	set_state(p->dst, FSM_RESUMING);
	tcp_pair(&fa, &fb);
	if (tls_conn_new(ca, fa, TLS_ROLE_CLIENT, "hostb.test", &ta) < 0 ||
	    tls_conn_new(cb, fb, TLS_ROLE_SERVER, NULL, &tb) < 0)
		die("tls_conn_new failed");
	handshake(ta, tb);
	*ktls = tls_conn_ktls_send(ta);
	p->recv = start_stream(STREAM_RECV, p->dst, fb, tb, o->chunk);
	p->send = start_stream(STREAM_SEND, p->src, fa, ta, o->chunk);
}

/* Waits for both streams, checks them and the loaded device, frees. Returns stream bytes. */
static uint64_t pair_finish(struct pair *p)
{
	struct stream_stats ss, rs;
	uint8_t a[32], b[32];

	stream_wait(p->send, -1);
	stream_wait(p->recv, -1);
	stream_stats(p->send, &ss);
	stream_stats(p->recv, &rs);
	if (ss.state != STREAM_DONE || rs.state != STREAM_DONE)
		die("stream failed: send %s (%s), recv %s (%s)", stream_state_name(ss.state),
		    ss.message, stream_state_name(rs.state), rs.message);
	stream_free(p->send);
	stream_free(p->recv);
	set_state(p->dst, FSM_STOP);
	if (backend_digest(p->src, a) < 0 || backend_digest(p->dst, b) < 0 || memcmp(a, b, 32))
		die("destination content differs from the source");
	backend_free(p->src);
	backend_free(p->dst);
	return ss.bytes;
}

/* One measured run; the device setup and the final check are outside the timing. */
static struct result run_once(const struct opts *o, struct tls_ctx *ca, struct tls_ctx *cb, int run,
			      bool *ktls)
{
	struct pair p[DEVICES_MAX];
	uint64_t bytes = 0;
	double t0, c0, t, c;

	if (o->raw) {
		t0 = now_s();
		c0 = cpu_s();
		bytes = run_raw(o);
	} else {
		for (int i = 0; i < o->devices; i++)
			pair_start(&p[i], o, ca, cb, (uint64_t)(run * DEVICES_MAX + i) * 2, ktls);
		t0 = now_s();
		c0 = cpu_s();
		for (int i = 0; i < o->devices; i++) {
			stream_wait(p[i].send, -1);
			stream_wait(p[i].recv, -1);
		}
	}
	t = now_s() - t0;
	c = cpu_s() - c0;
	for (int i = 0; !o->raw && i < o->devices; i++)
		bytes += pair_finish(&p[i]);
	return (struct result){ .mbps = (double)bytes / 1e6 / t,
				.cpu_per_gib = c / ((double)bytes / (1u << 30)) };
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double mbps[RUNS_MAX], cpu[RUNS_MAX];
	struct tls_ctx *ca = NULL, *cb = NULL;
	struct rusage ru;
	bool ktls = false;
	struct opts o;

	parse_opts(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_WARNING);
	if (!o.raw) {
		pki_make(&o);
		ca = pki_ctx(&o, "hosta");
		cb = pki_ctx(&o, "hostb");
	}
	printf("%s, %d device(s) of %llu bytes, chunk %u\n",
	       o.raw ? "raw sim stream_read" : "loopback TLS streams", o.raw ? 1 : o.devices,
	       (unsigned long long)o.size, o.chunk);
	for (int i = 0; i < o.runs; i++) {
		struct result r = run_once(&o, ca, cb, i, &ktls);

		mbps[i] = r.mbps;
		cpu[i] = r.cpu_per_gib;
		printf("run %d: %.0f MB/s, %.2f CPU s/GiB\n", i + 1, r.mbps, r.cpu_per_gib);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("median of %d: %.0f MB/s, %.2f CPU s/GiB; peak RSS %ld MiB%s\n", o.runs,
	       median(mbps, o.runs), median(cpu, o.runs), ru.ru_maxrss / 1024,
	       o.raw  ? ""
	       : ktls ? "; kTLS send on"
		      : "; kTLS send off");
	tls_ctx_unref(ca);
	tls_ctx_unref(cb);
	if (pki_tmp[0])
		nftw(pki_tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
