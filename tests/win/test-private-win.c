/*
 * compat/file-win.c (tests/win/pure.sh runs it under wine):
 * compat_open_private() makes a file whose DACL is protected (nothing
 * inherited from the folder) and grants exactly the owner and SYSTEM,
 * keeps an existing file's bytes, narrows an existing file's DACL, and
 * refuses a symbolic link. The name has a non-ASCII letter, to see the
 * UTF-16 conversion reach the Windows API.
 *
 * Wine 8 models neither: it derives a file's DACL from the Unix mode bits
 * (never protected, whatever was set) and reports no reparse point for a
 * link. So under wine those checks are reported as not run, and they run
 * on Windows itself (docs/windows.md).
 */
#include "config.h"

#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <aclapi.h>

#include "compat.h"
#include "utf16.h"
#include "test.h"

/* Whether the file's DACL is protected and has exactly n allow entries. */
static int
dacl_is(const wchar_t *path, DWORD n)
{
	PSECURITY_DESCRIPTOR		 sd = NULL;
	PACL				 dacl = NULL;
	SECURITY_DESCRIPTOR_CONTROL	 ctl = 0;
	DWORD				 rev, e;
	int				 ok;

	e = GetNamedSecurityInfoW(path, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
	if (e != ERROR_SUCCESS) {
		fprintf(stderr, "GetNamedSecurityInfoW: %lu\n", (unsigned long)e);
		return (0);
	}
	GetSecurityDescriptorControl(sd, &ctl, &rev);
	ok = dacl != NULL && (ctl & SE_DACL_PROTECTED) && dacl->AceCount == n;
	if (!ok)
		fprintf(stderr, "DACL: %s, protected %d, %u entries\n",
		    dacl != NULL ? "present" : "none",
		    (ctl & SE_DACL_PROTECTED) != 0,
		    dacl != NULL ? dacl->AceCount : 0);
	LocalFree(sd);
	return (ok);
}

/* Whether we run under wine, which ntdll says by exporting this. */
static int
under_wine(void)
{
	HMODULE	 ntdll = GetModuleHandleA("ntdll.dll");

	return (ntdll != NULL &&
	    GetProcAddress(ntdll, "wine_get_version") != NULL);
}

static wchar_t *
wide(const char *s)
{
	return ((wchar_t *)utf16_from_utf8(s, strlen(s), NULL));
}

int
main(void)
{
	char		 dir[MAX_PATH], path[MAX_PATH + 64], link[MAX_PATH + 64];
	wchar_t		*wpath, *wlink;
	int		 fd, wine = under_wine();

	if (GetTempPathA(sizeof dir, dir) == 0)
		TEST_SKIP("no temporary folder");
	snprintf(path, sizeof path, "%sferry-priv\xc3\xa9-%lu", dir,
	    (unsigned long)GetCurrentProcessId());
	snprintf(link, sizeof link, "%s-link", path);
	wpath = wide(path);
	wlink = wide(link);
	ASSERT_TRUE(wpath != NULL && wlink != NULL);

	fd = compat_open_private(path);
	ASSERT_TRUE(fd != -1);
	ASSERT_INT_EQ(_write(fd, "x", 1), 1);
	_close(fd);
	ASSERT_TRUE(GetFileAttributesW(wpath) != INVALID_FILE_ATTRIBUTES);
	if (!wine)
		ASSERT_TRUE(dacl_is(wpath, 2));

	/* Reopened: not truncated, and still private. */
	fd = compat_open_private(path);
	ASSERT_TRUE(fd != -1);
	ASSERT_INT_EQ(_lseeki64(fd, 0, SEEK_END), 1);
	_close(fd);
	if (!wine)
		ASSERT_TRUE(dacl_is(wpath, 2));

	/* A symbolic link is refused as O_NOFOLLOW refuses one. */
	if (wine)
		fprintf(stderr, "note: under wine, which models neither DACLs "
		    "nor reparse points: those checks did not run\n");
	else if (CreateSymbolicLinkW(wlink, wpath,
	    SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE)) {
		errno = 0;
		ASSERT_INT_EQ(compat_open_private(link), -1);
		ASSERT_INT_EQ(errno, ELOOP);
		DeleteFileW(wlink);
	} else
		fprintf(stderr, "note: no symbolic links here (error %lu): "
		    "the link check did not run\n",
		    (unsigned long)GetLastError());
	DeleteFileW(wpath);
	free(wpath);
	free(wlink);
	return (TEST_DONE());
}
