/*
 * sock.h - the TCP socket settings of peer links and the non-blocking connect steps.
 * Plain syscalls; no logging (callers name the peer).
 */
#ifndef VFIO_MIGD_PEER_SOCK_H
#define VFIO_MIGD_PEER_SOCK_H

#include <sys/socket.h>

#include "peer.h"

/*
 * Dead-peer detection by the kernel on every link socket: SO_KEEPALIVE with TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT (seconds, rounded up, at least 1) and TCP_USER_TIMEOUT (unless
 * 0). Returns 0 or the -errno of the first setsockopt() that failed (*what names it).
 */
int sock_set_liveness(int fd, const struct peer_options *o, const char **what);

/* TCP_NODELAY: control frames are small and latency matters more than packet count. */
int sock_set_nodelay(int fd);

/*
 * Starts a non-blocking connect to sa on a new socket. Returns the fd (connect in progress or
 * done), or -errno (socket(2) or connect(2) failure).
 */
int sock_connect_start(const struct sockaddr *sa, socklen_t len);

/* After a non-blocking connect: 0 connected, -EINPROGRESS not yet, or the connect error. */
int sock_connect_result(int fd);

#endif
