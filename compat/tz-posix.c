/* The machine's time zone on POSIX (compat.h): the zoneinfo files. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

const char *
compat_tz_dir(void)
{
	return ("/usr/share/zoneinfo");
}

int
compat_tz_local(char *buf, size_t n)
{
	char	 link[512];
	char	*p;
	ssize_t	 len;

	/* /etc/localtime links to the zone: its name follows "zoneinfo/". */
	if ((len = readlink("/etc/localtime", link, sizeof link - 1)) <= 0)
		return (-1);
	link[len] = '\0';
	if ((p = strstr(link, "zoneinfo/")) == NULL) {
		errno = ENOENT;
		return (-1);
	}
	snprintf(buf, n, "%s", p + strlen("zoneinfo/"));
	return (0);
}
