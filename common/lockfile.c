#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "err.h"
#include "lockfile.h"
#include "statedir.h"

/* Reads the holder's pid from fd; returns it, or -1 if there is none. */
static long
lockfile_read_pid(int fd)
{
	char	 text[32], *end;
	ssize_t	 n;
	long	 pid;

	/* Only this process has fd, so the offset is ours to move. */
	if (lseek(fd, 0, SEEK_SET) == -1)
		return (-1);
	n = read(fd, text, sizeof text - 1);
	if (n <= 0)
		return (-1);
	text[n] = '\0';
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno != 0 || end == text || (*end != '\n' && *end != '\0') ||
	    pid <= 0)
		return (-1);
	return (pid);
}

/*
 * Names the holder of the lock. The holder writes its pid just after it
 * takes the lock, so an empty file is given a moment before giving up.
 */
static int
lockfile_busy(int fd, const char *dir, const char *program,
    const char *name, char **cause)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	long		 pid;
	int		 i;

	for (i = 0; i < 20; i++) {
		if ((pid = lockfile_read_pid(fd)) != -1)
			return (err_set(cause, FERRY_ERR_EXIST,
			    "another %s (pid %ld) is running on %s", program,
			    pid, dir));
		nanosleep(&ts, NULL);
	}
	return (err_set(cause, FERRY_ERR_EXIST, "another %s is running on %s "
	    "(its pid is not in %s)", program, dir, name));
}

/* Replaces the file's contents with our pid. */
static int
lockfile_write_pid(int fd, const char *path, char **cause)
{
	char	text[32];
	int	n;

	n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1 ||
	    write(fd, text, (size_t)n) != n)
		return (err_set(cause, FERRY_ERR_IO, "cannot write pid to %s: "
		    "%s", path, strerror(errno)));
	return (0);
}

int
lockfile_take(const char *dir, const char *program, int *fdp, char **cause)
{
	char	*path = NULL, name[64];
	int	 fd = -1, r;

	snprintf(name, sizeof name, "%s.lock", program);
	if ((r = statedir_path(dir, name, &path, cause)) != 0)
		return (r);
	fd = compat_open_private(path);
	if (fd == -1) {
		r = err_set(cause, FERRY_ERR_IO, "cannot open %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (compat_lock_try(fd) == -1) {
		if (errno == EWOULDBLOCK)
			r = lockfile_busy(fd, dir, program, name, cause);
		else
			r = err_set(cause, FERRY_ERR_IO, "cannot lock %s: %s",
			    path, strerror(errno));
		goto out;
	}
	if ((r = lockfile_write_pid(fd, path, cause)) != 0)
		goto out;
	*fdp = fd;
	fd = -1;	/* transferred */
out:
	if (fd != -1)
		close(fd);
	free(path);
	return (r);
}

void
lockfile_release(int fd)
{
	if (fd != -1)
		close(fd);
}
