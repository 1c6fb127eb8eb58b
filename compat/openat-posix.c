/* One path component below a directory, no link followed (compat.h). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "compat.h"

int
compat_openat(int dirfd, const char *name, int flags, int mode)
{
	struct stat	sb;
	int		fd;

	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	/* O_DIRECTORY on a symlink says ENOTDIR: say ELOOP, as openat2. */
	if (fd == -1 && errno == ENOTDIR && (flags & O_DIRECTORY) &&
	    fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode))
		errno = ELOOP;
	return (fd);
}

int
compat_dupfd(int fd)
{
	return (fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

int
compat_is_link_at(int dirfd, const char *name)
{
	struct stat	sb;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return (-1);
	return (S_ISLNK(sb.st_mode));
}

int
compat_is_link(int fd)
{
	struct stat	sb;

	if (fstat(fd, &sb) == -1)
		return (-1);
	return (S_ISLNK(sb.st_mode));
}

int
compat_windows_names(void)
{
	return (0);
}

int
compat_path_absolute(const char *path)
{
	return (path[0] == '/');
}
