/*
 * Opening a path below a root directory the way ferry's ACLs mean it: what
 * is opened is what the path names, component by component from the root.
 * No component may be a symlink (the last one neither), none may be "..",
 * and the path may not be absolute, so a symlink planted inside a grant,
 * or swapped in after a check, never leads anywhere else. Linux 5.6 and
 * later do it in one openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) call;
 * older kernels get a walk with O_NOFOLLOW on every component.
 */
#ifndef FERRY_BENEATH_H
#define FERRY_BENEATH_H

#include <sys/types.h>

/*
 * Opens rel below rootfd with flags (as openat; O_NOFOLLOW and O_CLOEXEC
 * are added). rel "" is the root itself. Returns the descriptor, or -1
 * with errno ELOOP (a symlink on the way), EXDEV (absolute, or "..") or
 * whatever openat said.
 */
int	beneath_openat(int rootfd, const char *rel, int flags, mode_t mode);

/*
 * beneath_openat as a ferry call: 0 and *fd, or FERRY_ERR_DENIED with a
 * cause naming the first symlink ("a/b: a symlink: ferry follows none")
 * or the climb, or FERRY_ERR_IO (FERRY_ERR_NOTFOUND for ENOENT) naming
 * rel and the system's reason.
 */
int	beneath_open(int rootfd, const char *rel, int flags, int *fd,
	    char **cause);

/*
 * The cause for a failed beneath_openat of rel (errno as it left it):
 * sets *cause and returns the ferry error, as beneath_open does.
 */
int	beneath_error(int rootfd, const char *rel, int saved_errno,
	    char **cause);

/* Tests: 1 makes every call walk, as on a kernel without openat2. */
void	beneath_force_walk(int on);

#endif
