/* Files on POSIX systems (compat.h). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "compat.h"

int
compat_open_read(const char *path)
{
	return (open(path, O_RDONLY | O_CLOEXEC));
}

int
compat_open_private(const char *path)
{
	int	 fd, e;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return (-1);
	if (fchmod(fd, 0600) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

long
compat_mtime_step(void)
{
	return (1);
}
