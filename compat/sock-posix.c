/* Local stream sockets on POSIX (compat.h): AF_UNIX, SO_PEERCRED. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

/* Fills sun with path; a path that does not fit is refused, not cut. */
static int
sock_address(const char *path, struct sockaddr_un *sun)
{
	size_t	len = strlen(path);

	if (len == 0 || len >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	return (0);
}

size_t
compat_local_path_max(void)
{
	struct sockaddr_un	sun;

	return (sizeof sun.sun_path - 1);
}

/* Removes a socket a dead daemon left behind; EEXIST for anything else. */
static int
sock_unlink_stale(const char *path)
{
	struct stat	sb;

	if (lstat(path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISSOCK(sb.st_mode)) {
		errno = EEXIST;
		return (-1);
	}
	return (unlink(path));
}

/*
 * Listens on path. The socket is bound and listening under path~ and then
 * renamed to path, so that the name appears only once connecting to it
 * works: bound under path itself, a client that saw the file between
 * bind() and listen() was refused ("nothing is listening"), which a loaded
 * machine showed in CI. A path one byte short of the limit has no room for
 * the "~" and is bound directly.
 */
int
compat_local_listen(const char *path)
{
	struct sockaddr_un	sun, tmp;
	const char		*at = path;
	size_t			 len = strlen(path);
	int			 fd, e;

	if (sock_address(path, &sun) == -1 || sock_unlink_stale(path) == -1)
		return (-1);
	if (len + 1 < sizeof tmp.sun_path) {
		tmp = sun;
		tmp.sun_path[len] = '~';
		at = tmp.sun_path;
		if (sock_unlink_stale(at) == -1)
			return (-1);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	/*
	 * bind() makes the file with the umask's mode; the state directory
	 * (0700) keeps others out until the chmod.
	 */
	if (bind(fd, (struct sockaddr *)(at == path ? &sun : &tmp),
	    sizeof sun) == -1 || chmod(at, 0600) == -1 ||
	    listen(fd, 64) == -1 || (at != path && rename(at, path) == -1)) {
		e = errno;
		close(fd);
		if (at != path)
			(void)unlink(at);
		errno = e;
		return (-1);
	}
	return (fd);
}

int
compat_local_accept(int lfd, uid_t *uid, pid_t *pid, int *trusted)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	int		fd, e;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1)
		return (-1);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return (-1);
	}
	*uid = cred.uid;
	*pid = cred.pid;
	/* root, and the user the daemon runs as: the socket's mode's intent. */
	*trusted = cred.uid == 0 || cred.uid == geteuid();
	return (fd);
}

int
compat_local_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, e;

	if (sock_address(path, &sun) == -1)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

long
compat_euid(void)
{
	return ((long)geteuid());
}

ssize_t
compat_sock_recv(int fd, void *p, size_t n)
{
	return (read(fd, p, n));
}

ssize_t
compat_sock_send(int fd, const void *p, size_t n, int dontwait)
{
	return (send(fd, p, n, MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0)));
}

int
compat_sock_close(int fd)
{
	return (close(fd));
}

int
compat_local_allow(const char *sid)
{
	if (sid == NULL)
		return (0);
	errno = ENOTSUP;
	return (-1);
}
