/* The console on Windows (compat.h). */
#include "config.h"

#include <io.h>
#include <windows.h>

#include "compat.h"

int
compat_term_columns(int fd)
{
	CONSOLE_SCREEN_BUFFER_INFO	 info;
	intptr_t			 h = _get_osfhandle(fd);

	if (h == -1 || !GetConsoleScreenBufferInfo((HANDLE)h, &info))
		return (-1);
	return (info.srWindow.Right - info.srWindow.Left + 1);
}
