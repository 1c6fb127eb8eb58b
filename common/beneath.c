/* Opening paths below a root without following symlinks (beneath.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "beneath.h"
#include "err.h"

#define BENEATH_COMP_MAX	255

/* Set once openat2 turned out to be missing, or by a test. */
static volatile int	beneath_walk_only;

void
beneath_force_walk(int on)
{
	beneath_walk_only = on;
}

/* Whether rel is absolute or has a ".." component: refused as such. */
static int
beneath_climbs(const char *rel)
{
	const char	*p = rel;
	size_t		 n;

	if (*rel == '/')
		return (1);
	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return (1);
		p += n;
		p += *p == '/';
	}
	return (0);
}

/* Opens one component below dirfd: a directory on the way, or the end. */
static int
beneath_step(int dirfd, const char *comp, size_t n, int last, int flags,
    mode_t mode)
{
	struct stat	sb;
	char		name[BENEATH_COMP_MAX + 1];
	int		fd;

	if (n > BENEATH_COMP_MAX) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(name, comp, n);
	name[n] = '\0';
	if (last)
		return (openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC,
		    mode));
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	/* Say ELOOP for a symlink on the way, as openat2 does. */
	if (fd == -1 && errno == ENOTDIR && fstatat(dirfd, name, &sb,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
		errno = ELOOP;
	return (fd);
}

/* The walk: one openat with O_NOFOLLOW per component. */
static int
beneath_walk(int rootfd, const char *rel, int flags, mode_t mode)
{
	const char	*p = rel;
	size_t		 n;
	int		 fd = -1, next, saved, last;

	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (-1);
	for (;;) {
		while (*p == '/' || (p[0] == '.' && (p[1] == '/' ||
		    p[1] == '\0')))
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, "/");
		last = p[n + strspn(p + n, "/")] == '\0';
		next = beneath_step(fd, p, n, last, flags, mode);
		saved = errno;
		close(fd);
		if (next == -1) {
			errno = saved;
			return (-1);
		}
		fd = next;
		p += n;
		if (last)
			return (fd);
	}
	/* rel named the root itself. */
	next = openat(fd, ".", flags | O_CLOEXEC, mode);
	saved = errno;
	close(fd);
	errno = saved;
	return (next);
}

int
beneath_openat(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct stat	sb;
	int		fd;

	if (beneath_climbs(rel)) {
		errno = EXDEV;
		return (-1);
	}
	/* openat2 refuses flags that mean nothing with O_PATH. */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_CLOEXEC;
#ifdef HAVE_LINUX_OPENAT2_H
	if (!beneath_walk_only) {
		struct open_how	how;
		int		tries = 0;

		memset(&how, 0, sizeof how);
		how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
		how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
		do
			fd = (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".",
			    &how, sizeof how);
		while (fd == -1 && errno == EAGAIN && ++tries < 8);
		if (fd != -1 || (errno != ENOSYS && errno != E2BIG))
			goto check;
		beneath_walk_only = 1;
	}
#endif
	fd = beneath_walk(rootfd, rel, flags, mode);
#ifdef HAVE_LINUX_OPENAT2_H
check:
#endif
	/* O_PATH | O_NOFOLLOW opens a final symlink itself: not for us. */
	if (fd != -1 && (flags & O_PATH) && fstat(fd, &sb) == 0 &&
	    S_ISLNK(sb.st_mode)) {
		close(fd);
		errno = ELOOP;
		return (-1);
	}
	return (fd);
}

/* The length of the first prefix of rel that is a symlink, or 0. */
static size_t
beneath_find_link(int rootfd, const char *rel)
{
	struct stat	 sb;
	const char	*p = rel;
	size_t		 n;
	int		 fd, next;

	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (0);
	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n > 0 && n <= BENEATH_COMP_MAX) {
			char name[BENEATH_COMP_MAX + 1];

			memcpy(name, p, n);
			name[n] = '\0';
			if (fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
				break;
			if (S_ISLNK(sb.st_mode)) {
				close(fd);
				return ((size_t)(p - rel) + n);
			}
			next = openat(fd, name, O_PATH | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			close(fd);
			if ((fd = next) == -1)
				return (0);
		}
		p += n;
		p += *p == '/';
	}
	close(fd);
	return (0);
}

int
beneath_error(int rootfd, const char *rel, int saved, char **cause)
{
	size_t	n;

	if (saved == EXDEV)
		return (err_set(cause, FERRY_ERR_DENIED, "%s: absolute, or "
		    "climbs with \"..\": refused", rel));
	if (saved == ELOOP || saved == ENOTDIR) {
		if ((n = beneath_find_link(rootfd, rel)) > 0)
			return (err_set(cause, FERRY_ERR_DENIED, "%.*s: a "
			    "symlink: ferry follows none", (int)n, rel));
		if (saved == ELOOP)
			return (err_set(cause, FERRY_ERR_DENIED, "%s: a "
			    "symlink is on the way: ferry follows none", rel));
		return (err_set(cause, FERRY_ERR_IO, "%s: not a directory "
		    "(a file is in the way)", rel));
	}
	return (err_set(cause, saved == ENOENT ? FERRY_ERR_NOTFOUND :
	    FERRY_ERR_IO, "%s: %s", *rel ? rel : ".", strerror(saved)));
}

int
beneath_open(int rootfd, const char *rel, int flags, int *fd, char **cause)
{
	int	r;

	if ((r = beneath_openat(rootfd, rel, flags, 0)) == -1)
		return (beneath_error(rootfd, rel, errno, cause));
	*fd = r;
	return (0);
}
