/*
 * peerprobe.c - a scriptable, deliberately imperfect peer for the integration tests: it opens
 * one TLS connection to a daemon's peer port with the certificate it is given and runs a list
 * of actions, printing one "event=..." line per thing that happens.
 *
 *   peerprobe ADDR PORT CA CERT KEY ALLOW ACTION...
 *     hello[=VER[:MIN]]   send a HELLO (default 1:1)
 *     expect-hello        read frames until the daemon's HELLO (prints version and identity)
 *     expect-abort[=SECS] read frames until a PEER_ABORT (prints its reason); 10 s default
 *     ping                send a PING and wait for its PONG
 *     answer=SECONDS      read for SECONDS, answering every PING
 *     silent=SECONDS      neither read nor write for SECONDS
 *     raw=HEX             send raw bytes inside the TLS session
 *     wait-close=SECONDS  read until the daemon closes (prints close_notify or reset)
 *     prepare=TOKEN,TARGET,TIMEOUT_MS,MODEL
 *                         play a source: PREPARE for job 77, one sim device "p0" -> TARGET
 *                         (driver "vfio-migd-sim", MODEL as the target's device-info shows it,
 *                         STOP_COPY only, no pre-copy), the source's time left TIMEOUT_MS
 *                         (0: none); waits for PREPARE_REPLY (prints dest_job and code;
 *                         a refusal fails the action)
 * Exit status: 0 every action did what it says, 1 an expectation failed, 2 usage or connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "peer_msg.h"
#include "tls.h"

struct probe {
	struct tls_conn *tls;
	uint8_t in[FRAME_HDR_LEN + FRAME_BODY_MAX];
	size_t have;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int probe_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void probe_timeout(struct probe *p, double secs)
{
	struct timeval tv = { .tv_sec = (time_t)secs,
			      .tv_usec = (suseconds_t)((secs - (double)(time_t)secs) * 1e6) };

	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	setsockopt(tls_conn_fd(p->tls), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int probe_send_all(struct probe *p, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = tls_conn_write(p->tls, buf, len);

		if (n < 0) {
			printf("event=write-failed error=%s\n", tls_conn_error(p->tls));
			return (int)n;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int probe_send(struct probe *p, const struct peer_msg *m)
{
	uint8_t *buf;
	size_t len;
	int r = peer_msg_encode(m, &buf, &len);

	if (r < 0)
		return r;
	r = probe_send_all(p, buf, len);
	free(buf);
	return r;
}

/*
 * Reads one frame within secs. Returns 1 with *ret, 0 when the daemon closed (printed),
 * -ETIMEDOUT, or another -errno (printed).
 */
static int probe_read(struct probe *p, double secs, struct frame_view *ret)
{
	double end = now_s() + secs;

	for (;;) {
		struct frame_view v;
		int r = frame_parse(p->in, p->have, &v);
		ssize_t n;

		if (r == FRAME_COMPLETE) {
			*ret = v;
			return 1;
		}
		if (r < 0) {
			printf("event=bad-frame error=%s\n", strerror(-r));
			return r;
		}
		if (now_s() >= end)
			return -ETIMEDOUT;
		probe_timeout(p, end - now_s());
		n = tls_conn_read(p->tls, p->in + p->have, sizeof(p->in) - p->have);
		if (n == -EAGAIN)
			continue;
		if (n == 0) {
			printf("event=closed how=close_notify\n");
			return 0;
		}
		if (n < 0) {
			printf("event=closed how=%s error=%s\n",
			       n == -ECONNRESET ? "reset" : "error", tls_conn_error(p->tls));
			return 0;
		}
		p->have += (size_t)n;
	}
}

static void probe_consume(struct probe *p, const struct frame_view *v)
{
	memmove(p->in, p->in + v->frame_len, p->have - v->frame_len);
	p->have -= v->frame_len;
}

/* Reads frames until one of type want (answering PINGs); prints it. 1 found, else 0/-errno. */
static int probe_expect(struct probe *p, uint16_t want, double secs, struct peer_msg *ret)
{
	double end = now_s() + secs;

	while (now_s() < end) {
		struct frame_view v;
		struct peer_msg m;
		int r = probe_read(p, end - now_s(), &v);

		if (r <= 0)
			return r;
		r = peer_msg_decode(v.type, v.body, v.body_len, &m);
		probe_consume(p, &v);
		if (r < 0) {
			printf("event=undecodable type=%s\n", frame_type_name(v.type));
			return r;
		}
		printf("event=frame type=%s\n", frame_type_name(m.type));
		if (m.type == FRAME_PEER_PING) {
			m.type = FRAME_PEER_PONG;
			probe_send(p, &m);
		}
		if (m.type == want) {
			*ret = m;
			return 1;
		}
		peer_msg_clear(&m);
	}
	return -ETIMEDOUT;
}

static int probe_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 || n > max)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = (uint8_t)b;
	}
	return (int)n;
}

static int act_hello(struct probe *p, const char *arg)
{
	struct peer_msg m = { .type = FRAME_PEER_HELLO };
	unsigned int ver = 1, min = 1;

	if (arg && sscanf(arg, "%u:%u", &ver, &min) < 1)
		return -EINVAL;
	if (arg && !strchr(arg, ':'))
		min = ver;
	m.u.hello.version = ver;
	m.u.hello.min_version = min;
	m.u.hello.features = PROTO_FEATURES;
	snprintf(m.u.hello.host_identity, sizeof(m.u.hello.host_identity), "peerprobe");
	snprintf(m.u.hello.software, sizeof(m.u.hello.software), "peerprobe");
	printf("event=sent type=PEER_HELLO version=%u min=%u\n", ver, min);
	return probe_send(p, &m) < 0 ? -EIO : 1;
}

static int act_expect(struct probe *p, uint16_t type, double secs)
{
	struct peer_msg m;
	int r = probe_expect(p, type, secs, &m);

	if (r <= 0) {
		printf("event=missing type=%s\n", frame_type_name(type));
		return -EIO;
	}
	if (type == FRAME_PEER_HELLO)
		printf("event=hello version=%u min=%u identity=%s\n", m.u.hello.version,
		       m.u.hello.min_version, m.u.hello.host_identity);
	else if (type == FRAME_PEER_ABORT)
		printf("event=abort code=%s reason=%s\n", proto_err_name(m.u.abort.reason.code),
		       m.u.abort.reason.message);
	peer_msg_clear(&m);
	return 1;
}

static int act_ping(struct probe *p)
{
	struct peer_msg m = { .type = FRAME_PEER_PING, .u.ping.nonce = 0x5eed };

	if (probe_send(p, &m) < 0)
		return -EIO;
	return act_expect(p, FRAME_PEER_PONG, 10);
}

static int act_answer(struct probe *p, double secs)
{
	struct peer_msg m;
	int r = probe_expect(p, 0, secs, &m);

	return r == -ETIMEDOUT ? 1 : -EIO;
}

static int act_wait_close(struct probe *p, double secs)
{
	double end = now_s() + secs;

	while (now_s() < end) {
		struct frame_view v;
		int r = probe_read(p, end - now_s(), &v);

		if (r <= 0)
			return r == 0 ? 1 : -EIO;
		printf("event=frame type=%s\n", frame_type_name(v.type));
		probe_consume(p, &v);
	}
	printf("event=still-open\n");
	return -EIO;
}

static int act_prepare(struct probe *p, const char *arg)
{
	struct peer_msg m = { .type = FRAME_PEER_PREPARE }, rep;
	struct peer_prepare *q = &m.u.prepare;
	char buf[1024], *f[4], *save = NULL;
	unsigned long long left;
	int r;

	snprintf(buf, sizeof(buf), "%s", arg);
	f[0] = strtok_r(buf, ",", &save);
	f[1] = strtok_r(NULL, ",", &save);
	f[2] = strtok_r(NULL, ",", &save);
	f[3] = strtok_r(NULL, "", &save);
	if (!f[0] || !f[1] || !f[2] || !f[3] || sscanf(f[2], "%llu", &left) != 1)
		return -EINVAL;
	q->job_id = 77;
	snprintf(q->token, sizeof(q->token), "%s", f[0]);
	q->n_devices = 1;
	snprintf(q->devices[0].source_id, sizeof(q->devices[0].source_id), "p0");
	snprintf(q->devices[0].target_id, sizeof(q->devices[0].target_id), "%s", f[1]);
	q->devices[0].migration_flags = 0x1; /* STOP_COPY */
	snprintf(q->devices[0].compat.driver, sizeof(q->devices[0].compat.driver), "vfio-migd-sim");
	snprintf(q->devices[0].compat.model, sizeof(q->devices[0].compat.model), "%s", f[3]);
	q->timeout_ms = left;
	if (probe_send(p, &m) < 0)
		return -EIO;
	printf("event=sent type=PEER_PREPARE timeout_ms=%llu\n", left);
	if (probe_expect(p, FRAME_PEER_PREPARE_REPLY, 10, &rep) <= 0) {
		printf("event=missing type=PEER_PREPARE_REPLY\n");
		return -EIO;
	}
	printf("event=prepare-reply dest_job=%llu code=%s message=%s\n",
	       (unsigned long long)rep.u.prepare_reply.dest_job_id,
	       proto_err_name(rep.u.prepare_reply.error.code), rep.u.prepare_reply.error.message);
	r = rep.u.prepare_reply.error.code == PROTO_ERR_OK ? 1 : -EIO;
	peer_msg_clear(&rep);
	return r;
}

static int act(struct probe *p, const char *a)
{
	const char *eq = strchr(a, '=');
	const char *arg = eq ? eq + 1 : NULL;
	uint8_t raw[65536];
	int n;

	if (strncmp(a, "hello", 5) == 0)
		return act_hello(p, arg);
	if (strcmp(a, "expect-hello") == 0)
		return act_expect(p, FRAME_PEER_HELLO, 10);
	if (strcmp(a, "expect-abort") == 0)
		return act_expect(p, FRAME_PEER_ABORT, 10);
	if (strncmp(a, "expect-abort=", 13) == 0)
		return act_expect(p, FRAME_PEER_ABORT, atof(arg));
	if (strcmp(a, "ping") == 0)
		return act_ping(p);
	if (strncmp(a, "answer=", 7) == 0)
		return act_answer(p, atof(arg));
	if (strncmp(a, "silent=", 7) == 0) {
		usleep((useconds_t)(atof(arg) * 1e6));
		printf("event=was-silent seconds=%s\n", arg);
		return 1;
	}
	if (strncmp(a, "raw=", 4) == 0) {
		n = probe_hex(arg, raw, sizeof(raw));
		if (n < 0)
			return -EINVAL;
		printf("event=sent raw=%d bytes\n", n);
		return probe_send_all(p, raw, (size_t)n) < 0 ? -EIO : 1;
	}
	if (strncmp(a, "wait-close=", 11) == 0)
		return act_wait_close(p, atof(arg));
	if (strncmp(a, "prepare=", 8) == 0)
		return act_prepare(p, arg);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct tls_config tc = { 0 };
	struct tls_ctx *ctx;
	struct probe *p;
	char err[512];
	int fd, r;

	if (argc < 8) {
		fprintf(stderr, "usage: peerprobe ADDR PORT CA CERT KEY ALLOW ACTION...\n");
		return 2;
	}
	tc.ca_file = argv[3];
	tc.cert_file = argv[4];
	tc.key_file = argv[5];
	tc.allow = (const char *const *)&argv[6];
	tc.n_allow = 1;
	if (tls_ctx_new(&tc, &ctx, err, sizeof(err)) < 0) {
		fprintf(stderr, "peerprobe: %s\n", err);
		return 2;
	}
	fd = probe_connect(argv[1], argv[2]);
	p = calloc(1, sizeof(*p));
	if (fd < 0 || !p || tls_conn_new(ctx, fd, TLS_ROLE_CLIENT, NULL, &p->tls) < 0) {
		fprintf(stderr, "peerprobe: cannot connect to %s:%s\n", argv[1], argv[2]);
		return 2;
	}
	probe_timeout(p, 10);
	r = tls_conn_handshake(p->tls);
	printf("event=handshake result=%s%s%s\n", r == 0 ? "ok" : strerror(-r),
	       r == 0 ? "" : " error=", r == 0 ? "" : tls_conn_error(p->tls));
	for (int i = 7; r == 0 && i < argc; i++) {
		int a = act(p, argv[i]);

		if (a == -EINVAL) {
			fprintf(stderr, "peerprobe: bad action '%s'\n", argv[i]);
			r = 2;
		} else if (a < 0) {
			r = 1;
		}
	}
	tls_conn_free(p->tls);
	close(fd);
	free(p);
	tls_ctx_unref(ctx);
	return r < 0 ? 1 : r;
}
