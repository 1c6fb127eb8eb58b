/*
 * Remote paths below the root. A name is checked as the receiver checks
 * one (tree.h: relative, no "..", no ferry names), then every component
 * below the root is looked at with lstat on the server: a symlink is
 * refused wherever it points, since the server would follow it. (A server
 * can still swap a directory for a link between our lstat and our open;
 * what it then shows us is its own data, never a path of ours.)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sftp-int.h"
#include "tree.h"

int
sftp_path_lstat(struct sftp *s, const char *path, LIBSSH2_SFTP_ATTRIBUTES *a,
    char **cause)
{
	if (libssh2_sftp_lstat(s->sftp, path, a) != 0)
		return (sftp_fail(s, cause, "%s", path));
	if (!(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		return (err_set(cause, FERRY_ERR_PROTO,
		    "%s: %s: the server gave no file type", s->host, path));
	return (0);
}

/* ROOT/rel[0..n) as an allocated string. */
static char *
sftp_path_join(const struct sftp *s, const char *rel, size_t n)
{
	char	*p;
	int	 slash = strcmp(s->root, "/") != 0;

	if (asprintf(&p, "%s%s%.*s", s->root, slash ? "/" : "", (int)n,
	    rel) < 0)
		return (NULL);
	return (p);
}

/* One directory on the way: there (not a link), or made when create. */
static int
sftp_path_dir(struct sftp *s, const char *dir, int create, char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	a;
	char			*c = NULL;
	int			 r;

	r = sftp_path_lstat(s, dir, &a, &c);
	if (r == FERRY_ERR_NOTFOUND && create) {
		free(c);
		if (libssh2_sftp_mkdir(s->sftp, dir, 0755) != 0)
			return (sftp_fail(s, cause, "mkdir %s", dir));
		return (0);
	}
	if (r != 0) {
		if (cause != NULL)
			*cause = c;
		else
			free(c);
		return (r);
	}
	if (LIBSSH2_SFTP_S_ISLNK(a.permissions))
		return (err_set(cause, FERRY_ERR_DENIED,
		    "%s: %s: a symlink on the server: ferry follows none",
		    s->host, dir));
	if (!LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return (err_set(cause, FERRY_ERR_IO,
		    "%s: %s: not a directory", s->host, dir));
	return (0);
}

int
sftp_path_open(struct sftp *s, const char *rel, int create,
    struct sftp_path *p, char **cause)
{
	const char	*slash, *base;
	char		 tmp[TREE_TMP_MAX], old[TREE_TMP_MAX], *dir = NULL;
	int		 r;

	memset(p, 0, sizeof *p);
	if ((r = tree_check_relpath(rel, cause)) != 0)
		return (r);
	for (slash = strchr(rel, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		if ((dir = sftp_path_join(s, rel, (size_t)(slash - rel))) ==
		    NULL)
			return (err_set(cause, FERRY_ERR_NOMEM,
			    "out of memory"));
		r = sftp_path_dir(s, dir, create, cause);
		free(dir);
		if (r != 0)
			return (r);
	}
	base = strrchr(rel, '/');
	base = base != NULL ? base + 1 : rel;
	tree_tmp_name(base, TREE_PART, tmp);
	/* The replaced file waits under the sidecar's name: ferry's own. */
	tree_tmp_name(base, TREE_META, old);
	p->full = sftp_path_join(s, rel, strlen(rel));
	dir = sftp_path_join(s, rel, (size_t)(base - rel));
	if (dir != NULL && asprintf(&p->tmp, "%s%s", dir, tmp) < 0)
		p->tmp = NULL;
	if (dir != NULL && asprintf(&p->old, "%s%s", dir, old) < 0)
		p->old = NULL;
	free(dir);
	if (p->full == NULL || p->tmp == NULL || p->old == NULL) {
		sftp_path_clear(p);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	return (0);
}

void
sftp_path_clear(struct sftp_path *p)
{
	free(p->full);
	free(p->tmp);
	free(p->old);
	memset(p, 0, sizeof *p);
}

/*
 * The temporary file onto its final name. OpenSSH's SFTP v3 rename
 * links the new name and fails when it exists (libssh2 1.10 sends no
 * posix-rename@openssh.com, and v3 carries no flags), so an existing
 * file is replaced by the server's mv when it runs commands for us
 * (rename(2): atomic), else it is moved aside first and removed after:
 * the final name then misses for a moment, but never holds a partial or
 * unverified file.
 */
int
sftp_path_rename(struct sftp *s, const struct sftp_path *p, char **cause)
{
	int	r;

	if (libssh2_sftp_rename_ex(s->sftp, p->tmp, strlen(p->tmp), p->full,
	    strlen(p->full), LIBSSH2_SFTP_RENAME_OVERWRITE |
	    LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE) == 0)
		return (0);
	if (s->remote_hash) {
		return (sftp_shell_mv(s, p->tmp, p->full, cause));
	}
	(void)libssh2_sftp_unlink(s->sftp, p->old);
	if (libssh2_sftp_rename(s->sftp, p->full, p->old) != 0)
		return (sftp_fail(s, cause, "rename %s into place", p->tmp));
	if (libssh2_sftp_rename(s->sftp, p->tmp, p->full) != 0) {
		r = sftp_fail(s, cause, "rename %s into place", p->tmp);
		(void)libssh2_sftp_rename(s->sftp, p->old, p->full);
		return (r);
	}
	(void)libssh2_sftp_unlink(s->sftp, p->old);
	return (0);
}
