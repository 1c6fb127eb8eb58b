/*
 * swap-shim: an LD_PRELOAD library for tests/security/twin-swap.sh. It
 * plays a local user who wins the race between the receiver's open of a
 * partial file and its second, O_DIRECT open of the same file: on the
 * first open with O_DIRECT in the process it renames SWAP_VICTIM onto
 * SWAP_TARGET (the partial file's name), then lets the open go on. It is
 * deterministic where a real attacker would loop on rename(2).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static void
swap_once(int flags)
{
	static int	 done;
	const char	*from = getenv("SWAP_VICTIM"), *to = getenv("SWAP_TARGET");

	if (!(flags & O_DIRECT) || done || from == NULL || to == NULL)
		return;
	done = 1;
	if (rename(from, to) == 0)
		fprintf(stderr, "swap-shim: %s is now %s\n", from, to);
}

#define SHIM_OPENAT(NAME)						\
int NAME(int dirfd, const char *path, int flags, ...);		\
int									\
NAME(int dirfd, const char *path, int flags, ...)			\
{									\
	static int	(*real)(int, const char *, int, ...);		\
	va_list		 ap;						\
	mode_t		 mode = 0;					\
									\
	if (flags & (O_CREAT | O_TMPFILE)) {				\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
	if (real == NULL)						\
		*(void **)&real = dlsym(RTLD_NEXT, #NAME);		\
	swap_once(flags);						\
	return (real(dirfd, path, flags, mode));			\
}

#define SHIM_OPEN(NAME)							\
int NAME(const char *path, int flags, ...);				\
int									\
NAME(const char *path, int flags, ...)					\
{									\
	static int	(*real)(const char *, int, ...);		\
	va_list		 ap;						\
	mode_t		 mode = 0;					\
									\
	if (flags & (O_CREAT | O_TMPFILE)) {				\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
	if (real == NULL)						\
		*(void **)&real = dlsym(RTLD_NEXT, #NAME);		\
	swap_once(flags);						\
	return (real(path, flags, mode));				\
}

SHIM_OPENAT(openat)
SHIM_OPENAT(openat64)
SHIM_OPEN(open)
SHIM_OPEN(open64)

/*
 * For tests/security/pipeline-race.sh: with SLOW_RENAME_MS set, a rename
 * of a partial file (".NAME.ferry-part") waits that long first, as a
 * loaded disk or scheduler may make it wait after its checks: the race
 * between the pipelined commit's check and its rename, won every time.
 */
int renameat(int, const char *, int, const char *);
int
renameat(int ofd, const char *from, int nfd, const char *to)
{
	static int	(*real)(int, const char *, int, const char *);
	const char	*ms = getenv("SLOW_RENAME_MS");
	size_t		 n = strlen(from);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "renameat");
	if (ms != NULL && n > 11 && strcmp(from + n - 11, ".ferry-part") == 0)
		usleep((useconds_t)atoi(ms) * 1000);
	return (real(ofd, from, nfd, to));
}
