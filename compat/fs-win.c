/*
 * The POSIX file calls of posix-win.h on Windows. Every name below a
 * folder is opened with compat_win_nt_open (NtCreateFile below the folder
 * handle, FILE_OPEN_REPARSE_POINT), so no reparse point (symbolic link,
 * junction, mount point) is ever followed and no rename of a parent
 * redirects a name: what the *at() calls give the Linux code.
 *
 * The finished file's atomic replace is renameat: SetFileInformationByHandle
 * with FileRenameInfoEx, REPLACE_IF_EXISTS | POSIX_SEMANTICS (the old file
 * goes even if a reader holds it open, as on POSIX), the new name relative
 * to the destination folder's handle (RootDirectory). Where that class is
 * missing (Windows before 10 1607; wine) it is FileRenameInfo with
 * ReplaceIfExists, which is atomic too but fails while another process
 * holds the old file open without FILE_SHARE_DELETE. fsync is
 * FlushFileBuffers; on a folder it does nothing (see compat_win_fsync).
 */
#define COMPAT_WIN_IMPL
#include "posix-win.h"

#include <stdarg.h>
#include <string.h>

#include <windows.h>
#include <winternl.h>
#include <aclapi.h>
#include <sddl.h>

#include "openat-win-int.h"
#include "utf16.h"

/*
 * Windows 10 1607's classes and flags, which mingw declares only for
 * _WIN32_WINNT above what configure names (0x0A00).
 */
#define FS_WIN_DISPOSITION_EX	((FILE_INFO_BY_HANDLE_CLASS)21)
#define FS_WIN_DELETE		0x1
#define FS_WIN_POSIX_DELETE	0x2
#define FS_WIN_REPLACE		0x1
#define FS_WIN_POSIX_RENAME	0x2
#define FS_WIN_NT_RENAME_EX	((FILE_INFORMATION_CLASS)65)
#define FS_WIN_STATUS_EXISTS	((NTSTATUS)0xC0000035L)
#define FS_WIN_STATUS_DENIED	((NTSTATUS)0xC0000022L)

/* FILE_RENAME_INFO with its 1607 union (a flags word or a boolean). */
struct fs_win_rename {
	union {
		BOOLEAN	replace;
		DWORD	flags;
	}	u;
	HANDLE	root;
	DWORD	len;
	WCHAR	name[1];
};

/* 100 ns ticks between 1601-01-01 and 1970-01-01. */
#define FS_WIN_EPOCH	116444736000000000LL

/* errno for GetLastError(). */
static int
fs_win_errno(void)
{
	switch (GetLastError()) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
		return (ENOENT);
	case ERROR_ACCESS_DENIED:
	case ERROR_PRIVILEGE_NOT_HELD:
		return (EACCES);
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		return (EBUSY);
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		return (EEXIST);
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		return (ENOSPC);
	case ERROR_DIR_NOT_EMPTY:
		return (ENOTEMPTY);
	case ERROR_NOT_SAME_DEVICE:
		return (EXDEV);
	case ERROR_INVALID_NAME:
	case ERROR_INVALID_PARAMETER:
		return (EINVAL);
	case ERROR_DIRECTORY:
		return (ENOTDIR);
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return (ENOMEM);
	case ERROR_INVALID_HANDLE:
		return (EBADF);
	default:
		return (EIO);
	}
}

static HANDLE
fs_win_handle(int fd)
{
	HANDLE	h;

	if (fd < 0 || (h = (HANDLE)_get_osfhandle(fd)) == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (NULL);
	}
	return (h);
}

/* A handle as a runtime descriptor; the handle is closed on failure. */
static int
fs_win_fd(HANDLE h, int flags)
{
	int	acc = flags & (O_RDONLY | O_WRONLY | O_RDWR), fd, e;

	fd = _open_osfhandle((intptr_t)h, (acc == O_WRONLY ? _O_WRONLY :
	    acc == O_RDWR ? _O_RDWR : _O_RDONLY) | _O_BINARY |
	    (flags & O_APPEND ? _O_APPEND : 0));
	if (fd == -1) {
		e = errno;
		CloseHandle(h);
		errno = e;
	}
	return (fd);
}

static void
fs_win_time(struct timespec *ts, const FILETIME *ft)
{
	int64_t	t = ((int64_t)ft->dwHighDateTime << 32 | ft->dwLowDateTime) -
		    FS_WIN_EPOCH;
	int64_t	s = t / 10000000, r = t % 10000000;

	if (r < 0) {
		r += 10000000;
		s--;
	}
	ts->tv_sec = (time_t)s;
	ts->tv_nsec = (long)(r * 100);
}

/*
 * The mode bits a DACL amounts to: 0600 (0700 for a folder) if it allows
 * no one but the owner, SYSTEM and Administrators, else 0644 (0755); so
 * the POSIX checks "is this key open to others" read the DACL. A handle
 * that may not read its DACL counts as open to others.
 */
static unsigned int
fs_win_mode_bits(HANDLE h, int dir)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PSID			 owner = NULL, sid;
	PACL			 dacl = NULL;
	ACE_HEADER		*ace;
	DWORD			 i;
	int			 open = 0;

	if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, &owner, NULL, &dacl, NULL, &sd) !=
	    ERROR_SUCCESS)
		return (dir ? 0755 : 0644);
	if (dacl == NULL)
		open = 1;
	for (i = 0; !open && i < dacl->AceCount; i++) {
		if (!GetAce(dacl, i, (void **)&ace)) {
			open = 1;
			break;
		}
		if (ace->AceType != ACCESS_ALLOWED_ACE_TYPE)
			continue;
		sid = &((ACCESS_ALLOWED_ACE *)ace)->SidStart;
		if (!EqualSid(sid, owner) &&
		    !IsWellKnownSid(sid, WinLocalSystemSid) &&
		    !IsWellKnownSid(sid, WinBuiltinAdministratorsSid) &&
		    !IsWellKnownSid(sid, WinCreatorOwnerSid))
			open = 1;
	}
	LocalFree(sd);
	if (dir)
		return (open ? 0755 : 0700);
	return (open ? 0644 : 0600);
}

/* stat of an open handle: the file ID, 100 ns times, the kind. */
static int
fs_win_stat_handle(HANDLE h, struct compat_win_stat *sb)
{
	BY_HANDLE_FILE_INFORMATION	bi;

	if (!GetFileInformationByHandle(h, &bi)) {
		errno = fs_win_errno();
		return (-1);
	}
	memset(sb, 0, sizeof *sb);
	sb->st_dev = bi.dwVolumeSerialNumber;
	sb->st_ino = (uint64_t)bi.nFileIndexHigh << 32 | bi.nFileIndexLow;
	if (bi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		sb->st_mode = S_IFLNK | 0777;
	else if (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		sb->st_mode = S_IFDIR | fs_win_mode_bits(h, 1);
	else
		sb->st_mode = S_IFREG | (fs_win_mode_bits(h, 0) &
		    (bi.dwFileAttributes & FILE_ATTRIBUTE_READONLY ? 0555 :
		    0777));
	sb->st_nlink = bi.nNumberOfLinks;
	sb->st_uid = (uid_t)-1;
	sb->st_gid = (gid_t)-1;
	sb->st_size = (int64_t)((uint64_t)bi.nFileSizeHigh << 32 |
	    bi.nFileSizeLow);
	sb->st_blksize = 4096;
	sb->st_blocks = (sb->st_size + 511) / 512;
	fs_win_time(&sb->st_atim, &bi.ftLastAccessTime);
	fs_win_time(&sb->st_mtim, &bi.ftLastWriteTime);
	fs_win_time(&sb->st_ctim, &bi.ftLastWriteTime);
	return (0);
}

int
compat_win_fstat(int fd, struct compat_win_stat *sb)
{
	HANDLE	h;

	if ((h = fs_win_handle(fd)) == NULL)
		return (-1);
	return (fs_win_stat_handle(h, sb));
}

int
compat_win_fstatat(int dirfd, const char *name, struct compat_win_stat *sb,
    int flags)
{
	HANDLE	dir, h;
	int	r;

	/* A reparse point is stat'ed itself, as AT_SYMLINK_NOFOLLOW. */
	(void)flags;
	if ((dir = fs_win_handle(dirfd)) == NULL ||
	    (h = compat_win_nt_open(dir, name, 0, CW_FILE_OPEN, 0)) == NULL)
		return (-1);
	r = fs_win_stat_handle(h, sb);
	CloseHandle(h);
	return (r);
}

/*
 * CreateFileW of a UTF-8 path; NULL with errno. With private, a file it
 * creates gets a protected DACL for its owner and SYSTEM only, which is
 * what mode 0600 says (compat_open_private's).
 */
static HANDLE
fs_win_create(const char *path, DWORD access, DWORD disp, DWORD flags,
    int private)
{
	SECURITY_ATTRIBUTES	 sa;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	uint16_t		*w;
	HANDLE			 h;

	memset(&sa, 0, sizeof sa);
	sa.nLength = sizeof sa;
	if (private) {
		if ((sd = compat_win_private_sd()) == NULL)
			return (NULL);
		sa.lpSecurityDescriptor = sd;
	}
	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL) {
		LocalFree(sd);
		return (NULL);
	}
	h = CreateFileW((const wchar_t *)w, access, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa, disp, flags |
	    FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	LocalFree(sd);
	if (h == INVALID_HANDLE_VALUE) {
		errno = fs_win_errno();
		return (NULL);
	}
	return (h);
}

int
compat_win_stat_path(const char *path, struct compat_win_stat *sb,
    int follow)
{
	HANDLE	h;
	int	r;

	if ((h = fs_win_create(path, FILE_READ_ATTRIBUTES | READ_CONTROL,
	    OPEN_EXISTING, follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT, 0)) ==
	    NULL)
		return (-1);
	r = fs_win_stat_handle(h, sb);
	CloseHandle(h);
	return (r);
}

/*
 * open(2) of a path (a root the user named: it may lead through links, as
 * on POSIX; O_NOFOLLOW refuses a last component that is one). Folders
 * open too (FILE_FLAG_BACKUP_SEMANTICS), to be held as handles.
 */
int
compat_win_open(const char *path, int flags, ...)
{
	struct compat_win_stat	 sb;
	int			 acc = flags & (O_RDONLY | O_WRONLY | O_RDWR);
	int			 mode = 0644;
	DWORD			 access, disp = OPEN_EXISTING;
	HANDLE			 h;
	va_list			 ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	access = acc == O_WRONLY ? GENERIC_WRITE : acc == O_RDWR ?
	    GENERIC_READ | GENERIC_WRITE : GENERIC_READ;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = CREATE_NEW;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disp = CREATE_ALWAYS;
	else if (flags & O_CREAT)
		disp = OPEN_ALWAYS;
	else if (flags & O_TRUNC)
		disp = TRUNCATE_EXISTING;
	if ((h = fs_win_create(path, access, disp, flags & O_NOFOLLOW ?
	    FILE_FLAG_OPEN_REPARSE_POINT : 0, (mode & 077) == 0)) == NULL)
		return (-1);
	if (fs_win_stat_handle(h, &sb) == -1) {
		CloseHandle(h);
		return (-1);
	}
	if (S_ISLNK(sb.st_mode) || ((flags & O_DIRECTORY) &&
	    !S_ISDIR(sb.st_mode))) {
		CloseHandle(h);
		errno = S_ISLNK(sb.st_mode) ? ELOOP : ENOTDIR;
		return (-1);
	}
	return (fs_win_fd(h, flags));
}

int
compat_win_openat(int dirfd, const char *name, int flags, ...)
{
	va_list	ap;
	int	mode = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	/* No O_DIRECT on Windows: the callers fall back to the plain fd. */
	if (flags & O_DIRECT) {
		errno = EINVAL;
		return (-1);
	}
	return (compat_openat(dirfd, name, flags & ~(O_NONBLOCK | O_NOCTTY),
	    mode));
}

int
compat_win_mkdir(const char *path, int mode)
{
	uint16_t	*w;
	BOOL		 ok;

	(void)mode;	/* the parent's inheritable DACL decides */
	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	ok = CreateDirectoryW((const wchar_t *)w, NULL);
	free(w);
	if (!ok) {
		errno = fs_win_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_mkdirat(int dirfd, const char *name, int mode)
{
	HANDLE	dir, h;

	(void)mode;
	if ((dir = fs_win_handle(dirfd)) == NULL ||
	    (h = compat_win_nt_open(dir, name, FILE_LIST_DIRECTORY,
	    CW_FILE_CREATE, CW_FILE_DIRECTORY_FILE)) == NULL)
		return (-1);
	CloseHandle(h);
	return (0);
}

int
compat_win_unlinkat(int dirfd, const char *name, int flags)
{
	FILE_DISPOSITION_INFO	d;
	DWORD			dx;
	HANDLE			dir, h;
	BOOL			ok;

	if ((dir = fs_win_handle(dirfd)) == NULL ||
	    (h = compat_win_nt_open(dir, name, DELETE, CW_FILE_OPEN,
	    flags & AT_REMOVEDIR ? CW_FILE_DIRECTORY_FILE :
	    CW_FILE_NON_DIRECTORY_FILE)) == NULL)
		return (-1);
	/* POSIX semantics: the name goes now, even if the file is open. */
	dx = FS_WIN_DELETE | FS_WIN_POSIX_DELETE;
	if (!(ok = SetFileInformationByHandle(h, FS_WIN_DISPOSITION_EX, &dx,
	    sizeof dx))) {
		d.DeleteFile = TRUE;
		ok = SetFileInformationByHandle(h, FileDispositionInfo, &d,
		    sizeof d);
	}
	if (!ok)
		errno = fs_win_errno();
	CloseHandle(h);
	return (ok ? 0 : -1);
}

/*
 * renameat: the file is opened below its folder's handle (no reparse
 * point followed) and renamed to a name below the new folder's handle,
 * replacing what is there: the atomic replace of a finished file.
 */
int
compat_win_renameat(int olddirfd, const char *old, int newdirfd,
    const char *new)
{
	struct fs_win_rename	*ri;
	IO_STATUS_BLOCK		 io;
	NTSTATUS		 st;
	HANDLE			 odir, ndir, h;
	uint16_t		*w;
	size_t			 units, size;
	BOOL			 ok;
	int			 e = 0;

	if ((odir = fs_win_handle(olddirfd)) == NULL ||
	    (ndir = fs_win_handle(newdirfd)) == NULL)
		return (-1);
	if (strchr(new, '/') != NULL || strchr(new, '\\') != NULL ||
	    strcmp(new, ".") == 0 || strcmp(new, "..") == 0 || *new == '\0') {
		errno = EXDEV;
		return (-1);
	}
	if ((w = utf16_from_utf8(new, strlen(new), &units)) == NULL)
		return (-1);
	size = offsetof(struct fs_win_rename, name) + (units + 1) * 2;
	if ((ri = calloc(1, size)) == NULL) {
		free(w);
		return (-1);
	}
	ri->root = ndir;
	ri->len = (DWORD)(units * 2);
	memcpy(ri->name, w, (units + 1) * 2);
	free(w);
	if ((h = compat_win_nt_open(odir, old, DELETE, CW_FILE_OPEN, 0)) ==
	    NULL) {
		free(ri);
		return (-1);
	}
	/*
	 * NtSetInformationFile, not SetFileInformationByHandle: wine's
	 * kernelbase refuses a RootDirectory there, ntdll takes it.
	 */
	ri->u.flags = FS_WIN_REPLACE | FS_WIN_POSIX_RENAME;
	st = NtSetInformationFile(h, &io, ri, (ULONG)size,
	    FS_WIN_NT_RENAME_EX);
	if (st < 0 && st != FS_WIN_STATUS_EXISTS &&
	    st != FS_WIN_STATUS_DENIED) {
		ri->u.flags = 0;
		ri->u.replace = TRUE;
		st = NtSetInformationFile(h, &io, ri, (ULONG)size,
		    FileRenameInformation);
	}
	if (!(ok = st >= 0))
		e = compat_win_nt_errno(st);
	CloseHandle(h);
	free(ri);
	if (!ok) {
		errno = e;
		return (-1);
	}
	return (0);
}

/*
 * fsync: FlushFileBuffers. A folder is not flushed: Windows flushes a
 * folder only through a handle opened for writing, which a held folder is
 * not, and NTFS records a rename in its journal; a read-only handle has
 * nothing of its own to flush (Windows refuses the call on it).
 */
int
compat_win_fsync(int fd)
{
	BY_HANDLE_FILE_INFORMATION	bi;
	HANDLE				h;

	if ((h = fs_win_handle(fd)) == NULL)
		return (-1);
	if (GetFileInformationByHandle(h, &bi) &&
	    (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		return (0);
	if (!FlushFileBuffers(h)) {
		if (GetLastError() == ERROR_ACCESS_DENIED)
			return (0);
		errno = fs_win_errno();
		return (-1);
	}
	return (0);
}

/* pread and pwrite: an OVERLAPPED offset on the synchronous handle. */
static HANDLE
fs_win_at(int fd, int64_t off, size_t *n, OVERLAPPED *ov)
{
	HANDLE	h;

	if ((h = fs_win_handle(fd)) == NULL)
		return (NULL);
	if (off < 0) {
		errno = EINVAL;
		return (NULL);
	}
	memset(ov, 0, sizeof *ov);
	ov->Offset = (DWORD)off;
	ov->OffsetHigh = (DWORD)((uint64_t)off >> 32);
	/* One call moves at most 1 GiB: a DWORD count, and short is allowed. */
	if (*n > 1U << 30)
		*n = 1U << 30;
	return (h);
}

ssize_t
compat_win_pread(int fd, void *p, size_t n, int64_t off)
{
	OVERLAPPED	ov;
	HANDLE		h;
	DWORD		got = 0;

	if ((h = fs_win_at(fd, off, &n, &ov)) == NULL)
		return (-1);
	if (!ReadFile(h, p, (DWORD)n, &got, &ov)) {
		if (GetLastError() == ERROR_HANDLE_EOF)
			return (0);
		errno = fs_win_errno();
		return (-1);
	}
	return ((ssize_t)got);
}

ssize_t
compat_win_pwrite(int fd, const void *p, size_t n, int64_t off)
{
	OVERLAPPED	ov;
	HANDLE		h;
	DWORD		put = 0;

	if ((h = fs_win_at(fd, off, &n, &ov)) == NULL)
		return (-1);
	if (!WriteFile(h, p, (DWORD)n, &put, &ov)) {
		errno = fs_win_errno();
		return (-1);
	}
	return ((ssize_t)put);
}

/* A timespec of futimens as FILE_BASIC_INFO's time (0: unchanged). */
static LONGLONG
fs_win_ticks(const struct timespec *ts)
{
	FILETIME	now;

	if (ts != NULL && ts->tv_nsec == UTIME_OMIT)
		return (0);
	if (ts == NULL || ts->tv_nsec == UTIME_NOW) {
		GetSystemTimeAsFileTime(&now);
		return ((LONGLONG)now.dwHighDateTime << 32 | now.dwLowDateTime);
	}
	return ((LONGLONG)ts->tv_sec * 10000000 + ts->tv_nsec / 100 +
	    FS_WIN_EPOCH);
}

static int
fs_win_set_times(HANDLE h, const struct timespec *ts)
{
	FILE_BASIC_INFO	bi;

	memset(&bi, 0, sizeof bi);
	bi.LastAccessTime.QuadPart = fs_win_ticks(ts == NULL ? NULL : &ts[0]);
	bi.LastWriteTime.QuadPart = fs_win_ticks(ts == NULL ? NULL : &ts[1]);
	if (!SetFileInformationByHandle(h, FileBasicInfo, &bi, sizeof bi)) {
		errno = fs_win_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_futimens(int fd, const struct timespec *ts)
{
	HANDLE	h;

	if ((h = fs_win_handle(fd)) == NULL)
		return (-1);
	return (fs_win_set_times(h, ts));
}

int
compat_win_utimensat(int dirfd, const char *name, const struct timespec *ts,
    int flags)
{
	HANDLE	dir, h;
	int	r;

	(void)flags;	/* never followed */
	if ((dir = fs_win_handle(dirfd)) == NULL ||
	    (h = compat_win_nt_open(dir, name, FILE_WRITE_ATTRIBUTES,
	    CW_FILE_OPEN, 0)) == NULL)
		return (-1);
	r = fs_win_set_times(h, ts);
	CloseHandle(h);
	return (r);
}

/*
 * Mode bits: Windows has a DACL instead, which a file made below a
 * folder inherits from it (the state directory's is owner-only,
 * compat_mkdir_private). So there is nothing to change.
 */
int
compat_win_fchmod(int fd, int mode)
{
	(void)mode;
	return (fs_win_handle(fd) == NULL ? -1 : 0);
}

int
compat_win_fchmodat(int dirfd, const char *name, int mode, int flags)
{
	(void)name, (void)mode, (void)flags;
	return (fs_win_handle(dirfd) == NULL ? -1 : 0);
}

/* Reparse points are never followed nor made: a link is not sent. */
ssize_t
compat_win_readlinkat(int dirfd, const char *name, char *buf, size_t n)
{
	(void)dirfd, (void)name, (void)buf, (void)n;
	errno = EOPNOTSUPP;
	return (-1);
}

int
compat_win_symlinkat(const char *target, int dirfd, const char *name)
{
	(void)target, (void)dirfd, (void)name;
	errno = EPERM;
	return (-1);
}

int
compat_win_dup(int fd)
{
	return (compat_dupfd(fd));
}

/*
 * The buffer is for O_DIRECT's alignment, which Windows does not have
 * here (direct_open fails, O_DIRECT is refused), and the callers free()
 * it: malloc's 16 bytes do.
 */
int
compat_win_posix_memalign(void **p, size_t align, size_t n)
{
	(void)align;
	if ((*p = malloc(n == 0 ? 1 : n)) == NULL)
		return (ENOMEM);
	return (0);
}

/* copy_file_range: read and write, one chunk a call. */
ssize_t
compat_win_copy_file_range(int in, loff_t *inoff, int out, loff_t *outoff,
    size_t n, unsigned int flags)
{
	char	buf[65536];
	ssize_t	got, put, done = 0;

	(void)flags;
	if (n > sizeof buf)
		n = sizeof buf;
	if ((got = compat_win_pread(in, buf, n, *inoff)) <= 0)
		return (got);
	while (done < got) {
		if ((put = compat_win_pwrite(out, buf + done,
		    (size_t)(got - done), *outoff + done)) == -1)
			return (done > 0 ? done : -1);
		done += put;
	}
	*inoff += done;
	*outoff += done;
	return (done);
}

int
compat_win_posix_fadvise(int fd, int64_t off, int64_t n, int advice)
{
	(void)fd, (void)off, (void)n, (void)advice;
	return (0);
}

/* link(2): a hard link, EEXIST if new exists (CreateHardLinkW). */
int
compat_win_link(const char *old, const char *new)
{
	uint16_t	*wo, *wn;
	BOOL		 ok;

	if ((wo = utf16_from_utf8(old, strlen(old), NULL)) == NULL)
		return (-1);
	if ((wn = utf16_from_utf8(new, strlen(new), NULL)) == NULL) {
		free(wo);
		return (-1);
	}
	ok = CreateHardLinkW((const wchar_t *)wn, (const wchar_t *)wo, NULL);
	free(wo);
	free(wn);
	if (!ok) {
		errno = fs_win_errno();
		return (-1);
	}
	return (0);
}

/* unlink(2) of a UTF-8 path (the C runtime's takes the ANSI code page). */
int
compat_win_unlink(const char *path)
{
	uint16_t	*w;
	BOOL		 ok;

	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	ok = DeleteFileW((const wchar_t *)w);
	free(w);
	if (!ok) {
		errno = fs_win_errno();
		return (-1);
	}
	return (0);
}

/* glibc's qsort_r over the C runtime's qsort_s (context first there). */
struct fs_win_sort {
	int	(*cmp)(const void *, const void *, void *);
	void	*arg;
};

static int
fs_win_sort_cmp(void *ctx, const void *a, const void *b)
{
	struct fs_win_sort	*s = ctx;

	return (s->cmp(a, b, s->arg));
}

void
compat_win_qsort_r(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *, void *), void *arg)
{
	struct fs_win_sort	s = { cmp, arg };

	qsort_s(base, n, size, fs_win_sort_cmp, &s);
}

struct passwd *
compat_win_getpwuid(uid_t uid)
{
	(void)uid;
	errno = ENOENT;
	return (NULL);
}

/*
 * realpath: the full path (GetFullPathNameW), into buf (PATH_MAX bytes)
 * or a new string. Links are not resolved: Windows' callers want the
 * name as given, made absolute.
 */
char *
compat_win_realpath(const char *path, char *buf)
{
	wchar_t		 full[4096];
	uint16_t	*w;
	char		*u;
	DWORD		 n;

	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (NULL);
	n = GetFullPathNameW((const wchar_t *)w, 4096, full, NULL);
	free(w);
	if (n == 0 || n >= 4096) {
		errno = n == 0 ? fs_win_errno() : ENAMETOOLONG;
		return (NULL);
	}
	if ((u = utf16_to_utf8((const uint16_t *)full, n)) == NULL)
		return (NULL);
	if (buf == NULL)
		return (u);
	if (strlen(u) >= PATH_MAX) {
		free(u);
		errno = ENAMETOOLONG;
		return (NULL);
	}
	memcpy(buf, u, strlen(u) + 1);
	free(u);
	return (buf);
}

int
compat_win_getrlimit(int res, struct rlimit *rl)
{
	(void)res;
	rl->rlim_cur = rl->rlim_max = 8192;
	return (0);
}

int
compat_win_setrlimit(int res, const struct rlimit *rl)
{
	(void)res, (void)rl;
	return (0);
}

/* getline(3): a line, its newline kept, into a buffer that grows. */
ssize_t
compat_win_getline(char **line, size_t *cap, FILE *f)
{
	size_t	n = 0;
	char	*p;
	int	c;

	if (*line == NULL || *cap == 0) {
		*cap = 128;
		if ((*line = malloc(*cap)) == NULL)
			return (-1);
	}
	while ((c = getc(f)) != EOF) {
		if (n + 2 > *cap) {
			if ((p = realloc(*line, *cap * 2)) == NULL)
				return (-1);
			*line = p;
			*cap *= 2;
		}
		(*line)[n++] = (char)c;
		if (c == '\n')
			break;
	}
	(*line)[n] = '\0';
	return (n == 0 ? -1 : (ssize_t)n);
}

char *
compat_win_strcasestr(const char *hay, const char *needle)
{
	size_t	n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (_strnicmp(hay, needle, n) == 0)
			return ((char *)hay);
	return (n == 0 ? (char *)hay : NULL);
}

int
compat_win_sigaction(int sig, const struct sigaction *sa,
    struct sigaction *old)
{
	void	(*was)(int);

	if (sa == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if ((was = signal(sig, sa->sa_handler)) == SIG_ERR) {
		errno = EINVAL;
		return (-1);
	}
	if (old != NULL) {
		memset(old, 0, sizeof *old);
		old->sa_handler = was;
	}
	return (0);
}
