/*
 * One path component below a directory, no link followed, on Windows
 * (compat.h). NtCreateFile with RootDirectory is the true openat: the
 * name is looked up in the directory the handle holds open, so renaming
 * or replacing a parent after it was opened changes nothing. Every
 * component is opened with FILE_OPEN_REPARSE_POINT and refused (ELOOP)
 * if it is one: symbolic links, junctions and mount points alike.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <winternl.h>

#include "compat.h"
#include "openat-win-int.h"
#include "utf16.h"

/* errno for an NTSTATUS, for the callers' strerror(). */
int
compat_win_nt_errno(NTSTATUS st)
{
	switch ((unsigned long)st) {
	case 0xC0000034UL:	/* OBJECT_NAME_NOT_FOUND */
	case 0xC000003AUL:	/* OBJECT_PATH_NOT_FOUND */
		return (ENOENT);
	case 0xC0000035UL:	/* OBJECT_NAME_COLLISION */
		return (EEXIST);
	case 0xC0000022UL:	/* ACCESS_DENIED */
	case 0xC0000043UL:	/* SHARING_VIOLATION */
		return (EACCES);
	case 0xC0000103UL:	/* NOT_A_DIRECTORY */
		return (ENOTDIR);
	case 0xC00000BAUL:	/* FILE_IS_A_DIRECTORY */
		return (EISDIR);
	case 0xC0000033UL:	/* OBJECT_NAME_INVALID */
		return (EINVAL);
	default:
		return (EIO);
	}
}

/* Whether h is a reparse point: 1, 0, or -1 with errno. */
int
compat_win_nt_reparse(HANDLE h)
{
	FILE_BASIC_INFO	info;

	if (!GetFileInformationByHandleEx(h, FileBasicInfo, &info,
	    sizeof info)) {
		errno = EIO;
		return (-1);
	}
	return ((info.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0);
}

/* NtCreateFile of name below dir; the handle, or NULL with errno. */
HANDLE
compat_win_nt_open(HANDLE dir, const char *name, ACCESS_MASK access,
    ULONG disposition, ULONG options)
{
	OBJECT_ATTRIBUTES	 oa;
	UNICODE_STRING		 us;
	IO_STATUS_BLOCK		 io;
	HANDLE			 h = NULL;
	NTSTATUS		 st;
	uint16_t		*w;
	size_t			 units = 0;

	/* "." is the directory itself: an empty name below it. */
	if (strcmp(name, ".") == 0)
		name = "";
	if (strchr(name, '/') != NULL || strchr(name, '\\') != NULL ||
	    strcmp(name, "..") == 0) {
		errno = EXDEV;
		return (NULL);
	}
	if (*name == '\0')
		w = calloc(1, sizeof *w);
	else
		w = utf16_from_utf8(name, strlen(name), &units);
	if (w == NULL)
		return (NULL);
	us.Buffer = (PWSTR)w;
	us.Length = (USHORT)(units * 2);
	us.MaximumLength = (USHORT)(units * 2 + 2);
	InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, dir, NULL);
	st = NtCreateFile(&h, access | SYNCHRONIZE | FILE_READ_ATTRIBUTES, &oa,
	    &io, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, disposition, options |
	    CW_FILE_SYNCHRONOUS_IO_NONALERT | CW_FILE_OPEN_REPARSE_POINT |
	    CW_FILE_OPEN_FOR_BACKUP_INTENT, NULL, 0);
	free(w);
	if (st < 0) {
		errno = compat_win_nt_errno(st);
		return (NULL);
	}
	return (h);
}

int
compat_openat(int dirfd, const char *name, int flags, int mode)
{
	ACCESS_MASK	 access = 0;
	ULONG		 disp = CW_FILE_OPEN, opts = 0;
	HANDLE		 dir, h;
	int		 fd, acc = flags & (O_RDONLY | O_WRONLY | O_RDWR), e;

	(void)mode;	/* the folder's inherited DACL decides */
	if ((dir = (HANDLE)_get_osfhandle(dirfd)) == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (-1);
	}
	if (flags & O_PATH)
		access = 0;
	else if (acc == O_WRONLY)
		access = FILE_GENERIC_WRITE;
	else if (acc == O_RDWR)
		access = FILE_GENERIC_READ | FILE_GENERIC_WRITE;
	else
		access = FILE_GENERIC_READ;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = CW_FILE_CREATE;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disp = CW_FILE_OVERWRITE_IF;
	else if (flags & O_CREAT)
		disp = CW_FILE_OPEN_IF;
	else if (flags & O_TRUNC)
		disp = CW_FILE_OVERWRITE;
	if (flags & O_DIRECTORY)
		opts |= CW_FILE_DIRECTORY_FILE;
	if ((h = compat_win_nt_open(dir, name, access, disp, opts)) == NULL)
		return (-1);
	if ((e = compat_win_nt_reparse(h)) != 0) {
		CloseHandle(h);
		errno = e == 1 ? ELOOP : EIO;
		return (-1);
	}
	fd = _open_osfhandle((intptr_t)h, (acc == O_RDONLY ? _O_RDONLY :
	    acc == O_WRONLY ? _O_WRONLY : _O_RDWR) | _O_BINARY |
	    (flags & O_APPEND ? _O_APPEND : 0));
	if (fd == -1) {
		e = errno;
		CloseHandle(h);
		errno = e;
	}
	return (fd);
}

int
compat_dupfd(int fd)
{
	HANDLE	h, dup;
	int	nfd, e;

	if ((h = (HANDLE)_get_osfhandle(fd)) == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (-1);
	}
	/* Not inherited by children, as F_DUPFD_CLOEXEC. */
	if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(),
	    &dup, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
		errno = EIO;
		return (-1);
	}
	if ((nfd = _open_osfhandle((intptr_t)dup, _O_RDONLY | _O_BINARY)) ==
	    -1) {
		e = errno;
		CloseHandle(dup);
		errno = e;
	}
	return (nfd);
}

int
compat_is_link_at(int dirfd, const char *name)
{
	HANDLE	dir, h;
	int	r;

	if ((dir = (HANDLE)_get_osfhandle(dirfd)) == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (-1);
	}
	if ((h = compat_win_nt_open(dir, name, 0, CW_FILE_OPEN, 0)) == NULL)
		return (-1);
	r = compat_win_nt_reparse(h);
	CloseHandle(h);
	return (r);
}

int
compat_is_link(int fd)
{
	HANDLE	h;

	if ((h = (HANDLE)_get_osfhandle(fd)) == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (-1);
	}
	return (compat_win_nt_reparse(h));
}

int
compat_windows_names(void)
{
	return (1);
}

int
compat_path_absolute(const char *path)
{
	if (((path[0] >= 'A' && path[0] <= 'Z') ||
	    (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':' &&
	    (path[2] == '\\' || path[2] == '/'))
		return (1);
	return ((path[0] == '\\' || path[0] == '/') &&
	    (path[1] == '\\' || path[1] == '/'));
}
