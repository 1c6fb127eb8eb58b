/*
 * compat_lock_try() on Windows: LockFileEx, exclusive, failing at once,
 * released when the handle closes (as flock is with its descriptor).
 * Windows locks are mandatory: a locked byte cannot be read by another
 * process. So the lock is on one byte far past anything the file holds,
 * and whoever finds the lock taken can still read the holder's pid from
 * the start of the file.
 */
#include "config.h"

#include <errno.h>
#include <io.h>
#include <string.h>

#include <windows.h>

#include "compat.h"

int
compat_lock_try(int fd)
{
	OVERLAPPED	 ov;
	HANDLE		 h;

	h = (HANDLE)_get_osfhandle(fd);
	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (-1);
	}
	memset(&ov, 0, sizeof ov);
	ov.Offset = 0;
	ov.OffsetHigh = 0x7fffffff;
	if (LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
	    0, 1, 0, &ov))
		return (0);
	switch (GetLastError()) {
	case ERROR_LOCK_VIOLATION:
	case ERROR_IO_PENDING:
		errno = EWOULDBLOCK;
		break;
	default:
		errno = EIO;
		break;
	}
	return (-1);
}
