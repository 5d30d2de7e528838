/*
 * sim_save.c - see sim_save.h.
 *
 * Order of records: HEADER, then pages 0 .. npages-1 once each (the initial pass), then any page
 * dirtied after it was started, then END when the device has stopped. A page dirtied before the
 * initial pass reaches it is not queued: the pass sends its newest version anyway. A record's
 * page version is fixed when the record starts, so a page dirtied while it is half read is
 * queued again and the half-read record stays self-consistent; since content is a pure function
 * of (seed, page, version), the rest of the record is generated straight into the caller's
 * buffer at any offset and no copy of the page is ever kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_save.h"

int sim_save_init(struct sim_save *s, const struct sim_image *img, uint32_t flags)
{
	memset(s, 0, sizeof(*s));
	s->img = img;
	s->flags = flags;
	s->nwords = (img->npages + 63) / 64;
	/* calloc'd: pages of the bitmap cost memory only once they are written. */
	s->dirty = calloc(s->nwords, sizeof(*s->dirty));
	return s->dirty ? 0 : -ENOMEM;
}

void sim_save_fini(struct sim_save *s)
{
	free(s->dirty);
	s->dirty = NULL;
}

void sim_save_open(struct sim_save *s, bool stopped)
{
	if (s->ndirty)
		memset(s->dirty, 0, s->nwords * sizeof(*s->dirty));
	s->ndirty = 0;
	s->cursor = 0;
	s->open = true;
	s->stopped = stopped;
	s->header_done = s->end_done = false;
	s->init_next = 0;
	s->records = 0;
	s->offset = 0;
	s->kind = SIM_SAVE_REC_NONE;
	s->head_len = 0;
	s->rec_len = s->rec_off = 0;
}

void sim_save_close(struct sim_save *s)
{
	s->open = false;
}

void sim_save_stop(struct sim_save *s)
{
	s->stopped = true;
}

void sim_save_dirty(struct sim_save *s, uint64_t page)
{
	uint64_t bit = 1ULL << (page % 64);

	if (!s->open || page >= s->init_next || (s->dirty[page / 64] & bit))
		return;
	s->dirty[page / 64] |= bit;
	s->ndirty++;
}

/* Takes the next dirty page, searching round-robin from the cursor; ndirty must be > 0. */
static uint64_t sim_save_take_dirty(struct sim_save *s)
{
	for (;;) {
		uint64_t w = s->dirty[s->cursor];

		if (w) {
			unsigned int bit = (unsigned int)__builtin_ctzll(w);

			s->dirty[s->cursor] &= ~(1ULL << bit);
			s->ndirty--;
			return s->cursor * 64 + bit;
		}
		s->cursor = (s->cursor + 1) % s->nwords;
	}
}

static void sim_save_start_page(struct sim_save *s, uint64_t page, enum sim_save_rec kind)
{
	uint32_t version = s->img->versions[page];

	sim_stream_put_page(s->head, page, version);
	s->key = sim_content_key(s->img->seed, page, version);
	s->kind = kind;
	s->head_len = SIM_STREAM_PAGE_HEAD_LEN;
	s->rec_len = sim_stream_page_len(s->img->page_size);
	s->records++;
}

static void sim_save_start_header(struct sim_save *s)
{
	struct sim_stream_header h = {
		.format = SIM_STREAM_FORMAT,
		.magic = SIM_STREAM_MAGIC,
		.page_size = s->img->page_size,
		.flags = s->flags,
		.npages = s->img->npages,
		.seed = s->img->seed,
	};

	sim_stream_put_header(s->head, &h);
	s->kind = SIM_SAVE_REC_HEADER;
	s->head_len = s->rec_len = SIM_STREAM_HEADER_LEN;
	s->header_done = true;
}

/* Starts the next record; false when there is nothing to send now. */
static bool sim_save_next_record(struct sim_save *s)
{
	if (!s->header_done) {
		sim_save_start_header(s);
	} else if (s->init_next < s->img->npages) {
		sim_save_start_page(s, s->init_next++, SIM_SAVE_REC_INITIAL);
	} else if (s->ndirty) {
		sim_save_start_page(s, sim_save_take_dirty(s), SIM_SAVE_REC_DIRTY);
	} else if (s->stopped && !s->end_done) {
		sim_stream_put_end(s->head, s->init_next, s->records);
		s->kind = SIM_SAVE_REC_END;
		s->head_len = s->rec_len = SIM_STREAM_END_LEN;
		s->end_done = true;
	} else {
		return false;
	}
	s->rec_off = 0;
	return true;
}

size_t sim_save_read(struct sim_save *s, void *buf, size_t len)
{
	unsigned char *out = buf;
	size_t done = 0;

	while (done < len) {
		uint64_t n, h;

		if (s->rec_off == s->rec_len && !sim_save_next_record(s))
			break;
		n = s->rec_len - s->rec_off;
		if (n > len - done)
			n = len - done;
		h = s->rec_off < s->head_len ? s->head_len - s->rec_off : 0;
		if (h > n)
			h = n;
		memcpy(out + done, s->head + s->rec_off, h);
		if (n > h)
			sim_content_fill(s->key, s->rec_off + h - s->head_len, out + done + h,
					 n - h);
		s->rec_off += n;
		done += n;
	}
	s->offset += done;
	return done;
}

bool sim_save_at_end(const struct sim_save *s)
{
	return s->end_done && s->rec_off == s->rec_len;
}

void sim_save_left(const struct sim_save *s, struct sim_save_left *ret)
{
	uint64_t rec = sim_stream_page_len(s->img->page_size);
	uint64_t cur = s->rec_len - s->rec_off;

	ret->initial = (s->img->npages - s->init_next) * rec;
	if (!s->header_done)
		ret->initial += SIM_STREAM_HEADER_LEN;
	if (s->kind == SIM_SAVE_REC_HEADER || s->kind == SIM_SAVE_REC_INITIAL)
		ret->initial += cur;
	ret->dirty = s->ndirty * rec;
	if (s->kind == SIM_SAVE_REC_DIRTY)
		ret->dirty += cur;
	ret->total = ret->initial + ret->dirty;
	if (!s->end_done)
		ret->total += SIM_STREAM_END_LEN;
	else if (s->kind == SIM_SAVE_REC_END)
		ret->total += cur;
}
