/*
 * listener.h - one listening TCP socket of a peer set; accepted connections become links
 * (link_accept()). Threading: the loop thread only.
 */
#ifndef VFIO_MIGD_PEER_LISTENER_H
#define VFIO_MIGD_PEER_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

struct listener;
struct peer_set;

/*
 * Binds and listens on sa (SO_REUSEADDR; IPV6_V6ONLY for IPv6) and starts accepting. spec is
 * the address as configured, for messages. Returns 0 and *ret, or -errno with one line in err
 * saying which call failed on which address and what to do.
 */
int listener_open(struct peer_set *set, const char *spec, const struct sockaddr *sa, socklen_t len,
		  struct listener **ret, char *err, size_t errlen);

/* Stops accepting and closes the socket. NULL-safe. */
void listener_free(struct listener *l);

/* The bound address with its actual port, "127.0.0.1:7790" or "[::]:7790". */
const char *listener_address(const struct listener *l);

#endif
