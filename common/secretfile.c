/* Reading a secret from a file (secretfile.h). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "secretfile.h"

/*
 * Opens a secret file and checks the open descriptor: a regular file,
 * with none of the deny mode bits, owned by us if own. A symbolic link is
 * refused, so that the file checked is the file read.
 */
static int
secretfile_open(const char *path, const char *what, mode_t deny, int own,
    int *fdp, char **cause)
{
	struct stat	sb;
	int		fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 && errno == ENOENT)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s %s does not "
		    "exist", what, path));
	if (fd == -1 && errno == ELOOP)
		return (err_set(cause, FERRY_ERR_INVAL, "%s %s is a symbolic "
		    "link: give the file itself", what, path));
	if (fd == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s %s: %s", what, path,
		    strerror(errno)));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return (err_set(cause, FERRY_ERR_INVAL, "%s %s is not a "
		    "regular file", what, path));
	}
	if (own && sb.st_uid != geteuid()) {
		close(fd);
		return (err_set(cause, FERRY_ERR_AUTH, "%s %s is owned by uid "
		    "%ld, not by this process (uid %ld)", what, path,
		    (long)sb.st_uid, (long)geteuid()));
	}
	if ((sb.st_mode & deny) != 0) {
		close(fd);
		return (err_set(cause, FERRY_ERR_AUTH, "%s %s has mode %04o: "
		    "it must not be readable by %s (chmod %s %s)", what, path,
		    (unsigned)(sb.st_mode & 07777), deny == 077 ?
		    "group or others" : "others", deny == 077 ? "600" : "o-rwx",
		    path));
	}
	*fdp = fd;
	return (0);
}

/* Reads all of fd (at most SECRETFILE_MAX bytes) into b. */
static int
secretfile_slurp(int fd, const char *path, const char *what, struct buf *b,
    char **cause)
{
	char	chunk[4096];
	ssize_t	n;

	buf_init(b, SECRETFILE_MAX);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_add(b, chunk, (size_t)n) != 0)
			break;
	}
	explicit_bzero(chunk, sizeof chunk);
	if (n == 0)
		return (0);
	secretfile_wipe(b);
	if (n == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s %s: %s", what, path,
		    strerror(errno)));
	return (err_set(cause, FERRY_ERR_TOOBIG, "%s %s is larger than %d "
	    "bytes", what, path, SECRETFILE_MAX));
}

int
secretfile_read(const char *path, const char *what, mode_t deny, int own,
    struct buf *b, char **cause)
{
	int	fd = -1, e;

	if ((e = secretfile_open(path, what, deny, own, &fd, cause)) != 0)
		return (e);
	e = secretfile_slurp(fd, path, what, b, cause);
	close(fd);
	return (e);
}

void
secretfile_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}
