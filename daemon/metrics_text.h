/*
 * metrics_text.h - the Prometheus text exposition format (version 0.0.4), written into a
 * growing buffer: "# HELP" and "# TYPE" lines and samples with escaped labels (histograms:
 * metrics_hist.c).
 *
 * Owns only the text: what the numbers are is metrics.c's business. Names are written as
 * given (callers use fixed, valid names); label values and help texts are escaped as the
 * format says (backslash, double quote and newline in label values; backslash and newline
 * in help). A failed allocation is remembered and reported once by metrics_text_finish().
 * Pure: no I/O, no global state; any thread, one buffer per thread.
 */
#ifndef VFIO_MIGD_DAEMON_METRICS_TEXT_H
#define VFIO_MIGD_DAEMON_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_TEXT_LABELS_MAX 512 /* a rendered label set, without braces */

struct metrics_text {
	char *buf;  /* NUL-terminated text, NULL until something is written */
	size_t len; /* bytes of text */
	size_t cap;
	int err; /* the first failure (-ENOMEM, -ENOSPC), 0 if none */
};

/* An empty buffer. */
void metrics_text_init(struct metrics_text *t);

/* Frees the text and empties t. NULL-safe. */
void metrics_text_free(struct metrics_text *t);

/*
 * Renders label pairs, a NULL-terminated list of key, value strings, into buf as
 * key="value",key="value" (no braces), values escaped. Returns 0, or -ENOSPC when it does not
 * fit in len (buf then holds "").
 */
int metrics_text_labels(char *buf, size_t len, ...) __attribute__((sentinel));

/* "# HELP name help" and "# TYPE name type" (type: counter, gauge, histogram). */
void metrics_text_family(struct metrics_text *t, const char *name, const char *type,
			 const char *help);

/*
 * One sample: "name value" or "name{labels} value" (labels from metrics_text_labels, or
 * NULL or "" for none). Whole numbers up to 2^53 are written without exponent; NaN and the
 * infinities as NaN, +Inf, -Inf.
 */
void metrics_text_sample(struct metrics_text *t, const char *name, const char *labels,
			 double value);

/*
 * The text so far: 0 with *ret_text ("" when empty; valid until the next write or
 * metrics_text_free) and *ret_len, or the first failure.
 */
int metrics_text_finish(struct metrics_text *t, const char **ret_text, size_t *ret_len);

#endif
