/*
 * Listing the files below the remote root. The server's readdir gives
 * lstat's attributes, so a symlink is seen as one and reported refused,
 * never followed; ferry's own hidden files are skipped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sftp-int.h"
#include "tree.h"

struct sftp_list {
	struct sftp	*s;
	int		(*cb)(const char *, uint64_t, int, void *);
	void		*arg;
};

static int	sftp_list_dir(struct sftp_list *l, const char *rel, int depth,
		    char **cause);

/* One entry of directory rel (rel "" is the root). */
static int
sftp_list_entry(struct sftp_list *l, const char *rel, const char *name,
    const LIBSSH2_SFTP_ATTRIBUTES *a, int depth, char **cause)
{
	char	*sub;
	int	 r;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    tree_is_ferry_name(name, strlen(name)))
		return (0);
	if (asprintf(&sub, "%s%s%s", rel, *rel != '\0' ? "/" : "", name) < 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (tree_check_relpath(sub, NULL) != 0 ||
	    !(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		r = l->cb(sub, 0, 1, l->arg);
	else if (LIBSSH2_SFTP_S_ISDIR(a->permissions))
		r = sftp_list_dir(l, sub, depth + 1, cause);
	else if (LIBSSH2_SFTP_S_ISREG(a->permissions))
		r = l->cb(sub, a->filesize, 0, l->arg);
	else
		r = l->cb(sub, 0, 1, l->arg);
	free(sub);
	return (r);
}

/*
 * The directory (or file) a listing starts from: a regular file is its
 * own listing (*size set, 1 returned), a symlink is refused.
 */
static int
sftp_list_top(struct sftp *s, const char *dir, uint64_t *size,
    char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	a;
	int			r;

	if ((r = sftp_path_lstat(s, dir, &a, cause)) != 0)
		return (r);
	if (LIBSSH2_SFTP_S_ISREG(a.permissions)) {
		*size = a.filesize;
		return (1);
	}
	if (!LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return (err_set(cause, FERRY_ERR_DENIED, "%s: %s: %s", s->host,
		    dir, LIBSSH2_SFTP_S_ISLNK(a.permissions) ? "a symlink on "
		    "the server: ferry follows none" : "not a directory"));
	return (0);
}

static int
sftp_list_dir(struct sftp_list *l, const char *rel, int depth, char **cause)
{
	struct sftp		*s = l->s;
	LIBSSH2_SFTP_HANDLE	*dh;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	struct sftp_path	 p;
	char			 name[1024], *dir;
	uint64_t		 size = 0;
	int			 n, r;

	if (depth > SFTP_MAX_DEPTH)
		return (err_set(cause, FERRY_ERR_TOOBIG, "%s: %s: more than "
		    "%d directories deep", s->host, rel, SFTP_MAX_DEPTH));
	memset(&p, 0, sizeof p);
	if (*rel == '\0')
		dir = s->root;
	else {
		if ((r = sftp_path_open(s, rel, 0, &p, cause)) != 0)
			return (r);
		dir = p.full;
		/* Entries below come with readdir's lstat; this one not. */
		if (depth == 0 && (r = sftp_list_top(s, dir, &size,
		    cause)) != 0) {
			if (r == 1)
				r = l->cb(rel, size, 0, l->arg);
			goto out;
		}
	}
	if ((dh = libssh2_sftp_opendir(s->sftp, dir)) == NULL) {
		r = sftp_fail(s, cause, "listing %s", dir);
		goto out;
	}
	r = 0;
	while (r == 0 && (n = libssh2_sftp_readdir(dh, name, sizeof name,
	    &a)) > 0)
		r = sftp_list_entry(l, rel, name, &a, depth, cause);
	if (r == 0 && n < 0)
		r = sftp_fail(s, cause, "listing %s", dir);
	libssh2_sftp_closedir(dh);
out:
	sftp_path_clear(&p);
	return (r);
}

int
sftp_list(struct sftp *s, const char *dir,
    int (*cb)(const char *, uint64_t, int, void *), void *arg,
    char **cause)
{
	struct sftp_list	l = { s, cb, arg };
	int			r;

	if (*dir != '\0' && (r = tree_check_relpath(dir, cause)) != 0)
		return (r);
	return (sftp_list_dir(&l, dir, 0, cause));
}
