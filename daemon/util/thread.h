/*
 * thread.h - starting the daemon's worker threads (stream workers, device changes, name
 * resolution) so that signals stay with the event loop thread.
 */
#ifndef VFIO_MIGD_UTIL_THREAD_H
#define VFIO_MIGD_UTIL_THREAD_H

#include <pthread.h>

/*
 * pthread_create() with every signal blocked in the new thread: SIGTERM, SIGHUP and SIGINT
 * then always reach the event loop (libevent's signal handling), never a worker sitting in a
 * VFIO ioctl or a blocking read, which would otherwise fail with EINTR. attr may be NULL.
 * Returns 0 or -errno (pthread_create's error); the caller's mask is unchanged.
 */
int thread_spawn(pthread_t *ret, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

#endif
