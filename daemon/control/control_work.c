/*
 * control_work.c - the control operations whose device calls may block, run off the event
 * loop (issue #4: the loop never blocks). Opening a VFIO device (group or cdev open, feature
 * probes), a state change asked for by hand (a driver may take seconds for RUNNING ->
 * STOP_COPY or RESUMING -> STOP), closing one (the kernel may reset it on the last close) and
 * hashing a sim device's content would otherwise stall keepalives, streams and every other
 * client for as long as the driver takes.
 *
 * A handler does its checks on the loop, takes what the work needs (a registry claim, the
 * device itself) and calls control_work_start(): one thread runs run(arg) and nothing else,
 * sets finished and writes the server's eventfd; the loop's work_on_wake() joins it and
 * calls done(), which fills the reply and gives back what was taken, then answers the call.
 * A thread per operation, like the engine's state changes (migrate/change.c): there are few,
 * creation costs microseconds next to an ioctl, and the join is the hand-back.
 *
 * A client that goes away meanwhile only loses the reply: the call is detached, done() still
 * runs and releases the device. control_server_free() joins the threads still running (an
 * ioctl cannot be interrupted) and runs their done() before anything else is freed.
 *
 * Threading: the loop thread, except run() in its worker.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "control_int.h"
#include "ctl_reply.h"
#include "thread.h"

struct control_work {
	struct control_server *srv;
	struct control_call *call;
	control_work_fn *run;
	control_work_done_fn *done;
	void *arg;
	uint32_t result; /* the reply's result type on success (enum ctl_result) */
	pthread_t thread;
	atomic_bool finished;
	TAILQ_ENTRY(control_work) entry;
};

/* Joins w, lets done() fill the reply, answers the call and frees w. Loop. */
static void work_complete(struct control_work *w)
{
	struct ctl_reply rep = { .result = w->result };

	pthread_join(w->thread, NULL);
	TAILQ_REMOVE(&w->srv->works, w, entry);
	w->done(w->srv, w->arg, &rep);
	control_call_finish(w->call, &rep);
	ctl_reply_clear(&rep);
	free(w);
}

static void work_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct control_server *srv = arg;
	struct control_work *w, *next;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn(-errno, "control: reading the work eventfd failed");
	for (w = TAILQ_FIRST(&srv->works); w; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (atomic_load(&w->finished))
			work_complete(w);
	}
}

static void *work_main(void *arg)
{
	struct control_work *w = arg;
	uint64_t one = 1;

	w->run(w->arg);
	atomic_store(&w->finished, true);
	/* EAGAIN: the counter is already huge, the loop wakes anyway */
	if (write(w->srv->work_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn(-errno, "control: cannot wake the loop after a device operation");
	return NULL;
}

int control_work_start(struct control_call *call, struct ctl_reply *rep, control_work_fn *run,
		       control_work_done_fn *done, void *arg)
{
	struct control_server *srv = control_call_server(call);
	struct control_work *w = calloc(1, sizeof(*w));
	int r = w ? 0 : -ENOMEM;

	if (w) {
		*w = (struct control_work){ .srv = srv,
					    .call = call,
					    .run = run,
					    .done = done,
					    .arg = arg,
					    .result = rep->result };
		atomic_init(&w->finished, false);
		TAILQ_INSERT_TAIL(&srv->works, w, entry);
		r = thread_spawn(&w->thread, NULL, work_main, w);
		if (r == 0) {
			client_log(control_call_client(call), LOG_LVL_DEBUG,
				   "request %u %s: runs in a worker", control_call_serial(call),
				   control_call_op_name(call));
			return CONTROL_REPLY_LATER;
		}
		TAILQ_REMOVE(&srv->works, w, entry);
		free(w);
	}
	/* no thread: the operation still happens, on the loop, rather than fail */
	log_warn(r, "control: cannot start a worker thread; this device operation blocks the loop");
	run(arg);
	done(srv, arg, rep);
	return CONTROL_REPLY_NOW;
}

int control_work_init(struct control_server *srv)
{
	srv->work_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->work_fd < 0)
		return -errno;
	srv->work_ev = event_new(srv->base, srv->work_fd, EV_READ | EV_PERSIST, work_on_wake, srv);
	if (!srv->work_ev || event_add(srv->work_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

void control_work_free_all(struct control_server *srv)
{
	struct control_work *w;

	if (!TAILQ_EMPTY(&srv->works))
		log_notice("control: waiting for device operations still running");
	while ((w = TAILQ_FIRST(&srv->works)))
		work_complete(w);
	if (srv->work_ev)
		event_free(srv->work_ev);
	srv->work_ev = NULL;
	if (srv->work_fd >= 0)
		close(srv->work_fd);
	srv->work_fd = -1;
}
