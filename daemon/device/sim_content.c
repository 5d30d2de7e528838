/*
 * sim_content.c - see sim_content.h.
 *
 * The generator is splitmix64: word i of a page is the (i + 1)-th output of a splitmix64
 * sequence started at the page's key, so any word can be computed on its own and a save or
 * resume stream can start or stop at any byte without a scratch copy of the page. It runs at
 * several GB/s on one core, which keeps the sim from being the bottleneck of a stream.
 *
 * Why the digest covers only (seed, page_size, npages, versions): every byte of the content is
 * a pure function of those, and the resume side compares every byte it receives with the
 * generator before it accepts a page, so two devices with equal digests hold equal bytes.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "digest.h"
#include "sim_content.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL

static inline uint64_t sim_content_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t sim_content_word(uint64_t key, uint64_t i)
{
	return htole64(sim_content_mix(key + (i + 1) * GOLDEN));
}

uint64_t sim_content_key(uint64_t seed, uint64_t page, uint32_t version)
{
	uint64_t k = sim_content_mix(seed + GOLDEN);

	k = sim_content_mix(k ^ (page * GOLDEN));
	return sim_content_mix(k + version);
}

void sim_content_fill(uint64_t key, uint64_t off, void *buf, size_t len)
{
	unsigned char *out = buf;
	uint64_t i = off / 8;
	size_t head = off % 8;
	uint64_t w;

	if (head && len) {
		size_t n = 8 - head < len ? 8 - head : len;

		w = sim_content_word(key, i++);
		memcpy(out, (unsigned char *)&w + head, n);
		out += n;
		len -= n;
	}
	for (; len >= 8; len -= 8, out += 8) {
		w = sim_content_word(key, i++);
		memcpy(out, &w, 8);
	}
	if (len) {
		w = sim_content_word(key, i);
		memcpy(out, &w, len);
	}
}

bool sim_content_matches(uint64_t key, uint64_t off, const void *buf, size_t len)
{
	const unsigned char *in = buf;
	uint64_t i = off / 8;
	size_t head = off % 8;
	uint64_t w, got;

	if (head && len) {
		size_t n = 8 - head < len ? 8 - head : len;

		w = sim_content_word(key, i++);
		if (memcmp(in, (unsigned char *)&w + head, n) != 0)
			return false;
		in += n;
		len -= n;
	}
	for (; len >= 8; len -= 8, in += 8) {
		memcpy(&got, in, 8);
		if (got != sim_content_word(key, i++))
			return false;
	}
	if (len) {
		w = sim_content_word(key, i);
		return memcmp(in, &w, len) == 0;
	}
	return true;
}

int sim_content_digest(const struct sim_image *img, uint8_t ret[32])
{
	struct digest *d;
	uint32_t chunk[1024];
	unsigned char head[20];
	uint64_t v64;
	uint32_t v32;
	int r;

	r = digest_new(&d);
	if (r < 0)
		return r;
	v64 = htole64(img->seed);
	memcpy(head, &v64, 8);
	v32 = htole32(img->page_size);
	memcpy(head + 8, &v32, 4);
	v64 = htole64(img->npages);
	memcpy(head + 12, &v64, 8);
	digest_update(d, head, sizeof(head));
	for (uint64_t p = 0; p < img->npages;) {
		size_t n = img->npages - p < 1024 ? (size_t)(img->npages - p) : 1024;

		for (size_t j = 0; j < n; j++)
			chunk[j] = htole32(img->versions[p + j]);
		digest_update(d, chunk, n * sizeof(chunk[0]));
		p += n;
	}
	digest_final(d, ret);
	digest_free(d);
	return 0;
}
