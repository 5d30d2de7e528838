/*
 * metrics.c - the Prometheus endpoint: an evhttp server on the daemon's loop answering
 * GET /metrics (404 for any other path, 405 for another method on it), and the exposition
 * itself, read from the registry, the engine, the peer set and the TLS context at each
 * scrape. The only state kept here is what no module keeps: finished jobs' results, bytes
 * and the duration/downtime histograms, fed by metrics_job_finished() from the daemon's job
 * event callback (daemon_migrate.c), once per job.
 *
 * "transferred_bytes_total" stays monotonic across a job's end: the running jobs' bytes are
 * summed at scrape time and a job's final count moves into the kept total when it finishes,
 * so freeing the job later changes nothing.
 *
 * Not here: the config key (config_value.c refuses non-loopback addresses), the wiring
 * (daemon_metrics.c). Threading: the loop thread only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buildinfo.h"
#include "ctl_job.h"
#include "log.h"
#include "metrics.h"
#include "metrics_hist.h"
#include "migrate.h"
#include "peer.h"
#include "registry.h"
#include "tls.h"

#define METRICS_ROLES	     2 /* index: enum ctl_role - 1 */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Seconds; migrations of a few devices take seconds to minutes. */
static const double duration_bounds[] = { 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600 };
/* Seconds; the default downtime limit is 300 ms. */
static const double downtime_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

/* The phases a job of each role goes through before it finishes (README, design notes);
 * another phase is shown only while a job is in it. */
static const uint32_t role_phases[METRICS_ROLES][10] = {
	{ CTL_PHASE_CONNECTING, CTL_PHASE_PREPARING, CTL_PHASE_PRECOPY,
	  CTL_PHASE_SWITCHOVER_PENDING, CTL_PHASE_STOP_COPY, CTL_PHASE_LOADING,
	  CTL_PHASE_COMMITTING, CTL_PHASE_ABORTING },
	{ CTL_PHASE_WAITING, CTL_PHASE_PREPARING, CTL_PHASE_PRECOPY, CTL_PHASE_STOP_COPY,
	  CTL_PHASE_LOADING, CTL_PHASE_COMMITTING, CTL_PHASE_RESUME_PENDING, CTL_PHASE_STARTING,
	  CTL_PHASE_ABORTING },
};

/* Terminal phases, in the order of the result label. */
static const uint32_t result_phase[] = { CTL_PHASE_COMPLETED, CTL_PHASE_FAILED,
					 CTL_PHASE_CANCELLED };
static const char *const result_name[] = { "completed", "failed", "cancelled" };
#define METRICS_RESULTS 3

struct metrics {
	struct metrics_sources src;
	struct evhttp *http; /* NULL until metrics_listen() */
	char address[64];    /* "127.0.0.1:9474", "[::1]:9474" */
	uint64_t results[METRICS_ROLES][METRICS_RESULTS];
	uint64_t bytes_done[METRICS_ROLES]; /* bytes of finished jobs */
	struct metrics_hist duration[METRICS_ROLES];
	struct metrics_hist downtime[METRICS_ROLES];
};

static const char *role_name(int i)
{
	return i == CTL_ROLE_SOURCE - 1 ? "source" : "destination";
}

int metrics_new(const struct metrics_sources *src, struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->src = *src;
	for (int i = 0; i < METRICS_ROLES; i++) {
		metrics_hist_init(&m->duration[i], duration_bounds,
				  sizeof(duration_bounds) / sizeof(duration_bounds[0]));
		metrics_hist_init(&m->downtime[i], downtime_bounds,
				  sizeof(downtime_bounds) / sizeof(downtime_bounds[0]));
	}
	*ret = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->http)
		evhttp_free(m->http);
	free(m);
}

static uint64_t job_bytes(const struct ctl_job_status *st)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < st->n_devices && i < PROTO_JOB_DEVICES_MAX; i++)
		sum += st->devices[i].bytes_sent;
	return sum;
}

void metrics_job_finished(struct metrics *m, const struct ctl_job_status *st)
{
	int role;

	if (!m || (st->role != CTL_ROLE_SOURCE && st->role != CTL_ROLE_DESTINATION))
		return;
	role = (int)st->role - 1;
	for (int i = 0; i < METRICS_RESULTS; i++) {
		if (st->phase != result_phase[i])
			continue;
		m->results[role][i]++;
		m->bytes_done[role] += job_bytes(st);
		if (st->phase == CTL_PHASE_COMPLETED) {
			metrics_hist_observe(&m->duration[role], (double)st->elapsed_ms / 1000.0);
			metrics_hist_observe(&m->downtime[role], (double)st->downtime_ms / 1000.0);
		}
	}
}

/* ---- the exposition ---------------------------------------------------------------- */

/* One sample with a single label. */
static void sample1(struct metrics_text *t, const char *name, const char *k, const char *v,
		    double value)
{
	char lab[METRICS_TEXT_LABELS_MAX];

	metrics_text_labels(lab, sizeof(lab), k, v, NULL);
	metrics_text_sample(t, name, lab, value);
}

static void render_devices(struct metrics *m, struct metrics_text *t)
{
	uint64_t n[FSM_NSTATES] = { 0 };
	size_t count;

	if (!m->src.devices)
		return;
	count = registry_count(m->src.devices);
	for (size_t i = 0; i < count; i++) {
		enum fsm_state s = device_state(registry_at(m->src.devices, i, NULL));

		if ((unsigned int)s < FSM_NSTATES)
			n[s]++;
	}
	metrics_text_family(t, "vfio_migd_devices", "gauge",
			    "Devices this daemon owns, by VFIO migration state.");
	for (int s = 0; s < FSM_NSTATES; s++)
		sample1(t, "vfio_migd_devices", "state", fsm_state_name(s), (double)n[s]);
}

static bool role_has_phase(int role, uint32_t phase)
{
	for (size_t i = 0; i < sizeof(role_phases[0]) / sizeof(role_phases[0][0]); i++) {
		if (role_phases[role][i] == phase)
			return true;
	}
	return false;
}

/* Jobs by role and phase (unfinished ones), and every job's bytes into bytes[role]. */
static void render_jobs(struct metrics *m, struct metrics_text *t, uint64_t *bytes)
{
	uint64_t n[METRICS_ROLES][CTL_PHASE_MAX + 1] = { { 0 } };
	struct ctl_job_status *v = calloc(PROTO_JOBS_MAX, sizeof(*v));
	uint32_t count = v ? migrate_job_list(m->src.migrate, v, PROTO_JOBS_MAX) : 0;
	char lab[METRICS_TEXT_LABELS_MAX];

	if (!v) {
		t->err = t->err ? t->err : -ENOMEM;
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		int role = (int)v[i].role - 1;

		if (role < 0 || role >= METRICS_ROLES || v[i].phase > CTL_PHASE_MAX ||
		    ctl_job_phase_terminal(v[i].phase))
			continue;
		n[role][v[i].phase]++;
		bytes[role] += job_bytes(&v[i]);
	}
	free(v);
	metrics_text_family(t, "vfio_migd_jobs", "gauge",
			    "Unfinished migration jobs, by role and phase.");
	for (int r = 0; r < METRICS_ROLES; r++) {
		for (uint32_t p = CTL_PHASE_WAITING; p <= CTL_PHASE_MAX; p++) {
			if (ctl_job_phase_terminal(p) || (!role_has_phase(r, p) && !n[r][p]))
				continue;
			metrics_text_labels(lab, sizeof(lab), "role", role_name(r), "phase",
					    ctl_job_phase_name(p), NULL);
			metrics_text_sample(t, "vfio_migd_jobs", lab, (double)n[r][p]);
		}
	}
}

static void render_finished(struct metrics *m, struct metrics_text *t, const uint64_t *bytes)
{
	char lab[METRICS_TEXT_LABELS_MAX];

	metrics_text_family(t, "vfio_migd_transferred_bytes_total", "counter",
			    "Device state bytes sent (source) or received (destination).");
	for (int r = 0; r < METRICS_ROLES; r++)
		sample1(t, "vfio_migd_transferred_bytes_total", "role", role_name(r),
			(double)(bytes[r] + m->bytes_done[r]));
	metrics_text_family(t, "vfio_migd_migrations_total", "counter",
			    "Finished migration jobs, by role and result.");
	for (int r = 0; r < METRICS_ROLES; r++) {
		for (int i = 0; i < METRICS_RESULTS; i++) {
			metrics_text_labels(lab, sizeof(lab), "role", role_name(r), "result",
					    result_name[i], NULL);
			metrics_text_sample(t, "vfio_migd_migrations_total", lab,
					    (double)m->results[r][i]);
		}
	}
	metrics_text_family(t, "vfio_migd_migration_duration_seconds", "histogram",
			    "Completed migrations: job creation to completion.");
	for (int r = 0; r < METRICS_ROLES; r++) {
		metrics_text_labels(lab, sizeof(lab), "role", role_name(r), NULL);
		metrics_hist_write(&m->duration[r], t, "vfio_migd_migration_duration_seconds", lab);
	}
	metrics_text_family(t, "vfio_migd_migration_downtime_seconds", "histogram",
			    "Completed migrations: first device leaving RUNNING to the last one "
			    "RUNNING on the destination, as the job measured it.");
	for (int r = 0; r < METRICS_ROLES; r++) {
		metrics_text_labels(lab, sizeof(lab), "role", role_name(r), NULL);
		metrics_hist_write(&m->downtime[r], t, "vfio_migd_migration_downtime_seconds", lab);
	}
}

static void render_links(struct peer_set *set, struct metrics_text *t)
{
	uint64_t up = 0, tx = 0, rx = 0;
	struct peer_link *l = NULL;

	while ((l = peer_set_links(set, l))) {
		if (peer_link_state(l) != PEER_LINK_READY)
			continue;
		up++;
		tx += peer_link_ktls_tx(l);
		rx += peer_link_ktls_rx(l);
	}
	metrics_text_family(t, "vfio_migd_peer_links", "gauge",
			    "Peer control links up (HELLO exchanged).");
	metrics_text_sample(t, "vfio_migd_peer_links", NULL, (double)up);
	metrics_text_family(
		t, "vfio_migd_peer_links_ktls", "gauge",
		"Peer control links whose TLS records the kernel handles, by direction.");
	sample1(t, "vfio_migd_peer_links_ktls", "direction", "tx", (double)tx);
	sample1(t, "vfio_migd_peer_links_ktls", "direction", "rx", (double)rx);
}

static void render_tls(struct metrics *m, struct metrics_text *t)
{
	struct tls_ctx *ctx = m->src.tls ? *m->src.tls : NULL;

	if (m->src.peers) {
		metrics_text_family(t, "vfio_migd_tls_handshake_failures_total", "counter",
				    "Peer TLS handshakes that failed, by reason.");
		for (int f = 0; f < PEER_TLS_FAIL_COUNT; f++)
			sample1(t, "vfio_migd_tls_handshake_failures_total", "reason",
				peer_tls_failure_name(f),
				(double)peer_set_tls_failures(m->src.peers, f));
		render_links(m->src.peers, t);
	}
	if (ctx) {
		metrics_text_family(t, "vfio_migd_tls_certificate_expiry_timestamp_seconds",
				    "gauge",
				    "notAfter of this daemon's TLS certificate, Unix time.");
		metrics_text_sample(t, "vfio_migd_tls_certificate_expiry_timestamp_seconds", NULL,
				    (double)tls_ctx_cert_not_after(ctx));
	}
	if (m->src.ktls) {
		metrics_text_family(t, "vfio_migd_ktls_configured", "gauge",
				    "1 when [tls] ktls asks for kernel TLS.");
		metrics_text_sample(t, "vfio_migd_ktls_configured", NULL, *m->src.ktls ? 1 : 0);
	}
}

void metrics_render(struct metrics *m, struct metrics_text *t)
{
	uint64_t bytes[METRICS_ROLES] = { 0 };

	metrics_text_family(t, "vfio_migd_build_info", "gauge", "The daemon's version.");
	sample1(t, "vfio_migd_build_info", "version", VFIO_MIGD_VERSION, 1);
	render_devices(m, t);
	if (m->src.migrate)
		render_jobs(m, t, bytes);
	render_finished(m, t, bytes);
	render_tls(m, t);
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static void metrics_reply(struct metrics *m, struct evhttp_request *req)
{
	struct evbuffer *body = evbuffer_new();
	struct metrics_text t;
	const char *text;
	size_t len;

	metrics_text_init(&t);
	metrics_render(m, &t);
	if (!body || metrics_text_finish(&t, &text, &len) < 0 ||
	    evbuffer_add(body, text, len) < 0) {
		log_warnx("metrics: out of memory answering a scrape");
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  METRICS_CONTENT_TYPE);
		evhttp_send_reply(req, HTTP_OK, "OK", body);
	}
	if (body)
		evbuffer_free(body);
	metrics_text_free(&t);
}

/* A short plain-text error; evhttp_send_error() would drop our headers (Allow). */
static void metrics_send_status(struct evhttp_request *req, int code, const char *reason,
				const char *allow)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	if (allow)
		evhttp_add_header(h, "Allow", allow);
	if (body)
		evbuffer_add_printf(body, "%d %s: only GET /metrics is served\n", code, reason);
	evhttp_send_reply(req, code, reason, body);
	if (body)
		evbuffer_free(body);
}

static void metrics_on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!path || strcmp(path, "/metrics") != 0)
		metrics_send_status(req, HTTP_NOTFOUND, "Not Found", NULL);
	else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
		metrics_send_status(req, HTTP_BADMETHOD, "Method Not Allowed", "GET, HEAD");
	else
		metrics_reply(arg, req);
}

/* The bound address of the listening socket into m->address. */
static void metrics_bound(struct metrics *m, struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
		}
	}
	snprintf(m->address, sizeof(m->address), ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, port);
}

int metrics_listen(struct metrics *m, struct event_base *base, const struct config_addr *addr)
{
	struct evhttp_bound_socket *bs;
	int r;

	if (m->http)
		return -EALREADY;
	m->http = evhttp_new(base);
	if (!m->http)
		return -ENOMEM;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
						    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	/* a scraper asks and goes: idle connections are closed soon (libevent 2.1 has no cap on
	 * their number; the endpoint is loopback-only and off by default) */
	evhttp_set_timeout(m->http, 5);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 4096);
	evhttp_set_gencb(m->http, metrics_on_request, m);
	errno = 0;
	bs = evhttp_bind_socket_with_handle(m->http, addr->host, addr->port);
	if (!bs) {
		r = errno ? -errno : -EADDRNOTAVAIL;
		log_err(r, "metrics: cannot listen on %s port %u ([daemon] metrics_listen)",
			addr->host, addr->port);
		evhttp_free(m->http);
		m->http = NULL;
		return r;
	}
	metrics_bound(m, bs);
	log_notice("metrics: serving http://%s/metrics", m->address);
	return 0;
}

const char *metrics_address(const struct metrics *m)
{
	return m->http ? m->address : "";
}
