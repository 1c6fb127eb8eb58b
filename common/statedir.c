#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "statedir.h"

const char *
statedir_choose(const char *arg)
{
	const char	*env;

	if (arg != NULL)
		return (arg);
	env = getenv(STATEDIR_ENV);
	if (env != NULL && *env != '\0')
		return (env);
	return (STATEDIR_DEFAULT);
}

/*
 * Checks what fd (opened on dir) is. Checking the open descriptor rather
 * than the name means a directory swapped in between the two calls cannot
 * pass for the one that was checked.
 */
static int
statedir_check(int fd, const char *dir, char **cause)
{
	struct stat	 sb;

	if (fstat(fd, &sb) == -1)
		return (err_set(cause, FERRY_ERR_IO, "state directory %s: %s",
		    dir, strerror(errno)));
	if (!S_ISDIR(sb.st_mode))
		return (err_set(cause, FERRY_ERR_INVAL,
		    "state directory %s is not a directory", dir));
	if (sb.st_uid != geteuid())
		return (err_set(cause, FERRY_ERR_AUTH, "state directory %s is "
		    "owned by uid %ld, not by this process (uid %ld)", dir,
		    (long)sb.st_uid, (long)geteuid()));
	if ((sb.st_mode & 077) != 0)
		return (err_set(cause, FERRY_ERR_AUTH, "state directory %s has "
		    "mode %04o: it must not be open to group or others "
		    "(chmod 700 %s)", dir, (unsigned)(sb.st_mode & 07777),
		    dir));
	return (0);
}

int
statedir_open(const char *dir, char **cause)
{
	int	fd, created = 0, r;

	if (*dir == '\0')
		return (err_set(cause, FERRY_ERR_INVAL,
		    "empty state directory name"));
	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST)
		return (err_set(cause, FERRY_ERR_IO, "cannot create state "
		    "directory %s: %s", dir, strerror(errno)));
	/*
	 * The umask may have taken our own bits off a directory we made, and
	 * without them we could not open it. Whatever is at dir by now is
	 * checked through the descriptor below.
	 */
	if (created && chmod(dir, 0700) == -1)
		return (err_set(cause, FERRY_ERR_IO, "chmod 700 %s: %s", dir,
		    strerror(errno)));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOTDIR)
		return (err_set(cause, FERRY_ERR_INVAL, "state directory %s is "
		    "not a directory", dir));
	if (fd == -1)
		return (err_set(cause, FERRY_ERR_IO, "state directory %s: %s",
		    dir, strerror(errno)));
	r = statedir_check(fd, dir, cause);
	close(fd);
	return (r);
}

int
statedir_path(const char *dir, const char *name, char **pathp, char **cause)
{
	const char	*sep = "/";
	size_t		 len = strlen(dir);
	char		*path;
	int		 n;

	/* "DIR/" is as good as "DIR": do not double the slash. */
	if (len > 0 && dir[len - 1] == '/')
		sep = "";
	n = asprintf(&path, "%s%s%s", dir, sep, name);
	if (n == -1)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (n >= PATH_MAX) {
		/* A path this long is no use to show in full. */
		free(path);
		return (err_set(cause, FERRY_ERR_TOOBIG, "path too long "
		    "(%d bytes, limit %d) for %s in %.64s...", n, PATH_MAX - 1,
		    name, dir));
	}
	*pathp = path;
	return (0);
}
