/*
 * test_metrics.c - the metrics endpoint: the text exposition format (labels and help
 * escaping, values, histograms), the rendering of devices by state and of finished jobs,
 * and the HTTP rules (GET /metrics 200 with the 0.0.4 content type, 404, 405) on a real
 * event loop with an evhttp client.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "buildinfo.h"
#include "ctl_job.h"
#include "fake_backend.h"
#include "metrics.h"
#include "metrics_hist.h"
#include "metrics_text.h"
#include "registry.h"

/* The text written so far (asserting no failure). */
static const char *text_of(struct metrics_text *t)
{
	const char *s;
	size_t n;

	ck_assert_int_eq(metrics_text_finish(t, &s, &n), 0);
	ck_assert_uint_eq(strlen(s), n);
	return s;
}

START_TEST(test_labels_escape)
{
	char buf[128];

	ck_assert_int_eq(metrics_text_labels(buf, sizeof(buf), "a", "x\"y\\z\nw", "b", "", NULL),
			 0);
	ck_assert_str_eq(buf, "a=\"x\\\"y\\\\z\\nw\",b=\"\"");
	ck_assert_int_eq(metrics_text_labels(buf, sizeof(buf), NULL), 0);
	ck_assert_str_eq(buf, "");
	/* exactly full and one byte short */
	ck_assert_int_eq(metrics_text_labels(buf, 8, "k", "abc", NULL), 0); /* k="abc" + NUL */
	ck_assert_str_eq(buf, "k=\"abc\"");
	ck_assert_int_eq(metrics_text_labels(buf, 7, "k", "abc", NULL), -ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(metrics_text_labels(buf, 6, "k", "a\"", NULL), -ENOSPC);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_family_and_samples)
{
	struct metrics_text t;

	metrics_text_init(&t);
	metrics_text_family(&t, "x_total", "counter", "a \\ b\nc \"q\"");
	metrics_text_sample(&t, "x_total", NULL, 3);
	metrics_text_sample(&t, "x_total", "", 0.25);
	metrics_text_sample(&t, "x_total", "r=\"s\"", 9007199254740992.0);
	metrics_text_sample(&t, "y", NULL, 1e20);
	metrics_text_sample(&t, "y", NULL, NAN);
	metrics_text_sample(&t, "y", NULL, INFINITY);
	metrics_text_sample(&t, "y", NULL, -INFINITY);
	metrics_text_sample(&t, "y", NULL, -2);
	ck_assert_str_eq(text_of(&t), "# HELP x_total a \\\\ b\\nc \"q\"\n"
				      "# TYPE x_total counter\n"
				      "x_total 3\n"
				      "x_total 0.25\n"
				      "x_total{r=\"s\"} 9007199254740992\n"
				      "y 1e+20\n"
				      "y NaN\n"
				      "y +Inf\n"
				      "y -Inf\n"
				      "y -2\n");
	metrics_text_free(&t);
	metrics_text_free(&t); /* twice: empty */
	metrics_text_free(NULL);
}
END_TEST

START_TEST(test_text_grows)
{
	struct metrics_text t;
	const char *s;
	size_t n;

	metrics_text_init(&t);
	ck_assert_int_eq(metrics_text_finish(&t, &s, &n), 0);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(n, 0);
	for (int i = 0; i < 5000; i++)
		metrics_text_sample(&t, "some_long_metric_name", "label=\"value\"", i);
	ck_assert_int_eq(metrics_text_finish(&t, &s, &n), 0);
	ck_assert_ptr_nonnull(strstr(s, "some_long_metric_name{label=\"value\"} 4999\n"));
	ck_assert_uint_eq(n, strlen(s));
	metrics_text_free(&t);
}
END_TEST

static const double bounds[] = { 0.1, 1, 10 };

START_TEST(test_hist)
{
	static const double bad1[] = { 1, 1 }, bad2[] = { 2, 1 }, bad3[] = { 1, INFINITY };
	static const double many[METRICS_HIST_BUCKETS_MAX + 1] = { 0 };
	struct metrics_hist h;
	struct metrics_text t;

	ck_assert_int_eq(metrics_hist_init(&h, bad1, 2), -EINVAL);
	ck_assert_int_eq(metrics_hist_init(&h, bad2, 2), -EINVAL);
	ck_assert_int_eq(metrics_hist_init(&h, bad3, 2), -EINVAL);
	ck_assert_int_eq(metrics_hist_init(&h, bounds, 0), -EINVAL);
	ck_assert_int_eq(metrics_hist_init(&h, many, METRICS_HIST_BUCKETS_MAX + 1), -EINVAL);
	ck_assert_int_eq(metrics_hist_init(&h, bounds, 3), 0);
	metrics_hist_observe(&h, 0.1); /* on a bound: that bucket ("le") */
	metrics_hist_observe(&h, 0.5);
	metrics_hist_observe(&h, 1);
	metrics_hist_observe(&h, 50);
	metrics_hist_observe(&h, NAN); /* ignored */
	metrics_text_init(&t);
	metrics_hist_write(&h, &t, "d_seconds", "role=\"source\"");
	metrics_hist_write(&h, &t, "e", NULL);
	ck_assert_str_eq(text_of(&t), "d_seconds_bucket{role=\"source\",le=\"0.1\"} 1\n"
				      "d_seconds_bucket{role=\"source\",le=\"1\"} 3\n"
				      "d_seconds_bucket{role=\"source\",le=\"10\"} 3\n"
				      "d_seconds_bucket{role=\"source\",le=\"+Inf\"} 4\n"
				      "d_seconds_sum{role=\"source\"} 51.6\n"
				      "d_seconds_count{role=\"source\"} 4\n"
				      "e_bucket{le=\"0.1\"} 1\n"
				      "e_bucket{le=\"1\"} 3\n"
				      "e_bucket{le=\"10\"} 3\n"
				      "e_bucket{le=\"+Inf\"} 4\n"
				      "e_sum 51.6\n"
				      "e_count 4\n");
	metrics_text_free(&t);
}
END_TEST

/* A finished status of role/phase with elapsed/downtime ms and bytes on two devices. */
static struct ctl_job_status status(uint32_t role, uint32_t phase, uint64_t elapsed,
				    uint64_t downtime, uint64_t bytes)
{
	struct ctl_job_status st = { .job_id = 7, .role = role, .phase = phase, .n_devices = 2 };

	st.elapsed_ms = elapsed;
	st.downtime_ms = downtime;
	st.devices[0].bytes_sent = bytes / 2;
	st.devices[1].bytes_sent = bytes - bytes / 2;
	return st;
}

/* Fails unless the rendered text has this exact line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	ck_abort_msg("no line '%s' in:\n%s", line, text);
}

START_TEST(test_render)
{
	struct metrics_sources src = { 0 };
	struct metrics_text t;
	struct registry *r;
	struct metrics *m;
	struct device *d;
	const char *s;
	bool ktls = true;
	struct ctl_job_status st;

	ck_assert_int_eq(registry_new(8, &r), 0);
	ck_assert_int_eq(device_new("a", &fake_backend_new(FSM_F_ALL)->base, &d), 0);
	ck_assert_int_eq(registry_add(r, d), 0);
	ck_assert_int_eq(device_new("b", &fake_backend_new(FSM_F_ALL)->base, &d), 0);
	ck_assert_int_eq(registry_add(r, d), 0);
	ck_assert_int_eq(device_new("c", &fake_backend_new(FSM_F_ALL)->base, &d), 0);
	ck_assert_int_eq(registry_add(r, d), 0);
	ck_assert_int_eq(device_set_state(d, FSM_STOP, FSM_ERROR, NULL), 0);
	src.devices = r;
	src.ktls = &ktls;
	ck_assert_int_eq(metrics_new(&src, &m), 0);
	ck_assert_str_eq(metrics_address(m), "");

	st = status(CTL_ROLE_SOURCE, CTL_PHASE_COMPLETED, 2500, 120, 1000);
	metrics_job_finished(m, &st);
	st = status(CTL_ROLE_SOURCE, CTL_PHASE_PRECOPY, 2500, 120, 1000); /* not terminal */
	metrics_job_finished(m, &st);
	st = status(CTL_ROLE_DESTINATION, CTL_PHASE_FAILED, 100, 0, 51);
	metrics_job_finished(m, &st);
	st = status(CTL_ROLE_DESTINATION, CTL_PHASE_CANCELLED, 100, 0, 0);
	metrics_job_finished(m, &st);
	st = status(0, CTL_PHASE_COMPLETED, 100, 0, 5); /* no role: ignored */
	metrics_job_finished(m, &st);
	metrics_job_finished(NULL, &st);

	metrics_text_init(&t);
	metrics_render(m, &t);
	s = text_of(&t);
	has_line(s, "# TYPE vfio_migd_devices gauge");
	has_line(s, "vfio_migd_devices{state=\"RUNNING\"} 2");
	has_line(s, "vfio_migd_devices{state=\"STOP\"} 1");
	has_line(s, "vfio_migd_devices{state=\"ERROR\"} 0");
	has_line(s, "vfio_migd_build_info{version=\"" VFIO_MIGD_VERSION "\"} 1");
	has_line(s, "vfio_migd_transferred_bytes_total{role=\"source\"} 1000");
	has_line(s, "vfio_migd_transferred_bytes_total{role=\"destination\"} 51");
	has_line(s, "vfio_migd_migrations_total{role=\"source\",result=\"completed\"} 1");
	has_line(s, "vfio_migd_migrations_total{role=\"source\",result=\"failed\"} 0");
	has_line(s, "vfio_migd_migrations_total{role=\"destination\",result=\"failed\"} 1");
	has_line(s, "vfio_migd_migrations_total{role=\"destination\",result=\"cancelled\"} 1");
	has_line(s, "# TYPE vfio_migd_migration_duration_seconds histogram");
	has_line(s, "vfio_migd_migration_duration_seconds_bucket{role=\"source\",le=\"1\"} 0");
	has_line(s, "vfio_migd_migration_duration_seconds_bucket{role=\"source\",le=\"2.5\"} 1");
	has_line(s, "vfio_migd_migration_duration_seconds_sum{role=\"source\"} 2.5");
	has_line(s, "vfio_migd_migration_duration_seconds_count{role=\"source\"} 1");
	has_line(s, "vfio_migd_migration_duration_seconds_count{role=\"destination\"} 0");
	has_line(s, "vfio_migd_migration_downtime_seconds_bucket{role=\"source\",le=\"0.1\"} 0");
	has_line(s, "vfio_migd_migration_downtime_seconds_bucket{role=\"source\",le=\"0.25\"} 1");
	has_line(s, "vfio_migd_migration_downtime_seconds_sum{role=\"source\"} 0.12");
	has_line(s, "vfio_migd_ktls_configured 1");
	/* no engine, no peers, no TLS: their families are left out */
	ck_assert_ptr_null(strstr(s, "vfio_migd_jobs"));
	ck_assert_ptr_null(strstr(s, "vfio_migd_tls_handshake"));
	ck_assert_ptr_null(strstr(s, "vfio_migd_tls_certificate"));
	/* every family has HELP then TYPE, and every sample's name is prefixed */
	for (const char *p = s; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "# HELP ", 7) == 0)
			ck_assert_int_eq(strncmp(strchr(p, '\n') + 1, "# TYPE ", 7), 0);
		else if (*p != '#')
			ck_assert_int_eq(strncmp(p, "vfio_migd_", 10), 0);
	}
	metrics_text_free(&t);
	metrics_free(m);
	metrics_free(NULL);
	registry_free(r);
}
END_TEST

/* ---- HTTP through a real loop ---- */

struct http_result {
	struct event_base *base;
	int code;
	char ctype[128];
	char allow[64];
	char body[512];
	size_t body_len;
};

static void http_done(struct evhttp_request *req, void *arg)
{
	struct http_result *res = arg;
	const char *v;

	event_base_loopexit(res->base, NULL);
	if (!req)
		return;
	res->code = evhttp_request_get_response_code(req);
	v = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	snprintf(res->ctype, sizeof(res->ctype), "%s", v ? v : "");
	v = evhttp_find_header(evhttp_request_get_input_headers(req), "Allow");
	snprintf(res->allow, sizeof(res->allow), "%s", v ? v : "");
	res->body_len = evbuffer_get_length(evhttp_request_get_input_buffer(req));
	evbuffer_copyout(evhttp_request_get_input_buffer(req), res->body, sizeof(res->body) - 1);
}

/* One request against the endpoint at port; the loop runs until the answer. */
static struct http_result http(struct event_base *base, unsigned int port, enum evhttp_cmd_type cmd,
			       const char *path)
{
	struct http_result res = { .base = base };
	struct evhttp_connection *c =
		evhttp_connection_base_new(base, NULL, "127.0.0.1", (unsigned short)port);
	struct evhttp_request *req = evhttp_request_new(http_done, &res);

	ck_assert_ptr_nonnull(c);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	ck_assert_int_eq(evhttp_make_request(c, req, cmd, path), 0);
	event_base_dispatch(base);
	evhttp_connection_free(c);
	return res;
}

START_TEST(test_http)
{
	struct config_addr addr = { .family = AF_INET, .host = "127.0.0.1", .port = 0 };
	struct metrics_sources src = { 0 };
	struct event_base *base = event_base_new();
	struct http_result res;
	struct metrics *m, *m2;
	unsigned int port;
	const char *a;

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(metrics_new(&src, &m), 0);
	ck_assert_int_eq(metrics_listen(m, base, &addr), 0);
	ck_assert_int_eq(metrics_listen(m, base, &addr), -EALREADY);
	a = metrics_address(m);
	ck_assert_int_eq(strncmp(a, "127.0.0.1:", 10), 0);
	port = (unsigned int)atoi(a + 10);
	ck_assert_uint_gt(port, 0);

	res = http(base, port, EVHTTP_REQ_GET, "/metrics");
	ck_assert_int_eq(res.code, 200);
	ck_assert_str_eq(res.ctype, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_int_eq(strncmp(res.body, "# HELP vfio_migd_build_info ", 28), 0);
	res = http(base, port, EVHTTP_REQ_GET, "/metrics?x=1"); /* a query is ignored */
	ck_assert_int_eq(res.code, 200);
	res = http(base, port, EVHTTP_REQ_GET, "/");
	ck_assert_int_eq(res.code, 404);
	res = http(base, port, EVHTTP_REQ_GET, "/metricsx");
	ck_assert_int_eq(res.code, 404);
	res = http(base, port, EVHTTP_REQ_POST, "/metrics");
	ck_assert_int_eq(res.code, 405);
	ck_assert_str_eq(res.allow, "GET, HEAD");
	res = http(base, port, EVHTTP_REQ_DELETE, "/metrics");
	ck_assert_int_eq(res.code, 405);
	res = http(base, port, EVHTTP_REQ_HEAD, "/metrics");
	ck_assert_int_eq(res.code, 200);
	ck_assert_uint_eq(res.body_len, 0);

	/* the same port again: the bind fails with the system's reason */
	addr.port = (uint16_t)port;
	ck_assert_int_eq(metrics_new(&src, &m2), 0);
	ck_assert_int_eq(metrics_listen(m2, base, &addr), -EADDRINUSE);
	ck_assert_str_eq(metrics_address(m2), "");
	metrics_free(m2);
	metrics_free(m);
	event_base_free(base);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_labels_escape);
	tcase_add_test(tc, test_family_and_samples);
	tcase_add_test(tc, test_text_grows);
	tcase_add_test(tc, test_hist);
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, test_render);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_test(tc, test_http);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
