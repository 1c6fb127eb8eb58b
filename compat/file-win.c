/*
 * Files on Windows (compat.h): UTF-16 names, binary mode (no CRLF
 * translation), not inherited by child processes; a CRT descriptor on top
 * of a Windows handle where the Windows API is needed to say more than
 * _wopen can (security descriptors, reparse points).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "compat.h"
#include "openat-win-int.h"
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

/*
 * The owner's and SYSTEM's full control, protected ("P": nothing inherited
 * from the folder), so that the file is as private as mode 0600. OW is
 * the file's owner, whoever creates it (a user, or the service account).
 */
/*
 * The owner-only DACL: this process's user and SYSTEM, nothing inherited.
 * The user's own SID, not OWNER RIGHTS (OW): wine maps only the owner's
 * SID to the owner's mode bits, and reads an OW-only file as mode 0000,
 * which not even its owner may open again.
 */
PSECURITY_DESCRIPTOR
compat_win_private_sd(void)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	HANDLE			 tok;
	char			 ubuf[256];
	wchar_t			*sid = NULL, sddl[256];
	DWORD			 len;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		errno = EIO;
		return (NULL);
	}
	if (GetTokenInformation(tok, TokenUser, ubuf, sizeof ubuf, &len) &&
	    ConvertSidToStringSidW(((TOKEN_USER *)ubuf)->User.Sid, &sid) &&
	    wcslen(sid) < 200) {
		wcscpy(sddl, L"D:P(A;;FA;;;");
		wcscat(sddl, sid);
		wcscat(sddl, L")(A;;FA;;;SY)");
		(void)ConvertStringSecurityDescriptorToSecurityDescriptorW(
		    sddl, SDDL_REVISION_1, &sd, NULL);
	}
	LocalFree(sid);
	CloseHandle(tok);
	if (sd == NULL)
		errno = EIO;
	return (sd);
}

/* errno for the last Windows error, for the callers' strerror(). */
static int
file_win_errno(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return (ENOENT);
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
		return (EACCES);
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return (ENOMEM);
	case ERROR_CANT_RESOLVE_FILENAME:
	case ERROR_CANT_ACCESS_FILE:
		return (ELOOP);
	default:
		return (EIO);
	}
}

/* Refuses a reparse point (symbolic link, junction), as O_NOFOLLOW does. */
static int
file_win_not_link(HANDLE h)
{
	BY_HANDLE_FILE_INFORMATION	 info;

	if (!GetFileInformationByHandle(h, &info)) {
		errno = file_win_errno(GetLastError());
		return (-1);
	}
	if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		errno = ELOOP;
		return (-1);
	}
	return (0);
}

/* Narrows an existing file's DACL as a new one gets it. */
static int
file_win_protect(HANDLE h, PSECURITY_DESCRIPTOR sd)
{
	PACL	 dacl = NULL;
	BOOL	 present = FALSE, defaulted = FALSE;
	DWORD	 e;

	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) ||
	    !present) {
		errno = EIO;
		return (-1);
	}
	e = SetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION |
	    PROTECTED_DACL_SECURITY_INFORMATION, NULL, NULL, dacl, NULL);
	if (e != ERROR_SUCCESS) {
		errno = file_win_errno(e);
		return (-1);
	}
	return (0);
}

int
compat_open_private(const char *path)
{
	SECURITY_ATTRIBUTES	 sa;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	HANDLE			 h = INVALID_HANDLE_VALUE;
	uint16_t		*w;
	int			 fd = -1, e = 0, existed;

	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	if ((sd = compat_win_private_sd()) == NULL) {
		e = EIO;
		goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.nLength = sizeof sa;
	sa.lpSecurityDescriptor = sd;
	sa.bInheritHandle = FALSE;
	h = CreateFileW((const wchar_t *)w, GENERIC_READ | GENERIC_WRITE |
	    WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
	    &sa, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL |
	    FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		e = file_win_errno(GetLastError());
		goto out;
	}
	/* OPEN_ALWAYS says "already exists" when it opened an old file. */
	existed = GetLastError() == ERROR_ALREADY_EXISTS;
	if (file_win_not_link(h) == -1 ||
	    (existed && file_win_protect(h, sd) == -1)) {
		e = errno;
		goto out;
	}
	if ((fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY)) == -1)
		e = errno;
	else
		h = INVALID_HANDLE_VALUE;	/* transferred */
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	LocalFree(sd);
	free(w);
	if (fd == -1)
		errno = e;
	return (fd);
}

/* FILETIME counts 100 ns ticks (fs-win.c's futimens divides by 100). */
long
compat_mtime_step(void)
{
	return (100);
}
