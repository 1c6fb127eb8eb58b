/* Reading a secret from a file (secretfile.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "err.h"
#include "secretfile.h"

/*
 * Opens a secret file and checks the open file (compat_open_secret): a
 * regular file, open to none of what the deny mode bits name, owned by us
 * if own. A symbolic link is refused, so that the file checked is the
 * file read.
 */
static int
secretfile_open(const char *path, const char *what, mode_t deny, int own,
    int *fdp, char **cause)
{
	char	why[256] = "";
	int	fd;

	fd = compat_open_secret(path, (int)deny, own, why, sizeof why);
	if (fd == -1 && errno == ENOENT)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s %s does not "
		    "exist", what, path));
	if (fd == -1 && errno == ELOOP)
		return (err_set(cause, FERRY_ERR_INVAL, "%s %s is a symbolic "
		    "link: give the file itself", what, path));
	if (fd == -1 && errno == EINVAL)
		return (err_set(cause, FERRY_ERR_INVAL, "%s %s is not a "
		    "regular file", what, path));
	if (fd == -1 && errno == EACCES && why[0] != '\0')
		return (err_set(cause, FERRY_ERR_AUTH, "%s %s %s", what, path,
		    why));
	if (fd == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s %s: %s", what, path,
		    strerror(errno)));
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
