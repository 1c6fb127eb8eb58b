/* compat_lock_try() on POSIX: flock, released when the descriptor closes. */
#include "config.h"

#include <sys/file.h>

#include "compat.h"

int
compat_lock_try(int fd)
{
	return (flock(fd, LOCK_EX | LOCK_NB));
}
