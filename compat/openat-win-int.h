/*
 * What compat/'s Windows files share: opening below a folder handle
 * (openat-win.c: NtCreateFile with RootDirectory, never through a
 * reparse point) and the owner-only DACL (file-win.c). Not for use above
 * compat/.
 */
#ifndef FERRY_COMPAT_OPENAT_WIN_INT_H
#define FERRY_COMPAT_OPENAT_WIN_INT_H

#include <windows.h>
#include <winternl.h>

/* NtCreateFile's options and dispositions (ntifs.h, not in winternl.h). */
#define CW_FILE_DIRECTORY_FILE		0x00000001
#define CW_FILE_SYNCHRONOUS_IO_NONALERT	0x00000020
#define CW_FILE_NON_DIRECTORY_FILE	0x00000040
#define CW_FILE_OPEN_REPARSE_POINT	0x00200000
#define CW_FILE_OPEN_FOR_BACKUP_INTENT	0x00004000
#define CW_FILE_CREATE			2
#define CW_FILE_OPEN			1
#define CW_FILE_OPEN_IF			3
#define CW_FILE_OVERWRITE		4
#define CW_FILE_OVERWRITE_IF		5

/* errno for an NTSTATUS. */
int	 compat_win_nt_errno(NTSTATUS);
/* Whether h is a reparse point: 1, 0, or -1 with errno. */
int	 compat_win_nt_reparse(HANDLE);
/*
 * The one name (no separator, not ".."; "." is dir itself) below dir,
 * opened with access | SYNCHRONIZE | FILE_READ_ATTRIBUTES, sharing read,
 * write and delete, and FILE_OPEN_REPARSE_POINT: a reparse point is
 * opened itself, not followed. NULL with errno.
 */
HANDLE	 compat_win_nt_open(HANDLE, const char *, ACCESS_MASK, ULONG, ULONG);

/* A protected DACL for this process's user and SYSTEM; LocalFree it. */
PSECURITY_DESCRIPTOR	 compat_win_private_sd(void);

#endif
