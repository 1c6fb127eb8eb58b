/* Building the sender's list of entries from a source tree. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "buf.h"
#include "err.h"
#include "msg-int.h"
#include "transfer.h"
#include "tree.h"

static int
list_push(struct transfer_list *l, struct transfer_file **out)
{
	struct transfer_file	*v;
	size_t			 cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if ((v = realloc(l->v, cap * sizeof *v)) == NULL)
			return (FERRY_ERR_NOMEM);
		l->v = v;
		l->cap = cap;
	}
	*out = &l->v[l->n];
	memset(*out, 0, sizeof **out);
	return (0);
}

const char *
transfer_src_rel(const char *root, const char *src)
{
	size_t	n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(src, root, n) != 0)
		return (NULL);
	if (src[n] == '\0')
		return (src + n);
	return (src[n] == '/' ? src + n + 1 : NULL);
}

int
transfer_open_source(int rootfd, const char *rel, int flags, int *fd,
    struct stat *sb, char **cause)
{
	int	r, f;

	if ((r = tree_check_relpath(rel, cause)) != 0)
		return (r);
	/* O_NONBLOCK: opening a fifo must not wait for a writer. */
	if ((r = beneath_open(rootfd, rel, flags | O_NONBLOCK | O_NOCTTY, &f,
	    cause)) != 0)
		return (r);
	if (fstat(f, sb) == -1 || !S_ISREG(sb->st_mode)) {
		close(f);
		return (err_set(cause, FERRY_ERR_DENIED, "%s: not a regular "
		    "file", rel));
	}
	*fd = f;
	return (0);
}

int
transfer_stat_source(const char *root, const char *rel, struct stat *sb,
    char **cause)
{
	int	rootfd, fd, r;

	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	if ((r = transfer_open_source(rootfd, rel, O_PATH, &fd, sb,
	    cause)) == 0)
		close(fd);
	close(rootfd);
	return (r);
}

/* Adds the entry name in dirfd (rel below the root), described by sb. */
static int
list_add_entry(struct transfer_list *l, int dirfd, const char *name,
    const char *rel, const struct stat *sb, char **cause)
{
	struct transfer_file	*tf;
	char			 target[TREE_MAX_PATH + 1];
	ssize_t			 n;
	int			 r;

	if ((r = tree_check_relpath(rel, cause)) != 0)
		return (r);
	if ((r = list_push(l, &tf)) != 0)
		return (r);
	if (S_ISLNK(sb->st_mode)) {
		if ((n = readlinkat(dirfd, name, target, sizeof target - 1)) ==
		    -1)
			return (err_set(cause, FERRY_ERR_IO, "%s: %s", rel,
			    strerror(errno)));
		target[n] = '\0';
		if (!tree_link_inside(rel, target))
			return (err_set(cause, FERRY_ERR_BADNAME, "%s: symlink "
			    "to \"%s\" leaves the transferred tree", rel,
			    target));
		tf->type = MSG_ENTRY_SYMLINK;
		tf->link = strdup(target);
	} else if (S_ISDIR(sb->st_mode))
		tf->type = MSG_ENTRY_DIR;
	else if (S_ISREG(sb->st_mode)) {
		tf->type = MSG_ENTRY_FILE;
		tf->size = (uint64_t)sb->st_size;
	} else
		return (err_set(cause, FERRY_ERR_BADNAME, "%s: not a file, "
		    "directory or symlink", rel));
	tf->mode = sb->st_mode & 07777;
	tf->mtime_sec = sb->st_mtim.tv_sec;
	tf->mtime_nsec = (uint32_t)sb->st_mtim.tv_nsec;
	if (asprintf(&tf->src, "%s%s%s", l->root, *rel ? "/" : "", rel) == -1)
		tf->src = NULL;
	tf->rel = strdup(rel);
	l->n++;
	if (tf->src == NULL || tf->rel == NULL ||
	    (tf->type == MSG_ENTRY_SYMLINK && tf->link == NULL))
		return (FERRY_ERR_NOMEM);
	return (0);
}

static int
list_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The names in directory fd (taken), sorted, ferry's own left out. */
static int
list_names(int fd, char ***out, size_t *count, char **cause)
{
	DIR		*d;
	struct dirent	*e;
	char		**names = NULL, **v;
	size_t		 n = 0;
	int		 r = 0;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (err_set(cause, FERRY_ERR_IO, "opendir: %s",
		    strerror(errno)));
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    tree_is_ferry_name(e->d_name, strlen(e->d_name)))
			continue;
		if ((v = realloc(names, (n + 1) * sizeof *v)) == NULL ||
		    (v[n] = strdup(e->d_name)) == NULL) {
			names = v != NULL ? v : names;
			r = FERRY_ERR_NOMEM;
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, list_name_cmp);
	*out = names;
	*count = n;
	return (r);
}

/* Adds everything below directory rel ("" for the root). */
static int
list_walk(struct transfer_list *l, int rootfd, const char *rel, char **cause)
{
	struct stat	 sb;
	struct buf	 subrel;
	char		**names = NULL;
	size_t		 n = 0, i;
	int		 dfd, r;

	if ((r = beneath_open(rootfd, rel, O_RDONLY | O_DIRECTORY, &dfd,
	    cause)) != 0)
		return (r);
	if ((r = list_names(fcntl(dfd, F_DUPFD_CLOEXEC, 0), &names, &n,
	    cause)) != 0)
		n = 0;
	buf_init(&subrel, 0);
	for (i = 0; r == 0 && i < n; i++) {
		buf_reset(&subrel);
		buf_printf(&subrel, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (fstatat(dfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == -1)
			r = err_set(cause, FERRY_ERR_IO, "%s: %s", subrel.data,
			    strerror(errno));
		else if ((r = list_add_entry(l, dfd, names[i], subrel.data,
		    &sb, cause)) == 0 && S_ISDIR(sb.st_mode))
			r = list_walk(l, rootfd, subrel.data, cause);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&subrel);
	close(dfd);
	return (r);
}

int
transfer_list_add(struct transfer_list *l, const char *root, const char *rel,
    char **cause)
{
	struct stat	 sb;
	const char	*slash;
	int		 rootfd, dfd, r;

	if (l->root == NULL && (l->root = strdup(root)) == NULL)
		return (FERRY_ERR_NOMEM);
	if (strcmp(l->root, root) != 0)
		return (err_set(cause, FERRY_ERR_INVAL, "%s: a list has one "
		    "root, %s", root, l->root));
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	if (rel == NULL || *rel == '\0')
		r = list_walk(l, rootfd, "", cause);
	else if ((r = tree_check_relpath(rel, cause)) == 0) {
		slash = strrchr(rel, '/');
		if ((r = tree_open_parent(rootfd, rel, 0, &dfd, &slash,
		    cause)) != 0)
			goto out;
		if (fstatat(dfd, slash, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			r = err_set(cause, FERRY_ERR_IO, "%s: %s", rel,
			    strerror(errno));
		else if ((r = list_add_entry(l, dfd, slash, rel, &sb,
		    cause)) == 0 && S_ISDIR(sb.st_mode))
			r = list_walk(l, rootfd, rel, cause);
		close(dfd);
	}
out:
	close(rootfd);
	return (r);
}

int
transfer_list_set_basis(struct transfer_list *l, const char *rel,
    const char *basis, char **cause)
{
	size_t	i;
	int	r;

	if ((r = tree_check_relpath(basis, cause)) != 0)
		return (r);
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].rel, rel) != 0)
			continue;
		free(l->v[i].basis);
		if ((l->v[i].basis = strdup(basis)) == NULL)
			return (FERRY_ERR_NOMEM);
		return (0);
	}
	return (err_set(cause, FERRY_ERR_NOTFOUND, "%s: not in the list",
	    rel));
}

void
transfer_list_clear(struct transfer_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].src);
		free(l->v[i].rel);
		free(l->v[i].basis);
		free(l->v[i].link);
	}
	free(l->v);
	free(l->root);
	memset(l, 0, sizeof *l);
}
