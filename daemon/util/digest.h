/*
 * digest.h - SHA-256, the one hash the project uses (stream END records, sim content digests).
 *
 * A thin wrapper so that only this file and tls/ touch OpenSSL. Not thread-safe per object;
 * separate objects may be used from separate threads.
 */
#ifndef VFIO_MIGD_UTIL_DIGEST_H
#define VFIO_MIGD_UTIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN     32
#define DIGEST_HEX_LEN (2 * DIGEST_LEN + 1)

struct digest;

/* A new SHA-256 context. Returns 0 or -ENOMEM. */
int digest_new(struct digest **ret);
void digest_update(struct digest *d, const void *data, size_t len);
/* Writes the hash and resets the context for reuse. */
void digest_final(struct digest *d, uint8_t out[DIGEST_LEN]);
/* NULL-safe. */
void digest_free(struct digest *d);

/* One-shot hash of a buffer. Returns 0 or -ENOMEM. */
int digest_buffer(const void *data, size_t len, uint8_t out[DIGEST_LEN]);

/* Lower-case hex of a hash into out; returns out. */
const char *digest_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN]);

#endif
