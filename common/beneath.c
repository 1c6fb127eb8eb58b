/* Opening paths below a root without following symlinks (beneath.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "beneath.h"
#include "compat.h"
#include "err.h"
#include "winpath.h"

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

/*
 * Opens one component below dirfd: a directory on the way, or the end.
 * Where names follow Windows' rules, a name it forbids or would alias to
 * another file (CON, "a.", "a:s", PROGRA~1) is refused first (EINVAL).
 */
static int
beneath_step(int dirfd, const char *comp, size_t n, int last, int flags,
    mode_t mode)
{
	char	name[BENEATH_COMP_MAX + 1];

	if (n > BENEATH_COMP_MAX) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(name, comp, n);
	name[n] = '\0';
	if (compat_windows_names() && winpath_check_name(name, n, NULL) != 0) {
		errno = EINVAL;
		return (-1);
	}
	if (last)
		return (compat_openat(dirfd, name, flags, (int)mode));
	return (compat_openat(dirfd, name, O_PATH | O_DIRECTORY, 0));
}

/*
 * The walk: one no-follow open per component, each below the directory
 * the last one holds open, so no rename of a parent redirects it.
 */
static int
beneath_walk(int rootfd, const char *rel, int flags, mode_t mode)
{
	const char	*p = rel;
	size_t		 n;
	int		 fd = -1, next, saved, last;

	if ((fd = compat_dupfd(rootfd)) == -1)
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
	next = compat_openat(fd, ".", flags, (int)mode);
	saved = errno;
	close(fd);
	errno = saved;
	return (next);
}

int
beneath_openat(int rootfd, const char *rel, int flags, mode_t mode)
{
	int	fd;

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
	if (fd != -1 && (flags & O_PATH) && compat_is_link(fd) == 1) {
		close(fd);
		errno = ELOOP;
		return (-1);
	}
	return (fd);
}

/*
 * The length of the first prefix of rel that is a symlink (a reparse point
 * on Windows), or 0.
 */
static size_t
beneath_find_link(int rootfd, const char *rel)
{
	const char	*p = rel;
	size_t		 n;
	int		 fd, next, link;

	if ((fd = compat_dupfd(rootfd)) == -1)
		return (0);
	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n > 0 && n <= BENEATH_COMP_MAX) {
			char name[BENEATH_COMP_MAX + 1];

			memcpy(name, p, n);
			name[n] = '\0';
			if ((link = compat_is_link_at(fd, name)) == -1)
				break;
			if (link) {
				close(fd);
				return ((size_t)(p - rel) + n);
			}
			next = compat_openat(fd, name, O_PATH | O_DIRECTORY,
			    0);
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
	if (saved == EINVAL && compat_windows_names()) {
		char	*why = NULL;
		int	 r;

		if (winpath_check_rel(rel, strlen(rel), &why) == 0)
			return (err_set(cause, FERRY_ERR_INVAL, "%s: %s", rel,
			    strerror(saved)));
		r = err_set(cause, FERRY_ERR_DENIED, "%s: %s: Windows forbids "
		    "it or would open another file by it", rel, why);
		free(why);
		return (r);
	}
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
