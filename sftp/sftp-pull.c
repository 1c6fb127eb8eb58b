/*
 * Pulling one file into a local directory: into a hidden partial file
 * beside the final name (opened below the local root without following a
 * symlink: tree.h), resumed when its prefix verifies against the server,
 * fsynced, verified whole, then renamed into place and the directory
 * fsynced.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "sftp-int.h"
#include "tree.h"

struct sftp_pull {
	struct sftp_path	 p;
	LIBSSH2_SFTP_ATTRIBUTES	 a;	/* the remote file's */
	int			 dirfd;
	int			 fd;
	const char		*base;
	char			 tmp[TREE_TMP_MAX];
};

/* The remote file: below the root, no symlink on the way, regular. */
static int
sftp_pull_remote(struct sftp *s, const char *rel, struct sftp_pull *x,
    char **cause)
{
	int	r;

	if ((r = sftp_path_open(s, rel, 0, &x->p, cause)) != 0 ||
	    (r = sftp_path_lstat(s, x->p.full, &x->a, cause)) != 0)
		return (r);
	if (!LIBSSH2_SFTP_S_ISREG(x->a.permissions))
		return (err_set(cause, FERRY_ERR_DENIED, "%s: %s: %s on the "
		    "server: ferry pulls regular files only", s->host,
		    x->p.full, LIBSSH2_SFTP_S_ISLNK(x->a.permissions) ?
		    "a symlink" : "not a file"));
	if (!(x->a.flags & LIBSSH2_SFTP_ATTR_SIZE))
		return (err_set(cause, FERRY_ERR_PROTO, "%s: %s: no size",
		    s->host, x->p.full));
	return (0);
}

static int
sftp_pull_local(int rootfd, const char *rel, unsigned recv_umask,
    struct sftp_pull *x, char **cause)
{
	int	r;

	if ((r = tree_open_parent_mode(rootfd, rel,
	    tree_recv_dir_mode(recv_umask), &x->dirfd, &x->base, cause)) != 0)
		return (r);
	tree_tmp_name(x->base, TREE_PART, x->tmp);
	x->fd = openat(x->dirfd, x->tmp, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (x->fd == -1)
		return (err_set(cause, errno == ELOOP ? FERRY_ERR_DENIED :
		    FERRY_ERR_IO, "%s: %s", rel, strerror(errno)));
	return (0);
}

/* All of b at off; a short write is followed by the one saying why. */
static int
sftp_pull_write(int fd, const char *b, size_t n, uint64_t off)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = pwrite(fd, b, n, (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (w == 0) {
			errno = ENOSPC;
			return (-1);
		}
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return (0);
}

static int
sftp_pull_data(struct sftp *s, struct sftp_pull *x, uint64_t off,
    struct sftp_stats *st, char **cause)
{
	LIBSSH2_SFTP_HANDLE	*fh;
	char			*b;
	uint64_t		 size = x->a.filesize;
	ssize_t			 n;
	int			 r = 0;

	if ((b = malloc(SFTP_CHUNK)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	fh = libssh2_sftp_open(s->sftp, x->p.full, LIBSSH2_FXF_READ, 0);
	if (fh == NULL) {
		free(b);
		return (sftp_fail(s, cause, "opening %s", x->p.full));
	}
	libssh2_sftp_seek64(fh, off);
	sftp_pace(s, 0);
	while (off < size) {
		n = libssh2_sftp_read(fh, b, size - off < SFTP_CHUNK ?
		    size - off : SFTP_CHUNK);
		if (n <= 0) {
			r = n < 0 ? sftp_fail(s, cause, "reading %s",
			    x->p.full) : err_set(cause, FERRY_ERR_IO, "%s: %s "
			    "shrank while it was read", s->host, x->p.full);
			break;
		}
		if (sftp_pull_write(x->fd, b, (size_t)n, off) != 0) {
			r = err_set(cause, FERRY_ERR_IO, "writing %s: %s",
			    x->tmp, strerror(errno));
			/* Nothing to resume on a full disk: free it. */
			(void)unlinkat(x->dirfd, x->tmp, 0);
			break;
		}
		off += (uint64_t)n;
		st->bytes += (uint64_t)n;
		sftp_pace(s, (uint64_t)n);
		if ((r = sftp_tick(s, off, size, cause)) != 0)
			break;
	}
	libssh2_sftp_close(fh);
	free(b);
	return (r);
}

static int
sftp_pull_finish(struct sftp *s, struct sftp_pull *x, struct sftp_stats *st,
    char **cause)
{
	struct timespec	ts[2];
	int		r;

	if (fsync(x->fd) == -1)
		return (err_set(cause, FERRY_ERR_IO, "fsync %s: %s", x->tmp,
		    strerror(errno)));
	r = sftp_verify(s, x->p.full, x->fd, x->a.filesize, st, cause);
	if (r < 0)
		return (r);
	if (r == 1) {
		(void)unlinkat(x->dirfd, x->tmp, 0);
		return (err_set(cause, FERRY_ERR_IO, "%s: what arrived differs "
		    "from %s on the server; the partial file was removed",
		    s->host, x->p.full));
	}
	/*
	 * The server's mode, less setuid, setgid, sticky and others' write,
	 * as an agent's receiver gives it (docs/protocol.md 6.2), and less
	 * the receive-umask.
	 */
	(void)fchmod(x->fd, tree_recv_mode(x->a.permissions, s->recv_umask));
	ts[0].tv_sec = ts[1].tv_sec = (time_t)x->a.mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (x->a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME)
		(void)futimens(x->fd, ts);
	if (renameat(x->dirfd, x->tmp, x->dirfd, x->base) == -1)
		return (err_set(cause, FERRY_ERR_IO, "rename %s: %s", x->tmp,
		    strerror(errno)));
	(void)fsync(x->dirfd);
	return (0);
}

int
sftp_pull(struct sftp *s, const char *rel, int rootfd,
    struct sftp_stats *st, char **cause)
{
	struct sftp_pull	x;
	struct stat		sb;
	uint64_t		off = 0;
	int			r;

	memset(&x, 0, sizeof x);
	x.dirfd = x.fd = -1;
	if ((r = sftp_pull_remote(s, rel, &x, cause)) != 0 ||
	    (r = sftp_pull_local(rootfd, rel, s->recv_umask, &x, cause)) != 0)
		goto out;
	if (fstat(x.fd, &sb) == -1) {
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", x.tmp,
		    strerror(errno));
		goto out;
	}
	if ((r = sftp_verify_resume(s, x.p.full, x.fd, (uint64_t)sb.st_size,
	    x.a.filesize, &off, st, cause)) != 0)
		goto out;
	if (off == 0 && ftruncate(x.fd, 0) == -1) {
		r = err_set(cause, FERRY_ERR_IO, "truncating %s: %s", x.tmp,
		    strerror(errno));
		goto out;
	}
	st->size += x.a.filesize;
	st->resumed += off;
	if ((r = sftp_pull_data(s, &x, off, st, cause)) == 0)
		r = sftp_pull_finish(s, &x, st, cause);
out:
	sftp_path_clear(&x.p);
	if (x.fd != -1)
		close(x.fd);
	if (x.dirfd != -1)
		close(x.dirfd);
	return (r);
}
