/*
 * sim_resume.c - see sim_resume.h.
 *
 * The parser is a two-phase loop: collect a record's fixed head (the type decides its length),
 * then, for PAGE, compare the content bytes against the generator as they arrive, at any
 * offset, without copying them. The staged version of a page is the one of its last record
 * whose bytes all matched; later records win because a save stream only resends a page after
 * it changed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_resume.h"

int sim_resume_init(struct sim_resume *r, uint64_t npages, uint32_t page_size)
{
	memset(r, 0, sizeof(*r));
	r->npages = npages;
	r->page_size = page_size;
	r->nwords = (npages + 63) / 64;
	/* calloc'd: untouched pages of the staging cost no memory. */
	r->staged = calloc(npages, sizeof(*r->staged));
	r->received = calloc(r->nwords, sizeof(*r->received));
	if (!r->staged || !r->received) {
		sim_resume_fini(r);
		return -ENOMEM;
	}
	return 0;
}

void sim_resume_fini(struct sim_resume *r)
{
	free(r->staged);
	free(r->received);
	r->staged = NULL;
	r->received = NULL;
}

void sim_resume_open(struct sim_resume *r)
{
	if (r->nreceived)
		memset(r->received, 0, r->nwords * sizeof(*r->received));
	r->nreceived = r->records = 0;
	r->open = r->writable = true;
	r->header_seen = r->end_seen = r->broken = r->poisoned = false;
	r->head_have = r->head_need = 0;
	r->in_page = false;
	r->why[0] = '\0';
}

void sim_resume_close(struct sim_resume *r)
{
	r->open = r->writable = false;
}

void sim_resume_close_writer(struct sim_resume *r)
{
	r->writable = false;
}

/* Marks the stream invalid and keeps the first reason. */
__attribute__((format(printf, 2, 3))) static void sim_resume_poison(struct sim_resume *r,
								    const char *fmt, ...)
{
	va_list ap;

	r->poisoned = true;
	if (r->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static int sim_resume_header(struct sim_resume *r)
{
	struct sim_stream_header h;

	sim_stream_get_header(r->head, &h);
	if (r->header_seen) {
		sim_resume_poison(r, "a second HEADER record");
		return -EINVAL;
	}
	if (h.magic != SIM_STREAM_MAGIC || h.format != SIM_STREAM_FORMAT) {
		sim_resume_poison(r, "not a sim stream of format %u", SIM_STREAM_FORMAT);
		return -EINVAL;
	}
	if (h.page_size != r->page_size || h.npages != r->npages) {
		sim_resume_poison(r,
				  "stream is for %" PRIu64 " pages of %u bytes, this device has "
				  "%" PRIu64 " of %u",
				  h.npages, h.page_size, r->npages, r->page_size);
		return -EINVAL;
	}
	r->seed = h.seed;
	r->header_seen = true;
	return 0;
}

static int sim_resume_page_head(struct sim_resume *r)
{
	sim_stream_get_page(r->head, &r->page, &r->version);
	if (!r->header_seen) {
		sim_resume_poison(r, "a PAGE record before the HEADER");
		return -EINVAL;
	}
	if (r->page >= r->npages) {
		sim_resume_poison(r, "page %" PRIu64 " is out of range", r->page);
		return -EINVAL;
	}
	r->key = sim_content_key(r->seed, r->page, r->version);
	r->in_page = r->page_ok = true;
	r->page_off = 0;
	return 0;
}

static int sim_resume_end(struct sim_resume *r)
{
	sim_stream_get_end(r->head, &r->end);
	if (!r->header_seen || r->end.reserved != 0) {
		sim_resume_poison(r, "a malformed END record");
		return -EINVAL;
	}
	r->end_seen = true;
	return 0;
}

/* A whole record head is in r->head. */
static int sim_resume_record(struct sim_resume *r)
{
	switch (sim_stream_get_type(r->head)) {
	case SIM_STREAM_HEADER:
		return sim_resume_header(r);
	case SIM_STREAM_PAGE:
		return sim_resume_page_head(r);
	default:
		return sim_resume_end(r);
	}
}

/* Collects head bytes; returns how many were taken or -EINVAL. */
static ssize_t sim_resume_take_head(struct sim_resume *r, const unsigned char *in, size_t len)
{
	unsigned int want = r->head_have < 4 ? 4 : r->head_need;
	size_t n = want - r->head_have < len ? want - r->head_have : len;

	memcpy(r->head + r->head_have, in, n);
	r->head_have += (unsigned int)n;
	if (r->head_have == 4 && r->head_need == 0) {
		r->head_need = sim_stream_head_len(sim_stream_get_type(r->head));
		if (r->head_need == 0) {
			sim_resume_poison(r, "unknown record type %u",
					  sim_stream_get_type(r->head));
			return -EINVAL;
		}
	}
	if (r->head_have == r->head_need) {
		r->head_have = r->head_need = 0;
		if (sim_resume_record(r) < 0)
			return -EINVAL;
	}
	return (ssize_t)n;
}

/* Checks content bytes of the current page; returns how many were taken. */
static size_t sim_resume_take_page(struct sim_resume *r, const unsigned char *in, size_t len)
{
	uint64_t left = r->page_size - r->page_off;
	size_t n = left < len ? (size_t)left : len;
	uint64_t bit = 1ULL << (r->page % 64);

	if (r->page_ok && !sim_content_matches(r->key, r->page_off, in, n))
		r->page_ok = false;
	r->page_off += n;
	if (r->page_off < r->page_size)
		return n;
	r->in_page = false;
	r->records++;
	if (!r->page_ok) {
		sim_resume_poison(r, "page %" PRIu64 " version %u: content does not match", r->page,
				  r->version);
		return n;
	}
	r->staged[r->page] = r->version;
	if (!(r->received[r->page / 64] & bit)) {
		r->received[r->page / 64] |= bit;
		r->nreceived++;
	}
	return n;
}

ssize_t sim_resume_write(struct sim_resume *r, const void *buf, size_t len)
{
	const unsigned char *in = buf;
	size_t done = 0;

	if (r->broken)
		return -EINVAL;
	while (done < len) {
		ssize_t n;

		if (r->end_seen) {
			sim_resume_poison(r, "data after the END record");
			r->broken = true;
			return -EINVAL;
		}
		if (r->in_page) {
			done += sim_resume_take_page(r, in + done, len - done);
			continue;
		}
		n = sim_resume_take_head(r, in + done, len - done);
		if (n < 0) {
			r->broken = true;
			return -EINVAL;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

static const char *sim_resume_check(struct sim_resume *r)
{
	if (!r->header_seen)
		return "the stream has no HEADER record";
	if (r->poisoned)
		return r->why;
	if (!r->end_seen)
		return "the stream is truncated: no END record";
	if (r->nreceived != r->npages) {
		snprintf(r->why, sizeof(r->why), "only %" PRIu64 " of %" PRIu64 " pages arrived",
			 r->nreceived, r->npages);
		return r->why;
	}
	if (r->end.pages != r->nreceived || r->end.records != r->records) {
		snprintf(r->why, sizeof(r->why),
			 "END says %" PRIu64 " pages in %" PRIu64
			 " records, the stream had %" PRIu64 " in %" PRIu64,
			 r->end.pages, r->end.records, r->nreceived, r->records);
		return r->why;
	}
	return NULL;
}

int sim_resume_finish(struct sim_resume *r, struct sim_image *img, const char **ret_why)
{
	const char *why = sim_resume_check(r);
	uint32_t *old;

	sim_resume_close(r);
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	/* Every page arrived, so the staging is a complete image: swap instead of copying. */
	old = img->versions;
	img->versions = r->staged;
	r->staged = old;
	img->seed = r->seed;
	return 0;
}
