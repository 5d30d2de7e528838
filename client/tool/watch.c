/*
 * watch.c - following one job to its end for job watch, job wait and migrate --wait.
 *
 * The job's events (a subscription) drive the display; vfiomig_event_next() is called with a
 * short timeout so that Ctrl-C (a flag set by the SIGINT handler) and the deadline are
 * noticed promptly, and the status is polled when no event came for a second (events may
 * be dropped). The client is interruptible (ctl.c), so Ctrl-C also ends a blocking call to
 * a daemon that does not answer. The first Ctrl-C asks whether to cancel the job (on a
 * terminal), a later one detaches. On a terminal (not TERM=dumb) the progress is one block
 * redrawn in place with ANSI cursor movement (phase, bytes, a bar, rate, ETA, one line per
 * device), each line cut to the terminal's width; otherwise one plain line per phase or
 * progress event. The rate is measured from successive statuses (smoothed),
 * the ETA is the remaining bytes over that rate, and the bar never runs backwards.
 *
 * Single-threaded; the signal handler only sets a flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "output.h"
#include "watch.h"

#define WATCH_POLL_MS	  250  /* longest wait for an event before looking at the flags */
#define WATCH_REFRESH_MS  1000 /* ask for the status when no event came for that long */
#define WATCH_BAR_WIDTH	  30
#define WATCH_RATE_MIN_MS 200 /* shortest interval a rate sample is measured over */

static volatile sig_atomic_t watch_sigint;

/* What the display remembers between two statuses. */
struct watch {
	struct ctl *ctl;
	uint64_t job_id;
	bool show;		 /* progress at all */
	bool tty;		 /* redraw in place */
	unsigned int cols;	 /* the terminal's width; lines are cut to fit */
	unsigned int drawn;	 /* lines of the block on screen */
	uint64_t last_status_ms; /* monotonic time of the last status seen */
	uint64_t sample_ms;	 /* rate sample: time and bytes */
	uint64_t sample_bytes;
	double rate;	/* smoothed bytes/s, 0 until measured */
	double frac;	/* the bar, monotonic */
	uint32_t phase; /* last phase seen */
	bool cancel_sent;
};

static void watch_on_sigint(int sig)
{
	(void)sig;
	watch_sigint = 1;
}

void watch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
}

bool watch_interrupted(bool clear)
{
	bool v = watch_sigint != 0;

	if (clear)
		watch_sigint = 0;
	return v;
}

uint64_t watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int watch_exit_code(uint32_t phase)
{
	switch (phase) {
	case VFIOMIG_PHASE_COMPLETED:
		return CTL_EXIT_OK;
	case VFIOMIG_PHASE_CANCELLED:
		return CTL_EXIT_JOB_CANCELLED;
	default:
		return CTL_EXIT_JOB_FAILED;
	}
}

/* ---- rate, ETA, bar ---- */

/* Feeds one status into the rate measurement and the bar. */
static void watch_sample(struct watch *w, const struct vfiomig_job *j)
{
	uint64_t now = watch_now_ms(), sent = vfiomig_job_get_bytes_sent(j);
	uint64_t left = vfiomig_job_get_bytes_remaining(j);
	double f;

	w->last_status_ms = now;
	if (!w->sample_ms || sent < w->sample_bytes) {
		w->sample_ms = now;
		w->sample_bytes = sent;
	} else if (now - w->sample_ms >= WATCH_RATE_MIN_MS) {
		double inst =
			(double)(sent - w->sample_bytes) * 1000.0 / (double)(now - w->sample_ms);

		w->rate = w->rate > 0 ? 0.6 * w->rate + 0.4 * inst : inst;
		w->sample_ms = now;
		w->sample_bytes = sent;
	}
	f = sent + left ? (double)sent / (double)(sent + left) : 0;
	if (vfiomig_job_get_phase(j) == VFIOMIG_PHASE_COMPLETED)
		f = 1;
	if (f > w->frac)
		w->frac = f;
}

/* The rate to show: measured, else the daemon's throughput. */
static uint64_t watch_rate(const struct watch *w, const struct vfiomig_job *j)
{
	return w->rate >= 1 ? (uint64_t)w->rate : vfiomig_job_get_throughput_bps(j);
}

/* "ETA 1.2 s" or "ETA -". */
static const char *watch_eta(char buf[OUTPUT_NUM_LEN], const struct watch *w,
			     const struct vfiomig_job *j)
{
	uint64_t left = vfiomig_job_get_bytes_remaining(j), rate = watch_rate(w, j);
	char d[OUTPUT_NUM_LEN];

	if (!left || !rate || vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j)))
		snprintf(buf, OUTPUT_NUM_LEN, "ETA -");
	else
		snprintf(buf, OUTPUT_NUM_LEN, "ETA %s",
			 output_duration(d, (uint64_t)((double)left * 1000.0 / (double)rate)));
	return buf;
}

/* ---- drawing ---- */

/* The one-line progress: "PRECOPY 1.8 MiB/4.0 MiB 45% 2.0 MiB/s ETA 1.1 s". */
static void watch_line(char *buf, size_t size, const struct watch *w, const struct vfiomig_job *j)
{
	char s[OUTPUT_NUM_LEN], t[OUTPUT_NUM_LEN], r[OUTPUT_NUM_LEN], e[OUTPUT_NUM_LEN];
	char el[OUTPUT_NUM_LEN];
	uint64_t sent = vfiomig_job_get_bytes_sent(j);

	snprintf(buf, size, "%s %s / %s (%3.0f%%) %s %s elapsed %s",
		 vfiomig_job_phase_name(vfiomig_job_get_phase(j)), output_bytes(s, sent),
		 output_bytes(t, sent + vfiomig_job_get_bytes_remaining(j)), w->frac * 100,
		 output_rate(r, watch_rate(w, j)), watch_eta(e, w, j),
		 output_duration(el, vfiomig_job_get_elapsed_ms(j)));
}

/* Not a terminal: one plain line. */
static void watch_draw_plain(struct watch *w, const struct vfiomig_job *j)
{
	char line[256];

	watch_line(line, sizeof(line), w, j);
	printf("job %" PRIu64 ": %s\n", w->job_id, line);
	fflush(stdout);
}

/* One line of the block, cleared first and cut to the terminal's width (a wrapped line
 * would break the redraw's line count). */
static void watch_tty_line(const struct watch *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void watch_tty_line(const struct watch *w, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("\r\033[2K%.*s\n", (int)(w->cols > 1 ? w->cols - 1 : 1), line);
}

/* A terminal: the block, redrawn over the previous one. */
static void watch_draw_tty(struct watch *w, const struct vfiomig_job *j)
{
	int fill = (int)(w->frac * WATCH_BAR_WIDTH + 0.5);
	char s[OUTPUT_NUM_LEN], a[OUTPUT_NUM_LEN], r[OUTPUT_NUM_LEN];
	uint32_t n = vfiomig_job_get_device_count(j);

	char line[256];

	if (w->drawn)
		printf("\033[%uA", w->drawn);
	watch_tty_line(w, "job %" PRIu64 " %s %s  iteration %u", w->job_id,
		       vfiomig_job_get_role(j) == VFIOMIG_ROLE_SOURCE ? "to" : "from",
		       vfiomig_job_get_peer(j), vfiomig_job_get_precopy_iterations(j));
	watch_line(line, sizeof(line), w, j);
	watch_tty_line(w, "[%.*s%.*s] %s", fill, "##############################",
		       WATCH_BAR_WIDTH - fill, "..............................", line);
	for (uint32_t i = 0; i < n; i++)
		watch_tty_line(w, "  %s -> %s  %-12s %s sent, %s acked, %s left",
			       vfiomig_job_get_device_source_id(j, i),
			       vfiomig_job_get_device_target_id(j, i),
			       vfiomig_device_state_name(vfiomig_job_get_device_state(j, i)),
			       output_bytes(s, vfiomig_job_get_device_bytes_sent(j, i)),
			       output_bytes(a, vfiomig_job_get_device_bytes_acked(j, i)),
			       output_bytes(r, vfiomig_job_get_device_bytes_remaining(j, i)));
	w->drawn = 2 + n;
	fflush(stdout);
}

/* A new status: measure, then draw (plain lines only for phase changes and progress). */
static void watch_update(struct watch *w, const struct vfiomig_job *j, bool line)
{
	watch_sample(w, j);
	w->phase = vfiomig_job_get_phase(j);
	if (!w->show)
		return;
	if (w->tty)
		watch_draw_tty(w, j);
	else if (line)
		watch_draw_plain(w, j);
}

/* ---- Ctrl-C ---- */

/* Reads the answer to the question from the terminal: true for y/yes. */
static bool watch_confirm(uint64_t job_id)
{
	char buf[16] = "";
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return false;
	dprintf(fd, "\nCancel job %" PRIu64 "? [y/N] ", job_id);
	n = read(fd, buf, sizeof(buf) - 1); /* a second Ctrl-C ends it with EINTR: "no" */
	close(fd);
	return n > 0 && (buf[0] == 'y' || buf[0] == 'Y');
}

/* The detach message (an INTERRUPTED error document in --json mode); the socket option is
 * repeated when one was given. */
static void watch_detach_message(struct ctl *ctl, uint64_t job_id)
{
	char sock[1100] = "";

	if (ctl->socket)
		snprintf(sock, sizeof(sock), "-s %s ", ctl->socket);
	fputc('\n', stderr);
	err_report(ctl, "INTERRUPTED", EINTR, CTL_EXIT_INTERRUPTED,
		   "job %" PRIu64 " keeps running; follow it with: vfio-migctl %sjob watch %" PRIu64
		   "; cancel it with: vfio-migctl %sjob cancel %" PRIu64,
		   job_id, sock, job_id, sock, job_id);
}

bool watch_ask_cancel(struct ctl *ctl, uint64_t job_id)
{
	char what[64];
	int r;

	watch_interrupted(true);
	if (!isatty(STDIN_FILENO) || !watch_confirm(job_id)) {
		watch_interrupted(true);
		watch_detach_message(ctl, job_id);
		return false;
	}
	r = vfiomig_job_cancel(ctl->client, job_id, 0);
	if (r == -EINTR) {
		/* Ctrl-C again while the daemon did not answer: give up waiting */
		watch_interrupted(true);
		watch_detach_message(ctl, job_id);
		return false;
	}
	if (r < 0) {
		snprintf(what, sizeof(what), "job cancel %" PRIu64, job_id);
		err_call(ctl, r, what);
		fprintf(stderr, "following job %" PRIu64 " to its end\n", job_id);
	} else {
		fprintf(stderr, "cancelling job %" PRIu64 "; following it until it ends\n", job_id);
	}
	return true;
}

/* ---- the loop ---- */

/* The final status: printed as the summary or the JSON document; the exit code. */
static int watch_finish(struct watch *w, const struct vfiomig_job *j)
{
	if (w->show && w->tty)
		watch_draw_tty(w, j);
	if (w->ctl->json)
		output_json_print(output_job_json(j));
	else if (!w->ctl->quiet || vfiomig_job_get_phase(j) != VFIOMIG_PHASE_COMPLETED)
		output_job_summary(stdout, j);
	fflush(stdout);
	return watch_exit_code(vfiomig_job_get_phase(j));
}

/* Asks for the status; *done set when terminal (and the final output printed). */
static int watch_poll(struct watch *w, bool *done, int *code)
{
	struct vfiomig_job *j;
	char what[64];
	int r = vfiomig_job_status(w->ctl->client, w->job_id, 0, &j);

	if (r == -EINTR)
		return r; /* Ctrl-C: watch_step() sees the flag */
	if (r < 0) {
		snprintf(what, sizeof(what), "job status %" PRIu64, w->job_id);
		*code = err_call(w->ctl, r, what);
		*done = true;
		return r;
	}
	if (vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j))) {
		*code = watch_finish(w, j);
		*done = true;
	} else {
		watch_update(w, j, vfiomig_job_get_phase(j) != w->phase);
	}
	vfiomig_job_free(j);
	return 0;
}

/* One event of the job: update the display; *done once the job finished. */
static void watch_event(struct watch *w, struct vfiomig_event *ev, bool *done, int *code)
{
	const struct vfiomig_job *j = vfiomig_event_get_job(ev);
	uint32_t kind = vfiomig_event_get_kind(ev);

	if (kind == VFIOMIG_EVENT_LOST || (kind == VFIOMIG_EVENT_FINISHED && !j)) {
		watch_poll(w, done, code);
		return;
	}
	if (vfiomig_event_get_job_id(ev) != w->job_id || !j)
		return;
	if (kind == VFIOMIG_EVENT_FINISHED ||
	    vfiomig_job_phase_is_terminal(vfiomig_job_get_phase(j))) {
		watch_sample(w, j);
		/* the status of the final event is complete: no extra round trip */
		*code = watch_finish(w, j);
		*done = true;
		return;
	}
	watch_update(w, j, kind == VFIOMIG_EVENT_PROGRESS || kind == VFIOMIG_EVENT_PHASE);
}

/* The deadline passed: exit 6 with how to go on. */
static int watch_timed_out(struct watch *w)
{
	if (w->show && w->tty)
		putchar('\n');
	return err_report(w->ctl, "TIMEOUT", ETIMEDOUT, CTL_EXIT_TIMEOUT,
			  "timed out waiting for job %" PRIu64 " (still %s); it keeps running: "
			  "vfio-migctl job watch %" PRIu64 " / job cancel %" PRIu64,
			  w->job_id, vfiomig_job_phase_name(w->phase), w->job_id, w->job_id);
}

/* One turn of the loop: an event, a timeout, or a signal. */
static void watch_step(struct watch *w, uint64_t deadline_ms, bool *done, int *code)
{
	struct vfiomig_event *ev;
	int r;

	r = vfiomig_event_next(w->ctl->client, WATCH_POLL_MS, &ev);
	if (r == 0) {
		watch_event(w, ev, done, code);
		vfiomig_event_free(ev);
	} else if (r != -ETIMEDOUT && r != -EAGAIN && r != -EINTR) {
		*code = err_call(w->ctl, r, "following the job's events");
		*done = true;
		return;
	}
	if (*done)
		return;
	if (watch_interrupted(false)) {
		if (w->show && w->tty)
			w->drawn = 0; /* the question broke the block: draw below it */
		if (w->cancel_sent) {
			/* Ctrl-C after the cancel: stop following, do not ask again */
			watch_interrupted(true);
			watch_detach_message(w->ctl, w->job_id);
			*code = CTL_EXIT_INTERRUPTED;
			*done = true;
		} else if (watch_ask_cancel(w->ctl, w->job_id)) {
			w->cancel_sent = true;
		} else {
			*code = CTL_EXIT_INTERRUPTED;
			*done = true;
		}
		return;
	}
	if (deadline_ms && watch_now_ms() >= deadline_ms) {
		*code = watch_timed_out(w);
		*done = true;
		return;
	}
	if (watch_now_ms() - w->last_status_ms >= WATCH_REFRESH_MS)
		watch_poll(w, done, code);
}

/* A terminal that understands cursor movement (not TERM=dumb); *cols its width. */
static bool watch_is_tty(unsigned int *cols)
{
	const char *term = getenv("TERM");
	struct winsize ws;

	*cols = 80;
	if (!isatty(STDOUT_FILENO) || !term || !*term || strcmp(term, "dumb") == 0)
		return false;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		*cols = ws.ws_col;
	return true;
}

int watch_job(struct ctl *ctl, uint64_t job_id, bool show_progress, uint64_t deadline_ms)
{
	struct watch w = { .ctl = ctl, .job_id = job_id, .show = show_progress };
	char what[64];
	bool done = false;
	int r, code = CTL_EXIT_OK;

	w.tty = watch_is_tty(&w.cols);
	watch_signals();
	r = vfiomig_subscribe(ctl->client, job_id, 0);
	if (r == -EINTR) {
		watch_interrupted(true);
		watch_detach_message(ctl, job_id);
		return CTL_EXIT_INTERRUPTED;
	}
	if (r < 0) {
		snprintf(what, sizeof(what), "job %" PRIu64, job_id);
		return err_call(ctl, r, what);
	}
	/* a job that ended before the subscription sends no more events: ask once */
	watch_poll(&w, &done, &code);
	while (!done)
		watch_step(&w, deadline_ms, &done, &code);
	return code;
}
