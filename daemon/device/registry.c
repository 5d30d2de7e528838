/*
 * registry.c - owned devices kept in an array sorted by id (a daemon owns a few hundred at
 * most, so a sorted array with binary search is simpler than a hash and gives ordered lists).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct registry_entry {
	struct device *dev;
	uint64_t owner;
	unsigned int pins; /* readers in workers: the device stays, jobs may still claim it */
};

struct registry {
	struct registry_entry *v;
	size_t n, max;
};

int registry_new(size_t max, struct registry **ret)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->v = calloc(max ? max : 1, sizeof(*r->v));
	if (!r->v) {
		free(r);
		return -ENOMEM;
	}
	r->max = max;
	*ret = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		device_free(r->v[i].dev);
	free(r->v);
	free(r);
}

/* Index of id, or where it would go (with *found false). */
static size_t registry_search(const struct registry *r, const char *id, bool *found)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, device_id(r->v[mid].dev));

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

int registry_add(struct registry *r, struct device *d)
{
	bool found;
	size_t at = registry_search(r, device_id(d), &found);

	if (found)
		return -EEXIST;
	if (r->n == r->max)
		return -ENOSPC;
	memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof(*r->v));
	r->v[at] = (struct registry_entry){ .dev = d, .owner = REGISTRY_FREE };
	r->n++;
	return 0;
}

int registry_take(struct registry *r, const char *id, struct device **ret)
{
	bool found;
	size_t at = registry_search(r, id, &found);

	if (!found)
		return -ENOENT;
	if (r->v[at].owner != REGISTRY_FREE || r->v[at].pins)
		return -EBUSY;
	*ret = r->v[at].dev;
	memmove(&r->v[at], &r->v[at + 1], (r->n - at - 1) * sizeof(*r->v));
	r->n--;
	return 0;
}

int registry_remove(struct registry *r, const char *id)
{
	struct device *d;
	int ret = registry_take(r, id, &d);

	if (ret == 0)
		device_free(d);
	return ret;
}

int registry_pin(struct registry *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);

	if (!found)
		return -ENOENT;
	r->v[at].pins++;
	return 0;
}

void registry_unpin(struct registry *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);

	if (found && r->v[at].pins)
		r->v[at].pins--;
}

bool registry_pinned(const struct registry *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);

	return found && r->v[at].pins;
}

const char *registry_owner_desc(uint64_t owner, char *buf, size_t len)
{
	if (owner >= REGISTRY_CONTROL)
		snprintf(buf, len, "a device operation asked for on the control socket");
	else
		snprintf(buf, len, "job %llu", (unsigned long long)owner);
	return buf;
}

struct device *registry_find(const struct registry *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);

	return found ? r->v[at].dev : NULL;
}

uint64_t registry_owner(const struct registry *r, const char *id)
{
	bool found;
	size_t at = registry_search(r, id, &found);

	return found ? r->v[at].owner : REGISTRY_FREE;
}

/* Checks a claim without changing anything; returns the first problem. */
static int registry_check_claim(const struct registry *r, const char *const *ids, size_t n,
				uint64_t job, size_t *ret_bad)
{
	for (size_t i = 0; i < n; i++) {
		bool found;
		size_t at = registry_search(r, ids[i], &found);

		*ret_bad = i;
		if (!found)
			return -ENOENT;
		if (r->v[at].owner != REGISTRY_FREE && r->v[at].owner != job)
			return -EBUSY;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(ids[i], ids[j]) == 0)
				return -EINVAL;
		}
	}
	return 0;
}

int registry_claim(struct registry *r, const char *const *ids, size_t n, uint64_t job,
		   size_t *ret_bad)
{
	size_t bad = 0;
	int ret;

	if (job == REGISTRY_FREE)
		return -EINVAL;
	ret = registry_check_claim(r, ids, n, job, &bad);
	if (ret < 0) {
		if (ret_bad)
			*ret_bad = bad;
		return ret;
	}
	for (size_t i = 0; i < n; i++) {
		bool found;

		r->v[registry_search(r, ids[i], &found)].owner = job;
	}
	return 0;
}

size_t registry_release(struct registry *r, uint64_t job)
{
	size_t released = 0;

	for (size_t i = 0; i < r->n; i++) {
		if (job != REGISTRY_FREE && r->v[i].owner == job) {
			r->v[i].owner = REGISTRY_FREE;
			released++;
		}
	}
	return released;
}

size_t registry_max(const struct registry *r)
{
	return r->max;
}

size_t registry_count(const struct registry *r)
{
	return r->n;
}

struct device *registry_at(const struct registry *r, size_t i, uint64_t *ret_owner)
{
	if (i >= r->n)
		return NULL;
	if (ret_owner)
		*ret_owner = r->v[i].owner;
	return r->v[i].dev;
}
