#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
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
	return (compat_statedir_default());
}

int
statedir_open(const char *dir, char **cause)
{
	char	why[256] = "";

	if (*dir == '\0')
		return (err_set(cause, FERRY_ERR_INVAL,
		    "empty state directory name"));
	if (compat_mkdir_private(dir) == -1)
		return (err_set(cause, FERRY_ERR_IO, "cannot create state "
		    "directory %s: %s", dir, strerror(errno)));
	if (compat_dir_check_private(dir, why, sizeof why) == 0)
		return (0);
	if (errno == ENOTDIR)
		return (err_set(cause, FERRY_ERR_INVAL, "state directory %s is "
		    "not a directory", dir));
	if (errno == EACCES && why[0] != '\0')
		return (err_set(cause, FERRY_ERR_AUTH, "state directory %s %s",
		    dir, why));
	return (err_set(cause, FERRY_ERR_IO, "state directory %s: %s", dir,
	    strerror(errno)));
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
