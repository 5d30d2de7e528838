/*
 * addr.c - "HOST:PORT" / "[IPV6]:PORT" parsing and formatting. The host is not checked beyond
 * its shape: getaddrinfo() (resolve.c, the listeners) says whether it exists.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

static int addr_fail(char *err, size_t errlen, const char *spec, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "\"%s\": %s (expected HOST:PORT or [IPV6]:PORT)", spec, why);
	return -EINVAL;
}

/* Port text: 1-5 decimal digits, value <= 65535 (and > 0 unless allow_port0). */
static bool addr_port_valid(const char *p, bool allow_port0)
{
	unsigned long v = 0;
	size_t n = strlen(p);

	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	return v <= 65535 && (v > 0 || allow_port0);
}

/* Splits at the colon after "[...]" or at the only colon. */
static int addr_locate(const char *spec, const char **host, size_t *host_len, const char **port)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return -1;
		*host = spec + 1;
		*host_len = (size_t)(close - spec - 1);
		*port = close + 2;
		return 0;
	}
	colon = strrchr(spec, ':');
	if (!colon)
		return -1;
	if (memchr(spec, ':', (size_t)(colon - spec)))
		return -2;
	*host = spec;
	*host_len = (size_t)(colon - spec);
	*port = colon + 1;
	return 0;
}

int addr_split(const char *spec, bool allow_port0, struct addr_spec *ret, char *err, size_t errlen)
{
	struct addr_spec a;
	const char *host, *port;
	size_t host_len;
	int r = addr_locate(spec, &host, &host_len, &port);

	if (r == -2)
		return addr_fail(err, errlen, spec,
				 "an IPv6 address needs brackets, as in [::1]:7790");
	if (r < 0)
		return addr_fail(err, errlen, spec, "missing port");
	if (host_len == 0)
		return addr_fail(err, errlen, spec, "missing host");
	if (host_len >= sizeof(a.host))
		return addr_fail(err, errlen, spec, "host name too long");
	if (!addr_port_valid(port, allow_port0))
		return addr_fail(err, errlen, spec,
				 allow_port0 ? "port must be 0..65535" : "port must be 1..65535");
	memcpy(a.host, host, host_len);
	a.host[host_len] = '\0';
	if (spec[0] == '[' && !strchr(a.host, ':'))
		return addr_fail(err, errlen, spec, "brackets are for IPv6 addresses only");
	snprintf(a.port, sizeof(a.port), "%s", port);
	*ret = a;
	return 0;
}

void addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, buflen, "?");
	}
}

bool addr_never_resolves(const char *host)
{
	size_t n = strlen(host);

	if (n && host[n - 1] == '.')
		n--;
	if (n == 7)
		return strncasecmp(host, "invalid", 7) == 0;
	return n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0;
}
