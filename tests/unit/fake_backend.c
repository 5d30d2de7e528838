/*
 * fake_backend.c - see fake_backend.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct fake_backend *fake_of(struct backend *b)
{
	return (struct fake_backend *)b;
}

static int fake_probe(struct backend *b, struct backend_caps *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->mig_flags = fake_of(b)->flags;
	return 0;
}

static int fake_describe(struct backend *b, struct backend_desc *ret)
{
	memset(ret, 0, sizeof(*ret));
	strcpy(ret->kind, "fake");
	strcpy(ret->driver, "fake-driver");
	strcpy(ret->model, "fake model");
	return 0;
}

static int fake_get_state(struct backend *b, enum fsm_state *ret)
{
	*ret = fake_of(b)->state;
	return 0;
}

static int fake_set_state(struct backend *b, enum fsm_state target, bool *ret_opened)
{
	struct fake_backend *f = fake_of(b);
	enum fsm_state next;

	if (f->nsets < FAKE_LOG_MAX)
		f->sets[f->nsets++] = target;
	if (fsm_next_step(f->state, target, f->flags, &next) < 0)
		return -EINVAL;
	if (next != target)
		f->non_arc_sets++;
	if ((int)f->state == f->fail_from && (int)target == f->fail_to && f->fail_times != 0) {
		if (f->fail_times > 0)
			f->fail_times--;
		f->state = f->fail_lands;
		return -f->fail_errno;
	}
	*ret_opened =
		fsm_arc_opens_save(f->state, target) || fsm_arc_opens_resume(f->state, target);
	if (*ret_opened)
		f->session = true;
	else if (fsm_arc_ends_session(f->state, target))
		f->session = false;
	f->state = target;
	return 0;
}

static ssize_t fake_stream_read(struct backend *b, void *buf, size_t len)
{
	return fake_of(b)->session ? 0 : -EBADF;
}

static ssize_t fake_stream_write(struct backend *b, const void *buf, size_t len)
{
	return fake_of(b)->session ? (ssize_t)len : -EBADF;
}

static void fake_stream_close(struct backend *b)
{
	fake_of(b)->session = false;
}

static int fake_precopy_info(struct backend *b, uint64_t *i, uint64_t *d)
{
	return -ENOTTY;
}

static int fake_data_size(struct backend *b, uint64_t *ret)
{
	return -ENOTTY;
}

static int fake_reset(struct backend *b)
{
	struct fake_backend *f = fake_of(b);

	if (f->reset_errno)
		return -f->reset_errno;
	f->resets++;
	f->state = FSM_RUNNING;
	f->session = false;
	return 0;
}

static int fake_digest(struct backend *b, uint8_t ret[32])
{
	return -EOPNOTSUPP;
}

static void fake_free(struct backend *b)
{
	if (fake_of(b)->freed)
		*fake_of(b)->freed = true;
	free(b);
}

static const struct backend_ops fake_ops = {
	.probe = fake_probe,
	.describe = fake_describe,
	.get_state = fake_get_state,
	.set_state = fake_set_state,
	.stream_read = fake_stream_read,
	.stream_write = fake_stream_write,
	.stream_close = fake_stream_close,
	.precopy_info = fake_precopy_info,
	.data_size = fake_data_size,
	.reset = fake_reset,
	.digest = fake_digest,
	.free = fake_free,
};

struct fake_backend *fake_backend_new(uint32_t flags)
{
	struct fake_backend *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->base.ops = &fake_ops;
	f->flags = flags;
	f->state = FSM_RUNNING;
	f->fail_from = f->fail_to = -1;
	f->fail_errno = EIO;
	return f;
}
