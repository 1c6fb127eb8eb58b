/*
 * Opening a secret file on Windows (compat.h). Mode bits become the DACL:
 * deny 077 (nothing for group or others) lets only the owner, SYSTEM and
 * Administrators hold an allow entry; deny 007 (nothing for others)
 * refuses the entries that stand for everyone: Everyone, Authenticated
 * Users, Users, Anonymous, Guests.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <aclapi.h>

#include "compat.h"
#include "utf16.h"

/* Whether an allow entry for sid makes the file open to what deny names. */
static int
secret_win_open_to(PSID sid, PSID owner, int deny)
{
	if (EqualSid(sid, owner) || IsWellKnownSid(sid, WinLocalSystemSid) ||
	    IsWellKnownSid(sid, WinBuiltinAdministratorsSid))
		return (0);
	if (deny == 077)
		return (1);
	return (IsWellKnownSid(sid, WinWorldSid) ||
	    IsWellKnownSid(sid, WinAuthenticatedUserSid) ||
	    IsWellKnownSid(sid, WinBuiltinUsersSid) ||
	    IsWellKnownSid(sid, WinAnonymousSid) ||
	    IsWellKnownSid(sid, WinBuiltinGuestsSid));
}

/* The owner and DACL checks; EACCES with why, or EIO. */
static int
secret_win_check(HANDLE h, int deny, int own, char *why, size_t n)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PSID			 owner = NULL;
	PACL			 dacl = NULL;
	ACE_HEADER		*ace;
	HANDLE			 tok;
	char			 ubuf[256];
	DWORD			 i, len;
	int			 e = 0;

	if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, &owner, NULL, &dacl, NULL, &sd) !=
	    ERROR_SUCCESS)
		return (EIO);
	if (own) {
		if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
			e = EIO;
		else {
			if (!GetTokenInformation(tok, TokenUser, ubuf,
			    sizeof ubuf, &len))
				e = EIO;
			else if (!EqualSid(owner,
			    ((TOKEN_USER *)ubuf)->User.Sid)) {
				snprintf(why, n, "is owned by another account "
				    "than this process's");
				e = EACCES;
			}
			CloseHandle(tok);
		}
	}
	if (e == 0 && deny != 0 && dacl == NULL) {
		snprintf(why, n, "has no access list: anyone may read it");
		e = EACCES;
	}
	for (i = 0; e == 0 && deny != 0 && i < dacl->AceCount; i++) {
		if (!GetAce(dacl, i, (void **)&ace))
			e = EIO;
		else if (ace->AceType == ACCESS_ALLOWED_ACE_TYPE &&
		    secret_win_open_to(&((ACCESS_ALLOWED_ACE *)ace)->SidStart,
		    owner, deny)) {
			snprintf(why, n, "may be read by %s (give only its "
			    "owner access)", deny == 077 ? "other accounts" :
			    "everyone");
			e = EACCES;
		}
	}
	LocalFree(sd);
	return (e);
}

int
compat_open_secret(const char *path, int deny, int own, char *why,
    size_t n)
{
	BY_HANDLE_FILE_INFORMATION	 info;
	HANDLE				 h;
	uint16_t			*w;
	int				 fd = -1, e = 0;

	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	h = CreateFileW((const wchar_t *)w, GENERIC_READ | READ_CONTROL,
	    FILE_SHARE_READ, NULL, OPEN_EXISTING,
	    FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		switch (GetLastError()) {
		case ERROR_FILE_NOT_FOUND:
		case ERROR_PATH_NOT_FOUND:
			errno = ENOENT;
			break;
		case ERROR_ACCESS_DENIED:
			errno = EACCES;
			break;
		default:
			errno = EIO;
			break;
		}
		return (-1);
	}
	if (!GetFileInformationByHandle(h, &info))
		e = EIO;
	else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		e = ELOOP;
	else if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		e = EINVAL;
	else
		e = secret_win_check(h, deny, own, why, n);
	if (e == 0 && (fd = _open_osfhandle((intptr_t)h, _O_RDONLY |
	    _O_BINARY)) == -1)
		e = errno;
	if (fd == -1) {
		CloseHandle(h);
		errno = e;
	}
	return (fd);
}
