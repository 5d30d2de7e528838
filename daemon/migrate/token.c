/*
 * token.c - prepare tokens and the identity binding (token.h). No state, no logging.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "proto.h"
#include "token.h"

int token_new(char out[TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[TOKEN_BYTES];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[TOKEN_LEN] = '\0';
	return 0;
}

/* Every byte of the longer string is looked at, so the time says nothing about the match. */
bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
	unsigned int diff = la != lb;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned int)(uint8_t)(i < la ? a[i] : 0) ^
			(unsigned int)(uint8_t)(i < lb ? b[i] : 0);
	return diff == 0;
}

bool token_identity_match(const char *bound, const char *identity)
{
	if (!bound[0] || !identity[0])
		return false;
	if (strncmp(identity, "dns:", 4) == 0) {
		const char *name = strncmp(bound, "dns:", 4) == 0 ? bound + 4 : bound;

		if (!strchr(bound, ':') || strncmp(bound, "dns:", 4) == 0)
			return strcasecmp(name, identity + 4) == 0;
	}
	return strcmp(bound, identity) == 0;
}

bool token_identity_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PROTO_ADDR_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}
