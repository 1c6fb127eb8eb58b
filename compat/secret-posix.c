/* Opening a secret file on POSIX (compat.h). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "compat.h"

int
compat_open_secret(const char *path, int deny, int own, char *why,
    size_t n)
{
	struct stat	sb;
	int		fd, e = 0;

	/* No link followed: the file checked is the file read. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return (-1);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		e = EINVAL;
	else if (own && sb.st_uid != geteuid()) {
		snprintf(why, n, "is owned by uid %ld, not by this process "
		    "(uid %ld)", (long)sb.st_uid, (long)geteuid());
		e = EACCES;
	} else if ((sb.st_mode & (mode_t)deny) != 0) {
		snprintf(why, n, "has mode %04o: it must not be readable by "
		    "%s (chmod %s %s)", (unsigned)(sb.st_mode & 07777),
		    deny == 077 ? "group or others" : "others",
		    deny == 077 ? "600" : "o-rwx", path);
		e = EACCES;
	}
	if (e != 0) {
		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}
