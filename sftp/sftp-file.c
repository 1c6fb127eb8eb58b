/*
 * Sending and pulling one file. Either way the bytes go to a hidden
 * temporary name beside the final one (tree.h's ".NAME.ferry-part"), a
 * partial file left by a dropped connection is resumed once its prefix
 * verifies, the whole file is verified, and only then renamed onto its
 * final name: a final name never holds a partial or unverified file.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beneath.h"
#include "clock.h"
#include "err.h"
#include "iobuf-int.h"
#include "sftp-int.h"
#include "tree.h"

/*
 * After a failed write (fh is closed here): a full disk says so and
 * frees what we took; a dropped connection keeps the partial file. The
 * close, statvfs and unlink share one timeout (sftp_budget): after a
 * refused write the server may never answer them.
 */
static int
sftp_file_write_failed(struct sftp *s, LIBSSH2_SFTP_HANDLE *fh,
    const struct sftp_path *p, char **cause)
{
	LIBSSH2_SFTP_STATVFS	 v;
	unsigned long		 st;
	int			 r, full;

	r = sftp_fail(s, cause, "writing %s", p->tmp);
	st = libssh2_sftp_last_error(s->sftp);
	sftp_budget_start(s);
	if (fh != NULL && sftp_budget(s) == 0)
		(void)libssh2_sftp_close(fh);
	if (r != FERRY_ERR_IO && r != FERRY_ERR_DENIED)
		goto out;
	/* OpenSSH says "failure" for ENOSPC: statvfs@openssh.com tells. */
	full = st == LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM ||
	    st == LIBSSH2_FX_QUOTA_EXCEEDED || (st == LIBSSH2_FX_FAILURE &&
	    sftp_budget(s) == 0 &&
	    libssh2_sftp_statvfs(s->sftp, p->tmp, strlen(p->tmp), &v) == 0 &&
	    v.f_bavail * v.f_frsize < SFTP_CHUNK);
	if (!full)
		goto out;
	if (cause != NULL) {
		free(*cause);
		*cause = NULL;
	}
	if (sftp_budget(s) != 0 || libssh2_sftp_unlink(s->sftp, p->tmp) != 0)
		r = err_set(cause, FERRY_ERR_TOOBIG, "%s: no space left on the "
		    "server's disk writing %s; the partial file %s could not "
		    "be removed", s->host, p->full, p->tmp);
	else
		r = err_set(cause, FERRY_ERR_TOOBIG, "%s: no space left on "
		    "the server's disk writing %s; the partial file was "
		    "removed", s->host, p->full);
out:
	sftp_budget_end(s);
	return (r);
}

static int
sftp_send_data(struct sftp *s, const struct sftp_path *p, int fd,
    uint64_t off, uint64_t size, struct sftp_stats *st, char **cause)
{
	LIBSSH2_SFTP_HANDLE	*fh;
	char			*b;
	ssize_t			 n, w, done;
	int64_t			 moved;
	int			 r = 0;

	if ((b = iobuf_alloc(SFTP_CHUNK)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	fh = libssh2_sftp_open(s->sftp, p->tmp, LIBSSH2_FXF_WRITE |
	    LIBSSH2_FXF_CREAT | (off == 0 ? LIBSSH2_FXF_TRUNC : 0), 0600);
	if (fh == NULL) {
		free(b);
		return (sftp_fail(s, cause, "creating %s", p->tmp));
	}
	libssh2_sftp_seek64(fh, off);
	sftp_pace(s, 0);
	while (off < size) {
		n = pread(fd, b, size - off < SFTP_CHUNK ? size - off :
		    SFTP_CHUNK, (off_t)off);
		if (n <= 0) {
			r = err_set(cause, FERRY_ERR_IO, "reading the local "
			    "file: %s", n == 0 ? "it shrank" : strerror(errno));
			goto out;
		}
		moved = clock_ms();
		for (done = 0; done < n; done += w) {
			w = libssh2_sftp_write(fh, b + done, (size_t)(n - done));
			if (w < 0) {
				r = sftp_file_write_failed(s, fh, p, cause);
				fh = NULL;	/* closed, or left to free */
				goto out;
			}
			/*
			 * libssh2 1.10 returns 0, not "would block", while
			 * a request is half sent into a full window.
			 */
			if (w > 0)
				moved = clock_ms();
			else if ((r = sftp_stalled(s, moved, "writing",
			    cause)) != 0)
				goto out;
		}
		off += (uint64_t)n;
		st->bytes += (uint64_t)n;
		sftp_pace(s, (uint64_t)n);
		if ((r = sftp_tick(s, off, size, cause)) != 0)
			goto out;
	}
	/*
	 * fsync@openssh.com where offered; an older server just lacks it.
	 * One that does not answer is not asked anything more.
	 */
	if (libssh2_sftp_fsync(fh) != 0 &&
	    libssh2_session_last_errno(s->ssh) == LIBSSH2_ERROR_TIMEOUT)
		sftp_dead(s);
out:
	if (fh != NULL && libssh2_sftp_close(fh) != 0 && r == 0)
		r = sftp_file_write_failed(s, NULL, p, cause);
	free(b);
	return (r);
}

/* Verifies the whole temporary file, sets its mode and time, renames. */
static int
sftp_send_finish(struct sftp *s, const struct sftp_path *p, int fd,
    const struct stat *sb, struct sftp_stats *st, char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	a;
	int			r;

	r = sftp_verify(s, p->tmp, fd, (uint64_t)sb->st_size, st, cause);
	if (r < 0)
		return (r);
	if (r == 1) {
		(void)libssh2_sftp_unlink(s->sftp, p->tmp);
		return (err_set(cause, FERRY_ERR_IO, "%s: %s differs from the "
		    "local file after writing; the partial file was removed",
		    s->host, p->tmp));
	}
	memset(&a, 0, sizeof a);
	a.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS | LIBSSH2_SFTP_ATTR_ACMODTIME;
	a.permissions = sb->st_mode & 0777;
	a.atime = a.mtime = (unsigned long)sb->st_mtime;
	if (libssh2_sftp_setstat(s->sftp, p->tmp, &a) != 0)
		return (sftp_fail(s, cause, "setting the mode of %s", p->tmp));
	return (sftp_path_rename(s, p, cause));
}

/* The final and temporary names: absent, or regular files. */
static int
sftp_send_names(struct sftp *s, const struct sftp_path *p, uint64_t *have,
    char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	a;
	const char		*name[2] = { p->full, p->tmp };
	int			i, r;

	*have = 0;
	for (i = 0; i < 2; i++) {
		r = sftp_path_lstat(s, name[i], &a, NULL);
		if (r == FERRY_ERR_NOTFOUND)
			continue;
		if (r != 0)
			return (sftp_path_lstat(s, name[i], &a, cause));
		if (!LIBSSH2_SFTP_S_ISREG(a.permissions))
			return (err_set(cause, FERRY_ERR_DENIED, "%s: %s: %s on "
			    "the server: ferry writes over regular files only",
			    s->host, name[i], LIBSSH2_SFTP_S_ISLNK(
			    a.permissions) ? "a symlink" : "not a file"));
		if (i == 1)
			*have = a.filesize;
	}
	return (0);
}

int
sftp_send(struct sftp *s, int rootfd, const char *rel,
    struct sftp_stats *st, char **cause)
{
	struct sftp_path	p;
	struct stat		sb;
	uint64_t		have, off;
	int			fd = -1, r;

	memset(&p, 0, sizeof p);
	if ((r = tree_check_relpath(rel, cause)) != 0 ||
	    (r = beneath_open(rootfd, rel, O_RDONLY, &fd, cause)) != 0)
		return (r);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		r = err_set(cause, FERRY_ERR_INVAL, "%s: not a regular file",
		    rel);
		goto out;
	}
	if ((r = sftp_path_open(s, rel, 1, &p, cause)) != 0 ||
	    (r = sftp_send_names(s, &p, &have, cause)) != 0 ||
	    (r = sftp_verify_resume(s, p.tmp, fd, have, (uint64_t)sb.st_size,
	    &off, st, cause)) != 0)
		goto out;
	st->size += (uint64_t)sb.st_size;
	st->resumed += off;
	if ((r = sftp_send_data(s, &p, fd, off, (uint64_t)sb.st_size, st,
	    cause)) != 0)
		goto out;
	r = sftp_send_finish(s, &p, fd, &sb, st, cause);
out:
	sftp_path_clear(&p);
	close(fd);
	return (r);
}
