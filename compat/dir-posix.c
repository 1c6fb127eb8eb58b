/* Private directories on POSIX (compat.h): mode 0700, owned by us. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "compat.h"

const char *
compat_statedir_default(void)
{
	return ("/var/lib/ferry");
}

int
compat_mkdir_private(const char *dir)
{
	if (mkdir(dir, 0700) == -1)
		return (errno == EEXIST ? 0 : -1);
	/*
	 * The umask may have taken our own bits off, and without them we
	 * could not open it. Whatever is at dir is checked afterwards
	 * through a descriptor (compat_dir_check_private).
	 */
	return (chmod(dir, 0700));
}

int
compat_dir_check_private(const char *dir, char *why, size_t n)
{
	struct stat	 sb;
	int		 fd, r = -1, e;

	/* The descriptor, not the name: a swapped-in directory cannot pass. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &sb) == -1)
		e = errno;
	else if (!S_ISDIR(sb.st_mode))
		e = ENOTDIR;
	else if (sb.st_uid != geteuid()) {
		snprintf(why, n, "is owned by uid %ld, not by this process "
		    "(uid %ld)", (long)sb.st_uid, (long)geteuid());
		e = EACCES;
	} else if ((sb.st_mode & 077) != 0) {
		snprintf(why, n, "has mode %04o: it must not be open to group "
		    "or others (chmod 700 %s)", (unsigned)(sb.st_mode & 07777),
		    dir);
		e = EACCES;
	} else
		e = r = 0;
	close(fd);
	errno = e;
	return (r);
}
