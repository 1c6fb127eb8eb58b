/*
 * The account a service runs as, by SID, and handing the state directory
 * over to it (service-int.h). Also the two small helpers every file here
 * needs: UTF-16 at the W calls, and the text of a Windows error.
 */
#include "config.h"

#include <stdio.h>
#include <wchar.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <aclapi.h>
#include <bcrypt.h>
#include <sddl.h>

#include "err.h"
#include "service-int.h"
#include "utf16.h"

#define SERVICE_SID_PREFIX	"NT SERVICE\\"

uint16_t *
service_wide(const char *s, const char *what, char **cause)
{
	uint16_t	*w;

	if ((w = utf16_from_utf8(s, strlen(s), NULL)) == NULL)
		err_set(cause, FERRY_ERR_BADNAME, "%s is not valid UTF-8 "
		    "(or holds a NUL)", what);
	return (w);
}

const char *
service_strerror(unsigned long code)
{
	static _Thread_local char	buf[256];
	size_t				n;

	if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)code, 0, buf,
	    sizeof buf, NULL) == 0)
		snprintf(buf, sizeof buf, "Windows error %lu", code);
	/* FormatMessage ends its text with ".\r\n", which a cause has not. */
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == '.' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (buf);
}

/* SHA-1 of len bytes at p into out[20], by Windows' own CNG. */
static int
service_sid_sha1(const void *p, size_t len, unsigned char out[20],
    char **cause)
{
	BCRYPT_ALG_HANDLE	alg;
	NTSTATUS		st;

	st = BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA1_ALGORITHM, NULL,
	    0);
	if (BCRYPT_SUCCESS(st)) {
		st = BCryptHash(alg, NULL, 0, (PUCHAR)p, (ULONG)len, out, 20);
		BCryptCloseAlgorithmProvider(alg, 0);
	}
	if (!BCRYPT_SUCCESS(st))
		return (err_set(cause, FERRY_ERR_CRYPTO, "SHA-1 through CNG "
		    "(bcrypt.dll) failed: NTSTATUS 0x%08lx", (unsigned long)st));
	return (0);
}

int
service_sid_virtual(const char *name, char **sid, char **cause)
{
	unsigned char	 h[20];
	uint16_t	*w;
	wchar_t		 up[257];
	int		 n, r;
	char		*s;

	if ((w = service_wide(name, "the service name", cause)) == NULL)
		return (FERRY_ERR_BADNAME);
	/* Upper case as Windows' own invariant table has it. */
	n = LCMapStringEx(LOCALE_NAME_INVARIANT, LCMAP_UPPERCASE,
	    (const wchar_t *)w, -1, up, 257, NULL, NULL, 0);
	free(w);
	if (n <= 1)
		return (err_set(cause, FERRY_ERR_BADNAME, "service name %s: "
		    "empty or over 256 characters", name));
	/* UTF-16LE is what x86 holds in memory: hash it as it lies. */
	if ((r = service_sid_sha1(up, (size_t)(n - 1) * 2, h, cause)) != 0)
		return (r);
#define LE32(i) ((unsigned long)h[i] | (unsigned long)h[i + 1] << 8 | \
	(unsigned long)h[i + 2] << 16 | (unsigned long)h[i + 3] << 24)
	if ((s = malloc(80)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	snprintf(s, 80, "S-1-5-80-%lu-%lu-%lu-%lu-%lu", LE32(0), LE32(4),
	    LE32(8), LE32(12), LE32(16));
#undef LE32
	*sid = s;
	return (0);
}

/* A named account's SID, as the local security authority knows it. */
static int
service_sid_lookup(const char *account, char **sid, char **cause)
{
	SID_NAME_USE	 use;
	BYTE		 buf[SECURITY_MAX_SID_SIZE];
	wchar_t		 dom[256], *str = NULL;
	DWORD		 sidlen = sizeof buf, domlen = 256;
	uint16_t	*w;
	char		*s;

	if ((w = service_wide(account, "the account", cause)) == NULL)
		return (FERRY_ERR_BADNAME);
	if (!LookupAccountNameW(NULL, (const wchar_t *)w, buf, &sidlen, dom,
	    &domlen, &use)) {
		free(w);
		return (err_set(cause, FERRY_ERR_NOTFOUND, "account %s: %s",
		    account, service_strerror(GetLastError())));
	}
	free(w);
	if (!ConvertSidToStringSidW(buf, &str))
		return (err_set(cause, FERRY_ERR_INTERNAL, "account %s: its "
		    "SID: %s", account, service_strerror(GetLastError())));
	s = utf16_to_utf8((const uint16_t *)str, wcslen(str));
	LocalFree(str);
	if (s == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	*sid = s;
	return (0);
}

int
service_sid_account(const char *account, char **sid, char **cause)
{
	/* The service manager's names for the built-in service accounts. */
	static const struct {
		const char	*name;
		const char	*sid;
	} builtin[] = {
		{ "LocalSystem", "S-1-5-18" },
		{ ".\\LocalSystem", "S-1-5-18" },
		{ "NT AUTHORITY\\SYSTEM", "S-1-5-18" },
		{ "NT AUTHORITY\\LocalService", "S-1-5-19" },
		{ "NT AUTHORITY\\NetworkService", "S-1-5-20" },
	};
	size_t	i, n = strlen(SERVICE_SID_PREFIX);

	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
		if (strcasecmp(account, builtin[i].name) != 0)
			continue;
		if ((*sid = strdup(builtin[i].sid)) == NULL)
			return (err_set(cause, FERRY_ERR_NOMEM, "out of "
			    "memory"));
		return (0);
	}
	if (strncasecmp(account, SERVICE_SID_PREFIX, n) == 0)
		return (service_sid_virtual(account + n, sid, cause));
	return (service_sid_lookup(account, sid, cause));
}

/*
 * Setting an owner other than oneself needs SeRestorePrivilege, which an
 * elevated administrator holds but has not enabled.
 */
static void
service_sid_privilege(const wchar_t *name)
{
	TOKEN_PRIVILEGES	tp;
	HANDLE			tok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES,
	    &tok))
		return;
	memset(&tp, 0, sizeof tp);
	tp.PrivilegeCount = 1;
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	/* Not held: the Tree call below then says what failed. */
	if (LookupPrivilegeValueW(NULL, name, &tp.Privileges[0].Luid))
		AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL);
	CloseHandle(tok);
}

/*
 * Sets owner and DACL on path, opened without following a reparse point,
 * and on what is below it if it is a directory. A reparse point (a
 * junction, a symbolic link) inside the state directory is refused, not
 * followed: handing over what it points at would give the account a
 * folder somewhere else. The state directory is a few levels deep; depth
 * bounds a hostile one.
 */
static int
service_sid_tree(const wchar_t *path, PSID owner, PACL dacl, int depth,
    char **cause)
{
	BY_HANDLE_FILE_INFORMATION	 bi;
	WIN32_FIND_DATAW		 fd;
	HANDLE				 h, find;
	wchar_t				*child;
	size_t				 n;
	DWORD				 e;
	int				 r = 0;
	char				*u;

	h = CreateFileW(path, READ_CONTROL | WRITE_DAC | WRITE_OWNER,
	    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS |
	    FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	e = h == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
	if (e == ERROR_SUCCESS && !GetFileInformationByHandle(h, &bi))
		e = GetLastError();
	if (e == ERROR_SUCCESS && (bi.dwFileAttributes &
	    FILE_ATTRIBUTE_REPARSE_POINT))
		e = ERROR_CANT_ACCESS_FILE;
	if (e == ERROR_SUCCESS && depth > 16)
		e = ERROR_BAD_PATHNAME;
	if (e == ERROR_SUCCESS)
		e = SetSecurityInfo(h, SE_FILE_OBJECT,
		    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
		    PROTECTED_DACL_SECURITY_INFORMATION, owner, NULL, dacl,
		    NULL);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (e != ERROR_SUCCESS) {
		u = utf16_to_utf8((const uint16_t *)path, wcslen(path));
		r = err_set(cause, FERRY_ERR_DENIED, "%s: %s", u != NULL ? u :
		    "(a name)", e == ERROR_CANT_ACCESS_FILE ? "a junction or "
		    "symbolic link, which a state directory has no use for" :
		    e == ERROR_BAD_PATHNAME ? "nested over 16 levels" :
		    service_strerror(e));
		free(u);
		return (r);
	}
	if (!(bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		return (0);
	n = wcslen(path) + MAX_PATH + 3;
	if ((child = calloc(n, sizeof *child)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	swprintf(child, n, L"%ls\\*", path);
	if ((find = FindFirstFileW(child, &fd)) == INVALID_HANDLE_VALUE) {
		free(child);
		return (0);	/* empty, or gone: nothing to hand over */
	}
	do {
		if (wcscmp(fd.cFileName, L".") == 0 ||
		    wcscmp(fd.cFileName, L"..") == 0)
			continue;
		swprintf(child, n, L"%ls\\%ls", path, fd.cFileName);
		r = service_sid_tree(child, owner, dacl, depth + 1, cause);
	} while (r == 0 && FindNextFileW(find, &fd));
	FindClose(find);
	free(child);
	return (r);
}

int
service_sid_handover(const char *dir, const char *sid, char **cause)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PSID			 owner;
	PACL			 dacl;
	BOOL			 present, dflt;
	char			 sddl[256], *inner = NULL;
	uint16_t		*wsddl = NULL, *wdir = NULL;
	int			 r = 0;

	snprintf(sddl, sizeof sddl, "O:%sD:P(A;OICI;FA;;;%s)(A;OICI;FA;;;SY)"
	    "(A;OICI;FA;;;BA)", sid, sid);
	if ((wsddl = service_wide(sddl, "the SDDL", cause)) == NULL ||
	    (wdir = service_wide(dir, "the state directory", cause)) == NULL) {
		r = FERRY_ERR_BADNAME;
		goto out;
	}
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
	    (const wchar_t *)wsddl, SDDL_REVISION_1, &sd, NULL) ||
	    !GetSecurityDescriptorOwner(sd, &owner, &dflt) ||
	    !GetSecurityDescriptorDacl(sd, &present, &dacl, &dflt)) {
		r = err_set(cause, FERRY_ERR_INTERNAL, "security descriptor "
		    "%s: %s", sddl, service_strerror(GetLastError()));
		goto out;
	}
	service_sid_privilege(L"SeRestorePrivilege");
	service_sid_privilege(L"SeTakeOwnershipPrivilege");
	if ((r = service_sid_tree((const wchar_t *)wdir, owner, dacl, 0,
	    &inner)) != 0)
		r = err_set(cause, r, "giving the state directory to %s: %s",
		    sid, inner);
out:
	if (sd != NULL)
		LocalFree(sd);
	free(inner);
	free(wsddl);
	free(wdir);
	return (r);
}

/*
 * Lets sid modify what is below path (read, write, create, delete; not
 * change permissions or take ownership): an inherited allow entry added
 * to path's DACL, which keeps the entries it has, so that the vendor's
 * own account keeps its access to its storage folder.
 */
int
service_sid_grant(const char *path, const char *sid, char **cause)
{
	EXPLICIT_ACCESSW	 ea;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PACL			 old = NULL, acl = NULL;
	PSID			 psid = NULL;
	uint16_t		*wpath = NULL, *wsid = NULL;
	DWORD			 e;
	int			 r = 0;

	if ((wpath = service_wide(path, "the folder", cause)) == NULL ||
	    (wsid = service_wide(sid, "the SID", cause)) == NULL) {
		r = FERRY_ERR_BADNAME;
		goto out;
	}
	if (!ConvertStringSidToSidW((const wchar_t *)wsid, &psid)) {
		r = err_set(cause, FERRY_ERR_INTERNAL, "SID %s: %s", sid,
		    service_strerror(GetLastError()));
		goto out;
	}
	e = GetNamedSecurityInfoW((const wchar_t *)wpath, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &old, NULL, &sd);
	if (e == ERROR_SUCCESS) {
		memset(&ea, 0, sizeof ea);
		ea.grfAccessPermissions = FILE_GENERIC_READ |
		    FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | DELETE;
		ea.grfAccessMode = GRANT_ACCESS;
		ea.grfInheritance = SUB_CONTAINERS_AND_OBJECTS_INHERIT;
		ea.Trustee.TrusteeForm = TRUSTEE_IS_SID;
		ea.Trustee.TrusteeType = TRUSTEE_IS_USER;
		ea.Trustee.ptstrName = (wchar_t *)psid;
		e = SetEntriesInAclW(1, &ea, old, &acl);
	}
	if (e == ERROR_SUCCESS)
		e = SetNamedSecurityInfoW((wchar_t *)wpath, SE_FILE_OBJECT,
		    DACL_SECURITY_INFORMATION, NULL, NULL, acl, NULL);
	if (e != ERROR_SUCCESS)
		r = err_set(cause, e == ERROR_FILE_NOT_FOUND ||
		    e == ERROR_PATH_NOT_FOUND ? FERRY_ERR_NOTFOUND :
		    FERRY_ERR_DENIED, "giving %s access to %s: %s", sid, path,
		    service_strerror(e));
out:
	if (acl != NULL)
		LocalFree(acl);
	if (sd != NULL)
		LocalFree(sd);
	if (psid != NULL)
		LocalFree(psid);
	free(wpath);
	free(wsid);
	return (r);
}
