/* The terminal on POSIX systems (compat.h). */
#include "config.h"

#include <sys/ioctl.h>

#include "compat.h"

int
compat_term_columns(int fd)
{
	struct winsize	 ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
		return (-1);
	return (ws.ws_col);
}
