/*
 * digest.c - SHA-256 over OpenSSL's EVP interface (which uses SHA-NI where the CPU has it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "digest.h"

struct digest {
	EVP_MD_CTX *ctx;
};

int digest_new(struct digest **ret)
{
	struct digest *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		digest_free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	EVP_DigestUpdate(d->ctx, data, len);
}

void digest_final(struct digest *d, uint8_t out[DIGEST_LEN])
{
	unsigned int n = DIGEST_LEN;

	EVP_DigestFinal_ex(d->ctx, out, &n);
	EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL);
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int digest_buffer(const void *data, size_t len, uint8_t out[DIGEST_LEN])
{
	unsigned int n = DIGEST_LEN;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	return 0;
}

const char *digest_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN])
{
	for (int i = 0; i < DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return out;
}
