/*
 * fdopendir/readdir/closedir on Windows (posix-win.h): the names of the
 * folder a descriptor holds, read through its handle
 * (GetFileInformationByHandleEx, FileIdBothDirectory[Restart]Info), so the
 * listing is of the folder held open, not of whatever a path names now.
 * The first read restarts the scan: a duplicated handle shares its
 * position with the original. A name that is not valid UTF-16 (an
 * unpaired surrogate) ends the listing with EILSEQ rather than being
 * skipped in silence.
 */
#define COMPAT_WIN_IMPL
#include "posix-win.h"

#include <string.h>

#include <windows.h>

#include "utf16.h"

struct compat_win_dir {
	int				 fd;
	HANDLE				 h;
	int				 started;
	int				 done;
	size_t				 off;	/* next entry in buf, or 0 */
	int				 have;
	struct compat_win_dirent	 ent;
	/* FILE_ID_BOTH_DIR_INFO records, 8-byte aligned. */
	uint64_t			 buf[8192];
};

compat_win_DIR *
compat_win_fdopendir(int fd)
{
	struct compat_win_dir	*d;
	HANDLE			 h;

	if ((h = (HANDLE)_get_osfhandle(fd)) == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return (NULL);
	}
	if ((d = calloc(1, sizeof *d)) == NULL)
		return (NULL);
	d->fd = fd;
	d->h = h;
	return (d);
}

/* The next batch of records; 0, or -1 at the end (errno kept) or error. */
static int
dirent_win_fill(struct compat_win_dir *d)
{
	if (!GetFileInformationByHandleEx(d->h, d->started ?
	    FileIdBothDirectoryInfo : FileIdBothDirectoryRestartInfo, d->buf,
	    sizeof d->buf)) {
		if (GetLastError() != ERROR_NO_MORE_FILES)
			errno = EIO;
		d->done = 1;
		return (-1);
	}
	d->started = 1;
	d->off = 0;
	d->have = 1;
	return (0);
}

struct compat_win_dirent *
compat_win_readdir(compat_win_DIR *d)
{
	FILE_ID_BOTH_DIR_INFO	*fi;
	char			*name;
	size_t			 len;

	if (d->done)
		return (NULL);
	if (!d->have && dirent_win_fill(d) == -1)
		return (NULL);
	fi = (FILE_ID_BOTH_DIR_INFO *)((char *)d->buf + d->off);
	if (fi->NextEntryOffset == 0)
		d->have = 0;
	else
		d->off += fi->NextEntryOffset;
	if ((name = utf16_to_utf8((const uint16_t *)fi->FileName,
	    fi->FileNameLength / 2)) == NULL) {
		d->done = 1;
		return (NULL);
	}
	if ((len = strlen(name)) >= sizeof d->ent.d_name) {
		free(name);
		d->done = 1;
		errno = ENAMETOOLONG;
		return (NULL);
	}
	memcpy(d->ent.d_name, name, len + 1);
	free(name);
	d->ent.d_ino = (uint64_t)fi->FileId.QuadPart;
	d->ent.d_type = fi->FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT ?
	    DT_LNK : fi->FileAttributes & FILE_ATTRIBUTE_DIRECTORY ? DT_DIR :
	    DT_REG;
	return (&d->ent);
}

int
compat_win_closedir(compat_win_DIR *d)
{
	int	r;

	r = _close(d->fd);
	free(d);
	return (r);
}

int
compat_win_dirfd(compat_win_DIR *d)
{
	return (d->fd);
}
