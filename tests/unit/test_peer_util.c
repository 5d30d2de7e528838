/*
 * test_peer_util.c - the peer suite's harness (see test_peer_util.h).
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "frame.h"
#include "log.h"
#include "test_peer_util.h"

struct event_base *tp_base;

static char pki_dir[PATH_MAX];

/* ---- PKI ---- */

int tp_pki_make(void)
{
	const char *src = getenv("VFIO_MIGD_SRCDIR");
	const char *tmp = getenv("TMPDIR");
	char cmd[2 * PATH_MAX + 64];

	if (!src) {
		fprintf(stderr,
			"test_peer: VFIO_MIGD_SRCDIR is not set (run through meson test)\n");
		return -1;
	}
	snprintf(pki_dir, sizeof(pki_dir), "%s/test_peer.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(pki_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s/tests/pki/make-pki.sh' '%s' >/dev/null", src, pki_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void tp_pki_remove(void)
{
	if (pki_dir[0])
		nftw(pki_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *tp_pki(const char *stem, const char *ext)
{
	static char ring[16][PATH_MAX + 64];
	static unsigned int next;
	char *p = ring[next++ % 16];

	snprintf(p, sizeof(ring[0]), "%s/%s%s", pki_dir, stem, ext);
	return p;
}

void tp_cert_fingerprint(const char *stem, char out[TLS_FINGERPRINT_HEX_LEN])
{
	FILE *f = fopen(tp_pki(stem, ".crt"), "r");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	X509 *x;

	ck_assert_ptr_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &n), 1);
	X509_free(x);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

struct tls_ctx *tp_ctx(const char *ca, const char *cert, const char *const *allow, size_t n)
{
	struct tls_config cfg = {
		.ca_file = tp_pki(ca, ".crt"),
		.cert_file = tp_pki(cert, ".crt"),
		.key_file = tp_pki(cert, ".key"),
		.allow = allow,
		.n_allow = n,
	};
	struct tls_ctx *ctx = NULL;
	char err[512] = "";

	ck_assert_msg(tls_ctx_new(&cfg, &ctx, err, sizeof(err)) == 0, "tls_ctx_new(%s): %s", cert,
		      err);
	return ctx;
}

/* ---- log capture ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char **log_lines;
static size_t log_n;

static void tp_log_sink(enum log_level level, const char *line, void *userdata)
{
	char **v;

	pthread_mutex_lock(&log_lock);
	v = realloc(log_lines, (log_n + 1) * sizeof(*v));
	if (v) {
		log_lines = v;
		log_lines[log_n] = strdup(line);
		if (log_lines[log_n])
			log_n++;
	}
	pthread_mutex_unlock(&log_lock);
}

int tp_log_count(const char *needle)
{
	int n = 0;

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_n; i++)
		n += strstr(log_lines[i], needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return n;
}

const char *tp_log_find(const char *needle)
{
	const char *found = NULL;

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_n && !found; i++)
		if (strstr(log_lines[i], needle))
			found = log_lines[i];
	pthread_mutex_unlock(&log_lock);
	return found;
}

static bool tp_log_has(void *needle)
{
	return tp_log_count(needle) > 0;
}

bool tp_log_wait(const char *needle, int timeout_ms)
{
	return tp_run_until(tp_log_has, (void *)needle, timeout_ms);
}

void tp_log_dump(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_n; i++)
		fprintf(stderr, "  log: %s\n", log_lines[i]);
	pthread_mutex_unlock(&log_lock);
}

/* ---- the loop ---- */

void tp_setup(void)
{
	tp_base = event_base_new();
	ck_assert_ptr_nonnull(tp_base);
	log_set_level(LOG_LVL_DEBUG);
	log_set_sink(tp_log_sink, NULL);
}

void tp_teardown(void)
{
	if (getenv("TEST_PEER_LOG"))
		tp_log_dump();
	log_set_sink(NULL, NULL);
	for (size_t i = 0; i < log_n; i++)
		free(log_lines[i]);
	free(log_lines);
	log_lines = NULL;
	log_n = 0;
	event_base_free(tp_base);
	tp_base = NULL;
}

static uint64_t tp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void tp_tick(evutil_socket_t fd, short what, void *arg)
{
}

bool tp_run_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
	struct event *tick = event_new(tp_base, -1, EV_PERSIST, tp_tick, NULL);
	struct timeval tv = { .tv_usec = 5000 };
	uint64_t end = tp_now_ms() + (uint64_t)timeout_ms;
	bool ok = true;

	ck_assert_ptr_nonnull(tick);
	event_add(tick, &tv);
	while (!cond(arg)) {
		if (tp_now_ms() >= end) {
			ok = false;
			break;
		}
		event_base_loop(tp_base, EVLOOP_ONCE);
	}
	event_free(tick);
	return ok;
}

static bool tp_never(void *arg)
{
	return false;
}

void tp_run_for(int ms)
{
	tp_run_until(tp_never, NULL, ms);
}

struct tp_thread_arg {
	void *(*fn)(void *);
	void *arg;
	int done;
};

static void *tp_thread_main(void *p)
{
	struct tp_thread_arg *t = p;

	t->fn(t->arg);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool tp_thread_done(void *p)
{
	struct tp_thread_arg *t = p;

	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

void tp_thread(void *(*fn)(void *), void *arg, int timeout_ms)
{
	struct tp_thread_arg t = { .fn = fn, .arg = arg };
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, tp_thread_main, &t), 0);
	if (!tp_run_until(tp_thread_done, &t, timeout_ms)) {
		tp_log_dump();
		ck_abort_msg("raw peer thread did not finish within %d ms", timeout_ms);
	}
	pthread_join(th, NULL);
}

/* ---- peer sets ---- */

static const char *const allow_ab[] = { "dns:hosta.test", "dns:hostb.test" };

void tp_options(struct peer_options *o, const char *host_identity)
{
	peer_options_init(o);
	o->host_identity = host_identity;
	o->connect_timeout_ms = 5000;
	o->handshake_timeout_ms = 5000;
}

struct peer_set *tp_set(const char *host, const struct peer_options *o, bool listen)
{
	const char *addr = "127.0.0.1:0";
	struct peer_options def;
	struct peer_set *set = NULL;
	struct tls_ctx *ctx;
	char err[512] = "";

	if (!o) {
		tp_options(&def, host);
		o = &def;
	}
	ck_assert_int_eq(peer_set_new(tp_base, o, &set), 0);
	ctx = tp_ctx("ca", host, allow_ab, 2);
	peer_set_set_tls(set, ctx);
	tls_ctx_unref(ctx);
	if (listen)
		ck_assert_msg(peer_set_listen(set, &addr, 1, err, sizeof(err)) == 0, "listen: %s",
			      err);
	return set;
}

int tp_port(struct peer_set *set, size_t i)
{
	const char *a = peer_set_listening(set, i);
	const char *colon;

	ck_assert_ptr_nonnull(a);
	colon = strrchr(a, ':');
	ck_assert_ptr_nonnull(colon);
	return atoi(colon + 1);
}

const char *tp_addr(struct peer_set *set)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "127.0.0.1:%d", tp_port(set, 0));
	return buf;
}

void tp_connect_cb(struct peer_link *link, int err, const char *why, void *arg)
{
	struct tp_conn *c = arg;

	c->done = true;
	c->calls++;
	c->err = err;
	c->link = link;
	snprintf(c->why, sizeof(c->why), "%s", why);
}

static bool tp_conn_done(void *arg)
{
	return ((struct tp_conn *)arg)->done;
}

void tp_connect(struct peer_set *set, const char *addr, const char *expect_host, unsigned int flags,
		struct tp_conn *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(peer_connect(set, addr, expect_host, flags, tp_connect_cb, c), 0);
	ck_assert_msg(!c->done, "peer_connect() called back from inside");
	if (!tp_run_until(tp_conn_done, c, 10000)) {
		tp_log_dump();
		ck_abort_msg("peer_connect(%s) did not finish", addr);
	}
}

void tp_rec_message(struct peer_link *link, const struct peer_msg *m, void *arg)
{
	struct tp_rec *r = arg;

	r->messages++;
	r->msg_link = link;
	r->type = m->type;
	r->job_id = m->u.notice.job_id;
}

void tp_rec_closed(struct peer_link *link, int err, const char *why, void *arg)
{
	struct tp_rec *r = arg;

	r->closed++;
	r->closed_link = link;
	r->closed_err = err;
	snprintf(r->closed_why, sizeof(r->closed_why), "%s", why);
	snprintf(r->closed_identity, sizeof(r->closed_identity), "%s", peer_link_identity(link));
}

int tp_count_links(struct peer_set *set, enum peer_link_state s)
{
	int n = 0;

	for (struct peer_link *l = peer_set_links(set, NULL); l; l = peer_set_links(set, l))
		n += peer_link_state(l) == s;
	return n;
}

struct want_links {
	struct peer_set *set;
	int n;
};

static bool has_ready_links(void *arg)
{
	struct want_links *w = arg;

	return tp_count_links(w->set, PEER_LINK_READY) == w->n;
}

void tp_wait_ready(struct peer_set *set, int n)
{
	struct want_links w = { set, n };

	if (!tp_run_until(has_ready_links, &w, 10000)) {
		tp_log_dump();
		ck_abort_msg("expected %d READY links, have %d", n,
			     tp_count_links(set, PEER_LINK_READY));
	}
}

bool tp_no_links(void *set)
{
	return peer_set_links(set, NULL) == NULL;
}

static bool got_message(void *arg)
{
	return ((struct tp_rec *)arg)->messages > 0;
}

void tp_expect_delivery(struct peer_link *link, struct tp_rec *r, struct peer_link *peer_link,
			uint64_t job)
{
	struct peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = FRAME_PEER_COMMIT;
	m.u.notice.job_id = job;
	r->messages = 0;
	ck_assert_int_eq(peer_link_send(link, &m), 0);
	ck_assert_msg(tp_run_until(got_message, r, 5000), "job %llu not delivered",
		      (unsigned long long)job);
	ck_assert_uint_eq(r->type, FRAME_PEER_COMMIT);
	ck_assert_uint_eq(r->job_id, job);
	ck_assert_ptr_eq(r->msg_link, peer_link);
}

/* ---- raw peers ---- */

static void tp_raw_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = 10 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int tp_raw_connect(struct tp_raw *r, int port, bool v6)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons((uint16_t)port),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	r->fd = -1;
	r->tls = NULL;
	r->len = 0;
	if (fd < 0)
		return -errno;
	tp_raw_timeouts(fd);
	if (v6 ? connect(fd, (struct sockaddr *)&in6, sizeof(in6))
	       : connect(fd, (struct sockaddr *)&in, sizeof(in))) {
		int e = -errno;

		close(fd);
		return e;
	}
	r->fd = fd;
	return 0;
}

int tp_raw_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

int tp_raw_accept(struct tp_raw *r, int lfd)
{
	r->tls = NULL;
	r->len = 0;
	r->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	tp_raw_timeouts(r->fd);
	return 0;
}

int tp_raw_tls(struct tp_raw *r, struct tls_ctx *ctx, enum tls_role role)
{
	int rc = tls_conn_new(ctx, r->fd, role, NULL, &r->tls);

	return rc < 0 ? rc : tls_conn_handshake(r->tls);
}

int tp_raw_send(struct tp_raw *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = tls_conn_write(r->tls, b, n);

		if (w < 0)
			return (int)w;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int tp_raw_send_frame(struct tp_raw *r, uint16_t type, uint16_t flags, uint32_t len,
		      const void *body, size_t body_len)
{
	uint8_t buf[FRAME_HDR_LEN + 4096];

	ck_assert_uint_le(body_len, 4096);
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[4] = (uint8_t)(type >> 8);
	buf[5] = (uint8_t)type;
	buf[6] = (uint8_t)(flags >> 8);
	buf[7] = (uint8_t)flags;
	if (body_len)
		memcpy(buf + FRAME_HDR_LEN, body, body_len);
	return tp_raw_send(r, buf, FRAME_HDR_LEN + body_len);
}

int tp_raw_send_msg(struct tp_raw *r, const struct peer_msg *m)
{
	uint8_t *buf;
	size_t len;
	int rc = peer_msg_encode(m, &buf, &len);

	if (rc < 0)
		return rc;
	rc = tp_raw_send(r, buf, len);
	free(buf);
	return rc;
}

int tp_raw_recv_msg(struct tp_raw *r, struct peer_msg *m)
{
	struct frame_view f;
	ssize_t n;
	int rc;

	for (;;) {
		rc = frame_parse(r->buf, r->len, &f);
		if (rc < 0)
			return rc;
		if (rc == FRAME_COMPLETE)
			break;
		if (f.frame_len > sizeof(r->buf))
			return -EMSGSIZE;
		n = tls_conn_read(r->tls, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n <= 0)
			return n == 0 ? 1 : (int)n;
		r->len += (size_t)n;
	}
	rc = peer_msg_decode(f.type, f.body, f.body_len, m);
	memmove(r->buf, r->buf + f.frame_len, r->len - f.frame_len);
	r->len -= f.frame_len;
	return rc;
}

void tp_hello(struct peer_msg *m, uint32_t min_version, uint32_t version)
{
	memset(m, 0, sizeof(*m));
	m->type = FRAME_PEER_HELLO;
	m->u.hello.min_version = min_version;
	m->u.hello.version = version;
	m->u.hello.features = PROTO_FEATURES;
	snprintf(m->u.hello.host_identity, sizeof(m->u.hello.host_identity), "raw");
	snprintf(m->u.hello.software, sizeof(m->u.hello.software), "raw test peer");
}

void tp_raw_close(struct tp_raw *r)
{
	tls_conn_free(r->tls);
	r->tls = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
