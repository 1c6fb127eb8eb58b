/*
 * Files on Windows (compat.h): UTF-16 names through _wopen, binary mode
 * (no CRLF translation), not inherited by child processes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "compat.h"
#include "utf16.h"

int
compat_open_read(const char *path)
{
	uint16_t	*w;
	int		 fd, e;

	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	fd = _wopen((const wchar_t *)w, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
	e = errno;
	free(w);
	errno = e;
	return (fd);
}
