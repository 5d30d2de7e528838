/*
 * token.h - prepare tokens: the single-use secret a destination's orchestrator gets from
 * prepare_incoming and hands to the source's, which presents it in PREPARE and on every data
 * stream. 128 random bits from getrandom(2) as 32 lower-case hex digits.
 *
 * Also the rule that binds a token to the source: the identity given to prepare_incoming must
 * name the allow-list entry the source's certificate matched on the link.
 *
 * Pure apart from getrandom; safe from any thread.
 */
#ifndef VFIO_MIGD_MIGRATE_TOKEN_H
#define VFIO_MIGD_MIGRATE_TOKEN_H

#include <stdbool.h>

#define TOKEN_BYTES 16
#define TOKEN_LEN   (2 * TOKEN_BYTES) /* hex digits, without the NUL */

/* Writes a fresh token and its NUL into out. Returns 0 or getrandom()'s -errno. */
int token_new(char out[TOKEN_LEN + 1]);

/* Compares two NUL-terminated tokens in time that does not depend on where they differ. */
bool token_equal(const char *a, const char *b);

/*
 * True when bound (as given to prepare_incoming) names identity (the allow-list entry the
 * peer's certificate matched, "dns:hosta.test"): equal, or bound is a bare DNS name and
 * identity is "dns:" followed by it. DNS names compare case-insensitively.
 */
bool token_identity_match(const char *bound, const char *identity);

/* Whether s may be given as a source identity: 1..255 printable ASCII bytes, no space. */
bool token_identity_valid(const char *s);

#endif
