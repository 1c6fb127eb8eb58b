/*
 * slow-read: an LD_PRELOAD library for tests/transfer/delta-slow-basis.sh.
 * It plays a slow disk under one file: the first SLOW_READ_CALLS reads of
 * SLOW_READ_PATH (read or pread, as the receiver's hashing of a basis
 * makes them) each wait SLOW_READ_MS first. A basis that takes minutes to
 * hash on a NAS takes seconds here, against an idle timeout of seconds.
 * The reads after the budget, applying the delta, go at full speed.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static atomic_long	slowed;

static void
slow_maybe(int fd)
{
	const char	*want = getenv("SLOW_READ_PATH");
	const char	*ms = getenv("SLOW_READ_MS");
	const char	*calls = getenv("SLOW_READ_CALLS");
	char		 link[64], path[PATH_MAX];
	struct timespec	 ts;
	ssize_t		 n;
	long		 d;

	if (want == NULL || ms == NULL || calls == NULL)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return;
	path[n] = '\0';
	if (strcmp(path, want) != 0 ||
	    atomic_fetch_add(&slowed, 1) >= atol(calls))
		return;
	d = atol(ms);
	ts.tv_sec = d / 1000;
	ts.tv_nsec = (d % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	fprintf(stderr, "slow-read: read of %s slowed by %ld ms\n", path, d);
}

ssize_t read(int fd, void *buf, size_t n);
ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t	(*real)(int, void *, size_t);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "read");
	slow_maybe(fd);
	return (real(fd, buf, n));
}

#define SHIM_PREAD(NAME)						\
ssize_t NAME(int fd, void *buf, size_t n, off_t off);			\
ssize_t									\
NAME(int fd, void *buf, size_t n, off_t off)				\
{									\
	static ssize_t	(*real)(int, void *, size_t, off_t);		\
									\
	if (real == NULL)						\
		*(void **)&real = dlsym(RTLD_NEXT, #NAME);		\
	slow_maybe(fd);							\
	return (real(fd, buf, n, off));					\
}

SHIM_PREAD(pread)
SHIM_PREAD(pread64)
