/*
 * addr.h - peer addresses as text: "HOST:PORT" and "[IPV6]:PORT" split into parts, socket
 * addresses formatted back the same way. Pure; no name resolution (resolve.h does that).
 */
#ifndef VFIO_MIGD_PEER_ADDR_H
#define VFIO_MIGD_PEER_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define ADDR_HOST_MAX 256 /* a DNS name (253) or an IPv6 literal with a scope, + NUL */
#define ADDR_PORT_MAX 6	  /* "65535" + NUL */
#define ADDR_TEXT_MAX 270 /* "[HOST]:PORT" + NUL */

struct addr_spec {
	char host[ADDR_HOST_MAX]; /* without brackets */
	char port[ADDR_PORT_MAX]; /* decimal digits, no sign */
};

/*
 * Splits spec into host and port. IPv6 literals must be bracketed ("[::1]:7790"); the port is
 * 1..65535, or 0 too when allow_port0 (listeners: pick a free port). Returns 0 and *ret, or
 * -EINVAL with the reason in err ("missing port", ...). *ret is not written on failure.
 */
int addr_split(const char *spec, bool allow_port0, struct addr_spec *ret, char *err, size_t errlen);

/*
 * True for a name that never resolves: "invalid" and names under it (RFC 6761 6.4, which
 * asks resolvers to answer those at once). Checked before any lookup, so such a name never
 * reaches the system's DNS servers. Case-insensitive; a trailing dot is allowed.
 */
bool addr_never_resolves(const char *host);

/* Formats sa as "1.2.3.4:P" or "[v6]:P" ("?" for another family) into buf. */
void addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen);

#endif
