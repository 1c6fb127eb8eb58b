/*
 * getcwd, access and rename on Windows (posix-win.h): the C runtime's
 * take and give names in the ANSI code page, so a folder named outside
 * it (a vendor's C:\Users\José\studio on a Japanese desktop, or 撮影 on
 * a French one) would come back as '?' or not be found. These go through
 * the wide calls, with UTF-8 on ferry's side, as every other path does.
 */
#define COMPAT_WIN_IMPL
#include "posix-win.h"

#include <errno.h>
#include <io.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

#include "utf16.h"

char *
compat_win_getcwd(char *buf, size_t n)
{
	wchar_t	*w;
	char	*u;

	if ((w = _wgetcwd(NULL, 0)) == NULL)
		return (NULL);
	u = utf16_to_utf8((const uint16_t *)w, wcslen(w));
	free(w);
	if (u == NULL)
		return (NULL);
	if (buf == NULL || strlen(u) >= n) {
		free(u);
		errno = ERANGE;
		return (NULL);
	}
	memcpy(buf, u, strlen(u) + 1);
	free(u);
	return (buf);
}

/*
 * Whether path exists and, for W_OK, is not a read-only file; X_OK is
 * no question Windows asks of a folder, and _waccess takes R_OK (4) and
 * W_OK (2) only.
 */
int
compat_win_access(const char *path, int mode)
{
	uint16_t	*w;
	int		 r;

	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	r = _waccess((const wchar_t *)w, mode & 06);
	free(w);
	return (r);
}

/*
 * rename(2): the C runtime's refuses to replace an existing file (EEXIST),
 * so a settings file written whole and renamed over the old one
 * (conf_write_file: roots.json at `ferry root set`) could be written
 * once only. MoveFileExW replaces it, and with write-through returns
 * once the rename is on disk. ferry's files are opened with
 * FILE_SHARE_DELETE, so one still open may be renamed.
 */
int
compat_win_rename(const char *from, const char *to)
{
	uint16_t	*wf, *wt = NULL;
	int		 r = -1;

	if ((wf = utf16_from_utf8(from, strlen(from), NULL)) == NULL ||
	    (wt = utf16_from_utf8(to, strlen(to), NULL)) == NULL)
		goto out;
	if (MoveFileExW((const wchar_t *)wf, (const wchar_t *)wt,
	    MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		r = 0;
	else {
		switch (GetLastError()) {
		case ERROR_FILE_NOT_FOUND:
		case ERROR_PATH_NOT_FOUND:
			errno = ENOENT;
			break;
		case ERROR_ACCESS_DENIED:
		case ERROR_SHARING_VIOLATION:
			errno = EACCES;
			break;
		default:
			errno = EIO;
			break;
		}
	}
out:
	free(wf);
	free(wt);
	return (r);
}
