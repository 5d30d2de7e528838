/*
 * metrics_text.c - the Prometheus text exposition format 0.0.4 into a growing buffer.
 *
 * Every writer appends whole lines; the first failed allocation sticks in t->err and makes
 * every later write a no-op, so callers check once, at metrics_text_finish(). Pure.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_text.h"

#define METRICS_TEXT_CHUNK 4096

void metrics_text_init(struct metrics_text *t)
{
	*t = (struct metrics_text){ 0 };
}

void metrics_text_free(struct metrics_text *t)
{
	if (!t)
		return;
	free(t->buf);
	metrics_text_init(t);
}

/* Makes room for n more bytes plus the NUL. */
static int text_reserve(struct metrics_text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : METRICS_TEXT_CHUNK;
	char *p;

	if (t->err)
		return t->err;
	if (t->len + n + 1 <= t->cap)
		return 0;
	while (cap < t->len + n + 1)
		cap *= 2;
	p = realloc(t->buf, cap);
	if (!p)
		return t->err = -ENOMEM;
	t->buf = p;
	t->cap = cap;
	return 0;
}

static void text_put(struct metrics_text *t, const char *s, size_t n)
{
	if (text_reserve(t, n) < 0)
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_puts(struct metrics_text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* Appends s with backslash and newline escaped, and the double quote too when quote. */
static void text_escaped(struct metrics_text *t, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			text_puts(t, "\\\\");
		else if (*s == '\n')
			text_puts(t, "\\n");
		else if (*s == '"' && quote)
			text_puts(t, "\\\"");
		else
			text_put(t, s, 1);
	}
}

/* Appends v escaped as a label value to buf[*n..len); -ENOSPC when it does not fit. */
static int labels_value(char *buf, size_t len, size_t *n, const char *v)
{
	for (; *v; v++) {
		const char *out = *v == '\\'   ? "\\\\"
				  : *v == '\n' ? "\\n"
				  : *v == '"'  ? "\\\""
					       : NULL;
		size_t k = out ? 2 : 1;

		if (*n + k >= len)
			return -ENOSPC;
		memcpy(buf + *n, out ? out : v, k);
		*n += k;
	}
	return 0;
}

int metrics_text_labels(char *buf, size_t len, ...)
{
	const char *k;
	size_t n = 0;
	va_list ap;
	int r = 0;

	if (len == 0)
		return -ENOSPC;
	va_start(ap, len);
	while (r == 0 && (k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		int m = snprintf(buf + n, len - n, "%s%s=\"", n ? "," : "", k);

		if (m < 0 || (size_t)m >= len - n) {
			r = -ENOSPC;
			break;
		}
		n += (size_t)m;
		r = labels_value(buf, len, &n, v ? v : "");
		if (r == 0 && n + 1 >= len)
			r = -ENOSPC;
		if (r == 0)
			buf[n++] = '"';
	}
	va_end(ap);
	buf[r < 0 ? 0 : n] = '\0';
	return r;
}

void metrics_text_family(struct metrics_text *t, const char *name, const char *type,
			 const char *help)
{
	text_puts(t, "# HELP ");
	text_puts(t, name);
	text_puts(t, " ");
	text_escaped(t, help, 0);
	text_puts(t, "\n# TYPE ");
	text_puts(t, name);
	text_puts(t, " ");
	text_puts(t, type);
	text_puts(t, "\n");
}

/* The value as the format spells it; whole numbers without an exponent. */
static void text_value(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.15g", v);
}

void metrics_text_sample(struct metrics_text *t, const char *name, const char *labels, double value)
{
	char v[40];

	text_value(v, sizeof(v), value);
	text_puts(t, name);
	if (labels && *labels) {
		text_puts(t, "{");
		text_puts(t, labels);
		text_puts(t, "}");
	}
	text_puts(t, " ");
	text_puts(t, v);
	text_puts(t, "\n");
}

int metrics_text_finish(struct metrics_text *t, const char **ret_text, size_t *ret_len)
{
	if (t->err)
		return t->err;
	*ret_text = t->buf ? t->buf : "";
	*ret_len = t->len;
	return 0;
}
