/* Files on POSIX systems (compat.h). */
#include "config.h"

#include <fcntl.h>

#include "compat.h"

int
compat_open_read(const char *path)
{
	return (open(path, O_RDONLY | O_CLOEXEC));
}
