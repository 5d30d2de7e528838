/*
 * thread.c - worker threads that never take the daemon's signals (see thread.h). Any thread.
 */
#include <signal.h>

#include "thread.h"

int thread_spawn(pthread_t *ret, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(ret, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}
