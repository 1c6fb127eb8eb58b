/*
 * Private directories on Windows (compat.h): a protected DACL (nothing
 * inherited from %ProgramData%, whose default lets Users read and create)
 * granting full control to the owner, SYSTEM and Administrators, the
 * Windows counterpart of mode 0700 for a service's state.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "compat.h"
#include "utf16.h"

static const wchar_t	 private_dir_sddl[] =
    L"D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

const char *
compat_statedir_default(void)
{
	static char	*dir;
	const wchar_t	*pd;
	size_t		 n;
	char		*base;

	if (dir != NULL)
		return (dir);
	/* Not set only in a broken environment; the documented default. */
	if ((pd = _wgetenv(L"ProgramData")) == NULL || *pd == L'\0')
		pd = L"C:\\ProgramData";
	if ((base = utf16_to_utf8((const uint16_t *)pd, wcslen(pd))) == NULL)
		return ("C:\\ProgramData\\ferry");
	n = strlen(base) + sizeof "\\ferry";
	if ((dir = malloc(n)) == NULL) {
		free(base);
		return ("C:\\ProgramData\\ferry");
	}
	snprintf(dir, n, "%s\\ferry", base);
	free(base);
	return (dir);
}

int
compat_mkdir_private(const char *dir)
{
	SECURITY_ATTRIBUTES	 sa;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	uint16_t		*w;
	int			 r = 0, e = 0;

	if ((w = utf16_from_utf8(dir, strlen(dir), NULL)) == NULL)
		return (-1);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
	    private_dir_sddl, SDDL_REVISION_1, &sd, NULL)) {
		free(w);
		errno = EIO;
		return (-1);
	}
	memset(&sa, 0, sizeof sa);
	sa.nLength = sizeof sa;
	sa.lpSecurityDescriptor = sd;
	if (!CreateDirectoryW((const wchar_t *)w, &sa)) {
		switch (GetLastError()) {
		case ERROR_ALREADY_EXISTS:
			break;	/* checked by compat_dir_check_private */
		case ERROR_PATH_NOT_FOUND:
			r = -1, e = ENOENT;
			break;
		case ERROR_ACCESS_DENIED:
			r = -1, e = EACCES;
			break;
		default:
			r = -1, e = EIO;
			break;
		}
	}
	LocalFree(sd);
	free(w);
	errno = e;
	return (r);
}

/* Whether sid may hold an allow entry on a private directory. */
static int
dir_win_trusted(PSID sid, PSID owner)
{
	if (EqualSid(sid, owner))
		return (1);
	return (IsWellKnownSid(sid, WinLocalSystemSid) ||
	    IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
	    IsWellKnownSid(sid, WinCreatorOwnerSid));
}

/* The SID this process runs as, and the one it makes owner of new files. */
static int
dir_win_me(PSID *user, PSID *owner, char buf[2][256])
{
	HANDLE	 tok;
	DWORD	 len;
	int	 ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return (-1);
	ok = GetTokenInformation(tok, TokenUser, buf[0], 256, &len) &&
	    GetTokenInformation(tok, TokenOwner, buf[1], 256, &len);
	CloseHandle(tok);
	if (!ok)
		return (-1);
	*user = ((TOKEN_USER *)buf[0])->User.Sid;
	*owner = ((TOKEN_OWNER *)buf[1])->Owner;
	return (0);
}

/* Checks the directory's owner and that every allow entry is trusted. */
static int
dir_win_check_sd(HANDLE h, const char *dir, char *why, size_t n)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PSID			 owner = NULL, user, towner;
	PACL			 dacl = NULL;
	ACE_HEADER		*ace;
	char			 buf[2][256];
	DWORD			 i;
	int			 e = 0;

	(void)dir;
	if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, &owner, NULL, &dacl, NULL, &sd) !=
	    ERROR_SUCCESS || dir_win_me(&user, &towner, buf) == -1) {
		LocalFree(sd);
		errno = EIO;
		return (-1);
	}
	if (!EqualSid(owner, user) && !EqualSid(owner, towner)) {
		snprintf(why, n, "is owned by another account than this "
		    "process's");
		e = EACCES;
	} else if (dacl == NULL) {
		/* A NULL DACL grants everyone everything. */
		snprintf(why, n, "has no access list: anyone may use it");
		e = EACCES;
	} else {
		for (i = 0; i < dacl->AceCount && e == 0; i++) {
			if (!GetAce(dacl, i, (void **)&ace))
				e = EIO;
			else if (ace->AceType == ACCESS_ALLOWED_ACE_TYPE &&
			    !dir_win_trusted(&((ACCESS_ALLOWED_ACE *)ace)->
			    SidStart, owner)) {
				snprintf(why, n, "grants access to another "
				    "account than its owner, SYSTEM and "
				    "Administrators");
				e = EACCES;
			}
		}
	}
	LocalFree(sd);
	errno = e;
	return (e == 0 ? 0 : -1);
}

int
compat_dir_check_private(const char *dir, char *why, size_t n)
{
	BY_HANDLE_FILE_INFORMATION	 info;
	HANDLE				 h;
	uint16_t			*w;
	int				 r = -1, e = 0;

	if ((w = utf16_from_utf8(dir, strlen(dir), NULL)) == NULL)
		return (-1);
	/* The handle, not the name, is checked: no link is followed. */
	h = CreateFileW((const wchar_t *)w, READ_CONTROL | FILE_READ_ATTRIBUTES,
	    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS |
	    FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : ENOENT;
		return (-1);
	}
	if (!GetFileInformationByHandle(h, &info))
		e = EIO;
	else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		snprintf(why, n, "is a symbolic link or junction");
		e = EACCES;
	} else if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		e = ENOTDIR;
	else if (dir_win_check_sd(h, dir, why, n) == 0)
		r = 0;
	else
		e = errno;
	CloseHandle(h);
	errno = e;
	return (r);
}
