/* Building the sender's list of entries from a source tree. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "msg.h"
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

/* Adds the entry at path (rel below the root), described by sb. */
static int
list_add_entry(struct transfer_list *l, const char *path, const char *rel,
    const struct stat *sb, char **cause)
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
		if ((n = readlink(path, target, sizeof target - 1)) == -1)
			return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
			    strerror(errno)));
		target[n] = '\0';
		if (!tree_link_inside(rel, target))
			return (err_set(cause, FERRY_ERR_BADNAME, "%s: symlink "
			    "to \"%s\" leaves the transferred tree", path,
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
		    "directory or symlink", path));
	tf->mode = sb->st_mode & 07777;
	tf->mtime_sec = sb->st_mtim.tv_sec;
	tf->mtime_nsec = (uint32_t)sb->st_mtim.tv_nsec;
	tf->src = strdup(path);
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

/* Adds everything below directory path (rel below the root; "" for it). */
static int
list_walk(struct transfer_list *l, const char *path, const char *rel,
    char **cause)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	struct buf	 sub, subrel;
	char		**names = NULL, **v;
	size_t		 n = 0, i;
	int		 r = 0;

	if ((d = opendir(path)) == NULL)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
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
	buf_init(&sub, 0);
	buf_init(&subrel, 0);
	for (i = 0; r == 0 && i < n; i++) {
		buf_reset(&sub);
		buf_reset(&subrel);
		buf_printf(&sub, "%s/%s", path, names[i]);
		buf_printf(&subrel, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (lstat(sub.data, &sb) == -1)
			r = err_set(cause, FERRY_ERR_IO, "%s: %s", sub.data,
			    strerror(errno));
		else if ((r = list_add_entry(l, sub.data, subrel.data, &sb,
		    cause)) == 0 && S_ISDIR(sb.st_mode))
			r = list_walk(l, sub.data, subrel.data, cause);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&sub);
	buf_free(&subrel);
	return (r);
}

int
transfer_list_add(struct transfer_list *l, const char *root, const char *rel,
    char **cause)
{
	struct stat	 sb;
	struct buf	 path;
	int		 r;

	if (rel == NULL || *rel == '\0')
		return (list_walk(l, root, "", cause));
	if ((r = tree_check_relpath(rel, cause)) != 0)
		return (r);
	buf_init(&path, 0);
	if ((r = buf_printf(&path, "%s/%s", root, rel)) != 0)
		return (r);
	if (lstat(path.data, &sb) == -1)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path.data,
		    strerror(errno));
	else if ((r = list_add_entry(l, path.data, rel, &sb, cause)) == 0 &&
	    S_ISDIR(sb.st_mode))
		r = list_walk(l, path.data, rel, cause);
	buf_free(&path);
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
	memset(l, 0, sizeof *l);
}
