/*
 * watch.h - following a job to its end: live progress (a redrawn block on a terminal,
 * plain lines otherwise; rate and ETA from successive statuses), the final summary and the
 * exit code of its outcome, and Ctrl-C (ask to cancel on a terminal, else detach).
 */
#ifndef WATCH_H
#define WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"

/* Installs the SIGINT/SIGTERM handler that only sets a flag (no SA_RESTART). */
void watch_signals(void);

/* True once SIGINT arrived (and clears it when clear). */
bool watch_interrupted(bool clear);

/*
 * Follows job_id on ctl's client until it is terminal, showing progress unless
 * show_progress is false (--json, -q), then prints the final status (summary or JSON).
 * deadline_ms: monotonic ms after which to give up (exit 6), 0: none. Returns the exit
 * code: 0 COMPLETED, 4 FAILED, 5 CANCELLED, 6 timeout, 130 detached, 1/3 on errors.
 */
int watch_job(struct ctl *ctl, uint64_t job_id, bool show_progress, uint64_t deadline_ms);

/*
 * The Ctrl-C decision for job_id: on a terminal asks "Cancel job N? [y/N]"; returns true
 * when the job was cancelled (keep following it), false after printing the detach message
 * (the caller exits 130).
 */
bool watch_ask_cancel(struct ctl *ctl, uint64_t job_id);

/* The exit code for a terminal phase (0, 4, 5). */
int watch_exit_code(uint32_t phase);

/* Monotonic milliseconds. */
uint64_t watch_now_ms(void);

#endif
