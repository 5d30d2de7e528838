/*
 * sim_content.h - the sim device's content model: an image of versioned pages whose bytes are a
 * pure function of (seed, page, version), the generator, and the content digest.
 *
 * Owns nothing but the image it is given; no locking (the sim device holds its mutex around
 * every use). Nothing here is proportional to device bytes: the image is one 32-bit version
 * per page.
 */
#ifndef VFIO_MIGD_DEVICE_SIM_CONTENT_H
#define VFIO_MIGD_DEVICE_SIM_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A device's content: page p holds sim_content_fill(sim_content_key(seed, p, versions[p])). */
struct sim_image {
	uint64_t seed;
	uint64_t npages;
	uint32_t page_size; /* power of two, 512 .. 1 MiB */
	uint32_t *versions; /* npages entries; 0 for a fresh device */
};

/* The generator key of one page version; distinct (seed, page, version) give distinct keys. */
uint64_t sim_content_key(uint64_t seed, uint64_t page, uint32_t version);

/*
 * Writes bytes [off, off + len) of the page content generated from key into buf (any alignment,
 * any offset). The content is the little-endian encoding of one 64-bit word per 8 bytes.
 */
void sim_content_fill(uint64_t key, uint64_t off, void *buf, size_t len);

/* True when buf holds exactly bytes [off, off + len) of the content generated from key. */
bool sim_content_matches(uint64_t key, uint64_t off, const void *buf, size_t len);

/*
 * SHA-256 over seed (u64), page_size (u32), npages (u64) and every version (u32), all
 * little-endian, in that order. Returns 0 or -ENOMEM.
 */
int sim_content_digest(const struct sim_image *img, uint8_t ret[32]);

#endif
